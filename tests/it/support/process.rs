//! The real binary (found by `assert_cmd`), started the way a test needs
//! it: its arguments, a resource limit, its environment, a listening
//! socket passed in as systemd passes one. Whatever is started is killed
//! when its owner drops, so a failing test leaves no process behind.
//!
//! [`ExporterCommand::start`] waits for the `listening` line and gives a
//! [`RunningExporter`], which knows its address; [`ExporterCommand::spawn`]
//! waits for nothing and gives an [`ExporterProcess`], for a test that
//! watches a start fail or a process that never says where it listens.

use std::ffi::OsString;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::http_client::{self, Request, Response};
use super::log::ExporterLog;
use super::IO_TIMEOUT;

/// A resource limit to start the exporter under, set by prlimit(1), which
/// then becomes the exporter (the pid stays the same).
enum Limit {
    /// `--nofile`: open files, the soft limit and the hard one.
    OpenFiles { soft: u64, hard: u64 },
    /// `--nproc`: threads of the user, who is `nobody`, since root is
    /// exempt from the limit.
    ThreadsAsNobody(u64),
}

/// How to start `probe_exporter`.
pub struct ExporterCommand {
    args: Vec<String>,
    limit: Option<Limit>,
    env: Vec<(String, OsString)>,
    socket: Option<OwnedFd>,
    capture_stdout: bool,
    listeners: usize,
}

impl ExporterCommand {
    /// `probe_exporter --web.listen-address 127.0.0.1:0 ARGS...`
    pub fn new(args: &[&str]) -> ExporterCommand {
        let mut command = ExporterCommand::exactly(&["--web.listen-address", "127.0.0.1:0"]);
        command.args.extend(args.iter().map(|arg| arg.to_string()));
        command
    }

    /// `probe_exporter ARGS...`, nothing added.
    pub fn exactly(args: &[&str]) -> ExporterCommand {
        ExporterCommand {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            limit: None,
            env: Vec::new(),
            socket: None,
            capture_stdout: false,
            listeners: 1,
        }
    }

    /// Adds `args` to the command line.
    pub fn args(mut self, args: &[&str]) -> ExporterCommand {
        self.args.extend(args.iter().map(|arg| arg.to_string()));
        self
    }

    /// At most `limit` open files (`ulimit -n`, soft and hard).
    pub fn max_open_files(self, limit: u64) -> ExporterCommand {
        self.open_files(limit, limit)
    }

    /// At most `soft` open files, which the process may raise to `hard`.
    pub fn open_files(mut self, soft: u64, hard: u64) -> ExporterCommand {
        self.limit = Some(Limit::OpenFiles { soft, hard });
        self
    }

    /// Runs as user `nobody`, allowed at most `limit` threads (`ulimit -u`).
    pub fn max_threads_as_nobody(mut self, limit: u64) -> ExporterCommand {
        self.limit = Some(Limit::ThreadsAsNobody(limit));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> ExporterCommand {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Passes `socket` as file descriptor 3, with `LISTEN_FDS=1` and
    /// `LISTEN_PID` set to the exporter's pid, as systemd's socket
    /// activation does. A shell exports its own pid, then becomes the
    /// exporter, which keeps that pid; on the way it moves the socket from
    /// its standard input to fd 3.
    pub fn inherit_socket(mut self, socket: OwnedFd) -> ExporterCommand {
        self.socket = Some(socket);
        self
    }

    /// Keeps standard output for the test ([`ExporterProcess::take_stdout`]).
    pub fn capture_stdout(mut self) -> ExporterCommand {
        self.capture_stdout = true;
        self
    }

    /// [`ExporterCommand::start`] waits for this many `listening` lines (1
    /// unless said).
    pub fn wait_for_listeners(mut self, count: usize) -> ExporterCommand {
        self.listeners = count;
        self
    }

    /// Starts the process and waits for nothing.
    pub fn spawn(self) -> ExporterProcess {
        let mut command_line: Vec<OsString> = Vec::new();
        if self.socket.is_some() {
            let script = r#"export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@" 3<&0 0</dev/null"#;
            command_line.extend(["sh", "-c", script, "sh"].map(OsString::from));
        }
        match self.limit {
            None => {}
            Some(Limit::OpenFiles { soft, hard }) => {
                let nofile = format!("--nofile={soft}:{hard}");
                command_line.extend(["prlimit".into(), nofile.into(), "--".into()]);
            }
            Some(Limit::ThreadsAsNobody(limit)) => {
                let setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
                command_line.extend(setpriv.map(OsString::from));
                command_line.extend(["prlimit".into(), format!("--nproc={limit}").into()]);
            }
        }
        command_line.push(assert_cmd::cargo::cargo_bin("probe_exporter").into());
        command_line.extend(self.args.iter().map(OsString::from));

        let stdin = self.socket.map_or_else(Stdio::null, Stdio::from);
        let stdout = if self.capture_stdout { Stdio::piped() } else { Stdio::null() };
        let mut child = Command::new(&command_line[0])
            .args(&command_line[1..])
            .envs(self.env)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {command_line:?}: {err}"));
        let log = ExporterLog::follow(child.stderr.take().expect("stderr is piped"));
        ExporterProcess { child, log }
    }

    /// Starts the process and waits for its `listening` lines.
    pub fn start(self) -> RunningExporter {
        let (args, listeners) = (self.args.clone(), self.listeners);
        let process = self.spawn();
        let Some(addrs) = process.log.listening_addresses(listeners, IO_TIMEOUT) else {
            let log = process.log.read_so_far();
            panic!("probe_exporter {args:?} did not log {listeners} listening addresses: {log:?}");
        };
        RunningExporter { addr: addrs[0], addrs, process }
    }
}

/// A probe_exporter process, killed when dropped.
pub struct ExporterProcess {
    child: Child,
    log: ExporterLog,
}

impl ExporterProcess {
    /// The process id, for /proc and for signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line of its standard error, the start-up lines included.
    pub fn log(&self) -> &ExporterLog {
        &self.log
    }

    /// Sends it signal `name` (`TERM`, `HUP`...) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `patience` for the process to exit by itself.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + patience;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its standard output, if [`ExporterCommand::capture_stdout`] kept it.
    pub fn take_stdout(&mut self) -> ChildStdout {
        self.child.stdout.take().expect("stdout is captured")
    }
}

impl Drop for ExporterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An exporter that has said where it listens.
pub struct RunningExporter {
    /// The first address it listens on.
    pub addr: SocketAddr,
    /// Every address it logged a `listening` line for.
    pub addrs: Vec<SocketAddr>,
    process: ExporterProcess,
}

impl RunningExporter {
    /// `probe_exporter demo`: a daytime target `clock` and a counter
    /// target `app` of its own, every port chosen by the kernel.
    pub fn demo() -> RunningExporter {
        let on_port_0 = ["--daytime.listen", "127.0.0.1:0", "--counter.listen", "127.0.0.1:0"];
        ExporterCommand::exactly(&["demo", "--web.listen-address", "127.0.0.1:0"])
            .args(&on_port_0)
            .start()
    }

    /// Starts `probe_exporter --web.listen-address 127.0.0.1:0 ARGS...`.
    pub fn start(args: &[&str]) -> RunningExporter {
        ExporterCommand::new(args).start()
    }

    /// Sends one `GET path` on a new connection and reads the response.
    pub fn get(&self, path: &str) -> Response {
        Request::get(path).send(self.addr)
    }

    /// Sends raw bytes on a new connection and reads one response.
    pub fn request(&self, raw: &str) -> Response {
        http_client::request(self.addr, raw)
    }

    pub fn connect(&self) -> TcpStream {
        http_client::connect(self.addr)
    }

    /// The process id, for /proc and for signals.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Its log: the lines up to the `listening` ones are read already
    /// ([`ExporterLog::read_so_far`]); [`ExporterLog::next_line`] gives the
    /// ones after.
    pub fn log(&self) -> &ExporterLog {
        self.process.log()
    }

    /// Sends it signal `name` (`TERM`, `HUP`...) with kill(1).
    pub fn signal(&self, name: &str) {
        self.process.signal(name);
    }

    /// Sets its soft limit on open files from outside, while it runs
    /// (`prlimit --pid`), as an operator or its probes taking the rest
    /// would.
    pub fn set_open_files_soft_limit(&self, soft: usize) {
        let status = Command::new("prlimit")
            .arg(format!("--pid={}", self.pid()))
            .arg(format!("--nofile={soft}:"))
            .status()
            .expect("run prlimit (util-linux)");
        assert!(status.success(), "prlimit --pid failed");
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Waits up to `patience` for the process to exit by itself.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        self.process.wait_exit(patience)
    }
}
