//! A directory of one run's files (configuration files, tools' output),
//! removed when dropped.

use std::fs;
use std::path::PathBuf;

use super::Result;

pub struct Scratch(PathBuf);

impl Scratch {
    /// `probe-exporter-NAME-PID` in the temporary directory.
    pub fn create(name: &str) -> Result<Scratch> {
        let dir =
            std::env::temp_dir().join(format!("probe-exporter-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    /// The path of file `name` in the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to file `name`; returns its path.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf> {
        let path = self.file(name);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
