//! The real binary speaking systemd's protocols, with the test in systemd's
//! place: it passes a listening socket as file descriptor 3 (socket
//! activation) and listens on `$NOTIFY_SOCKET` for `READY=1`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one step may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// Kills the exporter when the test ends, whether it passed or panicked.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Removes a socket file when the test ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn exporter() -> PathBuf {
    assert_cmd::cargo::cargo_bin("probe_exporter")
}

/// Sends `GET path` over a fresh connection and returns the whole response.
fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serves_on_a_socket_passed_as_fd_3() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();

    // systemd sets LISTEN_PID to the pid of the process it starts. The shell
    // exports its own pid, then execs the exporter, which keeps that pid; on
    // the way it moves the socket from stdin to fd 3, where systemd puts it.
    // An exporter that ignored the socket would listen elsewhere, and the
    // request below would wait in the passed socket's queue unanswered.
    let _exporter = KillOnDrop(spawn_with_fd_3(OwnedFd::from(listener), Stdio::null()));

    // The socket already listens, so the connection waits in its backlog
    // until the exporter accepts it: there is nothing to wait for first.
    let response = get(address, "/metrics");
    assert!(response.starts_with("HTTP/1.1 200"), "response:\n{response}");
}

/// The exporter with `--web.systemd-socket`, given `socket` as fd 3 and
/// LISTEN_PID set to its own pid, as systemd starts it.
fn spawn_with_fd_3(socket: OwnedFd, stderr: Stdio) -> std::process::Child {
    let script = r#"export LISTEN_PID=$$ LISTEN_FDS=1
        exec "$0" --web.systemd-socket 3<&0 0</dev/null"#;
    Command::new("sh")
        .args(["-c", script])
        .arg(exporter())
        .stdin(Stdio::from(socket))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[test]
fn a_passed_socket_that_does_not_listen_stops_the_start() {
    // A socket unit with `Accept=yes` passes one connected socket per
    // connection. Every `accept()` on it fails at once; an exporter that
    // took it would spin in its accept loop instead of exiting.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let connected = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mut exporter = KillOnDrop(spawn_with_fd_3(OwnedFd::from(connected), Stdio::piped()));
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = exporter.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running on a socket that does not listen");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    exporter.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("is not a listening socket"), "{stderr}");
    assert!(!stderr.contains("msg=\"listening\""), "{stderr}");
}

#[test]
fn reports_ready_on_the_notify_socket() {
    let name = format!("probe_exporter-it-notify-{}.sock", std::process::id());
    let path = RemoveOnDrop(std::env::temp_dir().join(name));
    let _ = std::fs::remove_file(&path.0);
    let notify_socket = UnixDatagram::bind(&path.0).unwrap();

    let child = Command::new(exporter())
        .args(["--web.listen-address", "127.0.0.1:0"])
        .env("NOTIFY_SOCKET", &path.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _exporter = KillOnDrop(child);

    // Other messages, such as STATUS=, may come first; READY=1 must come
    // within the deadline.
    receive_until(&notify_socket, |line| line == "READY=1");
}

/// Receives datagrams until one has a line for which `wanted` holds, and
/// returns that datagram; fails the test after [`PATIENCE`]. A child
/// exiting elsewhere in the test binary can interrupt the wait
/// (assert_cmd's timeouts install a SIGCHLD handler); it is resumed.
fn receive_until(socket: &UnixDatagram, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut buf = [0; 4096];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        assert!(!remaining.is_zero(), "the awaited message never came");
        socket.set_read_timeout(Some(remaining)).unwrap();
        let len = match socket.recv(&mut buf) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            result => result.unwrap_or_else(|err| panic!("no message within {PATIENCE:?}: {err}")),
        };
        let message = String::from_utf8_lossy(&buf[..len]).into_owned();
        if message.lines().any(&wanted) {
            return message;
        }
    }
}

#[test]
fn reports_reloading_then_ready_around_a_reload_and_stopping_at_a_stop() {
    let name = format!("probe_exporter-it-notify-reload-{}.sock", std::process::id());
    let path = RemoveOnDrop(std::env::temp_dir().join(name));
    let _ = std::fs::remove_file(&path.0);
    let notify_socket = UnixDatagram::bind(&path.0).unwrap();
    let config = crate::probes::ConfigFile::new("");

    let mut child = Command::new(exporter())
        .args(["--web.listen-address", "127.0.0.1:0", "--config.file", config.path()])
        .env("NOTIFY_SOCKET", &path.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    receive_until(&notify_socket, |line| line == "READY=1");

    let kill = |signal: &str| {
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    };
    kill("-HUP");
    // sd_notify(3): RELOADING=1 and MONOTONIC_USEC= in one message, then
    // READY=1 once the reload is done.
    let reloading = receive_until(&notify_socket, |line| line == "RELOADING=1");
    let usec = reloading.lines().find_map(|line| line.strip_prefix("MONOTONIC_USEC="));
    assert!(usec.is_some_and(|usec| usec.parse::<u64>().is_ok()), "{reloading:?}");
    receive_until(&notify_socket, |line| line == "READY=1");

    kill("-TERM");
    receive_until(&notify_socket, |line| line == "STOPPING=1");
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "still running after STOPPING=1");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _exporter = KillOnDrop(child);
}
