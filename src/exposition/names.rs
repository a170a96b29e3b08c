//! Metric and label names: the patterns of Prometheus's data model, which
//! configuration is checked against at start-up, and the check, in debug
//! builds, that every family the writer is given obeys them.

use super::{Family, Samples};

/// Whether `name` is a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. Colons are
/// reserved for recording rules, so exporters should not use them anyway.
pub fn is_valid_metric_name(name: &str) -> bool {
    let is_first = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
    let is_rest = |c: char| is_first(c) || c.is_ascii_digit();
    matches_name_pattern(name, is_first, is_rest)
}

/// Whether `name` is a label name an exporter may write:
/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, which Prometheus keeps
/// for its own labels such as `__name__`.
pub fn is_valid_label_name(name: &str) -> bool {
    let is_first = |c: char| c.is_ascii_alphabetic() || c == '_';
    let is_rest = |c: char| is_first(c) || c.is_ascii_digit();
    !name.starts_with("__") && matches_name_pattern(name, is_first, is_rest)
}

/// Whether `name` has a first character `is_first` accepts, followed by
/// characters `is_rest` accepts.
fn matches_name_pattern(
    name: &str,
    is_first: impl Fn(char) -> bool,
    is_rest: impl Fn(char) -> bool,
) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_first) && chars.all(is_rest)
}

/// Whether the family's names obey the data model: a valid metric name, a
/// unit that is the name's last `_` segment, and valid label names.
pub(super) fn is_well_formed(family: &Family) -> bool {
    let unit_fits = match family.unit {
        Some(unit) => family.name.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')),
        None => true,
    };
    let samples = &family.samples;
    let labels_valid = (0..samples.len())
        .flat_map(|idx| samples.labels_at(idx).pairs())
        .all(|(name, _)| is_valid_label_name(name));
    // A state set's states are labelled with the family's own name.
    let state_label_valid =
        !matches!(family.samples, Samples::StateSet(_)) || is_valid_label_name(family.name);
    is_valid_metric_name(family.name) && unit_fits && labels_valid && state_label_valid
}

/// Whether no label name of the family has an underscore.
pub(super) fn label_names_lack_underscores(family: &Family) -> bool {
    let samples = &family.samples;
    (0..samples.len())
        .flat_map(|idx| samples.labels_at(idx).pairs())
        .all(|(label, _)| !label.contains('_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_metric_name(name: &str, expected: bool) {
        assert_eq!(is_valid_metric_name(name), expected, "metric name {name:?}");
    }

    #[track_caller]
    fn check_label_name(name: &str, expected: bool) {
        assert_eq!(is_valid_label_name(name), expected, "label name {name:?}");
    }

    #[test]
    fn metric_names_match_the_data_model_pattern() {
        check_metric_name("probe_success", true);
        check_metric_name("_hidden", true);
        check_metric_name(":recorded:rule", true);
        check_metric_name("http2_requests", true);
        check_metric_name("ProbeSuccess", true);
        check_metric_name("", false);
        check_metric_name("2xx_responses", false);
        check_metric_name("probe-success", false);
        check_metric_name("probe.success", false);
        check_metric_name("probe success", false);
        check_metric_name("latenz_µs", false);
    }

    #[test]
    fn label_names_match_the_pattern_and_avoid_reserved_ones() {
        check_label_name("target", true);
        check_label_name("_private", true);
        check_label_name("code2", true);
        check_label_name("", false);
        check_label_name("__name__", false);
        check_label_name("__meta", false);
        check_label_name("2xx", false);
        check_label_name("a:b", false);
        check_label_name("a-b", false);
    }
}
