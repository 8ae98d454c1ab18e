//! Label Studio helpers for tests: its API with the test token, a speech lesson, waiting.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

use crate::support::server::TestServer;
use crate::support::services::Service;
use crate::support::{ffmpeg, fixture, speech_wav, whisper_model, Phrase};

pub const EN: &str = "Who knows the answer to this question?";
pub const RU: &str = "Кто знает ответ на этот вопрос?";

/// A 16 s lesson at 25 fps with an English question at 1 s and a Russian one at 9 s.
pub fn speech_lesson(dir: &Path) -> std::path::PathBuf {
    let wav = dir.join("speech.wav");
    speech_wav(
        &wav,
        &[
            Phrase {
                at: 1.0,
                voice: "en-us",
                text: EN,
            },
            Phrase {
                at: 9.0,
                voice: "ru+f4",
                text: RU,
            },
        ],
        16.0,
    );
    let lesson = dir.join("questions.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x120:r=25:d=16",
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
        lesson.to_str().unwrap(),
    ]);
    lesson
}

/// Label Studio's API with the test token.
pub struct Ls {
    pub url: String,
    pub token: String,
    pub http: Client,
}

impl Ls {
    pub fn new(svc: &Service) -> Ls {
        Ls {
            url: svc.var("LABEL_STUDIO_URL"),
            token: svc.var("LABEL_STUDIO_API_KEY"),
            http: Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .header("Authorization", format!("Token {}", self.token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().unwrap();
        let status = resp.status();
        let text = resp.text().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
    }

    /// A GET that LS may answer 5xx for a moment: listing tasks while a job deletes one of
    /// them can fail inside LS (a 500 naming the vanished id); asked again, up to 5 times.
    pub fn get_retrying(&self, path: &str) -> Value {
        for _ in 0..4 {
            let resp = self
                .http
                .get(format!("{}{path}", self.url))
                .header("Authorization", format!("Token {}", self.token))
                .send()
                .unwrap();
            if resp.status().is_server_error() {
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
            let status = resp.status();
            let text = resp.text().unwrap();
            assert!(status.is_success(), "GET {path}: {status} {text}");
            return serde_json::from_str(&text).unwrap_or(Value::Null);
        }
        self.get(path)
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    /// The ids of the annotation and review projects `ppi ls bootstrap` made.
    pub fn ppi_projects(&self) -> (i64, i64) {
        let projects = self.get("/api/projects/?page_size=100")["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let id = |title: &str| {
            projects
                .iter()
                .find(|p| p["title"] == title)
                .and_then(|p| p["id"].as_i64())
                .unwrap_or_else(|| panic!("no project {title:?}"))
        };
        (id("PPI lessons"), id("PPI clip review"))
    }

    /// A new task in `project` with the video of `task` (at 25 fps); returns its id.
    pub fn import_same_video(&self, project: i64, task: i64) -> i64 {
        let video =
            self.get(&format!("/api/tasks/{task}?resolve_uri=false"))["data"]["video"].clone();
        self.post(
            &format!("/api/projects/{project}/import?return_task_ids=true"),
            serde_json::json!([{"data": {"video": video, "fps": 25}}]),
        )["task_ids"][0]
            .as_i64()
            .unwrap()
    }

    pub fn predictions(&self, task: i64) -> Vec<Value> {
        match self.get(&format!("/api/predictions/?task={task}")) {
            Value::Array(a) => a,
            v => v["results"].as_array().cloned().unwrap_or_default(),
        }
    }
}

pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed().as_secs() < secs,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

pub fn ppi_env(ls: &Service) -> Vec<(String, String)> {
    vec![
        ("LABEL_STUDIO_URL".into(), ls.var("LABEL_STUDIO_URL")),
        (
            "LABEL_STUDIO_API_KEY".into(),
            ls.var("LABEL_STUDIO_API_KEY"),
        ),
        (
            "PPI_WHISPER_MODEL".into(),
            whisper_model().display().to_string(),
        ),
        ("PPI_WHISPER_THREADS".into(), "1".into()),
        (
            "PPI_PATTERNS".into(),
            fixture("patterns.xlsx").display().to_string(),
        ),
        ("PPI_LS_RECONCILE_SECS".into(), "2".into()),
        // Tests wire LS with `ppi ls bootstrap` themselves (tests/serve_script.rs covers
        // `serve`'s own wiring at start).
        ("PPI_LS_AUTO_WIRE".into(), "0".into()),
    ]
}

pub fn start_ppi(data: &Path, env: &[(String, String)]) -> TestServer {
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start(data, &refs, &[])
}

pub fn bootstrap(server: &TestServer, extra: &[&str]) -> String {
    let out = server
        .ppi()
        .args(["ls", "bootstrap", "--patterns"])
        .arg(fixture("patterns.xlsx"))
        .args(["--ml-url", &format!("{}/ml", server.url)])
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bootstrap: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

pub fn ppi_annotations(server: &TestServer, token: &str, project: i64) -> Vec<Value> {
    server
        .get(&format!("/api/ls/annotations?project={project}"), token)
        .json::<Value>()
        .unwrap()["annotations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
