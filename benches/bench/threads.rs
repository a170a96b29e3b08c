//! Figure 8: threads after a scrape of 1,000 targets, against the bound
//! docs/limits.md states, and none started per scrape.

use std::fs;
use std::path::Path;

use crate::figure::{say, Binary, Figure, Heading};
use crate::requests::count_successes;
use crate::support::http_client::Client;
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "8. threads: a scrape of 1,000 targets, then 20 more",
    rows: &[
        Heading { name: "8 threads after 1,000 targets", target: "≤docs/limits.md bound" },
        Heading { name: "8 threads started per scrape", target: "none" },
    ],
    measure: figure_threads,
};

const THREAD_TARGETS: usize = 1000;
const STEADY_SCRAPES: usize = 20;
/// Used when the sentence of docs/limits.md cannot be read.
const DEFAULT_THREAD_BOUND: usize = 453;

fn figure_threads(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let bound = thread_bound();
    let targets = bench.fast_targets(THREAD_TARGETS);
    let config = bench.config("threads", &targets, "")?;
    let exporter = binary.exporter(&config).start()?;
    let mut client = Client::connect(exporter.addr)?;
    let mut counts = Vec::new();
    let mut succeeded = 0;
    // The first scrape, one to warm up, then the steady ones.
    for _ in 0..2 + STEADY_SCRAPES {
        let body = client.get_ok("/metrics")?;
        succeeded = count_successes(&body);
        counts.push(thread_count(exporter.pid)?);
    }
    let first = counts[0];
    let most = counts.iter().copied().max().unwrap_or(0);
    let (warm, last) = (counts[1], counts[counts.len() - 1]);
    let steady = counts[1..].iter().all(|&count| count == warm);
    println!(
        "{} after the first scrape {first} threads, most {most} (bound {bound}); \
         over {STEADY_SCRAPES} more scrapes {warm} → {last}; last scrape {succeeded}/{THREAD_TARGETS} probes succeeded",
        say(binary)
    );
    Ok(vec![
        Cell::at_most(format!("{most} (bound {bound})"), most as f64, bound as f64),
        Cell::yes_no(format!("{warm} → {last}"), steady),
    ])
}

/// The thread bound of docs/limits.md's sentence "With one listener and
/// every default: 5 + 256 + 128 + 64 = 453 threads at most".
fn thread_bound() -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/limits.md");
    let text = fs::read_to_string(path).unwrap_or_default();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = text.split("With one listener and every default:").nth(1).unwrap_or("");
    sentence
        .split(" threads")
        .next()
        .and_then(|sum| sum.rsplit("= ").next())
        .and_then(|total| total.trim().parse().ok())
        .unwrap_or(DEFAULT_THREAD_BOUND)
}

fn thread_count(pid: u32) -> Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/task"))?.count())
}
