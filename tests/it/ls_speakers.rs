//! Speaker turns in a real Label Studio 1.23.2: the speaker lane of PPI's draft, an annotator's
//! correction of who the teacher is, and the next lesson of the project naming its teacher by
//! the enrolled voice rather than by who talks most.

use std::path::{Path, PathBuf};

use crate::support::ls::{bootstrap, ppi_annotations, ppi_env, start_ppi, wait_for, Ls};
use crate::support::services::Service;
use crate::support::{index_video, scratch, speech_wav, with_audio, Phrase, VideoSpec};
use serde_json::{json, Value};

/// A pupil's voice (higher, talks most) and the teacher's (lower, talks less).
const PUPIL: &str = "en-us+f5";
const TEACHER: &str = "en-us+m1";

/// A 20-s lesson video at 25 fps: the pupil explains at length, then the teacher speaks.
/// Returns the video and the teacher's span in seconds.
fn lesson(
    dir: &Path,
    name: &str,
    pupil: &'static str,
    teacher: &'static str,
) -> (PathBuf, (f64, f64)) {
    let wav = dir.join(format!("{name}.wav"));
    let spans = speech_wav(
        &wav,
        &[
            Phrase {
                at: 1.0,
                voice: PUPIL,
                text: pupil,
            },
            Phrase {
                at: 13.0,
                voice: TEACHER,
                text: teacher,
            },
        ],
        20.0,
    );
    let frames = dir.join(format!("{name}-frames.mp4"));
    index_video(
        &frames,
        &VideoSpec {
            seconds: 20.0,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: false,
        },
    );
    let video = dir.join(format!("{name}.mp4"));
    with_audio(&frames, &wav, &video);
    (video, spans[1])
}

/// The speaker-lane label covering most of `span` (seconds, 25 fps) in a draft.
fn lane_label(prediction: &Value, span: (f64, f64)) -> Option<String> {
    let (a, b) = ((span.0 * 25.0) as i64, (span.1 * 25.0) as i64);
    let mut best: Option<(i64, String)> = None;
    for r in prediction["result"]
        .as_array()?
        .iter()
        .filter(|r| r["from_name"] == "speaker")
    {
        let range = &r["value"]["ranges"][0];
        let (s, e) = (range["start"].as_i64()?, range["end"].as_i64()?);
        let inside = e.min(b) - s.max(a);
        let label = r["value"]["timelinelabels"][0].as_str()?.to_owned();
        if inside > 0 && best.as_ref().is_none_or(|(n, _)| inside > *n) {
            best = Some((inside, label));
        }
    }
    best.map(|(_, l)| l)
}

#[test]
fn a_corrected_speaker_lane_names_the_teacher_of_the_next_lesson() {
    let svc = Service::label_studio();
    let ls = Ls::new(&svc);
    let dir = scratch();
    let (one, t1) = lesson(
        dir.path(),
        "one",
        "I think a fraction is a part of a whole, like when we cut a pizza into eight equal slices and take three of them.",
        "Good, thank you. Open your books.",
    );
    let (two, t2) = lesson(
        dir.path(),
        "two",
        "My answer is that you multiply the top and the bottom by the same number, so the fraction stays the same.",
        "Very good. Next question.",
    );
    let data = dir.path().join("ppi");
    let server = start_ppi(&data, &ppi_env(&svc));
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    bootstrap(&server, &[]);
    let (project, _) = ls.ppi_projects();

    // Lesson one: the pupil talks most, so PPI's draft calls the pupil the teacher.
    let (status, body) = server.upload(&token, &one, Some("Lesson one"));
    assert_eq!(status, 201, "{body}");
    let task = wait_for("lesson one's task", 120, || {
        ls.get(&format!("/api/tasks/?project={project}&page_size=10"))["tasks"]
            .as_array()?
            .first()?["id"]
            .as_i64()
    });
    let draft = wait_for("lesson one's draft", 240, || {
        ls.predictions(task).into_iter().next()
    });
    assert_eq!(
        lane_label(&draft, (2.0, 8.0)).as_deref(),
        Some("Teacher"),
        "{draft}"
    );
    assert_eq!(
        lane_label(&draft, t1).as_deref(),
        Some("Student"),
        "{draft}"
    );

    // The annotator corrects the lane: the second voice is the teacher.
    let f = |t: f64| (t * 25.0).round() as u64;
    let ann = ls.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [
            {"id": "t1", "from_name": "speaker", "to_name": "video", "type": "timelinelabels",
             "value": {"ranges": [{"start": f(t1.0).max(1), "end": f(t1.1)}], "timelinelabels": ["Teacher"]}},
            {"id": "s1", "from_name": "speaker", "to_name": "video", "type": "timelinelabels",
             "value": {"ranges": [{"start": 25, "end": f(t1.0) - 25}], "timelinelabels": ["Student"]}}
        ]}),
    );
    let ann_id = ann["id"].as_i64().unwrap();
    wait_for("the correction in PPI", 60, || {
        ppi_annotations(&server, &token, project)
            .into_iter()
            .find(|x| x["annotation_id"] == ann_id && x["status"] == "accepted")
    });
    let db = data.join("ppi.db");
    wait_for("the enrolled voice", 60, || {
        let n = crate::support::python_run(
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from ppi_teacher_voices').fetchone()[0])",
            &[db.to_str().unwrap()],
        );
        (n.trim() == "1").then_some(())
    });

    // Lesson two: the pupil talks most again, but the enrolled voice is the teacher.
    let (status, body2) = server.upload(&token, &two, Some("Lesson two"));
    assert_eq!(status, 201, "{body2}");
    let task2 = wait_for("lesson two's task", 120, || {
        ls.get(&format!("/api/tasks/?project={project}&page_size=10"))["tasks"]
            .as_array()?
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .find(|id| *id != task)
    });
    let draft2 = wait_for("lesson two's draft", 240, || {
        ls.predictions(task2).into_iter().next()
    });
    assert_eq!(
        lane_label(&draft2, t2).as_deref(),
        Some("Teacher"),
        "{draft2}"
    );
    assert_eq!(
        lane_label(&draft2, (2.0, 8.0)).as_deref(),
        Some("Student"),
        "{draft2}"
    );
}
