//! Transcripts: segments with times, text, confidence and words; rendering as text, JSON and
//! WebVTT; and cutting a lesson transcript down to a clip.

use std::fmt::Write;

use ppi_speakers::{Diarization, Role, RoleShares, SpeakerSummary, Turn};

/// One word with its time span (seconds) and probability.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub probability: f32,
}

/// One segment of speech.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Language the segment was decoded in (detected per chunk unless forced).
    pub language: String,
    /// Mean log-probability of the segment's text tokens.
    pub avg_logprob: f32,
    /// Whisper's probability that the window held no speech.
    pub no_speech_prob: f32,
    /// Word timestamps (from token timestamps), when available.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
    /// Who says it (`S1`, `S2`…: the speaker who talks most during the segment), when the
    /// speakers were found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// A transcript of a lesson or a clip.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transcript {
    /// The language with the most speech, empty when there is none.
    pub language: String,
    /// Seconds of speech per language, most first.
    pub languages: Vec<(String, f64)>,
    /// Model file name, e.g. `ggml-base-q8_0.bin`.
    pub model: String,
    /// Duration of the audio in seconds.
    pub duration: f64,
    /// Spans that were transcribed (speech found by the detector), seconds.
    #[serde(default)]
    pub coverage: Vec<(f64, f64)>,
    pub segments: Vec<Segment>,
    /// Talk per speaker (seconds, share of the audio, turns), when the speakers were found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speakers: Vec<SpeakerSummary>,
    /// Talk per role: teacher, student, several at once, silence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<RoleShares>,
    /// How the teacher was chosen (`most-talk`, `enrolled`, `named`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_by: Option<String>,
    /// Speaker turns `{start, end, speaker, role, overlap}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<Turn>,
    /// Each speaker's voice (a unit GE2E embedding, 256 values), for naming the teacher and
    /// enrolling their voice later.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub voices: std::collections::BTreeMap<String, Vec<f32>>,
}

impl Transcript {
    /// Adds who speaks: the turns and summaries, and each segment's speaker and role.
    pub fn attach_speakers(&mut self, d: Diarization) {
        for s in &mut self.segments {
            let (speaker, role) = match d.speaker_at(s.start, s.end) {
                Some((sp, r)) => (Some(sp.to_owned()), Some(r)),
                None => (None, None),
            };
            s.speaker = speaker;
            s.role = role;
        }
        self.speakers = d.speakers;
        self.roles = Some(d.roles);
        self.teacher_by = Some(d.teacher_by);
        self.turns = d.turns;
        // Speakers are named by rank (S1 talks most), as the voices are ordered.
        self.voices = d
            .voices
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let v = v.iter().map(|x| (x * 1e4).round() / 1e4).collect();
                (format!("S{}", i + 1), v)
            })
            .collect();
    }

    /// Names `speaker` the teacher and everyone else a student (an annotator or admin who
    /// knows better than the most-talk rule); the summaries follow. `false` when no such
    /// speaker was found.
    pub fn name_teacher(&mut self, speaker: &str) -> bool {
        if !self.turns.iter().any(|t| t.speaker == speaker) {
            return false;
        }
        let role = |s: &str| {
            if s == speaker {
                Role::Teacher
            } else {
                Role::Student
            }
        };
        for t in &mut self.turns {
            t.role = role(&t.speaker);
        }
        for s in &mut self.segments {
            if let Some(sp) = s.speaker.as_deref() {
                s.role = Some(role(sp));
            }
        }
        let (speakers, roles) = ppi_speakers::turns::summarize(&self.turns, self.duration);
        self.speakers = speakers;
        self.roles = Some(roles);
        self.teacher_by = Some("named".into());
        true
    }

    /// The speakers as found, when they were.
    pub fn diarization(&self) -> Option<Diarization> {
        Some(Diarization {
            duration: self.duration,
            speakers: self.speakers.clone(),
            roles: self.roles.clone()?,
            turns: self.turns.clone(),
            teacher_by: self.teacher_by.clone().unwrap_or_default(),
            voices: Vec::new(),
        })
    }

    /// Builds the language summary from the segments.
    pub fn summarize_languages(&mut self) {
        let mut per: Vec<(String, f64)> = Vec::new();
        for s in &self.segments {
            let d = (s.end - s.start).max(0.0);
            match per.iter_mut().find(|(l, _)| *l == s.language) {
                Some((_, t)) => *t += d,
                None => per.push((s.language.clone(), d)),
            }
        }
        per.sort_by(|a, b| b.1.total_cmp(&a.1));
        self.language = per.first().map(|(l, _)| l.clone()).unwrap_or_default();
        self.languages = per;
    }

    /// The text: segments joined by spaces.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The part of the transcript inside `[start, end)`, with times shifted to start at 0.
    /// Words are kept when their middle falls inside; a segment without word times is kept
    /// when most of it falls inside.
    pub fn slice(&self, start: f64, end: f64) -> Transcript {
        let mut segments = Vec::new();
        for s in &self.segments {
            if s.end <= start || s.start >= end {
                continue;
            }
            let seg = if s.words.is_empty() {
                let inside = s.end.min(end) - s.start.max(start);
                if inside < (s.end - s.start) / 2.0 {
                    continue;
                }
                Segment {
                    start: (s.start - start).max(0.0),
                    end: (s.end.min(end) - start).max(0.0),
                    ..s.clone()
                }
            } else {
                let words: Vec<Word> = s
                    .words
                    .iter()
                    .filter(|w| {
                        let mid = (w.start + w.end) / 2.0;
                        mid >= start && mid < end
                    })
                    .map(|w| Word {
                        start: (w.start - start).max(0.0),
                        end: (w.end.min(end) - start).max(0.0),
                        ..w.clone()
                    })
                    .collect();
                let (Some(first), Some(last)) = (words.first(), words.last()) else {
                    continue;
                };
                Segment {
                    start: first.start,
                    end: last.end,
                    text: join_words(&words),
                    words: words.clone(),
                    ..s.clone()
                }
            };
            segments.push(seg);
        }
        let speakers = self.diarization().map(|d| d.slice(start, end));
        let mut t = Transcript {
            model: self.model.clone(),
            duration: end - start,
            coverage: self
                .coverage
                .iter()
                .filter(|(a, b)| *b > start && *a < end)
                .map(|(a, b)| ((a - start).max(0.0), (b.min(end) - start).max(0.0)))
                .collect(),
            segments,
            ..Transcript::default()
        };
        t.summarize_languages();
        if let Some(d) = speakers {
            t.speakers = d.speakers;
            t.roles = Some(d.roles);
            t.teacher_by = Some(d.teacher_by);
            t.turns = d.turns;
        }
        t
    }

    /// WebVTT with one cue per segment.
    pub fn to_vtt(&self) -> String {
        let mut out = String::from("WEBVTT\n");
        for (i, s) in self.segments.iter().enumerate() {
            // Writing to a String cannot fail.
            // A speaker becomes WebVTT's voice span: `<v S1 (teacher)>`.
            let voice = match (&s.speaker, s.role) {
                (Some(sp), Some(Role::Teacher)) => format!("<v {sp} (teacher)>"),
                (Some(sp), Some(Role::Student)) => format!("<v {sp} (student)>"),
                _ => String::new(),
            };
            let _ = write!(
                out,
                "\n{}\n{} --> {}\n{voice}{}\n",
                i + 1,
                vtt_time(s.start),
                vtt_time(s.end),
                s.text.trim()
            );
        }
        out
    }

    /// Plain text split by speaker: consecutive segments of one speaker make one line,
    /// `S1 (teacher): …`. Without speakers, [`Self::to_text`].
    pub fn to_text_by_speaker(&self) -> String {
        if self.segments.iter().all(|s| s.speaker.is_none()) {
            return self.to_text();
        }
        let mut out = String::new();
        let mut current: Option<&str> = None;
        for s in &self.segments {
            let t = s.text.trim();
            if t.is_empty() {
                continue;
            }
            let who = s.speaker.as_deref().unwrap_or("?");
            if current == Some(who) {
                out.push(' ');
            } else {
                if current.is_some() {
                    out.push('\n');
                }
                let role = match s.role {
                    Some(Role::Teacher) => "teacher",
                    Some(Role::Student) => "student",
                    None => "unknown",
                };
                let _ = write!(out, "{who} ({role}): ");
                current = Some(who);
            }
            out.push_str(t);
        }
        if current.is_some() {
            out.push('\n');
        }
        out
    }

    /// Plain text, one segment per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            let t = s.text.trim();
            if !t.is_empty() {
                out.push_str(t);
                out.push('\n');
            }
        }
        out
    }
}

/// Joins word texts as Whisper spells them (leading spaces mark word starts).
fn join_words(words: &[Word]) -> String {
    let joined: String = words.iter().map(|w| w.text.as_str()).collect();
    joined.trim().to_owned()
}

/// `HH:MM:SS.mmm`.
pub fn vtt_time(t: f64) -> String {
    let ms = (t.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Decodes UTF-8 that arrives in pieces which may split a character (Whisper's tokens and
/// segments can end inside a Cyrillic letter). Incomplete bytes at the end of one piece are
/// carried to the next; genuinely invalid bytes become U+FFFD.
#[derive(Debug, Default)]
pub struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    /// Decodes as much of `pending + bytes` as forms whole characters.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // The prefix was just validated.
                    out.push_str(std::str::from_utf8(&self.pending[..valid]).unwrap_or_default());
                    match e.error_len() {
                        // Incomplete character at the end: wait for the next piece.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(n) => {
                            out.push('\u{fffd}');
                            self.pending.drain(..valid + n);
                        }
                    }
                }
            }
        }
    }

    /// Flushes what is left (an unfinished character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
