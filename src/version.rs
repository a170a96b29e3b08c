//! Which build this is: the version, and the commit and toolchain it came
//! from.
//!
//! When one instance of a fleet misbehaves, the first question is which
//! build it runs. The Prometheus components answer it in three places, and
//! so does this exporter, in the same shapes: `--version` prints
//! [`print_text`], the start-up log line carries [`info`] and
//! [`build_context`], and the `probe_exporter_build_info` gauge carries
//! [`build_info_labels`], so that one query shows the revision of every
//! instance.
//!
//! The facts are fixed when the binary is compiled: `build.rs` asks git for
//! the revision and branch, the clock (or `SOURCE_DATE_EPOCH`) for the date
//! and rustc for its version, and passes them as environment variables that
//! `env!` reads here. Built without git they read `unknown`. The build date
//! is when that script last ran, which is on a clean build and whenever
//! HEAD moves, not at every compile.

use std::env::consts::{ARCH, OS};
use std::fmt::Write as _;

/// The name `--version` starts with: the binary's, not the package's
/// `probe-exporter`.
const PROGRAM: &str = "probe_exporter";

/// The facts about one build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Build {
    /// The crate's version, `0.1.0`.
    pub version: &'static str,
    /// The commit, as `git rev-parse HEAD` names it, or `unknown`.
    pub revision: &'static str,
    /// The branch checked out, or `HEAD` when detached, or `unknown`.
    pub branch: &'static str,
    /// When it was built, in UTC: `20261201-21:26:25`.
    pub build_date: &'static str,
    /// What `rustc --version` printed: `rustc 1.95.0 (59807616e 2026-04-14)`.
    pub rust_version: &'static str,
    /// The operating system it runs on, `linux`.
    pub os: &'static str,
    /// The processor architecture it runs on, `x86_64`.
    pub arch: &'static str,
}

impl Build {
    /// This binary's build.
    pub const CURRENT: Build = Build {
        version: env!("CARGO_PKG_VERSION"),
        revision: env!("PROBE_EXPORTER_REVISION"),
        branch: env!("PROBE_EXPORTER_BRANCH"),
        build_date: env!("PROBE_EXPORTER_BUILD_DATE"),
        rust_version: env!("PROBE_EXPORTER_RUSTC_VERSION"),
        os: OS,
        arch: ARCH,
    };

    /// `linux/x86_64`, as Go writes `GOOS/GOARCH`.
    pub fn platform(&self) -> String {
        format!("{}/{}", self.os, self.arch)
    }

    /// The `--version` text, shaped as prometheus/common's `version.Print`:
    /// a headline, then one indented line per fact with the values in one
    /// column. No newline at the end.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{PROGRAM}, version {} (branch: {}, revision: {})",
            self.version, self.branch, self.revision
        );
        let platform = self.platform();
        let facts = [
            ("build date:", self.build_date),
            ("rust version:", self.rust_version),
            ("platform:", &platform),
        ];
        for (label, value) in facts {
            let _ = write!(text, "\n  {label:<18}{value}");
        }
        text
    }

    /// `(version=0.1.0, branch=main, revision=1088bdf…)`, as
    /// prometheus/common's `version.Info`.
    pub fn info(&self) -> String {
        format!("(version={}, branch={}, revision={})", self.version, self.branch, self.revision)
    }

    /// `(rust=rustc 1.95.0 (…), platform=linux/x86_64, date=20261201-21:26:25)`,
    /// as prometheus/common's `version.BuildContext`.
    pub fn context(&self) -> String {
        format!(
            "(rust={}, platform={}, date={})",
            self.rust_version,
            self.platform(),
            self.build_date
        )
    }

    /// The labels of the `probe_exporter_build_info` gauge, as the
    /// Prometheus components name theirs (`goversion` becomes `rustversion`).
    pub fn labels(&self) -> [(&'static str, &'static str); 4] {
        [
            ("version", self.version),
            ("revision", self.revision),
            ("branch", self.branch),
            ("rustversion", self.rust_version),
        ]
    }
}

/// What `--version` prints for this binary; see [`Build::text`].
pub fn print_text() -> String {
    Build::CURRENT.text()
}

/// The `version` value of the start-up log line; see [`Build::info`].
pub fn info() -> String {
    Build::CURRENT.info()
}

/// The `build_context` value of the start-up log line; see [`Build::context`].
pub fn build_context() -> String {
    Build::CURRENT.context()
}

/// The label pairs of `probe_exporter_build_info` for this binary.
pub fn build_info_labels() -> [(&'static str, &'static str); 4] {
    Build::CURRENT.labels()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build of the example in the task and the research notes.
    const SAMPLE: Build = Build {
        version: "0.1.0",
        revision: "1088bdfb341a46a6c45f30a195888e671eb7a5e3",
        branch: "main",
        build_date: "20261201-21:26:25",
        rust_version: "rustc 1.95.0 (59807616e 2026-04-14)",
        os: "linux",
        arch: "x86_64",
    };

    #[test]
    fn text_has_the_shape_of_prometheus_version_print() {
        // blackbox_exporter's, from the research notes, for the layout:
        //   blackbox_exporter, version 0.23.0 (branch: debian/sid, revision: 0.23.0-4+b4)
        //     build date:       20230409-09:57:40
        //     go version:       go1.19.8
        //     platform:         linux/amd64
        let expected = [
            "probe_exporter, version 0.1.0 (branch: main, revision: 1088bdfb341a46a6c45f30a195888e671eb7a5e3)",
            "  build date:       20261201-21:26:25",
            "  rust version:     rustc 1.95.0 (59807616e 2026-04-14)",
            "  platform:         linux/x86_64",
        ];
        assert_eq!(SAMPLE.text(), expected.join("\n"));
    }

    #[test]
    fn one_line_forms_for_the_start_up_log() {
        assert_eq!(
            SAMPLE.info(),
            "(version=0.1.0, branch=main, revision=1088bdfb341a46a6c45f30a195888e671eb7a5e3)"
        );
        assert_eq!(
            SAMPLE.context(),
            "(rust=rustc 1.95.0 (59807616e 2026-04-14), platform=linux/x86_64, \
             date=20261201-21:26:25)"
        );
    }

    #[test]
    fn labels_name_the_facts_as_build_info_does() {
        assert_eq!(
            SAMPLE.labels(),
            [
                ("version", "0.1.0"),
                ("revision", "1088bdfb341a46a6c45f30a195888e671eb7a5e3"),
                ("branch", "main"),
                ("rustversion", "rustc 1.95.0 (59807616e 2026-04-14)"),
            ]
        );
    }

    #[test]
    fn the_current_build_holds_what_build_rs_found() {
        let current = Build::CURRENT;
        assert_eq!(current.version, env!("CARGO_PKG_VERSION"));
        let is_commit =
            current.revision.len() == 40 && current.revision.bytes().all(|b| b.is_ascii_hexdigit());
        assert!(is_commit || current.revision == "unknown", "{}", current.revision);
        assert!(!current.branch.is_empty());
        // YYYYMMDD-HH:MM:SS
        let date = current.build_date.as_bytes();
        let shape = date.len() == 17
            && date.iter().enumerate().all(|(i, b)| match i {
                8 => *b == b'-',
                11 | 14 => *b == b':',
                _ => b.is_ascii_digit(),
            });
        assert!(shape, "{}", current.build_date);
        let rust = current.rust_version;
        assert!(rust.starts_with("rustc 1.") || rust == "unknown", "{rust}");
        assert_eq!(current.platform(), format!("{OS}/{ARCH}"));
        assert_eq!(print_text(), current.text());
        assert_eq!(build_info_labels()[0], ("version", current.version));
    }
}
