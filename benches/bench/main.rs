//! `make bench`: what the exporter costs, figure by figure, for the dynamic
//! glibc release binary and the static musl binary side by side, each
//! figure beside its target.
//!
//! The figures, in the order of the table at the end:
//!
//! 1. process CPU per `/metrics` scrape of two daytime targets, against a
//!    floor;
//! 2. process CPU per `/probe` of one daytime target, against a floor;
//! 3. the CPU each added target costs (1, 50 and 100 targets), beside a
//!    raw connect/read/close measured in the same rounds, and whether the
//!    50-target point lies on the line through the other two;
//! 4. system calls per scrape (`strace -f -c`), and `clone` calls per
//!    scrape at steady state;
//! 5. user-space instructions per scrape and per added target
//!    (`valgrind --tool=callgrind`);
//! 6. wall-clock p50 latency of a scrape against its floor;
//! 7. 100 targets that each answer after 50 ms, against one such target;
//! 8. threads after a scrape of 1,000 targets, against the bound that
//!    docs/limits.md states, and no thread started per scrape;
//! 9. 20 concurrent scrapes under a 128 MiB address-space limit, and the
//!    resident memory left 10 s after a burst of 2 MB scrapes, both with
//!    the shipped unit's `Environment=` (glibc's malloc settings);
//! 10. binary sizes;
//! 11. the cost a byte of finding the end of a counter reply that comes a
//!     byte a read, at 64 KiB against 4 KiB: linear, not quadratic (the
//!     library's code, so measured once);
//! 12. a 100-target scrape gzipped: its size against zlib level 1's on
//!     the same body (Python's `gzip.compress(body, 1)`), and the CPU of a
//!     gzipped scrape against a plain one, two exporters scraped in turn;
//! 13. the formats: instructions and CPU per `/metrics` scrape in protobuf
//!     against text 0.0.4; bytes on the wire of 2 and 100 targets in text,
//!     OpenMetrics and protobuf, plain and gzipped; and figure 12's gzip
//!     figures for the OpenMetrics and protobuf bodies.
//!
//! **The CPU floor** is what any exporter must spend to answer the same
//! scrape, measured in this run by this process on the thread doing the
//! work: per target, the client side of a connect, a read to the end and a
//! close to the same daytime service; one kept-alive HTTP round trip, the
//! server side of it (read a request, write an answer of the exporter's
//! body size) of a server that does nothing else; and, for `/metrics`,
//! reading `/proc/self/stat` and `/proc/self/status` and counting
//! `/proc/self/fd` once, which the process metrics need. Nothing in it
//! parses, formats or keeps a histogram, so no exporter reaches it; the
//! targets say how close it must come. The exporter's CPU is
//! `utime + stime` of `/proc/PID/stat` before and after thousands of
//! scrapes, divided by their count; the floor's is the measuring thread's
//! own run time (`/proc/thread-self/sched`, else `/proc/thread-self/stat`).
//! The exporter and its floor take turns in rounds of 100 ms, so that
//! the machine's other work weighs on both alike.
//!
//! Counts of system calls and instructions use two runs of different
//! length and divide the difference by the difference in scrapes, so that
//! start-up and shutdown cancel out.
//!
//! In the table, a figure's ratio is the figure divided by its target, so
//! at most 1 is met whatever the unit. Where a target is stated for the
//! musl build only (memory, size), the glibc figure is printed beside it
//! as `info`.
//!
//! Loopback only; ports come from port 0; counts and times are bounded;
//! every process started here is stopped. A missed target is printed, not
//! an error: the exit status is non-zero only when a figure could not be
//! measured at all. The static binary comes from `scripts/static.sh`
//! (`make bench` builds it), its path in `PROBE_EXPORTER_MUSL`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use probe_exporter::app::demo;
use probe_exporter::time::format;

// Shared with `make soak`, which uses parts this bench does not.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod figure;
mod floor;
// The tests' protobuf reader, written from `metrics.proto`, reads the
// protobuf answers here too.
#[allow(dead_code)]
#[path = "../../tests/it/support/protobuf_reader.rs"]
mod protobuf_reader;
mod requests;
mod table;
mod timing;

// The figures, a file each.
mod cpu_per_request;
mod formats;
mod gzip;
mod instructions;
mod latency;
mod marginal_cpu;
mod memory;
mod reply_end;
mod size;
mod slow_targets;
mod syscalls;
mod threads;

use figure::{Binary, Figure, Libc};
use support::scratch::Scratch;
use support::Result;
use table::{print_table, Cell, Row};
use timing::{clock_ticks_per_second, thread_cpu_source};

/// Every figure, in the order of the table. A new figure is a file of
/// its own that says what it measures (its `Figure`), and a line here.
/// Each file holds its counts and times: small enough that `make bench`
/// takes a few minutes on two cores, large enough that the clock tick
/// (10 ms) is a small error.
const FIGURES: &[Figure] = &[
    cpu_per_request::METRICS,
    cpu_per_request::PROBE,
    marginal_cpu::FIGURE,
    syscalls::FIGURE,
    instructions::FIGURE,
    latency::FIGURE,
    slow_targets::FIGURE,
    threads::FIGURE,
    memory::FIGURE,
    size::FIGURE,
    reply_end::FIGURE,
    gzip::FIGURE,
    formats::FIGURE,
];

/// Daytime services the many-target configurations are spread over, so
/// that no single accept queue overflows.
const FAST_SERVICES: usize = 4;
/// How long the slow daytime service (figure 7) waits before it answers.
const SLOW_ANSWER: Duration = Duration::from_millis(50);

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: some figure could not be measured (FAILED above)");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Measures every figure; returns whether every one could be measured.
fn run() -> Result<bool> {
    let glibc = Binary { libc: Libc::Glibc, path: env!("CARGO_BIN_EXE_probe_exporter").into() };
    let musl = musl_binary(&glibc.path);
    println!("probe_exporter benchmark: loopback only; the machine's other work adds noise");
    println!("  glibc: {} (release, dynamic)", glibc.path.display());
    match &musl {
        Ok(binary) => println!("  musl:  {} (static)", binary.path.display()),
        Err(why) => println!("  musl:  none, {why}; its column is skipped"),
    }
    let bench = Bench::start()?;
    println!(
        "  {} CPU clock ticks per second; floor CPU from {}",
        clock_ticks_per_second(),
        thread_cpu_source()
    );

    let chosen = chosen_figures()?;
    let mut rows = Vec::new();
    for (number, figure) in (1..).zip(FIGURES) {
        if !chosen.as_ref().is_none_or(|numbers| numbers.contains(&number)) {
            continue;
        }
        println!();
        println!("{}", figure.title);
        let glibc_cells = measure(figure, &bench, &glibc);
        let musl_cells = match &musl {
            Ok(binary) => measure(figure, &bench, binary),
            Err(why) => vec![Cell::Skipped(why.clone()); figure.rows.len()],
        };
        for ((heading, glibc), musl) in figure.rows.iter().zip(glibc_cells).zip(musl_cells) {
            rows.push(Row { heading, glibc, musl });
        }
    }
    print_table(&rows);
    Ok(!rows.iter().any(|row| row.glibc.failed() || row.musl.failed()))
}

/// The figures `BENCH_FIGURES` names by number (`6` or `1,3,5`), or
/// `None` for all of them.
fn chosen_figures() -> Result<Option<Vec<usize>>> {
    let Ok(list) = std::env::var("BENCH_FIGURES") else { return Ok(None) };
    if list.trim().is_empty() {
        return Ok(None);
    }
    let numbers = list
        .split(',')
        .map(|number| match number.trim().parse() {
            Ok(number) if (1..=FIGURES.len()).contains(&number) => Ok(number),
            _ => Err(format!("BENCH_FIGURES: `{number}` is not a figure (1 to {})", FIGURES.len())),
        })
        .collect::<std::result::Result<Vec<usize>, String>>()?;
    Ok(Some(numbers))
}

/// The figure's cells for one build; a figure that failed fills its rows
/// with the error.
fn measure(figure: &Figure, bench: &Bench, binary: &Binary) -> Vec<Cell> {
    let rows = figure.rows.len();
    match (figure.measure)(bench, binary) {
        Ok(cells) if cells.len() == rows => cells,
        Ok(cells) => vec![Cell::Failed(format!("{} cells for {rows} rows", cells.len())); rows],
        Err(err) => {
            println!("  {}: FAILED: {err}", binary.libc.name());
            vec![Cell::Failed(err.to_string()); rows]
        }
    }
}

/// The static musl binary: `PROBE_EXPORTER_MUSL` (set by `make bench`),
/// else where `scripts/static.sh` leaves it beside the release binary.
fn musl_binary(release: &Path) -> std::result::Result<Binary, String> {
    let path = match std::env::var_os("PROBE_EXPORTER_MUSL") {
        Some(path) if path.is_empty() => return Err("the static build failed".to_string()),
        Some(path) => PathBuf::from(path),
        None => release
            .parent()
            .and_then(Path::parent)
            .map(|target_dir| target_dir.join("x86_64-unknown-linux-musl/static/probe_exporter"))
            .ok_or("no target directory")?,
    };
    if path.is_file() {
        Ok(Binary { libc: Libc::Musl, path })
    } else {
        Err(format!("{} is not built (make static)", path.display()))
    }
}

/// What every figure shares: the services probed, a scratch directory for
/// configuration files and tool output.
struct Bench {
    fast: Vec<SocketAddr>,
    slow: SocketAddr,
    scratch: Scratch,
}

impl Bench {
    fn start() -> Result<Bench> {
        let fast = (0..FAST_SERVICES)
            .map(|_| spawn_service(demo::spawn_daytime))
            .collect::<Result<Vec<_>>>()?;
        let slow = spawn_slow_daytime()?;
        Ok(Bench { fast, slow, scratch: Scratch::create("bench")? })
    }

    /// `count` targets over the fast daytime services, in turn.
    fn fast_targets(&self, count: usize) -> Vec<SocketAddr> {
        self.fast.iter().copied().cycle().take(count).collect()
    }

    /// A configuration file naming `targets` `t0`, `t1`, ..., with `extra`
    /// appended.
    fn config(&self, name: &str, targets: &[SocketAddr], extra: &str) -> Result<PathBuf> {
        let mut text = String::new();
        for (i, address) in targets.iter().enumerate() {
            writeln!(text, "[target t{i}]\nkind = daytime\naddress = {address}\n")?;
        }
        text.push_str(extra);
        self.scratch.write(&format!("{name}.conf"), &text)
    }
}

/// Starts an in-process service on a fresh loopback port. Its thread ends
/// with this process.
fn spawn_service(spawn: fn(TcpListener) -> io::Result<JoinHandle<()>>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    spawn(listener)?;
    Ok(addr)
}

/// A daytime service that answers each connection `SLOW_ANSWER` after
/// accepting it. Every connection waits the same time, so they fall due in
/// the order they came: one thread accepts, another answers in that
/// order, and the service costs two threads however many wait, leaving the
/// machine to the exporter. Both end with this process.
fn spawn_slow_daytime() -> Result<SocketAddr> {
    spawn_service(|listener| {
        let (waiting_tx, waiting) = mpsc::channel::<(TcpStream, Instant)>();
        thread::Builder::new().name("slow daytime answers".to_string()).spawn(move || {
            for (mut stream, accepted) in waiting {
                thread::sleep(SLOW_ANSWER.saturating_sub(accepted.elapsed()));
                let line = format!("{}\r\n", format::format_ctime(SystemTime::now()));
                let _ = stream.write_all(line.as_bytes());
            }
        })?;
        thread::Builder::new().name("slow daytime".to_string()).spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = waiting_tx.send((stream, Instant::now()));
            }
        })
    })
}
