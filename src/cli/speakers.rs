//! `ppi speakers`: who speaks when in a lesson (turns, speakers, teacher and student shares),
//! as text, JSON or RTTM; and the speaker models' lines of `ppi models list`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Failure, Ui};
use ppi_core::error::ErrorKind;
use ppi_speakers::{models, Diarization, Diarizer, Options, SpeakerCount};

/// Speaker flags shared with `ppi transcribe`.
#[derive(Debug, Clone, Args, Default)]
pub struct SpeakerArgs {
    /// Folder of the speaker models [default: PPI_SPEECH_MODELS, or
    /// ~/.local/share/ppi/speech-models, where scripts/setup.sh installs them].
    #[arg(long, value_name = "DIR")]
    pub speech_models: Option<PathBuf>,
}

impl SpeakerArgs {
    pub fn dir(&self) -> PathBuf {
        self.speech_models
            .clone()
            .unwrap_or_else(models::default_dir)
    }

    pub fn load(&self) -> Result<Diarizer, Failure> {
        Ok(Diarizer::load(&self.dir())?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// One SPEAKER line per turn (NIST RTTM), as pyannote and dscore read it.
    Rttm,
}

#[derive(Debug, Args)]
pub struct SpeakersCmd {
    /// A lesson video or audio file (any format FFmpeg reads).
    pub file: PathBuf,
    /// How many speakers: auto, or a number.
    #[arg(long, default_value = "auto")]
    pub speakers: SpeakerCount,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Threads for the voice embeddings [default: all cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Tell voices apart by their embeddings alone, without the pitch cue (for comparison).
    #[arg(long)]
    pub no_pitch: bool,
    #[command(flatten)]
    pub models: SpeakerArgs,
}

fn io_failure(what: String) -> Failure {
    Failure {
        code: "io-error",
        kind: ErrorKind::Internal,
        message: what,
    }
}

pub fn run(a: SpeakersCmd, _ui: &Ui) -> Result<(), Failure> {
    let diarizer = a.models.load()?;
    let (_tmp, wav) = super::asr::decode_to_temp_wav(&a.file, "ppi-speakers-")?;
    let started = std::time::Instant::now();
    let opts = Options {
        count: a.speakers,
        teacher: None,
        threads: a.threads,
        no_pitch: a.no_pitch,
    };
    let d = diarizer.diarize_wav(&wav, &opts)?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        audio_seconds = d.duration,
        speakers = d.speakers.len(),
        "speakers found"
    );
    let name = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().replace(' ', "_"))
        .unwrap_or_else(|| "lesson".into());
    let text = render(&d, a.format, &name);
    match &a.out {
        Some(path) => ppi_core::atomic::write(path, text.as_bytes())
            .map_err(|e| io_failure(format!("{}: {e}", path.display())))?,
        None => out!("{text}"),
    }
    Ok(())
}

pub fn role(r: ppi_speakers::Role) -> &'static str {
    match r {
        ppi_speakers::Role::Teacher => "teacher",
        ppi_speakers::Role::Student => "student",
    }
}

fn render(d: &Diarization, format: Format, name: &str) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(d).unwrap_or_default() + "\n",
        Format::Rttm => d
            .turns
            .iter()
            .map(|t| {
                format!(
                    "SPEAKER {name} 1 {:.3} {:.3} <NA> <NA> {} <NA> <NA>\n",
                    t.start,
                    t.end - t.start,
                    t.speaker
                )
            })
            .collect(),
        Format::Text => {
            let mut s = String::new();
            let r = &d.roles;
            s += &format!(
                "{:.0} s: teacher {:.1} %, student {:.1} %, several {:.1} %, silence {:.1} % (teacher by {})\n",
                d.duration,
                100.0 * r.teacher_share,
                100.0 * r.student_share,
                100.0 * r.several_share,
                100.0 * r.silence_share,
                d.teacher_by
            );
            for sp in &d.speakers {
                s += &format!(
                    "{} {}: {:.1} s ({:.1} %), {} turns\n",
                    sp.speaker,
                    role(sp.role),
                    sp.seconds,
                    100.0 * sp.share,
                    sp.turns
                );
            }
            for t in &d.turns {
                s += &format!(
                    "[{} --> {}] {} {}{}\n",
                    ppi_asr::transcript::vtt_time(t.start),
                    ppi_asr::transcript::vtt_time(t.end),
                    t.speaker,
                    role(t.role),
                    if t.overlap { " (overlap)" } else { "" }
                );
            }
            s
        }
    }
}

/// The speaker models' lines for `ppi models list`.
pub fn list_models(args: &SpeakerArgs) -> String {
    let dir = args.dir();
    let mut s = format!("speaker models in {}:\n", dir.display());
    for m in models::ALL {
        let state = match models::check(&dir, &m) {
            models::FileState::Verified => "verified".to_string(),
            models::FileState::Missing => "missing: run scripts/speech-models.py".to_string(),
            models::FileState::Altered(got) => format!("altered (sha256 {got})"),
        };
        s += &format!(
            "  {:<19} {:<30} from PyPI {} ({}), sha256 {}: {state}\n",
            m.role,
            m.file,
            m.package,
            m.license,
            &m.sha256[..12]
        );
    }
    s
}
