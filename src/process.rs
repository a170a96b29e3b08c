//! process: being written
