//! Saying a lasting condition once in a while, not once per occurrence.
//!
//! Running out of file descriptors or threads can last for minutes, and
//! happens at every connection or probe while it does. A log line for each
//! would flood the log when the operator most needs to read it, so such
//! conditions are logged once, then again only after an interval.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lets an event through at most once per interval.
pub struct Throttle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// A throttle that lets the first event through, then one per `interval`.
    pub const fn new(interval: Duration) -> Throttle {
        Throttle { interval, last: Mutex::new(None) }
    }

    /// Whether this event should be reported: the first one, or the first
    /// since the interval passed.
    pub fn ready(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.interval) {
            return false;
        }
        *last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_event_through_per_interval() {
        let throttle = Throttle::new(Duration::from_millis(50));
        assert!(throttle.ready(), "the first event");
        assert!(!throttle.ready(), "a second one at once");
        std::thread::sleep(Duration::from_millis(60));
        assert!(throttle.ready(), "the first after the interval");
    }
}
