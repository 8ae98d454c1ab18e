//! `ppi watch` end to end: lessons copied slowly are built once after they settle, on events
//! and on polling (with the periodic rescan pushed out of reach, so only the watcher under test
//! can notice); replacing one export rebuilds only that lesson; a restart rebuilds nothing and
//! picks up what changed while it was down; an S3 prefix on SeaweedFS works the same; a video
//! already published to the Hub (double) under another name is skipped, sending nothing.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::support::services::Service;
use crate::support::{fixture, index_video, lesson_video, ppi, scratch, VideoSpec};
use ppi_core::secret::Secret;
use ppi_store::storage::s3::S3Store;
use ppi_store::storage::settings::{StorageBackend, StorageSettings};
use ppi_store::storage::{ObjectKey, ObjectStore};
use serde_json::Value;

/// A running `ppi watch --json`; its events arrive on a channel; killed on drop.
struct Watcher {
    child: Child,
    events: Receiver<Value>,
}

impl Watcher {
    fn start(cmd: &mut Command) -> Watcher {
        let mut child = cmd
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ppi watch");
        let out = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON event: {line:?}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Watcher { child, events }
    }

    /// The lesson events that arrive within `within`.
    fn lessons(&self, within: Duration) -> Vec<Value> {
        let end = Instant::now() + within;
        let mut out = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(v) if v["event"] == "lesson" => out.push(v),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        out
    }

    /// Waits for the next lesson event.
    fn next_lesson(&self, limit: Duration) -> (Value, Instant) {
        let end = Instant::now() + limit;
        loop {
            let left = end
                .checked_duration_since(Instant::now())
                .expect("no lesson event in time");
            let v = self.events.recv_timeout(left).expect("watcher ended");
            if v["event"] == "lesson" {
                return (v, Instant::now());
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn watch(src: &str, out: &Path) -> Command {
    let mut c = ppi();
    c.arg("watch")
        .arg(src)
        .arg("--out")
        .arg(out)
        .arg("--patterns")
        .arg(fixture("patterns.xlsx"));
    c
}

/// Writes `bytes` to `to` in `parts` chunks, `gap` apart, like a slow network copy.
fn copy_slowly(bytes: &[u8], to: &Path, parts: usize, gap: Duration) {
    let mut f = std::fs::File::create(to).unwrap();
    for chunk in bytes.chunks(bytes.len().div_ceil(parts)) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(gap);
    }
}

/// The fixture export's first task alone: the export of one lesson.
fn export() -> String {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("export_lesson-001.json")).unwrap())
            .unwrap();
    Value::Array(vec![v[0].clone()]).to_string()
}

/// The same export with the latest accepted annotation's first interval ending 25 frames
/// later (annotation 7; 8 is cancelled).
fn changed_export() -> String {
    let mut v: Value = serde_json::from_str(&export()).unwrap();
    let anns = v[0]["annotations"].as_array_mut().unwrap();
    let last = anns.iter_mut().find(|a| a["id"] == 7).unwrap();
    let end = &mut last["result"][0]["value"]["ranges"][0]["end"];
    *end = Value::from(end.as_i64().unwrap() + 25);
    last["updated_at"] = Value::from("2026-11-25T10:00:00.000000Z");
    serde_json::to_string(&v).unwrap()
}

/// A lesson video of its own: `n` extra seconds make its content (and hash) differ.
fn distinct_video(to: &Path, n: u32) {
    index_video(
        to,
        &VideoSpec {
            seconds: 20.0 + n as f64,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: true,
        },
    );
}

/// Runs a `--once --json` watcher to its end; its lesson events.
fn lesson_events(c: &mut Command) -> Vec<Value> {
    let (code, stdout, stderr) = crate::support::run(c);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "lesson")
        .collect()
}

fn rows(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("metadata.csv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_pair_copied_slowly_is_built_once_after_it_settles() {
    let dir = scratch();
    let (src, out) = (dir.path().join("incoming"), dir.path().join("dataset"));
    std::fs::create_dir_all(&src).unwrap();
    let video = dir.path().join("gen.mp4");
    lesson_video(&video);
    // Events only: the periodic rescan is an hour away, so the inotify watcher must notice.
    let w = Watcher::start(
        watch(src.to_str().unwrap(), &out)
            .args(["--settle", "1.5", "--poll", "never", "--rescan", "3600"]),
    );
    std::thread::sleep(Duration::from_millis(500));
    let gap = Duration::from_millis(400);
    copy_slowly(&std::fs::read(&video).unwrap(), &src.join("03.mp4"), 5, gap);
    copy_slowly(export().as_bytes(), &src.join("03.json"), 3, gap);
    let last_write = Instant::now() - gap;

    let (ev, at) = w.next_lesson(Duration::from_secs(90));
    assert_eq!(ev["lesson"], "03");
    assert_eq!(ev["status"], "built", "{ev}");
    let waited = (at - last_write).as_secs_f64();
    assert!(
        waited >= 1.5,
        "processed {waited:.2} s after the last write"
    );
    let stable = ev["stable_s"].as_f64().unwrap();
    assert!(stable < 1.5 + 1.0, "stable → processing took {stable:.2} s");
    eprintln!(
        "watch (events): last write → processed {waited:.2} s; stable → start {stable:.3} s; build {:.2} s",
        ev["seconds"].as_f64().unwrap()
    );
    assert!(!rows(&out).is_empty());
    assert!(w.lessons(Duration::from_secs(3)).is_empty(), "built twice");
}

#[test]
fn one_replaced_export_rebuilds_one_lesson_and_a_restart_rebuilds_nothing() {
    let dir = scratch();
    let (src, out) = (dir.path().join("share"), dir.path().join("dataset"));
    std::fs::create_dir_all(src.join("term1")).unwrap();
    // Lessons present before the watcher starts (changes made while nobody watched).
    for (i, n) in ["03", "04"].into_iter().enumerate() {
        distinct_video(&src.join(format!("term1/{n}.mp4")), i as u32);
        std::fs::write(src.join(format!("term1/{n}.json")), export()).unwrap();
    }
    std::fs::write(src.join("term1/notes.txt"), "not a lesson").unwrap();
    let polled = || {
        let mut c = watch(src.to_str().unwrap(), &out);
        c.args([
            "--settle",
            "1",
            "--poll",
            "always",
            "--poll-interval",
            "0.3",
        ])
        .args(["--rescan", "3600"]);
        c
    };
    let w = Watcher::start(&mut polled());
    let first: Vec<Value> = (0..2)
        .map(|_| w.next_lesson(Duration::from_secs(60)).0)
        .collect();
    let mut ids: Vec<_> = first
        .iter()
        .map(|e| e["lesson"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["term1/03", "term1/04"]);
    assert!(first.iter().all(|e| e["status"] == "built"));
    let per_lesson = rows(&out).len() / 2;

    // Replace 03's export the safe way: write aside, rename over.
    let part = src.join("term1/03.json.part");
    std::fs::write(&part, changed_export()).unwrap();
    std::fs::rename(&part, src.join("term1/03.json")).unwrap();
    let (ev, _) = w.next_lesson(Duration::from_secs(30));
    assert_eq!(ev["lesson"], "term1/03");
    let detail = ev["detail"].as_str().unwrap();
    assert!(detail.contains("1 built"), "{detail}");
    assert!(
        detail.contains(&format!("{} reused", per_lesson - 1)),
        "{detail}"
    );
    assert!(w.lessons(Duration::from_secs(3)).is_empty(), "04 rebuilt");
    drop(w);

    // A restart: nothing to do.
    let t = Instant::now();
    let (code, stdout, stderr) = crate::support::run(polled().args(["--once", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("\"lesson\""), "{stdout}");
    eprintln!(
        "restart with nothing to do: {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // While down: a new lesson and a removed one.
    distinct_video(&src.join("05.mp4"), 5);
    std::fs::write(src.join("05.json"), export()).unwrap();
    std::fs::remove_file(src.join("term1/04.json")).unwrap();
    let (code, stdout, stderr) = crate::support::run(polled().args(["--once", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lessons: Vec<_> = events.iter().filter(|e| e["event"] == "lesson").collect();
    assert_eq!(lessons.len(), 1, "{stdout}");
    assert_eq!(lessons[0]["lesson"], "05");
    assert!(events
        .iter()
        .any(|e| e["change"] == "removed" && e["key"] == "term1/04.json"));
    assert!(events
        .iter()
        .any(|e| e["change"] == "new" && e["key"] == "05.mp4"));
}

#[test]
fn an_s3_prefix_is_watched_on_seaweedfs() {
    let s3 = Service::seaweedfs();
    let dir = scratch();
    let out = dir.path().join("dataset");
    let video = dir.path().join("gen.mp4");
    lesson_video(&video);
    let settings = StorageSettings {
        backend: StorageBackend::S3,
        endpoint: Some(s3.var("PPI_S3_ENDPOINT")),
        bucket: "archive".into(),
        access_key_id: Some(Secret::new(s3.var("AWS_ACCESS_KEY_ID"))),
        secret_access_key: Some(Secret::new(s3.var("AWS_SECRET_ACCESS_KEY"))),
        ..StorageSettings::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(S3Store::connect(&settings)).unwrap();
    let put = |key: &str, bytes: Vec<u8>| {
        let key = ObjectKey::parse(key).unwrap();
        rt.block_on(store.put_bytes(&key, bytes, "application/octet-stream"))
            .unwrap();
    };
    put("lessons/2026/03.mp4", std::fs::read(&video).unwrap());
    put("lessons/2026/03.json", export().into_bytes());
    put("lessons/2026/04.mp4", std::fs::read(&video).unwrap());
    put("other/05.mp4", std::fs::read(&video).unwrap());
    put("other/05.json", export().into_bytes());

    let run_once = || {
        let mut c = watch("s3://archive/lessons", &out);
        c.args(["--settle", "0.5", "--once", "--json"]);
        for (k, v) in &s3.env {
            c.env(k, v);
        }
        lesson_events(&mut c)
    };
    let first = run_once();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["lesson"], "2026/03");
    assert_eq!(first[0]["status"], "built", "{first:?}");
    assert!(!rows(&out).is_empty());
    assert!(run_once().is_empty(), "a second scan rebuilt");
    put("lessons/2026/03.json", changed_export().into_bytes());
    let again = run_once();
    assert_eq!(again.len(), 1);
    assert!(again[0]["detail"].as_str().unwrap().contains("1 built"));
}

#[test]
fn bad_sources_and_flags_exit_2_naming_them() {
    let dir = scratch();
    let out = dir.path().join("dataset");
    let missing = dir.path().join("nowhere");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![missing.display().to_string()], "nowhere: not a folder"),
        (vec!["s3:///x".into()], "no bucket"),
        (
            vec![
                dir.path().display().to_string(),
                "--patterns".into(),
                "nope.xlsx".into(),
            ],
            "nope.xlsx",
        ),
        (
            vec![dir.path().display().to_string(), "--settle=-1".into()],
            "settle_secs",
        ),
    ];
    for (args, says) in cases {
        let mut c = ppi();
        c.arg("watch")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .arg("--once");
        let (code, _, stderr) = crate::support::run(&mut c);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = crate::support::run(ppi().args(["watch", "--once"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("nothing to watch"), "{stderr}");
}

#[test]
fn the_same_video_under_another_name_is_not_published_twice() {
    let hub = crate::support::hub::HubDouble::start();
    let dir = scratch();
    let src = dir.path().join("share");
    std::fs::create_dir_all(&src).unwrap();
    distinct_video(&src.join("03.mp4"), 0);
    std::fs::write(src.join("03.json"), export()).unwrap();
    let env = |c: &mut Command| {
        c.env("HF_ENDPOINT", &hub.url)
            .env("HF_TOKEN", "hf_watch_token")
            .env("HF_USERNAME", "testorg")
            .env("DATASET_NAME", "lessons");
    };
    let once = |src: &Path, out: &Path| {
        let mut c = watch(src.to_str().unwrap(), out);
        c.args(["--settle", "0", "--once", "--json", "--publish"]);
        env(&mut c);
        lesson_events(&mut c)
    };
    let out = dir.path().join("dataset");
    let first = once(&src, &out);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["status"], "published", "{first:?}");
    let published = hub.files("testorg/lessons");
    assert!(published.contains_key("metadata.jsonl"));
    let sha = ppi_core::hash::file_sha256(&src.join("03.mp4")).unwrap();
    let (lfs, commits) = {
        let st = hub.state.lock().unwrap();
        let commits: u64 = st.commits.values().sum();
        (st.lfs_bytes_in, commits)
    };

    // The same video under another name, seen by a watcher on another machine (fresh folder
    // and state): the Hub's metadata names it, so nothing is built or sent.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::copy(src.join("03.mp4"), elsewhere.join("renamed lesson.mp4")).unwrap();
    std::fs::write(elsewhere.join("renamed lesson.json"), export()).unwrap();
    let out2 = dir.path().join("dataset2");
    let again = once(&elsewhere, &out2);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["status"], "skipped", "{again:?}");
    let detail = again[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("lesson 03") && detail.contains("testorg/lessons"),
        "{detail}"
    );
    {
        let st = hub.state.lock().unwrap();
        assert_eq!(st.lfs_bytes_in, lfs, "media bytes were sent");
        assert_eq!(
            st.commits.values().sum::<u64>(),
            commits,
            "a commit was made"
        );
    }
    assert!(rows(&out2).is_empty());

    // In the same folder it is recognised locally, before asking the Hub.
    std::fs::copy(src.join("03.mp4"), src.join("07.mp4")).unwrap();
    std::fs::write(src.join("07.json"), export()).unwrap();
    let local = once(&src, &out);
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["status"], "skipped");
    assert!(local[0]["detail"].as_str().unwrap().contains("already in"));

    // `ppi hub status` lists the published lesson with its hash, and the local standing.
    let mut c = ppi();
    c.args(["hub", "status", "--json"]).arg(&out);
    env(&mut c);
    let (code, stdout, stderr) = crate::support::run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["repo"], "testorg/lessons");
    assert_eq!(v["published"][0]["lesson_id"], "03");
    assert_eq!(v["published"][0]["source_sha256"], sha.as_str());
    assert_eq!(v["local"]["lessons"][0]["status"], "published");
}
