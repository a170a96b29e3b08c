//! A busy host, made on purpose: a promise about time is tested where it
//! breaks, also while other processes keep both cores busy.

use std::process::{Child, Command, Stdio};

/// Processes that each spin on a core (`sh -c 'while :; do :; done'`),
/// killed when dropped.
pub struct BusyCores(Vec<Child>);

impl BusyCores {
    /// Both cores of the machine the tests are written for.
    pub fn start() -> BusyCores {
        BusyCores::spinning(2)
    }

    /// `count` spinning processes.
    pub fn spinning(count: usize) -> BusyCores {
        let spin = || {
            Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .stdin(Stdio::null())
                .spawn()
                .expect("start a busy loop")
        };
        BusyCores((0..count).map(|_| spin()).collect())
    }
}

impl Drop for BusyCores {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
