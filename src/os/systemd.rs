//! systemd integration with std alone: socket activation and `sd_notify`.
//!
//! systemd can bind the listening socket itself (so the port is open before the
//! exporter starts and stays open across restarts), and wants to hear when the
//! service is ready, stopping, or still alive. Both protocols are small: a few
//! environment variables, file descriptor 3, and one datagram per message.
//! This is one of the OS modules with `unsafe`, because std has no safe
//! way to adopt a file descriptor that another process passed in, nor to
//! read the monotonic clock's value that systemd compares with.

use std::fmt;
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::raw::c_int;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The first passed file descriptor (`SD_LISTEN_FDS_START`); 0 to 2 are stdio.
const LISTEN_FDS_START: RawFd = 3;

/// Why the socket systemd passed in cannot be used.
#[derive(Debug)]
pub enum ActivationError {
    /// `$LISTEN_PID` is set but is not a process id.
    InvalidListenPid(String),
    /// `$LISTEN_FDS` is set but is not a count.
    InvalidListenFds(String),
    /// `$LISTEN_FDS` counts more sockets than can be meant.
    TooManySockets(u32),
    /// A passed file descriptor could not be duplicated, most likely because
    /// it is not open.
    Adopt(RawFd, io::Error),
    /// A passed file descriptor is not an IPv4 or IPv6 socket.
    NotTcpSocket(RawFd, io::Error),
    /// A passed socket does not listen: a unit with `Accept=yes` passes
    /// each connection instead, and `ListenDatagram=` a UDP socket.
    NotListening(RawFd),
}

impl fmt::Display for ActivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivationError::InvalidListenPid(value) => {
                write!(f, "$LISTEN_PID is not a process id: `{value}`")
            }
            ActivationError::InvalidListenFds(value) => {
                write!(f, "$LISTEN_FDS is not a count: `{value}`")
            }
            ActivationError::TooManySockets(count) => {
                write!(f, "$LISTEN_FDS says {count} sockets, more than {MAX_PASSED_SOCKETS}")
            }
            ActivationError::Adopt(fd, err) => {
                write!(f, "failed to adopt file descriptor {fd} from systemd: {err}")
            }
            ActivationError::NotTcpSocket(fd, err) => {
                write!(f, "file descriptor {fd} from systemd is not a TCP socket: {err}")
            }
            ActivationError::NotListening(fd) => write!(
                f,
                "file descriptor {fd} from systemd is not a listening socket \
                 (the socket unit needs ListenStream= and Accept=no)"
            ),
        }
    }
}

impl std::error::Error for ActivationError {}

/// Takes the listening sockets that systemd opened for this process through a
/// `.socket` unit (sd_listen_fds(3)), in the order the unit lists them; none
/// if it passed none.
///
/// Call it once, at start-up, before any thread is spawned. It removes
/// `$LISTEN_PID`, `$LISTEN_FDS` and `$LISTEN_FDNAMES` so that child processes
/// do not take them for their own, and changing the environment is only sound
/// while no other thread can be reading it.
pub fn take_activated_listeners() -> Result<Vec<TcpListener>, ActivationError> {
    let listen_pid = std::env::var("LISTEN_PID").ok();
    let listen_fds = std::env::var("LISTEN_FDS").ok();
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    let our_pid = std::process::id();
    let count = passed_socket_count(listen_pid.as_deref(), listen_fds.as_deref(), our_pid)?;
    if count > MAX_PASSED_SOCKETS {
        return Err(ActivationError::TooManySockets(count));
    }
    (0..count as RawFd).map(|idx| adopt(LISTEN_FDS_START + idx)).collect()
}

/// More sockets than any unit of ours would pass: a sign of a wrong
/// `$LISTEN_FDS`, not a configuration to serve.
const MAX_PASSED_SOCKETS: u32 = 64;

/// Takes one passed file descriptor as a listener.
#[allow(unsafe_code)]
fn adopt(fd: RawFd) -> Result<TcpListener, ActivationError> {
    // SAFETY: `$LISTEN_PID` names this process and `$LISTEN_FDS` covers `fd`,
    // which is systemd's promise that it is open and passed to us; this is
    // the only code in the process that uses it.
    let inherited = unsafe { BorrowedFd::borrow_raw(fd) };
    // Passed sockets lack close-on-exec, and std cannot set that flag; but a
    // duplicate made by `try_clone_to_owned` (`F_DUPFD_CLOEXEC`) has it. Should
    // the promise be false, this is where it shows, as an error.
    let duplicate =
        inherited.try_clone_to_owned().map_err(|err| ActivationError::Adopt(fd, err))?;
    // SAFETY: the successful duplication shows that `fd` is open, and nothing
    // else owns it, so it is ours to close.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });

    let listener = TcpListener::from(duplicate);
    // This fails unless the socket is IPv4 or IPv6.
    listener.local_addr().map_err(|err| ActivationError::NotTcpSocket(fd, err))?;
    // A socket that does not listen would fail every `accept()` at once, and
    // the accept loop would spin on it; so it is refused here, at start-up.
    match is_listening(listener.as_fd()) {
        Ok(true) => Ok(listener),
        Ok(false) => Err(ActivationError::NotListening(fd)),
        Err(err) => Err(ActivationError::NotTcpSocket(fd, err)),
    }
}

/// Whether a socket listens for connections (`SO_ACCEPTCONN`, socket(7)),
/// which std cannot ask.
#[allow(unsafe_code)]
fn is_listening(socket: BorrowedFd<'_>) -> io::Result<bool> {
    extern "C" {
        fn getsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *mut c_int,
            len: *mut u32,
        ) -> c_int;
    }
    /// The Linux numbers (asm-generic/socket.h).
    const SOL_SOCKET: c_int = 1;
    const SO_ACCEPTCONN: c_int = 30;
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as u32;
    // SAFETY: the descriptor is borrowed, so open for the call; `value` and
    // `len` are valid and writable, and `len` says how large `value` is.
    let result =
        unsafe { getsockopt(socket.as_raw_fd(), SOL_SOCKET, SO_ACCEPTCONN, &mut value, &mut len) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value != 0)
}

/// Reads `$LISTEN_PID` and `$LISTEN_FDS` as sd_listen_fds(3) does: how many
/// sockets were passed to the process `our_pid`, zero if none were.
fn passed_socket_count(
    listen_pid: Option<&str>,
    listen_fds: Option<&str>,
    our_pid: u32,
) -> Result<u32, ActivationError> {
    let Some(listen_pid) = listen_pid else {
        return Ok(0);
    };
    let Ok(listen_pid) = listen_pid.parse::<u32>() else {
        return Err(ActivationError::InvalidListenPid(listen_pid.to_owned()));
    };
    // Children inherit the variables too; only the process systemd started
    // holds the sockets.
    if listen_pid != our_pid {
        return Ok(0);
    }
    let Some(listen_fds) = listen_fds else {
        return Ok(0);
    };
    listen_fds.parse().map_err(|_| ActivationError::InvalidListenFds(listen_fds.to_owned()))
}

/// Sends state changes to the service manager (sd_notify(3)).
///
/// Outside systemd, or in a unit that asks for no notifications,
/// `$NOTIFY_SOCKET` is unset and every method does nothing, so callers need no
/// special case. Delivery is best effort, as with sd_notify: a lost message is
/// no reason to stop serving, so the public methods drop errors.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// Where `$NOTIFY_SOCKET` points; `None` makes every message a no-op.
    socket: Option<SocketAddr>,
    /// How often to send `WATCHDOG=1`, if systemd watches this process.
    watchdog_interval: Option<Duration>,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
    pub fn from_env() -> Notifier {
        let var = |name: &str| std::env::var(name).ok();
        Notifier::from_values(
            var("NOTIFY_SOCKET").as_deref(),
            var("WATCHDOG_USEC").as_deref(),
            var("WATCHDOG_PID").as_deref(),
            std::process::id(),
        )
    }

    /// A notifier that sends nothing, for an exporter outside systemd.
    pub fn disabled() -> Notifier {
        Notifier { socket: None, watchdog_interval: None }
    }

    /// Reports that a reload has begun (`RELOADING=1`), with the time it
    /// began on `CLOCK_MONOTONIC`, as sd_notify(3) asks; send
    /// [`Notifier::ready`] when it is done.
    pub fn reloading(&self) {
        if self.socket.is_some() {
            let _ = self.send(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
        }
    }

    fn from_values(
        notify_socket: Option<&str>,
        watchdog_usec: Option<&str>,
        watchdog_pid: Option<&str>,
        our_pid: u32,
    ) -> Notifier {
        let socket = notify_socket.and_then(notify_address);
        // Without a socket there is no one to ping.
        let watchdog_interval = match socket {
            Some(_) => watchdog_ping_interval(watchdog_usec, watchdog_pid, our_pid),
            None => None,
        };
        Notifier { socket, watchdog_interval }
    }

    /// Reports that start-up is finished (`READY=1`); a `Type=notify` unit
    /// counts as started only from this message on.
    pub fn ready(&self) {
        let _ = self.send("READY=1");
    }

    /// Reports that shutdown has begun (`STOPPING=1`).
    pub fn stopping(&self) {
        let _ = self.send("STOPPING=1");
    }

    /// Tells the watchdog the service is alive (`WATCHDOG=1`); call it every
    /// [`Notifier::watchdog_interval`].
    pub fn watchdog(&self) {
        let _ = self.send("WATCHDOG=1");
    }

    /// Sets the one-line status that `systemctl status` shows (`STATUS=`).
    pub fn status(&self, text: &str) {
        // Messages are newline-separated assignments, so a newline in the text
        // would end the status and start another assignment.
        let line = text.replace('\n', " ");
        let _ = self.send(&format!("STATUS={line}"));
    }

    /// How often to call [`Notifier::watchdog`], or `None` if no watchdog is set.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog_interval
    }

    fn send(&self, state: &str) -> io::Result<()> {
        let Some(socket) = &self.socket else {
            return Ok(());
        };
        // A fresh unbound socket per message, as sd_notify uses, leaves the
        // Notifier holding no file descriptor.
        UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), socket)?;
        Ok(())
    }
}

/// The time on `CLOCK_MONOTONIC`, in microseconds: what systemd compares
/// `MONOTONIC_USEC=` with. std's `Instant` reads this clock but does not
/// say its value, so `clock_gettime(2)` is called directly.
#[allow(unsafe_code)]
fn monotonic_usec() -> u64 {
    /// `struct timespec` of 64-bit Linux (glibc and musl): two 64-bit fields.
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    const CLOCK_MONOTONIC: std::os::raw::c_int = 1;
    extern "C" {
        fn clock_gettime(clock: std::os::raw::c_int, time: *mut Timespec) -> std::os::raw::c_int;
    }
    let mut now = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the duration of the
    // call, and CLOCK_MONOTONIC always exists on Linux.
    let result = unsafe { clock_gettime(CLOCK_MONOTONIC, &mut now) };
    if result != 0 {
        return 0;
    }
    (now.tv_sec as u64) * 1_000_000 + (now.tv_nsec as u64) / 1_000
}

/// Reads `$NOTIFY_SOCKET`: an absolute path, or `@name` for a name in Linux's
/// abstract socket namespace. Other forms, such as `vsock:`, are not supported
/// and turn notifications off.
fn notify_address(value: &str) -> Option<SocketAddr> {
    if let Some(name) = value.strip_prefix('@') {
        return SocketAddr::from_abstract_name(name).ok();
    }
    if value.starts_with('/') {
        return SocketAddr::from_pathname(value).ok();
    }
    None
}

/// Reads `$WATCHDOG_USEC` and `$WATCHDOG_PID` as sd_watchdog_enabled(3) does,
/// and returns half the timeout: pinging twice per timeout, as the manual
/// advises, means one late ping does not get the service killed.
fn watchdog_ping_interval(
    watchdog_usec: Option<&str>,
    watchdog_pid: Option<&str>,
    our_pid: u32,
) -> Option<Duration> {
    let timeout_usec: u64 = watchdog_usec?.parse().ok()?;
    if timeout_usec == 0 {
        return None;
    }
    let watched_pid_is_ours = match watchdog_pid {
        None => true,
        Some(pid) => pid.parse() == Ok(our_pid),
    };
    if !watched_pid_is_ours {
        return None;
    }
    Some(Duration::from_micros(timeout_usec) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUR_PID: u32 = 4242;

    #[track_caller]
    fn check_count(
        listen_pid: Option<&str>,
        listen_fds: Option<&str>,
        expected: Result<u32, &str>,
    ) {
        let count = passed_socket_count(listen_pid, listen_fds, OUR_PID);
        assert_eq!(count.map_err(|err| err.to_string()), expected.map_err(str::to_owned));
    }

    #[test]
    fn passed_sockets_are_counted_only_for_our_pid() {
        check_count(Some("4242"), Some("1"), Ok(1));
        check_count(Some("4242"), Some("2"), Ok(2));
        check_count(Some("4242"), Some("0"), Ok(0));
        check_count(Some("4242"), None, Ok(0));
        check_count(Some("4243"), Some("1"), Ok(0));
        check_count(None, Some("1"), Ok(0));
        check_count(Some("init"), Some("1"), Err("$LISTEN_PID is not a process id: `init`"));
        check_count(Some("4242"), Some("-1"), Err("$LISTEN_FDS is not a count: `-1`"));
    }

    #[test]
    fn activation_errors_read_as_sentences() {
        let err = ActivationError::TooManySockets(65);
        assert_eq!(err.to_string(), "$LISTEN_FDS says 65 sockets, more than 64");
    }

    #[test]
    fn only_a_listening_socket_counts_as_listening() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(is_listening(listener.as_fd()).unwrap());
        // What a unit with `Accept=yes` passes: one connected socket.
        let connected = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(!is_listening(connected.as_fd()).unwrap());
    }

    #[track_caller]
    fn check_interval(usec: Option<&str>, pid: Option<&str>, expected: Option<Duration>) {
        assert_eq!(watchdog_ping_interval(usec, pid, OUR_PID), expected);
    }

    #[test]
    fn watchdog_pings_at_half_the_timeout() {
        let fifteen_seconds = Some(Duration::from_secs(15));
        check_interval(Some("30000000"), None, fifteen_seconds);
        check_interval(Some("30000000"), Some("4242"), fifteen_seconds);
        check_interval(Some("1000001"), None, Some(Duration::from_nanos(500_000_500)));
        check_interval(Some("30000000"), Some("4243"), None);
        check_interval(Some("30000000"), Some("main"), None);
        check_interval(Some("0"), None, None);
        check_interval(Some("30s"), None, None);
        check_interval(None, Some("4242"), None);
    }

    #[test]
    fn watchdog_needs_a_notify_socket() {
        let watched = Notifier::from_values(Some("/run/notify"), Some("30000000"), None, OUR_PID);
        assert_eq!(watched.watchdog_interval(), Some(Duration::from_secs(15)));
        let unsupervised = Notifier::from_values(None, Some("30000000"), None, OUR_PID);
        assert_eq!(unsupervised.watchdog_interval(), None);
    }

    #[test]
    fn notify_socket_forms() {
        let path = notify_address("/run/systemd/notify").unwrap();
        assert_eq!(path.as_pathname(), Some(std::path::Path::new("/run/systemd/notify")));
        let abstract_name = notify_address("@/org/freedesktop/systemd1/notify/42").unwrap();
        assert_eq!(
            abstract_name.as_abstract_name(),
            Some(&b"/org/freedesktop/systemd1/notify/42"[..])
        );

        assert!(notify_address("run/systemd/notify").is_none());
        assert!(notify_address("vsock:2:1234").is_none());
        assert!(notify_address("").is_none());
    }

    #[test]
    fn unset_notify_socket_sends_nothing() {
        let notifier = Notifier::from_values(None, None, None, OUR_PID);
        assert!(notifier.send("READY=1").is_ok());
        assert_eq!(notifier.watchdog_interval(), None);
    }

    /// Receives one datagram, failing the test after five seconds.
    fn receive(socket: &UnixDatagram) -> String {
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0; 512];
        let len = socket.recv(&mut buf).unwrap();
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn notifies_a_socket_at_a_path() {
        let name = format!("probe_exporter-notify-{}.sock", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_file(&path);
        let receiver = UnixDatagram::bind(&path).unwrap();

        let notifier = Notifier::from_values(path.to_str(), None, None, OUR_PID);
        notifier.ready();
        let message = receive(&receiver);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(message, "READY=1");
    }

    #[test]
    fn notifies_a_socket_with_an_abstract_name() {
        let name = format!("probe_exporter-notify-{}", std::process::id());
        let receiver =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(&name).unwrap()).unwrap();

        let notifier = Notifier::from_values(Some(&format!("@{name}")), None, None, OUR_PID);
        notifier.ready();
        assert_eq!(receive(&receiver), "READY=1");
        notifier.status("probing 2 targets\nREADY=1");
        assert_eq!(receive(&receiver), "STATUS=probing 2 targets READY=1");
        notifier.stopping();
        assert_eq!(receive(&receiver), "STOPPING=1");
        let before = monotonic_usec();
        notifier.reloading();
        let message = receive(&receiver);
        let usec = message.strip_prefix("RELOADING=1\nMONOTONIC_USEC=").expect(&message);
        let usec: u64 = usec.parse().expect(&message);
        assert!(usec >= before && usec - before < 5_000_000, "{usec} vs {before}");
    }
}
