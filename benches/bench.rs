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
//!    ARCHITECTURE.md states, and no thread started per scrape;
//! 9. 20 concurrent scrapes under a 128 MiB address-space limit, and the
//!    resident memory left 10 s after a burst of 2 MB scrapes, both with
//!    the shipped unit's `Environment=` (glibc's malloc settings);
//! 10. binary sizes;
//! 11. the cost a byte of finding the end of a counter reply that comes a
//!     byte a read, at 64 KiB against 4 KiB: linear, not quadratic (the
//!     library's code, so measured once).
//! 12. a 100-target scrape gzipped: its size against zlib level 1's on
//!     the same body (Python's `gzip.compress(body, 1)`), and the CPU of a
//!     gzipped scrape against a plain one, two exporters scraped in turn.
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

use std::collections::{BTreeMap, VecDeque};
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use probe_exporter::app::demo;
use probe_exporter::json::{self, ValueEnd};
use probe_exporter::time::format;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

// ---------------------------------------------------------------------------
// Counts and times: small enough that `make bench` takes a few minutes on
// two cores, large enough that the clock tick (10 ms) is a small error.

/// Every read, connect and wait for an exporter gives up after this long.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Under valgrind the exporter starts and stops tens of times slower.
const VALGRIND_TIMEOUT: Duration = Duration::from_secs(90);
/// Requests before any measurement: pools, buffers and caches fill first.
const WARM_UP: usize = 50;
/// A CPU figure takes turns: `CPU_ROUNDS` rounds in which each exporter
/// (and then the floor) runs `CPU_ROUND`, 2 s of requests in all per
/// exporter, thousands of them.
const CPU_ROUNDS: usize = 20;
/// The `Environment=` of `dist/probe_exporter.service`, under which the
/// memory figures run.
const UNIT_ENVIRONMENT: &[(&str, &str)] =
    &[("MALLOC_ARENA_MAX", "2"), ("MALLOC_MMAP_THRESHOLD_", "131072")];
/// Raw probes per round for the per-target floor of figure 3.
const FLOOR_PROBES_PER_ROUND: usize = 200;
const CPU_ROUND: Duration = Duration::from_millis(100);
const LATENCY_SAMPLES: usize = 2000;
/// Scrapes of the two runs whose difference counts system calls.
const STRACE_SCRAPES: [usize; 2] = [100, 500];
/// Scrapes of the two callgrind runs, and the target counts compared.
const CALLGRIND_SCRAPES: [usize; 2] = [50, 250];
const CALLGRIND_TARGETS: [usize; 2] = [2, 12];
/// Target counts of the marginal-CPU figure: the line, and its check.
const MARGINAL_TARGETS: [usize; 3] = [1, 50, 100];
const SLOW_ANSWER: Duration = Duration::from_millis(50);
const SLOW_TARGETS: usize = 100;
const SLOW_SCRAPES: usize = 5;
const THREAD_TARGETS: usize = 1000;
const STEADY_SCRAPES: usize = 20;
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
/// Daytime services the many-target configurations are spread over, so
/// that no single accept queue overflows.
const FAST_SERVICES: usize = 4;
/// Runs of figure 11; the fastest counts, as the least disturbed.
const REPLY_END_RUNS: usize = 200;

// ---------------------------------------------------------------------------
// The targets.

/// A target that differs between the two builds.
struct Limit {
    glibc: f64,
    musl: f64,
}

impl Limit {
    const fn both(value: f64) -> Limit {
        Limit { glibc: value, musl: value }
    }

    fn of(&self, libc: Libc) -> f64 {
        match libc {
            Libc::Glibc => self.glibc,
            Libc::Musl => self.musl,
        }
    }
}

const METRICS_CPU_VS_FLOOR: Limit = Limit { glibc: 1.5, musl: 2.0 };
const PROBE_CPU_VS_FLOOR: Limit = Limit { glibc: 1.3, musl: 1.6 };
const MARGINAL_CPU_MICROS: Limit = Limit { glibc: 15.0, musl: 20.0 };
/// How far the 50-target point's added cost may be from the line's.
const LINEARITY: f64 = 0.25;
const SYSCALLS_PER_SCRAPE: Limit = Limit::both(25.0);
const INSTRUCTIONS_PER_SCRAPE: Limit = Limit::both(120_000.0);
const INSTRUCTIONS_PER_TARGET: Limit = Limit::both(25_000.0);
const LATENCY_VS_FLOOR: Limit = Limit::both(1.3);
const SLOW_VS_ONE: Limit = Limit::both(1.2);
/// Used when ARCHITECTURE.md's sentence cannot be read.
const DEFAULT_THREAD_BOUND: usize = 453;
const RSS_AFTER_VS_BEFORE: f64 = 2.0;
const MAX_MUSL_BYTES: u64 = 737_576;

// ---------------------------------------------------------------------------
// The run: every figure for both builds, then the table.

#[derive(Clone, Copy, PartialEq)]
enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }
}

/// A binary to measure.
struct Binary {
    libc: Libc,
    path: PathBuf,
}

/// A figure: the rows it fills in the table, and how it measures them for
/// one build. `measure` returns one cell per row.
struct Figure {
    title: &'static str,
    rows: &'static [Heading],
    measure: fn(&Bench, &Binary) -> Result<Vec<Cell>>,
}

/// A row's name and target, as the table prints them.
struct Heading {
    name: &'static str,
    target: &'static str,
}

const FIGURES: &[Figure] = &[
    Figure {
        title: "1. process CPU per /metrics scrape, 2 daytime targets, one kept-alive connection",
        rows: &[Heading {
            name: "1 CPU per /metrics, 2 targets", target: "≤1.5× / ≤2.0× floor"
        }],
        measure: figure_metrics_cpu,
    },
    Figure {
        title: "2. process CPU per /probe of one daytime target",
        rows: &[Heading { name: "2 CPU per /probe", target: "≤1.3× / ≤1.6× floor" }],
        measure: figure_probe_cpu,
    },
    Figure {
        title: "3. CPU per added target: /metrics with 1, 50 and 100 targets",
        rows: &[
            Heading { name: "3 CPU per added target", target: "≤15 / ≤20 µs" },
            Heading { name: "3 50 targets on the 1–100 line", target: "within 25%" },
        ],
        measure: figure_marginal_cpu,
    },
    Figure {
        title:
            "4. system calls per /metrics scrape, 2 targets (strace -f -c, difference of two runs)",
        rows: &[
            Heading { name: "4 syscalls per scrape", target: "≤25" },
            Heading { name: "4 clone calls, long run − short", target: "≤0" },
        ],
        measure: figure_syscalls,
    },
    Figure {
        title: "5. user-space instructions (valgrind --tool=callgrind, difference of two runs)",
        rows: &[
            Heading { name: "5 instructions per scrape, 2 targets", target: "≤120 k" },
            Heading { name: "5 instructions per added target", target: "≤25 k" },
        ],
        measure: figure_instructions,
    },
    Figure {
        title: "6. wall-clock p50 of /metrics, 2 targets, against raw HTTP + slower raw probe",
        rows: &[Heading { name: "6 p50 latency of /metrics", target: "≤1.3× floor" }],
        measure: figure_latency,
    },
    Figure {
        title: "7. 100 targets that each answer after 50 ms, against one such target",
        rows: &[Heading { name: "7 100 slow targets vs 1", target: "≤1.2×" }],
        measure: figure_slow_targets,
    },
    Figure {
        title: "8. threads: a scrape of 1,000 targets, then 20 more",
        rows: &[
            Heading { name: "8 threads after 1,000 targets", target: "≤ARCHITECTURE.md bound" },
            Heading { name: "8 threads started per scrape", target: "none" },
        ],
        measure: figure_threads,
    },
    Figure {
        title: "9. memory: 128 MiB address space; RSS 10 s after a burst of ~2 MB scrapes",
        rows: &[
            Heading {
                name: "9 20×50-target scrapes, 128 MiB AS", target: "all 200, alive (musl)"
            },
            Heading { name: "9 RSS after burst / before", target: "≤2× (musl)" },
        ],
        measure: figure_memory,
    },
    Figure {
        title: "10. binary size",
        rows: &[Heading { name: "10 binary size", target: "≤737,576 B (musl)" }],
        measure: figure_size,
    },
    Figure {
        title: "11. the end of a counter reply a byte a read (json::ValueEnd): 64 KiB vs 4 KiB",
        rows: &[Heading { name: "11 reply end, per byte, 64 vs 4 KiB", target: "≤1.5×" }],
        measure: figure_reply_end,
    },
    Figure {
        title: "12. gzip of a 100-target scrape: size against zlib level 1, CPU against plain",
        rows: &[
            Heading { name: "12 gzip size / zlib -1, 100 targets", target: "≤1.15×" },
            Heading { name: "12 CPU gzipped / plain, 100 targets", target: "≤1.25×" },
        ],
        measure: figure_gzip,
    },
];

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
        Ok(Bench { fast, slow, scratch: Scratch::create()? })
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
        let path = self.scratch.file(&format!("{name}.conf"));
        fs::write(&path, text)?;
        Ok(path)
    }
}

/// A directory of this run's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("probe-exporter-bench-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// The table.

/// One build's figure in a row.
#[derive(Clone)]
enum Cell {
    Measured {
        shown: String,
        /// The figure divided by its target: at most 1 is met.
        ratio: Option<f64>,
        /// Whether the target was met; `None` where it does not apply to
        /// this build (the figure is printed for comparison).
        met: Option<bool>,
    },
    Skipped(String),
    Failed(String),
}

impl Cell {
    /// A figure held to "at most `limit`".
    fn at_most(shown: String, value: f64, limit: f64) -> Cell {
        Cell::Measured { shown, ratio: Some(value / limit), met: Some(value <= limit) }
    }

    /// A figure shown beside a target that does not apply to this build.
    fn beside(shown: String, value: f64, limit: f64) -> Cell {
        Cell::Measured { shown, ratio: Some(value / limit), met: None }
    }

    /// A figure whose target is a yes or no.
    fn yes_no(shown: String, met: bool) -> Cell {
        Cell::Measured { shown, ratio: None, met: Some(met) }
    }

    fn shown(shown: String) -> Cell {
        Cell::Measured { shown, ratio: None, met: None }
    }

    fn failed(&self) -> bool {
        matches!(self, Cell::Failed(_))
    }

    fn value(&self) -> String {
        match self {
            Cell::Measured { shown, .. } => shown.clone(),
            Cell::Skipped(_) => "skipped".to_string(),
            Cell::Failed(_) => "FAILED".to_string(),
        }
    }

    fn ratio(&self) -> String {
        match self {
            Cell::Measured { ratio: Some(ratio), .. } => format!("{ratio:.2}"),
            _ => "-".to_string(),
        }
    }

    fn verdict(&self) -> &'static str {
        match self {
            Cell::Measured { met: Some(true), .. } => "ok",
            Cell::Measured { met: Some(false), .. } => "MISSED",
            Cell::Measured { met: None, .. } => "info",
            Cell::Skipped(_) => "-",
            Cell::Failed(_) => "FAILED",
        }
    }
}

struct Row {
    heading: &'static Heading,
    glibc: Cell,
    musl: Cell,
}

fn print_table(rows: &[Row]) {
    println!();
    println!("summary: ratio = figure ÷ target, ok when ≤ 1; targets are glibc / musl where two");
    println!(
        "{:<36} {:>24} {:>24}  {:<24} {:>11}  verdict g / m",
        "figure", "glibc", "musl", "target", "ratio g/m"
    );
    for Row { heading, glibc, musl } in rows {
        println!(
            "{:<36} {:>24} {:>24}  {:<24} {:>11}  {} / {}",
            heading.name,
            glibc.value(),
            musl.value(),
            heading.target,
            format!("{} / {}", glibc.ratio(), musl.ratio()),
            glibc.verdict(),
            musl.verdict()
        );
    }
    let missed = rows
        .iter()
        .flat_map(|row| [&row.glibc, &row.musl])
        .filter(|cell| cell.verdict() == "MISSED")
        .count();
    let met = rows.iter().flat_map(|row| [&row.glibc, &row.musl]).filter(|c| c.verdict() == "ok");
    println!("{} targets met, {missed} missed", met.count());
    for row in rows {
        for (libc, cell) in [(Libc::Glibc, &row.glibc), (Libc::Musl, &row.musl)] {
            match cell {
                Cell::Failed(why) => {
                    println!("  {} {}: FAILED: {why}", row.heading.name, libc.name())
                }
                Cell::Skipped(why) if libc == Libc::Glibc => {
                    println!("  {} {}: skipped: {why}", row.heading.name, libc.name())
                }
                _ => {}
            }
        }
    }
}

/// The prefix of a figure's detail lines.
fn say(binary: &Binary) -> String {
    format!("  {:<5}", binary.libc.name())
}

// ---------------------------------------------------------------------------
// 1 and 2: process CPU per scrape, against the floor.
//
// The exporter and the floor take turns, `CPU_ROUNDS` rounds of
// `CPU_ROUND` each, so that whatever else the machine does falls on both
// alike; the exporter is idle while the floor runs.

fn figure_metrics_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let targets = bench.fast_targets(2);
    let config = bench.config("metrics-2", &targets, "")?;
    let exporter = Exporter::start(&binary.path, &config, &[])?;
    let mut meter = CpuMeter::start(&exporter, Check::Metrics(targets.len()))?;
    let mut floor = FloorMeter::start(&targets, meter.body_len, true)?;
    take_turns(&mut meter, &mut floor)?;
    let (cpu, scrapes) = meter.per_request()?;
    let floor = floor.per_scrape()?;
    let vs_floor = ratio(cpu, floor.total());
    println!(
        "{} {scrapes} scrapes: {:.1} µs per scrape = {vs_floor:.2}× floor",
        say(binary),
        us(cpu)
    );
    println!("{}   floor {}", say(binary), floor);
    let shown = format!("{:.1} µs = {vs_floor:.2}× fl", us(cpu));
    Ok(vec![Cell::at_most(shown, vs_floor, METRICS_CPU_VS_FLOOR.of(binary.libc))])
}

fn figure_probe_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let target = bench.fast[0];
    let config = bench.config("probe", &[], "[probe]\nallow = 127.0.0.1/32\n")?;
    let exporter = Exporter::start(&binary.path, &config, &[])?;
    let path = format!("/probe?target={target}&module=daytime");
    let mut meter = CpuMeter::start(&exporter, Check::Probe(path))?;
    let mut floor = FloorMeter::start(&[target], meter.body_len, false)?;
    take_turns(&mut meter, &mut floor)?;
    let (cpu, probes) = meter.per_request()?;
    let floor = floor.per_scrape()?;
    let vs_floor = ratio(cpu, floor.total());
    println!("{} {probes} probes: {:.1} µs per probe = {vs_floor:.2}× floor", say(binary), us(cpu));
    println!("{}   floor {}", say(binary), floor);
    let shown = format!("{:.1} µs = {vs_floor:.2}× fl", us(cpu));
    Ok(vec![Cell::at_most(shown, vs_floor, PROBE_CPU_VS_FLOOR.of(binary.libc))])
}

/// `CPU_ROUNDS` rounds: the exporter for `CPU_ROUND`, then the floor as
/// many times as the exporter answered.
fn take_turns(meter: &mut CpuMeter, floor: &mut FloorMeter) -> Result<()> {
    for _ in 0..CPU_ROUNDS {
        let answered = meter.run_for(CPU_ROUND)?;
        floor.run(answered)?;
    }
    Ok(())
}

/// The request a CPU figure repeats, and what its answer must hold.
enum Check {
    /// `/metrics`, every one of this many targets probed successfully.
    Metrics(usize),
    /// This `/probe` path, successfully.
    Probe(String),
}

impl Client {
    fn check(&mut self, check: &Check) -> Result<usize> {
        match check {
            Check::Metrics(targets) => Ok(self.scrape("/metrics", *targets)?.len()),
            Check::Probe(path) => Ok(self.probe(path)?.len()),
        }
    }
}

/// Sequential requests to one exporter on one kept-alive connection, and
/// the exporter's CPU (all its threads, `/proc/PID/stat`) since the first.
struct CpuMeter<'a> {
    exporter: &'a Exporter,
    client: Client,
    check: Check,
    body_len: usize,
    cpu_before: Duration,
    requests: usize,
}

impl CpuMeter<'_> {
    /// Connects and warms up; the CPU counts from here.
    fn start(exporter: &Exporter, check: Check) -> Result<CpuMeter<'_>> {
        let mut client = Client::connect(exporter.addr)?;
        let mut body_len = 0;
        for _ in 0..WARM_UP {
            body_len = client.check(&check)?;
        }
        let cpu_before = process_cpu(exporter.pid)?;
        Ok(CpuMeter { exporter, client, check, body_len, cpu_before, requests: 0 })
    }

    /// Requests for `duration`; returns how many.
    fn run_for(&mut self, duration: Duration) -> Result<usize> {
        let start = Instant::now();
        let mut count = 0;
        while start.elapsed() < duration {
            self.client.check(&self.check)?;
            count += 1;
        }
        self.requests += count;
        Ok(count)
    }

    /// The exporter's CPU per request so far, and the requests.
    fn per_request(&self) -> Result<(Duration, usize)> {
        let used = process_cpu(self.exporter.pid)?.saturating_sub(self.cpu_before);
        Ok((used / self.requests.max(1) as u32, self.requests))
    }
}

/// The floor's parts, each run the same number of times, each timed by
/// the CPU of the thread that does it.
struct FloorMeter {
    targets: Vec<SocketAddr>,
    connect_cpu: Vec<Duration>,
    http_server: MinimalHttpServer,
    http_client: Client,
    body_len: usize,
    own_process_cpu: Option<Duration>,
    runs: usize,
}

impl FloorMeter {
    /// The floor of a scrape of `targets` with a body of `body_len`
    /// bytes; `own_process` when the scrape reads the process metrics.
    fn start(targets: &[SocketAddr], body_len: usize, own_process: bool) -> Result<FloorMeter> {
        let http_server = MinimalHttpServer::start(body_len)?;
        let mut http_client = Client::connect(http_server.addr)?;
        for _ in 0..WARM_UP {
            http_client.get_ok("/metrics")?;
            for &target in targets {
                read_daytime(target)?;
            }
        }
        Ok(FloorMeter {
            targets: targets.to_vec(),
            connect_cpu: vec![Duration::ZERO; targets.len()],
            http_server,
            http_client,
            body_len,
            own_process_cpu: own_process.then_some(Duration::ZERO),
            runs: 0,
        })
    }

    /// Every part, `runs` times over.
    fn run(&mut self, runs: usize) -> Result<()> {
        for (target, cpu) in self.targets.iter().zip(&mut self.connect_cpu) {
            *cpu += thread_cpu_of(runs, || read_daytime(*target))?;
        }
        for _ in 0..runs {
            self.http_client.get_ok("/metrics")?;
        }
        if let Some(cpu) = &mut self.own_process_cpu {
            *cpu += thread_cpu_of(runs, read_own_process_files)?;
        }
        self.runs += runs;
        Ok(())
    }

    /// Each part per run; the HTTP server's from its own thread, which
    /// counts the warm-up requests too.
    fn per_scrape(self) -> Result<Floor> {
        let runs = self.runs.max(1) as u32;
        drop(self.http_client);
        Ok(Floor {
            connects: self.connect_cpu.iter().map(|cpu| *cpu / runs).collect(),
            http: self.http_server.cpu_per_request()?,
            body_len: self.body_len,
            own_process: self.own_process_cpu.map(|cpu| cpu / runs),
        })
    }
}

/// The CPU this thread used for `runs` runs of `operation`.
fn thread_cpu_of(runs: usize, mut operation: impl FnMut() -> Result<()>) -> Result<Duration> {
    let before = thread_cpu()?;
    for _ in 0..runs {
        operation()?;
    }
    Ok(thread_cpu()?.saturating_sub(before))
}

/// The least CPU a scrape can cost, by its parts.
struct Floor {
    /// One connect, read to the end and close per target, client side.
    connects: Vec<Duration>,
    /// Reading a request and writing a body of the same size, server side.
    http: Duration,
    body_len: usize,
    /// Reading what the process metrics come from; `/metrics` only.
    own_process: Option<Duration>,
}

impl Floor {
    fn total(&self) -> Duration {
        self.connects.iter().sum::<Duration>() + self.http + self.own_process.unwrap_or_default()
    }
}

impl std::fmt::Display for Floor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} µs = connect/read/close", us(self.total()))?;
        for connect in &self.connects {
            write!(f, " {:.1}", us(*connect))?;
        }
        write!(f, " + HTTP round trip ({} B body) {:.1}", self.body_len, us(self.http))?;
        if let Some(own) = self.own_process {
            write!(f, " + /proc/self stat, status, fd {:.1}", us(own))?;
        }
        write!(f, " µs")
    }
}

/// What a probe of a daytime service does at least: connect, read the
/// whole answer, close. The connect is a blocking one, the cheapest (an
/// exporter needs a timeout on it, which costs more system calls); the
/// read has a timeout, one `setsockopt`, so that the bench cannot hang.
fn read_daytime(addr: SocketAddr) -> Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut answer = Vec::with_capacity(64);
    stream.read_to_end(&mut answer)?;
    if answer.ends_with(b"\r\n") {
        Ok(())
    } else {
        Err(format!("daytime answer without CRLF: {answer:?}").into())
    }
}

/// A thread that waits to read a daytime answer, so that two raw probes
/// can run at once the way a scrape runs them: one on the calling thread,
/// one handed over. It ends when dropped.
struct RawProber {
    jobs: mpsc::Sender<SocketAddr>,
    done: mpsc::Receiver<std::result::Result<(), String>>,
}

impl RawProber {
    fn start() -> Result<RawProber> {
        let (jobs, next_job) = mpsc::channel::<SocketAddr>();
        let (report, done) = mpsc::channel();
        thread::Builder::new().name("raw-prober".into()).spawn(move || {
            for addr in next_job {
                let _ = report.send(read_daytime(addr).map_err(|err| err.to_string()));
            }
        })?;
        Ok(RawProber { jobs, done })
    }

    /// Reads `handed` on the waiting thread and `own` on this one. After
    /// an error a late answer may stay queued; an error ends the figure,
    /// so no later call reads it.
    fn read_both(&self, own: SocketAddr, handed: SocketAddr) -> Result<()> {
        self.jobs.send(handed).map_err(|_| "the raw prober ended")?;
        read_daytime(own)?;
        self.done.recv_timeout(IO_TIMEOUT)??;
        Ok(())
    }
}

/// What the process metrics of a scrape must read at least.
fn read_own_process_files() -> Result<()> {
    black_box(fs::read("/proc/self/stat")?);
    black_box(fs::read("/proc/self/status")?);
    black_box(fs::read_dir("/proc/self/fd")?.count());
    Ok(())
}

/// An HTTP server that does the least: on its one connection it reads
/// each request head and answers it with the same prepared response. Its
/// thread measures its own CPU from accept to the client's close.
struct MinimalHttpServer {
    addr: SocketAddr,
    served: JoinHandle<std::result::Result<(Duration, usize), String>>,
}

impl MinimalHttpServer {
    fn start(body_len: usize) -> Result<MinimalHttpServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
             Content-Length: {body_len}\r\n\r\n"
        )
        .into_bytes();
        response.resize(response.len() + body_len, b'x');
        let served = thread::Builder::new().name("minimal http".to_string()).spawn(move || {
            let (stream, _) = listener.accept().map_err(|err| err.to_string())?;
            serve_minimally(stream, &response).map_err(|err| err.to_string())
        })?;
        Ok(MinimalHttpServer { addr, served })
    }

    /// After the client has closed: the server's CPU per request.
    fn cpu_per_request(self) -> Result<Duration> {
        let (used, served) = self.served.join().map_err(|_| "minimal HTTP server panicked")??;
        Ok(used / served.max(1) as u32)
    }
}

/// Answers every request head on `stream` with `response` until EOF;
/// returns this thread's CPU meanwhile and the requests answered.
fn serve_minimally(mut stream: TcpStream, response: &[u8]) -> Result<(Duration, usize)> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let start = thread_cpu()?;
    let mut buffer = vec![0; 4096];
    let (mut have, mut served) = (0, 0);
    loop {
        let read = stream.read(&mut buffer[have..])?;
        if read == 0 {
            break;
        }
        have += read;
        while let Some(at) = find(&buffer[..have], b"\r\n\r\n") {
            stream.write_all(response)?;
            served += 1;
            buffer.copy_within(at + 4..have, 0);
            have -= at + 4;
        }
        if have == buffer.len() {
            return Err("request head larger than 4 KiB".into());
        }
    }
    let used = thread_cpu()?.saturating_sub(start);
    Ok((used, served))
}

// ---------------------------------------------------------------------------
// 3: the CPU of each added target.

/// Three exporters, with 1, 50 and 100 targets, scraped in turn for
/// `CPU_ROUNDS` rounds, so that the machine's other work falls on all
/// three alike.
fn figure_marginal_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let exporters = MARGINAL_TARGETS
        .iter()
        .map(|&count| {
            let config =
                bench.config(&format!("marginal-{count}"), &bench.fast_targets(count), "")?;
            Exporter::start(&binary.path, &config, &[])
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meters = exporters
        .iter()
        .zip(MARGINAL_TARGETS)
        .map(|(exporter, count)| CpuMeter::start(exporter, Check::Metrics(count)))
        .collect::<Result<Vec<_>>>()?;
    // The floor of one more target, in the same rounds: a raw connect,
    // read and close to the same services.
    let floor_targets = bench.fast_targets(FLOOR_PROBES_PER_ROUND);
    let mut floor_cpu = Duration::ZERO;
    for _ in 0..CPU_ROUNDS {
        for meter in &mut meters {
            meter.run_for(CPU_ROUND)?;
        }
        let mut next = floor_targets.iter().cycle();
        floor_cpu += thread_cpu_of(FLOOR_PROBES_PER_ROUND, || {
            read_daytime(*next.next().expect("the bench starts fast services"))
        })?;
    }
    let floor_per_target = us(floor_cpu / (CPU_ROUNDS * FLOOR_PROBES_PER_ROUND) as u32);
    let mut cpu = Vec::new();
    for (meter, count) in meters.iter().zip(MARGINAL_TARGETS) {
        let (per_scrape, scrapes) = meter.per_request()?;
        println!(
            "{} {count:>3} targets: {:>7.1} µs per scrape ({scrapes} scrapes)",
            say(binary),
            us(per_scrape)
        );
        cpu.push(us(per_scrape));
    }
    let [first, middle, last] = MARGINAL_TARGETS.map(|count| count as f64);
    let per_target = (cpu[2] - cpu[0]) / (last - first);
    // The 49 targets added from 1 to 50 against what the line says they cost.
    let on_line = (cpu[1] - cpu[0]) / (per_target * (middle - first));
    let off_line = (on_line - 1.0).abs();
    println!(
        "{} {per_target:.2} µs per added target = {:.2}× a raw connect/read/close ({floor_per_target:.2} µs); 1→50 costs {on_line:.2}× the line's",
        say(binary),
        per_target / floor_per_target
    );
    Ok(vec![
        Cell::at_most(
            format!("{per_target:.2} µs"),
            per_target,
            MARGINAL_CPU_MICROS.of(binary.libc),
        ),
        Cell::at_most(format!("{on_line:.2}× the line"), off_line, LINEARITY),
    ])
}

// ---------------------------------------------------------------------------
// 4: system calls per scrape, under strace.

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
    let exporter =
        Exporter::start_under(Wrapper::Strace(&out), &binary.path, config, &[], IO_TIMEOUT)?;
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

// ---------------------------------------------------------------------------
// 5: instructions per scrape, under callgrind.

fn figure_instructions(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    match instructions(bench, binary) {
        Ok(cells) => Ok(cells),
        // valgrind on a static musl binary may not work; glibc is the figure.
        Err(err) if binary.libc == Libc::Musl => {
            println!("{} valgrind did not measure it: {err}", say(binary));
            Ok(vec![Cell::shown("n/a (valgrind)".to_string()); 2])
        }
        Err(err) => Err(err),
    }
}

fn instructions(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let [few_targets, more_targets] = CALLGRIND_TARGETS;
    let few = instructions_per_scrape(bench, binary, few_targets)?;
    let more = instructions_per_scrape(bench, binary, more_targets)?;
    let per_target = (more - few) / (more_targets - few_targets) as f64;
    for (targets, per_scrape) in [(few_targets, few), (more_targets, more)] {
        println!(
            "{} {targets:>2} targets: {:.1} k instructions per scrape",
            say(binary),
            per_scrape / 1e3
        );
    }
    println!("{} {:.1} k per added target", say(binary), per_target / 1e3);
    Ok(vec![
        Cell::at_most(format!("{:.1} k", few / 1e3), few, INSTRUCTIONS_PER_SCRAPE.of(binary.libc)),
        Cell::at_most(
            format!("{:.1} k", per_target / 1e3),
            per_target,
            INSTRUCTIONS_PER_TARGET.of(binary.libc),
        ),
    ])
}

/// Instructions per scrape of `targets` targets: the difference of two
/// callgrind runs over the difference of their scrapes.
fn instructions_per_scrape(bench: &Bench, binary: &Binary, targets: usize) -> Result<f64> {
    let addresses = bench.fast_targets(targets);
    let config = bench.config(&format!("callgrind-{targets}"), &addresses, "")?;
    let [short, long] = CALLGRIND_SCRAPES;
    let mut totals = Vec::new();
    for scrapes in [short, long] {
        let name = format!("callgrind-{}-{targets}-{scrapes}.out", binary.libc.name());
        let out = bench.scratch.file(&name);
        let exporter = Exporter::start_under(
            Wrapper::Callgrind(&out),
            &binary.path,
            &config,
            &[],
            VALGRIND_TIMEOUT,
        )?;
        let mut client = Client::connect(exporter.addr)?;
        client.stream.set_read_timeout(Some(VALGRIND_TIMEOUT))?;
        for _ in 0..scrapes {
            client.scrape("/metrics", targets)?;
        }
        drop(client);
        let status = exporter.stop()?;
        if !status.success() {
            return Err(format!("the exporter under valgrind exited with {status}").into());
        }
        totals.push(callgrind_total(&fs::read_to_string(&out)?)?);
    }
    Ok((totals[1] as f64 - totals[0] as f64) / (long - short) as f64)
}

/// The instruction count of a callgrind output file.
fn callgrind_total(out: &str) -> Result<u64> {
    out.lines()
        .find_map(|line| line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")))
        .and_then(|count| count.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no summary: line in the callgrind output".into())
}

// ---------------------------------------------------------------------------
// 6: wall-clock latency against its floor.

fn figure_latency(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let targets = bench.fast_targets(2);
    let config = bench.config("latency", &targets, "")?;
    let exporter = Exporter::start(&binary.path, &config, &[])?;
    let mut client = Client::connect(exporter.addr)?;
    let body_len = client.scrape("/metrics", targets.len())?.len();
    let server = MinimalHttpServer::start(body_len)?;
    let mut raw = Client::connect(server.addr)?;
    for _ in 0..WARM_UP {
        client.scrape("/metrics", targets.len())?;
        raw.get_ok("/metrics")?;
    }
    let beside = RawProber::start()?;
    // Interleaved, so that the machine's other work falls on all alike.
    let mut samples = [(); 5].map(|_| Vec::with_capacity(LATENCY_SAMPLES));
    for _ in 0..LATENCY_SAMPLES {
        samples[0].push(time(|| client.scrape("/metrics", targets.len()).map(drop))?);
        samples[1].push(time(|| raw.get_ok("/metrics").map(drop))?);
        samples[2].push(time(|| read_daytime(targets[0]))?);
        samples[3].push(time(|| read_daytime(targets[1]))?);
        samples[4].push(time(|| beside.read_both(targets[0], targets[1]))?);
    }
    drop(raw);
    server.cpu_per_request()?;
    let [scrape, http, first, second, both] = samples.map(p50);
    let floor = http + first.max(second);
    let vs_floor = ratio(scrape, floor);
    println!(
        "{} p50 /metrics {:.0} µs; floor {:.0} µs = HTTP round trip {:.0} + raw probe max({:.0}, {:.0})",
        say(binary),
        us(scrape),
        us(floor),
        us(http),
        us(first),
        us(second)
    );
    // What the target's floor leaves out: the two probes at once, one on
    // a thread that waits for it, as a scrape runs them. On a machine of
    // few cores the targets' servers compete with both for the CPU.
    println!(
        "{}   the two raw probes at once, one on a waiting thread: {:.0} µs; /metrics = {:.2}× HTTP + that",
        say(binary),
        us(both),
        ratio(scrape, http + both)
    );
    let shown = format!("{:.0} µs = {vs_floor:.2}× fl", us(scrape));
    Ok(vec![Cell::at_most(shown, vs_floor, LATENCY_VS_FLOOR.of(binary.libc))])
}

// ---------------------------------------------------------------------------
// 7: many slow targets cost about one.

fn figure_slow_targets(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let one = median_slow_scrape(bench, binary, 1)?;
    let many = median_slow_scrape(bench, binary, SLOW_TARGETS)?;
    let vs_one = ratio(many, one);
    println!(
        "{} median of {SLOW_SCRAPES}: 1 target {:.1} ms, {SLOW_TARGETS} targets {:.1} ms",
        say(binary),
        ms(one),
        ms(many)
    );
    let shown = format!("{:.1} / {:.1} ms", ms(many), ms(one));
    Ok(vec![Cell::at_most(shown, vs_one, SLOW_VS_ONE.of(binary.libc))])
}

fn median_slow_scrape(bench: &Bench, binary: &Binary, count: usize) -> Result<Duration> {
    let targets = vec![bench.slow; count];
    let config = bench.config(&format!("slow-{count}"), &targets, "")?;
    let exporter = Exporter::start(&binary.path, &config, &[])?;
    let mut client = Client::connect(exporter.addr)?;
    client.scrape("/metrics", count)?; // Warms up the threads.
    let samples = (0..SLOW_SCRAPES)
        .map(|_| time(|| client.scrape("/metrics", count).map(drop)))
        .collect::<Result<Vec<_>>>()?;
    Ok(p50(samples))
}

// ---------------------------------------------------------------------------
// 8: threads.

fn figure_threads(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let bound = thread_bound();
    let targets = bench.fast_targets(THREAD_TARGETS);
    let config = bench.config("threads", &targets, "")?;
    let exporter = Exporter::start(&binary.path, &config, &[])?;
    let mut client = Client::connect(exporter.addr)?;
    let mut counts = Vec::new();
    let mut succeeded = 0;
    // The first scrape, one to warm up, then the steady ones.
    for _ in 0..2 + STEADY_SCRAPES {
        let body = client.get_ok("/metrics")?;
        succeeded = count_successes(&body);
        counts.push(thread_count(exporter.pid)?);
    }
    let first = counts[0];
    let most = counts.iter().copied().max().unwrap_or(0);
    let (warm, last) = (counts[1], counts[counts.len() - 1]);
    let steady = counts[1..].iter().all(|&count| count == warm);
    println!(
        "{} after the first scrape {first} threads, most {most} (bound {bound}); \
         over {STEADY_SCRAPES} more scrapes {warm} → {last}; last scrape {succeeded}/{THREAD_TARGETS} probes succeeded",
        say(binary)
    );
    Ok(vec![
        Cell::at_most(format!("{most} (bound {bound})"), most as f64, bound as f64),
        Cell::yes_no(format!("{warm} → {last}"), steady),
    ])
}

/// The thread bound of ARCHITECTURE.md's sentence "With one listener and
/// every default: 5 + 256 + 128 + 64 = 453 threads at most".
fn thread_bound() -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md");
    let text = fs::read_to_string(path).unwrap_or_default();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = text.split("With one listener and every default:").nth(1).unwrap_or("");
    sentence
        .split(" threads")
        .next()
        .and_then(|sum| sum.rsplit("= ").next())
        .and_then(|total| total.trim().parse().ok())
        .unwrap_or(DEFAULT_THREAD_BOUND)
}

fn thread_count(pid: u32) -> Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/task"))?.count())
}

// ---------------------------------------------------------------------------
// 9: memory.

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
    let (shown, met) = match Exporter::start_as_the_unit(wrapper, &binary.path, &config) {
        Err(err) => {
            println!("{} did not start under the limit: {err}", say(binary));
            ("did not start".to_string(), false)
        }
        Ok(mut exporter) => {
            let answers = concurrent_scrapes(exporter.addr);
            let asked = LIMITED_CLIENTS * LIMITED_ROUNDS;
            let exited = exporter.child.try_wait()?;
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
    let exporter = Exporter::start_as_the_unit(Wrapper::Nothing, &binary.path, &config)?;
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

// ---------------------------------------------------------------------------
// 10: binary size.

fn figure_size(_bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let bytes = fs::metadata(&binary.path)?.len();
    println!("{} {bytes} bytes", say(binary));
    let shown = format!("{bytes} B");
    Ok(vec![match binary.libc {
        Libc::Musl => Cell::at_most(shown, bytes as f64, MAX_MUSL_BYTES as f64),
        Libc::Glibc => Cell::shown(shown),
    }])
}

/// The cost a byte of finding the end of a counter reply that arrives a
/// byte a read, as from a service that writes a byte at a time: at 64 KiB,
/// the cap, against at 4 KiB. Work linear in the reply keeps them alike;
/// parsing the bytes so far after each read would make the larger reply
/// cost 16 times as much a byte.
fn figure_reply_end(_bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    if binary.libc == Libc::Musl {
        return Ok(vec![Cell::Skipped("the library's code, measured once".to_string())]);
    }
    let small = counter_reply_of(4 * 1024);
    let large = counter_reply_of(64 * 1024);
    let [small_per_byte, large_per_byte] = [&small, &large].map(|reply| {
        let fastest = fastest_of(REPLY_END_RUNS, || {
            let mut end = ValueEnd::new();
            black_box(reply).chunks(1).any(|byte| end.found_in(byte))
        });
        fastest.as_secs_f64() * 1e9 / reply.len() as f64
    });
    let whole = fastest_of(REPLY_END_RUNS, || ValueEnd::new().found_in(black_box(&large)));
    let parse = fastest_of(REPLY_END_RUNS, || json::parse(black_box(&large)).is_ok());
    println!(
        "  a byte a read: {small_per_byte:.1} ns a byte at 4 KiB, {large_per_byte:.1} at 64 KiB; \
         64 KiB in one read {whole:?}, one json::parse of it {parse:?} (after each of \
         65,536 reads: ≈ {:?})",
        parse * 32_768,
    );
    let ratio = large_per_byte / small_per_byte;
    Ok(vec![Cell::at_most(format!("{ratio:.2}×"), ratio, 1.5)])
}

/// The talk's counter reply, `len` bytes long: a long string before the count.
fn counter_reply_of(len: usize) -> Vec<u8> {
    let head = br#"{"launched": "2020-11-04T17:57:42.448578", "note": ""#;
    let tail = br#"", "requests": 2}"#;
    let mut reply = head.to_vec();
    reply.resize(len - tail.len(), b'x');
    reply.extend_from_slice(tail);
    reply
}

/// The fastest of `runs` runs of `find`, which must find the end: the
/// least disturbed by the machine's other work.
fn fastest_of(runs: usize, find: impl Fn() -> bool) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            assert!(black_box(find()), "the value's end was not found");
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// 11: gzip.

const GZIP_TARGETS: usize = 100;
const GZIP_VS_ZLIB_1: f64 = 1.15;
const GZIP_CPU_VS_PLAIN: f64 = 1.25;

/// Two exporters of the same 100 targets, one scraped plain and one with
/// `Accept-Encoding: gzip`, in turns of `CPU_ROUND` for `CPU_ROUNDS`
/// rounds; their CPU per scrape compared. The last gzipped answer is read
/// back by the system's `gzip -d` and that body compressed again by
/// Python's zlib at level 1 in a gzip frame, the yardstick.
fn figure_gzip(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    /// Answers to `GET /metrics` on one kept-alive connection: the
    /// `Content-Encoding` and the body's bytes.
    struct Scraper(TcpStream, Vec<u8>);
    impl Scraper {
        fn scrape(&mut self, accept_encoding: &str) -> Result<(Option<String>, Vec<u8>)> {
            let request = format!(
                "GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: {accept_encoding}\r\n\r\n"
            );
            self.0.write_all(request.as_bytes())?;
            let mut chunk = [0; 64 * 1024];
            loop {
                if let Some(at) = find(&self.1, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&self.1[..at]).to_ascii_lowercase();
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|line| Some(line.strip_prefix(name)?.trim().to_string()))
                    };
                    let length: usize = header("content-length:")
                        .and_then(|value| value.parse().ok())
                        .ok_or("no Content-Length")?;
                    if self.1.len() >= at + 4 + length {
                        let body = self.1[at + 4..at + 4 + length].to_vec();
                        self.1.drain(..at + 4 + length);
                        return Ok((header("content-encoding:"), body));
                    }
                }
                let read = self.0.read(&mut chunk)?;
                if read == 0 {
                    return Err("the exporter closed the connection".into());
                }
                self.1.extend_from_slice(&chunk[..read]);
            }
        }
    }
    /// `input` through `command`'s standard input; its standard output.
    fn filter(command: &mut Command, input: &[u8]) -> Result<Vec<u8>> {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let input = input.to_vec();
        let writer = thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output()?;
        writer.join().map_err(|_| "writer panicked")??;
        if !output.status.success() {
            return Err(format!("{command:?} failed: {}", output.status).into());
        }
        Ok(output.stdout)
    }

    let config = bench.config("gzip", &bench.fast_targets(GZIP_TARGETS), "")?;
    let exporters = [
        Exporter::start(&binary.path, &config, &[])?,
        Exporter::start(&binary.path, &config, &[])?,
    ];
    let encodings = ["identity", "gzip"];
    let mut scrapers = Vec::new();
    let mut last = Vec::new();
    for (exporter, encoding) in exporters.iter().zip(encodings) {
        let stream = TcpStream::connect_timeout(&exporter.addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        let mut scraper = Scraper(stream, Vec::new());
        for _ in 0..WARM_UP {
            let (coding, body) = scraper.scrape(encoding)?;
            if coding.as_deref() != (encoding == "gzip").then_some("gzip") {
                return Err(format!("asked for {encoding}, got Content-Encoding {coding:?}").into());
            }
            if encoding == "gzip" {
                last = body;
            }
        }
        scrapers.push((scraper, process_cpu(exporter.pid)?, 0usize));
    }
    for _ in 0..CPU_ROUNDS {
        for ((scraper, _, count), encoding) in scrapers.iter_mut().zip(encodings) {
            let start = Instant::now();
            while start.elapsed() < CPU_ROUND {
                let (_, body) = scraper.scrape(encoding)?;
                if encoding == "gzip" {
                    last = body;
                }
                *count += 1;
            }
        }
    }
    let mut per_scrape = Vec::new();
    for ((_, before, count), exporter) in scrapers.iter().zip(&exporters) {
        per_scrape
            .push(process_cpu(exporter.pid)?.saturating_sub(*before) / (*count).max(1) as u32);
    }
    let cpu_ratio = ratio(per_scrape[1], per_scrape[0]);

    let body = filter(Command::new("gzip").arg("-dc"), &last)?;
    if count_successes(&String::from_utf8_lossy(&body)) != GZIP_TARGETS {
        return Err("the gzipped scrape does not read back to 100 successful probes".into());
    }
    let zlib = "import gzip, sys; sys.stdout.write(str(len(gzip.compress(sys.stdin.buffer.read(), 1, mtime=0))))";
    let zlib_size: usize =
        String::from_utf8(filter(Command::new("python3").args(["-c", zlib]), &body)?)?
            .trim()
            .parse()?;
    let size_ratio = last.len() as f64 / zlib_size as f64;
    println!(
        "{} {} B plain → {} B gzipped ({:.1}×); zlib level 1: {zlib_size} B; ours / zlib's = {size_ratio:.3}",
        say(binary),
        body.len(),
        last.len(),
        body.len() as f64 / last.len() as f64
    );
    println!(
        "{} CPU per scrape: {:.1} µs plain ({} scrapes), {:.1} µs gzipped ({} scrapes) = {cpu_ratio:.3}×",
        say(binary),
        us(per_scrape[0]),
        scrapers[0].2,
        us(per_scrape[1]),
        scrapers[1].2
    );
    Ok(vec![
        Cell::at_most(format!("{} B = {size_ratio:.2}×", last.len()), size_ratio, GZIP_VS_ZLIB_1),
        Cell::at_most(
            format!("{:.0} µs = {cpu_ratio:.2}×", us(per_scrape[1])),
            cpu_ratio,
            GZIP_CPU_VS_PLAIN,
        ),
    ])
}

// ---------------------------------------------------------------------------
// CPU time, from /proc.

/// `getconf CLK_TCK`: the unit of `utime` and `stime` in `/proc/*/stat`.
fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// `utime + stime` of a `/proc/.../stat` file.
fn stat_cpu(path: &str) -> Result<Duration> {
    let stat = fs::read_to_string(path)?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields.get(i).ok_or_else(|| format!("short {path}"))?.parse()?)
    };
    Ok(Duration::from_secs_f64((ticks(11)? + ticks(12)?) / clock_ticks_per_second()))
}

/// The CPU time of every thread of process `pid`, living or ended.
fn process_cpu(pid: u32) -> Result<Duration> {
    stat_cpu(&format!("/proc/{pid}/stat"))
}

/// The CPU time of the calling thread: `se.sum_exec_runtime` of
/// `/proc/thread-self/sched`, in nanoseconds, where the kernel has it;
/// else `utime + stime`, in clock ticks.
fn thread_cpu() -> Result<Duration> {
    match sched_runtime() {
        Some(runtime) => Ok(runtime),
        None => stat_cpu("/proc/thread-self/stat"),
    }
}

fn sched_runtime() -> Option<Duration> {
    let sched = fs::read_to_string("/proc/thread-self/sched").ok()?;
    let millis: f64 = sched
        .lines()
        .find_map(|line| line.strip_prefix("se.sum_exec_runtime"))?
        .trim_start_matches([' ', ':'])
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(millis / 1e3))
}

fn thread_cpu_source() -> &'static str {
    if sched_runtime().is_some() {
        "/proc/thread-self/sched (ns)"
    } else {
        "/proc/thread-self/stat (clock ticks)"
    }
}

// ---------------------------------------------------------------------------
// Small arithmetic.

fn time(operation: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    operation()?;
    Ok(start.elapsed())
}

/// The median by nearest rank.
fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len().saturating_sub(1) / 2).copied().unwrap_or_default()
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

// ---------------------------------------------------------------------------
// The services probed.

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

// ---------------------------------------------------------------------------
// The exporter process, and an HTTP/1.1 client that keeps its connection.

/// What the exporter runs under.
#[derive(Clone, Copy)]
enum Wrapper<'a> {
    Nothing,
    /// `strace -f -c -o FILE`: the exporter is strace's child.
    Strace(&'a Path),
    /// `valgrind --tool=callgrind`: the same process, instrumented.
    Callgrind(&'a Path),
    /// `prlimit --as=BYTES`, which executes the exporter in its place.
    AddressSpace(u64),
}

impl Wrapper<'_> {
    /// The command line before the exporter's.
    fn command(self) -> Vec<String> {
        match self {
            Wrapper::Nothing => vec![],
            Wrapper::Strace(out) => {
                vec!["strace".into(), "-f".into(), "-c".into(), "-o".into(), path_arg(out)]
            }
            Wrapper::Callgrind(out) => vec![
                "valgrind".into(),
                "--quiet".into(),
                "--tool=callgrind".into(),
                format!("--callgrind-out-file={}", out.display()),
            ],
            Wrapper::AddressSpace(bytes) => vec!["prlimit".into(), format!("--as={bytes}")],
        }
    }
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

/// A running exporter; killed when dropped.
struct Exporter {
    /// The process started: the exporter, or the tool running it.
    child: Child,
    /// The exporter's own process.
    pid: u32,
    addr: SocketAddr,
    /// The last lines of its standard error (the tool's too).
    log: Arc<Mutex<VecDeque<String>>>,
    /// Reads the log to its end, so that a full pipe never blocks the
    /// exporter; it ends when the process does.
    log_reader: Option<JoinHandle<()>>,
}

impl Exporter {
    fn start(binary: &Path, config: &Path, flags: &[&str]) -> Result<Exporter> {
        Exporter::start_under(Wrapper::Nothing, binary, config, flags, IO_TIMEOUT)
    }

    /// Starts it as `dist/probe_exporter.service` does, with the unit's
    /// `Environment=` (glibc's malloc settings; musl ignores them).
    fn start_as_the_unit(wrapper: Wrapper, binary: &Path, config: &Path) -> Result<Exporter> {
        Exporter::spawn(wrapper, binary, config, &[], IO_TIMEOUT, UNIT_ENVIRONMENT)
    }

    /// Starts `WRAPPER... BINARY --config.file CONFIG --web.listen-address
    /// 127.0.0.1:0 FLAGS...` and waits, at most `timeout`, for the log line
    /// that names the bound address.
    fn start_under(
        wrapper: Wrapper,
        binary: &Path,
        config: &Path,
        flags: &[&str],
        timeout: Duration,
    ) -> Result<Exporter> {
        Exporter::spawn(wrapper, binary, config, flags, timeout, &[])
    }

    fn spawn(
        wrapper: Wrapper,
        binary: &Path,
        config: &Path,
        flags: &[&str],
        timeout: Duration,
        environment: &[(&str, &str)],
    ) -> Result<Exporter> {
        let mut command_line = wrapper.command();
        command_line.push(path_arg(binary));
        let mut command = Command::new(&command_line[0]);
        command
            .args(&command_line[1..])
            .arg("--config.file")
            .arg(config)
            .args(["--web.listen-address", "127.0.0.1:0"])
            .args(flags)
            .envs(environment.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|err| format!("{}: {err}", command_line[0]))?;
        let stderr = child.stderr.take().ok_or("stderr is not piped")?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let log_reader = {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(io::Result::ok) {
                    if let Some(addr) = exporter_address(&line) {
                        let _ = address_tx.send(addr);
                    }
                    let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    log.push_back(line);
                    if log.len() > 5 {
                        log.pop_front();
                    }
                }
            })
        };
        // Built before the wait, so that dropping it kills the process
        // if no address comes.
        let pid = child.id();
        let mut exporter = Exporter {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            log_reader: Some(log_reader),
        };
        exporter.addr = address_rx.recv_timeout(timeout).map_err(|_| {
            format!(
                "{} logged no listening address: {}",
                binary.display(),
                exporter.log_tail().join(" | ")
            )
        })?;
        if let Wrapper::Strace(_) = wrapper {
            exporter.pid = child_of(pid)?;
        }
        Ok(exporter)
    }

    fn log_tail(&self) -> Vec<String> {
        let log = self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        log.iter().cloned().collect()
    }

    /// Stops the exporter with SIGTERM, as a service manager does, and
    /// waits for the process started (and its tool) to exit.
    fn stop(mut self) -> Result<ExitStatus> {
        signal(self.pid, "TERM")?;
        let deadline = Instant::now() + VALGRIND_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        Err("the exporter did not stop on SIGTERM".into())
    }
}

/// The address of `level=info msg="listening" address=...`.
fn exporter_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("msg=\"listening\"") || line.contains("service=") {
        return None;
    }
    line.rsplit("address=").next()?.trim().parse().ok()
}

/// The one child process of `parent` (strace's exporter).
fn child_of(parent: u32) -> Result<u32> {
    for entry in fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let ppid = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1));
        if ppid == Some(parent.to_string().as_str()) {
            return Ok(pid);
        }
    }
    Err(format!("process {parent} has no child").into())
}

/// Sends `SIGNAL` to process `pid`, by its id.
fn signal(pid: u32, name: &str) -> Result<()> {
    let status = Command::new("kill").args(["-s", name, &pid.to_string()]).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -s {name} {pid}: {status}").into())
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // A traced exporter outlives its killed tracer: kill it first.
            if self.pid != self.child.id() {
                let _ = signal(self.pid, "KILL");
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if let Some(reader) = self.log_reader.take() {
            let _ = reader.join();
        }
    }
}

struct Response {
    status: u16,
    body: String,
}

/// One kept-alive connection; responses are read by their Content-Length.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Client { stream, buffer: Vec::with_capacity(16 * 1024) })
    }

    fn get(&mut self, path: &str) -> Result<Response> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
        self.stream.write_all(request.as_bytes())?;
        let head_end = self.fill_until(|buffer| find(buffer, b"\r\n\r\n").map(|at| at + 4))?;
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("bad status line in {head:?}"))?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| format!("no Content-Length in {head:?}"))?;
        self.fill_until(|buffer| (buffer.len() >= head_end + length).then_some(0))?;
        let body = String::from_utf8_lossy(&self.buffer[head_end..head_end + length]).into_owned();
        self.buffer.drain(..head_end + length);
        Ok(Response { status, body })
    }

    /// A GET that must answer 200; returns the body.
    fn get_ok(&mut self, path: &str) -> Result<String> {
        let response = self.get(path)?;
        if response.status == 200 {
            Ok(response.body)
        } else {
            Err(format!("GET {path}: {}:\n{}", response.status, response.body).into())
        }
    }

    /// A scrape in which each of `targets` probes succeeded, so that no
    /// figure is the cost of a failure.
    fn scrape(&mut self, path: &str, targets: usize) -> Result<String> {
        let body = self.get_ok(path)?;
        let succeeded = count_successes(&body);
        if succeeded == targets {
            Ok(body)
        } else {
            Err(format!("GET {path}: {succeeded} of {targets} probes succeeded").into())
        }
    }

    /// A `/probe` that succeeded.
    fn probe(&mut self, path: &str) -> Result<String> {
        let body = self.get_ok(path)?;
        if body.contains("\nprobe_success 1\n") {
            Ok(body)
        } else {
            Err(format!("GET {path}: no probe_success 1 in:\n{body}").into())
        }
    }

    /// Reads until `complete` finds what it needs in the buffer; returns
    /// what `complete` returned.
    fn fill_until(&mut self, complete: impl Fn(&[u8]) -> Option<usize>) -> Result<usize> {
        let mut chunk = [0; 64 * 1024];
        loop {
            if let Some(found) = complete(&self.buffer) {
                return Ok(found);
            }
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err("the server closed the connection mid-response".into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The `probe_success{...} 1` samples of a `/metrics` body.
fn count_successes(body: &str) -> usize {
    body.lines().filter(|line| line.starts_with("probe_success{") && line.ends_with("} 1")).count()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
