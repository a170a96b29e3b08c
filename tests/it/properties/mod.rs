//! Properties over generated input, checked with a small seeded generator.
//!
//! Examples show that a parser handles the cases someone thought of. Here
//! thousands of random and mutated inputs go into every parser, which must
//! answer `Ok` or `Err` and never panic; and what the exposition writer
//! writes, a reader built in this file from the specification must read
//! back to the same names, labels and values. The seed is fixed, so a run
//! repeats exactly; a failure prints the seed, and `PROPERTIES_SEED=N`
//! runs from another one.

// Request heads: any bytes, and heads cut anywhere.
mod http_heads;
// JSON: any bytes, and generated values read back equal.
mod json;
// ISO 8601 date-times against the civil calendar.
mod date_times;
// The configuration file: any text, and generated files.
mod config_file;
// The Accept header and its quality values.
mod accept;
// The exposition writer, read back by the reference reader.
mod exposition;
