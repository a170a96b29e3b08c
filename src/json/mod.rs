//! A small JSON reader (RFC 8259) for the replies of the counter service.
//!
//! It turns bytes into a [`Value`] tree, and tells a reader when the bytes
//! it has hold a whole value ([`ValueEnd`]); no writer, no streaming parse,
//! because the exporter only ever reads one small reply.
//!
//! It accepts exactly RFC 8259, and refuses the rest rather than guess:
//! - Numbers keep the exact text they were written as ([`Number`]), so a
//!   counter is read as an integer without a detour through `f64`; RFC 8259
//!   sets no range, so the caller picks the reading it needs.
//! - An object that names the same key twice is an error: an exporter must
//!   not guess which of two `requests` counts is the true one.
//! - Nesting is capped at [`MAX_DEPTH`], so hostile input ends in an error,
//!   never in a stack overflow.
//! - No comments, trailing commas, single quotes, `NaN`, or byte order mark:
//!   none is JSON, and a service that sends them is broken in a way its
//!   operator should hear about.
//!
//! One concept a file: [`value`] (the tree), [`number`] (a number and its
//! exact reading as a `u64`), [`parse`](mod@parse) (the grammar, rule by
//! rule, with the rules inside a string in a file of their own), [`error`]
//! (why a text is not JSON) and [`value_end`] (where a value ends in a
//! stream of reads).

pub mod value;
pub mod number;
pub mod parse;
pub mod error;
pub mod value_end;

pub use error::{Error, ErrorKind};
pub use number::{IntegerError, Number};
pub use parse::{parse, MAX_DEPTH};
pub use value::Value;
pub use value_end::ValueEnd;
