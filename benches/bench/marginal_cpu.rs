//! Figure 3: the CPU of each added target, and whether it adds up on a line.

use std::time::Duration;

use crate::figure::{say, Binary, Figure, Heading, Limit};
use crate::floor::{read_daytime, thread_cpu_of, Check, CpuMeter, CPU_ROUND, CPU_ROUNDS};
use crate::support::Result;
use crate::table::Cell;
use crate::timing::us;
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "3. CPU per added target: /metrics with 1, 50 and 100 targets",
    rows: &[
        Heading { name: "3 CPU per added target", target: "≤15 / ≤20 µs" },
        Heading { name: "3 50 targets on the 1–100 line", target: "within 25%" },
    ],
    measure: figure_marginal_cpu,
};

/// Target counts of the marginal-CPU figure: the line, and its check.
const MARGINAL_TARGETS: [usize; 3] = [1, 50, 100];
/// Raw probes per round for the per-target floor of figure 3.
const FLOOR_PROBES_PER_ROUND: usize = 200;
const MARGINAL_CPU_MICROS: Limit = Limit { glibc: 15.0, musl: 20.0 };
/// How far the 50-target point's added cost may be from the line's.
const LINEARITY: f64 = 0.25;

/// Three exporters, with 1, 50 and 100 targets, scraped in turn for
/// `CPU_ROUNDS` rounds, so that the machine's other work falls on all
/// three alike.
fn figure_marginal_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let exporters = MARGINAL_TARGETS
        .iter()
        .map(|&count| {
            let config =
                bench.config(&format!("marginal-{count}"), &bench.fast_targets(count), "")?;
            binary.exporter(&config).start()
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meters = exporters
        .iter()
        .zip(MARGINAL_TARGETS)
        .map(|(exporter, count)| CpuMeter::start(exporter, Check::Metrics(count)))
        .collect::<Result<Vec<_>>>()?;
    // The floor of one more target, in the same rounds: a raw connect,
    // read and close to the same services.
    let floor_targets = bench.fast_targets(FLOOR_PROBES_PER_ROUND);
    let mut floor_cpu = Duration::ZERO;
    for _ in 0..CPU_ROUNDS {
        for meter in &mut meters {
            meter.run_for(CPU_ROUND)?;
        }
        let mut next = floor_targets.iter().cycle();
        floor_cpu += thread_cpu_of(FLOOR_PROBES_PER_ROUND, || {
            read_daytime(*next.next().expect("the bench starts fast services"))
        })?;
    }
    let floor_per_target = us(floor_cpu / (CPU_ROUNDS * FLOOR_PROBES_PER_ROUND) as u32);
    let mut cpu = Vec::new();
    for (meter, count) in meters.iter().zip(MARGINAL_TARGETS) {
        let (per_scrape, scrapes) = meter.per_request()?;
        println!(
            "{} {count:>3} targets: {:>7.1} µs per scrape ({scrapes} scrapes)",
            say(binary),
            us(per_scrape)
        );
        cpu.push(us(per_scrape));
    }
    let [first, middle, last] = MARGINAL_TARGETS.map(|count| count as f64);
    let per_target = (cpu[2] - cpu[0]) / (last - first);
    // The 49 targets added from 1 to 50 against what the line says they cost.
    let on_line = (cpu[1] - cpu[0]) / (per_target * (middle - first));
    let off_line = (on_line - 1.0).abs();
    println!(
        "{} {per_target:.2} µs per added target = {:.2}× a raw connect/read/close ({floor_per_target:.2} µs); 1→50 costs {on_line:.2}× the line's",
        say(binary),
        per_target / floor_per_target
    );
    Ok(vec![
        Cell::at_most(
            format!("{per_target:.2} µs"),
            per_target,
            MARGINAL_CPU_MICROS.of(binary.libc),
        ),
        Cell::at_most(format!("{on_line:.2}× the line"), off_line, LINEARITY),
    ])
}
