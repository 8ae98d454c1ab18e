//! The web UI end to end in headless Chromium (Debian's), driven by playwright-core: log in,
//! upload a generated video, wait for the audio job, open the lesson page. Screenshots land in
//! `<target tmp>/ui-screenshots/`.

use std::path::Path;
use std::process::Command;

use crate::support::server::TestServer;
use crate::support::{lesson_video, scratch};

#[test]
fn login_upload_wait_and_open_the_lesson() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("teacher", "DL-user", "teacher-password");
    let video = dir.path().join("lesson.mp4");
    lesson_video(&video);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = ppi_testkit::workspace_root().join("tests/e2e/ui.mjs");
    assert!(
        ppi_testkit::workspace_root()
            .join("tests/e2e/node_modules/playwright-core")
            .is_dir(),
        "playwright-core is missing: run scripts/setup.sh"
    );
    let said = crate::support::e2e(
        Command::new("node")
            .arg(&script)
            .args([srv.url.as_str(), "teacher", "teacher-password"])
            .arg(&video)
            .arg(&shots),
    );
    eprintln!("{said}screenshots: {}", shots.display());
    for name in ["lessons.png", "lesson.png"] {
        assert!(
            std::fs::metadata(shots.join(name)).unwrap().len() > 10_000,
            "{name}"
        );
    }
}
