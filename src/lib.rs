//! placeholder, being written
pub mod exposition;
pub mod histogram;
pub mod negotiate;
pub mod json;
pub mod timestamp;
pub mod process;
pub mod systemd;
