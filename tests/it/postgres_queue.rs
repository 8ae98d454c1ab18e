//! The scale-out shape: the job queue and records on Postgres, `ppi serve` without a worker,
//! and separate `ppi worker` processes doing the work.

use std::process::{Command, Stdio};

use crate::support::server::TestServer;
use crate::support::services::Service;
use crate::support::{index_video, scratch, VideoSpec};

#[test]
fn workers_share_a_postgres_queue() {
    let pg = Service::postgres();
    let dir = scratch();
    let data = dir.path().join("data");
    let env = pg.env_refs();
    let srv = TestServer::start(&data, &env, &["--no-worker"]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let mut lessons = Vec::new();
    for i in 0..3 {
        let v = dir.path().join(format!("v{i}.mp4"));
        index_video(
            &v,
            &VideoSpec {
                seconds: 3.0 + f64::from(i),
                ..Default::default()
            },
        );
        let (status, up) = srv.upload(&token, &v, None);
        assert_eq!(status, 201, "{up}");
        assert_eq!(up["job"]["status"], "queued");
        lessons.push(up["lesson"]["id"].as_str().unwrap().to_owned());
    }
    // Two workers, separate processes, on the same queue.
    let spawn_worker = || {
        let mut c: Command = srv.ppi();
        c.arg("worker")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut workers = vec![spawn_worker(), spawn_worker()];
    for id in &lessons {
        let d = srv.wait_lesson(&token, id);
        assert_eq!(d["lesson"]["status"], "ready", "{d}");
        assert_eq!(d["job"]["attempts"], 1, "each job ran once");
    }
    let metrics = srv
        .http
        .get(format!("{}/metrics", srv.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("ppi_jobs{kind=\"extract-audio\",status=\"succeeded\"} 3"),
        "{metrics}"
    );
    for w in &mut workers {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(w.id().to_string())
            .status();
        let _ = w.wait();
    }
    let ready: serde_json::Value = srv
        .http
        .get(format!("{}/ready", srv.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["database"], "ok");
}

/// Progress on Postgres: a job's stage, percent and ETA are recorded, with and without an ETA
/// (the deployment test found every update of a job without an ETA rejected by Postgres).
#[test]
fn progress_is_recorded_on_postgres() {
    let pg = Service::postgres();
    let url = pg.var("PPI_DATABASE_URL");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = ppi_store::db::Db::connect(&url).await.unwrap();
        let (job, _) = db
            .upsert_job("transcribe", "progress-test", None, None, "{}")
            .await
            .unwrap();
        for (stage, percent, eta) in [
            ("transcribing", 0.0, None),
            ("transcribing", 40.0, Some(12.5)),
            ("transcribing", 50.0, None),
            ("pushing", 90.0, Some(1.0)),
        ] {
            let canceled = db.job_progress(&job.id, stage, percent, eta).await;
            assert!(!canceled.unwrap(), "{stage} {percent} {eta:?}");
            let r = db.job(&job.id).await.unwrap().unwrap();
            assert_eq!(
                (r.stage.as_deref(), r.percent, r.eta_seconds),
                (Some(stage), Some(percent), eta)
            );
        }
    });
}
