//! The limit on open files (`RLIMIT_NOFILE`), read and raised.
//!
//! Every connection, probe and name lookup takes a file descriptor, and the
//! soft limit most systems start a service with is still 1,024, a number
//! kept for `select(2)`, which cannot watch a descriptor above 1,023. The
//! hard limit is usually far higher (systemd gives 524,288). A program that
//! never calls `select`, like this one, is meant to raise its soft limit to
//! the hard one itself: systemd.exec(5) says so under `LimitNOFILE=`, and
//! Go's runtime has done it for every Go program since 1.19. Only the soft
//! limit moves; the hard one, the operator's ceiling, is never touched.
//!
//! std has no call for either, so `getrlimit(2)` and `setrlimit(2)` are
//! declared here: one of the OS modules with `unsafe`.

use std::io;
use std::os::raw::c_int;

/// `RLIMIT_NOFILE` on Linux's generic numbering (x86, ARM, RISC-V; not
/// MIPS, SPARC or Alpha, which number it 5).
const RLIMIT_NOFILE: c_int = 7;

/// `rlim_t`: an `unsigned long` with glibc, which is 64 bits on 64-bit
/// targets; always 64 bits with musl.
#[cfg(not(target_env = "musl"))]
type RlimT = std::os::raw::c_ulong;
#[cfg(target_env = "musl")]
type RlimT = u64;

/// `struct rlimit`: the soft limit, then the hard one.
#[repr(C)]
struct RLimit {
    soft: RlimT,
    hard: RlimT,
}

#[allow(unsafe_code)]
extern "C" {
    fn getrlimit(resource: c_int, limit: *mut RLimit) -> c_int;
    fn setrlimit(resource: c_int, limit: *const RLimit) -> c_int;
}

/// The process's limit on open files: no descriptor numbered `soft` or
/// above can be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    /// The limit in force, which the process may raise up to `hard`.
    pub soft: u64,
    /// The ceiling, which only a privileged process may raise.
    pub hard: u64,
}

impl FileLimit {
    /// The limit now.
    // `rlim_t` is `u64` itself on 64-bit targets, but not on 32-bit glibc.
    #[allow(clippy::useless_conversion)]
    pub fn current() -> io::Result<FileLimit> {
        get().map(|limit| FileLimit { soft: u64::from(limit.soft), hard: u64::from(limit.hard) })
    }

    /// Raises the soft limit to the hard one, if it is lower, and returns
    /// the limit as it is afterwards. It fails where the kernel refuses
    /// (a hard limit of "unlimited" is above what Linux lets a soft limit
    /// of open files be, `fs.nr_open`); the limit is then unchanged.
    pub fn raise_soft_to_hard() -> io::Result<FileLimit> {
        let limit = get()?;
        if limit.soft < limit.hard {
            set(&RLimit { soft: limit.hard, hard: limit.hard })?;
        }
        FileLimit::current()
    }
}

#[allow(unsafe_code)]
fn get() -> io::Result<RLimit> {
    let mut limit = RLimit { soft: 0, hard: 0 };
    // SAFETY: `limit` is a valid, writable `struct rlimit` for the whole
    // call, and getrlimit writes nothing else.
    let result = unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}

#[allow(unsafe_code)]
fn set(limit: &RLimit) -> io::Result<()> {
    // SAFETY: `limit` points to a valid `struct rlimit` for the whole
    // call, and setrlimit only reads it.
    let result = unsafe { setrlimit(RLIMIT_NOFILE, limit) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_limit_the_kernel_states() {
        // /proc/self/limits states the same two numbers ("unlimited" for
        // the largest), which the kernel writes from the same place.
        let limit = FileLimit::current().unwrap();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let row = limits.lines().find(|line| line.starts_with("Max open files")).unwrap();
        let stated: Vec<u64> = row
            .split_whitespace()
            .skip(3)
            .take(2)
            .map(|value| value.parse().unwrap_or(u64::MAX))
            .collect();
        assert_eq!(stated, [limit.soft, limit.hard]);
        assert!(limit.soft <= limit.hard);
    }

    #[test]
    fn raising_leaves_the_soft_limit_at_the_hard_one() {
        // The test process may already run with both equal; then raising
        // changes nothing, which is what it must do too.
        let before = FileLimit::current().unwrap();
        let after = FileLimit::raise_soft_to_hard().unwrap();
        assert_eq!(after, FileLimit { soft: before.hard, hard: before.hard });
    }
}
