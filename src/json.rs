//! json: being written
