//! The CPU floor: what any exporter must spend to answer the same scrape
//! (see the figures' notes in `main.rs`), and the meters that take turns
//! measuring the exporter and its floor.

use std::fs;
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::requests::Ask;
use crate::support::http_client::{find, Client};
use crate::support::process::RunningExporter;
use crate::support::{Result, IO_TIMEOUT};
use crate::timing::{process_cpu, thread_cpu, us};

/// Requests before any measurement: pools, buffers and caches fill first.
pub const WARM_UP: usize = 50;
/// A CPU figure takes turns: `CPU_ROUNDS` rounds in which each exporter
/// (and then the floor) runs `CPU_ROUND`, 2 s of requests in all per
/// exporter, thousands of them.
pub const CPU_ROUNDS: usize = 20;
pub const CPU_ROUND: Duration = Duration::from_millis(100);

/// The request a CPU figure repeats, and what its answer must hold.
pub enum Check {
    /// `/metrics`, every one of this many targets probed successfully.
    Metrics(usize),
    /// This `/probe` path, successfully.
    Probe(String),
    /// `/metrics` of this many targets in a format asked for, plain or
    /// gzipped: each answer only as [`Client::scrape_as`] checks it, and
    /// one in full ([`Client::check_in_full`]).
    Asked(Ask, usize),
}

impl Check {
    /// The configured targets the request scrapes: none for `/probe`.
    pub fn targets(&self) -> usize {
        match self {
            Check::Metrics(targets) | Check::Asked(_, targets) => *targets,
            Check::Probe(_) => 0,
        }
    }

    /// A word for file names: what the request asks for.
    pub fn tag(&self) -> String {
        match self {
            Check::Metrics(_) => "text".to_string(),
            Check::Probe(_) => "probe".to_string(),
            Check::Asked(ask, _) => ask.name().replace(' ', "-"),
        }
    }
}

impl Client {
    pub fn check(&mut self, check: &Check) -> Result<usize> {
        match check {
            Check::Metrics(targets) => Ok(self.scrape("/metrics", *targets)?.len()),
            Check::Probe(path) => Ok(self.probe(path)?.len()),
            Check::Asked(ask, _) => Ok(self.scrape_as(*ask)?.len()),
        }
    }

    /// One request as `check` says, its answer checked in full, however
    /// little [`Client::check`] checks.
    pub fn check_in_full(&mut self, check: &Check) -> Result<()> {
        match check {
            Check::Asked(ask, targets) => self.scrape_checked(*ask, *targets).map(drop),
            other => self.check(other).map(drop),
        }
    }
}

/// Sequential requests to one exporter on one kept-alive connection, and
/// the exporter's CPU (all its threads, `/proc/PID/stat`) since the first.
pub struct CpuMeter<'a> {
    exporter: &'a RunningExporter,
    client: Client,
    check: Check,
    pub body_len: usize,
    cpu_before: Duration,
    requests: usize,
}

impl CpuMeter<'_> {
    /// Connects and warms up; the CPU counts from here.
    pub fn start(exporter: &RunningExporter, check: Check) -> Result<CpuMeter<'_>> {
        let mut client = Client::connect(exporter.addr)?;
        let mut body_len = 0;
        for _ in 0..WARM_UP {
            body_len = client.check(&check)?;
        }
        let cpu_before = process_cpu(exporter.pid)?;
        Ok(CpuMeter { exporter, client, check, body_len, cpu_before, requests: 0 })
    }

    /// Requests for `duration`; returns how many.
    pub fn run_for(&mut self, duration: Duration) -> Result<usize> {
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
    pub fn per_request(&self) -> Result<(Duration, usize)> {
        let used = process_cpu(self.exporter.pid)?.saturating_sub(self.cpu_before);
        Ok((used / self.requests.max(1) as u32, self.requests))
    }

    /// One more request, its answer checked in full; best after
    /// [`CpuMeter::per_request`], so that its cost is not counted.
    pub fn check_in_full(&mut self) -> Result<()> {
        self.client.check_in_full(&self.check)
    }
}

/// The floor's parts, each run the same number of times, each timed by
/// the CPU of the thread that does it.
pub struct FloorMeter {
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
    pub fn start(targets: &[SocketAddr], body_len: usize, own_process: bool) -> Result<FloorMeter> {
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
    pub fn run(&mut self, runs: usize) -> Result<()> {
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
    pub fn per_scrape(self) -> Result<Floor> {
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
pub fn thread_cpu_of(runs: usize, mut operation: impl FnMut() -> Result<()>) -> Result<Duration> {
    let before = thread_cpu()?;
    for _ in 0..runs {
        operation()?;
    }
    Ok(thread_cpu()?.saturating_sub(before))
}

/// The least CPU a scrape can cost, by its parts.
pub struct Floor {
    /// One connect, read to the end and close per target, client side.
    connects: Vec<Duration>,
    /// Reading a request and writing a body of the same size, server side.
    http: Duration,
    body_len: usize,
    /// Reading what the process metrics come from; `/metrics` only.
    own_process: Option<Duration>,
}

impl Floor {
    pub fn total(&self) -> Duration {
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
pub fn read_daytime(addr: SocketAddr) -> Result<()> {
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
pub struct RawProber {
    jobs: mpsc::Sender<SocketAddr>,
    done: mpsc::Receiver<std::result::Result<(), String>>,
}

impl RawProber {
    pub fn start() -> Result<RawProber> {
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
    pub fn read_both(&self, own: SocketAddr, handed: SocketAddr) -> Result<()> {
        self.jobs.send(handed).map_err(|_| "the raw prober ended")?;
        read_daytime(own)?;
        self.done.recv_timeout(IO_TIMEOUT)??;
        Ok(())
    }
}

/// What the process metrics of a scrape must read at least.
pub fn read_own_process_files() -> Result<()> {
    black_box(fs::read("/proc/self/stat")?);
    black_box(fs::read("/proc/self/status")?);
    black_box(fs::read_dir("/proc/self/fd")?.count());
    Ok(())
}

/// An HTTP server that does the least: on its one connection it reads
/// each request head and answers it with the same prepared response. Its
/// thread measures its own CPU from accept to the client's close.
pub struct MinimalHttpServer {
    pub addr: SocketAddr,
    served: JoinHandle<std::result::Result<(Duration, usize), String>>,
}

impl MinimalHttpServer {
    pub fn start(body_len: usize) -> Result<MinimalHttpServer> {
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
    pub fn cpu_per_request(self) -> Result<Duration> {
        let (used, served) = self.served.join().map_err(|_| "minimal HTTP server panicked")??;
        Ok(used / served.max(1) as u32)
    }
}

/// Answers every request head on `stream` with `response` until EOF;
/// returns this thread's CPU meanwhile and the requests answered.
pub fn serve_minimally(mut stream: TcpStream, response: &[u8]) -> Result<(Duration, usize)> {
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
