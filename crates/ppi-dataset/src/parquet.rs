//! The dataset as Parquet: `data/train-XXXXX-of-YYYYY.parquet`, one row per clip, the metadata
//! columns plus `video`, `image`, `image_cropped` and `audio` embedded as
//! `struct<bytes: binary, path: string>`, with the `huggingface` schema metadata that tells
//! `datasets` to decode them (Video, Image, Audio at 16 kHz). This is the table
//! `load_dataset(repo)` and the Hub viewer read; the folders stay for people and other tools.
//!
//! Shards hold up to 500 MB of media and are written in row groups of a few clips, so memory
//! stays bounded. Output is deterministic: an unchanged dataset gives byte-identical files,
//! which the publisher then skips.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::{json, Value};

use super::layout::Layout;
use super::metadata::{columns, Row};

/// Media per shard.
pub const SHARD_BYTES: u64 = 500 << 20;
/// Clips per row group.
const GROUP_ROWS: usize = 8;
pub const DATA_DIR: &str = "data";

/// An embedded media column: its name, the row's relative path field, its `datasets` feature.
type MediaColumn = (&'static str, fn(&Row) -> &str, Value);

/// The embedded media columns.
fn media_columns() -> [MediaColumn; 4] {
    [
        ("video", |r| &r.video_file, json!({"_type": "Video"})),
        ("image", |r| &r.image_file, json!({"_type": "Image"})),
        (
            "image_cropped",
            |r| &r.image_cropped_file,
            json!({"_type": "Image"}),
        ),
        (
            "audio",
            |r| &r.audio_file,
            json!({"sampling_rate": 16000, "_type": "Audio"}),
        ),
    ]
}

fn media_fields() -> Fields {
    Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ])
}

/// Column types from the row's JSON shape: numbers stay numbers, the rest is text.
fn kind(v: &Value) -> DataType {
    match v {
        Value::Number(n) if n.is_f64() => DataType::Float64,
        Value::Number(_) => DataType::Int64,
        _ => DataType::Utf8,
    }
}

/// Columns that may be empty, with their type: who speaks in the clip.
fn nullable(c: &str) -> Option<DataType> {
    match c {
        "teacher_share" | "student_share" => Some(DataType::Float64),
        "speakers" | "turns" | "questions" | "open_questions" => Some(DataType::Int64),
        _ => None,
    }
}

fn schema(sample: &Value) -> Schema {
    let mut fields: Vec<Field> = columns()
        .into_iter()
        .map(|c| match nullable(c) {
            Some(t) => Field::new(c, t, true),
            None => Field::new(c, kind(&sample[c]), false),
        })
        .collect();
    let mut features = serde_json::Map::new();
    for f in &fields {
        let dtype = match f.data_type() {
            DataType::Float64 => "float64",
            DataType::Int64 => "int64",
            _ => "string",
        };
        features.insert(f.name().clone(), json!({"dtype": dtype, "_type": "Value"}));
    }
    for (name, _, feature) in media_columns() {
        fields.push(Field::new(name, DataType::Struct(media_fields()), true));
        features.insert(name.to_owned(), feature);
    }
    let meta = json!({"info": {"features": features}}).to_string();
    Schema::new(fields).with_metadata([("huggingface".to_owned(), meta)].into_iter().collect())
}

fn batch(layout: &Layout, schema: &Arc<Schema>, rows: &[Row]) -> std::io::Result<RecordBatch> {
    let json: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .collect();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in columns() {
        let field = schema.field_with_name(c).map_err(std::io::Error::other)?;
        let array: ArrayRef = match field.data_type() {
            DataType::Float64 if field.is_nullable() => {
                Arc::new(Float64Array::from_iter(json.iter().map(|v| v[c].as_f64())))
            }
            DataType::Int64 if field.is_nullable() => {
                Arc::new(Int64Array::from_iter(json.iter().map(|v| v[c].as_i64())))
            }
            DataType::Float64 => Arc::new(Float64Array::from_iter_values(
                json.iter().map(|v| v[c].as_f64().unwrap_or(0.0)),
            )),
            DataType::Int64 => Arc::new(Int64Array::from_iter_values(
                json.iter().map(|v| v[c].as_i64().unwrap_or(0)),
            )),
            _ => Arc::new(StringArray::from_iter_values(
                json.iter()
                    .map(|v| v[c].as_str().unwrap_or_default().to_owned()),
            )),
        };
        arrays.push(array);
    }
    for (_, rel, _) in media_columns() {
        let mut bytes = BinaryBuilder::new();
        let mut paths = StringBuilder::new();
        let mut valid = Vec::with_capacity(rows.len());
        for r in rows {
            let rel = rel(r);
            if rel.is_empty() {
                bytes.append_null();
                paths.append_null();
                valid.push(false);
                continue;
            }
            let data = std::fs::read(layout.abs(rel)).map_err(|e| {
                std::io::Error::new(e.kind(), format!("{}: {e}", layout.abs(rel).display()))
            })?;
            bytes.append_value(&data);
            paths.append_value(rel.rsplit('/').next().unwrap_or(rel));
            valid.push(true);
        }
        let children: Vec<ArrayRef> = vec![Arc::new(bytes.finish()), Arc::new(paths.finish())];
        arrays.push(Arc::new(
            StructArray::try_new(media_fields(), children, Some(valid.into()))
                .map_err(std::io::Error::other)?,
        ));
    }
    RecordBatch::try_new(schema.clone(), arrays).map_err(std::io::Error::other)
}

/// Media bytes of one row.
fn media_size(layout: &Layout, r: &Row) -> u64 {
    media_columns()
        .iter()
        .map(|(_, rel, _)| rel(r))
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::fs::metadata(layout.abs(p)).ok())
        .map(|m| m.len())
        .sum()
}

/// Writes the shards for `rows` (sorted by id), replacing earlier ones; returns their
/// dataset-relative names. No rows, no files.
pub fn write_shards(layout: &Layout, rows: &[Row]) -> std::io::Result<Vec<String>> {
    let dir = layout.abs(DATA_DIR);
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    // Shards by media size.
    let mut shards: Vec<Vec<Row>> = Vec::new();
    let mut size = 0u64;
    for r in rows {
        let s = media_size(layout, r);
        if shards.is_empty()
            || (size + s > SHARD_BYTES && !shards.last().is_some_and(Vec::is_empty))
        {
            shards.push(Vec::new());
            size = 0;
        }
        size += s;
        // The first row always opens a shard above.
        shards.last_mut().expect("a shard").push(r.clone());
    }
    std::fs::create_dir_all(&dir)?;
    let n = shards.len();
    let names: Vec<String> = (0..n)
        .map(|i| format!("{DATA_DIR}/train-{i:05}-of-{n:05}.parquet"))
        .collect();
    for (shard, name) in shards.iter().zip(&names) {
        write_shard(layout, shard, &layout.abs(name))?;
    }
    // Shards of an earlier, differently sized table.
    for e in std::fs::read_dir(&dir)? {
        let e = e?;
        let rel = format!("{DATA_DIR}/{}", e.file_name().to_string_lossy());
        if rel.ends_with(".parquet") && !names.contains(&rel) {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(names)
}

fn write_shard(layout: &Layout, rows: &[Row], to: &Path) -> std::io::Result<()> {
    let sample = serde_json::to_value(&rows[0]).unwrap_or_default();
    let schema = Arc::new(schema(&sample));
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(GROUP_ROWS))
        .set_created_by(format!("ppi {}", env!("CARGO_PKG_VERSION")))
        .build();
    ppi_core::atomic::write_with(to, |file| {
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props.clone()))
            .map_err(std::io::Error::other)?;
        for chunk in rows.chunks(GROUP_ROWS) {
            w.write(&batch(layout, &schema, chunk)?)
                .map_err(std::io::Error::other)?;
            w.flush().map_err(std::io::Error::other)?;
        }
        w.close().map_err(std::io::Error::other)?;
        Ok(())
    })
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
