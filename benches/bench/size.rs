//! Figure 10: the binary's size.

use std::fs;

use crate::figure::{say, Binary, Figure, Heading, Libc};
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "10. binary size",
    rows: &[Heading { name: "10 binary size", target: "≤737,576 B (musl)" }],
    measure: figure_size,
};

const MAX_MUSL_BYTES: u64 = 737_576;

fn figure_size(_bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let bytes = fs::metadata(&binary.path)?.len();
    println!("{} {bytes} bytes", say(binary));
    let shown = format!("{bytes} B");
    Ok(vec![match binary.libc {
        Libc::Musl => Cell::at_most(shown, bytes as f64, MAX_MUSL_BYTES as f64),
        Libc::Glibc => Cell::shown(shown),
    }])
}
