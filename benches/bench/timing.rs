//! CPU time from /proc, and the small arithmetic of times.

use std::fs;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::Result;

/// `getconf CLK_TCK`: the unit of `utime` and `stime` in `/proc/*/stat`.
pub fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// `utime + stime` of a `/proc/.../stat` file.
pub fn stat_cpu(path: &str) -> Result<Duration> {
    let stat = fs::read_to_string(path)?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields.get(i).ok_or_else(|| format!("short {path}"))?.parse()?)
    };
    Ok(Duration::from_secs_f64((ticks(11)? + ticks(12)?) / clock_ticks_per_second()))
}

/// The CPU time of every thread of process `pid`, living or ended.
pub fn process_cpu(pid: u32) -> Result<Duration> {
    stat_cpu(&format!("/proc/{pid}/stat"))
}

/// The CPU time of the calling thread: `se.sum_exec_runtime` of
/// `/proc/thread-self/sched`, in nanoseconds, where the kernel has it;
/// else `utime + stime`, in clock ticks.
pub fn thread_cpu() -> Result<Duration> {
    match sched_runtime() {
        Some(runtime) => Ok(runtime),
        None => stat_cpu("/proc/thread-self/stat"),
    }
}

pub fn sched_runtime() -> Option<Duration> {
    let sched = fs::read_to_string("/proc/thread-self/sched").ok()?;
    let millis: f64 = sched
        .lines()
        .find_map(|line| line.strip_prefix("se.sum_exec_runtime"))?
        .trim_start_matches([' ', ':'])
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(millis / 1e3))
}

pub fn thread_cpu_source() -> &'static str {
    if sched_runtime().is_some() {
        "/proc/thread-self/sched (ns)"
    } else {
        "/proc/thread-self/stat (clock ticks)"
    }
}

pub fn time(operation: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    operation()?;
    Ok(start.elapsed())
}

/// The median by nearest rank.
pub fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len().saturating_sub(1) / 2).copied().unwrap_or_default()
}

pub fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
