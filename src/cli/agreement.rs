//! `ppi agreement EXPORT.json`: agreement between the annotators of each task of a Label Studio
//! export, as a table a researcher can paste (text, CSV) or JSON; with `--with-predictions`,
//! each prediction measured like one more annotator, named by its model version.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use ppi_agreement::{self as agreement, report, ConsensusRule, GateMeasure, Options};
use ppi_core::domain::Fps;
use ppi_core::error::ErrorKind;
use ppi_label_studio::export;
use ppi_label_studio::model::ExportTask;
use ppi_label_studio::result;
use ppi_server::config::Settings;

/// Which CSV table: one row per task and label, per pair of annotators and label, or per
/// annotator against the consensus of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    Tasks,
    Pairs,
    Annotators,
    /// With --with-predictions: the humans pairwise and each model version against the
    /// consensus, per task and over all (`task` = all).
    Machine,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct AgreementArgs {
    /// A Label Studio export with several annotations per task (any JSON shape LS exports).
    pub export: PathBuf,
    /// Intervals match when their intersection over union reaches this.
    #[arg(long, default_value_t = 0.5)]
    pub iou: f64,
    /// The labels to report, comma-separated [default: every label used; with --patterns,
    /// the sheet's patterns, used or not, first].
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// The patterns sheet: its patterns are reported even when nobody used one.
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// With --format csv, the table: tasks (per task and label), pairs (the annotator matrix:
    /// Cohen's κ per pair and label over the tasks they share) or annotators (each against
    /// the consensus of the others). Text and JSON carry all three.
    #[arg(long, value_enum, default_value = "tasks")]
    pub table: Table,
    /// Frame rate for tasks without `fps`.
    #[arg(long)]
    pub fps: Option<f64>,
    /// Lesson length in frames for tasks without `frames` (or `duration`) in their data
    /// [default: the last frame anyone marked].
    #[arg(long)]
    pub frames: Option<u64>,
    /// Only this task.
    #[arg(long)]
    pub task: Option<i64>,
    /// Control (`from_name`) holding the pattern intervals, when there are several.
    #[arg(long)]
    pub from_name: Option<String>,
    /// How the consensus is formed: majority (frames most annotators marked) or mean
    /// (matched intervals, averaged bounds).
    #[arg(long, default_value = "majority")]
    pub consensus: ConsensusRule,
    /// The gate: the κ a task needs for its consensus to go to review.
    #[arg(long, default_value_t = 0.6)]
    pub gate: f64,
    /// Which κ the gate reads: pooled, macro or alpha.
    #[arg(long, default_value = "pooled")]
    pub gate_measure: GateMeasure,
    /// Measure each task's predictions like one more annotator, named by its model version:
    /// paired with every human in the matrix, and against the humans' consensus (κ per label,
    /// F1 at --iou, boundary error in seconds) beside the humans' pairwise figures. PPI's own
    /// consensus predictions are left out. Predictions the export lists only by id (LS's JSON
    /// export) are fetched from Label Studio (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY).
    #[arg(long)]
    pub with_predictions: bool,
}

fn invalid(message: String) -> Failure {
    Failure {
        code: "invalid-argument",
        kind: ErrorKind::Input,
        message,
    }
}

/// The lesson length of a task: `data.frames`, `data.duration` × fps, `--frames`, else the
/// last marked frame (and a note saying so).
fn frames_of(task: &ExportTask, fps: Fps, flag: Option<u64>) -> (u64, Option<&'static str>) {
    if let Some(n) = task.data.get("frames").and_then(serde_json::Value::as_u64) {
        return (n, None);
    }
    if let Some(d) = task
        .data
        .get("duration")
        .and_then(serde_json::Value::as_f64)
    {
        return ((d * fps.get()).round() as u64, None);
    }
    match flag {
        Some(n) => (n, None),
        None => (
            0,
            Some("lesson length unknown: frames up to the last marked one (give --frames or data.frames)"),
        ),
    }
}

pub fn run(a: AgreementArgs, settings: &Settings) -> Result<(), Failure> {
    if !(a.iou > 0.0 && a.iou <= 1.0) {
        return Err(invalid(format!("--iou {} must be in (0, 1]", a.iou)));
    }
    if !(-1.0..=1.0).contains(&a.gate) {
        return Err(invalid(format!("--gate {} must be in [-1, 1]", a.gate)));
    }
    let flag_fps = a
        .fps
        .map(Fps::new)
        .transpose()
        .map_err(|e| invalid(format!("--fps: {e}")))?;
    let sheet = a
        .patterns
        .as_deref()
        .map(ppi_core::catalog::sheet::load)
        .transpose()?;
    let all_labels: Vec<String> = sheet
        .as_ref()
        .map(|c| c.patterns().iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    let mut ex = export::read(&a.export)?;
    if a.with_predictions {
        fetch_predictions(&mut ex, settings)?;
    } else if a.table == Table::Machine {
        return Err(invalid("--table machine needs --with-predictions".into()));
    }
    let field = |e: ppi_label_studio::model::FieldError| export::ExportError::Invalid {
        file: a.export.clone(),
        pointer: e.pointer,
        detail: e.detail,
    };
    let mut text = String::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut json_tasks = Vec::new();
    let mut matrices = Vec::new();
    let mut benches = Vec::new();
    let mut machine_rows: Vec<Vec<String>> = Vec::new();
    let mut seen = 0;
    for task in ex
        .tasks
        .iter()
        .filter(|t| a.task.is_none() || t.id == a.task)
    {
        seen += 1;
        let name = task
            .id
            .map(|i| i.to_string())
            .unwrap_or_else(|| task.pointer.clone());
        let fps = match (task.fps().map_err(field)?, flag_fps) {
            (Some(f), _) | (None, Some(f)) => f,
            (None, None) => {
                return Err(invalid(format!(
                    "{}: {} has no fps in its data; give --fps",
                    a.export.display(),
                    task.describe()
                )))
            }
        };
        let markings = result::markings(
            task,
            a.from_name.as_deref(),
            fps,
            settings.label_studio.neutral(),
        )
        .map_err(field)?;
        let machines = if a.with_predictions {
            result::prediction_markings(
                task,
                a.from_name.as_deref(),
                fps,
                settings.label_studio.neutral(),
            )
            .map_err(field)?
        } else {
            Vec::new()
        };
        if markings.len() < 2 {
            let why = format!("{} annotator(s): nothing to compare", markings.len());
            text.push_str(&format!("task {name}: skipped, {why}\n"));
            json_tasks.push(serde_json::json!({"task": name, "skipped": why}));
            continue;
        }
        let (frames, note) = frames_of(task, fps, a.frames);
        let o = Options {
            frames,
            iou: a.iou,
            labels: (!a.labels.is_empty()).then(|| a.labels.clone()),
            all_labels: all_labels.clone(),
            gate: a.gate,
            gate_measure: a.gate_measure,
            consensus: a.consensus,
        };
        let r = agreement::analyse_with_machines(&markings, &machines, &o, fps.get());
        text.push_str(&report::text(&name, &r));
        if let Some(b) = &r.machine {
            text.push_str(&agreement::machine::text(b, a.iou));
            machine_rows.extend(agreement::machine::rows(&name, b));
            benches.push(b.clone());
        } else if a.with_predictions {
            text.push_str("  the machine: no prediction on this task\n");
        }
        if let Some(n) = note {
            text.push_str(&format!("  note: {n}\n"));
        }
        rows.extend(report::csv_rows(&name, &r));
        json_tasks.push(serde_json::json!({"task": name, "note": note, "report": r}));
        matrices.push(r.matrix);
    }
    if seen == 0 {
        return Err(invalid(format!(
            "{}: no task{}",
            a.export.display(),
            a.task.map(|t| format!(" {t}")).unwrap_or_default()
        )));
    }
    // Over every task: the pairs' cells and matches add up (κ over the tasks a pair shares).
    let matrix = agreement::matrix::Matrix::merge(&matrices);
    let overall = a
        .with_predictions
        .then(|| agreement::machine::Bench::merge(&benches));
    match a.format {
        Format::Text => {
            let m = report::matrix_text(&matrix);
            out!("{text}{}{m}", if m.is_empty() { "" } else { "\n" });
            if let Some(b) = &overall {
                out!("\nover every task:\n{}", agreement::machine::text(b, a.iou));
            }
        }
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "tasks": json_tasks, "matrix": matrix, "machine": overall })
            )
            .unwrap_or_default()
        ),
        Format::Csv => {
            // Built in memory, then written like every other report: a reader that leaves
            // early (`| head`) is not an error of the command.
            let mut w = csv::Writer::from_writer(Vec::new());
            let io = |e: csv::Error| Failure {
                code: "io-error",
                kind: ErrorKind::Internal,
                message: e.to_string(),
            };
            let (header, rows): (&[&str], _) = match a.table {
                Table::Tasks => (&report::CSV_HEADER, rows),
                Table::Pairs => (&report::PAIRS_HEADER, report::pair_rows(&matrix)),
                Table::Annotators => (&report::ANNOTATORS_HEADER, report::annotator_rows(&matrix)),
                Table::Machine => {
                    let mut rows = machine_rows;
                    if let Some(b) = &overall {
                        rows.extend(agreement::machine::rows("all", b));
                    }
                    (&agreement::machine::CSV_HEADER, rows)
                }
            };
            w.write_record(header).map_err(io)?;
            for r in rows {
                w.write_record(&r).map_err(io)?;
            }
            let bytes = w.into_inner().map_err(|e| io(e.into_error().into()))?;
            out!("{}", String::from_utf8_lossy(&bytes));
        }
    }
    Ok(())
}

/// Fills the predictions that the export lists only by id (LS's JSON export) from Label
/// Studio, task by task; without LS configured, names the first such task.
fn fetch_predictions(
    ex: &mut ppi_label_studio::model::Export,
    settings: &Settings,
) -> Result<(), Failure> {
    let wanting: Vec<usize> = (0..ex.tasks.len())
        .filter(|&i| ex.tasks[i].predictions.is_empty() && !ex.tasks[i].prediction_ids.is_empty())
        .collect();
    let Some(&first) = wanting.first() else {
        return Ok(());
    };
    let Some(client) = ppi_label_studio::client::LsClient::from_settings(&settings.label_studio)?
    else {
        return Err(invalid(format!(
            "{}: {}.predictions lists prediction ids only (LS's JSON export); set \
             LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY so that PPI fetches them, or save \
             GET /api/tasks/?project=ID&fields=all instead",
            ex.file.display(),
            ex.tasks[first].pointer
        )));
    };
    let rt = super::runtime()?;
    for i in wanting {
        let Some(id) = ex.tasks[i].id else { continue };
        let list = rt.block_on(client.predictions(id))?;
        ex.tasks[i].predictions = list
            .iter()
            .enumerate()
            .map(|(k, p)| export::parse_prediction(p, &format!("task {id}: prediction [{k}]")))
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("Label Studio's {}: {}", e.pointer, e.detail)))?;
    }
    Ok(())
}
