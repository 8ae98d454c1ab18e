//! The MCP resources: each dataset's card and `metadata.csv`, and a lesson's transcript, by
//! URI. A `DL-user` reads their own datasets and lessons; an admin reads all of them and the
//! review-assembled dataset.
//!
//! - `ppi://datasets/{owner}/{dataset}/card` and `…/metadata.csv`
//! - `ppi://review-dataset/card` and `ppi://review-dataset/metadata.csv` (admin)
//! - `ppi://lessons/{lesson_id}/transcript` (JSON: language, model, segments, turns)
//! - `ppi://lessons/{lesson_id}/turns` (JSON: talk per speaker and role, the turns)
//! - `ppi://lessons/{lesson_id}/activity` (JSON: the teacher's questions, wait times, and the
//!   activity per 2-minute bin)

use std::path::{Path, PathBuf};

use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::app::App;
use crate::server::auth::Caller;
use crate::server::error::{ApiError, ApiResult};
use ppi_core::domain::Username;
use ppi_dataset::layout::{Layout, CARD, METADATA_CSV};

const CSV: &str = "text/csv";
const MARKDOWN: &str = "text/markdown";

/// The URI templates.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("ppi://datasets/{owner}/{dataset}/card", "dataset card")
            .with_description("A dataset's card (README.md with its YAML header)")
            .with_mime_type(MARKDOWN),
        ResourceTemplate::new(
            "ppi://datasets/{owner}/{dataset}/metadata.csv",
            "dataset metadata",
        )
        .with_description("A dataset's metadata.csv: one row per item")
        .with_mime_type(CSV),
        ResourceTemplate::new("ppi://lessons/{lesson_id}/transcript", "lesson transcript")
            .with_description("A lesson's Whisper transcript: language, model, timed segments with their speaker and role, and the speaker turns")
            .with_mime_type("application/json"),
        ResourceTemplate::new("ppi://lessons/{lesson_id}/turns", "lesson speaker turns")
            .with_description("Who speaks in a lesson: talk per speaker and per role (teacher, student, several at once, silence) and the turns {start, end, speaker, role, overlap}")
            .with_mime_type("application/json"),
        ResourceTemplate::new("ppi://lessons/{lesson_id}/activity", "lesson activity")
            .with_description("What happens in a lesson: the teacher's questions {start, end, text, type open|closed}, Rowe's wait times (WT1 after each question, WT2 after the answer; medians; the share of questions with WT1 >= 3 s) and the activity of each 2-minute bin (teacher-talk, student-talk, discussion, group-work, quiet-work)")
            .with_mime_type("application/json"),
    ]
}

fn pair(uri: &str, name: &str, dir: &Path) -> [Resource; 2] {
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
    [
        Resource::new(format!("{uri}/card"), format!("{name}: card"))
            .with_mime_type(MARKDOWN)
            .with_size(size(CARD)),
        Resource::new(
            format!("{uri}/metadata.csv"),
            format!("{name}: metadata.csv"),
        )
        .with_mime_type(CSV)
        .with_size(size(METADATA_CSV)),
    ]
}

fn built(dir: &Path) -> bool {
    Layout::new(dir).manifest().is_file()
}

/// The datasets the caller may read, as concrete resources.
pub fn list(app: &App, caller: &Caller) -> Vec<Resource> {
    let data = &app.settings.server.data_dir;
    let mut out = Vec::new();
    let review = data.join("dataset");
    if caller.is_admin() && built(&review) {
        out.extend(pair("ppi://review-dataset", "review dataset", &review));
    }
    let owners: Vec<String> = if caller.is_admin() {
        read_names(&data.join("datasets"))
    } else {
        vec![caller.name.clone()]
    };
    for owner in owners {
        let Ok(user) = Username::parse(&owner) else {
            continue;
        };
        let root = ppi_dataset::lesson::owned_root(data, &user);
        for ds in read_names(&root) {
            let dir = root.join(&ds);
            if ppi_dataset::lesson::valid_name(&ds) && built(&dir) {
                let uri = format!("ppi://datasets/{owner}/{ds}");
                out.extend(pair(&uri, &format!("{owner}/{ds}"), &dir));
            }
        }
    }
    out
}

fn read_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn missing(uri: &str) -> ApiError {
    ApiError::not_found("resource-not-found", format!("no resource {uri}"))
}

/// The folder and file a dataset URI names, checked against the caller.
fn dataset_file(app: &App, caller: &Caller, uri: &str) -> ApiResult<(PathBuf, &'static str)> {
    let data = &app.settings.server.data_dir;
    let (dir, rest) = if let Some(rest) = uri.strip_prefix("ppi://review-dataset/") {
        if !caller.is_admin() {
            return Err(missing(uri));
        }
        (data.join("dataset"), rest)
    } else {
        let rest = uri
            .strip_prefix("ppi://datasets/")
            .ok_or_else(|| missing(uri))?;
        let mut parts = rest.splitn(3, '/');
        let (Some(owner), Some(ds), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(missing(uri));
        };
        let user = Username::parse(owner).map_err(|_| missing(uri))?;
        if !ppi_dataset::lesson::valid_name(ds) || (owner != caller.name && !caller.is_admin()) {
            return Err(missing(uri));
        }
        (ppi_dataset::lesson::owned_root(data, &user).join(ds), file)
    };
    let (file, mime) = match rest {
        "card" => (CARD, MARKDOWN),
        "metadata.csv" => (METADATA_CSV, CSV),
        _ => return Err(missing(uri)),
    };
    Ok((dir.join(file), mime))
}

/// The speaker part of a stored transcript, as JSON; `None` when it has no speakers.
fn turns_of(transcript: &str) -> Option<String> {
    let t: ppi_asr::Transcript = serde_json::from_str(transcript).ok()?;
    let d = t.diarization()?;
    serde_json::to_string(&serde_json::json!({
        "duration": d.duration,
        "speakers": d.speakers,
        "roles": d.roles,
        "teacher_by": d.teacher_by,
        "turns": d.turns,
    }))
    .ok()
}

/// The questions, wait times and bins of a stored transcript, as JSON; `None` when it has
/// none (transcribed without speakers, or before they existed).
fn activity_of(transcript: &str) -> Option<String> {
    serde_json::to_string(&ppi_activity::LessonEvents::stored(transcript)?).ok()
}

/// Reads one resource.
pub async fn read(app: &App, caller: &Caller, uri: &str) -> ApiResult<ReadResourceResult> {
    if let Some(rest) = uri.strip_prefix("ppi://lessons/") {
        let Some((id, part)) = rest
            .rsplit_once('/')
            .filter(|(_, p)| ["transcript", "turns", "activity"].contains(p))
        else {
            return Err(missing(uri));
        };
        let lesson = crate::server::routes::lessons::visible(app, caller, id).await?;
        let key =
            ppi_store::storage::ObjectKey::parse(&lesson.source_key).ok_or_else(|| missing(uri))?;
        let media_key = ppi_label_studio::media::MediaSource::Stored(key).media_key();
        let media = app.db.media(&media_key).await?.ok_or_else(|| {
            ApiError::not_found(
                "transcript-not-found",
                format!("lesson {id} is not transcribed yet (the transcribe tool queues it)"),
            )
        })?;
        let before = |code: &'static str, what: &str| {
            ApiError::not_found(
                code,
                format!("lesson {id} was transcribed before PPI found {what}: transcribe it again"),
            )
        };
        let body = match part {
            "turns" => {
                turns_of(&media.transcript).ok_or_else(|| before("turns-not-found", "speakers"))?
            }
            "activity" => activity_of(&media.transcript)
                .ok_or_else(|| before("activity-not-found", "questions and activity"))?,
            _ => media.transcript,
        };
        let text = ResourceContents::text(body, uri).with_mime_type("application/json");
        return Ok(ReadResourceResult::new(vec![text]));
    }
    let (path, mime) = dataset_file(app, caller, uri)?;
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|_| missing(uri))?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(
        text, uri,
    )
    .with_mime_type(mime)]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn turns_come_from_a_transcript_with_speakers_only() {
        let with = r#"{"language":"en","languages":[],"model":"m","duration":10.0,"segments":[],
            "speakers":[{"speaker":"S1","role":"teacher","seconds":6.0,"share":0.6,"turns":1}],
            "roles":{"teacher":6.0,"student":0.0,"several":0.0,"silence":4.0,"teacher_share":0.6,
                     "student_share":0.0,"several_share":0.0,"silence_share":0.4},
            "teacher_by":"most-talk",
            "turns":[{"start":0.0,"end":6.0,"speaker":"S1","role":"teacher","overlap":false}]}"#;
        let v: serde_json::Value = serde_json::from_str(&super::turns_of(with).unwrap()).unwrap();
        assert_eq!(v["turns"][0]["role"], "teacher");
        assert_eq!(v["roles"]["teacher_share"], 0.6);
        let without =
            r#"{"language":"en","languages":[],"model":"m","duration":10.0,"segments":[]}"#;
        assert!(super::turns_of(without).is_none());
        assert!(super::activity_of(without).is_none());
        let with_events = r#"{"language":"en","segments":[],"questions":[{"start":1.0,"end":2.0,
            "role":"teacher","speaker":"S1","text":"Why?","type":"open"}],
            "wait_times":{"per_question":[{"question_at":1.0,"wt1":2.5,"wt2":null}],
                          "wt1_median":2.5,"wt2_median":null,"wt1_at_target":0.0},
            "bins":[]}"#;
        let v: serde_json::Value =
            serde_json::from_str(&super::activity_of(with_events).unwrap()).unwrap();
        assert_eq!(v["questions"][0]["type"], "open");
        assert_eq!(v["wait_times"]["wt1_median"], 2.5);
    }
}
