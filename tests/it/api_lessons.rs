//! Uploads, lesson processing jobs and signed media URLs on the embedded defaults (SQLite
//! queue, local folder storage), against the real `ppi serve`.

use std::io::Read;
use std::time::Duration;

use crate::support::server::{peak_rss_kib, TestServer};
use crate::support::{ffprobe, lesson_video, scratch};

fn sha256_file(p: &std::path::Path) -> String {
    ppi_asr::fetch::file_sha256(p).unwrap()
}

/// Every file under a folder, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn upload_extracts_audio_and_serves_signed_ranges() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let video = dir.path().join("урок 1.mp4");
    lesson_video(&video);

    let (status, up) = srv.upload(&token, &video, Some("Урок 1"));
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["duplicate"], false);
    assert_eq!(up["job"]["kind"], "extract-audio");
    let id = up["lesson"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        up["lesson"]["source_key"],
        format!("lessons/ann/{id}/source.mp4")
    );
    let d = srv.wait_lesson(&token, &id);
    assert_eq!(d["lesson"]["status"], "ready", "{d}");
    assert_eq!(d["job"]["status"], "succeeded");
    assert_eq!(d["job"]["percent"], 100.0);
    assert_eq!(d["probe"]["video"]["fps"], 25.0);
    assert_eq!(d["lesson"]["title"], "Урок 1");

    // The video URL serves the exact bytes, whole and by range.
    let vurl = d["urls"]["video"].as_str().unwrap().to_owned();
    let got = srv.http.get(&vurl).send().unwrap().bytes().unwrap();
    assert_eq!(got.as_ref(), std::fs::read(&video).unwrap().as_slice());
    let r = srv
        .http
        .get(&vurl)
        .header("Range", "bytes=10-19")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 10-19/{}", got.len())
    );
    assert_eq!(r.bytes().unwrap().as_ref(), &got[10..20]);
    let r = srv
        .http
        .get(&vurl)
        .header("Range", format!("bytes={}-", got.len() + 5))
        .send()
        .unwrap();
    assert_eq!(r.status(), 416);
    let head = srv.http.head(&vurl).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], got.len().to_string());
    // Tampered and expired signatures, and a signature for another key.
    let tampered = vurl.replace("sig=", "sig=0");
    assert_eq!(srv.http.get(&tampered).send().unwrap().status(), 403);
    let (base, _) = vurl.split_once('?').unwrap();
    let key_bytes = std::fs::read(srv.data.join("secrets/url-signing.key")).unwrap();
    let local = ppi_store::storage::local::LocalStore::new(
        srv.data.join("storage"),
        srv.url.clone(),
        key_bytes,
    )
    .unwrap();
    let key =
        ppi_store::storage::ObjectKey::parse(&format!("lessons/ann/{id}/source.mp4")).unwrap();
    let expired = local.sign_until("GET", &key, 1_000);
    let r = srv.http.get(&expired).send().unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["code"],
        "signature-expired"
    );
    let other = format!(
        "{}?{}",
        base.replace("source.mp4", "audio.wav"),
        vurl.split_once('?').unwrap().1
    );
    assert_eq!(srv.http.get(&other).send().unwrap().status(), 403);
    assert_eq!(srv.http.get(base).send().unwrap().status(), 403, "unsigned");
    let traversal = format!(
        "{}/files/lessons/../secrets/jwt.key?exp=9999999999&sig=00",
        srv.url
    );
    assert!(matches!(
        srv.http.get(&traversal).send().unwrap().status().as_u16(),
        403 | 404
    ));

    // The audio: 16 kHz mono WAV of the lesson's length.
    let wav = dir.path().join("audio.wav");
    std::fs::write(
        &wav,
        srv.http
            .get(d["urls"]["audio"].as_str().unwrap())
            .send()
            .unwrap()
            .bytes()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ffprobe(&wav, "a:0", "sample_rate"), "16000");
    assert_eq!(ffprobe(&wav, "a:0", "channels"), "1");
    let secs: f64 = ffprobe(&wav, "a:0", "duration").parse().unwrap();
    assert!((secs - 20.0).abs() < 0.1, "{secs}");
    assert!(srv
        .data
        .join(format!("storage/lessons/ann/{id}/probe.json"))
        .is_file());

    // The same file again is detected by its SHA-256.
    let (status, again) = srv.upload(&token, &video, None);
    assert_eq!(status, 200);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["lesson"]["id"], id.as_str());
    assert_eq!(again["lesson"]["sha256"], sha256_file(&video));

    // Health, readiness, metrics, OpenAPI.
    assert_eq!(
        srv.http
            .get(format!("{}/health", srv.url))
            .send()
            .unwrap()
            .status(),
        200
    );
    let ready: serde_json::Value = srv
        .http
        .get(format!("{}/ready", srv.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    let metrics = srv
        .http
        .get(format!("{}/metrics", srv.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for needle in [
        "ppi_http_requests_total{method=\"POST\",route=\"/api/lessons\",status=\"201\"} 1",
        "ppi_http_request_duration_seconds_bucket{route=\"/files/{*key}\"",
        "ppi_jobs{kind=\"extract-audio\",status=\"succeeded\"} 1",
        "ppi_job_duration_seconds_count{kind=\"extract-audio\"} 1",
        "ppi_storage_bytes_written_total",
    ] {
        assert!(metrics.contains(needle), "{needle} missing in\n{metrics}");
    }
    let spec: serde_json::Value = srv
        .http
        .get(format!("{}/openapi.json", srv.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/lessons"]["post"]["responses"]["413"].is_object());
}

#[test]
fn bad_uploads_get_clear_4xx_and_store_nothing() {
    let dir = scratch();
    let data = dir.path().join("data");
    let srv = TestServer::start(&data, &[("PPI_MAX_UPLOAD_BYTES", "3000000")], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let stored = || {
        files_under(&data.join("storage"))
            .into_iter()
            .filter(|p| !p.ends_with(".ready"))
            .count()
            + files_under(&data.join("tmp")).len()
    };

    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "this is not a video\n".repeat(100)).unwrap();
    let (status, body) = srv.upload(&token, &text, None);
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("upload-not-a-video")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("notes.mp4"),
        "{body}"
    );

    let image = dir.path().join("frame.jpg");
    crate::support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=64x48:d=1",
        "-frames:v",
        "1",
        image.to_str().unwrap(),
    ]);
    let (status, body) = srv.upload(&token, &image, None);
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("upload-not-a-video")),
        "{body}"
    );

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(srv.upload(&token, &empty, None).0, 415);

    let big = dir.path().join("big.mp4");
    std::fs::write(&big, vec![7u8; 4_000_000]).unwrap();
    let (status, body) = srv.upload(&token, &big, None);
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("upload-too-large")),
        "{body}"
    );

    let form = reqwest::blocking::multipart::Form::new().text("title", "no file");
    let r = srv
        .http
        .post(format!("{}/api/lessons", srv.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = srv
        .http
        .post(format!("{}/api/lessons", srv.url))
        .bearer_auth(&token)
        .body("garbage")
        .header("content-type", "multipart/form-data; boundary=x")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = srv
        .http
        .post(format!("{}/api/lessons", srv.url))
        .multipart(
            reqwest::blocking::multipart::Form::new()
                .file("file", &big)
                .unwrap(),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        stored(),
        0,
        "nothing stored half-way: {:?}",
        files_under(&data)
    );

    // A client file name with a path in it never reaches a storage key.
    let video = dir.path().join("v.mp4");
    lesson_video(&video);
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::file(&video)
            .unwrap()
            .file_name("../../etc/passwd.mp4"),
    );
    let up: serde_json::Value = srv
        .http
        .post(format!("{}/api/lessons", srv.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = up["lesson"]["id"].as_str().unwrap();
    assert_eq!(
        up["lesson"]["source_key"],
        format!("lessons/ann/{id}/source.mp4")
    );
    assert_eq!(
        up["lesson"]["file_name"], "../../etc/passwd.mp4",
        "kept for display only"
    );
}

#[test]
fn jobs_survive_restarts_and_can_be_canceled() {
    let dir = scratch();
    let data = dir.path().join("data");
    let video = dir.path().join("v.mp4");
    lesson_video(&video);
    let other = dir.path().join("w.mp4");
    crate::support::index_video(
        &other,
        &crate::support::VideoSpec {
            seconds: 4.0,
            ..Default::default()
        },
    );

    // No worker: jobs wait in the queue.
    let mut srv = TestServer::start(&data, &[], &["--no-worker"]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let (_, a) = srv.upload(&token, &video, None);
    let (_, b) = srv.upload(&token, &other, None);
    let (a_id, b_job) = (
        a["lesson"]["id"].as_str().unwrap().to_owned(),
        b["job"]["id"].as_str().unwrap().to_owned(),
    );
    std::thread::sleep(Duration::from_secs(1));
    let job: serde_json::Value = srv
        .get(
            &format!("/api/jobs/{}", a["job"]["id"].as_str().unwrap()),
            &token,
        )
        .json()
        .unwrap();
    assert_eq!(job["status"], "queued");
    // Cancel one while queued.
    let c: serde_json::Value = srv
        .http
        .post(format!("{}/api/jobs/{b_job}/cancel", srv.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(c["status"], "canceled");
    srv.stop();

    // A new process with a worker finishes the queued job; the canceled one never runs.
    let srv = TestServer::start(&data, &[], &[]);
    let token = srv.token("ann", "ann-password");
    let d = srv.wait_lesson(&token, &a_id);
    assert_eq!(d["lesson"]["status"], "ready");
    assert_eq!(d["job"]["attempts"], 1);
    std::thread::sleep(Duration::from_secs(2));
    let j: serde_json::Value = srv
        .get(&format!("/api/jobs/{b_job}"), &token)
        .json()
        .unwrap();
    assert_eq!(
        (j["status"].as_str(), j["attempts"].as_i64()),
        (Some("canceled"), Some(0))
    );
    let l: serde_json::Value = srv
        .get(
            &format!("/api/lessons/{}", b["lesson"]["id"].as_str().unwrap()),
            &token,
        )
        .json()
        .unwrap();
    assert_eq!(l["lesson"]["status"], "failed");
    assert_eq!(l["lesson"]["error"], "processing was canceled");
    // Canceling a finished job changes nothing.
    let c: serde_json::Value = srv
        .http
        .post(format!(
            "{}/api/jobs/{}/cancel",
            srv.url,
            a["job"]["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(c["status"], "succeeded");
}

#[test]
fn presigned_put_uploads_complete_into_lessons() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let video = dir.path().join("v.mp4");
    lesson_video(&video);
    let start: serde_json::Value = srv
        .http
        .post(format!("{}/api/uploads", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"file_name": "v.mp4", "title": "direct"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = start["upload_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{start}"));
    let complete = format!("{}/api/uploads/{id}/complete", srv.url);
    assert_eq!(
        srv.http
            .post(&complete)
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status(),
        409,
        "nothing uploaded yet"
    );
    let put = srv
        .http
        .put(start["url"].as_str().unwrap())
        .body(std::fs::read(&video).unwrap())
        .send()
        .unwrap();
    assert_eq!(put.status(), 200);
    let done = srv.http.post(&complete).bearer_auth(&token).send().unwrap();
    assert_eq!(done.status(), 201);
    let done: serde_json::Value = done.json().unwrap();
    assert_eq!(done["lesson"]["title"], "direct");
    let d = srv.wait_lesson(&token, done["lesson"]["id"].as_str().unwrap());
    assert_eq!(d["lesson"]["status"], "ready");
    assert_eq!(
        srv.http
            .post(&complete)
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status(),
        404,
        "completes once"
    );
}

/// 1 GB streamed through a multipart upload: the server's memory must not grow with it.
#[test]
fn a_gigabyte_upload_streams_in_bounded_memory() {
    let dir = scratch();
    let srv = TestServer::start(&dir.path().join("data"), &[], &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let before = peak_rss_kib(srv.pid());
    const SIZE: u64 = 1 << 30;
    struct Zeros(u64);
    impl Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.0) as usize;
            buf[..n].fill(0x5a);
            self.0 -= n as u64;
            Ok(n)
        }
    }
    let part = reqwest::blocking::multipart::Part::reader_with_length(Zeros(SIZE), SIZE)
        .file_name("huge.mp4");
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let started = std::time::Instant::now();
    let r = srv
        .http
        .post(format!("{}/api/lessons", srv.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap();
    // All of it was read and hashed, then refused as not a video.
    assert_eq!(r.status(), 415);
    let after = peak_rss_kib(srv.pid());
    eprintln!(
        "1 GiB upload in {:.1} s; server peak RSS {} MiB -> {} MiB",
        started.elapsed().as_secs_f64(),
        before / 1024,
        after / 1024
    );
    assert!(after < 100 * 1024, "peak RSS {after} KiB");
    assert!(
        after - before < 40 * 1024,
        "memory grew by {} KiB",
        after - before
    );
}
