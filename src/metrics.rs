//! What `/metrics` and `/probe` contain: every family the exporter writes,
//! declared once, in the order of the README's metrics table, and the two
//! functions that turn a scrape's plain data into those families.
//!
//! Nothing here probes, locks or reads a file. The caller gathers what a
//! scrape found (the reports, the histograms' readings, the counts, the
//! process's figures) into a [`ScrapeReading`], and [`write_scrape`] writes
//! it; [`write_probe`] does the same for one probe of `/probe`. Both write
//! through a [`Writer`], whichever of the three formats it encodes. Each
//! family borrows its names and labels from the schema and the targets,
//! so writing a scrape allocates one vector per family, not one string per
//! line.

use std::borrow::Cow;
use std::time::Duration;

use crate::exposition::{
    self, CounterValue, Family, HistogramValue, Labels, Samples, StateSetValue, Writer, NO_LABELS,
};
use crate::probe::{Finding, Outcome, Report};
use crate::process::ProcessStats;
use crate::target::{Kind, Target};
use crate::version;

/// What one family is, all but its samples: one row of the README's table.
#[derive(Debug)]
pub struct Metric {
    /// The family name; a counter's, without `_total`.
    pub name: &'static str,
    /// The metric type.
    pub kind: MetricType,
    /// The unit the name ends with, announced in OpenMetrics.
    pub unit: Option<&'static str>,
    /// The HELP text.
    pub help: &'static str,
    /// The labels of its series on `/metrics`; `/probe` writes none.
    pub labels: &'static [&'static str],
}

/// The four metric types the exporter writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    /// A value that goes up and down.
    Gauge,
    /// A total that only grows, with `_created`.
    Counter,
    /// Observations counted into buckets.
    Histogram,
    /// An enum: one of several states (a gauge per state in 0.0.4).
    StateSet,
}

/// Which target a series is about: the labels of every per-target family.
const TARGET: &[&str] = &["target", "kind"];

/// `probe_success`: whether the probe worked.
pub const PROBE_SUCCESS: Metric = Metric {
    name: "probe_success",
    kind: MetricType::Gauge,
    unit: None,
    help: "Whether the probe succeeded (1) or not (0).",
    labels: TARGET,
};
/// `probe_duration_seconds`: the last probe's latency, name lookup included.
pub const PROBE_DURATION: Metric = Metric {
    name: "probe_duration_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "How long the probe took, name lookup included: the synthetic query's latency.",
    labels: TARGET,
};
/// `probe_dns_lookup_time_seconds`: how long the name lookup took.
pub const PROBE_DNS_LOOKUP: Metric = Metric {
    name: "probe_dns_lookup_time_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "How long the name lookup took; 0 for an IP address (blackbox_exporter's name).",
    labels: TARGET,
};
/// `probe_ip_protocol`: the IP version of the address probed.
pub const PROBE_IP_PROTOCOL: Metric = Metric {
    name: "probe_ip_protocol",
    kind: MetricType::Gauge,
    unit: None,
    help: "The IP version of the address probed: 4 or 6, 0 before one was known.",
    labels: TARGET,
};
/// `probe_timeout_seconds`: the time the probe was allowed.
pub const PROBE_TIMEOUT: Metric = Metric {
    name: "probe_timeout_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "How long the probe was allowed to take.",
    labels: TARGET,
};
/// `probe_outcome`: how the probe ended, as one state of [`Outcome`].
pub const PROBE_OUTCOME: Metric = Metric {
    name: "probe_outcome",
    kind: MetricType::StateSet,
    unit: None,
    help: "The outcome of the probe; exactly one state is 1.",
    labels: TARGET,
};
/// `probe_daytime_clock_offset_seconds`: how far a daytime service's
/// clock is from ours; written only when its reply is a date.
pub const DAYTIME_CLOCK_OFFSET: Metric = Metric {
    name: "probe_daytime_clock_offset_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "The daytime service's clock minus the exporter's, at the midpoint of the exchange.",
    labels: TARGET,
};
/// The side-car counter: its name is the default of a counter target's
/// `metric`, which may rename it.
pub const SERVICE_REQUESTS: Metric = Metric {
    name: "service_requests",
    kind: MetricType::Counter,
    unit: None,
    help: "Requests the service has served, as it reports them; _created is its launch time.",
    labels: TARGET,
};
/// `probe_latency_seconds`: every probe's latency since the exporter
/// started, as a histogram.
pub const PROBE_LATENCY: Metric = Metric {
    name: "probe_latency_seconds",
    kind: MetricType::Histogram,
    unit: Some("seconds"),
    help: "Latency of every probe of the target since the exporter started.",
    labels: TARGET,
};
/// `probe_exporter_scrape_duration_seconds`: how long this scrape's
/// probing took.
pub const SCRAPE_DURATION: Metric = Metric {
    name: "probe_exporter_scrape_duration_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "How long the exporter took to probe every target for this scrape.",
    labels: &[],
};
/// `probe_exporter_config_last_reload_successful`: whether the last
/// load of the configuration worked.
pub const RELOAD_SUCCESSFUL: Metric = Metric {
    name: "probe_exporter_config_last_reload_successful",
    kind: MetricType::Gauge,
    unit: None,
    help: "Whether the last configuration reload succeeded (1) or not (0).",
    labels: &[],
};
/// `probe_exporter_config_last_reload_success_timestamp_seconds`: when
/// the configuration last loaded, in Unix seconds.
pub const RELOAD_SUCCESS_TIME: Metric = Metric {
    name: "probe_exporter_config_last_reload_success_timestamp_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "When the configuration was last loaded successfully, in Unix seconds.",
    labels: &[],
};
/// `probe_exporter_http_responses_total`: responses written, by status
/// code.
pub const HTTP_RESPONSES: Metric = Metric {
    name: "probe_exporter_http_responses",
    kind: MetricType::Counter,
    unit: None,
    help: "HTTP responses written, by status code.",
    labels: &["code"],
};
/// `probe_exporter_build_info`: always 1, labelled with what was built.
pub const BUILD_INFO: Metric = Metric {
    name: "probe_exporter_build_info",
    kind: MetricType::Gauge,
    unit: None,
    help: "A metric with a constant '1' value labeled by version, revision, branch, and rustversion from which probe_exporter was built.",
    labels: &["version", "revision", "branch", "rustversion"],
};
// The process metrics, with the names and help texts of the official
// client libraries.
/// `process_cpu_seconds_total`: CPU time used, user and system.
pub const PROCESS_CPU: Metric = Metric {
    name: "process_cpu_seconds",
    kind: MetricType::Counter,
    unit: Some("seconds"),
    help: "Total user and system CPU time spent in seconds.",
    labels: &[],
};
/// `process_open_fds`: file descriptors open now.
pub const PROCESS_OPEN_FDS: Metric = Metric {
    name: "process_open_fds",
    kind: MetricType::Gauge,
    unit: None,
    help: "Number of open file descriptors.",
    labels: &[],
};
/// `process_max_fds`: the soft limit on open file descriptors.
pub const PROCESS_MAX_FDS: Metric = Metric {
    name: "process_max_fds",
    kind: MetricType::Gauge,
    unit: None,
    help: "Maximum number of open file descriptors.",
    labels: &[],
};
/// `process_virtual_memory_bytes`: the size of the address space.
pub const PROCESS_VIRTUAL_MEMORY: Metric = Metric {
    name: "process_virtual_memory_bytes",
    kind: MetricType::Gauge,
    unit: Some("bytes"),
    help: "Virtual memory size in bytes.",
    labels: &[],
};
/// `process_resident_memory_bytes`: the memory in RAM.
pub const PROCESS_RESIDENT_MEMORY: Metric = Metric {
    name: "process_resident_memory_bytes",
    kind: MetricType::Gauge,
    unit: Some("bytes"),
    help: "Resident memory size in bytes.",
    labels: &[],
};
/// `process_start_time_seconds`: when the process started, in Unix
/// seconds.
pub const PROCESS_START_TIME: Metric = Metric {
    name: "process_start_time_seconds",
    kind: MetricType::Gauge,
    unit: Some("seconds"),
    help: "Start time of the process since unix epoch in seconds.",
    labels: &[],
};

/// Every family, in the order `/metrics` writes them.
pub const ALL: [&Metric; 20] = [
    &PROBE_SUCCESS,
    &PROBE_DURATION,
    &PROBE_DNS_LOOKUP,
    &PROBE_IP_PROTOCOL,
    &PROBE_TIMEOUT,
    &PROBE_OUTCOME,
    &DAYTIME_CLOCK_OFFSET,
    &SERVICE_REQUESTS,
    &PROBE_LATENCY,
    &SCRAPE_DURATION,
    &RELOAD_SUCCESSFUL,
    &RELOAD_SUCCESS_TIME,
    &HTTP_RESPONSES,
    &BUILD_INFO,
    &PROCESS_CPU,
    &PROCESS_OPEN_FDS,
    &PROCESS_MAX_FDS,
    &PROCESS_VIRTUAL_MEMORY,
    &PROCESS_RESIDENT_MEMORY,
    &PROCESS_START_TIME,
];

/// The states of `probe_outcome`, in the order they are written.
const OUTCOME_STATES: [&str; 8] = {
    let mut names = [""; 8];
    let mut idx = 0;
    while idx < names.len() {
        names[idx] = Outcome::ALL[idx].name();
        idx += 1;
    }
    names
};

impl Metric {
    /// This metric's family, named as declared.
    pub fn family<'a>(&'static self, samples: Samples<'a>) -> Family<'a> {
        self.family_named(self.name, samples)
    }

    /// This metric's family under another name: a counter target's `metric`.
    fn family_named<'a>(&'static self, name: &'a str, samples: Samples<'a>) -> Family<'a> {
        debug_assert_eq!(self.kind, type_of(&samples), "{}", self.name);
        Family { name, help: self.help, unit: self.unit, samples }
    }

    /// A gauge family of one series, borrowed from where the caller keeps
    /// it: no vector is made for one value.
    fn single<'a>(&'static self, series: &'a (Labels<'a>, f64)) -> Family<'a> {
        self.family(Samples::Gauge(Cow::Borrowed(std::slice::from_ref(series))))
    }
}

fn type_of(samples: &Samples) -> MetricType {
    match samples {
        Samples::Gauge(_) => MetricType::Gauge,
        Samples::Counter(_) => MetricType::Counter,
        Samples::Histogram(_) => MetricType::Histogram,
        Samples::StateSet(_) => MetricType::StateSet,
    }
}

/// The labels of a target's series on `/metrics`.
fn target_label_pairs(target: &Target) -> [(&str, &str); 2] {
    [("target", target.name.as_str()), ("kind", target.kind.name())]
}

/// Each target's labels as written between the braces, made once when
/// the targets are loaded: they are the same at every scrape.
pub fn spell_target_labels(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|target| exposition::spell_labels(&target_label_pairs(target))).collect()
}

/// Everything one `/metrics` scrape found, as plain data.
pub struct ScrapeReading<'a> {
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
    /// Whether the last configuration load worked, and when one last did.
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
pub fn write_scrape(mut writer: Writer, scrape: &ScrapeReading) {
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

fn responses_family<'a>(
    scrape: &ScrapeReading,
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
    use crate::exposition::Format;
    use crate::histogram::{Histogram, DEFAULT_BUCKETS};
    use crate::target::{Address, CounterSpec, DaytimeSpec};

    /// The name a family's `# TYPE` line carries in text format 0.0.4.
    fn written_name(metric: &Metric) -> String {
        match metric.kind {
            MetricType::Counter => format!("{}_total", metric.name),
            _ => metric.name.to_string(),
        }
    }

    /// The first column of the README's metrics table, one entry per name.
    fn readme_names() -> Vec<String> {
        let readme = include_str!("../README.md");
        let table = readme.split("\n## Metrics\n").nth(1).expect("a Metrics section");
        table
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2)
            .filter_map(|row| row.split('|').nth(1))
            .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_string))
            .collect()
    }

    #[test]
    fn the_schema_lists_the_readme_table_in_its_order() {
        let documented: Vec<String> = readme_names()
            .into_iter()
            // A counter's `_created` row belongs to its counter here.
            .filter(|name| !name.ends_with("_created"))
            .collect();
        let declared: Vec<String> = ALL.iter().map(|metric| written_name(metric)).collect();
        assert_eq!(declared, documented);
    }

    #[test]
    fn units_are_the_last_segment_of_their_names() {
        for metric in ALL {
            if let Some(unit) = metric.unit {
                assert!(metric.name.ends_with(&format!("_{unit}")), "{metric:?}");
            }
        }
    }

    fn listening(
        spawn: fn(TcpListener) -> std::io::Result<std::thread::JoinHandle<()>>,
    ) -> Address {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = Address::parse(&listener.local_addr().unwrap().to_string()).unwrap();
        spawn(listener).unwrap();
        address
    }

    /// A scrape of the two demo services, as plain data.
    fn demo_scrape(write: impl FnOnce(&ScrapeReading)) {
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
        let scrape = ScrapeReading {
            targets: &targets,
            spelled_labels: &spelled_labels,
            reports: &reports,
            latencies: &[Some(latency.reading()), None],
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
            write_scrape(Writer::new(&mut text, Format::Prometheus), scrape);
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
            write_scrape(Writer::new(&mut text, Format::OpenMetrics), scrape);
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
        write_probe(Writer::new(&mut text, Format::Prometheus), &target, &report);
        assert!(text.contains("\nprobe_success 1\n"), "{text}");
        assert!(text.contains("\nprobe_outcome{probe_outcome=\"success\"} 1\n"), "{text}");
        assert!(!text.contains("probe_exporter_"), "{text}");
    }

    #[test]
    fn process_metrics_use_the_client_library_names() {
        let stats = crate::process::read_self().expect("this test runs on Linux");
        let mut text = String::new();
        let mut writer = Writer::new(&mut text, Format::Prometheus);
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
