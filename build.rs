//! Stamps the build with what `--version` and the `probe_exporter_build_info`
//! gauge report, as `PROBE_EXPORTER_*` variables that `src/version.rs` reads
//! with `env!`: the git revision and branch, the build date, and the version
//! of rustc.
//!
//! Only std, and git is a help, not a need: in a source tarball (no `.git`)
//! or on a machine without git, the revision and branch are `unknown` and
//! the build goes on.

use std::env;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// The crate's own calendar, compiled here a second time: the module is a
// leaf (no `crate::` imports, no I/O) so that it can be. The script uses
// only `format_build_date`.
#[allow(dead_code, unused_imports)]
#[path = "src/time/mod.rs"]
mod time;

fn main() {
    set_env("PROBE_EXPORTER_REVISION", git(&["rev-parse", "HEAD"]));
    set_env("PROBE_EXPORTER_BRANCH", git(&["rev-parse", "--abbrev-ref", "HEAD"]));
    set_env("PROBE_EXPORTER_BUILD_DATE", Some(time::format::format_build_date(build_time())));
    set_env("PROBE_EXPORTER_RUSTC_VERSION", rustc_version());

    // Without any `rerun-if` line cargo would run this script again whenever
    // any file of the package changed; this line alone means "never", and
    // the lines below add the events that should.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    watch_head();
}

/// Hands `name` to the compilation of the crate, `unknown` if there is no value.
fn set_env(name: &str, value: Option<String>) {
    println!("cargo:rustc-env={name}={}", value.as_deref().unwrap_or("unknown"));
}

/// What `git ARGS` prints in the package directory, or `None` when this is
/// not a git checkout, git is not installed, or the command fails.
fn git(args: &[&str]) -> Option<String> {
    // Unpacked inside some other repository, a tarball would otherwise get
    // that repository's revision.
    if !Path::new(".git").exists() {
        return None;
    }
    output(Command::new("git").args(args))
}

/// `rustc --version` of the compiler cargo uses, as it prints it:
/// `rustc 1.95.0 (59807616e 2026-04-14)`.
fn rustc_version() -> Option<String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    output(Command::new(rustc).arg("--version"))
}

/// The trimmed standard output of `command`, if it ran, succeeded and printed
/// something.
fn output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// The instant the build is stamped with: `SOURCE_DATE_EPOCH` when it is
/// set, so that two builds of one source are identical, otherwise now.
fn build_time() -> SystemTime {
    let Some(value) = env::var_os("SOURCE_DATE_EPOCH").filter(|value| !value.is_empty()) else {
        return SystemTime::now();
    };
    // The specification (reproducible-builds.org/specs/source-date-epoch)
    // asks a build to stop on a malformed value rather than guess a date.
    let seconds = value.to_str().and_then(|text| text.parse().ok()).unwrap_or_else(|| {
        panic!("SOURCE_DATE_EPOCH={value:?} is not a whole number of seconds since 1970")
    });
    UNIX_EPOCH + Duration::from_secs(seconds)
}

/// Asks cargo to run this script again when HEAD moves, so that the
/// revision stays true without running it at every build.
///
/// `HEAD` changes when another branch is checked out, the branch's ref file
/// on a commit, and `logs/HEAD` on both, even when the ref is packed and has
/// no file of its own. `git rev-parse --git-path` finds them in a worktree
/// too, where `.git` is a file. Only paths that exist are named: cargo runs
/// the script at every build for one that does not.
fn watch_head() {
    let mut names = vec!["HEAD".to_string(), "logs/HEAD".to_string()];
    // `refs/heads/main`; nothing when HEAD is detached.
    names.extend(git(&["symbolic-ref", "--quiet", "HEAD"]));
    for name in names {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}
