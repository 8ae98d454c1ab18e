//! SeaweedFS (S3) and Postgres for tests, started and stopped through the project's own
//! scripts (`scripts/seaweedfs.sh`, `scripts/postgres.sh`), so CI exercises them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

fn script(name: &str) -> PathBuf {
    ppi_testkit::workspace_root().join("scripts").join(name)
}

/// Parses `export A=1 B=2` lines into pairs.
fn exports(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// A running external service; stopped on drop.
pub struct Service {
    script: &'static str,
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Service {
    fn start(script_name: &'static str) -> Service {
        Self::start_with(script_name, &[])
    }

    fn start_with(script_name: &'static str, env: &[(&str, &str)]) -> Service {
        let dir = tempfile::Builder::new()
            .prefix("ppi-svc-")
            .tempdir()
            .unwrap();
        let out = Command::new("bash")
            .arg(script(script_name))
            .arg("start")
            .arg(dir.path())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script_name} start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = exports(&String::from_utf8_lossy(&out.stdout));
        Service {
            script: script_name,
            dir,
            env,
        }
    }

    /// SeaweedFS: `PPI_STORAGE=s3`, endpoint and credentials.
    pub fn seaweedfs() -> Service {
        Self::start("seaweedfs.sh")
    }

    /// A private Postgres cluster: `PPI_DATABASE_URL`.
    pub fn postgres() -> Service {
        Self::start("postgres.sh")
    }

    /// A real Label Studio 1.23.2 on a free port: `LABEL_STUDIO_URL`, `LABEL_STUDIO_API_KEY`.
    pub fn label_studio() -> Service {
        Self::start("label-studio.sh")
    }

    /// Label Studio with extra settings for its process (`LS_EXTRA_ENV`: `NAME=value …`),
    /// such as a feature flag.
    pub fn label_studio_with(extra_env: &str) -> Service {
        Self::start_with("label-studio.sh", &[("LS_EXTRA_ENV", extra_env)])
    }

    /// Stops the service, keeping its data (and port) for [`Service::resume`].
    pub fn pause(&self) {
        self.script_command("stop");
    }

    /// Starts a paused service again on its data and port (Label Studio only).
    pub fn resume(&self) {
        self.script_command("resume");
    }

    fn script_command(&self, what: &str) {
        let out = Command::new("bash")
            .arg(script(self.script))
            .arg(what)
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} {what}: {}",
            self.script,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn var(&self, name: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn env_refs(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script(self.script))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
