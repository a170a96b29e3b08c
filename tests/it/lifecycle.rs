//! The service lifecycle of the real binary: reload on `SIGHUP` and
//! `POST /-/reload`, the graceful stop on `SIGTERM` and `SIGINT`, the
//! second signal that stops at once, `/-/ready`, several listeners, and
//! the log's levels and formats.
//!
//! Signals are sent with kill(1), to the exporter's own pid.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::support::{
    self, request, target_section, ExporterCommand, Fixture, Request, Response, RunningExporter,
    TempFile, DAYTIME_LINE, IO_TIMEOUT,
};

/// A daytime target's section of a configuration file, timeout 2 s.
fn daytime_section(name: &str, addr: SocketAddr) -> String {
    target_section(name, "daytime", addr, "2s")
}

/// Scrapes until `done` holds for the response, for at most five seconds.
fn scrape_until(process: &RunningExporter, done: impl Fn(&Response) -> bool) -> Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = process.get("/metrics");
        if done(&response) || Instant::now() > deadline {
            return response;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn count_of(response: &Response, name: &str) -> Option<f64> {
    response.sample(&format!("probe_latency_seconds_count{{target=\"{name}\",kind=\"daytime\"}}"))
}

#[test]
fn sighup_reloads_the_targets_and_a_surviving_target_keeps_its_histogram() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let config = TempFile::new(
        &(daytime_section("kept", clock.addr) + &daytime_section("removed", clock.addr)),
    );
    let process = RunningExporter::start(&["--config.file", config.path()]);
    process.get("/metrics");
    let before = process.get("/metrics");
    assert_eq!(count_of(&before, "kept"), Some(2.0), "{}", before.body);

    config.rewrite(&(daytime_section("added", clock.addr) + &daytime_section("kept", clock.addr)));
    process.signal("HUP");
    let after = scrape_until(&process, |response| count_of(response, "added").is_some());
    assert_eq!(count_of(&after, "added"), Some(1.0), "{}", after.body);
    assert_eq!(count_of(&after, "removed"), None, "a removed target's series disappear");
    assert!(!after.body.contains("target=\"removed\""), "{}", after.body);
    let kept = count_of(&after, "kept").expect("the kept target is still there");
    assert!(kept >= 3.0, "the kept target's histogram started again: {kept}");
    assert_eq!(after.sample("probe_exporter_config_last_reload_successful"), Some(1.0));
}

#[test]
fn a_broken_file_changes_nothing_and_post_reload_says_why() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let config = TempFile::new(&daytime_section("clock", clock.addr));
    let process = RunningExporter::start(&["--config.file", config.path()]);
    assert_eq!(process.get("/-/reload").status, 405, "GET may not reload");

    config.rewrite("[target clock]\nkind = daytime\naddres = 127.0.0.1:13\n");
    process.signal("HUP");
    let lines = process.log().lines_until("reload failed", Duration::from_secs(5));
    let failed = lines.last().cloned().unwrap_or_default();
    assert!(
        failed.contains("level=error") && failed.contains(&format!("{}:3:", config.path())),
        "{lines:?}"
    );
    let response = process.get("/metrics");
    assert_eq!(response.sample("probe_exporter_config_last_reload_successful"), Some(0.0));
    assert_eq!(count_of(&response, "clock"), Some(1.0), "the old target stays");

    let refused = Request::post("/-/reload").send(process.addr);
    assert_eq!(refused.status, 500);
    assert!(refused.body.contains(&format!("{}:3: ", config.path())), "{}", refused.body);

    config.rewrite(&daytime_section("fixed", clock.addr));
    let accepted = Request::post("/-/reload").send(process.addr);
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let response = process.get("/metrics");
    assert_eq!(response.sample("probe_exporter_config_last_reload_successful"), Some(1.0));
    assert_eq!(count_of(&response, "fixed"), Some(1.0));
    let at = response.sample("probe_exporter_config_last_reload_success_timestamp_seconds");
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(at.is_some_and(|at| (now - at).abs() < 60.0), "{at:?}");
}

#[test]
fn an_emptied_file_on_reload_keeps_the_targets() {
    // `: > conf` and then a reload before the rewrite: the file holds
    // nothing, and is taken for one caught mid-write, not for "probe
    // nothing".
    let clock = Fixture::replying(DAYTIME_LINE);
    let config = TempFile::new(&daytime_section("clock", clock.addr));
    let process = RunningExporter::start(&["--config.file", config.path()]);
    process.get("/metrics");

    config.rewrite("");
    process.signal("HUP");
    let lines = process.log().lines_until("reload failed", Duration::from_secs(5));
    let failed = lines.last().cloned().unwrap_or_default();
    assert!(failed.contains("level=error") && failed.contains("holds no section"), "{lines:?}");
    let response = process.get("/metrics");
    assert_eq!(response.sample("probe_exporter_config_last_reload_successful"), Some(0.0));
    assert_eq!(count_of(&response, "clock"), Some(2.0), "the target and its history stay");

    let refused = Request::post("/-/reload").send(process.addr);
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(refused.body.contains("holds no section"), "{}", refused.body);
    assert_eq!(count_of(&process.get("/metrics"), "clock"), Some(3.0));

    // Written whole again, it loads; the target kept its history.
    config.rewrite(&daytime_section("clock", clock.addr));
    assert_eq!(Request::post("/-/reload").send(process.addr).status, 200);
    let response = process.get("/metrics");
    assert_eq!(response.sample("probe_exporter_config_last_reload_successful"), Some(1.0));
    assert_eq!(count_of(&response, "clock"), Some(4.0));
}

#[test]
fn a_file_rewritten_in_place_while_reloads_run_never_leaves_a_scrape_without_targets() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // A writer rewriting the file in place, over and over (truncate, then
    // write), reloads on its heels, and scrapes: every scrape must see the
    // targets, whichever moment of the writer's each reload caught.
    let clock = Fixture::replying(DAYTIME_LINE);
    let text = &(daytime_section("a", clock.addr) + &daytime_section("b", clock.addr));
    let config = &TempFile::new(text);
    let process = RunningExporter::start(&["--config.file", config.path()]);
    let addr = process.addr;
    let stop = &AtomicBool::new(false);
    let (mut scrapes, mut without_targets) = (0, 0);
    let reloads = thread::scope(|scope| {
        scope.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                config.rewrite(text);
            }
        });
        let reloader = scope.spawn(move || {
            let mut reloads = 0;
            while !stop.load(Ordering::Relaxed) {
                Request::post("/-/reload").send(addr);
                reloads += 1;
            }
            reloads
        });
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            let response = process.get("/metrics");
            scrapes += 1;
            if count_of(&response, "a").is_none() || count_of(&response, "b").is_none() {
                without_targets += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        reloader.join().expect("the reloader ends")
    });
    assert!(scrapes > 0 && reloads > 0, "{scrapes} scrapes, {reloads} reloads");
    assert_eq!(without_targets, 0, "of {scrapes} scrapes, with {reloads} reloads");
}

#[test]
fn without_a_file_post_reload_says_there_is_nothing_to_reload() {
    let clock = Fixture::replying(DAYTIME_LINE);
    let target = format!("clock=daytime://{}", clock.addr);
    let process = RunningExporter::start(&["--target", &target]);
    let refused = Request::post("/-/reload").send(process.addr);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body, "nothing to reload: no --config.file was given\n");
    let response = process.get("/metrics");
    assert_eq!(response.sample("probe_exporter_config_last_reload_successful"), Some(1.0));
    assert_eq!(count_of(&response, "clock"), Some(1.0), "the flags' target is still probed");
}

/// A daytime target that answers after `delay`.
fn slow_daytime(delay: Duration) -> (Fixture, mpsc::Receiver<()>) {
    let (probed_tx, probed) = mpsc::channel();
    let fixture = Fixture::start(move |mut stream| {
        let _ = probed_tx.send(());
        thread::sleep(delay);
        let _ = stream.write_all(DAYTIME_LINE);
    });
    (fixture, probed)
}

/// Sends `signal` while a scrape of a target that takes a second is in
/// flight: the scrape gets its whole answer, and the process exits 0.
fn check_graceful_stop(signal: &str) {
    let (slow, probed) = slow_daytime(Duration::from_secs(1));
    let target = format!("slow=daytime://{}", slow.addr);
    let mut process = RunningExporter::start(&["--target", &target]);
    let addr = process.addr;
    let scrape = thread::spawn(move || {
        request(addr, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    });
    probed.recv_timeout(IO_TIMEOUT).expect("the scrape probes the slow target");
    let started = Instant::now();
    process.signal(signal);

    let response = scrape.join().expect("the scrape thread");
    assert_eq!(response.status, 200);
    assert_eq!(response.sample("probe_success{target=\"slow\",kind=\"daytime\"}"), Some(1.0));
    assert!(response.body.contains("\nprocess_start_time_seconds "), "the whole body");
    let status = process.wait_exit(Duration::from_secs(7)).expect("exits within the drain timeout");
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(7), "{:?}", started.elapsed());
    let lines = process.log().lines_until("exiting", Duration::from_secs(1));
    assert!(lines.iter().any(|line| line.contains(&format!("SIG{signal}"))), "{lines:?}");
    assert!(lines.last().is_some_and(|line| line.contains("msg=\"exiting\"")), "{lines:?}");
}

#[test]
fn sigterm_lets_a_scrape_in_flight_finish_then_exits_0() {
    check_graceful_stop("TERM");
}

#[test]
fn sigint_lets_a_scrape_in_flight_finish_then_exits_0() {
    check_graceful_stop("INT");
}

#[test]
fn a_second_sigterm_exits_at_once() {
    let (slow, probed) = slow_daytime(Duration::from_secs(4));
    let target = format!("slow=daytime://{}", slow.addr);
    let mut process = RunningExporter::start(&["--target", &target]);
    let addr = process.addr;
    let _scrape = thread::spawn(move || {
        let mut stream = support::connect(addr);
        let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        let _ = stream.read(&mut [0u8; 1]);
    });
    probed.recv_timeout(IO_TIMEOUT).expect("the scrape probes the slow target");
    process.signal("TERM");
    process.log().lines_until("stopping gracefully", Duration::from_secs(5));
    let started = Instant::now();
    process.signal("TERM");
    let status = process.wait_exit(Duration::from_secs(2)).expect("exits at once");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(status.code(), Some(128 + 15), "{status:?}");
}

#[test]
fn ready_is_200_while_serving() {
    let process = RunningExporter::start(&[]);
    let ready = process.get("/-/ready");
    assert_eq!(ready.status, 200, "{ready:?}");
}

#[test]
fn every_listen_address_is_served() {
    let process = ExporterCommand::new(&["--web.listen-address", "127.0.0.1:0"])
        .wait_for_listeners(2)
        .start();
    assert_ne!(process.addrs[0], process.addrs[1]);
    for addr in &process.addrs {
        let response =
            request(*addr, "GET /-/healthy HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert_eq!(response.status, 200, "{addr}");
    }
}

#[test]
fn json_log_lines_are_json_objects_with_the_same_keys() {
    let mut process = RunningExporter::start(&["--log.format", "json"]);
    process.signal("TERM");
    process.wait_exit(Duration::from_secs(10)).expect("exits");
    process.log().lines_until("exiting", Duration::from_secs(2));
    let lines = process.log().read_so_far();
    assert!(lines.len() >= 4, "{lines:?}");
    for line in &lines {
        let value = probe_exporter::json::parse(line.as_bytes())
            .unwrap_or_else(|err| panic!("not JSON: {line}: {err}"));
        for key in ["ts", "level", "msg"] {
            assert!(value.get(key).is_some(), "no `{key}` in {line}");
        }
    }
    assert!(lines[0].starts_with("{\"ts\":\""), "ts comes first: {}", lines[0]);
}

#[test]
fn log_level_warn_leaves_out_the_info_lines() {
    // Without its info lines the exporter does not say where it listens,
    // so this one is watched from start to exit.
    let mut process = ExporterCommand::new(&["--log.level", "warn"]).spawn();
    // A SIGTERM before `main` blocks it would kill the process by default;
    // once blocked, it waits for the signal thread, however slow the start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !blocks_sigterm(process.pid()) {
        assert!(Instant::now() < deadline, "SIGTERM was never blocked");
        thread::sleep(Duration::from_millis(10));
    }
    process.signal("TERM");
    let stderr = process.log().to_end(Duration::from_secs(10)).join("\n");
    let status = process.wait_exit(Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(0));
    assert!(!stderr.contains("level=info"), "{stderr}");
}

/// Whether the main thread of process `pid` blocks SIGTERM (signal 15):
/// bit 14 of the `SigBlk` mask in /proc/PID/status.
fn blocks_sigterm(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigBlk:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << 14) != 0)
}

#[test]
fn every_response_has_a_date() {
    let process = RunningExporter::start(&[]);
    let before = SystemTime::now();
    let date = process.get("/-/healthy").header("Date").map(str::to_string);
    // IMF-fixdate, RFC 9110 section 5.6.7: within a second or two of now.
    let nearby: Vec<String> = (0..4)
        .map(|seconds| {
            probe_exporter::time::format::format_imf_fixdate(
                before + Duration::from_secs(seconds) - Duration::from_secs(1),
            )
        })
        .collect();
    assert!(
        date.as_ref().is_some_and(|date| nearby.contains(date)),
        "{date:?} is not one of {nearby:?}"
    );
}
