//! Configuration layering for every feature (`figment`, the file read by `toml`): defaults (each settings struct's
//! `Default`), then a TOML file, then the environment; command-line flags go on top in each
//! command. Each feature crate owns its settings struct and the table of environment variables
//! that set it ([`EnvVar`]); the service assembles the sections. Errors name the file or the
//! environment variable.
//!
//! The environment keeps the names that worked before figment (`PPI_…`, `LABEL_STUDIO_URL`,
//! `HF_TOKEN`, `DATABASE_URL`, `AWS_…`, the old scripts' `.env` keys), so the table maps each
//! name to its key instead of deriving names from keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::Serialized;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use crate::error::{Coded, ErrorKind};

/// Errors loading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {detail}")]
    Parse { file: PathBuf, detail: String },
    #[error("environment variable {name}: {detail}")]
    Env { name: &'static str, detail: String },
    #[error(".env: line {line}: {detail}")]
    DotEnv { line: usize, detail: String },
    /// A value that parses but breaks a rule (`field` is its settings key).
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
}

impl Coded for ConfigError {
    fn code(&self) -> &'static str {
        "config-invalid"
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}

/// A source of environment values; the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment (an empty value counts as unset).
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name)
            .cloned()
            .filter(|v| !v.is_empty())
    }
}

/// Reads `.env` from the working directory into the process environment (variables already
/// set win). A missing file is fine; a malformed one is an error naming the line.
pub fn load_dotenv() -> Result<(), ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(dotenvy::Error::LineParse(line, idx)) => Err(ConfigError::DotEnv {
            line: idx,
            detail: format!("cannot parse {line:?}"),
        }),
        Err(e) => Err(ConfigError::DotEnv {
            line: 0,
            detail: e.to_string(),
        }),
    }
}

/// How an environment variable's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// The text as it is (also secrets, paths and enum names, which serde checks).
    Text,
    /// The text, trimmed.
    Trimmed,
    /// A URL: a trailing `/` is dropped.
    Url,
    /// Comma-separated, each item trimmed, empty items dropped.
    List,
    /// [`Kind::List`], lower-cased (host names).
    LowerList,
    /// [`Kind::List`] of URLs, each without a trailing `/`.
    UrlList,
    /// `1`, `true` or `yes` (any case) is true; anything else false.
    Flag,
    /// `true`/`1` or `false`/`0`; anything else is an error.
    StrictFlag,
    /// A whole number ≥ 0.
    Count,
    /// A whole number ≥ 1.
    Positive,
    /// A number (seconds, shares).
    Number,
    /// A number in `[lo, 1]`.
    Share(f64),
}

/// One environment variable and the settings key it sets, relative to its feature's section.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    pub name: &'static str,
    pub key: &'static str,
    pub kind: Kind,
}

/// Shorthand for table entries.
pub const fn var(name: &'static str, key: &'static str, kind: Kind) -> EnvVar {
    EnvVar { name, key, kind }
}

fn list(v: &str, f: impl Fn(&str) -> String) -> Value {
    Value::from(
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(f)
            .collect::<Vec<String>>(),
    )
}

/// The value an environment variable's text stands for, or what was expected instead.
fn convert(kind: Kind, v: &str) -> Result<Value, String> {
    let number = || v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    Ok(match kind {
        Kind::Text => Value::from(v.to_owned()),
        Kind::Trimmed => Value::from(v.trim().to_owned()),
        Kind::Url => Value::from(v.trim().trim_end_matches('/').to_owned()),
        Kind::List => list(v, str::to_owned),
        Kind::LowerList => list(v, str::to_ascii_lowercase),
        Kind::UrlList => list(v, |s| s.trim_end_matches('/').to_owned()),
        Kind::Flag => Value::from(matches!(
            v.trim().to_lowercase().as_str(),
            "1" | "true" | "yes"
        )),
        Kind::StrictFlag => match v.trim() {
            "true" | "1" => Value::from(true),
            "false" | "0" => Value::from(false),
            _ => return Err(format!("expected true or false, found {v:?}")),
        },
        Kind::Count => Value::from(
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("expected a whole number, found {v:?}"))?,
        ),
        Kind::Positive => Value::from(
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("expected a positive number, found {v:?}"))?,
        ),
        Kind::Number => {
            Value::from(number().ok_or_else(|| format!("expected a number, found {v:?}"))?)
        }
        Kind::Share(lo) => Value::from(
            number()
                .filter(|x| *x >= lo && *x <= 1.0)
                .ok_or_else(|| format!("expected a number in [{lo}, 1], found {v:?}"))?,
        ),
    })
}

/// Puts `value` at the dotted `key` of `dict`.
fn insert(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = dict
                .entry(head.to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

const ENV_SOURCE: &str = "environment variable";

/// The environment as a figment provider: the variables of every section's table.
struct EnvLayer {
    values: Dict,
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_SOURCE)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Map::from([(Profile::Default, self.values.clone())]))
    }
}

/// Settings sections: `(section key, its environment table)`. The section key is `""` for
/// top-level keys.
pub type Sections<'a> = &'a [(&'static str, &'static [EnvVar])];

/// The layered sources of one load: what they hold, and where each value came from.
pub struct Layered {
    figment: Figment,
    file: Option<PathBuf>,
    /// Full key → the environment variable that set it.
    env_keys: BTreeMap<String, &'static str>,
}

impl Layered {
    /// Defaults (left to each struct's `Default`), then `file` (or `PPI_CONFIG`, or
    /// `./ppi.toml` when present), then the environment variables of `sections`. Where two
    /// names set one key (`PPI_DATABASE_URL`, `DATABASE_URL`), the first in the table wins.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Env,
        sections: Sections,
    ) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("PPI_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("ppi.toml")).filter(|p| p.is_file()));
        let mut figment = Figment::new();
        if let Some(f) = &file {
            let text = std::fs::read_to_string(f).map_err(|source| ConfigError::Read {
                file: f.clone(),
                source,
            })?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                file: f.clone(),
                detail: e.to_string(),
            })?;
            figment = figment.merge(Serialized::defaults(table));
        }
        let mut values = Dict::new();
        let mut env_keys = BTreeMap::new();
        for (section, table) in sections {
            for v in table.iter() {
                let key = match *section {
                    "" => v.key.to_owned(),
                    s => format!("{s}.{}", v.key),
                };
                if env_keys.contains_key(&key) {
                    continue;
                }
                let Some(text) = env.get(v.name) else {
                    continue;
                };
                let value = convert(v.kind, &text).map_err(|detail| ConfigError::Env {
                    name: v.name,
                    detail,
                })?;
                insert(&mut values, &key, value);
                env_keys.insert(key, v.name);
            }
        }
        let figment = figment.merge(EnvLayer { values });
        Ok(Layered {
            figment,
            file,
            env_keys,
        })
    }

    /// The settings, with an error that names the file or the environment variable.
    pub fn extract<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.figment.extract().map_err(|e| self.error(e))
    }

    fn error(&self, e: figment::Error) -> ConfigError {
        let key = e.path.join(".");
        let from_env = e.metadata.as_ref().is_some_and(|m| m.name == ENV_SOURCE);
        let detail = e.kind.to_string();
        match (from_env, self.env_keys.get(&key), &self.file) {
            (true, Some(name), _) => ConfigError::Env { name, detail },
            (_, _, Some(file)) if !from_env => ConfigError::Parse {
                file: file.clone(),
                detail: if key.is_empty() {
                    detail
                } else {
                    format!("{key}: {detail}")
                },
            },
            _ => ConfigError::Invalid { field: key, detail },
        }
    }

    /// The settings file, when one was read.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// True when the value at `key` (dotted) came from the settings file, not the environment.
    pub fn from_file(&self, key: &str) -> bool {
        self.file.is_some() && !self.env_keys.contains_key(key) && self.figment.contains(key)
    }

    /// `path` resolved against the settings file's folder when `key` came from that file:
    /// relative paths in a settings file mean paths beside it, so every command finds the same
    /// data dir and sheet from any working directory. Paths from the environment and flags stay
    /// relative to the working directory.
    pub fn beside_file(&self, key: &str, path: &mut PathBuf) {
        let dir = self.file.as_deref().and_then(Path::parent);
        if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if path.is_relative() && self.from_file(key) {
                *path = dir.join(&*path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Inner {
        n: Option<usize>,
        hosts: Vec<String>,
        on: bool,
        url: Option<String>,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Outer {
        inner: Inner,
        path: PathBuf,
    }

    const TABLE: &[EnvVar] = &[
        var("X_N", "n", Kind::Positive),
        var("X_HOSTS", "hosts", Kind::LowerList),
        var("X_ON", "on", Kind::Flag),
        var("X_URL", "url", Kind::Url),
        var("X_URL_OLD", "url", Kind::Url),
    ];
    const TOP: &[EnvVar] = &[var("X_PATH", "path", Kind::Text)];

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_environment_goes_over_the_file_and_errors_name_their_source() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ppi.toml");
        std::fs::write(&f, "path = \"rel\"\n[inner]\nn = 3\nhosts = [\"a\"]\n").unwrap();
        let sections: Sections = &[("inner", TABLE), ("", TOP)];
        let l = Layered::load(
            Some(&f),
            &env(&[
                ("X_HOSTS", "B, c,,"),
                ("X_ON", "Yes"),
                ("X_URL_OLD", "http://o/"),
                ("X_URL", "http://n/"),
            ]),
            sections,
        )
        .unwrap();
        let mut o: Outer = l.extract().unwrap();
        assert_eq!(o.inner.n, Some(3));
        assert_eq!(o.inner.hosts, ["b", "c"]);
        assert!(o.inner.on);
        assert_eq!(o.inner.url.as_deref(), Some("http://n"));
        l.beside_file("path", &mut o.path);
        assert_eq!(o.path, dir.path().join("rel"));
        // A path from the environment stays as it is.
        let l = Layered::load(Some(&f), &env(&[("X_PATH", "here")]), sections).unwrap();
        let mut o: Outer = l.extract().unwrap();
        l.beside_file("path", &mut o.path);
        assert_eq!(o.path, PathBuf::from("here"));

        let e = Layered::load(None, &env(&[("X_N", "zero")]), sections)
            .err()
            .unwrap();
        assert!(e.to_string().contains("X_N"), "{e}");
        std::fs::write(&f, "[inner]\nnope = 1\n").unwrap();
        let e = Layered::load(Some(&f), &env(&[]), sections)
            .unwrap()
            .extract::<Outer>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("ppi.toml") && e.contains("nope"), "{e}");
        let e = Layered::load(Some(&dir.path().join("missing.toml")), &env(&[]), sections)
            .err()
            .unwrap();
        assert!(e.to_string().contains("missing.toml"), "{e}");
    }
}
