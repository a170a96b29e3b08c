//! Figure 5: user-space instructions per scrape and per added target,
//! under callgrind.

use std::fs;

use crate::figure::{say, Binary, Figure, Heading, Libc, Limit};
use crate::floor::Check;
use crate::support::http_client::Client;
use crate::support::process::{Wrapper, VALGRIND_TIMEOUT};
use crate::support::Result;
use crate::table::Cell;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "5. user-space instructions (valgrind --tool=callgrind, difference of two runs)",
    rows: &[
        Heading { name: "5 instructions per scrape, 2 targets", target: "≤120 k" },
        Heading { name: "5 instructions per added target", target: "≤25 k" },
    ],
    measure: figure_instructions,
};

/// Scrapes of the two callgrind runs, and the target counts compared.
const CALLGRIND_SCRAPES: [usize; 2] = [50, 250];
const CALLGRIND_TARGETS: [usize; 2] = [2, 12];
const INSTRUCTIONS_PER_SCRAPE: Limit = Limit::both(120_000.0);
const INSTRUCTIONS_PER_TARGET: Limit = Limit::both(25_000.0);

fn figure_instructions(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    match instructions(bench, binary) {
        Ok(cells) => Ok(cells),
        // valgrind on a static musl binary may not work; glibc is the figure.
        Err(err) if binary.libc == Libc::Musl => {
            println!("{} valgrind did not measure it: {err}", say(binary));
            Ok(vec![Cell::shown("n/a (valgrind)".to_string()); 2])
        }
        Err(err) => Err(err),
    }
}

fn instructions(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let [few_targets, more_targets] = CALLGRIND_TARGETS;
    let few = instructions_per_scrape(bench, binary, &Check::Metrics(few_targets))?;
    let more = instructions_per_scrape(bench, binary, &Check::Metrics(more_targets))?;
    let per_target = (more - few) / (more_targets - few_targets) as f64;
    for (targets, per_scrape) in [(few_targets, few), (more_targets, more)] {
        println!(
            "{} {targets:>2} targets: {:.1} k instructions per scrape",
            say(binary),
            per_scrape / 1e3
        );
    }
    println!("{} {:.1} k per added target", say(binary), per_target / 1e3);
    Ok(vec![
        Cell::at_most(format!("{:.1} k", few / 1e3), few, INSTRUCTIONS_PER_SCRAPE.of(binary.libc)),
        Cell::at_most(
            format!("{:.1} k", per_target / 1e3),
            per_target,
            INSTRUCTIONS_PER_TARGET.of(binary.libc),
        ),
    ])
}

/// Instructions per scrape (`check`, of its number of targets): the
/// difference of two callgrind runs over the difference of their scrapes.
pub fn instructions_per_scrape(bench: &Bench, binary: &Binary, check: &Check) -> Result<f64> {
    let targets = check.targets();
    let addresses = bench.fast_targets(targets);
    let config = bench.config(&format!("callgrind-{targets}"), &addresses, "")?;
    let [short, long] = CALLGRIND_SCRAPES;
    let mut totals = Vec::new();
    for scrapes in [short, long] {
        let name = format!("callgrind-{}-{}-{scrapes}.out", binary.libc.name(), check.tag());
        let out = bench.scratch.file(&name);
        let exporter = binary
            .exporter(&config)
            .under(Wrapper::Callgrind(&out))
            .patience(VALGRIND_TIMEOUT)
            .start()?;
        let mut client = Client::connect(exporter.addr)?;
        client.stream.set_read_timeout(Some(VALGRIND_TIMEOUT))?;
        for _ in 0..scrapes {
            client.check(check)?;
        }
        // One more in both runs, so it cancels out.
        client.check_in_full(check)?;
        drop(client);
        let status = exporter.stop()?;
        if !status.success() {
            return Err(format!("the exporter under valgrind exited with {status}").into());
        }
        totals.push(callgrind_total(&fs::read_to_string(&out)?)?);
    }
    Ok((totals[1] as f64 - totals[0] as f64) / (long - short) as f64)
}

/// The instruction count of a callgrind output file.
fn callgrind_total(out: &str) -> Result<u64> {
    out.lines()
        .find_map(|line| line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")))
        .and_then(|count| count.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no summary: line in the callgrind output".into())
}
