//! What `make bench` and `make soak` share, one concept a file: the
//! exporter as a process of its own, run under a tool if asked
//! ([`process`]); an HTTP/1.1 client that keeps its connection
//! ([`http_client`]); a scratch directory removed at the end ([`scratch`]).
//!
//! Unlike the integration tests' harness (`tests/it/support/`), which
//! panics at the first surprise, these return errors: a figure that cannot
//! be measured is reported, and the others still run.

use std::error::Error;
use std::time::Duration;

pub mod http_client;
pub mod process;
pub mod scratch;

/// Every read, connect and wait for an exporter gives up after this long.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

pub type Result<T> = std::result::Result<T, Box<dyn Error>>;
