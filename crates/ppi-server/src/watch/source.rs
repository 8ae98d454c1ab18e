//! Where lessons come from: a local or mounted folder, or an S3 prefix. A source lists its
//! files cheaply (names, sizes, times, ETags; no content read) and hands out a local copy of
//! the ones a lesson needs.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::WatchError;
use ppi_store::storage::s3_listing::S3Bucket;
use ppi_store::storage::settings::StorageSettings;

/// A file as listed. Keys are `/`-separated and relative to the source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub key: String,
    pub size: u64,
    pub mtime_ms: i64,
    /// S3's ETag, opaque; `None` for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A place to watch.
pub trait Source: Send {
    /// How it was named on the command line or in the settings (`/mnt/lessons`, `s3://b/p`).
    fn name(&self) -> &str;
    /// Every file, by key.
    fn scan(&mut self) -> Result<BTreeMap<String, Entry>, WatchError>;
    /// A local path holding `entry`'s content (the file itself, or a copy in `cache`).
    fn local(&mut self, entry: &Entry, cache: &Path) -> Result<PathBuf, WatchError>;
    /// The folder to watch for events, when there is one.
    fn folder(&self) -> Option<&Path>;
}

/// Names that are never part of a lesson: hidden files and the partial files that copy tools,
/// browsers and PPI write before renaming.
pub fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('~')
        || name.ends_with('~')
        || [".part", ".tmp", ".crdownload", ".partial", ".download"]
            .iter()
            .any(|s| name.to_ascii_lowercase().ends_with(s))
}

/// Parses `s3://bucket/prefix` or a folder path.
pub fn open(spec: &str, storage: &StorageSettings) -> Result<Box<dyn Source>, WatchError> {
    if let Some(rest) = spec.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(WatchError::Source {
                source_name: spec.to_owned(),
                detail: "no bucket in the S3 address (s3://BUCKET/PREFIX)".into(),
            });
        }
        let bucket_client = S3Bucket::open(storage, bucket).map_err(|e| WatchError::Source {
            source_name: spec.to_owned(),
            detail: e.to_string(),
        })?;
        let prefix = match prefix {
            "" => String::new(),
            p if p.ends_with('/') => p.to_owned(),
            p => format!("{p}/"),
        };
        return Ok(Box::new(S3Source {
            name: spec.to_owned(),
            bucket: bucket_client,
            bucket_name: bucket.to_owned(),
            prefix,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| WatchError::Io {
                    path: PathBuf::from(spec),
                    detail: e.to_string(),
                })?,
        }));
    }
    let root = PathBuf::from(spec);
    if !root.is_dir() {
        return Err(WatchError::Source {
            source_name: spec.to_owned(),
            detail: "not a folder".into(),
        });
    }
    Ok(Box::new(LocalSource {
        name: spec.to_owned(),
        root,
    }))
}

/// A folder, walked recursively; symbolic links are not followed.
pub struct LocalSource {
    name: String,
    root: PathBuf,
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if ignored(name) {
            continue;
        }
        let ty = e.file_type()?;
        if ty.is_dir() {
            walk(root, &e.path(), out)?;
        } else if ty.is_file() {
            let path = e.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            // A file removed between the listing and its stat is simply not there yet.
            let Ok(meta) = e.metadata() else { continue };
            let mtime_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            out.insert(
                key.clone(),
                Entry {
                    key,
                    size: meta.len(),
                    mtime_ms,
                    etag: None,
                },
            );
        }
    }
    Ok(())
}

impl Source for LocalSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn scan(&mut self) -> Result<BTreeMap<String, Entry>, WatchError> {
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out).map_err(|e| WatchError::Io {
            path: self.root.clone(),
            detail: e.to_string(),
        })?;
        Ok(out)
    }

    fn local(&mut self, entry: &Entry, _cache: &Path) -> Result<PathBuf, WatchError> {
        safe_join(&self.root, &entry.key).ok_or_else(|| unsafe_key(&self.name, &entry.key))
    }

    fn folder(&self) -> Option<&Path> {
        Some(&self.root)
    }
}

/// `root/key` when every part of `key` is a plain name (no `..`, no root, no empty part).
pub fn safe_join(root: &Path, key: &str) -> Option<PathBuf> {
    let rel = Path::new(key);
    let plain = !key.is_empty()
        && key
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| root.join(rel))
}

fn unsafe_key(source: &str, key: &str) -> WatchError {
    WatchError::Source {
        source_name: source.to_owned(),
        detail: format!("{key:?} is not a plain relative name; skipped"),
    }
}

/// An S3 prefix, listed with ListObjectsV2; lessons are downloaded into the watcher's cache
/// when they are processed, and downloaded again only when their ETag changes.
pub struct S3Source {
    name: String,
    bucket: S3Bucket,
    bucket_name: String,
    prefix: String,
    rt: tokio::runtime::Runtime,
}

impl Source for S3Source {
    fn name(&self) -> &str {
        &self.name
    }

    fn scan(&mut self) -> Result<BTreeMap<String, Entry>, WatchError> {
        let listed = self
            .rt
            .block_on(self.bucket.list(&self.prefix))
            .map_err(|e| WatchError::Unavailable {
                source_name: self.name.clone(),
                detail: e.to_string(),
            })?;
        Ok(listed
            .into_iter()
            .filter_map(|o| {
                let key = o.key.strip_prefix(&self.prefix)?.to_owned();
                let name = key.rsplit('/').next().unwrap_or(&key);
                (!key.is_empty() && !key.ends_with('/') && !ignored(name)).then(|| {
                    (
                        key.clone(),
                        Entry {
                            key,
                            size: o.size,
                            mtime_ms: o.modified_ms,
                            etag: o.etag,
                        },
                    )
                })
            })
            .collect())
    }

    fn local(&mut self, entry: &Entry, cache: &Path) -> Result<PathBuf, WatchError> {
        let dir = cache.join("s3").join(&self.bucket_name);
        let path = safe_join(&dir, &format!("{}{}", self.prefix, entry.key))
            .ok_or_else(|| unsafe_key(&self.name, &entry.key))?;
        let tag_file = path.with_file_name(format!(
            ".{}.etag",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        let tag = format!("{}:{}", entry.etag.as_deref().unwrap_or(""), entry.size);
        if path.is_file() && std::fs::read_to_string(&tag_file).ok().as_deref() == Some(&tag) {
            return Ok(path);
        }
        let io = |e: std::io::Error| WatchError::Io {
            path: path.clone(),
            detail: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let part = ppi_core::atomic::part_path(&path);
        let key = format!("{}{}", self.prefix, entry.key);
        let got = self.rt.block_on(self.bucket.download(&key, &part));
        if let Err(e) = got {
            let _ = std::fs::remove_file(&part);
            return Err(WatchError::Unavailable {
                source_name: self.name.clone(),
                detail: e.to_string(),
            });
        }
        std::fs::rename(&part, &path).map_err(io)?;
        ppi_core::atomic::write(&tag_file, tag.as_bytes()).map_err(io)?;
        Ok(path)
    }

    fn folder(&self) -> Option<&Path> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_parent_parts_never_leave_the_root() {
        let root = Path::new("/data");
        assert_eq!(
            safe_join(root, "a/03.mp4"),
            Some(PathBuf::from("/data/a/03.mp4"))
        );
        for bad in ["../x.mp4", "a/../../x", "/etc/passwd", "a//b", "", "./a"] {
            assert_eq!(safe_join(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn partial_and_hidden_files_are_ignored() {
        for n in [
            ".03.mp4",
            "03.mp4.part",
            "03.json.tmp",
            "x.crdownload",
            "~lock",
            "a~",
        ] {
            assert!(ignored(n), "{n}");
        }
        assert!(!ignored("03.mp4"));
    }
}
