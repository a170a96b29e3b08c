//! Figure 12: a 100-target scrape gzipped. Its size against zlib level 1's
//! on the same body (Python's `gzip.compress(body, 1)`), and the CPU of a
//! gzipped scrape against a plain one.
//!
//! Two exporters of the same 100 targets, one scraped plain and one with
//! `Accept-Encoding: gzip`, take turns of `CPU_ROUND` for `CPU_ROUNDS`
//! rounds, so that the machine's other work weighs on both alike; their
//! CPU per scrape is compared. The last gzipped answer is read back by the
//! system's `gzip -d`, and that body compressed again by Python's zlib at
//! level 1 in a gzip frame, the yardstick.

use std::io::Write;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use crate::figure::{say, Binary, Figure, Heading};
use crate::floor::{CPU_ROUND, CPU_ROUNDS, WARM_UP};
use crate::requests::count_successes;
use crate::support::http_client::Client;
use crate::support::Result;
use crate::table::Cell;
use crate::timing::{process_cpu, ratio, us};
use crate::Bench;

pub const FIGURE: Figure = Figure {
    title: "12. gzip of a 100-target scrape: size against zlib level 1, CPU against plain",
    rows: &[
        Heading { name: "12 gzip size / zlib -1, 100 targets", target: "≤1.15×" },
        Heading { name: "12 CPU gzipped / plain, 100 targets", target: "≤1.25×" },
    ],
    measure: figure_gzip,
};

const GZIP_TARGETS: usize = 100;
const GZIP_VS_ZLIB_1: f64 = 1.15;
const GZIP_CPU_VS_PLAIN: f64 = 1.25;
/// The two encodings asked for, one exporter each.
const ENCODINGS: [&str; 2] = ["identity", "gzip"];

fn figure_gzip(bench: &Bench, binary: &Binary) -> Result<Vec<Cell>> {
    let config = bench.config("gzip", &bench.fast_targets(GZIP_TARGETS), "")?;
    let exporters = [binary.exporter(&config).start()?, binary.exporter(&config).start()?];
    let mut clients = Vec::new();
    let mut last = Vec::new();
    for (exporter, encoding) in exporters.iter().zip(ENCODINGS) {
        let mut client = Client::connect(exporter.addr)?;
        for _ in 0..WARM_UP {
            last = scrape(&mut client, encoding)?.unwrap_or(last);
        }
        clients.push((client, process_cpu(exporter.pid)?, 0usize));
    }
    for _ in 0..CPU_ROUNDS {
        for ((client, _, count), encoding) in clients.iter_mut().zip(ENCODINGS) {
            let start = Instant::now();
            while start.elapsed() < CPU_ROUND {
                last = scrape(client, encoding)?.unwrap_or(last);
                *count += 1;
            }
        }
    }
    let mut per_scrape = Vec::new();
    for ((_, before, count), exporter) in clients.iter().zip(&exporters) {
        per_scrape
            .push(process_cpu(exporter.pid)?.saturating_sub(*before) / (*count).max(1) as u32);
    }
    let cpu_ratio = ratio(per_scrape[1], per_scrape[0]);

    let body = filter(Command::new("gzip").arg("-dc"), &last)?;
    if count_successes(&String::from_utf8_lossy(&body)) != GZIP_TARGETS {
        return Err("the gzipped scrape does not read back to 100 successful probes".into());
    }
    let zlib_size = zlib_level_1_size(&body)?;
    let size_ratio = last.len() as f64 / zlib_size as f64;
    println!(
        "{} {} B plain → {} B gzipped ({:.1}×); zlib level 1: {zlib_size} B; ours / zlib's = {size_ratio:.3}",
        say(binary),
        body.len(),
        last.len(),
        body.len() as f64 / last.len() as f64
    );
    println!(
        "{} CPU per scrape: {:.1} µs plain ({} scrapes), {:.1} µs gzipped ({} scrapes) = {cpu_ratio:.3}×",
        say(binary),
        us(per_scrape[0]),
        clients[0].2,
        us(per_scrape[1]),
        clients[1].2
    );
    Ok(vec![
        Cell::at_most(format!("{} B = {size_ratio:.2}×", last.len()), size_ratio, GZIP_VS_ZLIB_1),
        Cell::at_most(
            format!("{:.0} µs = {cpu_ratio:.2}×", us(per_scrape[1])),
            cpu_ratio,
            GZIP_CPU_VS_PLAIN,
        ),
    ])
}

/// `GET /metrics` with `Accept-Encoding: encoding` on a kept-alive
/// connection, which must come back in that encoding; the body's bytes if
/// they are gzipped.
fn scrape(client: &mut Client, encoding: &str) -> Result<Option<Vec<u8>>> {
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: {encoding}\r\n\r\n");
    let response = client.send(request.as_bytes())?;
    let gzipped = encoding == "gzip";
    if response.status != 200 || response.encoding.as_deref() != gzipped.then_some("gzip") {
        return Err(format!(
            "asked for {encoding}, got {} with Content-Encoding {:?}",
            response.status, response.encoding
        )
        .into());
    }
    Ok(gzipped.then_some(response.bytes))
}

/// The size of `body` compressed by Python's zlib at level 1, in a gzip
/// frame.
pub fn zlib_level_1_size(body: &[u8]) -> Result<usize> {
    let zlib = "import gzip, sys; sys.stdout.write(str(len(gzip.compress(sys.stdin.buffer.read(), 1, mtime=0))))";
    let output = filter(Command::new("python3").args(["-c", zlib]), body)?;
    Ok(String::from_utf8(output)?.trim().parse()?)
}

/// `input` through `command`'s standard input; its standard output.
pub fn filter(command: &mut Command, input: &[u8]) -> Result<Vec<u8>> {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = input.to_vec();
    let writer = thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer.join().map_err(|_| "writer panicked")??;
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status).into());
    }
    Ok(output.stdout)
}
