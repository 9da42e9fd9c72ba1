//! Unique, self-removing shared-memory region names for tests.

use std::sync::atomic::{AtomicU32, Ordering};

/// A region name unique to this process and call; the file is removed on drop, even when
/// the test panics.
pub struct TempRegion {
    pub name: String,
}

impl TempRegion {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "shmbmp-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let t = TempRegion { name };
        let _ = std::fs::remove_file(t.path());
        t
    }

    pub fn path(&self) -> std::path::PathBuf {
        std::path::Path::new("/dev/shm").join(&self.name)
    }
}

impl Drop for TempRegion {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.path());
    }
}

/// A child process killed on drop.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
