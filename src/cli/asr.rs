//! `ppi transcribe` and `ppi models`, plus the Whisper flags shared with `dataset prepare`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};

use super::{Failure, Ui};
use ppi_asr::engine::AsrOverrides;
use ppi_asr::fetch::{self, FetchOptions};
use ppi_asr::{AsrConfig, Device, LanguageChoice, ModelSpec, PcmFile, Transcriber, Transcript};
use ppi_core::progress::Progress;
use ppi_server::config::Settings;

/// Whisper flags, applied over `[whisper]` settings.
#[derive(Debug, Clone, Args, Default)]
pub struct AsrArgs {
    /// Model name (tiny, base, base-q8_0, small, medium, large-v3…) or path to a ggml .bin.
    #[arg(long, value_name = "NAME|PATH")]
    pub whisper_model: Option<String>,
    /// Where Whisper runs.
    #[arg(long, value_enum)]
    pub device: Option<Device>,
    /// Candidates for detection per speech chunk (default: [whisper] languages, en,ru), one
    /// code such as ru to force it, or auto for any of Whisper's languages.
    #[arg(long)]
    pub language: Option<String>,
    /// Threads per transcription.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Beam width (1 = greedy decoding).
    #[arg(long)]
    pub beam_size: Option<usize>,
}

impl AsrArgs {
    /// The language choice, validated.
    pub fn language(&self, settings: &Settings) -> Result<LanguageChoice, Failure> {
        let text = self
            .language
            .as_deref()
            .unwrap_or(&settings.whisper.language);
        Ok(text
            .parse::<LanguageChoice>()
            .map_err(ppi_asr::AsrError::from)?)
    }

    /// Loads the model with flags over settings.
    pub fn load(&self, settings: &Settings) -> Result<Transcriber, Failure> {
        if self.threads == Some(0) {
            return Err(Failure {
                code: "invalid-argument",
                kind: ppi_core::error::ErrorKind::Input,
                message: "--threads must be at least 1".into(),
            });
        }
        let cfg = AsrConfig::from_settings(
            &settings.whisper,
            &AsrOverrides {
                model: self.whisper_model.clone(),
                threads: self.threads,
                device: self.device,
                beam_size: self.beam_size,
            },
        )?;
        Ok(Transcriber::load(cfg)?)
    }
}

/// Output formats of `ppi transcribe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per segment with times and language.
    Text,
    Json,
    Vtt,
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// A lesson video or audio file (any format FFmpeg reads).
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Find who speaks (auto, or the number of speakers): each segment gets its speaker and
    /// role, and the JSON gains the speakers' and roles' talk and the turns.
    #[arg(long, value_name = "auto|N")]
    pub speakers: Option<ppi_speakers::SpeakerCount>,
    #[command(flatten)]
    pub speaker_models: super::speakers::SpeakerArgs,
    #[command(flatten)]
    pub asr: AsrArgs,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every model PPI runs, where it is and whether it is there and intact: Whisper's, and
    /// the speaker models (Silero VAD, Resemblyzer) that setup installs from PyPI wheels.
    List {
        #[command(flatten)]
        speakers: super::speakers::SpeakerArgs,
    },
    /// Download ggml-NAME.bin from the Hub repository ggerganov/whisper.cpp (honours HF_ENDPOINT).
    Fetch {
        /// Model name, e.g. base, base-q8_0, small, large-v3.
        name: String,
        /// Branch, tag or commit.
        #[arg(long, default_value = "main")]
        revision: String,
    },
    /// Print the path of the model that would be used.
    Path {
        /// Model name or path [default: the configured model].
        name: Option<String>,
    },
}

/// `file`'s audio as a 16 kHz mono WAV in a temporary folder (removed when the guard drops);
/// an empty track is refused, naming the file.
pub fn decode_to_temp_wav(
    file: &std::path::Path,
    prefix: &str,
) -> Result<(tempfile::TempDir, PathBuf), Failure> {
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| Failure {
            code: "io-error",
            kind: ppi_core::error::ErrorKind::Internal,
            message: format!("temporary folder: {e}"),
        })?;
    let wav = tmp.path().join("audio.wav");
    let audio = ppi_media::audio::decode_to_wav(file, &wav)?;
    if audio.samples == 0 {
        return Err(ppi_asr::AsrError::EmptyAudio { file: file.into() }.into());
    }
    Ok((tmp, wav))
}

pub fn run_transcribe(a: TranscribeArgs, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    let language = a.asr.language(settings)?;
    // The speaker models first: a missing one is named before minutes of transcription.
    let diarizer = match a.speakers {
        Some(_) => Some(a.speaker_models.load()?),
        None => None,
    };
    let asr = a.asr.load(settings)?;
    // Decode once to 16 kHz mono; the transcriber streams from that file.
    let (_tmp, wav) = decode_to_temp_wav(&a.file, "ppi-transcribe-")?;
    let progress = ui.progress();
    let started = std::time::Instant::now();
    let transcript = asr.transcribe_wav(PcmFile { path: &wav }, None, &language, &progress)?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        audio_seconds = transcript.duration,
        rtf = started.elapsed().as_secs_f64() / transcript.duration.max(1e-9),
        "transcribed"
    );
    if transcript.segments.is_empty() {
        return Err(ppi_asr::AsrError::NoSpeech {
            file: a.file.clone(),
            seconds: transcript.duration,
        }
        .into());
    }
    let mut transcript = transcript;
    if let (Some(d), Some(count)) = (&diarizer, a.speakers) {
        let opts = ppi_speakers::Options {
            count,
            teacher: None,
            threads: a.asr.threads.unwrap_or(0),
            ..Default::default()
        };
        transcript.attach_speakers(d.diarize_wav(&wav, &opts)?);
    }
    let text = render(&transcript, a.format);
    match &a.out {
        Some(path) => ppi_core::atomic::write(path, text.as_bytes()).map_err(|e| Failure {
            code: "io-error",
            kind: ppi_core::error::ErrorKind::Internal,
            message: format!("{}: {e}", path.display()),
        })?,
        None => out!("{text}"),
    }
    Ok(())
}

fn render(t: &Transcript, format: Format) -> String {
    match format {
        Format::Json => {
            serde_json::to_string_pretty(&ppi_activity::transcript_json(t)).unwrap_or_default()
                + "\n"
        }
        Format::Vtt => t.to_vtt(),
        Format::Text => t
            .segments
            .iter()
            .map(|s| {
                let who = match (&s.speaker, s.role) {
                    (Some(sp), Some(r)) => format!(" [{sp} {}]", super::speakers::role(r)),
                    _ => String::new(),
                };
                format!(
                    "[{} --> {}] [{}]{who} {}\n",
                    ppi_asr::transcript::vtt_time(s.start),
                    ppi_asr::transcript::vtt_time(s.end),
                    s.language,
                    s.text
                )
            })
            .collect(),
    }
}

pub fn run_models(cmd: ModelsCommand, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    match cmd {
        ModelsCommand::List { speakers } => {
            let spec: ModelSpec = settings.whisper.model.parse()?;
            let whisper = match ppi_asr::model::resolve(&spec) {
                Ok(path) => format!("{}: ok", path.display()),
                Err(e) => format!("missing: {e}"),
            };
            outln!("whisper model {}: {whisper}", spec.label());
            out!("{}", super::speakers::list_models(&speakers));
            Ok(())
        }
        ModelsCommand::Fetch { name, revision } => {
            let spec: ModelSpec = name.parse()?;
            let opts = FetchOptions {
                endpoint: settings.hub.endpoint.clone(),
                token: settings.hub.token.clone(),
                revision,
            };
            let progress: Arc<dyn Progress + Send + Sync> = Arc::new(ui.progress());
            let rt = super::runtime()?;
            let path = rt.block_on(fetch::fetch(&spec, &opts, progress))?;
            outln!("{}", path.display());
            Ok(())
        }
        ModelsCommand::Path { name } => {
            let spec: ModelSpec = name.as_deref().unwrap_or(&settings.whisper.model).parse()?;
            outln!("{}", ppi_asr::model::resolve(&spec)?.display());
            Ok(())
        }
    }
}
