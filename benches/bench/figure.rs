//! What a figure is: the rows it fills, its targets for each build, and
//! how it measures them.

use std::path::{Path, PathBuf};

use crate::support::process::ExporterCommand;
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

#[derive(Clone, Copy, PartialEq)]
pub enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }
}

/// A binary to measure.
pub struct Binary {
    pub libc: Libc,
    pub path: PathBuf,
}

impl Binary {
    /// This binary, to be started with configuration file `config`.
    pub fn exporter<'a>(&self, config: &Path) -> ExporterCommand<'a> {
        ExporterCommand::new(&self.path).arg("--config.file").arg(config)
    }
}

/// A figure: the rows it fills in the table, and how it measures them for
/// one build. `measure` returns one cell per row.
pub struct Figure {
    pub title: &'static str,
    pub rows: &'static [Heading],
    pub measure: fn(&Bench, &Binary) -> Result<Vec<Cell>>,
}

/// A row's name and target, as the table prints them.
pub struct Heading {
    pub name: &'static str,
    pub target: &'static str,
}

/// A target that differs between the two builds.
pub struct Limit {
    pub glibc: f64,
    pub musl: f64,
}

impl Limit {
    pub const fn both(value: f64) -> Limit {
        Limit { glibc: value, musl: value }
    }

    pub fn of(&self, libc: Libc) -> f64 {
        match libc {
            Libc::Glibc => self.glibc,
            Libc::Musl => self.musl,
        }
    }
}

/// The prefix of a figure's detail lines.
pub fn say(binary: &Binary) -> String {
    format!("  {:<5}", binary.libc.name())
}
