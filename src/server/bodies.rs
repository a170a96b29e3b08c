//! The bodies of sent responses, kept to be written into again.
//!
//! A scrape's body is tens of kilobytes, written anew at every scrape;
//! allocating it afresh each time would grow it step by step, copying as
//! it goes. So once the server has sent a response, it gives the body
//! back here, emptied, and the next handler that writes a body takes it.
//! Only a few are kept, and none very large or very small, so that a
//! burst of large scrapes leaves nothing of its peak behind.

use std::sync::{Mutex, MutexGuard};

/// How many sent bodies are kept for reuse: about the scrapes that run at
/// once in a steady state (each Prometheus server scrapes one at a time).
pub const MAX_SPARE_BODIES: usize = 8;

/// The largest body kept for reuse, and the most room a buffer is made
/// for: past this, a body grows as it is written, as any `String` does,
/// and is freed once sent.
pub const MAX_KEPT_BODY: usize = 1 << 20;

/// The smallest body kept for reuse: about a scrape of one target.
pub const MIN_KEPT_BODY: usize = 4 << 10;

/// Bodies of sent responses, emptied, waiting to be written into again.
#[derive(Default)]
pub struct SpareBodies {
    spare: Mutex<Vec<Vec<u8>>>,
}

impl SpareBodies {
    /// None kept yet.
    pub fn new() -> SpareBodies {
        SpareBodies::default()
    }

    /// An empty buffer for a response body of about `expected` bytes: one
    /// a sent response gave back, or a new one, made room for `expected`
    /// bytes (up to [`MAX_KEPT_BODY`]) so that the body is not grown and
    /// copied step by step.
    pub fn take(&self, expected: usize) -> String {
        let spare = self.lock().pop();
        // A recycled body is empty, so it is valid UTF-8.
        let mut body = spare.and_then(|body| String::from_utf8(body).ok()).unwrap_or_default();
        body.reserve(expected.min(MAX_KEPT_BODY));
        body
    }

    /// Takes back the body of a response that has been sent, to be
    /// [`take`](Self::take)n again. At most [`MAX_SPARE_BODIES`] are kept,
    /// none larger than [`MAX_KEPT_BODY`] and none smaller than
    /// [`MIN_KEPT_BODY`] (the few bytes of a health check would only have
    /// to grow again).
    pub fn give_back(&self, mut body: Vec<u8>) {
        if !(MIN_KEPT_BODY..=MAX_KEPT_BODY).contains(&body.capacity()) {
            return;
        }
        body.clear();
        let mut spare = self.lock();
        if spare.len() < MAX_SPARE_BODIES {
            spare.push(body);
        }
    }

    /// Held only to push or pop a buffer; nothing can panic then, so a
    /// poisoned lock is still sound.
    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        self.spare.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_bodies_are_reused_but_no_large_one_nor_too_many() {
        let bodies = SpareBodies::new();
        let mut body = bodies.take(MIN_KEPT_BODY).into_bytes();
        body.extend_from_slice(b"# EOF\n");
        let capacity = body.capacity();
        bodies.give_back(body);
        let reused = bodies.take(0);
        assert!(reused.is_empty() && reused.capacity() == capacity, "{}", reused.capacity());

        bodies.give_back(Vec::with_capacity(MAX_KEPT_BODY + 1));
        bodies.give_back(b"Healthy\n".to_vec());
        assert_eq!(bodies.lock().len(), 0, "a large or a tiny body is freed");
        for _ in 0..MAX_SPARE_BODIES + 3 {
            bodies.give_back(Vec::with_capacity(MIN_KEPT_BODY));
        }
        assert_eq!(bodies.lock().len(), MAX_SPARE_BODIES);
        // A spare is made room for what the caller expects.
        assert!(bodies.take(100_000).capacity() >= 100_000);
    }
}
