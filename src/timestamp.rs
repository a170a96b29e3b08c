//! timestamp: being written
