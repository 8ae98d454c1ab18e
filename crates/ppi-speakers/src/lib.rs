//! Who speaks, offline on CPU: speech activity ([`silero`]), a voice embedding per short window
//! ([`mel`], [`encoder`]), clustering into speakers ([`cluster`]), and turns with teacher and
//! student roles and overlap ([`turns`]). Models come from PyPI wheels that setup installs
//! ([`models`]); nothing is fetched at run time.

pub mod cluster;
pub mod encoder;
pub mod linalg;
pub mod mel;
pub mod models;
pub mod pitch;
pub mod silero;
pub mod turns;

use std::path::{Path, PathBuf};

use ppi_core::error::{Coded, ErrorKind};

pub use turns::{Diarization, Role, RoleShares, SpeakerSummary, Turn};

/// Errors of speaker diarization.
#[derive(Debug, thiserror::Error)]
pub enum SpeakersError {
    #[error("{path}: speaker model missing ({detail}); run scripts/speech-models.py {dir} (scripts/setup.sh does), or set PPI_SPEECH_MODELS to the folder that holds it", dir = path.parent().map(|p| p.display().to_string()).unwrap_or_default())]
    ModelMissing { path: PathBuf, detail: String },
    #[error("{path}: not a usable speaker model: {detail}")]
    ModelInvalid { path: PathBuf, detail: String },
    #[error("{0:?} is not a number of speakers (auto, or 1 to 20)")]
    BadCount(String),
    #[error(transparent)]
    Wav(#[from] ppi_media::wav::WavError),
}

impl Coded for SpeakersError {
    fn code(&self) -> &'static str {
        match self {
            SpeakersError::ModelMissing { .. } => "speaker-model-missing",
            SpeakersError::ModelInvalid { .. } => "speaker-model-invalid",
            SpeakersError::BadCount(_) => "bad-speaker-count",
            SpeakersError::Wav(_) => "io-error",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            SpeakersError::Wav(_) => ErrorKind::Internal,
            _ => ErrorKind::Input,
        }
    }
}

/// How many speakers to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeakerCount {
    #[default]
    Auto,
    Exactly(usize),
}

impl std::str::FromStr for SpeakerCount {
    type Err = SpeakersError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" | "" => Ok(SpeakerCount::Auto),
            n => match n.parse::<usize>() {
                Ok(n) if (1..=20).contains(&n) => Ok(SpeakerCount::Exactly(n)),
                _ => Err(SpeakersError::BadCount(s.to_owned())),
            },
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub count: SpeakerCount,
    /// A voice embedding of the teacher (from intervals annotators labelled as the teacher):
    /// the speaker closest to it is the teacher, when close enough.
    pub teacher: Option<Vec<f32>>,
    /// Threads for the embeddings (0: all cores).
    pub threads: usize,
    /// Cluster on the voice embeddings alone, without the pitch cue ([`pitch`]).
    pub no_pitch: bool,
}

/// The loaded models; load once, run on many recordings.
pub struct Diarizer {
    vad: silero::Silero,
    encoder: encoder::Encoder,
    mel: mel::MelBank,
}

impl Diarizer {
    /// Loads and verifies both models from `dir` (see [`models::default_dir`]).
    pub fn load(dir: &Path) -> Result<Diarizer, SpeakersError> {
        Ok(Diarizer {
            vad: silero::Silero::load(dir)?,
            encoder: encoder::Encoder::load(dir)?,
            mel: mel::MelBank::new(),
        })
    }

    /// Turns of a PPI WAV (16 kHz mono).
    pub fn diarize_wav(&self, path: &Path, opts: &Options) -> Result<Diarization, SpeakersError> {
        let pcm: Vec<f32> = ppi_media::wav::read_samples(path)?
            .into_iter()
            .map(|s| f32::from(s) / 32768.0)
            .collect();
        Ok(self.diarize(&pcm, opts))
    }

    /// Turns of 16 kHz mono samples.
    pub fn diarize(&self, pcm: &[f32], opts: &Options) -> Diarization {
        let threads = if opts.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            opts.threads
        };
        let duration = pcm.len() as f64 / 16_000.0;
        let t = std::time::Instant::now();
        let probs = self.vad.probabilities(pcm);
        let speech = silero::regions(&probs, pcm.len(), silero::RegionRule::default());
        let speech = silero::trim_to_level(pcm, &speech, silero::EDGE_MARGIN_DB);
        let vad_s = t.elapsed().as_secs_f64();
        let windows = cluster::windows(&speech);
        let t = std::time::Instant::now();
        let embeddings = self.embed_windows(pcm, &windows, threads);
        let embed_s = t.elapsed().as_secs_f64();
        let voicing = if opts.no_pitch {
            Vec::new()
        } else {
            let spans: Vec<(f64, f64)> = windows.iter().map(|w| (w.start, w.end)).collect();
            pitch::of_windows(&pitch::track(pcm, &speech), &spans)
        };
        let pitches: Vec<Option<f32>> = voicing.iter().map(|v| v.pitch).collect();
        let labels = cluster::cluster(&embeddings, &pitches, opts.count);
        let starts: Vec<f64> = windows.iter().map(|w| w.start).collect();
        let several = pitch::several_voices(&voicing, &starts, cluster::HOP);
        let d = turns::build(
            &speech,
            &windows,
            &embeddings,
            &labels,
            &several,
            opts.teacher.as_deref(),
            duration,
        );
        tracing::debug!(
            duration,
            vad_s,
            embed_s,
            windows = windows.len(),
            speakers = d.speakers.len(),
            "speakers found"
        );
        d
    }

    /// The voice embedding of each window: its samples brought to −30 dBFS (Resemblyzer's
    /// target level), then its mel frames through the encoder.
    pub fn embed_windows(
        &self,
        pcm: &[f32],
        windows: &[cluster::Window],
        threads: usize,
    ) -> Vec<Vec<f32>> {
        let mels: Vec<Vec<f32>> = windows
            .iter()
            .map(|w| {
                let s = ((w.start * 16_000.0) as usize).min(pcm.len());
                let e = ((w.end * 16_000.0) as usize).clamp(s, pcm.len());
                let mut x = pcm[s..e].to_vec();
                normalize_volume(&mut x, -30.0);
                let mut m = self.mel.spectrogram(&x);
                // librosa's centred framing yields one frame more than the window's hops.
                m.truncate(((e - s) / mel::HOP).max(1) * mel::MELS);
                m
            })
            .collect();
        let refs: Vec<&[f32]> = mels.iter().map(|m| m.as_slice()).collect();
        self.encoder.embed(&refs, threads)
    }

    /// One embedding for several stretches of one voice (e.g. the teacher's labelled turns):
    /// the normalised mean of their windows' embeddings.
    pub fn voice_of(&self, pcm: &[f32], spans: &[(f64, f64)], threads: usize) -> Option<Vec<f32>> {
        let windows = cluster::windows(spans);
        if windows.is_empty() {
            return None;
        }
        let e = self.embed_windows(pcm, &windows, threads);
        Some(cluster::mean(e.iter().map(|v| v.as_slice())))
    }
}

/// Scales `x` so that its RMS level is `target_db` dBFS.
fn normalize_volume(x: &mut [f32], target_db: f32) {
    let rms = (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt();
    if rms > 1e-6 {
        let gain = 10f32.powf(target_db / 20.0) / rms;
        x.iter_mut().for_each(|v| *v *= gain);
    }
}
