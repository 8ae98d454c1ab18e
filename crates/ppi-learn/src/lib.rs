//! Learning from reviewers' decisions: the two learned models (key-frame weights, pattern
//! suggestions), stored versioned under `<data dir>/models/<n>/`, which of them is deployed
//! (`models/deployed.json`), and the scorers the rest of PPI asks for. Fitting and the
//! held-out comparison with the rules are in [`fit`].

pub mod fit;
pub mod frames;
pub mod suggest;
pub mod text;
pub mod tokens;

use std::path::{Path, PathBuf};

use ppi_core::config::{var, EnvVar, Kind};
use ppi_media::scoring::Weights;
use text::TextModel;

/// `[learn]` settings.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearnSettings {
    /// Examples a model needs before it is fitted at all (`PPI_LEARN_MIN_EXAMPLES`); until
    /// then the rules stay (`rules-<n>`).
    pub min_examples: usize,
    /// The learned suggester's posterior below which the rules answer instead.
    pub min_confidence: f64,
    /// Fit after each assembly of the reviewed dataset (a `learn` job).
    pub after_assembly: bool,
}

/// The environment variables of `[learn]`.
pub const ENV: &[EnvVar] = &[var("PPI_LEARN_MIN_EXAMPLES", "min_examples", Kind::Count)];

impl Default for LearnSettings {
    fn default() -> Self {
        LearnSettings {
            min_examples: 20,
            min_confidence: 0.5,
            after_assembly: true,
        }
    }
}

/// Which fit of each model is in use (`None`: the rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Deployed {
    pub text: Option<u32>,
    pub frames: Option<u32>,
    /// The last fit's number.
    pub last: u32,
}

/// The key-frame scorer in use: the rules' weights or a learned fit's.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrameScorer {
    pub version: Option<u32>,
    pub weights: Weights,
}

impl FrameScorer {
    /// `key_frame_method` of a frame it chose: `best` or `best+learned-<n>`.
    pub fn method(&self) -> String {
        match self.version {
            None => "best".into(),
            Some(n) => format!("best+learned-{n}"),
        }
    }
}

/// The models folder of a data dir.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(path = %path.display(), "unreadable model file ignored: {e}");
            None
        }
    }
}

impl ModelStore {
    pub fn new(data_dir: &Path) -> ModelStore {
        ModelStore {
            dir: data_dir.join("models"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn deployed(&self) -> Deployed {
        read_json(&self.dir.join("deployed.json")).unwrap_or_default()
    }

    fn fit_dir(&self, n: u32) -> PathBuf {
        self.dir.join(n.to_string())
    }

    /// The fits whose text model beat the rules and was deployed, oldest first.
    pub fn deployed_text_fits(&self) -> Vec<u32> {
        let last = self.deployed().last;
        (1..=last)
            .filter(|&n| {
                read_json::<serde_json::Value>(&self.fit_dir(n).join("report.json"))
                    .is_some_and(|r| r["text"]["deployed"] == true)
            })
            .collect()
    }

    /// The deployed text model, if any.
    pub fn text_model(&self) -> Option<(u32, TextModel)> {
        let n = self.deployed().text?;
        read_json(&self.fit_dir(n).join("text.json")).map(|m| (n, m))
    }

    /// The key-frame scorer in use.
    pub fn frame_scorer(&self) -> FrameScorer {
        self.deployed()
            .frames
            .and_then(|n| {
                read_json::<Weights>(&self.fit_dir(n).join("frames.json")).map(|w| FrameScorer {
                    version: Some(n),
                    weights: w,
                })
            })
            .unwrap_or_default()
    }

    /// Writes a fit's files (each atomically), then the deployed pointer.
    pub fn save(
        &self,
        n: u32,
        text: Option<&TextModel>,
        frames: Option<&Weights>,
        report: &serde_json::Value,
        deployed: &Deployed,
    ) -> std::io::Result<()> {
        let dir = self.fit_dir(n);
        std::fs::create_dir_all(&dir)?;
        if let Some(t) = text {
            ppi_core::atomic::write(&dir.join("text.json"), &pretty(t))?;
        }
        if let Some(w) = frames {
            ppi_core::atomic::write(&dir.join("frames.json"), &pretty(w))?;
        }
        ppi_core::atomic::write(&dir.join("report.json"), &pretty(report))?;
        ppi_core::atomic::write(&self.dir.join("deployed.json"), &pretty(deployed))
    }
}

/// Pretty JSON (these values always serialise).
fn pretty<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}
