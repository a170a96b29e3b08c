//! The bounds of a histogram's classic buckets: the defaults for probe
//! latencies ([`DEFAULT_BUCKETS`]), a list read from the configuration file
//! ([`parse_buckets`]), and the checks every list passes, with the reason
//! one is rejected ([`BucketsError`]).

use std::fmt;

/// Bucket bounds for probe latencies in seconds: from 100 µs, a service on
/// the same host, to 10 s, longer than a probe should ever be allowed to
/// run, in steps of about ×3. Ten buckets (eleven with `+Inf`) keep a
/// target's series few; above 1 s a probe is failing anyway, so one bucket
/// covers 1 s to 10 s.
pub const DEFAULT_BUCKETS: [f64; 10] =
    [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 10.0];

/// Why a list of bucket bounds was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum BucketsError {
    /// No bounds at all; a histogram needs at least one besides `+Inf`.
    Empty,
    /// An entry of a comma-separated list is blank, as in `0.1,,1` or `0.1,`.
    BlankEntry,
    /// An entry is not a number, as in `0.1, fast`.
    NotANumber(String),
    /// A bound is NaN or infinite. The `+Inf` bucket is always there and is
    /// not listed.
    NotFinite(f64),
    /// A bound is not greater than the one before it.
    NotIncreasing {
        /// The earlier bound.
        previous: f64,
        /// The bound that should have been greater.
        next: f64,
    },
}

impl fmt::Display for BucketsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BucketsError::Empty => write!(f, "no bucket bounds given"),
            BucketsError::BlankEntry => write!(f, "blank entry in the list of bucket bounds"),
            BucketsError::NotANumber(text) => write!(f, "bucket bound `{text}` is not a number"),
            BucketsError::NotFinite(bound) => {
                write!(f, "bucket bound {bound} is not finite (the +Inf bucket is always there)")
            }
            BucketsError::NotIncreasing { previous, next } => {
                write!(f, "bucket bounds must increase, but {next} follows {previous}")
            }
        }
    }
}

impl std::error::Error for BucketsError {}

/// Parses bucket bounds in seconds from the configuration file, written as a
/// comma-separated list with optional spaces: `0.001, 0.01, 0.1, 1`.
///
/// # Errors
///
/// When an entry is blank or not a number, or the bounds are not valid for
/// [`Histogram::new`](super::Histogram::new).
pub fn parse_buckets(text: &str) -> Result<Vec<f64>, BucketsError> {
    if text.trim().is_empty() {
        return Err(BucketsError::Empty);
    }
    let bounds = text
        .split(',')
        .map(|entry| parse_bound(entry.trim()))
        .collect::<Result<Vec<f64>, BucketsError>>()?;
    check_bounds(&bounds)?;
    Ok(bounds)
}

fn parse_bound(entry: &str) -> Result<f64, BucketsError> {
    if entry.is_empty() {
        return Err(BucketsError::BlankEntry);
    }
    entry.parse().map_err(|_| BucketsError::NotANumber(entry.to_string()))
}

/// Checks that bounds are non-empty, finite and strictly increasing, so each
/// bucket covers a range of its own and `le` never repeats.
pub(super) fn check_bounds(bounds: &[f64]) -> Result<(), BucketsError> {
    if bounds.is_empty() {
        return Err(BucketsError::Empty);
    }
    if let Some(&bound) = bounds.iter().find(|bound| !bound.is_finite()) {
        return Err(BucketsError::NotFinite(bound));
    }
    for pair in bounds.windows(2) {
        let (previous, next) = (pair[0], pair[1]);
        if next <= previous {
            return Err(BucketsError::NotIncreasing { previous, next });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::Histogram;

    #[track_caller]
    fn check_parse(text: &str, expected: Result<Vec<f64>, BucketsError>) {
        assert_eq!(parse_buckets(text), expected, "parse_buckets({text:?})");
    }

    #[test]
    fn default_buckets_are_valid() {
        assert!(Histogram::new(DEFAULT_BUCKETS.to_vec(), 0.0).is_ok());
        assert_eq!(DEFAULT_BUCKETS.first(), Some(&0.0001));
        assert_eq!(DEFAULT_BUCKETS.last(), Some(&10.0));
    }

    #[test]
    fn bucket_lists_parse_to_increasing_finite_bounds() {
        check_parse("0.001, 0.01, 0.1, 1", Ok(vec![0.001, 0.01, 0.1, 1.0]));
        check_parse("0.5", Ok(vec![0.5]));
        check_parse(" 0.5 ,1,  2.5 ", Ok(vec![0.5, 1.0, 2.5]));
        check_parse("1e-3,1e-2", Ok(vec![0.001, 0.01]));
        check_parse("-1, 0, 1", Ok(vec![-1.0, 0.0, 1.0]));
        check_parse("", Err(BucketsError::Empty));
        check_parse("   ", Err(BucketsError::Empty));
        check_parse("0.1,,1", Err(BucketsError::BlankEntry));
        check_parse("0.1, 1,", Err(BucketsError::BlankEntry));
        check_parse("0.1, fast", Err(BucketsError::NotANumber("fast".to_string())));
        check_parse("0.1;1", Err(BucketsError::NotANumber("0.1;1".to_string())));
        check_parse("1 000", Err(BucketsError::NotANumber("1 000".to_string())));
        check_parse("1, 0.5", Err(BucketsError::NotIncreasing { previous: 1.0, next: 0.5 }));
        check_parse("0.1, +Inf", Err(BucketsError::NotFinite(f64::INFINITY)));
    }

    #[test]
    fn error_messages_name_the_offending_bounds() {
        assert_eq!(BucketsError::Empty.to_string(), "no bucket bounds given");
        assert_eq!(
            BucketsError::NotIncreasing { previous: 1.0, next: 0.5 }.to_string(),
            "bucket bounds must increase, but 0.5 follows 1"
        );
    }
}
