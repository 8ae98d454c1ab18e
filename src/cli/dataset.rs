//! `ppi dataset …`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{prompt_removals, Failure, PromptOptions, Ui};
use ppi_core::domain::{CropBox, Fps};
use ppi_dataset::build::build;
use ppi_dataset::manifest::CardSettings;
use ppi_dataset::prepare::{parse_selection, Dataset};
use ppi_dataset::request::BuildRequest;
use ppi_dataset::transcribe::transcribe;
use ppi_label_studio::choice::AnnotationChoice;
use ppi_media::ClipMode;
use ppi_server::config::Settings;

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Cut clips, key frames and audio for a lesson's annotated intervals (the old main.py).
    Build(BuildArgs),
    /// Review key frames, remove bad items, rebuild metadata (the old prepare_dataset.py).
    Prepare(PrepareArgs),
    /// Publish a dataset folder to the Hugging Face Hub (the old upload_to_hf.py).
    Publish(super::publish::PublishArgs),
    /// Assemble the service's dataset from the clips approved in Label Studio (and publish it
    /// when HF_TOKEN, HF_USERNAME and DATASET_NAME are set).
    Assemble,
}

/// Clip modes on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Stream copy trimmed to the exact frames by an MP4 edit list.
    Accurate,
    /// Stream copy from the keyframe before the interval; real bounds recorded.
    Copy,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The lesson video.
    #[arg(long)]
    pub video: PathBuf,
    /// Label Studio export: full JSON, JSON_MIN, one task, or a bare result list.
    #[arg(long)]
    pub annotations: PathBuf,
    /// Pattern sheet (.xlsx, .ods or .csv) with `pattern type` and `comments` columns.
    #[arg(long)]
    pub patterns: PathBuf,
    /// Dataset folder [default: LOCAL_DATASET_PATH or huggingface_dataset].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// How clips are cut.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// How each interval's key frame is chosen [default: `[dataset] key_frame`, best].
    #[arg(long, value_enum)]
    pub key_frame: Option<ppi_media::keyframe::KeyFrameMode>,
    /// Do not prefer frames with faces when choosing the best key frame.
    #[arg(long)]
    pub no_faces: bool,
    /// Re-encode clips (H.264/AAC) for players that ignore MP4 edit lists.
    #[arg(long)]
    pub reencode: bool,
    /// Crop box x,y,w,h in percent of the frame, for every clip's cropped key frame.
    #[arg(long, value_name = "X,Y,W,H")]
    pub crop: Option<CropBox>,
    /// Parallel workers [default: one per core].
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Frame rate of the frame numbers when the task has no `fps` [default: the video's].
    #[arg(long)]
    pub fps: Option<f64>,
    /// Which annotation of the task: latest, all, consensus (the gated consensus of every
    /// annotator; see `ppi agreement`), or an annotation id.
    #[arg(long, default_value = "latest")]
    pub annotation: AnnotationChoice,
    /// With --annotation consensus: majority (frames most annotators marked) or mean
    /// (matched intervals, averaged bounds) [default: [label_studio.agreement] consensus].
    #[arg(long)]
    pub consensus: Option<ppi_agreement::ConsensusRule>,
    /// With --annotation consensus: the κ the annotators need [default: 0.6].
    #[arg(long)]
    pub gate: Option<f64>,
    /// Task id, when the export holds several tasks for this video.
    #[arg(long)]
    pub task: Option<i64>,
    /// Control (`from_name`) holding the pattern intervals, when there are several.
    #[arg(long)]
    pub from_name: Option<String>,
    /// Lesson id [default: the task's `lesson_id`, else the video's file name].
    #[arg(long)]
    pub lesson_id: Option<String>,
    /// Keep intervals whose label is not in the sheet (with an empty description).
    #[arg(long)]
    pub allow_unknown_labels: bool,
    /// Key frame JPEG quality, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: Option<u8>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write `data/train-*.parquet` with video, key frame and audio embedded, so that
    /// `datasets.load_dataset` decodes every modality (kept by later builds).
    #[arg(long)]
    pub parquet: bool,
    /// Fail at once (`dataset-busy`) when another ppi is writing the folder, instead of
    /// waiting for it.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// Dataset folder [default: LOCAL_DATASET_PATH or huggingface_dataset].
    pub dir: Option<PathBuf>,
    /// Skip the interactive removal of bad frames.
    #[arg(long)]
    pub skip_deletion: bool,
    /// Do not ask for confirmation before removing.
    #[arg(long, short)]
    pub yes: bool,
    /// Remove these items without asking: numbers as listed (3,7 or 2-5) or item ids.
    #[arg(long, value_name = "LIST")]
    pub exclude: Option<String>,
    /// Do not transcribe the clips.
    #[arg(long)]
    pub no_transcribe: bool,
    /// Who speaks in each lesson (auto, or the number of speakers): the clips get their turns
    /// and the speaker columns. `--no-speakers` leaves them out.
    #[arg(long, value_name = "auto|N", default_value = "auto")]
    pub speakers: ppi_speakers::SpeakerCount,
    #[arg(long)]
    pub no_speakers: bool,
    #[command(flatten)]
    pub speaker_models: super::speakers::SpeakerArgs,
    #[command(flatten)]
    pub asr: super::asr::AsrArgs,
}

pub fn run(cmd: DatasetCommand, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    match cmd {
        DatasetCommand::Build(args) => run_build(args, settings, ui),
        DatasetCommand::Prepare(args) => run_prepare(args, settings, ui),
        DatasetCommand::Publish(args) => super::publish::run_publish(args, settings, ui),
        DatasetCommand::Assemble => super::publish::run_assemble(settings.clone(), ui),
    }
}

fn run_build(a: BuildArgs, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| settings.dataset.path.clone());
    let mode = if a.reencode {
        ClipMode::Reencode
    } else {
        match a.mode {
            Some(ModeArg::Accurate) => ClipMode::Accurate,
            Some(ModeArg::Copy) => ClipMode::Copy,
            None => settings.dataset.mode,
        }
    };
    let fps = a
        .fps
        .map(Fps::new)
        .transpose()
        .map_err(|e| Failure::input("invalid-argument", format!("--fps: {e}")))?;
    if a.gate.is_some_and(|g| !(-1.0..=1.0).contains(&g)) {
        return Err(Failure::input(
            "invalid-argument",
            "--gate must be between -1 and 1".into(),
        ));
    }
    if a.jobs == Some(0) {
        return Err(Failure::input(
            "invalid-argument",
            "--jobs must be at least 1".into(),
        ));
    }
    let req = BuildRequest {
        video: a.video,
        annotations: a.annotations,
        patterns: a.patterns,
        out: out.clone(),
        mode,
        key_frame: a.key_frame.unwrap_or(settings.dataset.key_frame),
        faces: settings.dataset.faces && !a.no_faces,
        crop: a.crop,
        jobs: a.jobs.unwrap_or_else(|| settings.jobs()),
        fps,
        annotation: a.annotation,
        task: a.task,
        from_name: a.from_name,
        lesson_id: a.lesson_id,
        allow_unknown_labels: a.allow_unknown_labels,
        jpeg_quality: a.jpeg_quality.unwrap_or(settings.dataset.jpeg_quality),
        card: CardSettings {
            parquet: a.parquet,
            ..ppi_dataset::lesson::card_settings(&settings.dataset, &settings.hub, &out)
        },
        wait_for_lock: !a.no_wait,
        analytics: true,
        scorer: ppi_learn::ModelStore::new(&settings.server.data_dir).frame_scorer(),
        agreement: {
            let mut g = settings.label_studio.agreement;
            if let Some(c) = a.consensus {
                g.consensus = c;
            }
            if let Some(v) = a.gate {
                g.gate = v;
            }
            g
        },
    };
    let progress = ui.progress();
    let started = std::time::Instant::now();
    let report = build(&req, &progress)?;
    tracing::info!(
        lesson = %report.lesson_id,
        built = report.built,
        reused = report.reused,
        seconds = started.elapsed().as_secs_f64(),
        "dataset built"
    );
    if a.json {
        outln!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else if !ui.quiet {
        outln!(
            "{}: lesson {:?}, {} item(s): {} built, {} reused, {} excluded, {} stale removed ({:.1} s; frames at {} fps from the {})",
            report.out.display(),
            report.lesson_id,
            report.items,
            report.built,
            report.reused,
            report.excluded,
            report.stale_removed,
            started.elapsed().as_secs_f64(),
            report.fps,
            report.fps_source
        );
        if !report.has_audio {
            outln!("note: the video has no audio track, so no clip audio was written");
        }
    }
    Ok(())
}

fn run_prepare(a: PrepareArgs, settings: &Settings, ui: &Ui) -> Result<(), Failure> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| settings.dataset.path.clone());
    let mut ds = Dataset::open(&dir)?;
    let rows = ds.rows();
    let mut remove = match &a.exclude {
        Some(list) => parse_selection(list, &rows)?,
        None => Vec::new(),
    };
    if !a.skip_deletion && a.exclude.is_none() {
        let stdin = std::io::stdin();
        let opts = PromptOptions {
            yes: a.yes,
            inline_images: PromptOptions::detect_inline_images(),
        };
        let mut input = stdin.lock();
        let mut out = std::io::stdout().lock();
        remove = prompt_removals(&mut input, &mut out, &dir, &rows, &opts)
            .map_err(|e| Failure::input("io-error", format!("terminal: {e}")))?;
    }
    let removed = ds.exclude(&remove);
    ds.save()?;
    let mut transcribed = None;
    if !a.no_transcribe {
        let language = a.asr.language(settings)?;
        let diarizer = if a.no_speakers {
            None
        } else {
            Some(a.speaker_models.load()?)
        };
        let asr = a.asr.load(settings)?;
        let progress = ui.progress();
        let opts = ppi_speakers::Options {
            count: a.speakers,
            teacher: None,
            threads: a.asr.threads.unwrap_or(0),
            ..Default::default()
        };
        let speakers = diarizer.as_ref().map(|d| (d, &opts));
        let result = transcribe(&mut ds, &asr, &language, speakers, &progress);
        // Whatever was transcribed before a failure is kept.
        ds.save()?;
        transcribed = Some(result?);
    }
    if !ui.quiet {
        outln!(
            "{}: {} item(s) removed, {} remain; metadata.csv, metadata.jsonl and README.md rebuilt",
            dir.display(),
            removed,
            ds.manifest.items.len()
        );
        if let Some(t) = transcribed {
            outln!(
                "transcripts: {} clip(s), {} lesson(s) transcribed, {} reused; languages: {}",
                t.clips,
                t.lessons_transcribed,
                t.lessons_reused,
                if t.languages.is_empty() {
                    "none (no speech)".to_owned()
                } else {
                    t.languages.join(", ")
                }
            );
        }
    }
    Ok(())
}
