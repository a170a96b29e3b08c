//! Figure 4: system calls per scrape, under strace.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::figure::{say, Binary, Figure, Heading, Limit};
use crate::support::http_client::Client;
use crate::support::process::Wrapper;
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "4. system calls per /metrics scrape, 2 targets (strace -f -c, difference of two runs)",
    rows: &[
        Heading { name: "4 syscalls per scrape", target: "≤25" },
        Heading { name: "4 clone calls, long run − short", target: "≤0" },
    ],
    measure: figure_syscalls,
};

/// Scrapes of the two runs whose difference counts system calls.
const STRACE_SCRAPES: [usize; 2] = [100, 500];
const SYSCALLS_PER_SCRAPE: Limit = Limit::both(25.0);

fn figure_syscalls(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let targets = bench.fast_targets(2);
    let config = bench.config("strace", &targets, "")?;
    let [short, long] = STRACE_SCRAPES;
    let fewer = strace_counts(bench, binary, &config, short)?;
    let more = strace_counts(bench, binary, &config, long)?;
    let calls = |counts: &BTreeMap<String, u64>, name: &str| counts.get(name).copied().unwrap_or(0);
    let per_scrape: BTreeMap<&str, f64> = fewer
        .keys()
        .chain(more.keys())
        .map(|name| {
            let added = calls(&more, name) as f64 - calls(&fewer, name) as f64;
            (name.as_str(), added / (long - short) as f64)
        })
        .collect();
    let total: f64 = per_scrape.values().sum();
    let mut top: Vec<_> = per_scrape.iter().filter(|(_, &calls)| calls >= 0.05).collect();
    top.sort_by(|a, b| b.1.total_cmp(a.1));
    let top: Vec<String> =
        top.iter().take(10).map(|(name, calls)| format!("{name} {calls:.1}")).collect();
    println!(
        "{} {total:.1} calls per scrape ({long} − {short} scrapes); top: {}",
        say(binary),
        top.join(", ")
    );
    // Threads are started as scrapes first need them, so the two runs may
    // differ by one either way; what must not be is more for more scrapes.
    let clones = |counts: &BTreeMap<String, u64>| calls(counts, "clone") + calls(counts, "clone3");
    let (short_clones, long_clones) = (clones(&fewer), clones(&more));
    let added_clones = long_clones as i64 - short_clones as i64;
    println!(
        "{} clone/clone3 calls: {short_clones} in the run of {short} scrapes, {long_clones} in that of {long}",
        say(binary)
    );
    Ok(vec![
        Cell::at_most(format!("{total:.1}"), total, SYSCALLS_PER_SCRAPE.of(binary.libc)),
        Cell::yes_no(format!("{added_clones:+} in {} more", long - short), added_clones <= 0),
    ])
}

/// Calls by system call name of an exporter run under `strace -f -c` that
/// answered `scrapes` scrapes on one connection, then stopped on SIGTERM.
fn strace_counts(
    bench: &Bench,
    binary: &Binary,
    config: &Path,
    scrapes: usize,
) -> Result<BTreeMap<String, u64>> {
    let out = bench.scratch.file(&format!("strace-{}-{scrapes}.txt", binary.libc.name()));
    let exporter = binary.exporter(config).under(Wrapper::Strace(&out)).start()?;
    let mut client = Client::connect(exporter.addr)?;
    for _ in 0..scrapes {
        client.scrape("/metrics", 2)?;
    }
    drop(client);
    let status = exporter.stop()?;
    if !status.success() {
        return Err(format!("the exporter under strace exited with {status}").into());
    }
    parse_strace_summary(&fs::read_to_string(&out)?)
}

/// The `calls` column of `strace -c`'s table, by system call.
fn parse_strace_summary(summary: &str) -> Result<BTreeMap<String, u64>> {
    let mut calls = BTreeMap::new();
    for line in summary.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors,] syscall
        let (Some(name), Some(count)) = (fields.last(), fields.get(3)) else { continue };
        if fields.len() < 5 || *name == "total" {
            continue;
        }
        if let (Ok(_), Ok(count)) = (fields[0].parse::<f64>(), count.parse::<u64>()) {
            calls.insert(name.to_string(), count);
        }
    }
    if calls.is_empty() {
        return Err(format!("no strace -c table in {summary:?}").into());
    }
    Ok(calls)
}
