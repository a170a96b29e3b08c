//! Figures 1 and 2: process CPU per `/metrics` scrape and per `/probe`,
//! against the floor.
//!
//! The exporter and the floor take turns, `CPU_ROUNDS` rounds of
//! `CPU_ROUND` each, so that whatever else the machine does falls on both
//! alike; the exporter is idle while the floor runs.

use crate::figure::{say, Binary, Figure, Heading, Limit};
use crate::floor::{Check, CpuMeter, FloorMeter, CPU_ROUND, CPU_ROUNDS};
use crate::support::Result;
use crate::table::Cell;
use crate::timing::{ratio, us};
use crate::Bench;

pub const METRICS: Figure = Figure {
    title: "1. process CPU per /metrics scrape, 2 daytime targets, one kept-alive connection",
    rows: &[Heading { name: "1 CPU per /metrics, 2 targets", target: "≤1.5× / ≤2.0× floor" }],
    measure: figure_metrics_cpu,
};

pub const PROBE: Figure = Figure {
    title: "2. process CPU per /probe of one daytime target",
    rows: &[Heading { name: "2 CPU per /probe", target: "≤1.3× / ≤1.6× floor" }],
    measure: figure_probe_cpu,
};

const METRICS_CPU_VS_FLOOR: Limit = Limit { glibc: 1.5, musl: 2.0 };
const PROBE_CPU_VS_FLOOR: Limit = Limit { glibc: 1.3, musl: 1.6 };

fn figure_metrics_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let targets = bench.fast_targets(2);
    let config = bench.config("metrics-2", &targets, "")?;
    let exporter = binary.exporter(&config).start()?;
    let mut meter = CpuMeter::start(&exporter, Check::Metrics(targets.len()))?;
    let mut floor = FloorMeter::start(&targets, meter.body_len, true)?;
    take_turns(&mut meter, &mut floor)?;
    let (cpu, scrapes) = meter.per_request()?;
    let floor = floor.per_scrape()?;
    let vs_floor = ratio(cpu, floor.total());
    println!(
        "{} {scrapes} scrapes: {:.1} µs per scrape = {vs_floor:.2}× floor",
        say(binary),
        us(cpu)
    );
    println!("{}   floor {}", say(binary), floor);
    let shown = format!("{:.1} µs = {vs_floor:.2}× fl", us(cpu));
    Ok(vec![Cell::at_most(shown, vs_floor, METRICS_CPU_VS_FLOOR.of(binary.libc))])
}

fn figure_probe_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let target = bench.fast[0];
    let config = bench.config("probe", &[], "[probe]\nallow = 127.0.0.1/32\n")?;
    let exporter = binary.exporter(&config).start()?;
    let path = format!("/probe?target={target}&module=daytime");
    let mut meter = CpuMeter::start(&exporter, Check::Probe(path))?;
    let mut floor = FloorMeter::start(&[target], meter.body_len, false)?;
    take_turns(&mut meter, &mut floor)?;
    let (cpu, probes) = meter.per_request()?;
    let floor = floor.per_scrape()?;
    let vs_floor = ratio(cpu, floor.total());
    println!("{} {probes} probes: {:.1} µs per probe = {vs_floor:.2}× floor", say(binary), us(cpu));
    println!("{}   floor {}", say(binary), floor);
    let shown = format!("{:.1} µs = {vs_floor:.2}× fl", us(cpu));
    Ok(vec![Cell::at_most(shown, vs_floor, PROBE_CPU_VS_FLOOR.of(binary.libc))])
}

/// `CPU_ROUNDS` rounds: the exporter for `CPU_ROUND`, then the floor as
/// many times as the exporter answered.
fn take_turns(meter: &mut CpuMeter, floor: &mut FloorMeter) -> Result<()> {
    for _ in 0..CPU_ROUNDS {
        let answered = meter.run_for(CPU_ROUND)?;
        floor.run(answered)?;
    }
    Ok(())
}
