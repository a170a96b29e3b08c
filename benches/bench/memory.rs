//! Figure 9: scrapes under a 128 MiB address-space limit, and the resident
//! memory left after a burst of 2 MB scrapes, both with the shipped
//! unit's `Environment=`.

use std::fs;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self};
use std::time::Duration;

use crate::figure::{say, Binary, Figure, Heading, Libc};
use crate::requests::count_successes;
use crate::support::http_client::Client;
use crate::support::process::Wrapper;
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "9. memory: 128 MiB address space; RSS 10 s after a burst of ~2 MB scrapes",
    rows: &[
        Heading { name: "9 20×50-target scrapes, 128 MiB AS", target: "all 200, alive (musl)" },
        Heading { name: "9 RSS after burst / before", target: "≤2× (musl)" },
    ],
    measure: figure_memory,
};

/// The `Environment=` of `dist/probe_exporter.service`, under which the
/// memory figures run.
const UNIT_ENVIRONMENT: &[(&str, &str)] =
    &[("MALLOC_ARENA_MAX", "2"), ("MALLOC_MMAP_THRESHOLD_", "131072")];
/// 128 MiB, as `ulimit -v 131072`.
const ADDRESS_SPACE_LIMIT: u64 = 128 << 20;
const LIMITED_CLIENTS: usize = 20;
const LIMITED_ROUNDS: usize = 5;
const LIMITED_TARGETS: usize = 50;
/// About 1.8 KB of exposition per target: a body of about 2 MB.
const RSS_TARGETS: usize = 1100;
const RSS_BURST_CLIENTS: usize = 8;
const RSS_BURST_SCRAPES_EACH: usize = 5;
const RSS_SETTLE: Duration = Duration::from_secs(10);
const RSS_AFTER_VS_BEFORE: f64 = 2.0;

fn figure_memory(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let limited = limited_address_space(bench, binary)?;
    let rss = rss_after_burst(bench, binary)?;
    Ok(vec![limited, rss])
}

/// `LIMITED_CLIENTS` clients, each on its own connection, scrape
/// `LIMITED_ROUNDS` times at once under a 128 MiB address-space limit.
/// Met when every answer is a 200 and the process is still running.
fn limited_address_space(bench: &Bench, binary: &Binary) -> Result<Cell> {
    let targets = bench.fast_targets(LIMITED_TARGETS);
    let config = bench.config("limited", &targets, "")?;
    let wrapper = Wrapper::AddressSpace(ADDRESS_SPACE_LIMIT);
    let (shown, met) = match binary.exporter(&config).under(wrapper).envs(UNIT_ENVIRONMENT).start()
    {
        Err(err) => {
            println!("{} did not start under the limit: {err}", say(binary));
            ("did not start".to_string(), false)
        }
        Ok(mut exporter) => {
            let answers = concurrent_scrapes(exporter.addr);
            let asked = LIMITED_CLIENTS * LIMITED_ROUNDS;
            let exited = exporter.exited()?;
            println!(
                "{} {}/{asked} answered 200, {} of them with every probe a success; {}; log ends: {}",
                say(binary),
                answers.ok,
                answers.all_probes_succeeded,
                exited.map_or("still running".to_string(), |status| format!("exited: {status}")),
                exporter.log_tail().join(" | ")
            );
            let alive = if exited.is_none() { "alive" } else { "died" };
            (
                format!("{}/{asked} 200, {alive}", answers.ok),
                answers.ok == asked && exited.is_none(),
            )
        }
    };
    Ok(match binary.libc {
        Libc::Musl => Cell::yes_no(shown, met),
        Libc::Glibc => Cell::shown(shown),
    })
}

/// How the scrapes of `concurrent_scrapes` were answered.
struct Answers {
    ok: usize,
    all_probes_succeeded: usize,
}

/// `LIMITED_CLIENTS` threads, each on its own kept-alive connection,
/// scrape `LIMITED_ROUNDS` times; a client stops at its first error.
fn concurrent_scrapes(addr: SocketAddr) -> Answers {
    let ok = AtomicUsize::new(0);
    let all_probes_succeeded = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..LIMITED_CLIENTS {
            scope.spawn(|| {
                let Ok(mut client) = Client::connect(addr) else { return };
                for _ in 0..LIMITED_ROUNDS {
                    let Ok(body) = client.get_ok("/metrics") else { return };
                    ok.fetch_add(1, Ordering::Relaxed);
                    if count_successes(&body) == LIMITED_TARGETS {
                        all_probes_succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Answers { ok: ok.into_inner(), all_probes_succeeded: all_probes_succeeded.into_inner() }
}

/// RSS before a burst of `RSS_BURST_CLIENTS` × `RSS_BURST_SCRAPES_EACH`
/// concurrent scrapes of about 2 MB each, and `RSS_SETTLE` after it.
/// "Before" is after one scrape, so that it holds what the exporter keeps
/// per target by design (histograms, outcomes), which no burst can free;
/// the RSS just after start is printed too.
fn rss_after_burst(bench: &Bench, binary: &Binary) -> Result<Cell> {
    let targets = bench.fast_targets(RSS_TARGETS);
    let config = bench.config("rss", &targets, "")?;
    let exporter = binary.exporter(&config).envs(UNIT_ENVIRONMENT).start()?;
    let started = rss_kib(exporter.pid)?;
    let body_len = Client::connect(exporter.addr)?.get_ok("/metrics")?.len();
    let before = rss_kib(exporter.pid)?;
    let mut peak = before;
    let failures = AtomicUsize::new(0);
    let bursting = AtomicUsize::new(RSS_BURST_CLIENTS);
    thread::scope(|scope| {
        for _ in 0..RSS_BURST_CLIENTS {
            scope.spawn(|| {
                let scrapes = || -> Result<()> {
                    let mut client = Client::connect(exporter.addr)?;
                    for _ in 0..RSS_BURST_SCRAPES_EACH {
                        client.get_ok("/metrics")?;
                    }
                    Ok(())
                };
                if scrapes().is_err() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                bursting.fetch_sub(1, Ordering::Relaxed);
            });
        }
        while bursting.load(Ordering::Relaxed) > 0 {
            if let Ok(kib) = rss_kib(exporter.pid) {
                peak = peak.max(kib);
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    thread::sleep(RSS_SETTLE);
    let after = rss_kib(exporter.pid)?;
    let grew = after as f64 / before as f64;
    println!(
        "{} body {:.2} MB ({RSS_TARGETS} targets); RSS at start {started} KiB, \
         after one scrape {before} KiB, burst peak {peak} KiB, {} s later {after} KiB \
         = {grew:.2}× one scrape's ({:.2}× start's); {} of {RSS_BURST_CLIENTS} clients failed",
        say(binary),
        body_len as f64 / 1e6,
        RSS_SETTLE.as_secs(),
        after as f64 / started as f64,
        failures.into_inner()
    );
    let shown =
        format!("{:.1}→{:.1} MiB {grew:.2}×", before as f64 / 1024.0, after as f64 / 1024.0);
    Ok(match binary.libc {
        Libc::Musl => Cell::at_most(shown, grew, RSS_AFTER_VS_BEFORE),
        Libc::Glibc => Cell::beside(shown, grew, RSS_AFTER_VS_BEFORE),
    })
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}
