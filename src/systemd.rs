//! systemd: being written
