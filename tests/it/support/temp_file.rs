//! A file in the temporary directory that lives as long as its owner: a
//! configuration file, a log, a socket's path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A path in the temporary directory, unique to this test process, whose
/// file is removed when dropped.
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// A new file holding `text`.
    pub fn new(text: &str) -> TempFile {
        let file = TempFile::unwritten();
        file.rewrite(text);
        file
    }

    /// A path where nothing is yet, for a program that makes the file
    /// itself (a Unix socket, a log).
    pub fn unwritten() -> TempFile {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let name = format!("probe_exporter-it-{}-{id}.tmp", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_file(&path);
        TempFile { path }
    }

    pub fn path(&self) -> &str {
        self.path.to_str().expect("the temporary directory has a UTF-8 path")
    }

    /// Replaces the file's text, as an operator editing it would.
    pub fn rewrite(&self, text: &str) {
        std::fs::write(&self.path, text).expect("write the temporary file");
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
