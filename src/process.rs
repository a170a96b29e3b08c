//! The standard `process_*` metrics, read from Linux's `/proc/self`.
//!
//! Every Prometheus client library exports the same few process gauges, so one
//! dashboard fits every exporter; names and units here follow the process
//! collectors of client_golang and client_python. Each `/proc` file has a pure
//! parser over its text, and `read_self` is the thin layer that reads the files.
//! Where `/proc` is missing (another OS, or not mounted) there are no process
//! metrics at all: a value is never guessed.

use std::fs;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// One reading of the process metrics, already in Prometheus base units.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStats {
    /// `process_cpu_seconds_total`: user plus system CPU time.
    pub cpu_seconds: f64,
    /// `process_resident_memory_bytes`: pages in RAM times the page size.
    pub resident_memory_bytes: u64,
    /// `process_virtual_memory_bytes`: the size of the address space.
    pub virtual_memory_bytes: u64,
    /// `process_open_fds`: entries of `/proc/self/fd`, counting one for
    /// the descriptor that would list them, as client_golang does.
    pub open_fds: u64,
    /// `process_max_fds`: the soft limit on open files, if the kernel states one.
    pub max_fds: Option<u64>,
    /// `process_start_time_seconds`: when the process started, in Unix seconds.
    pub start_time_seconds: f64,
}

/// Reads the process metrics of the running process.
///
/// Returns `None` where `/proc/self/stat`, `/proc/stat` or `/proc/self/fd`
/// cannot be read or parsed. Only `max_fds` is optional on its own.
pub fn read_self() -> Option<ProcessStats> {
    let mut buffer = [0u8; 1024];
    let stat = parse_stat(read_stat(&mut buffer)?)?;
    let (boot_time_seconds, units) = boot_time_and_units()?;
    let open_fds = count_open_fds()?;
    let max_fds = max_fds();

    Some(ProcessStats {
        cpu_seconds: stat.cpu_seconds(units),
        resident_memory_bytes: stat.resident_memory_bytes(units),
        virtual_memory_bytes: stat.virtual_memory_bytes,
        open_fds,
        max_fds,
        start_time_seconds: stat.start_time_seconds(boot_time_seconds, units),
    })
}

/// Opens and reads what [`read_self`] keeps from one scrape to the next
/// (the `/proc/self/stat` descriptor, the boot time, the kernel's units
/// and the file limit), so that the first scrape costs what every other
/// does and the descriptor is there from the start, not from the first
/// scrape on. Calling it is optional; [`read_self`] does the same lazily.
pub fn prepare() {
    let _ = stat_file();
    let _ = boot_time_and_units();
    let _ = max_fds();
}

/// `/proc/self/stat`, opened once.
fn stat_file() -> Option<&'static fs::File> {
    static STAT: OnceLock<Option<fs::File>> = OnceLock::new();
    STAT.get_or_init(|| fs::File::open("/proc/self/stat").ok()).as_ref()
}

/// Reads `/proc/self/stat` whole into `buffer`, with one `pread` on a
/// descriptor opened once ([`prepare`], or the first scrape) and kept: the kernel writes the
/// file afresh for every read from offset 0, so reopening it would only
/// add an `open` and a `close` (and, with musl, an `fcntl`) per scrape.
/// The file comes in one piece when the buffer can hold it, so a read
/// that fills the buffer means a file too long for it: `/proc/self/stat`
/// is a few hundred bytes, and a longer one is rejected.
fn read_stat(buffer: &mut [u8]) -> Option<&str> {
    let file = stat_file()?;
    let filled = loop {
        match file.read_at(buffer, 0) {
            Ok(n) if n < buffer.len() => break n,
            Ok(_) => return None,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    };
    std::str::from_utf8(&buffer[..filled]).ok()
}

/// The soft limit on open files, read once: only `setrlimit` changes it,
/// which the exporter calls only at start, before this is read (a
/// `prlimit` from outside would go unseen until a restart).
fn max_fds() -> Option<u64> {
    static MAX_FDS: OnceLock<Option<u64>> = OnceLock::new();
    *MAX_FDS.get_or_init(|| {
        fs::read_to_string("/proc/self/limits").ok().and_then(|limits| parse_limits(&limits))
    })
}

/// The boot time and the kernel's units, which cannot change while the
/// process runs: read once ([`prepare`], or the first scrape), not at every scrape.
fn boot_time_and_units() -> Option<(u64, KernelUnits)> {
    static BOOT_TIME_AND_UNITS: OnceLock<Option<(u64, KernelUnits)>> = OnceLock::new();
    *BOOT_TIME_AND_UNITS.get_or_init(|| {
        let boot_time_seconds = parse_btime(&fs::read_to_string("/proc/stat").ok()?)?;
        let units = KernelUnits::from_auxv(&fs::read("/proc/self/auxv").unwrap_or_default());
        Some((boot_time_seconds, units))
    })
}

/// Counts the entries of `/proc/self/fd`, one per open file descriptor.
///
/// Since Linux 6.2 the directory's size is that count, so one `statx`
/// answers without listing anything. Older kernels report 0, and the
/// directory is listed instead (an allocation per entry, in std). The
/// figure is the one client_golang's collector gives, which counts the
/// descriptor that lists the directory too: hence the 1 added to the size.
fn count_open_fds() -> Option<u64> {
    let size = fs::metadata("/proc/self/fd").ok()?.len();
    if size > 0 {
        return Some(size + 1);
    }
    let entries = fs::read_dir("/proc/self/fd").ok()?;
    u64::try_from(entries.count()).ok()
}

/// The fields of `/proc/self/stat` behind the metrics, in the kernel's units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    /// Field 14, `utime`: CPU time in user mode, in clock ticks.
    user_ticks: u64,
    /// Field 15, `stime`: CPU time in kernel mode, in clock ticks.
    system_ticks: u64,
    /// Field 22, `starttime`: clock ticks from boot to the start of the process.
    start_ticks: u64,
    /// Field 23, `vsize`: virtual memory size in bytes.
    virtual_memory_bytes: u64,
    /// Field 24, `rss`: resident set size in pages.
    resident_pages: u64,
}

impl Stat {
    fn cpu_seconds(&self, units: KernelUnits) -> f64 {
        units.ticks_to_seconds(self.user_ticks.saturating_add(self.system_ticks))
    }

    fn resident_memory_bytes(&self, units: KernelUnits) -> u64 {
        self.resident_pages.saturating_mul(units.page_size_bytes)
    }

    fn start_time_seconds(&self, boot_time_seconds: u64, units: KernelUnits) -> f64 {
        boot_time_seconds as f64 + units.ticks_to_seconds(self.start_ticks)
    }
}

/// Parses the one line of `/proc/self/stat` (proc(5)).
///
/// Example: `4242 (probe exporter) S 1 4242 4242 0 -1 4194560 ...`
///
/// Field 2, `comm`, is the executable name in parentheses, and the name may
/// itself hold spaces and `)`. The kernel writes nothing after it but numbers
/// and a one-letter state, so the fields are split after the *last* `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let (_, after_comm) = text.rsplit_once(')')?;
    // `fields[0]` is field 3 (`state`), so field N of proc(5) is
    // `fields[N - 3]`; the last one read is field 24. On the stack: this
    // runs at every scrape.
    let mut fields = [""; 22];
    for (slot, field) in fields.iter_mut().zip(after_comm.split_whitespace()) {
        *slot = field;
    }
    let field = |number: usize| -> Option<u64> { fields.get(number - 3)?.parse().ok() };

    Some(Stat {
        user_ticks: field(14)?,
        system_ticks: field(15)?,
        start_ticks: field(22)?,
        virtual_memory_bytes: field(23)?,
        resident_pages: field(24)?,
    })
}

/// Parses the soft limit out of the `Max open files` row of `/proc/self/limits`.
///
/// Example: `Max open files            1024                 524288               files`
///
/// The columns are the soft limit, the hard limit and the unit. A soft limit
/// of `unlimited` gives `None`: there is no finite number to report.
fn parse_limits(text: &str) -> Option<u64> {
    let row = text.lines().find_map(|line| line.strip_prefix("Max open files"))?;
    row.split_whitespace().next()?.parse().ok()
}

/// Parses the boot time, in Unix seconds, from the `btime` line of `/proc/stat`.
///
/// Example: `btime 1700000000`
fn parse_btime(text: &str) -> Option<u64> {
    let value = text.lines().find_map(|line| line.strip_prefix("btime "))?;
    value.trim().parse().ok()
}

/// Auxiliary vector key for the page size in bytes (`AT_PAGESZ` in `<elf.h>`).
const AT_PAGESZ: usize = 6;
/// Auxiliary vector key for the clock ticks per second (`AT_CLKTCK` in `<elf.h>`).
const AT_CLKTCK: usize = 17;
/// The key that ends the auxiliary vector (`AT_NULL` in `<elf.h>`).
const AT_NULL: usize = 0;

/// Finds the value stored under `key` in the raw bytes of `/proc/self/auxv`.
///
/// The file is the auxiliary vector the kernel hands every new program: pairs
/// of native-endian machine words, `(key, value)`, ending with an `AT_NULL` key.
fn parse_auxv(auxv: &[u8], key: usize) -> Option<usize> {
    const WORD: usize = std::mem::size_of::<usize>();
    for pair in auxv.chunks_exact(2 * WORD) {
        let (pair_key, pair_value) = pair.split_at(WORD);
        let pair_key = usize::from_ne_bytes(pair_key.try_into().ok()?);
        if pair_key == AT_NULL {
            return None;
        }
        if pair_key == key {
            return Some(usize::from_ne_bytes(pair_value.try_into().ok()?));
        }
    }
    None
}

/// The two kernel constants that turn `/proc` figures into base units.
///
/// C programs ask `sysconf(_SC_CLK_TCK)` and `sysconf(_SC_PAGESIZE)`, but std has
/// no `sysconf`, and glibc answers both from the auxiliary vector anyway. So the
/// values are read from `/proc/self/auxv`, with the usual Linux values (100 Hz
/// and 4 KiB pages, which client_golang assumes outright) when it is unreadable.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KernelUnits {
    clock_ticks_per_second: u64,
    page_size_bytes: u64,
}

impl KernelUnits {
    const FALLBACK: KernelUnits =
        KernelUnits { clock_ticks_per_second: 100, page_size_bytes: 4096 };

    fn from_auxv(auxv: &[u8]) -> KernelUnits {
        let positive = |key: usize| -> Option<u64> {
            let value = u64::try_from(parse_auxv(auxv, key)?).ok()?;
            (value > 0).then_some(value)
        };
        KernelUnits {
            clock_ticks_per_second: positive(AT_CLKTCK)
                .unwrap_or(KernelUnits::FALLBACK.clock_ticks_per_second),
            page_size_bytes: positive(AT_PAGESZ).unwrap_or(KernelUnits::FALLBACK.page_size_bytes),
        }
    }

    fn ticks_to_seconds(&self, ticks: u64) -> f64 {
        ticks as f64 / self.clock_ticks_per_second as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    /// A `/proc/self/stat` line in the kernel's layout, with the given `comm`:
    /// utime 1234, stime 566, starttime 250000, vsize 12345678, rss 2000.
    fn stat_line(comm: &str) -> String {
        format!(
            "4242 ({comm}) S 1 4242 4242 0 -1 4194560 2930 0 0 0 1234 566 0 0 20 0 3 0 \
             250000 12345678 2000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 \
             1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        )
    }

    const STAT: Stat = Stat {
        user_ticks: 1234,
        system_ticks: 566,
        start_ticks: 250000,
        virtual_memory_bytes: 12345678,
        resident_pages: 2000,
    };

    #[track_caller]
    fn check_stat(text: &str, expected: Option<Stat>) {
        assert_eq!(parse_stat(text), expected, "input: {text:?}");
    }

    #[test]
    fn stat_fields_are_found_after_the_last_parenthesis() {
        check_stat(&stat_line("probe_exporter"), Some(STAT));
        check_stat(&stat_line("probe exporter"), Some(STAT));
        check_stat(&stat_line("a) S 1 2 3 (b"), Some(STAT));
        check_stat(&stat_line("))"), Some(STAT));
        check_stat(&stat_line(""), Some(STAT));

        let cat = "3765 (cat) R 3763 3763 3409 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 24542 \
                   3133440 385 18446744073709551615 93917052735488 93917052755369 0 0 0 0 0 0 0 0 0 17 \
                   0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let cat_stat = Stat {
            user_ticks: 0,
            system_ticks: 0,
            start_ticks: 24542,
            virtual_memory_bytes: 3133440,
            resident_pages: 385,
        };
        check_stat(cat, Some(cat_stat));
    }

    #[test]
    fn malformed_stat_is_rejected() {
        check_stat("", None);
        check_stat("4242 probe_exporter S 1 4242", None);
        check_stat("4242 (probe_exporter) S 1 4242 4242 0 -1 4194560 2930 0 0 0 1234", None);
        check_stat(&stat_line("x").replace(" 566 ", " -566 "), None);
    }

    #[track_caller]
    fn check_limits(text: &str, expected: Option<u64>) {
        assert_eq!(parse_limits(text), expected, "input: {text:?}");
    }

    #[test]
    fn soft_open_files_limit() {
        let limits = "\
Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max processes             63422                63422                processes 
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
";
        check_limits(limits, Some(1024));
        check_limits(
            "Max open files            unlimited            unlimited            files",
            None,
        );
        check_limits("Max processes             63422                63422", None);
        check_limits("", None);
    }

    #[track_caller]
    fn check_btime(text: &str, expected: Option<u64>) {
        assert_eq!(parse_btime(text), expected, "input: {text:?}");
    }

    #[test]
    fn boot_time_is_read_from_btime() {
        let stat = "\
cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0
intr 1462898 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 115315
btime 1769000000
processes 86031
procs_running 6
";
        check_btime(stat, Some(1769000000));
        check_btime("btime 1769000000", Some(1769000000));
        check_btime("cpu  1 2 3\nctxt 115315\n", None);
        check_btime("btime soon\n", None);
    }

    fn auxv(pairs: &[(usize, usize)]) -> Vec<u8> {
        pairs
            .iter()
            .flat_map(|&(key, value)| [key.to_ne_bytes(), value.to_ne_bytes()])
            .flatten()
            .collect()
    }

    #[track_caller]
    fn check_auxv(bytes: &[u8], key: usize, expected: Option<usize>) {
        assert_eq!(parse_auxv(bytes, key), expected);
    }

    #[test]
    fn auxiliary_vector_lookup() {
        let vector = auxv(&[(33, 0x7ffd_0000), (AT_PAGESZ, 16384), (AT_CLKTCK, 250), (AT_NULL, 0)]);
        check_auxv(&vector, AT_PAGESZ, Some(16384));
        check_auxv(&vector, AT_CLKTCK, Some(250));
        check_auxv(&vector, 25, None);
        check_auxv(&auxv(&[(AT_NULL, 0), (AT_CLKTCK, 250)]), AT_CLKTCK, None);
        check_auxv(&vector[..vector.len() - 1], AT_PAGESZ, Some(16384));
        check_auxv(&[], AT_CLKTCK, None);
    }

    #[track_caller]
    fn check_units(bytes: &[u8], clock_ticks_per_second: u64, page_size_bytes: u64) {
        let expected = KernelUnits { clock_ticks_per_second, page_size_bytes };
        assert_eq!(KernelUnits::from_auxv(bytes), expected);
    }

    #[test]
    fn kernel_units_fall_back_to_linux_defaults() {
        check_units(&auxv(&[(AT_CLKTCK, 1000), (AT_PAGESZ, 65536), (AT_NULL, 0)]), 1000, 65536);
        check_units(&auxv(&[(AT_PAGESZ, 65536), (AT_NULL, 0)]), 100, 65536);
        check_units(&auxv(&[(AT_CLKTCK, 0), (AT_NULL, 0)]), 100, 4096);
        check_units(&[], 100, 4096);
    }

    #[test]
    fn stat_converts_to_base_units() {
        let units = KernelUnits { clock_ticks_per_second: 100, page_size_bytes: 4096 };
        assert_eq!(STAT.cpu_seconds(units), 18.0);
        assert_eq!(STAT.resident_memory_bytes(units), 8_192_000);
        assert_eq!(STAT.start_time_seconds(1_769_000_000, units), 1_769_002_500.0);
    }

    #[test]
    fn reads_this_process() {
        let stats = read_self().unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();

        assert!(stats.resident_memory_bytes > 0, "{stats:?}");
        assert!(stats.virtual_memory_bytes >= stats.resident_memory_bytes, "{stats:?}");
        assert!(stats.open_fds >= 3, "{stats:?}");
        assert!(stats.max_fds.is_some_and(|max| max >= stats.open_fds), "{stats:?}");
        assert!(stats.cpu_seconds >= 0.0, "{stats:?}");
        // `btime` is truncated to whole seconds, so allow one second of rounding.
        assert!(stats.start_time_seconds <= now + 1.0, "{stats:?}, now {now}");
        assert!(stats.start_time_seconds > now - 86_400.0, "{stats:?}, now {now}");
    }
}
