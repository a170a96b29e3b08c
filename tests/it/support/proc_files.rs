//! A process seen from outside, through /proc: its open descriptors, its
//! CPU time, and this test process's own limit on open files.

use std::fs;

/// The descriptor numbers process `pid` has open.
pub fn open_fd_numbers(pid: u32) -> Vec<usize> {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// How many files process `pid` has open.
pub fn open_fds(pid: u32) -> usize {
    open_fd_numbers(pid).len()
}

/// The lowest `count` descriptor numbers process `pid` has free: the
/// ones its next files would get, in that order.
pub fn free_fd_numbers(pid: u32, count: usize) -> Vec<usize> {
    let open = open_fd_numbers(pid);
    (0..).filter(|fd| !open.contains(fd)).take(count).collect()
}

/// User and system CPU time of process `pid`, in clock ticks (100 a
/// second on Linux): fields 14 and 15 of /proc/PID/stat, counted after
/// the parenthesised command name.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    let after_name = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is at index 0, so field N is at N - 3.
    fields[14 - 3].parse::<u64>().unwrap() + fields[15 - 3].parse::<u64>().unwrap()
}

/// This test process's limit on open files, soft and hard, which a
/// process it starts inherits (`u64::MAX` for `unlimited`).
pub fn open_files_limit() -> (u64, u64) {
    let limits = fs::read_to_string("/proc/self/limits").expect("read /proc/self/limits");
    let row = limits.lines().find_map(|line| line.strip_prefix("Max open files"));
    let mut values = row.map(str::split_whitespace).into_iter().flatten();
    let mut next = || values.next().map_or(u64::MAX, |value| value.parse().unwrap_or(u64::MAX));
    (next(), next())
}
