//! Helpers of the `ppi` command's tests: the shared test kit (generated videos, speech,
//! Python, fixtures), running the `ppi` binary, a real `ppi serve`, Label Studio and the other
//! servers, and the Hugging Face Hub test double.
#![allow(dead_code)]

pub mod board;
pub mod hub;
pub mod ls;
pub mod server;
pub mod services;

use std::process::Command;

pub use ppi_testkit::*;

/// The `ppi` binary under test.
pub fn ppi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ppi"));
    // Tests must not pick up a developer's .env or config.
    c.env_remove("LOCAL_DATASET_PATH")
        .env_remove("HF_TOKEN")
        .env_remove("PPI_CONFIG")
        .env("NO_COLOR", "1");
    c
}

/// Runs a browser script of `tests/e2e` (node, playwright-core and Debian's Chromium, set up by
/// scripts/setup.sh); fails the test with what it said unless it succeeded and printed `OK …`.
/// Returns what it said.
pub fn e2e(node: &mut Command) -> String {
    let out = node
        .output()
        .expect("node is installed by scripts/setup.sh");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.contains("OK "), "{said}");
    said
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("spawn");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd` with the read end of its stdout closed before it writes (`cmd | head -0`):
/// every write to stdout fails with EPIPE. Returns the exit code and stderr.
pub fn run_stdout_closed(cmd: &mut Command) -> (i32, String) {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd` with the read end of its stderr closed before it writes. Returns the exit code.
pub fn run_stderr_closed(cmd: &mut Command) -> i32 {
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stderr.take());
    child.wait().expect("wait").code().unwrap_or(-1)
}
