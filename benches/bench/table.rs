//! The table at the end: each figure beside its target, for both builds.

use crate::figure::{Heading, Libc};

/// One build's figure in a row.
#[derive(Clone)]
pub enum Cell {
    Measured {
        shown: String,
        /// The figure divided by its target: at most 1 is met.
        ratio: Option<f64>,
        /// Whether the target was met; `None` where it does not apply to
        /// this build (the figure is printed for comparison).
        met: Option<bool>,
    },
    Skipped(String),
    Failed(String),
}

impl Cell {
    /// A figure held to "at most `limit`".
    pub fn at_most(shown: String, value: f64, limit: f64) -> Cell {
        Cell::Measured { shown, ratio: Some(value / limit), met: Some(value <= limit) }
    }

    /// A figure shown beside a target that does not apply to this build.
    pub fn beside(shown: String, value: f64, limit: f64) -> Cell {
        Cell::Measured { shown, ratio: Some(value / limit), met: None }
    }

    /// A figure whose target is a yes or no.
    pub fn yes_no(shown: String, met: bool) -> Cell {
        Cell::Measured { shown, ratio: None, met: Some(met) }
    }

    pub fn shown(shown: String) -> Cell {
        Cell::Measured { shown, ratio: None, met: None }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Cell::Failed(_))
    }

    pub fn value(&self) -> String {
        match self {
            Cell::Measured { shown, .. } => shown.clone(),
            Cell::Skipped(_) => "skipped".to_string(),
            Cell::Failed(_) => "FAILED".to_string(),
        }
    }

    pub fn ratio(&self) -> String {
        match self {
            Cell::Measured { ratio: Some(ratio), .. } => format!("{ratio:.2}"),
            _ => "-".to_string(),
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self {
            Cell::Measured { met: Some(true), .. } => "ok",
            Cell::Measured { met: Some(false), .. } => "MISSED",
            Cell::Measured { met: None, .. } => "info",
            Cell::Skipped(_) => "-",
            Cell::Failed(_) => "FAILED",
        }
    }
}

pub struct Row {
    pub heading: &'static Heading,
    pub glibc: Cell,
    pub musl: Cell,
}

pub fn print_table(rows: &[Row]) {
    println!();
    println!("summary: ratio = figure ÷ target, ok when ≤ 1; targets are glibc / musl where two");
    println!(
        "{:<36} {:>24} {:>24}  {:<24} {:>11}  verdict g / m",
        "figure", "glibc", "musl", "target", "ratio g/m"
    );
    for Row { heading, glibc, musl } in rows {
        println!(
            "{:<36} {:>24} {:>24}  {:<24} {:>11}  {} / {}",
            heading.name,
            glibc.value(),
            musl.value(),
            heading.target,
            format!("{} / {}", glibc.ratio(), musl.ratio()),
            glibc.verdict(),
            musl.verdict()
        );
    }
    let missed = rows
        .iter()
        .flat_map(|row| [&row.glibc, &row.musl])
        .filter(|cell| cell.verdict() == "MISSED")
        .count();
    let met = rows.iter().flat_map(|row| [&row.glibc, &row.musl]).filter(|c| c.verdict() == "ok");
    println!("{} targets met, {missed} missed", met.count());
    for row in rows {
        for (libc, cell) in [(Libc::Glibc, &row.glibc), (Libc::Musl, &row.musl)] {
            match cell {
                Cell::Failed(why) => {
                    println!("  {} {}: FAILED: {why}", row.heading.name, libc.name())
                }
                Cell::Skipped(why) if libc == Libc::Glibc => {
                    println!("  {} {}: skipped: {why}", row.heading.name, libc.name())
                }
                _ => {}
            }
        }
    }
}
