//! The real binary speaking systemd's protocols, with the test in systemd's
//! place: it passes a listening socket as file descriptor 3 (socket
//! activation) and listens on `$NOTIFY_SOCKET` for `READY=1`.

use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use crate::support::{ExporterCommand, ExporterProcess, Request, TempFile};

/// How long any one step may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn serves_on_a_socket_passed_as_fd_3() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();

    // systemd sets LISTEN_PID to the pid of the process it starts, and puts
    // the socket at fd 3 (see `ExporterCommand::inherit_socket`).
    // An exporter that ignored the socket would listen elsewhere, and the
    // request below would wait in the passed socket's queue unanswered.
    let _exporter = spawn_with_fd_3(OwnedFd::from(listener));

    // The socket already listens, so the connection waits in its backlog
    // until the exporter accepts it: there is nothing to wait for first.
    let response = Request::get("/metrics").send(address);
    assert_eq!(response.status, 200, "{response:?}");
}

/// The exporter with `--web.systemd-socket`, given `socket` as fd 3 and
/// LISTEN_PID set to its own pid, as systemd starts it.
fn spawn_with_fd_3(socket: OwnedFd) -> ExporterProcess {
    // Exactly: a listen address beside the socket is refused.
    ExporterCommand::exactly(&["--web.systemd-socket"]).inherit_socket(socket).spawn()
}

#[test]
fn a_passed_socket_that_does_not_listen_stops_the_start() {
    // A socket unit with `Accept=yes` passes one connected socket per
    // connection. Every `accept()` on it fails at once; an exporter that
    // took it would spin in its accept loop instead of exiting.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let connected = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let mut exporter = spawn_with_fd_3(OwnedFd::from(connected));
    let status = exporter.wait_exit(PATIENCE).expect("an exit on a socket that does not listen");
    let stderr = exporter.log().to_end(PATIENCE).join("\n");
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("is not a listening socket"), "{stderr}");
    assert!(!stderr.contains("msg=\"listening\""), "{stderr}");
}

#[test]
fn reports_ready_on_the_notify_socket() {
    let path = TempFile::unwritten();
    let notify_socket = UnixDatagram::bind(path.path()).unwrap();
    let _exporter = ExporterCommand::new(&[]).env("NOTIFY_SOCKET", path.path()).spawn();

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
    let path = TempFile::unwritten();
    let notify_socket = UnixDatagram::bind(path.path()).unwrap();
    let config = TempFile::new("");
    let mut exporter = ExporterCommand::new(&["--config.file", config.path()])
        .env("NOTIFY_SOCKET", path.path())
        .spawn();
    receive_until(&notify_socket, |line| line == "READY=1");

    exporter.signal("HUP");
    // sd_notify(3): RELOADING=1 and MONOTONIC_USEC= in one message, then
    // READY=1 once the reload is done.
    let reloading = receive_until(&notify_socket, |line| line == "RELOADING=1");
    let usec = reloading.lines().find_map(|line| line.strip_prefix("MONOTONIC_USEC="));
    assert!(usec.is_some_and(|usec| usec.parse::<u64>().is_ok()), "{reloading:?}");
    receive_until(&notify_socket, |line| line == "READY=1");

    exporter.signal("TERM");
    receive_until(&notify_socket, |line| line == "STOPPING=1");
    exporter.wait_exit(PATIENCE).expect("an exit after STOPPING=1");
}
