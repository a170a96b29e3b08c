//! The `probe_exporter` binary: read the command line, run, exit.
//!
//! All the work is in the library; `main` blocks the signals the signal
//! thread will take, and chooses the exit code:
//! 0 when done, 2 for a mistake on the command line or in the
//! configuration file (nothing was started), 1 when running failed.

use std::process::ExitCode;

use probe_exporter::os::signals;
use probe_exporter::{app, config, log};

fn main() -> ExitCode {
    // First, while this is the only thread: every thread started later
    // inherits the blocked signals, and only the signal thread takes them.
    let signals = signals::block().ok();
    log_panics();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match config::parse_args(&args) {
        Ok(command) => command,
        Err(err) => {
            eprintln!("probe_exporter: {err}");
            return ExitCode::from(2);
        }
    };
    match app::run(command, signals) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err @ app::Error::Config(_)) => {
            eprintln!("probe_exporter: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            log::error("exiting", &[("err", &err)]);
            ExitCode::FAILURE
        }
    }
}

/// A panic is a bug; it is caught where it happens (one request gets a
/// 500), and reported like every other event, on one line of the log in
/// its format (logfmt or JSON).
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location =
            info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        log::error("panic", &[("at", &location), ("err", &payload)]);
    }));
}
