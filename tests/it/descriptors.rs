//! File descriptors and refusals against the real binary: a low limit on
//! open files, clients that hold many idle sockets, descriptors that run
//! out while the exporter runs, and `503`s to clients queued behind
//! silent sockets.
//!
//! The exporter is started through `prlimit(1)` (util-linux), which sets
//! the limit and then becomes the exporter, keeping the pid; `prlimit
//! --pid` lowers a running exporter's limit from outside.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::proc_files::{cpu_ticks, free_fd_numbers, open_fd_numbers, open_files_limit};
use crate::support::{
    self, BusyCores, ExporterCommand, Fixture, RunningExporter, TempFile, DAYTIME_LINE, IO_TIMEOUT,
};

/// A scrape not answered within this time counts as not answered.
const SCRAPE_PATIENCE: Duration = Duration::from_secs(5);

/// How often `os/exhaustion.rs` (`REPEAT_EVERY`) lets the same shortage be logged again.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The exporter under `prlimit --nofile=SOFT:HARD`, started.
fn limited(soft: u64, hard: u64, args: &[&str]) -> RunningExporter {
    ExporterCommand::new(args).open_files(soft, hard).start()
}

/// The line of its start-up log that says the limit on open files is too
/// low, if there is one.
fn limit_warning(exporter: &RunningExporter) -> Option<String> {
    exporter.log().read_so_far().into_iter().find(|line| line.contains("open files limit"))
}

/// The status of `GET path` on a new connection, or `None` if no answer
/// came within [`SCRAPE_PATIENCE`].
fn status_of(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, SCRAPE_PATIENCE).ok()?;
    stream.set_read_timeout(Some(SCRAPE_PATIENCE)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    support::read_response(&mut stream).ok().map(|response| response.status)
}

/// `n` connections that never send a byte.
fn silent_sockets(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n).map(|_| support::connect(addr)).collect()
}

/// The value of `field=` in a logfmt line.
fn field<'a>(line: &'a str, field: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {field}="))? + field.len() + 2;
    line[start..].split(' ').next()
}

// ---------------------------------------------------------------------------
// A low limit at start

/// Under a limit of `soft` open files, `silent` idle connections held
/// open by one client leave every scrape answered, with its probe done.
fn scrapes_are_answered_under(soft: u64, silent: usize, scrapes: usize) {
    let clock = Fixture::replying(DAYTIME_LINE);
    let target = format!("clock=daytime://{}", clock.addr);
    let exporter = limited(soft, soft, &["--target", &target]);
    let _silent = silent_sockets(exporter.addr, silent);
    for scrape in 0..scrapes {
        let mut stream = support::connect(exporter.addr);
        stream.set_read_timeout(Some(SCRAPE_PATIENCE)).unwrap();
        let request = b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        stream.write_all(request).unwrap();
        let response = support::read_response(&mut stream);
        let response = response.unwrap_or_else(|err| panic!("scrape {scrape}: no answer: {err}"));
        assert_eq!(response.status, 200, "scrape {scrape}");
        let success = response.sample("probe_success{target=\"clock\",kind=\"daytime\"}");
        assert_eq!(success, Some(1.0), "scrape {scrape}: the probe found no descriptor");
    }
    let warning = limit_warning(&exporter).expect("no warning at start that the limit is too low");
    println!("under {soft} open files, the exporter said at start: {warning}");
}

#[test]
fn with_64_files_and_120_idle_connections_scrapes_are_answered() {
    scrapes_are_answered_under(64, 120, 3);
}

#[test]
fn with_24_files_and_40_silent_sockets_scrapes_are_answered() {
    scrapes_are_answered_under(24, 40, 20);
}

#[test]
fn a_connection_cap_the_limit_cannot_hold_is_lowered_and_said_at_start() {
    let exporter = limited(128, 128, &["--web.max-connections", "1000"]);
    let warning = limit_warning(&exporter).expect("no warning at start");
    let warning = warning.as_str();
    assert!(warning.contains("level=warn"), "{warning}");
    assert_eq!(field(warning, "max_connections"), Some("1000"), "{warning}");
    let kept: u64 = field(warning, "connections").and_then(|n| n.parse().ok()).expect(warning);
    assert!((1..=32).contains(&kept), "{kept} connections of two descriptors each in 128");

    // More idle connections than it keeps: it closes the oldest, as at
    // its cap, instead of running out.
    let _silent = silent_sockets(exporter.addr, 80);
    for scrape in 0..3 {
        assert_eq!(status_of(exporter.addr, "/-/healthy"), Some(200), "scrape {scrape}");
    }
}

#[test]
fn the_soft_limit_is_raised_to_the_hard_one_at_start() {
    // 100 connections need 200 descriptors: far more than the soft
    // limit, within the hard one.
    // The hard limit of this test process, which one it starts cannot exceed.
    let hard = open_files_limit().1.min(1024);
    assert!(hard >= 1024, "the tests need a hard limit on open files of 1024 at least");
    let exporter = limited(64, hard, &["--web.max-connections", "100"]);
    let warning = limit_warning(&exporter);
    assert!(warning.is_none(), "{warning:?}");
    let mut stream = support::connect(exporter.addr);
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let metrics = support::read_response(&mut stream).unwrap();
    assert_eq!(metrics.sample("process_max_fds"), Some(hard as f64));

    let _silent = silent_sockets(exporter.addr, 150);
    for scrape in 0..3 {
        assert_eq!(status_of(exporter.addr, "/-/healthy"), Some(200), "scrape {scrape}");
    }
    let open = open_fd_numbers(exporter.pid()).len();
    assert!(open >= 200, "only {open} files open: the 100 connections were not all kept");
}

// ---------------------------------------------------------------------------
// Running out while running

#[test]
fn out_of_descriptors_the_longest_waiting_connection_makes_room_and_is_logged_once() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let target = format!("clock=daytime://{}", clock.addr);
    let mut exporter = RunningExporter::start(&["--target", &target]);
    // Room for a few connections only, though the cap (256) was fitted
    // to the limit at start: as if probes, or a `prlimit` from outside,
    // had taken the rest.
    let started = Instant::now();
    exporter.set_open_files_soft_limit(free_fd_numbers(exporter.pid(), 1)[0] + 12);
    let mut answered = 0;
    let mut outcomes = Vec::new();
    let mut held = Vec::new();
    for round in 0..5 {
        held.extend(silent_sockets(exporter.addr, 10));
        let mut stream = support::connect(exporter.addr);
        stream.set_read_timeout(Some(SCRAPE_PATIENCE)).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .unwrap();
        let response = support::read_response(&mut stream);
        let response = response.unwrap_or_else(|err| panic!("round {round}: no answer: {err}"));
        assert_eq!(response.status, 200, "round {round}: {response:?}");
        answered += 1;
        outcomes.push(response.sample("probe_success{target=\"clock\",kind=\"daytime\"}"));
    }
    println!("{answered} of 5 scrapes answered out of descriptors; probe_success: {outcomes:?}");
    assert!(exporter.is_running());

    let lines = exporter.log().until_quiet(Duration::from_millis(500));
    let elapsed = started.elapsed();
    let logged: Vec<&String> =
        lines.iter().filter(|line| line.contains("out of file descriptors")).collect();
    println!("in {elapsed:?} out of descriptors, the exporter logged: {logged:?}");
    assert!(!logged.is_empty(), "nothing was logged");
    assert!(logged[0].contains("making room"), "{}", logged[0]);
    let intervals = 1 + (elapsed.as_secs_f64() / LOG_INTERVAL.as_secs_f64()) as usize;
    assert!(logged.len() <= intervals, "{} lines in {elapsed:?}", logged.len());
}

#[test]
fn with_no_descriptor_and_no_connection_to_close_it_backs_off_and_recovers() {
    let mut exporter = RunningExporter::start(&[]);
    let room = free_fd_numbers(exporter.pid(), 1)[0];
    exporter.set_open_files_soft_limit(room); // Not one descriptor more.
    let mut waiting = silent_sockets(exporter.addr, 5);
    let logged =
        exporter.log().wait_for("out of file descriptors", IO_TIMEOUT).expect("nothing was logged");
    assert!(logged.contains("backing off"), "{logged}");

    // Backing off, not spinning: a busy accept loop would burn a whole
    // second of CPU each second. Linux counts 100 clock ticks a second.
    let before = cpu_ticks(exporter.pid());
    thread::sleep(Duration::from_secs(1));
    let busy_ticks = cpu_ticks(exporter.pid()) - before;
    assert!(busy_ticks < 30, "{busy_ticks} ticks of CPU in one second: spinning");
    assert!(exporter.is_running(), "the exporter exited when it ran out of descriptors");

    // Room again: the connections that waited in the queue are served.
    // (Not the first: an `accept()` takes its descriptor number before it
    // blocks, so the first connection got the last one, found none for
    // the connection table's clone, and was refused with 503.)
    exporter.set_open_files_soft_limit(room + 64);
    let stream = waiting.last_mut().expect("five connections");
    stream.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let response = support::read_response(stream).expect("served once there is room");
    assert_eq!(response.status, 200, "{response:?}");
}

#[test]
fn with_no_descriptor_to_accept_with_the_loop_waits_for_a_connection_to_close() {
    // A scrape of a silent target (budget 2.5 s) keeps connection K busy,
    // its probe socket above the descriptors that idle clients then give
    // back; the limit is lowered to the lowest free number. No descriptor
    // under it is free, so `accept()` itself fails: only closing K, once
    // its answer is sent, frees one the queued client can be taken with.
    let probed = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&probed);
    let silent = Fixture::start(move |mut stream| {
        counted.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let _ = stream.read(&mut [0u8; 1]);
    });
    let config = TempFile::new(&format!(
        "[target silent]\nkind = daytime\naddress = {}\ntimeout = 1m\n",
        silent.addr
    ));
    let exporter = RunningExporter::start(&["--config.file", config.path()]);
    let pid = exporter.pid();
    let ask = |stream: &mut TcpStream, request: &[u8]| {
        stream.write_all(request).unwrap();
        support::read_response(stream).expect("an answer")
    };
    let mut k = support::connect(exporter.addr);
    assert_eq!(ask(&mut k, b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n").status, 200);
    let mut fillers = silent_sockets(exporter.addr, 10);
    for filler in &mut fillers {
        assert_eq!(ask(filler, b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n").status, 200);
    }
    k.set_read_timeout(Some(SCRAPE_PATIENCE)).unwrap();
    let scrape =
        b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Prometheus-Scrape-Timeout-Seconds: 3\r\n\r\n";
    k.write_all(scrape).unwrap();
    let deadline = Instant::now() + IO_TIMEOUT;
    while probed.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the scrape never reached its target");
        thread::sleep(Duration::from_millis(5));
    }
    let busy_fds = open_fd_numbers(pid).len();
    drop(fillers);
    while open_fd_numbers(pid).len() + 2 * 10 > busy_fds {
        assert!(Instant::now() < deadline, "the idle connections were never closed");
        thread::sleep(Duration::from_millis(5));
    }
    exporter.set_open_files_soft_limit(free_fd_numbers(pid, 1)[0]);

    // The first client takes the descriptor `accept()` held while it
    // blocked, and finds none for its clone; the second waits in the queue.
    let mut first = support::connect(exporter.addr);
    first.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut queued = support::connect(exporter.addr);
    queued.set_read_timeout(Some(SCRAPE_PATIENCE)).unwrap();
    queued.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let answered = support::read_response(&mut k).expect("the scrape in flight is answered");
    assert_eq!(answered.status, 200, "{answered:?}");
    let served = support::read_response(&mut queued);
    let served = served.unwrap_or_else(|err| panic!("the queued client was never taken: {err}"));
    assert_eq!(served.status, 200, "{served:?}");
    // Its room was K, idle once answered.
    support::assert_closed(&mut k);
}

#[test]
fn with_no_descriptor_left_no_connection_is_closed_for_a_client_that_is_not_there() {
    // Room for the idle exporter's descriptors and two more: one
    // connection's socket and the connection table's clone of it. The
    // limit caps descriptor *numbers*, and a new one takes the lowest free
    // number, so the limit is the idle exporter's second free number, plus
    // one. (Its accept thread, blocked in `accept()`, holds the first.)
    let free = free_fd_numbers(RunningExporter::start(&[]).pid(), 2);
    let limit = u64::try_from(free[1] + 1).expect("a small number");
    let exporter = limited(limit, limit, &[]);
    let mut kept_alive = support::connect(exporter.addr);
    for request in 0..3 {
        // Between requests the connection is idle, and the accept loop,
        // with no descriptor left, waits for a client to come: none does.
        thread::sleep(Duration::from_millis(300));
        kept_alive.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let response = support::read_response(&mut kept_alive);
        let response = response.unwrap_or_else(|err| panic!("request {request}: closed: {err}"));
        assert_eq!(response.status, 200, "request {request}");
    }
}

// ---------------------------------------------------------------------------
// Refusals

/// An exporter with `--web.max-connections 1`, whose one connection is
/// busy scraping a target that never answers (timeout 10 s); the scrape's
/// connection, the target and its file are returned to be kept.
fn its_one_connection_busy() -> (RunningExporter, TcpStream, Fixture, TempFile) {
    let probes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&probes);
    let silent_target = Fixture::start(move |mut stream| {
        counted.fetch_add(1, Ordering::SeqCst);
        // Holds the probe's connection until the probe gives up.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let _ = stream.read(&mut [0u8; 1]);
    });
    let config = format!(
        "[target silent]\nkind = daytime\naddress = {}\ntimeout = 10s\n",
        silent_target.addr
    );
    let config = TempFile::new(&config);
    let exporter =
        RunningExporter::start(&["--config.file", config.path(), "--web.max-connections", "1"]);
    let mut scrape = support::connect(exporter.addr);
    scrape.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    // A probe starts only once its request has been read and the
    // connection marked busy: from then on it cannot be closed to make room.
    let deadline = Instant::now() + IO_TIMEOUT;
    while probes.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the scrape never reached its target");
        thread::sleep(Duration::from_millis(5));
    }
    (exporter, scrape, silent_target, config)
}

/// Reads a `503` from `stream`, or says what came instead.
fn read_503(stream: &mut TcpStream) -> Result<(), String> {
    match support::read_response(stream) {
        Ok(response) if response.status == 503 => {
            assert_eq!(response.header("Retry-After"), Some("1"), "{response:?}");
            Ok(())
        }
        Ok(response) => Err(format!("{response:?}")),
        Err(err) => Err(err.to_string()),
    }
}

#[test]
fn a_client_behind_100_silent_sockets_gets_its_503_at_once_on_a_busy_host() {
    let _busy = BusyCores::start();
    let (exporter, _scrape, _target, _config) = its_one_connection_busy();
    let started = Instant::now();
    let mut silent = silent_sockets(exporter.addr, 100);
    let mut client = support::connect(exporter.addr);
    client.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let answer = read_503(&mut client);
    let waited = started.elapsed();
    println!("a client behind 100 silent sockets got its 503 after {waited:?}");
    answer.expect("the client was not refused with 503");
    // Refusals that each waited 50 ms for a request would take 5 s here.
    assert!(waited < Duration::from_millis(2500), "the 503 came after {waited:?}");
    for (idx, socket) in silent.iter_mut().enumerate() {
        read_503(socket).unwrap_or_else(|err| panic!("silent socket {idx}: {err}"));
    }
    let all = started.elapsed();
    let rate = 101.0 / all.as_secs_f64();
    println!("101 refusals, 100 of silent clients, in {all:?}: {rate:.0} a second");
}

#[test]
fn refused_clients_read_their_whole_503_however_late_they_write() {
    let (exporter, _scrape, _target, _config) = its_one_connection_busy();
    // Clients that write at once, and clients that write only after the
    // 503 came and the drain time passed: none of them sees a reset.
    for delay_ms in [0, 0, 0, 20, 100] {
        let mut clients = silent_sockets(exporter.addr, 20);
        thread::sleep(Duration::from_millis(delay_ms));
        for client in &mut clients {
            let request = client.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
            request.unwrap_or_else(|err| panic!("writing after {delay_ms} ms: {err}"));
        }
        for (idx, client) in clients.iter_mut().enumerate() {
            let answer = read_503(client);
            answer.unwrap_or_else(|err| panic!("client {idx}, writing after {delay_ms} ms: {err}"));
        }
    }
}
