//! histogram: being written
