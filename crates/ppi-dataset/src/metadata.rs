//! The metadata schema (one row per clip) and its CSV and JSON Lines writers.

use std::path::Path;

use ppi_core::atomic;

/// One dataset row. Field order is the CSV column order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The key frame, relative to the dataset root: the column `datasets`' image folder
    /// loader decodes.
    pub file_name: String,
    pub id: String,
    pub lesson_id: String,
    pub source_video: String,
    /// SHA-256 of the whole lesson video: how the Hub and the watcher recognise a lesson
    /// under another name.
    #[serde(default)]
    pub source_sha256: String,
    /// Interval start, seconds (Label Studio frame start, `(start_frame-1)/fps`).
    pub start_time: f64,
    /// Interval end, seconds (end of the last frame, `end_frame/fps`).
    pub end_time: f64,
    /// First frame, 1-based as in Label Studio.
    pub start_frame: u64,
    /// Last frame, 1-based and inclusive.
    pub end_frame: u64,
    pub fps: f64,
    pub pattern_type: String,
    pub pattern_description: String,
    pub video_file: String,
    pub image_file: String,
    /// Empty when no crop box applies.
    pub image_cropped_file: String,
    /// Empty when the video has no audio track.
    pub audio_file: String,
    /// Empty until the clip is transcribed.
    pub transcript_file: String,
    /// Detected language of the transcript (`en`, `ru`…), empty before transcription.
    #[serde(default)]
    pub language: String,
    /// The transcript text, inline; empty before transcription.
    #[serde(default)]
    pub transcript: String,
    /// Who speaks in the clip, from the lesson's speaker turns (empty when they are unknown):
    /// the teacher's and the students' talk as shares of the clip (talking at once is
    /// neither), the number of speakers and of turns.
    #[serde(default)]
    pub teacher_share: Option<f64>,
    #[serde(default)]
    pub student_share: Option<f64>,
    #[serde(default)]
    pub speakers: Option<u32>,
    #[serde(default)]
    pub turns: Option<u32>,
    /// What happens in the clip, from the lesson's transcript and turns (empty when the
    /// speakers are unknown): the teacher's questions that start in it, how many of them are
    /// open, and the activity of the lesson's 2-minute bin that covers most of it.
    #[serde(default)]
    pub questions: Option<u32>,
    #[serde(default)]
    pub open_questions: Option<u32>,
    #[serde(default)]
    pub activity: String,
    /// Time of the key frame, seconds.
    pub keyframe_time: f64,
    /// `best` (scored within the interval) or `middle`.
    #[serde(default = "middle")]
    pub key_frame_method: String,
    /// The chosen frame's score and the middle frame's (0 with `middle`).
    #[serde(default)]
    pub key_frame_score: f64,
    #[serde(default)]
    pub key_frame_middle_score: f64,
    /// `accurate`, `copy` or `reencode`.
    pub clip_mode: String,
    /// Presented start of the clip file, seconds; differs from `start_time` in copy mode.
    pub clip_start_time: f64,
    pub clip_end_time: f64,
    /// Crop box `x,y,w,h` in percent of the frame, empty when none.
    pub crop: String,
    pub annotator: String,
    pub annotation_id: String,
    pub task_id: String,
}

impl Row {
    /// The item's files (dataset-relative; empty when absent): clip, key frame, cropped key
    /// frame, audio, transcript.
    pub fn files(&self) -> [&str; 5] {
        [
            &self.video_file,
            &self.image_file,
            &self.image_cropped_file,
            &self.audio_file,
            &self.transcript_file,
        ]
    }
}

fn middle() -> String {
    "middle".into()
}

/// The CSV header, for tests and documentation.
pub fn columns() -> Vec<&'static str> {
    vec![
        "file_name",
        "id",
        "lesson_id",
        "source_video",
        "source_sha256",
        "start_time",
        "end_time",
        "start_frame",
        "end_frame",
        "fps",
        "pattern_type",
        "pattern_description",
        "video_file",
        "image_file",
        "image_cropped_file",
        "audio_file",
        "transcript_file",
        "language",
        "transcript",
        "teacher_share",
        "student_share",
        "speakers",
        "turns",
        "questions",
        "open_questions",
        "activity",
        "keyframe_time",
        "key_frame_method",
        "key_frame_score",
        "key_frame_middle_score",
        "clip_mode",
        "clip_start_time",
        "clip_end_time",
        "crop",
        "annotator",
        "annotation_id",
        "task_id",
    ]
}

/// What each column means, for the dataset card.
pub fn column_meanings() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "file_name",
            "key frame image (what `datasets` decodes as `image`)",
        ),
        ("id", "clip id: `<lesson>_<start frame>-<end frame>`"),
        ("lesson_id", "lesson the clip comes from"),
        ("source_video", "file name of the lesson video"),
        (
            "source_sha256",
            "SHA-256 of the lesson video (the same lesson under another name has the same hash)",
        ),
        (
            "start_time / end_time",
            "interval in seconds from the start of the lesson video",
        ),
        (
            "start_frame / end_frame",
            "interval in Label Studio frames (1-based, end inclusive)",
        ),
        ("fps", "frame rate the frame numbers refer to"),
        ("pattern_type", "pedagogical pattern label"),
        (
            "pattern_description",
            "the pattern's description from the patterns sheet",
        ),
        ("video_file", "the clip (MP4)"),
        (
            "image_file",
            "the interval's key frame (JPEG, full frame; see key_frame_method)",
        ),
        (
            "image_cropped_file",
            "the key frame cropped to the annotated box, if any",
        ),
        ("audio_file", "clip audio, 16 kHz mono 16-bit WAV"),
        (
            "transcript_file",
            "clip transcript (plain text; `.json` and `.vtt` beside it)",
        ),
        ("language", "detected language of the transcript"),
        ("transcript", "the transcript text"),
        (
            "teacher_share",
            "share of the clip the teacher talks alone (from PPI's speaker turns; empty when unknown)",
        ),
        ("student_share", "share of the clip students talk (alone)"),
        ("speakers", "number of speakers heard in the clip"),
        ("turns", "number of speaker turns in the clip"),
        (
            "questions / open_questions",
            "teacher questions that start in the clip, and how many of them are open (PPI's detection from the transcript; empty when the speakers are unknown)",
        ),
        (
            "activity",
            "the lesson's activity in the 2-minute bin covering most of the clip: teacher-talk, student-talk, discussion, group-work or quiet-work (empty when unknown)",
        ),
        ("keyframe_time", "time of the key frame in seconds"),
        (
            "key_frame_method",
            "`best`: the sharpest, best-exposed, stillest sampled frame of the interval (scored within it); `best+learned-<n>`: the same with weights learned from reviewers' choices (fit n); `reviewer`: a frame the reviewer picked among the candidates; `middle`: the frame at the middle",
        ),
        (
            "key_frame_score / key_frame_middle_score",
            "the chosen frame's score and the middle frame's, on the same scale (0 with `middle`)",
        ),
        (
            "clip_mode",
            "how the clip was cut: accurate (edit list), copy (keyframe-aligned) or reencode",
        ),
        (
            "clip_start_time / clip_end_time",
            "what the clip file actually presents, in seconds",
        ),
        ("crop", "crop box `x,y,w,h` in percent of the frame"),
        (
            "annotator / annotation_id / task_id",
            "Label Studio provenance",
        ),
    ]
}

/// Writes `metadata.csv` atomically.
pub fn write_csv(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        w.write_record(columns())?;
    }
    for r in rows {
        w.serialize(r)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    atomic::write(path, &bytes)
}

/// Writes `metadata.jsonl` atomically.
pub fn write_jsonl(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let mut out = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut out, r)?;
        out.push(b'\n');
    }
    atomic::write(path, &out)
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
