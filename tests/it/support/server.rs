//! The real `ppi serve` binary on a free port, for API tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::Client;

/// A JWT secret tests share with the server, to forge tokens for the auth matrix.
pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef-0123456789";

pub struct TestServer {
    pub url: String,
    pub data: PathBuf,
    child: Option<Child>,
    env: Vec<(String, String)>,
    pub http: Client,
}

fn ppi_cmd(data: &Path, env: &[(String, String)]) -> Command {
    let mut c = crate::support::ppi();
    c.env("PPI_DATA_DIR", data)
        .env("PPI_JWT_SECRET", JWT_SECRET)
        .env("PPI_LOG", "ppi=info,apalis=warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

impl TestServer {
    /// Starts a server on a fresh data dir (or `data`), with extra environment.
    pub fn start(data: &Path, env: &[(&str, &str)], args: &[&str]) -> TestServer {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut child = ppi_cmd(data, &env)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ppi serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        TestServer {
            url,
            data: data.to_path_buf(),
            child: Some(child),
            env,
            http: Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .unwrap(),
        }
    }

    /// Runs a `ppi` command against the same data dir and settings.
    pub fn ppi(&self) -> Command {
        ppi_cmd(&self.data, &self.env)
    }

    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        use std::io::Write;
        let mut c = self
            .ppi()
            .args(["users", "add", name, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        assert!(c.wait().unwrap().success(), "users add {name}");
    }

    /// Logs in and returns the session JSON.
    pub fn session(&self, name: &str, password: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/api/auth/login", self.url))
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "login {name}");
        r.json().unwrap()
    }

    pub fn token(&self, name: &str, password: &str) -> String {
        self.session(name, password)["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::blocking::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .unwrap()
    }

    /// Uploads a file as multipart; returns (status, body).
    pub fn upload(
        &self,
        token: &str,
        file: &Path,
        title: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut form = reqwest::blocking::multipart::Form::new()
            .file("file", file)
            .unwrap();
        if let Some(t) = title {
            form = form.text("title", t.to_owned());
        }
        let r = self
            .http
            .post(format!("{}/api/lessons", self.url))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(serde_json::Value::Null))
    }

    /// Polls a lesson until it is no longer processing.
    pub fn wait_lesson(&self, token: &str, id: &str) -> serde_json::Value {
        for _ in 0..600 {
            let v: serde_json::Value = self
                .get(&format!("/api/lessons/{id}"), token)
                .json()
                .unwrap();
            let status = v["lesson"]["status"].as_str().unwrap_or("").to_owned();
            let job_done = v["job"].is_null()
                || matches!(
                    v["job"]["status"].as_str(),
                    Some("succeeded" | "failed" | "canceled")
                );
            if (status == "ready" || status == "failed") && job_done {
                return v;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("lesson {id} did not finish");
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Stops the server with SIGTERM (graceful shutdown) and waits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            for _ in 0..100 {
                if c.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Peak resident memory (VmHWM) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
