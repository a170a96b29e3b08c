//! Figure 7: many slow targets cost about as much time as one.

use std::time::Duration;

use crate::figure::{say, Binary, Figure, Heading, Limit};
use crate::support::http_client::Client;
use crate::support::Result;
use crate::table::Cell;
use crate::timing::{ms, p50, ratio, time};
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "7. 100 targets that each answer after 50 ms, against one such target",
    rows: &[Heading { name: "7 100 slow targets vs 1", target: "≤1.2×" }],
    measure: figure_slow_targets,
};

const SLOW_TARGETS: usize = 100;
const SLOW_SCRAPES: usize = 5;
const SLOW_VS_ONE: Limit = Limit::both(1.2);

fn figure_slow_targets(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let one = median_slow_scrape(bench, binary, 1)?;
    let many = median_slow_scrape(bench, binary, SLOW_TARGETS)?;
    let vs_one = ratio(many, one);
    println!(
        "{} median of {SLOW_SCRAPES}: 1 target {:.1} ms, {SLOW_TARGETS} targets {:.1} ms",
        say(binary),
        ms(one),
        ms(many)
    );
    let shown = format!("{:.1} / {:.1} ms", ms(many), ms(one));
    Ok(vec![Cell::at_most(shown, vs_one, SLOW_VS_ONE.of(binary.libc))])
}

fn median_slow_scrape(bench: &Bench, binary: &Binary, count: usize) -> Result<Duration> {
    let targets = vec![bench.slow; count];
    let config = bench.config(&format!("slow-{count}"), &targets, "")?;
    let exporter = binary.exporter(&config).start()?;
    let mut client = Client::connect(exporter.addr)?;
    client.scrape("/metrics", count)?; // Warms up the threads.
    let samples = (0..SLOW_SCRAPES)
        .map(|_| time(|| client.scrape("/metrics", count).map(drop)))
        .collect::<Result<Vec<_>>>()?;
    Ok(p50(samples))
}
