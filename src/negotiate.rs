//! negotiate: being written
