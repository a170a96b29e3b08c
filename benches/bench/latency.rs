//! Figure 6: the wall-clock p50 latency of a scrape, against its floor.

use crate::figure::{say, Binary, Figure, Heading, Limit};
use crate::floor::{read_daytime, MinimalHttpServer, RawProber, WARM_UP};
use crate::support::http_client::Client;
use crate::support::Result;
use crate::table::Cell;
use crate::timing::{p50, ratio, time, us};
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "6. wall-clock p50 of /metrics, 2 targets, against raw HTTP + slower raw probe",
    rows: &[Heading { name: "6 p50 latency of /metrics", target: "≤1.3× floor" }],
    measure: figure_latency,
};

const LATENCY_SAMPLES: usize = 2000;
const LATENCY_VS_FLOOR: Limit = Limit::both(1.3);

fn figure_latency(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let targets = bench.fast_targets(2);
    let config = bench.config("latency", &targets, "")?;
    let exporter = binary.exporter(&config).start()?;
    let mut client = Client::connect(exporter.addr)?;
    let body_len = client.scrape("/metrics", targets.len())?.len();
    let server = MinimalHttpServer::start(body_len)?;
    let mut raw = Client::connect(server.addr)?;
    for _ in 0..WARM_UP {
        client.scrape("/metrics", targets.len())?;
        raw.get_ok("/metrics")?;
    }
    let beside = RawProber::start()?;
    // Interleaved, so that the machine's other work falls on all alike.
    let mut samples = [(); 5].map(|_| Vec::with_capacity(LATENCY_SAMPLES));
    for _ in 0..LATENCY_SAMPLES {
        samples[0].push(time(|| client.scrape("/metrics", targets.len()).map(drop))?);
        samples[1].push(time(|| Ok(raw.get_ok("/metrics").map(drop)?))?);
        samples[2].push(time(|| read_daytime(targets[0]))?);
        samples[3].push(time(|| read_daytime(targets[1]))?);
        samples[4].push(time(|| beside.read_both(targets[0], targets[1]))?);
    }
    drop(raw);
    server.cpu_per_request()?;
    let [scrape, http, first, second, both] = samples.map(p50);
    let floor = http + first.max(second);
    let vs_floor = ratio(scrape, floor);
    println!(
        "{} p50 /metrics {:.0} µs; floor {:.0} µs = HTTP round trip {:.0} + raw probe max({:.0}, {:.0})",
        say(binary),
        us(scrape),
        us(floor),
        us(http),
        us(first),
        us(second)
    );
    // What the target's floor leaves out: the two probes at once, one on
    // a thread that waits for it, as a scrape runs them. On a machine of
    // few cores the targets' servers compete with both for the CPU.
    println!(
        "{}   the two raw probes at once, one on a waiting thread: {:.0} µs; /metrics = {:.2}× HTTP + that",
        say(binary),
        us(both),
        ratio(scrape, http + both)
    );
    let shown = format!("{:.0} µs = {vs_floor:.2}× fl", us(scrape));
    Ok(vec![Cell::at_most(shown, vs_floor, LATENCY_VS_FLOOR.of(binary.libc))])
}
