//! `scripts/serve.sh --with-label-studio` from a clean data dir, as a new user runs it: Label
//! Studio comes up, `ppi serve` wires it at start (projects, ML backend, webhooks), an upload
//! becomes a task with a prediction; a second run finds everything in place; SIGTERM stops
//! both. The debug binary stands in for the release build (`PPI_BIN`).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{scratch, whisper_model};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The running script; stopped (with Label Studio) on drop, also when the test panics.
struct Script {
    child: Option<Child>,
    data: PathBuf,
    log: PathBuf,
}

impl Script {
    fn start(data: &Path, log: &Path, ppi_port: u16, ls_port: u16) -> Script {
        let out = std::fs::File::create(log).unwrap();
        let child = Command::new("bash")
            .arg(ppi_testkit::workspace_root().join("scripts/serve.sh"))
            .args([
                "--with-label-studio",
                "--bind",
                &format!("127.0.0.1:{ppi_port}"),
            ])
            .env("PPI_BIN", env!("CARGO_BIN_EXE_ppi"))
            .env("PPI_DATA_DIR", data)
            .env("PPI_LS_PORT", ls_port.to_string())
            .env("PPI_WHISPER_MODEL", whisper_model())
            .env("PPI_WHISPER_THREADS", "1")
            .env("PPI_LOG", "ppi=info,apalis=warn")
            .env("NO_COLOR", "1")
            .env_remove("LABEL_STUDIO_URL")
            .env_remove("LABEL_STUDIO_API_KEY")
            .env_remove("PPI_PATTERNS")
            .env_remove("PPI_LS_AUTO_WIRE")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("bash");
        Script {
            child: Some(child),
            data: data.to_path_buf(),
            log: log.to_path_buf(),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as a person's Ctrl-C or a service manager would; returns how long it took.
    fn stop(&mut self) -> Duration {
        let t0 = Instant::now();
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            for _ in 0..300 {
                if c.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        t0.elapsed()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            // The whole group: bash and `ppi serve`.
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", c.id())])
                .status();
        }
        let _ = Command::new("bash")
            .arg(ppi_testkit::workspace_root().join("scripts/label-studio.sh"))
            .arg("stop")
            .arg(self.data.join("label-studio"))
            .status();
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

fn wait_wired(script: &Script, ppi: &str, secs: u64) -> Value {
    let http = reqwest::blocking::Client::new();
    let t0 = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{ppi}/ready")).send() {
            if let Ok(v) = r.json::<Value>() {
                if v["label_studio"]["status"] == "wired" {
                    return v;
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "not wired after {secs} s:\n{}",
            script.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn serve_with_label_studio_from_a_clean_data_dir() {
    let dir = scratch();
    let data = dir.path().join("data");
    let (ppi_port, ls_port) = (free_port(), free_port());
    let ppi = format!("http://127.0.0.1:{ppi_port}");
    let mut script = Script::start(&data, &dir.path().join("first.log"), ppi_port, ls_port);
    // The first start of a new Label Studio migrates its database (70-120 s here).
    let ready = wait_wired(&script, &ppi, 600);
    let report = ready["label_studio"]["report"].to_string();
    for want in [
        "created project \\\"PPI lessons\\\"",
        "created ML backend",
        "created webhook",
    ] {
        assert!(report.contains(want), "{want} in {report}");
    }
    let log = script.log();
    assert!(
        log.contains(&format!("Label Studio  http://127.0.0.1:{ls_port}"))
            && log.contains(&format!("PPI           http://127.0.0.1:{ppi_port}")),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI colour in a log file:\n{log}"
    );

    // An upload becomes a task with a prediction.
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let password = std::fs::read_to_string(data.join("admin-password")).unwrap();
    let session: Value = http
        .post(format!("{ppi}/api/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password.trim()}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = session["access_token"].as_str().unwrap().to_owned();
    let video = crate::support::ls::speech_lesson(dir.path());
    let form = reqwest::blocking::multipart::Form::new()
        .file("file", &video)
        .unwrap();
    let r = http
        .post(format!("{ppi}/api/lessons"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let ls_token = std::fs::read_to_string(data.join("label-studio/token")).unwrap();
    let ls = format!("http://127.0.0.1:{ls_port}");
    let ls_get = |path: &str| -> Value {
        http.get(format!("{ls}{path}"))
            .header("Authorization", format!("Token {}", ls_token.trim()))
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let t0 = Instant::now();
    let prediction = loop {
        let projects = ls_get("/api/projects/?page_size=100");
        let a = projects["results"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["title"] == "PPI lessons"))
            .and_then(|p| p["id"].as_i64());
        let task = a.and_then(|a| {
            ls_get(&format!("/api/tasks/?project={a}&page_size=10"))["tasks"][0]["id"].as_i64()
        });
        let p = task.and_then(|t| {
            let v = ls_get(&format!("/api/predictions/?task={t}"));
            let list = v
                .as_array()
                .cloned()
                .or_else(|| v["results"].as_array().cloned())?;
            list.into_iter().next()
        });
        if let Some(p) = p {
            break p;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(240),
            "no prediction:\n{}",
            script.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        prediction["model_version"]
            .as_str()
            .unwrap()
            .contains("+rules-3"),
        "{prediction}"
    );
    let took = script.stop();
    assert!(took < Duration::from_secs(15), "stopped in {took:?}");
    let pid: String = std::fs::read_to_string(data.join("label-studio/pid")).unwrap_or_default();
    assert!(
        pid.is_empty(),
        "Label Studio stopped with the script (pid file {pid:?})"
    );

    // Again, on the warm data dir: everything exists.
    let mut script = Script::start(&data, &dir.path().join("second.log"), ppi_port, ls_port);
    let ready = wait_wired(&script, &ppi, 300);
    let report: Vec<String> = ready["label_studio"]["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert!(
        report.iter().all(|l| !l.starts_with("created")
            && !l.starts_with("updated")
            && !l.starts_with("queued")),
        "{report:#?}"
    );
    assert!(
        report.iter().any(|l| l.starts_with("existing project")),
        "{report:#?}"
    );
    script.stop();
}
