//! What every integration test needs, one concept a file: the real binary
//! started the way a test needs it ([`process`]), its log read line by line
//! ([`log`]), a small HTTP client over a real socket ([`http_client`]), a
//! temporary file removed when the test ends ([`temp_file`]), and the
//! targets the exporter probes ([`fixture`]), the process watched through
//! /proc ([`proc_files`]), both cores kept busy ([`busy_cores`]). The
//! property tests add a seeded generator ([`rng`]); the format tests read
//! what the exporter writes with readers written from the specifications:
//! the text formats ([`exposition_reader`]) and protobuf
//! ([`protobuf_reader`], from `metrics.proto`'s field numbers).
//!
//! Every port is chosen by the kernel (port 0) and read back; every read
//! gives up after [`IO_TIMEOUT`]; every process and file a test makes is
//! gone when its owner drops, so a failing test leaves nothing behind.

use std::time::Duration;

pub mod busy_cores;
pub mod exposition_reader;
pub mod fixture;
pub mod http_client;
pub mod log;
pub mod proc_files;
pub mod process;
pub mod protobuf_reader;
pub mod rng;
pub mod temp_file;

pub use busy_cores::BusyCores;
pub use fixture::{target_section, unresolvable_address, Fixture, DAYTIME_LINE};
pub use http_client::{
    assert_closed, connect, exchange, read_response, request, Request, Response,
};
pub use process::{ExporterCommand, ExporterProcess, RunningExporter};
pub use temp_file::TempFile;

/// Every read in the tests gives up after this long, so nothing hangs.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
