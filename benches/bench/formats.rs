//! Figure 13: the three formats side by side, each beside text 0.0.4 or
//! the plain answer measured in the same run.
//!
//! - **Protobuf against text 0.0.4**, a 2-target `/metrics` scrape:
//!   user-space instructions (callgrind, the difference of two runs, as in
//!   figure 5) and process CPU (a text exporter, a protobuf exporter and
//!   the text scrape's floor taking turns, as in figure 1). The target is
//!   the text's own cost: protobuf writes more — a native histogram beside
//!   the classic buckets, a start timestamp on every counter — but writes
//!   each number as bytes (a double as its eight, a count as a varint)
//!   rather than as decimal digits, and escapes nothing, so Prometheus's
//!   first choice must not cost more than the format every client
//!   understands. Instructions, which count the format's own work
//!   exactly, are held to 1.0×. CPU is held to 1.1×: most of a 2-target
//!   scrape's CPU is the kernel's (two connects and an HTTP round trip,
//!   the floor, are half of it or more), the same in every format; on a
//!   busy machine it grows while the format's part does not, until the
//!   ratio sits within a few per cent of 1 and swings by ±7 % from run to
//!   run (0.82× on a quiet machine, 0.86× to 1.07× under the load of other
//!   builds); 1.1× still catches a format that costs a tenth more.
//! - **Bytes on the wire** of one scrape of 2 and of 100 targets in text
//!   0.0.4, OpenMetrics 1.0.0 and protobuf, plain and gzipped, each beside
//!   text's in the same coding. Information, no target: each format says
//!   what it must.
//! - **gzip of the other two formats** on a 100-target scrape (figure 12
//!   has text's): the size against zlib level 1's on the same body, and the
//!   CPU of a gzipped scrape against a plain one, four exporters taking
//!   turns. The targets are figure 12's, which hold for any scrape body.
//!
//! Each answer measured is only checked to come in the coding asked for,
//! alike for every format and coding, so that the client's work does not
//! differ between the exporters compared; one more from each exporter
//! (read back by the system's `gzip -d` where gzipped) must hold every
//! probe's success in the format asked for.

use std::time::Duration;

use crate::figure::{say, Binary, Figure, Heading, Libc};
use crate::floor::{Check, CpuMeter, FloorMeter, CPU_ROUND, CPU_ROUNDS};
use crate::gzip::zlib_level_1_size;
use crate::instructions::instructions_per_scrape;
use crate::requests::{gunzip, Ask, Wire};
use crate::support::http_client::Client;
use crate::support::Result;
use crate::table::Cell;
use crate::timing::{ratio, us};
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "13. the formats: protobuf against text 0.0.4, bytes on the wire, gzip of each",
    rows: &[
        Heading { name: "13 protobuf instructions, 2 targets", target: "≤1.0× text" },
        Heading { name: "13 protobuf CPU/scrape, 2 targets", target: "≤1.1× text" },
        Heading { name: "13 bytes text, 2 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes text gzip, 2 tg", target: GZIP_INFO },
        Heading { name: "13 bytes OpenMetrics, 2 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes OpenMetrics gzip, 2 tg", target: GZIP_INFO },
        Heading { name: "13 bytes protobuf, 2 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes protobuf gzip, 2 tg", target: GZIP_INFO },
        Heading { name: "13 bytes text, 100 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes text gzip, 100 tg", target: GZIP_INFO },
        Heading { name: "13 bytes OpenMetrics, 100 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes OpenMetrics gzip, 100 tg", target: GZIP_INFO },
        Heading { name: "13 bytes protobuf, 100 tg", target: PLAIN_INFO },
        Heading { name: "13 bytes protobuf gzip, 100 tg", target: GZIP_INFO },
        Heading { name: "13 gzip / zlib -1, OpenMetrics 100", target: "≤1.15×" },
        Heading { name: "13 gzip / zlib -1, protobuf 100", target: "≤1.15×" },
        Heading { name: "13 CPU gzip / plain, OpenMetrics 100", target: "≤1.25×" },
        Heading { name: "13 CPU gzip / plain, protobuf 100", target: "≤1.25×" },
    ],
    measure: figure_formats,
};

const PLAIN_INFO: &str = "info: ratio ÷ text";
const GZIP_INFO: &str = "info: ratio ÷ text gzip";

/// The scrapes compared: the few targets of figures 1 and 5, and the many
/// of figure 12.
const FEW: usize = 2;
const MANY: usize = 100;
const PROTOBUF_INSTRUCTIONS_VS_TEXT: f64 = 1.0;
const PROTOBUF_CPU_VS_TEXT: f64 = 1.1;
const GZIP_VS_ZLIB_1: f64 = 1.15;
const GZIP_CPU_VS_PLAIN: f64 = 1.25;
/// The formats whose gzip figure 12 does not measure.
const GZIPPED_HERE: [Wire; 2] = [Wire::OpenMetrics, Wire::Protobuf];

const TEXT: Ask = Ask { wire: Wire::Text, gzip: false };
const PROTOBUF: Ask = Ask { wire: Wire::Protobuf, gzip: false };

fn figure_formats(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let mut cells = vec![protobuf_instructions(bench, binary)?, protobuf_cpu(bench, binary)?];
    cells.extend(wire_bytes(bench, binary, FEW)?.cells);
    let many = wire_bytes(bench, binary, MANY)?;
    cells.extend(many.cells);
    for ((wire, body), &ours) in Wire::ALL.into_iter().zip(&many.inflated).zip(&many.gzipped) {
        if wire != Wire::Text {
            cells.push(against_zlib(binary, wire, body, ours)?);
        }
    }
    cells.extend(gzip_cpu(bench, binary)?);
    Ok(cells)
}

/// Instructions per protobuf scrape against per text scrape, both of
/// `FEW` targets.
fn protobuf_instructions(bench: &Bench, binary: &Binary) -> Result<Cell> {
    let per_scrape = |ask| instructions_per_scrape(bench, binary, &Check::Asked(ask, FEW));
    let both = || -> Result<(f64, f64)> { Ok((per_scrape(TEXT)?, per_scrape(PROTOBUF)?)) };
    let (text, protobuf) = match both() {
        Ok(both) => both,
        // valgrind on a static musl binary may not work; glibc is the figure.
        Err(err) if binary.libc == Libc::Musl => {
            println!("{} valgrind did not measure it: {err}", say(binary));
            return Ok(Cell::shown("n/a (valgrind)".to_string()));
        }
        Err(err) => return Err(err),
    };
    let vs_text = protobuf / text;
    println!(
        "{} instructions per scrape, {FEW} targets: text {:.1} k, protobuf {:.1} k = {vs_text:.2}× text",
        say(binary),
        text / 1e3,
        protobuf / 1e3
    );
    let shown = format!("{:.1} k = {vs_text:.2}× text", protobuf / 1e3);
    Ok(Cell::at_most(shown, vs_text, PROTOBUF_INSTRUCTIONS_VS_TEXT))
}

/// Process CPU per protobuf scrape against per text scrape, both of `FEW`
/// targets, two exporters and the text scrape's floor taking turns.
fn protobuf_cpu(bench: &Bench, binary: &Binary) -> Result<Cell> {
    let targets = bench.fast_targets(FEW);
    let config = bench.config("formats-few", &targets, "")?;
    let exporters = [binary.exporter(&config).start()?, binary.exporter(&config).start()?];
    let mut text = CpuMeter::start(&exporters[0], Check::Asked(TEXT, FEW))?;
    let mut protobuf = CpuMeter::start(&exporters[1], Check::Asked(PROTOBUF, FEW))?;
    let mut floor = FloorMeter::start(&targets, text.body_len, true)?;
    for _ in 0..CPU_ROUNDS {
        let answered = text.run_for(CPU_ROUND)?;
        protobuf.run_for(CPU_ROUND)?;
        floor.run(answered)?;
    }
    let ((text_cpu, text_scrapes), (protobuf_cpu, protobuf_scrapes)) =
        (text.per_request()?, protobuf.per_request()?);
    text.check_in_full()?;
    protobuf.check_in_full()?;
    let floor = floor.per_scrape()?.total();
    let vs_text = ratio(protobuf_cpu, text_cpu);
    for (name, cpu, scrapes) in
        [("text", text_cpu, text_scrapes), ("protobuf", protobuf_cpu, protobuf_scrapes)]
    {
        println!(
            "{} {name:<8} {scrapes} scrapes: {:.1} µs per scrape = {:.2}× the text scrape's floor",
            say(binary),
            us(cpu),
            ratio(cpu, floor)
        );
    }
    println!("{} protobuf / text = {vs_text:.3}×", say(binary));
    let shown = format!("{:.1} µs = {vs_text:.2}× text", us(protobuf_cpu));
    Ok(Cell::at_most(shown, vs_text, PROTOBUF_CPU_VS_TEXT))
}

/// One scrape of `targets` targets in each format, plain and gzipped: the
/// table's cells, and for each format of [`Wire::ALL`] the gzipped
/// body's size and the body as `gzip -d` reads it back.
struct WireBytes {
    cells: Vec<Cell>,
    gzipped: Vec<usize>,
    inflated: Vec<Vec<u8>>,
}

fn wire_bytes(bench: &Bench, binary: &Binary, targets: usize) -> Result<WireBytes> {
    let config = bench.config(&format!("formats-{targets}"), &bench.fast_targets(targets), "")?;
    let exporter = binary.exporter(&config).start()?;
    let mut client = Client::connect(exporter.addr)?;
    let mut sizes = Vec::new();
    let mut inflated = Vec::new();
    for wire in Wire::ALL {
        let plain = client.scrape_checked(Ask { wire, gzip: false }, targets)?;
        let gzipped = client.scrape_checked(Ask { wire, gzip: true }, targets)?;
        sizes.push((plain.len(), gzipped.len()));
        inflated.push(gunzip(&gzipped)?);
    }
    let (text_plain, text_gzipped) = sizes[0];
    let mut cells = Vec::new();
    for (wire, &(plain, gzipped)) in Wire::ALL.into_iter().zip(&sizes) {
        let smaller = plain as f64 / gzipped as f64;
        println!(
            "{} {targets:>3} targets, {:<11}: {plain:>6} B plain = {:.2}× text, {gzipped:>5} B gzipped = {:.2}× text's ({smaller:.1}× smaller)",
            say(binary),
            wire.name(),
            plain as f64 / text_plain as f64,
            gzipped as f64 / text_gzipped as f64,
        );
        cells.push(Cell::beside(format!("{plain} B"), plain as f64, text_plain as f64));
        let shown = format!("{gzipped} B = plain ÷ {smaller:.1}");
        cells.push(Cell::beside(shown, gzipped as f64, text_gzipped as f64));
    }
    let gzipped = sizes.iter().map(|&(_, gzipped)| gzipped).collect();
    Ok(WireBytes { cells, inflated, gzipped })
}

/// Our gzip of a `wire` body against zlib level 1's on the same body.
fn against_zlib(binary: &Binary, wire: Wire, body: &[u8], ours: usize) -> Result<Cell> {
    let zlib = zlib_level_1_size(body)?;
    let vs_zlib = ours as f64 / zlib as f64;
    println!(
        "{} {MANY} targets, {:<11}: {} B → {ours} B gzipped; zlib level 1: {zlib} B; ours / zlib's = {vs_zlib:.3}",
        say(binary),
        wire.name(),
        body.len()
    );
    Ok(Cell::at_most(format!("{ours} B = {vs_zlib:.2}×"), vs_zlib, GZIP_VS_ZLIB_1))
}

/// CPU per gzipped scrape against per plain scrape of `MANY` targets, in
/// each format of `GZIPPED_HERE`: an exporter per format and coding, all
/// four taking turns.
fn gzip_cpu(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let config = bench.config("formats-gzip", &bench.fast_targets(MANY), "")?;
    let asks: Vec<Ask> = GZIPPED_HERE
        .into_iter()
        .flat_map(|wire| [false, true].map(|gzip| Ask { wire, gzip }))
        .collect();
    let exporters =
        asks.iter().map(|_| binary.exporter(&config).start()).collect::<Result<Vec<_>>>()?;
    let mut meters = asks
        .iter()
        .zip(&exporters)
        .map(|(&ask, exporter)| CpuMeter::start(exporter, Check::Asked(ask, MANY)))
        .collect::<Result<Vec<_>>>()?;
    for _ in 0..CPU_ROUNDS {
        for meter in &mut meters {
            meter.run_for(CPU_ROUND)?;
        }
    }
    let mut per_scrape = Vec::new();
    for (ask, meter) in asks.iter().zip(&mut meters) {
        let (cpu, scrapes) = meter.per_request()?;
        meter.check_in_full()?;
        println!(
            "{} {:<16} {scrapes:>5} scrapes: {:.1} µs per scrape",
            say(binary),
            ask.name(),
            us(cpu)
        );
        per_scrape.push(cpu);
    }
    let pairs = per_scrape.chunks_exact(2).zip(GZIPPED_HERE);
    Ok(pairs.map(|(pair, wire)| gzip_over_plain(binary, wire, pair[0], pair[1])).collect())
}

fn gzip_over_plain(binary: &Binary, wire: Wire, plain: Duration, gzipped: Duration) -> Cell {
    let over_plain = ratio(gzipped, plain);
    println!("{} {:<11} gzipped / plain = {over_plain:.3}×", say(binary), wire.name());
    let shown = format!("{:.0} µs = {over_plain:.2}×", us(gzipped));
    Cell::at_most(shown, over_plain, GZIP_CPU_VS_PLAIN)
}
