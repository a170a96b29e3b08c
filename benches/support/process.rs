//! The exporter as a process of its own: started with its arguments and
//! environment, under a tool if asked (strace, callgrind, prlimit), on
//! port 0 read back from its `listening` line; stopped with SIGTERM or
//! killed when dropped.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{Result, IO_TIMEOUT};

/// Under valgrind the exporter starts and stops tens of times slower.
pub const VALGRIND_TIMEOUT: Duration = Duration::from_secs(90);

/// What the exporter runs under.
#[derive(Clone, Copy)]
pub enum Wrapper<'a> {
    Nothing,
    /// `strace -f -c -o FILE`: the exporter is strace's child.
    Strace(&'a Path),
    /// `valgrind --tool=callgrind`: the same process, instrumented.
    Callgrind(&'a Path),
    /// `prlimit --as=BYTES`, which executes the exporter in its place.
    AddressSpace(u64),
}

impl Wrapper<'_> {
    /// The command line before the exporter's.
    fn command(self) -> Vec<OsString> {
        match self {
            Wrapper::Nothing => vec![],
            Wrapper::Strace(out) => {
                let mut line: Vec<OsString> = ["strace", "-f", "-c", "-o"].map(Into::into).into();
                line.push(out.into());
                line
            }
            Wrapper::Callgrind(out) => vec![
                "valgrind".into(),
                "--quiet".into(),
                "--tool=callgrind".into(),
                format!("--callgrind-out-file={}", out.display()).into(),
            ],
            Wrapper::AddressSpace(bytes) => vec!["prlimit".into(), format!("--as={bytes}").into()],
        }
    }
}

/// How to start the exporter: `WRAPPER... BINARY --web.listen-address
/// 127.0.0.1:0 ARGS...`, with an environment.
pub struct ExporterCommand<'a> {
    binary: PathBuf,
    args: Vec<OsString>,
    wrapper: Wrapper<'a>,
    environment: &'a [(&'a str, &'a str)],
    patience: Duration,
}

impl<'a> ExporterCommand<'a> {
    pub fn new(binary: &Path) -> ExporterCommand<'a> {
        ExporterCommand {
            binary: binary.to_path_buf(),
            args: Vec::new(),
            wrapper: Wrapper::Nothing,
            environment: &[],
            patience: IO_TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> ExporterCommand<'a> {
        self.args.push(arg.into());
        self
    }

    pub fn under(mut self, wrapper: Wrapper<'a>) -> ExporterCommand<'a> {
        self.wrapper = wrapper;
        self
    }

    pub fn envs(mut self, environment: &'a [(&'a str, &'a str)]) -> ExporterCommand<'a> {
        self.environment = environment;
        self
    }

    /// How long to wait for the `listening` line ([`IO_TIMEOUT`] unless
    /// said).
    pub fn patience(mut self, patience: Duration) -> ExporterCommand<'a> {
        self.patience = patience;
        self
    }

    /// Starts the process and waits for the log line that names the bound
    /// address.
    pub fn start(self) -> Result<RunningExporter> {
        let mut command_line = self.wrapper.command();
        command_line.push(self.binary.clone().into());
        let mut command = Command::new(&command_line[0]);
        command
            .args(&command_line[1..])
            .args(["--web.listen-address", "127.0.0.1:0"])
            .args(&self.args)
            .envs(self.environment.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let program = command_line[0].to_string_lossy().into_owned();
        let mut child = command.spawn().map_err(|err| format!("{program}: {err}"))?;
        let stderr = child.stderr.take().ok_or("stderr is not piped")?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let log_reader = {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(io::Result::ok) {
                    if let Some(addr) = listening_address(&line) {
                        let _ = address_tx.send(addr);
                    }
                    let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    log.push_back(line);
                    if log.len() > 5 {
                        log.pop_front();
                    }
                }
            })
        };
        // Built before the wait, so that dropping it kills the process
        // if no address comes.
        let pid = child.id();
        let mut exporter = RunningExporter {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            log_reader: Some(log_reader),
        };
        exporter.addr = address_rx.recv_timeout(self.patience).map_err(|_| {
            format!(
                "{} logged no listening address: {}",
                self.binary.display(),
                exporter.log_tail().join(" | ")
            )
        })?;
        if let Wrapper::Strace(_) = self.wrapper {
            exporter.pid = child_of(pid)?;
        }
        Ok(exporter)
    }
}

/// A running exporter; killed when dropped.
pub struct RunningExporter {
    /// The process started: the exporter, or the tool running it.
    child: Child,
    /// The exporter's own process.
    pub pid: u32,
    pub addr: SocketAddr,
    /// The last lines of its standard error (the tool's too).
    log: Arc<Mutex<VecDeque<String>>>,
    /// Reads the log to its end, so that a full pipe never blocks the
    /// exporter; it ends when the process does.
    log_reader: Option<JoinHandle<()>>,
}

impl RunningExporter {
    pub fn log_tail(&self) -> Vec<String> {
        let log = self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        log.iter().cloned().collect()
    }

    /// How the process started exited, if it has.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    /// Stops the exporter with SIGTERM, as a service manager does, and
    /// waits for the process started (and its tool) to exit.
    pub fn stop(mut self) -> Result<ExitStatus> {
        signal(self.pid, "TERM")?;
        let deadline = Instant::now() + VALGRIND_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        Err("the exporter did not stop on SIGTERM".into())
    }
}

impl Drop for RunningExporter {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // A traced exporter outlives its killed tracer: kill it first.
            if self.pid != self.child.id() {
                let _ = signal(self.pid, "KILL");
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if let Some(reader) = self.log_reader.take() {
            let _ = reader.join();
        }
    }
}

/// The address of `level=info msg="listening" address=...` (not a demo
/// service's, which names its `service`).
fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("msg=\"listening\"") || line.contains("service=") {
        return None;
    }
    line.rsplit("address=").next()?.trim().parse().ok()
}

/// The one child process of `parent` (strace's exporter).
fn child_of(parent: u32) -> Result<u32> {
    for entry in fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let ppid = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1));
        if ppid == Some(parent.to_string().as_str()) {
            return Ok(pid);
        }
    }
    Err(format!("process {parent} has no child").into())
}

/// Sends `SIGNAL` to process `pid`, by its id.
fn signal(pid: u32, name: &str) -> Result<()> {
    let status = Command::new("kill").args(["-s", name, &pid.to_string()]).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -s {name} {pid}: {status}").into())
    }
}
