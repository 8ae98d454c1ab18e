//! End-to-end latencies with a real Label Studio and the release build: upload → task in LS,
//! upload → prediction in LS (a 40 s lesson with speech), annotation → review tasks, last
//! review decision → dataset published to the Hub double. Three lessons; medians reported.
//!
//! Run: `cargo bench --bench latency` (starts LS through scripts/label-studio.sh). Figures:
//! docs/benchmarks.md.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;

const RUNS: usize = 3;

/// Polls `f` every 25 ms; returns the seconds since `t0` when it first answers.
fn until<T>(what: &str, t0: Instant, mut f: impl FnMut() -> Option<T>) -> (f64, T) {
    loop {
        if let Some(v) = f() {
            return (t0.elapsed().as_secs_f64(), v);
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A 40 s lesson: two questions and a demonstration cue among pauses.
fn lesson(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let wav = dir.join(format!("speech{n}.wav"));
    support::speech_wav(
        &wav,
        &[
            support::Phrase {
                at: 1.0,
                voice: "en-us",
                text: support::ls::EN,
            },
            support::Phrase {
                at: 12.0,
                voice: "en-us",
                text: "Look at what happens when I add the acid.",
            },
            support::Phrase {
                at: 26.0,
                voice: "ru+f4",
                text: support::ls::RU,
            },
        ],
        40.0,
    );
    let video = dir.join(format!("lesson{n}.mp4"));
    support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=s=320x240:r=25:d=40,drawtext=text='{n}':x=10:y=10"),
        "-i",
        wav.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "50",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        video.to_str().unwrap(),
    ]);
    video
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let svc = support::services::Service::label_studio();
    let lsapi = support::ls::Ls::new(&svc);
    let hub = support::hub::HubDouble::start();
    let dir = tempfile::tempdir().unwrap();
    let mut env = support::ls::ppi_env(&svc);
    env.extend(
        [
            ("HF_ENDPOINT", hub.url.as_str()),
            ("HF_TOKEN", "hf_latency_token"),
            ("HF_USERNAME", "testorg"),
            ("DATASET_NAME", "latency"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let server = support::ls::start_ppi(&dir.path().join("ppi"), &env);
    server.add_user("root", "admin", "root-password-1");
    let token = server.token("root", "root-password-1");
    support::ls::bootstrap(&server, &[]);
    let (a, r) = lsapi.ppi_projects();
    let verdict = json!({"result": [{"id": "v", "from_name": "verdict", "to_name": "clip",
                                     "type": "choices", "value": {"choices": ["Approve"]}}]});
    let (mut to_task, mut to_prediction, mut to_review, mut to_published) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for n in 0..RUNS {
        let video = lesson(dir.path(), n);
        let known: Vec<i64> = lsapi.get(&format!("/api/tasks/?project={a}&page_size=100"))["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .collect();
        let t0 = Instant::now();
        let (status, body) = server.upload(&token, &video, Some(&format!("Lesson {n}")));
        assert_eq!(status, 201, "{body}");
        let (t_task, task) = until("the task", t0, || {
            lsapi.get(&format!("/api/tasks/?project={a}&page_size=100"))["tasks"]
                .as_array()?
                .iter()
                .filter_map(|t| t["id"].as_i64())
                .find(|id| !known.contains(id))
        });
        let (t_pred, _) = until("the prediction", t0, || {
            lsapi.predictions(task).into_iter().next()
        });
        to_task.push(t_task);
        to_prediction.push(t_pred);

        let reviews_before = lsapi.get(&format!("/api/tasks/?project={r}&page_size=100"))["total"]
            .as_i64()
            .unwrap_or(0);
        let t1 = Instant::now();
        lsapi.post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": [
                {"id": "q", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                 "value": {"ranges": [{"start": 1, "end": 100}], "timelinelabels": ["Questioning"]}},
                {"id": "d", "from_name": "pattern", "to_name": "video", "type": "timelinelabels",
                 "value": {"ranges": [{"start": 290, "end": 400}], "timelinelabels": ["Demonstration"]}}]}),
        );
        let (t_rev, review_ids) = until("the review tasks", t1, || {
            let v = lsapi.get(&format!("/api/tasks/?project={r}&page_size=100"));
            let ids: Vec<i64> = v["tasks"]
                .as_array()?
                .iter()
                .filter(|t| t["data"]["lesson_id"].as_str() == body["lesson"]["id"].as_str())
                .filter_map(|t| t["id"].as_i64())
                .collect();
            (ids.len() == 2 && v["total"].as_i64().unwrap_or(0) >= reviews_before + 2)
                .then_some(ids)
        });
        to_review.push(t_rev);

        lsapi.post(
            &format!("/api/tasks/{}/annotations/", review_ids[0]),
            verdict.clone(),
        );
        let rows_before = 2 * n;
        let t2 = Instant::now();
        lsapi.post(
            &format!("/api/tasks/{}/annotations/", review_ids[1]),
            verdict.clone(),
        );
        let (t_pub, _) = until("the published dataset", t2, || {
            let f = hub.files("testorg/latency");
            let csv = String::from_utf8(f.get("metadata.csv")?.bytes.clone()).ok()?;
            (csv.lines().count() == rows_before + 3).then_some(())
        });
        to_published.push(t_pub);
        eprintln!(
            "lesson {n}: upload → task {t_task:.2} s, → prediction {t_pred:.2} s; \
             annotation → review tasks {t_rev:.2} s; last decision → published {t_pub:.2} s"
        );
    }
    println!(
        "median of {RUNS} (release build, real Label Studio 1.23.2, Hub double):\n\
         upload → task in LS            {:.2} s\n\
         upload → prediction in LS      {:.2} s  (40 s lesson, base-q8_0, 2 threads)\n\
         annotation → review tasks      {:.2} s  (2 intervals)\n\
         last decision → published      {:.2} s",
        median(to_task),
        median(to_prediction),
        median(to_review),
        median(to_published)
    );
}
