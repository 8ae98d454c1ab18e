//! Parses Label Studio exports in every shape users produce: the full JSON export (a list of
//! tasks), JSON_MIN, a single task object and a bare `result` list.
//!
//! Parsing is strict. Every error names the file and the JSON path of the offending field,
//! such as `[0].annotations[1].result[2].value.ranges[0].end`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::model::{
    kind, Export, ExportAnnotation, ExportShape, ExportTask, FieldError, ResultItem,
};
use super::result::{parse_min_value, parse_result_item};
use ppi_core::domain::Fps;
use ppi_core::error::{Coded, ErrorKind};

/// Errors reading an export. Messages name the file and the JSON path.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: line {line}, column {column}: malformed JSON: {detail}")]
    Malformed {
        file: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("{file}: {pointer}: {detail}")]
    Invalid {
        file: PathBuf,
        pointer: String,
        detail: String,
    },
    #[error("{file}: {detail}")]
    NoTask { file: PathBuf, detail: String },
}

impl Coded for ExportError {
    fn code(&self) -> &'static str {
        match self {
            ExportError::Read { .. } => "annotations-unreadable",
            ExportError::Malformed { .. } => "annotations-malformed-json",
            ExportError::Invalid { .. } => "annotations-invalid",
            ExportError::NoTask { .. } => "annotations-task-not-found",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}

/// A field error in `file`.
fn in_file(e: FieldError, file: &Path) -> ExportError {
    ExportError::Invalid {
        file: file.into(),
        pointer: e.pointer,
        detail: e.detail,
    }
}

/// Reads and parses an export file.
pub fn read(path: &Path) -> Result<Export, ExportError> {
    let bytes = std::fs::read(path).map_err(|source| ExportError::Read {
        file: path.into(),
        source,
    })?;
    parse(path, &bytes)
}

/// Parses export bytes; `file` is used in messages only.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Export, ExportError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ExportError::Malformed {
        file: file.into(),
        line: e.line(),
        column: e.column(),
        detail: e.to_string(),
    })?;
    let (shape, tasks) = parse_value(&value).map_err(|e| in_file(e, file))?;
    Ok(Export {
        file: file.into(),
        shape,
        tasks,
    })
}

fn is_result_item(v: &Value) -> bool {
    v.get("value").is_some() && (v.get("from_name").is_some() || v.get("type").is_some())
}

fn is_task(v: &Value) -> bool {
    v.get("annotations").is_some() || v.get("data").is_some_and(Value::is_object)
}

/// Recognises the shape and parses the tasks.
pub fn parse_value(value: &Value) -> Result<(ExportShape, Vec<ExportTask>), FieldError> {
    match value {
        Value::Array(items) => {
            let Some(first) = items.first() else {
                return Err(FieldError::new("$", "the export is an empty list"));
            };
            if is_result_item(first) {
                let results = parse_results(items, "")?;
                let task = ExportTask {
                    id: None,
                    data: Map::new(),
                    annotations: vec![ExportAnnotation {
                        id: None,
                        annotator: None,
                        was_cancelled: false,
                        created_at: None,
                        updated_at: None,
                        results,
                        pointer: "$".into(),
                    }],
                    pointer: "$".into(),
                    ..ExportTask::default()
                };
                Ok((ExportShape::BareResult, vec![task]))
            } else if is_task(first) {
                let tasks = items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| parse_task(t, &format!("[{i}]")))
                    .collect::<Result<_, _>>()?;
                Ok((ExportShape::FullJson, tasks))
            } else {
                let tasks = items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| parse_min_row(t, &format!("[{i}]")))
                    .collect::<Result<_, _>>()?;
                Ok((ExportShape::JsonMin, tasks))
            }
        }
        Value::Object(_) if is_task(value) => {
            Ok((ExportShape::SingleTask, vec![parse_task(value, "$")?]))
        }
        Value::Object(map) if map.get("tasks").is_some_and(Value::is_array) => {
            // The tasks API (`GET /api/tasks/?project=ID&fields=all`).
            let tasks = map["tasks"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, t)| parse_task(t, &format!("$.tasks[{i}]")))
                .collect::<Result<_, _>>()?;
            Ok((ExportShape::FullJson, tasks))
        }
        Value::Object(map) if map.get("result").is_some_and(Value::is_array) => {
            // A lone annotation object (`GET /api/annotations/{id}`).
            let ann = parse_annotation(value, "$")?;
            let task = ExportTask {
                id: map.get("task").and_then(Value::as_i64),
                data: Map::new(),
                annotations: vec![ann],
                pointer: "$".into(),
                ..ExportTask::default()
            };
            Ok((ExportShape::SingleTask, vec![task]))
        }
        Value::Object(_) => Ok((ExportShape::JsonMin, vec![parse_min_row(value, "$")?])),
        _ => Err(FieldError::new(
            "$",
            "expected a list of tasks, a task object or a list of result items",
        )),
    }
}

fn object<'a>(v: &'a Value, pointer: &str) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object()
        .ok_or_else(|| FieldError::new(pointer, format!("expected an object, found {}", kind(v))))
}

fn opt_i64(map: &Map<String, Value>, key: &str, pointer: &str) -> Result<Option<i64>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            FieldError::new(
                format!("{pointer}.{key}"),
                format!("expected an integer id, found {}", kind(v)),
            )
        }),
    }
}

fn opt_string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn annotator_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| o.get("id").map(Value::to_string)),
        _ => None,
    }
}

fn parse_task(v: &Value, pointer: &str) -> Result<ExportTask, FieldError> {
    let map = object(v, pointer)?;
    let data = match map.get("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(other) => {
            return Err(FieldError::new(
                format!("{pointer}.data"),
                format!("expected an object, found {}", kind(other)),
            ))
        }
    };
    let annotations = match map.get("annotations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, a)| parse_annotation(a, &format!("{pointer}.annotations[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(FieldError::new(
                format!("{pointer}.annotations"),
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let (predictions, prediction_ids) = parse_predictions(map.get("predictions"), pointer)?;
    Ok(ExportTask {
        id: opt_i64(map, "id", pointer)?,
        data,
        annotations,
        predictions,
        prediction_ids,
        pointer: pointer.to_owned(),
    })
}

/// A task's `predictions`: objects with their results, or bare ids (LS's JSON export).
fn parse_predictions(
    v: Option<&Value>,
    pointer: &str,
) -> Result<(Vec<ExportAnnotation>, Vec<i64>), FieldError> {
    let list = match v {
        None | Some(Value::Null) => return Ok((Vec::new(), Vec::new())),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(FieldError::new(
                format!("{pointer}.predictions"),
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let (mut full, mut ids) = (Vec::new(), Vec::new());
    for (i, p) in list.iter().enumerate() {
        let at = format!("{pointer}.predictions[{i}]");
        match p {
            Value::Number(n) => ids.push(n.as_i64().ok_or_else(|| {
                FieldError::new(&at, format!("expected an integer id, found {n}"))
            })?),
            _ => full.push(parse_prediction(p, &at)?),
        }
    }
    Ok((full, ids))
}

/// One prediction object (`GET /api/predictions/?task=ID` or a task's `predictions`) as an
/// annotation whose annotator is its `model_version`.
pub fn parse_prediction(v: &Value, pointer: &str) -> Result<ExportAnnotation, FieldError> {
    let mut a = parse_annotation(v, pointer)?;
    let version = v
        .get("model_version")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    a.annotator = Some(match (version, a.id) {
        (Some(v), _) => v.to_owned(),
        (None, Some(id)) => format!("prediction {id}"),
        (None, None) => format!("prediction at {pointer}"),
    });
    Ok(a)
}

fn parse_annotation(v: &Value, pointer: &str) -> Result<ExportAnnotation, FieldError> {
    let map = object(v, pointer)?;
    let results = match map.get("result") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => parse_results(items, &format!("{pointer}.result"))?,
        Some(other) => {
            return Err(FieldError::new(
                format!("{pointer}.result"),
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let was_cancelled = match map.get("was_cancelled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(FieldError::new(
                format!("{pointer}.was_cancelled"),
                format!("expected true or false, found {}", kind(other)),
            ))
        }
    };
    Ok(ExportAnnotation {
        id: opt_i64(map, "id", pointer)?,
        annotator: annotator_of(map.get("completed_by")),
        was_cancelled,
        created_at: opt_string(map, "created_at"),
        updated_at: opt_string(map, "updated_at"),
        results,
        pointer: pointer.to_owned(),
    })
}

fn parse_results(items: &[Value], pointer: &str) -> Result<Vec<ResultItem>, FieldError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let p = if pointer.is_empty() {
                format!("[{i}]")
            } else {
                format!("{pointer}[{i}]")
            };
            parse_result_item(item, &p)
        })
        .collect()
}

/// Keys JSON_MIN adds to each row besides task data and controls.
const MIN_META_KEYS: &[&str] = &[
    "id",
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
];

fn parse_min_row(v: &Value, pointer: &str) -> Result<ExportTask, FieldError> {
    let map = object(v, pointer)?;
    let mut data = Map::new();
    let mut results = Vec::new();
    for (key, value) in map {
        if MIN_META_KEYS.contains(&key.as_str()) {
            continue;
        }
        let p = format!("{pointer}.{key}");
        match parse_min_value(key, value, &p)? {
            Some(items) => results.extend(items),
            None => {
                data.insert(key.clone(), value.clone());
            }
        }
    }
    let annotation_id = opt_i64(map, "annotation_id", pointer)?;
    let annotator = annotator_of(map.get("annotator"));
    let annotations = if results.is_empty() && annotation_id.is_none() {
        Vec::new()
    } else {
        vec![ExportAnnotation {
            id: annotation_id,
            annotator,
            was_cancelled: false,
            created_at: opt_string(map, "created_at"),
            updated_at: opt_string(map, "updated_at"),
            results,
            pointer: pointer.to_owned(),
        }]
    };
    Ok(ExportTask {
        id: opt_i64(map, "id", pointer)?,
        data,
        annotations,
        pointer: pointer.to_owned(),
        ..ExportTask::default()
    })
}

impl ExportTask {
    /// The task's `fps` data field, if present.
    pub fn fps(&self) -> Result<Option<Fps>, FieldError> {
        let pointer = format!("{}.data.fps", self.pointer);
        let value = match self.data.get("fps") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(other) => {
                return Err(FieldError::new(
                    pointer,
                    format!("expected a number, found {}", kind(other)),
                ))
            }
        };
        let value = value.ok_or_else(|| FieldError::new(&pointer, "expected a number"))?;
        Fps::new(value)
            .map(Some)
            .map_err(|e| FieldError::new(pointer, e.to_string()))
    }

    /// The task's media reference: `data.video`, else the first string that looks like media.
    pub fn video_ref(&self) -> Option<&str> {
        if let Some(v) = self.data.get("video").and_then(Value::as_str) {
            return Some(v);
        }
        self.data.values().filter_map(Value::as_str).find(|s| {
            let lower = s.to_lowercase();
            [".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"]
                .iter()
                .any(|ext| lower.split(['?', '#']).next().unwrap_or("").ends_with(ext))
        })
    }

    /// The `lesson_id` data field, if any.
    pub fn lesson_id(&self) -> Option<String> {
        match self.data.get("lesson_id")? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A short description for messages: `task 3 (lesson-003.mp4)`.
    pub fn describe(&self) -> String {
        let id = self
            .id
            .map(|i| format!("task {i}"))
            .unwrap_or_else(|| format!("task at {}", self.pointer));
        match self.video_ref() {
            Some(v) => format!("{id} ({})", media_file_name(v)),
            None => id,
        }
    }
}

/// The file name part of a media reference, undoing Label Studio's upload prefix handling:
/// `/data/upload/1/3f9a2c1d-lesson 03.mp4` gives `3f9a2c1d-lesson 03.mp4`.
pub fn media_file_name(reference: &str) -> String {
    let without_query = reference.split(['?', '#']).next().unwrap_or(reference);
    // Local-files URLs carry the path in the `d` query parameter.
    let path = if let Some((_, q)) = reference.split_once("?d=") {
        q.split('&').next().unwrap_or(q)
    } else {
        without_query
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    percent_decode(name)
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Export {
    /// Picks the task for `video`: by `--task` id if given, else the only task, else the one
    /// whose media file name matches the video's (allowing LS's `<hash>-` upload prefix).
    pub fn pick_task(
        &self,
        video: &Path,
        task_id: Option<i64>,
    ) -> Result<&ExportTask, ExportError> {
        let no_task = |detail: String| ExportError::NoTask {
            file: self.file.clone(),
            detail,
        };
        if let Some(id) = task_id {
            return self.tasks.iter().find(|t| t.id == Some(id)).ok_or_else(|| {
                no_task(format!(
                    "no task with id {id}; tasks: {}",
                    self.list_tasks()
                ))
            });
        }
        if self.tasks.len() == 1 {
            return Ok(&self.tasks[0]);
        }
        let want = video
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let matches: Vec<&ExportTask> = self
            .tasks
            .iter()
            .filter(|t| {
                t.video_ref().is_some_and(|v| {
                    let name = media_file_name(v).to_lowercase();
                    name == want || name.ends_with(&format!("-{want}"))
                })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(no_task(format!(
                "no task refers to {want:?}; pass --task ID to choose one of: {}",
                self.list_tasks()
            ))),
            _ => Err(no_task(format!(
                "{} tasks refer to {want:?}; pass --task ID to choose one of: {}",
                matches.len(),
                matches
                    .iter()
                    .map(|t| t.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn list_tasks(&self) -> String {
        let mut names: Vec<String> = self
            .tasks
            .iter()
            .take(10)
            .map(ExportTask::describe)
            .collect();
        if self.tasks.len() > 10 {
            names.push(format!("and {} more", self.tasks.len() - 10));
        }
        names.join(", ")
    }
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
