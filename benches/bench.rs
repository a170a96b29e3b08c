//! `make bench`: what the exporter costs, measured against the floor.
//!
//! The floor is what no exporter can beat: one connect, read and close
//! against the daytime service it probes. Beside it stand a scrape of that
//! service through `/probe` and `/metrics`, requests per second, scrapes of
//! many slow targets, memory, start-up time and binary size, each printed
//! beside the target it is held to. The release binary runs as a process of
//! its own, so that its memory is its own. Loopback only, bounded in counts
//! and time; every process started here is stopped.

use std::error::Error;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use probe_exporter::{demo, timestamp};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Samples per latency figure: enough for a p99 that is not one outlier.
const LATENCY_SAMPLES: usize = 2000;
/// How long each throughput run lasts.
const THROUGHPUT_RUN: Duration = Duration::from_secs(2);
const CLIENT_COUNTS: [usize; 3] = [1, 16, 64];
/// How long a slow target takes to answer, and how many of them a scrape has.
const SLOW_ANSWER: Duration = Duration::from_millis(50);
const MANY_TARGETS: usize = 100;
const SLOW_TARGET_COUNTS: [usize; 3] = [1, 10, MANY_TARGETS];
const SLOW_SCRAPES: usize = 5;
const STARTS: usize = 10;
/// Every read and every wait for the exporter gives up after this long.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

// The targets, from the issue that asked for this benchmark.
const MAX_OVERHEAD: f64 = 1.5;
const MAX_IDLE_RSS_KIB: u64 = 2048;
const MAX_SLOW_SCRAPE_RATIO: f64 = 1.5;
const MAX_STATIC_MUSL_KIB: u64 = 600;

/// The target of the static build that the size target is for.
const MUSL: &str = "x86_64-unknown-linux-musl";

fn main() -> Result<()> {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_probe_exporter"));
    println!("probe_exporter benchmark: loopback only; the machine's other work adds noise");
    println!("exporter binary: {}", binary.display());

    let daytime = spawn_service(demo::spawn_daytime)?;
    bench_latency(&binary, daytime)?;
    bench_throughput_and_memory(&binary)?;
    bench_slow_targets(&binary)?;
    bench_startup(&binary)?;
    print_sizes(&binary);
    Ok(())
}

/// Starts an in-process service on a fresh loopback port. Its thread ends
/// with this process.
fn spawn_service(spawn: fn(TcpListener) -> io::Result<JoinHandle<()>>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    spawn(listener)?;
    Ok(addr)
}

// ---------------------------------------------------------------------------
// Latency: the floor, and a scrape of the same service through the exporter.

/// One thing whose latency is measured.
struct Measured {
    name: &'static str,
    /// Whether the overhead target applies: to scrapes, not to the parts
    /// printed to explain them.
    is_scrape: bool,
    operation: Box<dyn FnMut() -> Result<()>>,
    samples: Vec<Duration>,
}

impl Measured {
    fn new(
        name: &'static str,
        is_scrape: bool,
        operation: impl FnMut() -> Result<()> + 'static,
    ) -> Measured {
        let samples = Vec::with_capacity(LATENCY_SAMPLES);
        Measured { name, is_scrape, operation: Box::new(operation), samples }
    }
}

/// Prints the floor and, beside it, the two scrapes of the daytime
/// service and the parts of a scrape that explain them: the HTTP round
/// trip alone, and `/metrics` with no target (the exporter's own metrics).
fn bench_latency(binary: &Path, daytime: SocketAddr) -> Result<()> {
    let probing = Exporter::start(
        binary,
        &["--target", &format!("clock=daytime://{daytime}"), "--probe.allow", "127.0.0.1/32"],
    )?;
    let bare = Exporter::start(binary, &[])?;
    // Prometheus keeps its connection to an exporter open between
    // scrapes, and so do these clients: the figure is the scrape, not a
    // handshake with the exporter.
    let mut healthy = Client::connect(bare.addr)?;
    let mut own = Client::connect(bare.addr)?;
    let mut probe = Client::connect(probing.addr)?;
    let mut metrics = Client::connect(probing.addr)?;
    let probe_path = format!("/probe?target={daytime}&module=daytime");
    let mut measured = [
        Measured::new("floor: connect, read, close", false, move || read_daytime(daytime)),
        Measured::new("/-/healthy", false, move || healthy.get_expecting("/-/healthy", "Healthy")),
        Measured::new("/probe, module=daytime", true, move || {
            probe.get_expecting(&probe_path, "\nprobe_success 1\n")
        }),
        Measured::new("/metrics, no target", false, move || {
            own.get_expecting("/metrics", "probe_exporter_build_info")
        }),
        Measured::new("/metrics, one target", true, move || {
            metrics
                .get_expecting("/metrics", "\nprobe_success{target=\"clock\",kind=\"daytime\"} 1\n")
        }),
    ];
    // Interleaved, so that the machine's other work falls on all alike.
    for _ in 0..LATENCY_SAMPLES {
        for Measured { operation, samples, .. } in &mut measured {
            samples.push(time(operation)?);
        }
    }

    println!();
    println!(
        "latency, {LATENCY_SAMPLES} samples each          p50        p99   p50/floor   target"
    );
    let mut floor = None; // The first measured is the floor.
    for Measured { name, is_scrape, samples, .. } in measured {
        let figures = percentiles(samples);
        let ratio = ratio(figures.p50, *floor.get_or_insert(figures.p50));
        print!("  {name:<28}  {figures}  {ratio:>9.2}×");
        if is_scrape {
            print!("   < {MAX_OVERHEAD}×  {}", verdict(ratio < MAX_OVERHEAD));
        }
        println!();
    }
    Ok(())
}

/// What a probe of the daytime service does at least: connect, read the
/// whole answer, close.
fn read_daytime(addr: SocketAddr) -> Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut answer = Vec::with_capacity(64);
    stream.read_to_end(&mut answer)?;
    if answer.ends_with(b"\r\n") {
        Ok(())
    } else {
        Err(format!("daytime answer without CRLF: {answer:?}").into())
    }
}

/// How long `operation` took.
fn time(operation: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    operation()?;
    Ok(start.elapsed())
}

/// Runs `operation` `count` times and returns how long each run took.
fn time_each(count: usize, mut operation: impl FnMut() -> Result<()>) -> Result<Vec<Duration>> {
    (0..count).map(|_| time(&mut operation)).collect()
}

/// The figures of a latency: half the samples took at most `p50`.
#[derive(Clone, Copy)]
struct Percentiles {
    p50: Duration,
    p99: Duration,
}

/// The 50th and 99th percentiles by nearest rank.
fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let rank = |p: f64| {
        let index = (p * samples.len() as f64).ceil() as usize;
        samples[index.clamp(1, samples.len()) - 1]
    };
    Percentiles { p50: rank(0.50), p99: rank(0.99) }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>7.0} µs {:>7.0} µs", micros(self.p50), micros(self.p99))
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

// ---------------------------------------------------------------------------
// Throughput, and the exporter's memory before, during and after it.

fn bench_throughput_and_memory(binary: &Path) -> Result<()> {
    let exporter = Exporter::start(binary, &[])?;
    let idle = Memory::of(exporter.pid())?;

    println!();
    println!(
        "throughput, GET /-/healthy on kept-alive connections, {} s per run",
        THROUGHPUT_RUN.as_secs()
    );
    let mut peak_kib = 0;
    for clients in CLIENT_COUNTS {
        let run = run_clients(exporter.addr, exporter.pid(), clients);
        peak_kib = peak_kib.max(run.peak_rss_kib);
        println!(
            "  {clients:>3} client{}  {:>9.0} requests/s   ({} failed)",
            plural(clients),
            run.requests as f64 / run.elapsed.as_secs_f64(),
            run.failures
        );
    }
    let after = Memory::of(exporter.pid())?;

    println!();
    println!("memory of the exporter process (VmRSS; anonymous + file-backed)");
    let idle_verdict = verdict(idle.rss_kib < MAX_IDLE_RSS_KIB);
    println!(
        "  idle, just started          {idle}   target < {MAX_IDLE_RSS_KIB} KiB  {idle_verdict}"
    );
    println!("  under load, peak sampled    {peak_kib:>5} KiB");
    println!("  idle again after the load   {after}");
    if let Some(musl) = static_binaries(binary).into_iter().find(|built| built.triple == MUSL) {
        let exporter = Exporter::start(&musl.path, &[])?;
        let memory = Memory::of(exporter.pid())?;
        let met = verdict(memory.rss_kib < MAX_IDLE_RSS_KIB);
        println!("  static musl binary, idle    {memory}   target < {MAX_IDLE_RSS_KIB} KiB  {met}");
    }
    Ok(())
}

struct LoadRun {
    requests: u64,
    failures: u64,
    elapsed: Duration,
    peak_rss_kib: u64,
}

/// `clients` threads, each on its own kept-alive connection, request
/// `/-/healthy` until the run ends, while another samples the exporter's
/// memory.
fn run_clients(addr: SocketAddr, pid: u32, clients: usize) -> LoadRun {
    let requests = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let running = AtomicBool::new(true);
    let start = Instant::now();
    let peak_rss_kib = thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let Ok(mut client) = Client::connect(addr) else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                while start.elapsed() < THROUGHPUT_RUN {
                    match client.get("/-/healthy") {
                        Ok(response) if response.status == 200 => {
                            requests.fetch_add(1, Ordering::Relaxed)
                        }
                        Ok(_) => failures.fetch_add(1, Ordering::Relaxed),
                        Err(_) => {
                            // The connection is broken; this client is done.
                            failures.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    };
                }
            });
        }
        let sampler = scope.spawn(|| {
            let mut peak = 0;
            while running.load(Ordering::Relaxed) {
                if let Ok(memory) = Memory::of(pid) {
                    peak = peak.max(memory.rss_kib);
                }
                thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        thread::sleep(THROUGHPUT_RUN);
        running.store(false, Ordering::Relaxed);
        sampler.join().unwrap_or(0)
    });
    LoadRun {
        requests: requests.into_inner(),
        failures: failures.into_inner(),
        elapsed: start.elapsed(),
        peak_rss_kib,
    }
}

/// The resident memory of a process, from `/proc/PID/status`.
struct Memory {
    rss_kib: u64,
    anon_kib: u64,
    file_kib: u64,
}

impl Memory {
    fn of(pid: u32) -> Result<Memory> {
        let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| -> Result<u64> {
            let line = status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))?;
            Ok(line.trim().trim_end_matches("kB").trim().parse()?)
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            anon_kib: field("RssAnon:")?,
            file_kib: field("RssFile:")?,
        })
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>5} KiB ({} + {})", self.rss_kib, self.anon_kib, self.file_kib)
    }
}

// ---------------------------------------------------------------------------
// Scrapes of many slow targets: probed at once, they cost about one.

fn bench_slow_targets(binary: &Path) -> Result<()> {
    let fixture = spawn_slow_daytime()?;
    println!();
    println!(
        "scrape of daytime targets that answer after {} ms, median of {SLOW_SCRAPES}",
        SLOW_ANSWER.as_millis()
    );
    let mut one_target = None;
    for count in SLOW_TARGET_COUNTS {
        let target_flags: Vec<String> = (0..count)
            .flat_map(|i| ["--target".to_string(), format!("slow{i}=daytime://{fixture}")])
            .collect();
        let args: Vec<&str> = target_flags.iter().map(String::as_str).collect();
        let exporter = Exporter::start(binary, &args)?;
        let mut client = Client::connect(exporter.addr)?;
        let expected =
            format!("\nprobe_success{{target=\"slow{}\",kind=\"daytime\"}} 1\n", count - 1);
        client.get_expecting("/metrics", &expected)?; // Warms up the threads.
        let samples = time_each(SLOW_SCRAPES, || client.get_expecting("/metrics", &expected))?;
        let median = percentiles(samples).p50;
        let one = *one_target.get_or_insert(median);
        let vs_one = ratio(median, one);
        print!(
            "  {count:>3} target{}  {:>7.1} ms   {vs_one:.2}× one target",
            plural(count),
            millis(median)
        );
        if count == MANY_TARGETS {
            print!(
                "   target about 1× (< {MAX_SLOW_SCRAPE_RATIO}×)  {}",
                verdict(vs_one < MAX_SLOW_SCRAPE_RATIO)
            );
        }
        println!();
    }
    Ok(())
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
                let line = format!("{}\r\n", timestamp::format_ctime(SystemTime::now()));
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

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        " "
    } else {
        "s"
    }
}

// ---------------------------------------------------------------------------
// Start-up: from exec to the first answer.

fn bench_startup(binary: &Path) -> Result<()> {
    let mut to_listening = Vec::with_capacity(STARTS);
    let mut to_healthy = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let exporter = Exporter::start(binary, &[])?;
        to_listening.push(exporter.listening_after);
        Client::connect(exporter.addr)?.get_expecting("/-/healthy", "")?;
        to_healthy.push(exporter.started.elapsed());
    }
    println!();
    println!("start-up, median of {STARTS} starts");
    println!("  to the \"listening\" log line   {:>6.2} ms", millis(percentiles(to_listening).p50));
    println!("  to the first /-/healthy 200   {:>6.2} ms", millis(percentiles(to_healthy).p50));
    Ok(())
}

// ---------------------------------------------------------------------------
// Binary sizes: this one, and the static builds where they were made.

struct Built {
    flavour: &'static str,
    triple: &'static str,
    path: PathBuf,
}

/// The binaries `make static` and `make cross` leave in the same target
/// directory as `binary` (`target/release/probe_exporter`).
fn static_binaries(binary: &Path) -> Vec<Built> {
    let Some(target_dir) = binary.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    [
        ("static, musl, x86-64", MUSL),
        ("static-pie, glibc, x86-64", "x86_64-unknown-linux-gnu"),
        ("static, musl, aarch64", "aarch64-unknown-linux-musl"),
    ]
    .into_iter()
    .map(|(flavour, triple)| Built {
        flavour,
        triple,
        path: target_dir.join(triple).join("static").join("probe_exporter"),
    })
    .filter(|built| built.path.is_file())
    .collect()
}

fn print_sizes(binary: &Path) {
    println!();
    println!("binary size");
    let size = |path: &Path| fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("  release, dynamic glibc      {}", Size(size(binary)));
    let built = static_binaries(binary);
    if built.is_empty() {
        println!("  (no static build found; `make static` and `make cross` make them)");
    }
    for Built { flavour, triple, path } in built {
        let bytes = size(&path);
        print!("  {flavour:<26}  {}", Size(bytes));
        if triple == MUSL {
            let met = bytes < MAX_STATIC_MUSL_KIB * 1024;
            print!("   target < {MAX_STATIC_MUSL_KIB} KiB  {}", verdict(met));
        }
        println!();
    }
}

/// A file size, in bytes and in KiB.
struct Size(u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>8} bytes ({:>4} KiB)", self.0, self.0 / 1024)
    }
}

// ---------------------------------------------------------------------------
// The exporter process, and an HTTP/1.1 client that keeps its connection.

/// A running exporter process; killed when dropped.
struct Exporter {
    child: Child,
    addr: SocketAddr,
    started: Instant,
    /// From spawning the process to reading its `listening` line.
    listening_after: Duration,
    /// Reads the log to its end, so that a full pipe never blocks the
    /// exporter; it ends when the process does.
    log_reader: Option<JoinHandle<()>>,
}

impl Exporter {
    /// Starts `BINARY --web.listen-address 127.0.0.1:0 ARGS...` and waits,
    /// boundedly, for the log line that names the bound address.
    fn start(binary: &Path, args: &[&str]) -> Result<Exporter> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["--web.listen-address", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("stderr is not piped")?;
        let (address_tx, address_rx) = mpsc::channel();
        let log_reader = thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(io::Result::ok) {
                if let Some(addr) = exporter_address(&line) {
                    let _ = address_tx.send(addr);
                }
            }
        });
        // Built before the wait, so that dropping it kills the process
        // if no address comes.
        let mut exporter = Exporter {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            started,
            listening_after: Duration::ZERO,
            log_reader: Some(log_reader),
        };
        exporter.addr = address_rx
            .recv_timeout(IO_TIMEOUT)
            .map_err(|_| format!("{} logged no listening address", binary.display()))?;
        exporter.listening_after = started.elapsed();
        Ok(exporter)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The address of `level=info msg="listening" address=...`, the exporter's
/// own line; the demo services' lines name a `service` too.
fn exporter_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("msg=\"listening\"") || line.contains("service=") {
        return None;
    }
    line.rsplit("address=").next()?.trim().parse().ok()
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
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

    /// A GET that must answer 200 with `expected` in its body, so that no
    /// figure is the time of a failure.
    fn get_expecting(&mut self, path: &str, expected: &str) -> Result<()> {
        let response = self.get(path)?;
        if response.status == 200 && response.body.contains(expected) {
            Ok(())
        } else {
            Err(format!("GET {path}: {} without {expected:?}:\n{}", response.status, response.body)
                .into())
        }
    }

    /// Reads until `complete` finds what it needs in the buffer; returns
    /// what `complete` returned.
    fn fill_until(&mut self, complete: impl Fn(&[u8]) -> Option<usize>) -> Result<usize> {
        let mut chunk = [0; 16 * 1024];
        loop {
            if let Some(found) = complete(&self.buffer) {
                return Ok(found);
            }
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err("the exporter closed the connection mid-response".into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
