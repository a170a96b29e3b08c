//! The data model every encoder writes from: a [`Family`] of series that
//! share a name, a help text and a type, and the value of one series of
//! each type — a gauge's number, a [`CounterValue`], a [`HistogramValue`],
//! a [`StateSetValue`]. Families borrow their names, help texts and labels
//! from whoever built them, so a scrape allocates per family, not per line.

use std::borrow::Cow;
use std::sync::Arc;

use super::{BucketBounds, Labels, NativeBuckets};

/// One metric family: the series that share a name, a help text and a type.
#[derive(Clone, Debug, PartialEq)]
pub struct Family<'a> {
    /// The family name. For a counter this is the base name without
    /// `_total`, which every format adds to the series name.
    pub name: &'a str,
    /// One line saying what the metric measures. An empty text writes no
    /// HELP line (or field), since every format makes it optional.
    pub help: &'a str,
    /// The unit the name ends with, such as `"seconds"`. Only OpenMetrics
    /// announces it (`# UNIT`); text format 0.0.4 has no place for it.
    pub unit: Option<&'a str>,
    /// The series of the family, all of one type.
    pub samples: Samples<'a>,
}

/// The series of one family, each with its labels and value: a vector
/// built for the scrape, or borrowed, as a family of one series can be
/// from the stack.
pub type Series<'a, V> = Cow<'a, [(Labels<'a>, V)]>;

/// The series of a family, by metric type.
#[derive(Clone, Debug, PartialEq)]
pub enum Samples<'a> {
    /// Values that can go up and down, such as the last probe's latency.
    Gauge(Series<'a, f64>),
    /// Totals that only grow, with the time they started counting from.
    Counter(Series<'a, CounterValue>),
    /// Observations counted into buckets, such as probe latencies.
    Histogram(Series<'a, HistogramValue>),
    /// Named states of which each series reports which are set: an enum
    /// when exactly one is.
    StateSet(Series<'a, StateSetValue<'a>>),
}

/// The value of one counter series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CounterValue {
    /// The count so far; never negative, never NaN.
    pub total: f64,
    /// When counting started, in Unix seconds, written as `<name>_created`.
    pub created: Option<f64>,
}

/// The value of one histogram series.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramValue {
    /// The finite bucket bounds; the `+Inf` bucket is not listed.
    pub bounds: Arc<BucketBounds>,
    /// For each bound, the observations less than or equal to it. The
    /// `+Inf` bucket's count is [`count`](Self::count).
    pub cumulative: Vec<u64>,
    /// The number of observations.
    pub count: u64,
    /// The sum of all observations.
    pub sum: f64,
    /// When observing started, in Unix seconds, written as `<name>_created`.
    pub created: Option<f64>,
    /// The native buckets, written only by the protobuf encoder.
    pub native: Option<NativeBuckets>,
}

impl HistogramValue {
    /// A histogram from (upper bound, cumulative count) pairs, as the
    /// specifications' examples list them.
    pub fn from_buckets(
        buckets: &[(f64, u64)],
        count: u64,
        sum: f64,
        created: Option<f64>,
    ) -> HistogramValue {
        let bounds = Arc::new(BucketBounds::new(buckets.iter().map(|&(bound, _)| bound).collect()));
        let cumulative = buckets.iter().map(|&(_, count)| count).collect();
        HistogramValue { bounds, cumulative, count, sum, created, native: None }
    }
}

/// The value of one state set series: its states, and which are set, one
/// bit each, so a state set has at most [`MAX_STATES`] states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateSetValue<'a> {
    /// The states in the order they are written.
    pub(super) states: &'a [&'a str],
    /// Bit `i` is set when `states[i]` is.
    set: u64,
}

/// The most states a state set can have: one bit of a `u64` each.
pub const MAX_STATES: usize = 64;

impl<'a> StateSetValue<'a> {
    /// All `states`, of which those whose bit is 1 in `set` are set.
    ///
    /// # Panics
    ///
    /// With more than [`MAX_STATES`] states, or a bit set past the last:
    /// a mistake in the caller's code, not in any input.
    pub fn new(states: &'a [&'a str], set: u64) -> StateSetValue<'a> {
        assert!(states.len() <= MAX_STATES, "{} states: at most {MAX_STATES}", states.len());
        assert!(states.len() == MAX_STATES || set >> states.len() == 0, "a bit past the states");
        StateSetValue { states, set }
    }

    /// An enum: all `states`, of which only the one at `current` is set.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new), and when `current` is not a state's index.
    pub fn one_of(states: &'a [&'a str], current: usize) -> StateSetValue<'a> {
        assert!(current < states.len(), "state {current} of {}", states.len());
        StateSetValue::new(states, 1 << current)
    }

    /// The states, in the order they are written.
    pub fn states(&self) -> &'a [&'a str] {
        self.states
    }

    /// Whether the state at `idx` is set.
    pub fn is_set(&self, idx: usize) -> bool {
        idx < MAX_STATES && self.set & (1 << idx) != 0
    }
}

impl<'a> Family<'a> {
    /// A gauge family.
    pub fn gauge(name: &'a str, help: &'a str, series: Vec<(Labels<'a>, f64)>) -> Family<'a> {
        Family::new(name, help, Samples::Gauge(series.into()))
    }

    /// A counter family; `name` is the base name, without `_total`.
    pub fn counter(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, CounterValue)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::Counter(series.into()))
    }

    /// A histogram family.
    pub fn histogram(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, HistogramValue)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::Histogram(series.into()))
    }

    /// A state set family.
    pub fn state_set(
        name: &'a str,
        help: &'a str,
        series: Vec<(Labels<'a>, StateSetValue<'a>)>,
    ) -> Family<'a> {
        Family::new(name, help, Samples::StateSet(series.into()))
    }

    /// Declares the unit the name ends with:
    /// `Family::gauge("probe_duration_seconds", ..).with_unit("seconds")`.
    pub fn with_unit(self, unit: &'a str) -> Family<'a> {
        Family { unit: Some(unit), ..self }
    }

    /// A family of `samples`, without a unit.
    pub fn new(name: &'a str, help: &'a str, samples: Samples<'a>) -> Family<'a> {
        Family { name, help, unit: None, samples }
    }
}

impl Samples<'_> {
    /// How many series there are, whatever the type.
    pub fn len(&self) -> usize {
        match self {
            Samples::Gauge(series) => series.len(),
            Samples::Counter(series) => series.len(),
            Samples::Histogram(series) => series.len(),
            Samples::StateSet(series) => series.len(),
        }
    }

    /// Whether there is no series at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels of the series at `idx`, whatever the type.
    pub(super) fn labels_at(&self, idx: usize) -> Labels<'_> {
        match self {
            Samples::Gauge(series) => series[idx].0,
            Samples::Counter(series) => series[idx].0,
            Samples::Histogram(series) => series[idx].0,
            Samples::StateSet(series) => series[idx].0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_set_one_of_sets_only_the_named_state() {
        let states = ["success", "timeout", "refused"];
        let state_set = StateSetValue::one_of(&states, 1);
        let set: Vec<bool> = (0..states.len()).map(|idx| state_set.is_set(idx)).collect();
        assert_eq!(set, [false, true, false]);
    }

    #[test]
    #[should_panic(expected = "at most 64")]
    fn a_state_set_holds_at_most_64_states() {
        let states = [""; MAX_STATES + 1];
        let _ = StateSetValue::new(&states, 1);
    }
}
