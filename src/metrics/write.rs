//! The writing of a scrape: the functions that turn a scrape's plain data
//! into the families of the [schema](super::schema).
//!
//! Nothing here probes, locks or reads a file. The caller gathers what a
//! scrape found (the reports, the histograms' snapshots, the counts, the
//! process's figures) into a [`ScrapeData`], and [`write_scrape`] writes
//! it; [`write_probe`] does the same for one probe of `/probe`. Both write
//! through a [`Writer`], whichever of the three formats it encodes. Each
//! family borrows its names and labels from the schema and the targets,
//! so writing a scrape allocates one vector per family, not one string per
//! line.

use std::borrow::Cow;
use std::time::Duration;

use super::schema::*;
use crate::exposition::{
    self, CounterValue, Family, HistogramValue, Labels, Samples, StateSetValue, Writer, NO_LABELS,
};
use crate::probe::{Finding, Outcome, Report};
use crate::process::ProcessStats;
use crate::target::{Kind, Target};
use crate::version;

/// The labels of a target's series on `/metrics`.
fn target_label_pairs(target: &Target) -> [(&str, &str); 2] {
    [("target", target.name.as_str()), ("kind", target.kind.name())]
}

/// Each target's labels as written between the braces, made once for each
/// generation of the configuration: they are the same at every scrape.
pub fn spell_target_labels(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|target| exposition::spell_labels(&target_label_pairs(target))).collect()
}

/// Everything one `/metrics` scrape found, as plain data.
pub struct ScrapeData<'a> {
    /// The targets probed, in the configuration's order.
    pub targets: &'a [Target],
    /// The targets' labels, as [`spell_target_labels`] made them.
    pub spelled_labels: &'a [String],
    /// One report for each of `targets`, in the same order.
    pub reports: &'a [Report],
    /// Each target's latency histogram after this scrape, or `None` for a
    /// target with `buckets = none`; one for each of `targets`.
    pub latencies: &'a [Option<HistogramValue>],
    /// How long the probing took.
    pub scrape_duration: Duration,
    /// Whether the last configuration load worked.
    pub reload_successful: bool,
    /// Unix seconds of the last successful load.
    pub reload_success_at: f64,
    /// Responses written so far, by status code, in increasing order.
    pub responses: &'a [(u16, u64)],
    /// Unix seconds at start-up, the `_created` of the response counter.
    pub counting_since: f64,
    /// The process's own figures, where `/proc/self` could be read.
    pub process: Option<ProcessStats>,
}

/// Writes a whole `/metrics` answer with `writer`, and finishes it: the
/// probes' families, the latency histograms, then the exporter's own.
///
/// # Panics
///
/// When `spelled_labels`, `reports` and `latencies` do not each have one
/// entry per target: a mistake of the caller, which would otherwise drop
/// targets from the answer unseen.
pub fn write_scrape(mut writer: Writer, scrape: &ScrapeData) {
    let targets = scrape.targets.len();
    assert_eq!(scrape.spelled_labels.len(), targets, "spelled labels per target");
    assert_eq!(scrape.reports.len(), targets, "reports per target");
    assert_eq!(scrape.latencies.len(), targets, "histograms per target");
    let pairs: Vec<[(&str, &str); 2]> = scrape.targets.iter().map(target_label_pairs).collect();
    let target_labels: Vec<Labels> = pairs
        .iter()
        .zip(scrape.spelled_labels)
        .map(|(pairs, spelled)| Labels::spelled(pairs, spelled))
        .collect();
    write_probe_families(&mut writer, scrape.targets, scrape.reports, &target_labels);
    writer.family(&latency_family(&target_labels, scrape.latencies));
    // The exporter's own gauges have one series each, kept here.
    let build = version::build_info_labels();
    let [duration, reload_successful, reload_success_at, build_info] = [
        (NO_LABELS, scrape.scrape_duration.as_secs_f64()),
        (NO_LABELS, flag(scrape.reload_successful)),
        (NO_LABELS, scrape.reload_success_at),
        (Labels::new(&build), 1.0),
    ];
    writer.family(&SCRAPE_DURATION.single(&duration));
    writer.family(&RELOAD_SUCCESSFUL.single(&reload_successful));
    writer.family(&RELOAD_SUCCESS_TIME.single(&reload_success_at));

    let codes: Vec<[u8; 3]> = scrape.responses.iter().map(|&(code, _)| digits_of(code)).collect();
    let code_pairs: Vec<[(&str, &str); 1]> = codes
        .iter()
        .map(|digits| [("code", std::str::from_utf8(digits).unwrap_or("???"))])
        .collect();
    writer.family(&responses_family(scrape, &code_pairs));
    writer.family(&BUILD_INFO.single(&build_info));
    if let Some(stats) = &scrape.process {
        ProcessSeries::of(stats).write_families(&mut writer);
    }
    writer.finish();
}

/// Writes the answer of `/probe` with `writer`, and finishes it: one
/// target's families, without labels, since Prometheus adds `instance`
/// itself.
pub fn write_probe(mut writer: Writer, target: &Target, report: &Report) {
    let (targets, reports) = (std::slice::from_ref(target), std::slice::from_ref(report));
    write_probe_families(&mut writer, targets, reports, &[NO_LABELS]);
    writer.finish();
}

/// Writes the per-probe families, in the schema's order: one series per
/// target in each, labelled with `labels`, one for each target.
fn write_probe_families<'a>(
    writer: &mut Writer,
    targets: &'a [Target],
    reports: &'a [Report],
    labels: &[Labels<'a>],
) {
    let per_target = |value: fn(&Report) -> f64| -> Samples<'a> {
        Samples::Gauge(
            labels.iter().zip(reports).map(|(&labels, report)| (labels, value(report))).collect(),
        )
    };
    let outcomes = labels
        .iter()
        .zip(reports)
        .map(|(&labels, report)| {
            (labels, StateSetValue::one_of(&OUTCOME_STATES, outcome_index(report)))
        })
        .collect();
    let clock_offsets = labels
        .iter()
        .zip(reports)
        .filter_map(|(&labels, report)| Some((labels, report.clock_offset_seconds()?)))
        .collect();
    writer.family(&PROBE_SUCCESS.family(per_target(|report| flag(report.result.is_ok()))));
    writer.family(&PROBE_DURATION.family(per_target(|report| report.duration.as_secs_f64())));
    writer.family(&PROBE_DNS_LOOKUP.family(per_target(Report::dns_lookup_seconds)));
    writer.family(&PROBE_IP_PROTOCOL.family(per_target(|report| f64::from(report.ip_protocol()))));
    writer.family(&PROBE_TIMEOUT.family(per_target(|report| report.timeout.as_secs_f64())));
    writer.family(&PROBE_OUTCOME.family(Samples::StateSet(outcomes)));
    writer.family(&DAYTIME_CLOCK_OFFSET.family(Samples::Gauge(clock_offsets)));
    for family in counter_families(targets, reports, labels) {
        writer.family(&family);
    }
}

/// Where the report's outcome is among [`OUTCOME_STATES`].
fn outcome_index(report: &Report) -> usize {
    let outcome = Outcome::of(&report.result);
    Outcome::ALL.iter().position(|&state| state == outcome).unwrap_or_default()
}

/// One counter family for each metric name the counter targets use, in
/// the order of first use. A failed probe exports no sample at all: an
/// old value would look current.
fn counter_families<'a>(
    targets: &'a [Target],
    reports: &[Report],
    labels: &[Labels<'a>],
) -> Vec<Family<'a>> {
    let mut by_metric: Vec<(&str, Vec<(Labels, CounterValue)>)> = Vec::new();
    for ((target, report), &labels) in targets.iter().zip(reports).zip(labels) {
        let Kind::Counter(spec) = &target.kind else { continue };
        let idx = match by_metric.iter().position(|(metric, _)| *metric == spec.metric) {
            Some(idx) => idx,
            None => {
                by_metric.push((&spec.metric, Vec::new()));
                by_metric.len() - 1
            }
        };
        if let Ok(Finding::Counter { requests, launched }) = &report.result {
            let counter = CounterValue { total: *requests as f64, created: *launched };
            by_metric[idx].1.push((labels, counter));
        }
    }
    by_metric
        .into_iter()
        .map(|(metric, series)| {
            SERVICE_REQUESTS.family_named(metric, Samples::Counter(series.into()))
        })
        .collect()
}

/// The latency histogram of every target that keeps one.
fn latency_family<'a>(labels: &[Labels<'a>], latencies: &[Option<HistogramValue>]) -> Family<'a> {
    let series = labels
        .iter()
        .zip(latencies)
        .filter_map(|(&labels, latency)| Some((labels, latency.clone()?)))
        .collect();
    PROBE_LATENCY.family(Samples::Histogram(series))
}

/// The responses written, one counter series per status code, labelled
/// with the code's pair in `code_labels`; created at start-up.
fn responses_family<'a>(
    scrape: &ScrapeData,
    code_labels: &'a [[(&'a str, &'a str); 1]],
) -> Family<'a> {
    let series = code_labels
        .iter()
        .zip(scrape.responses)
        .map(|(pairs, &(_, count))| {
            let counter =
                CounterValue { total: count as f64, created: Some(scrape.counting_since) };
            (Labels::new(pairs), counter)
        })
        .collect();
    HTTP_RESPONSES.family(Samples::Counter(series))
}

/// The process's figures, one series each, for its families to borrow.
struct ProcessSeries {
    cpu: [(Labels<'static>, CounterValue); 1],
    open_fds: (Labels<'static>, f64),
    max_fds: Option<(Labels<'static>, f64)>,
    virtual_memory: (Labels<'static>, f64),
    resident_memory: (Labels<'static>, f64),
    start_time: (Labels<'static>, f64),
}

impl ProcessSeries {
    fn of(stats: &ProcessStats) -> ProcessSeries {
        let cpu = CounterValue { total: stats.cpu_seconds, created: None };
        ProcessSeries {
            cpu: [(NO_LABELS, cpu)],
            open_fds: (NO_LABELS, stats.open_fds as f64),
            max_fds: stats.max_fds.map(|max_fds| (NO_LABELS, max_fds as f64)),
            virtual_memory: (NO_LABELS, stats.virtual_memory_bytes as f64),
            resident_memory: (NO_LABELS, stats.resident_memory_bytes as f64),
            start_time: (NO_LABELS, stats.start_time_seconds),
        }
    }

    /// Writes the process families, in the schema's order;
    /// `process_max_fds` only where the kernel states a limit.
    fn write_families(&self, writer: &mut Writer) {
        writer.family(&PROCESS_CPU.family(Samples::Counter(Cow::Borrowed(&self.cpu))));
        writer.family(&PROCESS_OPEN_FDS.single(&self.open_fds));
        if let Some(max_fds) = &self.max_fds {
            writer.family(&PROCESS_MAX_FDS.single(max_fds));
        }
        writer.family(&PROCESS_VIRTUAL_MEMORY.single(&self.virtual_memory));
        writer.family(&PROCESS_RESIDENT_MEMORY.single(&self.resident_memory));
        writer.family(&PROCESS_START_TIME.single(&self.start_time));
    }
}

/// The three digits of an HTTP status code (RFC 9110 section 15: every
/// code has three), without a `String` for each.
fn digits_of(code: u16) -> [u8; 3] {
    let code = code.min(999);
    [(code / 100) as u8, (code / 10 % 10) as u8, (code % 10) as u8].map(|digit| b'0' + digit)
}

/// 1 for true, 0 for false: how a gauge says yes or no.
fn flag(yes: bool) -> f64 {
    if yes {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::exposition::TextFormat;
    use crate::histogram::{Histogram, DEFAULT_BUCKETS};
    use crate::metrics::schema::written_name;
    use crate::target::{Address, CounterSpec, DaytimeSpec};

    fn listening(
        spawn: fn(TcpListener) -> std::io::Result<std::thread::JoinHandle<()>>,
    ) -> Address {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = Address::parse(&listener.local_addr().unwrap().to_string()).unwrap();
        spawn(listener).unwrap();
        address
    }

    /// A scrape of the two demo services, as plain data.
    fn demo_scrape(write: impl FnOnce(&ScrapeData)) {
        let targets = [
            Target::new(
                "clock",
                Kind::Daytime(DaytimeSpec::default()),
                listening(crate::app::demo::spawn_daytime),
            ),
            Target::new(
                "app",
                Kind::Counter(CounterSpec::default()),
                listening(crate::app::demo::spawn_counter),
            ),
        ];
        let reports: Vec<Report> =
            targets.iter().map(|target| crate::probe::run(target, target.timeout)).collect();
        let mut latency = Histogram::new(DEFAULT_BUCKETS.to_vec(), 1.7e9).unwrap();
        latency.observe(reports[0].duration.as_secs_f64());
        let spelled_labels = spell_target_labels(&targets);
        let scrape = ScrapeData {
            targets: &targets,
            spelled_labels: &spelled_labels,
            reports: &reports,
            latencies: &[Some(latency.snapshot()), None],
            scrape_duration: Duration::from_millis(3),
            reload_successful: true,
            reload_success_at: 1.7e9,
            responses: &[(200, 5), (404, 1)],
            counting_since: 1.7e9,
            process: crate::process::read_self(),
        };
        write(&scrape);
    }

    #[test]
    fn a_scrape_writes_every_family_of_the_schema_in_its_order() {
        demo_scrape(|scrape| {
            let mut text = String::new();
            write_scrape(Writer::new(&mut text, TextFormat::Prometheus), scrape);
            let types: Vec<&str> = text
                .lines()
                .filter_map(|line| line.strip_prefix("# TYPE ")?.split(' ').next())
                .filter(|name| !name.ends_with("_created"))
                .collect();
            let declared: Vec<String> = ALL.iter().map(|metric| written_name(metric)).collect();
            assert_eq!(types, declared, "{text}");
        });
    }

    #[test]
    fn families_carry_the_declared_labels_and_values() {
        demo_scrape(|scrape| {
            let mut text = String::new();
            write_scrape(Writer::new(&mut text, TextFormat::OpenMetrics), scrape);
            for line in [
                "probe_success{target=\"clock\",kind=\"daytime\"} 1",
                "probe_success{target=\"app\",kind=\"counter\"} 1",
                "probe_outcome{target=\"app\",kind=\"counter\",probe_outcome=\"success\"} 1",
                "probe_outcome{target=\"app\",kind=\"counter\",probe_outcome=\"timeout\"} 0",
                "probe_ip_protocol{target=\"clock\",kind=\"daytime\"} 4",
                "probe_latency_seconds_count{target=\"clock\",kind=\"daytime\"} 1",
                "probe_exporter_scrape_duration_seconds 0.003",
                "probe_exporter_config_last_reload_successful 1",
                "probe_exporter_http_responses_total{code=\"404\"} 1",
                "probe_exporter_http_responses_created{code=\"404\"} 1.7e+09",
                "# UNIT probe_latency_seconds seconds",
                "# UNIT process_resident_memory_bytes bytes",
            ] {
                assert!(text.contains(&format!("\n{line}\n")), "no `{line}` in\n{text}");
            }
            // `service_requests_total` comes from the service's own count.
            assert!(text.contains("\nservice_requests_total{target=\"app\",kind=\"counter\"} "));
            assert!(!text.contains("probe_latency_seconds_count{target=\"app\""), "{text}");
        });
    }

    #[test]
    fn a_probe_writes_its_families_without_labels() {
        let target = Target::new(
            "x",
            Kind::Daytime(DaytimeSpec::default()),
            listening(crate::app::demo::spawn_daytime),
        );
        let report = crate::probe::run(&target, target.timeout);
        let mut text = String::new();
        write_probe(Writer::new(&mut text, TextFormat::Prometheus), &target, &report);
        assert!(text.contains("\nprobe_success 1\n"), "{text}");
        assert!(text.contains("\nprobe_outcome{probe_outcome=\"success\"} 1\n"), "{text}");
        assert!(!text.contains("probe_exporter_"), "{text}");
    }

    #[test]
    fn process_metrics_use_the_client_library_names() {
        let stats = crate::process::read_self().expect("this test runs on Linux");
        let mut text = String::new();
        let mut writer = Writer::new(&mut text, TextFormat::Prometheus);
        ProcessSeries::of(&stats).write_families(&mut writer);
        writer.finish();
        for name in [
            "process_cpu_seconds_total ",
            "process_open_fds ",
            "process_max_fds ",
            "process_virtual_memory_bytes ",
            "process_resident_memory_bytes ",
            "process_start_time_seconds ",
        ] {
            assert!(text.contains(&format!("\n{name}")), "{name} missing from\n{text}");
        }
    }
}
