//! Scratch space under `<data dir>/tmp`: one folder per job attempt (`job-<id>-*`) and the
//! uploads being received (`upload-<id>.part`). Each holder keeps a file lock on its entry, so
//! leftovers of a crashed process are told apart from work in progress in another process
//! sharing the data dir: `serve` and `worker` remove unheld entries at start, and a job
//! removes its own earlier attempts' leftovers when it runs again.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A folder's lock file.
const LOCK: &str = ".lock";

/// An entry created this recently without its lock may be mid-creation: left alone.
const YOUNG: Duration = Duration::from_secs(60);

/// A job's scratch folder, removed on drop, locked while held.
pub struct Scratch {
    dir: tempfile::TempDir,
    _lock: File,
}

impl Scratch {
    /// Creates `base/job-<job_id>-*`, after removing unheld folders of earlier attempts.
    pub fn create(base: &Path, job_id: &str) -> io::Result<Scratch> {
        std::fs::create_dir_all(base)?;
        let prefix = format!("job-{job_id}-");
        let removed = clean(base, Some(&prefix))?;
        if removed > 0 {
            tracing::info!(removed, "removed an earlier attempt's scratch");
        }
        let dir = tempfile::Builder::new().prefix(&prefix).tempdir_in(base)?;
        let lock = File::create(dir.path().join(LOCK))?;
        lock.lock()?;
        Ok(Scratch { dir, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Takes the lock of a file if nobody holds it.
fn unheld(path: &Path) -> bool {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => false,
    }
}

fn young(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_none_or(|age| age < YOUNG)
}

/// Removes the entries of `base` nobody holds (those starting with `prefix`, when given);
/// returns how many.
pub fn clean(base: &Path, prefix: Option<&str>) -> io::Result<usize> {
    let entries = match std::fs::read_dir(base) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefix.is_some_and(|p| !name.starts_with(p)) {
            continue;
        }
        let path: PathBuf = entry.path();
        let kind = entry.file_type()?;
        let stale = if kind.is_dir() && name.starts_with("job-") {
            let lock = path.join(LOCK);
            if lock.exists() {
                unheld(&lock)
            } else {
                !young(&path)
            }
        } else if kind.is_file() && name.starts_with("upload-") && name.ends_with(".part") {
            unheld(&path)
        } else {
            false
        };
        if stale {
            let r = if kind.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match r {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_entries_stay_and_leftovers_go() {
        let base = tempfile::tempdir().unwrap();
        let held = Scratch::create(base.path(), "A").unwrap();
        // A crashed attempt: its folder and lock file, no holder.
        let dead = base.path().join("job-B-xyz");
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::write(dead.join(LOCK), b"").unwrap();
        let part = base.path().join("upload-C.part");
        std::fs::write(&part, b"half").unwrap();
        let live = base.path().join("upload-D.part");
        let f = File::create(&live).unwrap();
        f.lock().unwrap();
        assert_eq!(clean(base.path(), None).unwrap(), 2);
        assert!(held.path().is_dir() && live.is_file());
        assert!(!dead.exists() && !part.exists());
        // A re-run of E removes E's unheld leftovers only (A's folder is held).
        let old = base.path().join("job-E-old");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(LOCK), b"").unwrap();
        let again = Scratch::create(base.path(), "E").unwrap();
        assert!(!old.exists() && again.path().is_dir() && held.path().is_dir());
        drop(f);
    }
}
