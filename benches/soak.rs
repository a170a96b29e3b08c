//! `make soak`: mixed load for a bounded time, then proof that nothing grew.
//!
//! The release binary runs as a process of its own against four targets
//! (a good daytime and a good counter service, one that never answers and
//! one that refuses), while keep-alive scrapers, health checks, garbage
//! senders, slow-loris connections and clients that vanish mid-response
//! hit it at once. It prints requests answered, errors by kind, and the
//! exporter's memory and open files at start and end, and exits non-zero
//! if they did not stay flat. `SOAK_SECONDS` sets the duration (60).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use probe_exporter::app::demo;

// Shared with `make bench`, which uses parts this soak does not.
#[allow(dead_code)]
mod support;

use support::http_client::{connect, Client};
use support::process::{ExporterCommand, RunningExporter};
use support::scratch::Scratch;
use support::IO_TIMEOUT;

/// Load before the first measurement, so that pools and buffers have grown
/// to their steady size: at least this long, and at least a quarter of the
/// run. Besides the pool's threads, the allocator's per-thread caches fill
/// for a while (one cache for each of up to 256 workers), bounded but slow
/// to settle; a leak goes on growing at the same pace.
const MIN_WARM_UP: Duration = Duration::from_secs(5);
/// How often the figures are printed during the run.
const REPORT_EVERY: Duration = Duration::from_secs(10);

const SCRAPERS: usize = 12;
const HEALTH_CHECKERS: usize = 4;
const GARBAGE_SENDERS: usize = 2;
const VANISHING_CLIENTS: usize = 2;
/// More than `--web.max-connections` (256), so that eviction runs all along.
const SLOW_LORIS_CONNECTIONS: usize = 300;

/// "Flat": the end figure may be at most this factor of the start figure,
/// plus a constant for noise.
const GROWTH_FACTOR: f64 = 1.5;
const RSS_SLACK_KB: u64 = 4 * 1024;
const FD_SLACK: usize = 32;

fn main() -> ExitCode {
    match soak() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            println!("FAIL: the exporter did not stay flat");
            ExitCode::FAILURE
        }
        Err(err) => {
            println!("FAIL: {err}");
            ExitCode::FAILURE
        }
    }
}

fn soak() -> Result<bool, String> {
    let seconds: u64 = match std::env::var("SOAK_SECONDS") {
        Ok(text) => text.parse().map_err(|_| format!("SOAK_SECONDS=`{text}` is not seconds"))?,
        Err(_) => 60,
    };
    // Cargo builds the binary with the bench profile (optimised, like
    // release) for every benchmark, and names its path here.
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_probe_exporter"));
    let targets = Targets::start().map_err(|err| format!("cannot start the targets: {err}"))?;
    let scratch = Scratch::create("soak").map_err(|err| err.to_string())?;
    let config =
        scratch.write("soak.conf", &targets.config_text()).map_err(|err| err.to_string())?;
    let mut exporter = start_exporter(&binary, &config)?;
    let pid = exporter.pid;
    let idle_before = Figures::read(pid)?;

    println!("soak: {seconds} s of mixed load on {} (pid {pid})", binary.display());
    println!(
        "  clients: {SCRAPERS} keep-alive scrapers, {HEALTH_CHECKERS} health checkers, \
         {GARBAGE_SENDERS} garbage senders, {VANISHING_CLIENTS} vanishing clients, \
         {SLOW_LORIS_CONNECTIONS} slow-loris connections"
    );
    println!("  targets: daytime and counter (good), silent (timeout 500ms), refused");
    println!("  idle:  {idle_before}");

    let load = Load::start(exporter.addr);
    thread::sleep(MIN_WARM_UP.max(Duration::from_secs(seconds) / 4));
    let start = Figures::read(pid)?;
    println!("  start: {start}");
    let started = Instant::now();
    let duration = Duration::from_secs(seconds);
    while started.elapsed() < duration {
        thread::sleep(REPORT_EVERY.min(duration.saturating_sub(started.elapsed())));
        println!("  t={:>4}s {}", started.elapsed().as_secs(), Figures::read(pid)?);
    }
    let end = Figures::read(pid)?;
    println!("  end:   {end}");
    let tally = load.stop();

    // With every client gone, every connection must close again.
    let idle_after = wait_for_idle_fds(pid, idle_before.fds, Duration::from_secs(15))?;
    println!("  idle:  {idle_after}");
    let running = matches!(exporter.exited(), Ok(None));
    let counted = exporter_counts(exporter.addr);
    drop(exporter);

    tally.print();
    println!("exporter's own count: {counted}");
    let rss_limit = limit(start.rss_kb, RSS_SLACK_KB);
    let fd_limit = limit(start.fds as u64, FD_SLACK as u64) as usize;
    println!(
        "RSS: start {} kB, end {} kB (limit {rss_limit} kB); open fds: start {}, end {} \
         (limit {fd_limit}); idle fds: before {}, after {}",
        start.rss_kb, end.rss_kb, start.fds, end.fds, idle_before.fds, idle_after.fds
    );
    let checks = [
        ("the exporter is still running", running),
        ("RSS stayed flat", end.rss_kb <= rss_limit),
        ("open fds stayed flat", end.fds <= fd_limit),
        ("every connection closed after the load", idle_after.fds <= idle_before.fds),
        ("scrapes were answered", tally.count("status 200") > 0),
        ("no request ended in a 500", tally.count("status 500") == 0),
    ];
    let mut passed = true;
    for (check, ok) in checks {
        println!("  {} {check}", if ok { "ok  " } else { "FAIL" });
        passed &= ok;
    }
    if passed {
        println!("PASS");
    }
    Ok(passed)
}

/// `start × GROWTH_FACTOR + slack`
fn limit(start: u64, slack: u64) -> u64 {
    (start as f64 * GROWTH_FACTOR) as u64 + slack
}

/// Waits until the exporter has no more files open than when it was idle.
fn wait_for_idle_fds(pid: u32, idle_fds: usize, patience: Duration) -> Result<Figures, String> {
    let deadline = Instant::now() + patience;
    loop {
        let figures = Figures::read(pid)?;
        if figures.fds <= idle_fds || Instant::now() >= deadline {
            return Ok(figures);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// `probe_exporter_http_responses_total` by code, from one last scrape.
fn exporter_counts(addr: SocketAddr) -> String {
    let request = "GET /metrics HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n";
    let response = Client::connect(addr).and_then(|mut client| client.send(request.as_bytes()));
    let Ok(response) = response else {
        return "no answer".to_string();
    };
    let counts: Vec<String> = response
        .body
        .lines()
        .filter_map(|line| line.strip_prefix("probe_exporter_http_responses_total{code=\""))
        .map(|rest| rest.replace("\"} ", ": "))
        .collect();
    format!("responses by code {}", counts.join(", "))
}

// ---------------------------------------------------------------------------
// The exporter process and what /proc says about it

fn start_exporter(binary: &Path, config: &Path) -> Result<RunningExporter, String> {
    if !binary.exists() {
        return Err(format!("{} is missing; run `cargo bench --bench soak`", binary.display()));
    }
    let command = ExporterCommand::new(binary).arg("--config.file").arg(config);
    command.start().map_err(|err| format!("cannot start {}: {err}", binary.display()))
}

/// The exporter's resident memory, open files and threads at one moment.
struct Figures {
    rss_kb: u64,
    fds: usize,
    threads: u64,
}

impl Figures {
    fn read(pid: u32) -> Result<Figures, String> {
        let status = fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|err| format!("the exporter is gone: {err}"))?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        let fds = fs::read_dir(format!("/proc/{pid}/fd"))
            .map_err(|err| format!("the exporter is gone: {err}"))?
            .count();
        Ok(Figures { rss_kb: field("VmRSS"), fds, threads: field("Threads") })
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {:>6} kB  open fds {:>4}  threads {:>4}",
            self.rss_kb, self.fds, self.threads
        )
    }
}

// ---------------------------------------------------------------------------
// The targets

/// Four services on loopback; their threads end with this process.
struct Targets {
    daytime: SocketAddr,
    counter: SocketAddr,
    silent: SocketAddr,
    refused: SocketAddr,
}

impl Targets {
    fn start() -> io::Result<Targets> {
        let daytime = TcpListener::bind("127.0.0.1:0")?;
        let counter = TcpListener::bind("127.0.0.1:0")?;
        let silent = TcpListener::bind("127.0.0.1:0")?;
        let refused = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let targets = Targets {
            daytime: daytime.local_addr()?,
            counter: counter.local_addr()?,
            silent: silent.local_addr()?,
            refused,
        };
        demo::spawn_daytime(daytime)?;
        demo::spawn_counter(counter)?;
        thread::spawn(move || serve_silently(&silent));
        Ok(targets)
    }

    fn config_text(&self) -> String {
        let section = |name: &str, kind: &str, address: SocketAddr| {
            format!("[target {name}]\nkind = {kind}\naddress = {address}\ntimeout = 500ms\n\n")
        };
        [
            section("clock", "daytime", self.daytime),
            section("app", "counter", self.counter),
            section("silent", "daytime", self.silent),
            section("refused", "daytime", self.refused),
        ]
        .concat()
    }
}

/// Accepts and says nothing; each connection is held until its peer
/// closes it, or for ten seconds at most.
fn serve_silently(listener: &TcpListener) {
    for stream in listener.incoming().flatten() {
        thread::spawn(move || {
            let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
            let _ = (&stream).read(&mut [0u8; 64]);
        });
    }
}

// ---------------------------------------------------------------------------
// The load

/// Outcomes of every client's requests by kind: `status 200`, `reset`...
#[derive(Default)]
struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    fn add(&self, kind: &str) {
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(kind.to_string()).or_insert(0) += 1;
    }

    fn add_status(&self, status: u16) {
        self.add(&format!("status {status}"));
    }

    fn add_error(&self, err: &io::Error) {
        self.add(error_kind(err));
    }

    fn count(&self, kind: &str) -> u64 {
        let counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.get(kind).copied().unwrap_or(0)
    }

    fn print(&self) {
        let counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let answered: u64 =
            counts.iter().filter(|(kind, _)| kind.starts_with("status")).map(|(_, n)| n).sum();
        println!("requests answered: {answered}");
        for (kind, n) in counts.iter() {
            println!("  {kind:<28} {n:>9}");
        }
    }
}

fn error_kind(err: &io::Error) -> &'static str {
    match err.kind() {
        ErrorKind::ConnectionReset => "error: connection reset",
        ErrorKind::ConnectionAborted => "error: connection aborted",
        ErrorKind::ConnectionRefused => "error: connection refused",
        ErrorKind::BrokenPipe => "error: broken pipe",
        ErrorKind::UnexpectedEof => "error: closed early",
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "error: timeout",
        _ => "error: other",
    }
}

/// Every client thread, and how to stop them.
struct Load {
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(addr: SocketAddr) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let mut threads = Vec::new();
        let mut spawn = |client: fn(SocketAddr, usize, &AtomicBool, &Tally), idx: usize| {
            let (stop, tally) = (Arc::clone(&stop), Arc::clone(&tally));
            threads.push(thread::spawn(move || client(addr, idx, &stop, &tally)));
        };
        (0..SCRAPERS).for_each(|idx| spawn(scraper, idx));
        (0..HEALTH_CHECKERS).for_each(|idx| spawn(health_checker, idx));
        (0..GARBAGE_SENDERS).for_each(|idx| spawn(garbage_sender, idx));
        (0..VANISHING_CLIENTS).for_each(|idx| spawn(vanishing_client, idx));
        spawn(slow_loris, SLOW_LORIS_CONNECTIONS);
        Load { stop, tally, threads }
    }

    /// Stops every client, waits for each, and returns their tally.
    fn stop(self) -> Arc<Tally> {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads {
            let _ = thread.join();
        }
        self.tally
    }
}

/// Scrapes `/metrics` as Prometheus does, keeping the connection open for
/// up to a hundred scrapes; half the scrapers ask for OpenMetrics.
fn scraper(addr: SocketAddr, idx: usize, stop: &AtomicBool, tally: &Tally) {
    let accept = if idx % 2 == 0 {
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    } else {
        "text/plain;version=0.0.4"
    };
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: soak\r\nAccept: {accept}\r\n\
         X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"
    );
    keep_alive_loop(addr, &request, stop, tally);
}

/// Asks `/-/healthy` as fast as it is answered, over kept-alive connections.
fn health_checker(addr: SocketAddr, _idx: usize, stop: &AtomicBool, tally: &Tally) {
    keep_alive_loop(addr, "GET /-/healthy HTTP/1.1\r\nHost: soak\r\n\r\n", stop, tally);
}

fn keep_alive_loop(addr: SocketAddr, request: &str, stop: &AtomicBool, tally: &Tally) {
    while !stop.load(Ordering::SeqCst) {
        let mut client = match Client::connect(addr) {
            Ok(client) => client,
            Err(err) => {
                tally.add_error(&err);
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        for _ in 0..100 {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let response = client.send(request.as_bytes());
            match response {
                Ok(response) => {
                    tally.add_status(response.status);
                    if response.closes || response.status == 503 {
                        // Retry-After: 1 is what a 503 asks for.
                        if response.status == 503 {
                            thread::sleep(Duration::from_secs(1));
                        }
                        break;
                    }
                }
                Err(err) => {
                    tally.add_error(&err);
                    break;
                }
            }
        }
    }
}

/// Sends bytes that are not HTTP, then reads whatever comes back.
fn garbage_sender(addr: SocketAddr, idx: usize, stop: &AtomicBool, tally: &Tally) {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ idx as u64;
    let mut next = move || {
        // xorshift64: enough to vary the garbage.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    while !stop.load(Ordering::SeqCst) {
        let len = 1 + (next() % 2048) as usize;
        let mut garbage: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 {
            // Half of it starts like a request, so that the headers parse.
            garbage.splice(0..0, *b"GET /metrics HTTP/1.1\r\nHost: soak\r\n");
        }
        garbage.extend_from_slice(b"\r\n\r\n");
        let result = Client::connect(addr).and_then(|mut client| {
            client.stream.write_all(&garbage)?;
            client.stream.shutdown(Shutdown::Write)?;
            client.read_response()
        });
        match result {
            Ok(response) => tally.add_status(response.status),
            Err(err) => tally.add_error(&err),
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Asks for `/metrics` and goes away: at once, or after the first bytes
/// of the answer, leaving the rest unread so that the kernel resets.
fn vanishing_client(addr: SocketAddr, _idx: usize, stop: &AtomicBool, tally: &Tally) {
    let request = b"GET /metrics HTTP/1.1\r\nHost: soak\r\n\r\n";
    let mut round = 0u64;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let result = connect(addr).and_then(|mut stream| {
            stream.write_all(request)?;
            if round % 2 == 0 {
                stream.read_exact(&mut [0u8; 64])?;
            }
            Ok(())
        });
        match result {
            Ok(()) => tally.add("vanished mid-response"),
            Err(err) => tally.add_error(&err),
        }
        // Each vanished scrape still probes every target, which takes up to
        // the silent target's timeout; this pace keeps a few in flight.
        thread::sleep(Duration::from_millis(200));
    }
}

/// Holds `n` connections that send a byte of a never-ending request head
/// each second, and opens a new one for each the exporter closes.
fn slow_loris(addr: SocketAddr, n: usize, stop: &AtomicBool, tally: &Tally) {
    const HEAD: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: soak\r\nX-Padding: ";
    let mut clients: Vec<(Option<TcpStream>, usize)> = (0..n).map(|_| (None, 0)).collect();
    while !stop.load(Ordering::SeqCst) {
        for (client, n_sent) in clients.iter_mut() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let byte = HEAD.get(*n_sent).copied().unwrap_or(b'a');
            match client.as_mut().map(|stream| stream.write_all(&[byte])) {
                Some(Ok(())) => *n_sent += 1,
                Some(Err(_)) => {
                    tally.add("slow-loris closed by the exporter");
                    (*client, *n_sent) = (connect(addr).ok(), 0);
                }
                None => *client = connect(addr).ok(),
            }
            thread::sleep(Duration::from_secs(1) / n as u32);
        }
    }
}
