//! Atomic file output: write to a hidden temporary name in the same folder, then rename.
//!
//! Readers never observe half-written files, and a crash leaves only hidden `.*.ppi-part*`
//! files behind, which [`clean_stale_parts`] removes on the next run. Hidden names are also
//! ignored by `datasets` and by the Hub publisher.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const PART_MARKER: &str = ".ppi-part";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path next to `target`, unique within this process and across processes.
pub fn part_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let part = format!(".{name}{PART_MARKER}-{}-{n}", std::process::id());
    match target.parent() {
        Some(dir) => dir.join(part),
        None => PathBuf::from(part),
    }
}

/// A file being written under a temporary name. Dropping it without [`PartFile::commit`]
/// removes the temporary file.
#[derive(Debug)]
pub struct PartFile {
    part: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl PartFile {
    /// Reserves a temporary name for `target` (nothing is created yet).
    pub fn new(target: impl Into<PathBuf>) -> Self {
        let target = target.into();
        PartFile {
            part: part_path(&target),
            target,
            committed: false,
        }
    }

    /// Where to write the content.
    pub fn path(&self) -> &Path {
        &self.part
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary file onto the target.
    pub fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.part, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.part);
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let part = PartFile::new(target);
    {
        let mut f = fs::File::create(part.path())?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    part.commit()
}

/// Writes `target` atomically through `fill`, which gets the temporary file.
pub fn write_with(target: &Path, fill: impl FnOnce(fs::File) -> io::Result<()>) -> io::Result<()> {
    let part = PartFile::new(target);
    fill(fs::File::create(part.path())?)?;
    fs::File::open(part.path())?.sync_data()?;
    part.commit()
}

/// Like [`write`], for secrets: the file is readable by its owner only from the moment it
/// exists (mode 0600 on Unix), and an existing target is kept (`AlreadyExists`), so two
/// processes creating the same secret at once agree on the first one.
pub fn write_private_new(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let part = PartFile::new(target);
    {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(part.path())?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    // A hard link, unlike a rename, refuses to replace the target; the part is removed on drop.
    fs::hard_link(part.path(), target)
}

/// Removes leftovers of interrupted writes (`.*.ppi-part-*`) directly inside `dir`.
pub fn clean_stale_parts(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(PART_MARKER) {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
