//! A project's pipeline with lessons at every stage, written straight into the database of a
//! running test server: what the pipeline board reads. The flows that fill these tables for
//! real (upload, Label Studio, agreement, review, assembly, publishing) are tested elsewhere.

use std::path::Path;

use ppi_core::domain::EntityId;
use ppi_store::db::agreement::AgreementRow;
use ppi_store::db::audit::{action, NewEvent};
use ppi_store::db::lessons::Lesson;
use ppi_store::db::ls::{LsAnnotation, MediaRow};
use ppi_store::db::review::ReviewItem;
use ppi_store::db::Db;

/// The board's stages, in order (as `ppi_store::db::board::STAGES`).
pub const STAGES: [&str; 8] = ppi_store::db::board::STAGES;

/// The Label Studio project the seeded tasks belong to; it plans three annotators.
pub const PROJECT: i64 = 1;

/// The revision the seeded publication names.
pub const REVISION: &str = "5eed0123456789abcdef5eed0123456789abcdef";

/// One seeded lesson: its id, the stage it was made to reach, its owner's name.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub id: String,
    pub stage: &'static str,
    pub owner: String,
}

fn stage_index(s: &str) -> usize {
    STAGES.iter().position(|x| *x == s).unwrap_or(0)
}

/// Seeds `n` lessons over `owners` (`(user id, user name)`), the i-th at stage `i % 8`,
/// the newest first.
pub fn seed(data: &Path, owners: &[(String, String)], n: usize) -> Vec<Seeded> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", data.join("ppi.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.upsert_ls_project(PROJECT, Some("annotation"), None)
            .await
            .unwrap();
        db.set_project_annotators(PROJECT, 3).await.unwrap();
        let now = chrono_now();
        let mut out = Vec::new();
        // Review decisions are made in three waves around an assembly and a publication, so
        // that each lesson lands where its stage says (see `BoardRow::stage`).
        let mut decide_later: [Vec<(String, String)>; 3] = Default::default();
        for i in 0..n {
            let stage = STAGES[i % STAGES.len()];
            let at = stage_index(stage);
            let (owner_id, owner) = &owners[i % owners.len()];
            let id = EntityId::new().as_str().to_owned();
            let source_key = format!("lessons/{owner_id}/{id}/source.mp4");
            db.insert_lesson(&Lesson {
                id: id.clone(),
                owner_id: owner_id.clone(),
                owner: owner.clone(),
                title: format!("Lesson {i:03}"),
                file_name: format!("lesson-{i:03}.mp4"),
                ext: "mp4".into(),
                sha256: format!("{i:064x}"),
                size_bytes: 1,
                status: "ready".into(),
                source_key: source_key.clone(),
                audio_key: None,
                probe_key: None,
                probe: None,
                error: None,
                job_id: None,
                created_at: now - i as i64 * 60_000,
                updated_at: now,
            })
            .await
            .unwrap();
            let media_key = format!("key:{source_key}");
            if at >= 1 {
                let lang = if i % 3 == 0 { "ru" } else { "en" };
                let transcript = transcript(i, lang);
                db.put_media(
                    &media_key,
                    &MediaRow {
                        transcript: transcript.to_string(),
                        duration: 2700.0,
                        fps: 25.0,
                        model: "ggml-base-q8_0.bin".into(),
                    },
                )
                .await
                .unwrap();
            }
            let task = 1000 + i as i64;
            if at >= 2 {
                db.upsert_ls_task(task, PROJECT, Some(&media_key), "{}", Some(&id), None)
                    .await
                    .unwrap();
                // An in-LS lesson has one of its three annotations.
                let done = if at == 2 { 1 } else { 3 };
                for k in 0..done {
                    let a = LsAnnotation {
                        annotation_id: task * 10 + k,
                        task_id: task,
                        project: PROJECT,
                        ls_updated_at: "2026-12-07T00:00:00Z".into(),
                        status: "accepted".into(),
                        intervals: None,
                        errors: None,
                        completed_by: Some(format!("annotator-{k}")),
                    };
                    db.put_ls_annotation(&a, "[]").await.unwrap();
                }
            }
            if at >= 3 {
                // Annotated lessons were flagged by the gate; the others passed it.
                let passed = at >= 4;
                let report = report(i, passed);
                assert_eq!(
                    report.gate.passed, passed,
                    "seeded report {i}: {:?}",
                    report.gate
                );
                db.put_agreement(&AgreementRow {
                    task_id: task,
                    project: PROJECT,
                    report: serde_json::to_string(&report).unwrap(),
                    consensus: "[]".into(),
                    passed: i64::from(passed),
                    annotators: 3,
                    updated_at: 0,
                })
                .await
                .unwrap();
            }
            if at >= 4 {
                let stage_dir = format!("task-{task}");
                for k in 0..3 {
                    let item = format!("{id}-{k}");
                    db.put_review_item(&ReviewItem {
                        item_id: item.clone(),
                        stage: stage_dir.clone(),
                        source_task: task,
                        annotation_id: 0,
                        lesson_id: Some(id.clone()),
                        review_task: Some(task * 10 + k),
                        fingerprint: format!("f{k}"),
                        status: "pending".into(),
                        crop: None,
                        learning: None,
                        frame_choice: None,
                    })
                    .await
                    .unwrap();
                    if at >= 5 {
                        // Published lessons are decided first, in-dataset ones next, reviewed
                        // ones after the last assembly.
                        let wave = match stage {
                            "published" => 0,
                            "in-dataset" => 1,
                            _ => 2,
                        };
                        decide_later[wave].push((stage_dir.clone(), item));
                    }
                }
            }
            out.push(Seeded {
                id,
                stage,
                owner: owner.clone(),
            });
        }
        let decide = |items: Vec<(String, String)>| {
            let db = &db;
            async move {
                for (k, (stage, item)) in items.into_iter().enumerate() {
                    let status = if k % 3 == 2 { "rejected" } else { "approved" };
                    db.decide_review_item(&stage, &item, status, None, None)
                        .await
                        .unwrap();
                }
            }
        };
        let [first, second, third] = decide_later;
        let tick = || tokio::time::sleep(std::time::Duration::from_millis(5));
        decide(first).await;
        tick().await;
        assemble(&db, "board-seed-1").await;
        db.audit(&NewEvent {
            actor: "system",
            action: action::PUBLISHED,
            target: Some("ppi-test/dataset"),
            address: None,
            detail: Some(&format!(
                "12 file(s) changed, 0 unchanged, 0 deleted, 1 commit(s); revision {REVISION}"
            )),
        })
        .await
        .unwrap();
        tick().await;
        decide(second).await;
        tick().await;
        assemble(&db, "board-seed-2").await;
        tick().await;
        decide(third).await;
        out
    })
}

/// Seeded lessons last 45 minutes at 25 frames per second.
const FPS: u64 = 25;

/// The i-th lesson's transcript: its language, 2-4 speakers, the teacher's and the students'
/// shares of the recording, and 2-5 teacher questions (every other one open) beside a
/// student's.
fn transcript(i: usize, lang: &str) -> serde_json::Value {
    let teacher = 0.45 + 0.03 * (i % 5) as f64;
    let student = 0.35 - 0.02 * (i % 4) as f64;
    let mut questions: Vec<serde_json::Value> = (0..2 + i % 4)
        .map(|k| {
            serde_json::json!({"start": 60.0 * k as f64, "end": 60.0 * k as f64 + 3.0,
                "role": "teacher", "speaker": "S1", "text": "Why?",
                "type": if k % 2 == 0 { "open" } else { "closed" }})
        })
        .collect();
    questions.push(
        serde_json::json!({"start": 5.0, "end": 6.0, "role": "student",
        "speaker": "S2", "text": "Can I?", "type": "closed"}),
    );
    serde_json::json!({"language": lang,
        "speakers": (0..2 + i % 3).map(|s| serde_json::json!({"speaker": s})).collect::<Vec<_>>(),
        "roles": {"teacher_share": teacher, "student_share": student},
        "questions": questions})
}

/// The i-th task's agreement report as the service measures it (`ppi_agreement::analyse`
/// with the machine's bench added): three annotators who agree closely (passed) or mark
/// different things (flagged), and PPI's draft as one model version.
fn report(i: usize, passed: bool) -> ppi_agreement::Report {
    use ppi_agreement::{Marking, Options, Span};
    let s = |label: &str, from_s: u64, to_s: u64| Span {
        label: label.into(),
        start: from_s * FPS,
        end: to_s * FPS,
    };
    let shift = (i % 4) as u64 * 30;
    let marking = |k: usize, spans: Vec<Span>| Marking {
        annotator: format!("annotator-{k}"),
        annotation_id: Some(k as i64),
        spans,
    };
    let humans: Vec<Marking> = (0..3)
        .map(|k| {
            let j = k as u64 * 2;
            if passed {
                marking(
                    k,
                    vec![
                        s("Questioning", 60 + shift + j, 240 + shift),
                        s("Group work", 600 + j, 1200 - j),
                        s("Lecture", 1500, 1800 + j + shift),
                    ],
                )
            } else {
                let label = ["Questioning", "Group work", "Lecture"][k];
                marking(k, vec![s(label, 300 * k as u64, 300 * k as u64 + 400)])
            }
        })
        .collect();
    let machine = Marking {
        annotator: "whisper-base+rules-0".into(),
        annotation_id: None,
        spans: vec![s("Questioning", 50, 260), s("Lecture", 1400, 1700)],
    };
    let o = Options {
        frames: 2700 * FPS,
        ..Options::default()
    };
    let mut r = ppi_agreement::analyse(&humans, &o);
    ppi_agreement::add_machine_bench(&mut r, &humans, std::slice::from_ref(&machine), FPS as f64);
    r
}

/// A project seeded by [`seed`] with 16 lessons on a fresh server: an admin `root`
/// (`root-password-1`) and two `DL-user`s, `teacher` (`teacher-password`) and `other`
/// (`other-password-1`), owning the lessons in turn. Returns the server, the tokens of root,
/// teacher and other, and the seeded lessons; the data dir lives in `dir`.
pub struct Project {
    pub srv: super::server::TestServer,
    pub root: String,
    pub teacher: String,
    pub other: String,
    pub seeded: Vec<Seeded>,
}

pub fn project(dir: &Path) -> Project {
    let srv = super::server::TestServer::start(&dir.join("data"), &[], &[]);
    srv.add_user("root", "admin", "root-password-1");
    srv.add_user("teacher", "DL-user", "teacher-password");
    srv.add_user("other", "DL-user", "other-password-1");
    let root = srv.token("root", "root-password-1");
    let teacher = srv.token("teacher", "teacher-password");
    let other = srv.token("other", "other-password-1");
    let owners = vec![
        (user_id(&srv, &teacher), "teacher".to_owned()),
        (user_id(&srv, &other), "other".to_owned()),
    ];
    let seeded = seed(&srv.data, &owners, 16);
    Project {
        srv,
        root,
        teacher,
        other,
        seeded,
    }
}

/// The id of the user `token` belongs to.
pub fn user_id(srv: &super::server::TestServer, token: &str) -> String {
    srv.get("/api/me", token)
        .json::<serde_json::Value>()
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A page script of `tests/e2e/` (`ui_board.mjs`, `ui_corpus.mjs`) in headless Chromium as
/// an admin and as a `DL-user` (`(name, password)` each), screenshots in `shots`; what the
/// script said.
pub fn in_chromium(
    script: &str,
    srv: &super::server::TestServer,
    admin: (&str, &str),
    user: (&str, &str),
    shots: &Path,
) -> String {
    std::fs::create_dir_all(shots).unwrap();
    super::e2e(
        std::process::Command::new("node")
            .arg(ppi_testkit::workspace_root().join("tests/e2e").join(script))
            .args([srv.url.as_str(), admin.0, admin.1, user.0, user.1])
            .arg(shots),
    )
}

/// A finished assembly job.
async fn assemble(db: &Db, key: &str) {
    let (job, _) = db
        .upsert_job("assemble", key, None, None, "{}")
        .await
        .unwrap();
    db.claim_job(&job.id).await.unwrap();
    db.finish_job(&job.id, "succeeded", None).await.unwrap();
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A failed job and a queued one (never handed to a worker), for the wiring page's retry and
/// cancel: their ids.
pub fn seed_jobs(data: &Path) -> (String, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", data.join("ppi.db").display());
        let db = Db::connect(&url).await.unwrap();
        let (failed, _) = db
            .upsert_job("assemble", "board-seed-failed", None, None, "{}")
            .await
            .unwrap();
        db.claim_job(&failed.id).await.unwrap();
        db.finish_job(
            &failed.id,
            "failed",
            Some(("storage-unavailable", "the bucket did not answer")),
        )
        .await
        .unwrap();
        let (queued, _) = db
            .upsert_job("learn", "board-seed-queued", None, None, "{}")
            .await
            .unwrap();
        (failed.id, queued.id)
    })
}
