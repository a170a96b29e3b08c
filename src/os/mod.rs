//! The places where std has no safe way to do what a service must: take
//! over the sockets systemd passes in and talk to its notify socket
//! ([`systemd`]), receive signals ([`signals`]), raise the limit on open
//! files ([`file_limit`]), and wait for a client with no descriptor left
//! to accept it with ([`poll`]). They are the only modules with `unsafe`,
//! each block with a `SAFETY:` comment; the rest of the crate denies it.
//!
//! Beside them, in safe code, what running out of what the system lends
//! means ([`exhaustion`]): descriptors and threads, told apart from a
//! target's failures, logged once per interval, and the file limit shared
//! out before it runs out.

pub mod systemd;
pub mod signals;
pub mod file_limit;
pub mod poll;
pub mod exhaustion;
