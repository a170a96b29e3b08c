//! The schema: every family the exporter writes, declared once as a
//! [`Metric`], in the order of the README's metrics table, which a test
//! holds this list to. A family's name, type, unit, help text and labels
//! are here and nowhere else; [`write`](super::write) fills in the samples.

use std::borrow::Cow;

use crate::exposition::{Family, Labels, Samples};
use crate::probe::Outcome;

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
pub(super) const OUTCOME_STATES: [&str; 8] = {
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
    pub(super) fn family_named<'a>(
        &'static self,
        name: &'a str,
        samples: Samples<'a>,
    ) -> Family<'a> {
        debug_assert_eq!(self.kind, type_of(&samples), "{}", self.name);
        Family { name, help: self.help, unit: self.unit, samples }
    }

    /// A gauge family of one series, borrowed from where the caller keeps
    /// it: no vector is made for one value.
    pub(super) fn single<'a>(&'static self, series: &'a (Labels<'a>, f64)) -> Family<'a> {
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

/// The name a family's `# TYPE` line carries in text format 0.0.4.
#[cfg(test)]
pub(super) fn written_name(metric: &Metric) -> String {
    match metric.kind {
        MetricType::Counter => format!("{}_total", metric.name),
        _ => metric.name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first column of the README's metrics table, one entry per name.
    fn readme_names() -> Vec<String> {
        let readme = include_str!("../../README.md");
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
}
