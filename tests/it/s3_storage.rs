//! The S3 backend against a real S3 server (SeaweedFS, which checks signatures, presigned URLs
//! included): presigned GET/PUT, tampering, ranges, multipart upload, a separate public
//! endpoint, and the whole lesson flow through `ppi serve`.

use std::time::Duration;

use crate::support::server::TestServer;
use crate::support::services::Service;
use crate::support::{lesson_video, scratch};
use ppi_core::secret::Secret;
use ppi_store::storage::s3::S3Store;
use ppi_store::storage::settings::{StorageBackend, StorageSettings};
use ppi_store::storage::{ObjectKey, ObjectStore};

fn settings(s3: &Service, bucket: &str, public: Option<String>) -> StorageSettings {
    StorageSettings {
        backend: StorageBackend::S3,
        endpoint: Some(s3.var("PPI_S3_ENDPOINT")),
        public_endpoint: public,
        bucket: bucket.into(),
        access_key_id: Some(Secret::new(s3.var("AWS_ACCESS_KEY_ID"))),
        secret_access_key: Some(Secret::new(s3.var("AWS_SECRET_ACCESS_KEY"))),
        ..StorageSettings::default()
    }
}

#[test]
fn presigned_urls_multipart_and_public_endpoint() {
    let s3 = Service::seaweedfs();
    let dir = scratch();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Presigned URLs name the public endpoint (here `localhost`, while PPI talks to 127.0.0.1).
    let public = s3.var("PPI_S3_ENDPOINT").replace("127.0.0.1", "localhost");
    let store = rt
        .block_on(S3Store::connect(&settings(
            &s3,
            "ppi-unit",
            Some(public.clone()),
        )))
        .unwrap();
    let http = reqwest::blocking::Client::new();

    // 70 MB goes up in multipart parts, streamed from the file.
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..70_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&big, &data).unwrap();
    let key = ObjectKey::parse("lessons/ann/01m889refrnzzmej9vp72tvt6r/source.bin").unwrap();
    assert_eq!(
        rt.block_on(store.ingest_file(&key, &big, "application/octet-stream"))
            .unwrap(),
        data.len() as u64
    );
    assert!(!big.exists(), "ingest moves the file");
    assert_eq!(
        rt.block_on(store.size(&key)).unwrap(),
        Some(data.len() as u64)
    );
    let back = dir.path().join("back.bin");
    rt.block_on(store.download(&key, &back)).unwrap();
    assert_eq!(std::fs::read(&back).unwrap(), data);

    let url = rt
        .block_on(store.url_get(&key, Duration::from_secs(600)))
        .unwrap();
    assert!(url.starts_with(&public), "{url}");
    let r = http
        .get(&url)
        .header("Range", "bytes=1000-1999")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().unwrap().as_ref(), &data[1000..2000]);
    // Tampering with the signature, the key or the expiry is refused by S3 itself.
    let tampered_sig = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(http.get(&tampered_sig).send().unwrap().status(), 403);
    let tampered_key = url.replace("source.bin", "other.bin");
    assert_eq!(http.get(&tampered_key).send().unwrap().status(), 403);
    let tampered_exp = url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000");
    assert_eq!(http.get(&tampered_exp).send().unwrap().status(), 403);

    // Presigned PUT.
    let small = ObjectKey::parse("uploads/ann/01m889refrnzzmej9vp72tvt6s/source.bin").unwrap();
    let put = rt
        .block_on(store.url_put(&small, Duration::from_secs(600)))
        .unwrap();
    assert_eq!(
        http.put(&put)
            .body(b"hello".to_vec())
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(rt.block_on(store.size(&small)).unwrap(), Some(5));
    assert_eq!(
        http.put(put.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
            .body(b"x".to_vec())
            .send()
            .unwrap()
            .status(),
        403
    );
    rt.block_on(store.delete(&small)).unwrap();
    assert_eq!(rt.block_on(store.size(&small)).unwrap(), None);
    rt.block_on(store.check()).unwrap();
}

#[test]
fn lessons_flow_through_s3() {
    let s3 = Service::seaweedfs();
    let dir = scratch();
    let mut env = s3.env_refs();
    env.push(("PPI_S3_BUCKET", "ppi-lessons"));
    let srv = TestServer::start(&dir.path().join("data"), &env, &[]);
    srv.add_user("ann", "DL-user", "ann-password");
    let token = srv.token("ann", "ann-password");
    let video = dir.path().join("v.mp4");
    lesson_video(&video);

    let (status, up) = srv.upload(&token, &video, None);
    assert_eq!(status, 201, "{up}");
    let d = srv.wait_lesson(&token, up["lesson"]["id"].as_str().unwrap());
    assert_eq!(d["lesson"]["status"], "ready", "{d}");
    let vurl = d["urls"]["video"].as_str().unwrap();
    assert!(
        vurl.contains("X-Amz-Signature="),
        "a presigned S3 URL: {vurl}"
    );
    assert_eq!(
        srv.http.get(vurl).send().unwrap().bytes().unwrap().as_ref(),
        std::fs::read(&video).unwrap().as_slice()
    );
    let aurl = d["urls"]["audio"].as_str().unwrap();
    let wav = dir.path().join("a.wav");
    std::fs::write(&wav, srv.http.get(aurl).send().unwrap().bytes().unwrap()).unwrap();
    assert_eq!(crate::support::ffprobe(&wav, "a:0", "sample_rate"), "16000");
    let ready: serde_json::Value = srv
        .http
        .get(format!("{}/ready", srv.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (ready["status"].as_str(), ready["storage_backend"].as_str()),
        (Some("ready"), Some("s3"))
    );
    // No /files route with S3: media go straight from the bucket.
    assert_eq!(
        srv.http
            .get(format!("{}/files/lessons/x?exp=1&sig=a", srv.url))
            .send()
            .unwrap()
            .status(),
        404
    );

    // The presigned-PUT path: the browser uploads to S3 directly.
    let video2 = dir.path().join("w.mp4");
    crate::support::index_video(
        &video2,
        &crate::support::VideoSpec {
            seconds: 3.0,
            ..Default::default()
        },
    );
    let start: serde_json::Value = srv
        .http
        .post(format!("{}/api/uploads", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"file_name": "w.mp4"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(start["url"].as_str().unwrap().contains("X-Amz-Signature="));
    assert_eq!(
        srv.http
            .put(start["url"].as_str().unwrap())
            .body(std::fs::read(&video2).unwrap())
            .send()
            .unwrap()
            .status(),
        200
    );
    let done: serde_json::Value = srv
        .http
        .post(format!(
            "{}/api/uploads/{}/complete",
            srv.url,
            start["upload_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let d2 = srv.wait_lesson(&token, done["lesson"]["id"].as_str().unwrap());
    assert_eq!(d2["lesson"]["status"], "ready", "{d2}");
}
