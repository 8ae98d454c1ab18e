//! The Label Studio JSON model PPI reads: export shapes, tasks and annotations, result items
//! with their typed values, labelled intervals, and the field errors that name a JSON path.
//! Parsing lives in [`crate::export`] and [`crate::result`]; this file only says what the
//! parsed data is.

use std::path::PathBuf;

use serde_json::{Map, Value};

use ppi_core::domain::{CropBox, FrameRange};

/// The layout an export file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportShape {
    /// `exportType=JSON`: a list of tasks with `annotations[].result[]`.
    FullJson,
    /// `exportType=JSON_MIN`: flat rows, one control per key.
    JsonMin,
    /// One task object, as `GET /api/tasks/{id}` returns it.
    SingleTask,
    /// A bare list of result items, as found in `annotation.result`.
    BareResult,
}

/// One task of an export.
#[derive(Debug, Clone, Default)]
pub struct ExportTask {
    pub id: Option<i64>,
    pub data: Map<String, Value>,
    pub annotations: Vec<ExportAnnotation>,
    /// The task's predictions with their results (the tasks API with `fields=all`, or PPI's
    /// own fetch), each as an annotation whose annotator is its `model_version`.
    pub predictions: Vec<ExportAnnotation>,
    /// Predictions given only by id (LS's JSON export).
    pub prediction_ids: Vec<i64>,
    /// JSON path of the task, for messages.
    pub pointer: String,
}

/// One annotation of a task.
#[derive(Debug, Clone)]
pub struct ExportAnnotation {
    pub id: Option<i64>,
    pub annotator: Option<String>,
    pub was_cancelled: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub results: Vec<ResultItem>,
    /// JSON path of the annotation, for messages.
    pub pointer: String,
}

/// A parsed export file.
#[derive(Debug, Clone)]
pub struct Export {
    pub file: PathBuf,
    pub shape: ExportShape,
    pub tasks: Vec<ExportTask>,
}

/// A field-level problem found while walking the JSON, before the file name is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// A short name for a JSON value's type, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One result item of an annotation or prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultItem {
    /// The region id (`id`), shared by all items of one region.
    pub region_id: Option<String>,
    /// The control tag's `name`.
    pub from_name: String,
    /// The object tag's `name`.
    pub to_name: Option<String>,
    pub value: ResultValue,
    /// JSON path of the item, for messages.
    pub pointer: String,
}

/// The typed `value` of a result item.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultValue {
    /// `<TimelineLabels>`: frame ranges (1-based, inclusive).
    Timeline {
        ranges: Vec<FrameRange>,
        labels: Vec<String>,
    },
    /// `<Labels>` on `<Audio>` or `<Video>`: seconds.
    Span {
        start: f64,
        end: f64,
        labels: Vec<String>,
    },
    /// `<VideoRectangle>`: a box per keyframe.
    VideoBox {
        keyframes: Vec<BoxKeyframe>,
        labels: Vec<String>,
    },
    /// `<RectangleLabels>` / `<Rectangle>`: one box.
    Box { crop: CropBox, labels: Vec<String> },
    /// `<TextArea>`, possibly per region.
    Text { text: Vec<String> },
    /// `<Choices>`.
    Choices { choices: Vec<String> },
    /// Any other type; kept so that nothing is silently misread.
    Other { kind: String },
}

/// One keyframe of a `videorectangle` sequence. `frame` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxKeyframe {
    pub frame: u64,
    pub enabled: bool,
    pub crop: CropBox,
}

/// A labelled interval taken from an annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledInterval {
    pub range: FrameRange,
    pub label: String,
    pub region_id: Option<String>,
    pub annotation_id: Option<i64>,
    pub annotator: Option<String>,
    /// Crop box in effect at the interval's middle frame, from the annotation's boxes.
    pub crop: Option<CropBox>,
    /// JSON path of the source item.
    pub pointer: String,
}

/// A task as PPI keeps it from a webhook, `/predict` or the reconcile loop: its id, its data
/// and when LS last changed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskRecord {
    pub id: i64,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// One saved version of an annotation, as PPI keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnnotationRecord {
    pub id: i64,
    /// The task it belongs to.
    #[serde(default)]
    pub task: Option<i64>,
    /// The result items as LS saved them (validated against the label config later).
    #[serde(default, deserialize_with = "null_as_default")]
    pub result: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub was_cancelled: bool,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Who saved it: LS sends an id, an e-mail or a user object.
    #[serde(default)]
    pub completed_by: Value,
}

impl TaskRecord {
    /// The fields PPI keeps of an LS task object; `None` without an integer `id`.
    pub fn from_ls(task: &Value) -> Option<TaskRecord> {
        Some(TaskRecord {
            id: task["id"].as_i64()?,
            data: task["data"].clone(),
            updated_at: task["updated_at"].as_str().map(str::to_owned),
        })
    }
}

impl AnnotationRecord {
    /// The fields PPI keeps of an LS annotation object; `None` without an integer `id`.
    pub fn from_ls(a: &Value) -> Option<AnnotationRecord> {
        Some(AnnotationRecord {
            id: a["id"].as_i64()?,
            task: a["task"].as_i64(),
            result: a["result"].as_array().cloned().unwrap_or_default(),
            was_cancelled: a["was_cancelled"].as_bool().unwrap_or(false),
            updated_at: a["updated_at"].as_str().map(str::to_owned),
            completed_by: a["completed_by"].clone(),
        })
    }

    /// The annotator as PPI names them: LS's user id (or e-mail), when it says.
    pub fn annotator(&self) -> Option<String> {
        match &self.completed_by {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Object(o) => o.get("id").map(|v| v.to_string()),
            _ => None,
        }
    }

    /// `updated_at`, or empty.
    pub fn version(&self) -> &str {
        self.updated_at.as_deref().unwrap_or("")
    }
}

/// `null` reads as the type's default (LS writes `null` for fields it has not set).
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
