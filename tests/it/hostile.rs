//! Hostile clients and targets against the real binary: slow-loris,
//! clients that vanish mid-response, running out of file descriptors,
//! targets that never accept, reset, trickle or flood, and a thousand
//! targets in one scrape.
//!
//! These tests watch the process from outside, through /proc/PID (memory,
//! threads, CPU time), and start it under limits on its files and threads.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::proc_files::{free_fd_numbers, open_fds, open_files_limit};
use crate::support::{
    self, target_section, unresolvable_address, ExporterCommand, Fixture, Request, Response,
    RunningExporter, TempFile, DAYTIME_LINE,
};

// ---------------------------------------------------------------------------
// An exporter watched through /proc

/// A number from a `Name:  value` line of /proc/PID/status: `VmRSS` and
/// `VmHWM` (peak RSS) are in kB, `Threads` is a count.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Whether a connection waits in the queue of the listener on
/// 127.0.0.1:`port`, made by the kernel but not yet accepted. For a
/// listening socket (state 0A), /proc/net/tcp gives the length of that
/// queue as `rx_queue`. Listening sockets come first in the table, so only
/// its start is read: the whole of it, with the thousands of connections
/// other tests hold, can take longer to read than a probe's timeout.
fn has_queued_connection(port: u16) -> bool {
    let Ok(table) = fs::File::open("/proc/net/tcp") else { return false };
    let local_address = format!("0100007F:{port:04X}");
    for line in BufReader::new(table).lines().skip(1).map_while(Result::ok) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(3) != Some(&"0A") {
            return false; // Past the listening sockets.
        }
        if fields.get(1) == Some(&local_address.as_str()) {
            let rx_queue = fields.get(4).and_then(|queues| queues.split_once(':'));
            let rx_queue = rx_queue.and_then(|(_, rx)| usize::from_str_radix(rx, 16).ok());
            return rx_queue.is_some_and(|queued| queued > 0);
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Hostile clients

/// The slow clients' request head: it never ends, a byte at a time.
const SLOW_HEAD: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Padding: ";

/// Holds `n` connections that each send one more byte of [`SLOW_HEAD`]
/// (then of padding) every second, and reconnects each one the exporter
/// closes, as an attacker would. The first round opens the connections.
/// Sends `()` on `rounds` after each round, and returns how many times a
/// connection had to be opened again. It stops when told to, or when the
/// receiver of `rounds` is gone: a test that failed stops it too.
fn slow_loris(
    addr: SocketAddr,
    n: usize,
    stop: Arc<AtomicBool>,
    rounds: mpsc::Sender<()>,
) -> thread::JoinHandle<usize> {
    let connect = move || {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        stream.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
        Some(stream)
    };
    thread::spawn(move || {
        let mut clients: Vec<(Option<TcpStream>, usize)> = (0..n).map(|_| (None, 0)).collect();
        let mut reconnects = 0;
        while !stop.load(Ordering::SeqCst) {
            for (client, n_sent) in clients.iter_mut() {
                let byte = SLOW_HEAD.get(*n_sent).copied().unwrap_or(b'a');
                match client.as_mut().map(|stream| stream.write_all(&[byte]).is_ok()) {
                    Some(true) => *n_sent += 1,
                    Some(false) => {
                        (*client, *n_sent) = (connect(), 0);
                        reconnects += 1;
                    }
                    None => *client = connect(),
                }
                // One connection at a time, spread over the second: a slow
                // attacker, not a flood of connection attempts.
                thread::sleep(Duration::from_secs(1) / n as u32);
            }
            if rounds.send(()).is_err() {
                break;
            }
        }
        reconnects
    })
}

#[test]
fn slow_loris_neither_locks_out_a_scrape_nor_grows_memory() {
    // Each slow client is one file descriptor here; keep room for the rest.
    let n_clients = 1000.min(open_files_limit().0.saturating_sub(300) as usize);
    if n_clients < 1000 {
        println!("the soft limit on open files allows only {n_clients} slow clients, not 1000");
    }
    let clock = Fixture::replying(DAYTIME_LINE);
    let target = format!("clock=daytime://{}", clock.addr);
    let exporter = RunningExporter::start(&["--target", &target]);

    let stop = Arc::new(AtomicBool::new(false));
    let (round_tx, rounds) = mpsc::channel();
    let attacker = slow_loris(exporter.addr, n_clients, Arc::clone(&stop), round_tx);
    rounds.recv_timeout(Duration::from_secs(60)).expect("the slow clients started");

    let mut scrape_times = Vec::new();
    let mut rss_kb = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let response = exporter.get("/metrics");
        scrape_times.push(started.elapsed());
        rss_kb.push(status_field(exporter.pid(), "VmRSS"));
        assert_eq!(response.status, 200);
        assert_eq!(response.sample("probe_success{target=\"clock\",kind=\"daytime\"}"), Some(1.0));
        rounds.recv_timeout(Duration::from_secs(10)).expect("the slow clients went on");
    }
    let peak_rss_kb = status_field(exporter.pid(), "VmHWM");
    let threads = status_field(exporter.pid(), "Threads");
    stop.store(true, Ordering::SeqCst);
    let reconnects = attacker.join().expect("the slow clients' thread");

    println!(
        "slow-loris: {n_clients} clients, {reconnects} reconnects after eviction; scrapes took \
         {scrape_times:?}; VmRSS {rss_kb:?} kB, peak {peak_rss_kb} kB; {threads} threads"
    );
    // The cap (256 by default) let most of them in only to evict them.
    assert!(reconnects > 0, "no slow client was ever closed");
    // Locked out, a scrape would wait for a slow client's read timeout
    // (10 s by default) to free a place.
    for elapsed in scrape_times {
        assert!(elapsed < Duration::from_secs(5), "a scrape took {elapsed:?} under slow-loris");
    }
    assert!(peak_rss_kb < 32 * 1024, "peak RSS {peak_rss_kb} kB is above 32 MB");
}

/// A client that pipelines `requests` scrapes at once, then reads the
/// answers `read_size` bytes every 250 ms until `stop` is set or 20 s have
/// passed. It sends `()` on `answered` when its first bytes arrive, and
/// returns how many bytes it read.
fn slow_reader(
    addr: SocketAddr,
    requests: usize,
    read_size: usize,
    stop: Arc<AtomicBool>,
    answered: mpsc::Sender<()>,
) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
            return 0;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        // The requests go out on a thread of their own: the exporter reads
        // them only as it answers, so writing them all can block.
        let mut sender = match stream.try_clone() {
            Ok(sender) => sender,
            Err(_) => return 0,
        };
        let pipelined = "GET /metrics HTTP/1.1\r\nHost: slow\r\n\r\n".repeat(requests);
        thread::spawn(move || {
            let _ = sender.write_all(pipelined.as_bytes());
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut chunk = vec![0u8; read_size];
        let mut read = 0;
        while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if read == 0 {
                        let _ = answered.send(());
                    }
                    read += n;
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
            thread::sleep(Duration::from_millis(250));
        }
        read
    })
}

#[test]
fn clients_slow_to_read_do_not_lock_out_a_scrape() {
    // Eight clients, as many as the cap, each with megabytes of answers
    // waiting and taking 2 KiB a second: every worker is stuck writing.
    let exporter = RunningExporter::start(&["--web.max-connections", "8"]);
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, answers) = mpsc::channel();
    // The wait below ends well before the 10 s write timeout, which runs
    // from each connection's first answer: it would close the connections
    // and let the scrape in whatever the table does.
    let waiting_since = Instant::now();
    let deadline = waiting_since + Duration::from_secs(8);
    let readers: Vec<_> = (0..8)
        .map(|_| slow_reader(exporter.addr, 4000, 512, Arc::clone(&stop), answered.clone()))
        .collect();
    for _ in &readers {
        let patience = deadline.saturating_duration_since(Instant::now());
        answers.recv_timeout(patience).expect("every slow reader gets an answer");
    }
    // Until the answers fill the sockets' buffers, a worker is mostly busy
    // making the next one, and a scrape then would rightly find all eight
    // busy. How long filling takes depends on how busy the machine is, so
    // it is waited for, not slept for: a worker waiting in a write for its
    // client is asleep, where one still answering runs or waits to run.
    // Having answered, a worker has its client's requests, so no read puts
    // it to sleep; and several looks in a row rule out a wait for a lock.
    let pid = exporter.pid();
    let mut looks_asleep = 0;
    while looks_asleep < 5 {
        let states = thread_states(pid, "worker-");
        let all_asleep = states.len() == 8 && states.iter().all(|&state| state == 'S');
        looks_asleep = if all_asleep { looks_asleep + 1 } else { 0 };
        assert!(Instant::now() < deadline, "the workers never all waited to write: {states:?}");
        thread::sleep(Duration::from_millis(20));
    }

    let started = Instant::now();
    let response = exporter.get("/metrics");
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let read: Vec<usize> = readers.into_iter().map(|reader| reader.join().unwrap_or(0)).collect();
    let waited = started.duration_since(waiting_since);
    println!(
        "the workers all waited to write after {waited:?}; slow readers read {read:?} bytes; \
         the scrape took {elapsed:?}"
    );
    // Busy connections are never evicted: a slow reader counted as busy
    // would have the scrape refused with 503.
    assert_eq!(response.status, 200, "{response:?}");
    assert!(elapsed < Duration::from_secs(5), "the scrape took {elapsed:?}");
    assert!(read.iter().all(|&n| n > 0), "a slow reader never got an answer: {read:?}");
}

#[test]
fn a_client_that_never_reads_is_closed_within_the_write_timeout() {
    let exporter = RunningExporter::start(&[]);
    let mut stream = support::connect(exporter.addr);
    let pipelined = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n".repeat(4000);
    let mut sender = stream.try_clone().unwrap();
    let writer = thread::spawn(move || {
        let _ = sender.write_all(pipelined.as_bytes());
    });
    // The exporter answers until the sockets' buffers are full, then
    // waits for this client, which never reads, for one write timeout
    // (10 s) for the whole backlog, not for each write's progress.
    thread::sleep(Duration::from_secs(12));
    let started = Instant::now();
    let mut sink = vec![0u8; 1 << 16];
    let closed = loop {
        match stream.read(&mut sink) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
        if started.elapsed() > Duration::from_secs(5) {
            break false;
        }
    };
    let _ = writer.join();
    assert!(closed, "the connection is still open after the write timeout");
}

#[test]
fn a_request_head_has_one_deadline_and_an_idle_connection_is_closed() {
    let exporter =
        RunningExporter::start(&["--web.read-timeout", "1s", "--web.idle-timeout", "1s"]);

    // A byte every 200 ms would satisfy a per-read timeout until all 86
    // bytes are sent, 17 s on; the whole head has one deadline, so the
    // client gets 408 after a second.
    let mut trickling = support::connect(exporter.addr);
    let mut writer = trickling.try_clone().unwrap();
    let started = Instant::now();
    let dribble = thread::spawn(move || {
        for &byte in SLOW_HEAD.iter().chain([b'a'; 40].iter()) {
            if writer.write_all(&[byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
    });
    let response = support::read_response(&mut trickling).expect("a 408 response");
    let elapsed = started.elapsed();
    assert_eq!(response.status, 408);
    assert!(elapsed >= Duration::from_secs(1), "408 after only {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "408 only after {elapsed:?}");
    drop(trickling);
    dribble.join().unwrap();

    // A connection that never sends a byte is closed without a word.
    let mut idle = support::connect(exporter.addr);
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    assert_eq!(idle.read(&mut buffer).expect("an orderly close"), 0);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn clients_that_vanish_mid_response_cost_nothing() {
    // Two hundred refused targets make a body of a few hundred KiB, more
    // than the socket buffers take at once.
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config: String = (0..200)
        .map(|idx| target_section(&format!("t{idx}"), "daytime", closed_port, "1s"))
        .collect();
    let config = TempFile::new(&config);
    let mut exporter = RunningExporter::start(&["--config.file", config.path()]);
    let idle_fds = open_fds(exporter.pid());

    let request = b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n";
    for round in 0..10 {
        let mut stream = support::connect(exporter.addr);
        stream.write_all(request).unwrap();
        if round % 2 == 1 {
            // Read the head and a little more, then close with the rest
            // unread, which makes the kernel answer with a reset.
            let mut some = [0u8; 1024];
            stream.read_exact(&mut some).unwrap();
            assert!(some.starts_with(b"HTTP/1.1 200 "));
        }
    }

    // A worker stuck on a vanished client would keep its socket open; the
    // writes fail at once, well before the 10 s write timeout.
    let deadline = Instant::now() + Duration::from_secs(5);
    while open_fds(exporter.pid()) > idle_fds {
        assert!(Instant::now() < deadline, "connections still open after their clients left");
        thread::sleep(Duration::from_millis(50));
    }
    let response = exporter.get("/metrics");
    assert_eq!(response.status, 200);
    assert!(response.body.len() > 256 * 1024, "the body is only {} bytes", response.body.len());
    let last = "probe_success{target=\"t199\",kind=\"daytime\"}";
    assert_eq!(response.sample(last), Some(0.0));
    assert!(exporter.is_running());
}

#[test]
fn without_a_thread_for_a_connection_the_accept_loop_answers_503() {
    // As many threads as the idle exporter runs: none left for a worker.
    // Every thread is started before the `listening` line: were one
    // started later, a connection's worker could take its slot and the
    // exporter exit, closing the connection unanswered.
    let idle = RunningExporter::start(&[]);
    let idle_threads = status_field(idle.pid(), "Threads");
    thread::sleep(Duration::from_millis(200));
    let settled = status_field(idle.pid(), "Threads");
    assert_eq!(settled, idle_threads, "a thread was started after the `listening` line");
    drop(idle);
    let exporter = ExporterCommand::new(&[]).max_threads_as_nobody(idle_threads).start();
    for attempt in 0..3 {
        let response = exporter.get("/-/healthy");
        assert_eq!(response.status, 503, "attempt {attempt}: {response:?}");
        assert!(response.header("Retry-After").is_some(), "{response:?}");
    }
    let logged = exporter.log().wait_for("cannot start a thread", Duration::from_secs(5));
    assert!(logged.is_some_and(|line| line.contains("level=error")), "no error line was logged");
}

#[test]
fn scrapes_start_no_thread_once_the_probe_threads_exist() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let targets: Vec<String> =
        (0..200).map(|idx| format!("t{idx}=daytime://{}", clock.addr)).collect();
    let mut args = vec!["--scrape.concurrency", "8"];
    for target in &targets {
        args.extend(["--target", target]);
    }
    let exporter = RunningExporter::start(&args);
    assert_eq!(exporter.get("/metrics").status, 200);
    let after_first = probe_threads(exporter.pid());
    for _ in 0..3 {
        assert_eq!(exporter.get("/metrics").status, 200);
    }
    let after_more = probe_threads(exporter.pid());
    println!("probe threads after one scrape of 200 targets: {after_first:?}; after three more: {after_more:?}");
    assert!(!after_first.is_empty(), "the scrape used no probe thread");
    assert_eq!(after_more, after_first, "a scrape started probe threads");
    assert!(after_more.len() <= 8, "{after_more:?}: more than --scrape.concurrency");
}

/// The state of each thread of process `pid` whose name starts with
/// `prefix`: `R` for running or runnable, `S` for asleep, and so on. It is
/// field 3 of /proc/PID/task/TID/stat, after the parenthesised name.
fn thread_states(pid: u32, prefix: &str) -> Vec<char> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    tasks
        .filter_map(|task| {
            let path = task.ok()?.path();
            let name = fs::read_to_string(path.join("comm")).ok()?;
            if !name.starts_with(prefix) {
                return None;
            }
            let stat = fs::read_to_string(path.join("stat")).ok()?;
            stat.get(stat.rfind(')')? + 2..)?.chars().next()
        })
        .collect()
}

/// The threads of process `pid` named `probe-N`, from /proc/PID/task.
fn probe_threads(pid: u32) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(format!("/proc/{pid}/task"))
        .expect("read /proc/PID/task")
        .filter_map(|task| fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .filter(|name| name.starts_with("probe-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_probe_without_a_file_descriptor_is_the_exporters_error_not_the_targets() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let target = format!("clock=daytime://{}", clock.addr);
    // Room for the descriptors the idle exporter holds, and two more: the
    // scrape's connection and the connection table's clone of it. None is
    // left for the probe's socket. The limit caps descriptor *numbers*,
    // and a new one takes the lowest free number, so the limit is the
    // second free number of the idle exporter, plus one.
    let free = free_fd_numbers(RunningExporter::start(&["--target", &target]).pid(), 2);
    let limit = u64::try_from(free[1] + 1).expect("a small number");
    let exporter = ExporterCommand::new(&["--target", &target]).max_open_files(limit).start();
    let response = exporter.get("/metrics");
    assert_eq!(response.status, 200);
    let series = "target=\"clock\",kind=\"daytime\"";
    assert_eq!(response.sample(&format!("probe_success{{{series}}}")), Some(0.0));
    let outcome = format!("probe_outcome{{{series},probe_outcome=\"exporter_error\"}}");
    assert_eq!(response.sample(&outcome), Some(1.0), "{}", outcome_of(&response, "clock"));
    let logged = exporter.log().wait_for("out of file descriptors", Duration::from_secs(5));
    assert!(logged.is_some_and(|line| line.contains("level=error")), "no error line was logged");
}

// ---------------------------------------------------------------------------
// Hostile targets

#[test]
fn hostile_targets_fail_within_their_timeout() {
    // A listener that never accepts, with its queue full: the kernel then
    // drops new SYNs, so the probe's connect itself times out. (With room
    // in the queue, connect succeeds and the read times out instead.)
    let never_accepts = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) =
        TcpStream::connect_timeout(&never_accepts.local_addr().unwrap(), Duration::from_millis(100))
    {
        queued.push(stream);
        assert!(queued.len() < 5000, "the listen queue never fills");
    }
    println!("the never-accepting listener's queue took {} connections", queued.len());

    // std cannot set SO_LINGER to zero, and a daytime client sends nothing
    // that could be left unread, so the reset comes from closing a
    // listener while the probe's connection waits in its queue.
    let resets = TcpListener::bind("127.0.0.1:0").unwrap();
    let resets_addr = resets.local_addr().unwrap();
    let trickles = Fixture::start(|mut stream| {
        for &byte in DAYTIME_LINE {
            if stream.write_all(&[byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_secs(1));
        }
    });
    // The same for a counter, in JSON: a byte that can begin no JSON
    // value would end its reply at once.
    let trickles_json = Fixture::start(|mut stream| {
        for &byte in br#"{"requests": 2}"# {
            if stream.write_all(&[byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_secs(1));
        }
    });
    let floods = Fixture::start(|mut stream| {
        let chunk = [b'x'; 64 * 1024];
        while stream.write_all(&chunk).is_ok() {}
    });

    // The targets that must run out of time have 1 s. The others fail as
    // soon as the fixture (or the test, for the reset) acts, which on a
    // busy machine can take over a second: 5 s keeps their timeout from
    // coming first, and the scrape still ends with the 1 s ones.
    let (short, long) = (Duration::from_secs(1), Duration::from_secs(5));
    let never_accepts_addr = never_accepts.local_addr().unwrap();
    let targets = [
        ("full_backlog", "daytime", never_accepts_addr.to_string(), short, "timeout"),
        ("resets", "daytime", resets_addr.to_string(), long, "reset"),
        ("trickles", "daytime", trickles.addr.to_string(), short, "timeout"),
        ("trickles_json", "counter", trickles_json.addr.to_string(), short, "timeout"),
        ("floods", "daytime", floods.addr.to_string(), long, "protocol_error"),
        ("floods_json", "counter", floods.addr.to_string(), long, "protocol_error"),
        ("unresolvable", "daytime", unresolvable_address(), long, "dns_failure"),
    ];
    let config: String = targets
        .iter()
        .map(|(name, kind, address, timeout, _)| {
            target_section(name, kind, address, &format!("{}s", timeout.as_secs()))
        })
        .collect();
    let config = TempFile::new(&config);
    let exporter = RunningExporter::start(&["--config.file", config.path()]);

    let exporter_addr = exporter.addr;
    let (response, elapsed) = thread::scope(|scope| {
        let scrape = scope.spawn(move || {
            let started = Instant::now();
            (Request::get("/metrics").send(exporter_addr), started.elapsed())
        });
        // The kernel's connection table is the only witness that the
        // probe has connected; it is polled until then, for no longer
        // than the probe waits.
        let deadline = Instant::now() + long;
        while !has_queued_connection(resets_addr.port()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        drop(resets);
        scrape.join().unwrap()
    });

    // Without a deadline on each step, the full backlog would hold the
    // probe for the kernel's SYN retries (over a minute), the trickle for
    // 26 s, the flood until the scrape ended.
    println!("hostile targets: scrape took {elapsed:?}");
    assert_eq!(response.status, 200);
    assert!(elapsed < Duration::from_secs(4), "the scrape took {elapsed:?}");
    for (name, kind, _, timeout, expected_outcome) in targets {
        let series = format!("target=\"{name}\",kind=\"{kind}\"");
        assert_eq!(response.sample(&format!("probe_success{{{series}}}")), Some(0.0), "{name}");
        let outcome = format!("probe_outcome{{{series},probe_outcome=\"{expected_outcome}\"}}");
        assert_eq!(response.sample(&outcome), Some(1.0), "{name}: {}", outcome_of(&response, name));
        let duration = response.sample(&format!("probe_duration_seconds{{{series}}}")).unwrap();
        let allowed = timeout.as_secs_f64() + 1.0;
        assert!(duration < allowed, "{name} took {duration} s, more than its {timeout:?} allows");
    }
    drop(queued);
}

/// The outcome state that is set for target `name`, for messages.
fn outcome_of(response: &Response, name: &str) -> String {
    let prefix = format!("probe_outcome{{target=\"{name}\",");
    response
        .body
        .lines()
        .find(|line| line.starts_with(&prefix) && line.ends_with(" 1"))
        .unwrap_or("no outcome is set")
        .to_string()
}

#[test]
fn a_thousand_targets_are_scraped_within_the_deadline_on_bounded_threads() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let config: String = (0..1000)
        .map(|idx| target_section(&format!("t{idx}"), "daytime", clock.addr, "5s"))
        .collect();
    let config = TempFile::new(&config);
    let exporter = RunningExporter::start(&["--config.file", config.path()]);
    let pid = exporter.pid();

    // The design's bound: one thread per probe running at once
    // (--scrape.concurrency, 128 by default), one pool thread per open
    // connection (this test opens one), the main and the accept thread,
    // and a little room for a name lookup or a thread finishing.
    let scrape_concurrency = 128;
    let thread_bound = scrape_concurrency + 1 + 2 + 4;

    let (response, elapsed, peak_threads) = thread::scope(|scope| {
        // The sampler runs until the sender is dropped: after the scrape,
        // or while a failed scrape unwinds, so the scope always ends.
        let (scrape_done, scrape_done_rx) = mpsc::channel::<()>();
        let sampler = scope.spawn(move || {
            let mut peak = 0;
            loop {
                peak = peak.max(status_field(pid, "Threads"));
                match scrape_done_rx.recv_timeout(Duration::from_millis(2)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return peak,
                }
            }
        });
        let started = Instant::now();
        let response = Request::get("/metrics")
            .header("X-Prometheus-Scrape-Timeout-Seconds", "10")
            .send(exporter.addr);
        let elapsed = started.elapsed();
        drop(scrape_done);
        (response, elapsed, sampler.join().unwrap())
    });

    println!(
        "1000 targets: scrape took {elapsed:?}; peak {peak_threads} threads (bound {thread_bound})"
    );
    assert_eq!(response.status, 200);
    assert!(elapsed < Duration::from_secs(10), "the scrape took {elapsed:?}");
    let n_successes = (0..1000)
        .filter(|idx| {
            let series = format!("probe_success{{target=\"t{idx}\",kind=\"daytime\"}}");
            response.sample(&series) == Some(1.0)
        })
        .count();
    assert_eq!(n_successes, 1000);
    assert!(peak_threads <= thread_bound as u64, "{peak_threads} threads, bound {thread_bound}");
}
