//! Figure 11: the cost a byte of finding the end of a counter reply that
//! arrives a byte a read, as from a service that writes a byte at a time:
//! at 64 KiB, the cap, against at 4 KiB. Work linear in the reply keeps
//! them alike; parsing the bytes so far after each read would make the
//! larger reply cost 16 times as much a byte. It is the library's code,
//! not the binary's, so it is measured once.

use std::hint::black_box;
use std::time::{Duration, Instant};

use probe_exporter::json::{self, ValueEnd};

use crate::figure::{Binary, Figure, Heading, Libc};
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "11. the end of a counter reply a byte a read (json::ValueEnd): 64 KiB vs 4 KiB",
    rows: &[Heading { name: "11 reply end, per byte, 64 vs 4 KiB", target: "≤1.5×" }],
    measure: figure_reply_end,
};

/// Runs of each measurement; the fastest counts, as the least disturbed.
const REPLY_END_RUNS: usize = 200;
const LARGE_VS_SMALL_PER_BYTE: f64 = 1.5;

fn figure_reply_end(_bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    if binary.libc == Libc::Musl {
        return Ok(vec![Cell::Skipped("the library's code, measured once".to_string())]);
    }
    let small = counter_reply_of(4 * 1024);
    let large = counter_reply_of(64 * 1024);
    let [small_per_byte, large_per_byte] = [&small, &large].map(|reply| {
        let fastest = fastest_of(REPLY_END_RUNS, || {
            let mut end = ValueEnd::new();
            black_box(reply).chunks(1).any(|byte| end.found_in(byte))
        });
        fastest.as_secs_f64() * 1e9 / reply.len() as f64
    });
    let whole = fastest_of(REPLY_END_RUNS, || ValueEnd::new().found_in(black_box(&large)));
    let parse = fastest_of(REPLY_END_RUNS, || json::parse(black_box(&large)).is_ok());
    println!(
        "  a byte a read: {small_per_byte:.1} ns a byte at 4 KiB, {large_per_byte:.1} at 64 KiB; \
         64 KiB in one read {whole:?}, one json::parse of it {parse:?} (after each of \
         65,536 reads: ≈ {:?})",
        parse * 32_768,
    );
    let ratio = large_per_byte / small_per_byte;
    Ok(vec![Cell::at_most(format!("{ratio:.2}×"), ratio, LARGE_VS_SMALL_PER_BYTE)])
}

/// The talk's counter reply, `len` bytes long: a long string before the count.
fn counter_reply_of(len: usize) -> Vec<u8> {
    let head = br#"{"launched": "2020-11-04T17:57:42.448578", "note": ""#;
    let tail = br#"", "requests": 2}"#;
    let mut reply = head.to_vec();
    reply.resize(len - tail.len(), b'x');
    reply.extend_from_slice(tail);
    reply
}

/// The fastest of `runs` runs of `find`, which must find the end: the
/// least disturbed by the machine's other work.
fn fastest_of(runs: usize, find: impl Fn() -> bool) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            assert!(black_box(find()), "the value's end was not found");
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}
