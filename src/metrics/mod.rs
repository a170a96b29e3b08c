//! What `/metrics` and `/probe` contain: every family the exporter writes,
//! declared once, in the order of the README's metrics table ([`schema`]),
//! and the two functions that turn a scrape's plain data into those
//! families ([`write`](mod@write)).

pub mod schema;
pub mod write;

pub use schema::*;
pub use write::{spell_target_labels, write_probe, write_scrape, ScrapeData};
