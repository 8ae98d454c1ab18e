use std::time::Duration;

use super::*;

fn policy<'a>(local: Option<&'a LocalStore>, allowed: &'a [String]) -> MediaPolicy<'a> {
    MediaPolicy {
        public_url: "http://ppi.local:8080",
        local,
        bucket: Some("ppi"),
        label_studio: Some("http://ls.local:8081"),
        allowed,
    }
}

#[test]
fn own_signed_urls_map_to_storage_and_forgeries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(
        dir.path().into(),
        "http://ppi.local:8080".into(),
        b"k".repeat(32),
    )
    .unwrap();
    let key = ObjectKey::parse("users/ann/lessons/L1/source.mp4").unwrap();
    let url = store.sign("GET", &key, Duration::from_secs(60));
    let p = policy(Some(&store), &[]);
    assert_eq!(
        p.classify("video", &url).unwrap(),
        MediaSource::Stored(key.clone())
    );
    let forged = url.replace("L1", "L2");
    assert!(matches!(
        p.classify("video", &forged),
        Err(MediaError::BadSignature { .. })
    ));
}

#[test]
fn the_allow_list_guards_every_other_host() {
    let allowed = vec!["media.example.org".to_owned(), "cdn.local:9000".to_owned()];
    let p = policy(None, &allowed);
    for ok in [
        "https://media.example.org/a.mp4",
        "http://cdn.local:9000/b.mp4",
    ] {
        assert!(
            matches!(p.classify("video", ok), Ok(MediaSource::Remote(_))),
            "{ok}"
        );
    }
    for refused in [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:5432/",
        "http://cdn.local:9001/b.mp4",
        "http://media.example.org.evil.com/a.mp4",
    ] {
        let e = p.classify("video", refused).unwrap_err();
        assert!(e.to_string().contains("is not allowed"), "{refused}: {e}");
    }
    assert!(matches!(
        p.classify("video", "file:///etc/passwd"),
        Err(MediaError::BadUrl { .. })
    ));
    assert!(matches!(
        p.classify("video", " "),
        Err(MediaError::Missing(_))
    ));
}

#[test]
fn label_studio_and_bucket_uris_are_recognised() {
    let p = policy(None, &[]);
    assert_eq!(
        p.classify("video", "s3://ppi/users/a/x.mp4").unwrap(),
        MediaSource::Stored(ObjectKey::parse("users/a/x.mp4").unwrap())
    );
    assert!(matches!(
        p.classify("video", "/data/upload/1/x.mp4").unwrap(),
        MediaSource::LabelStudio(_)
    ));
    assert!(matches!(
        p.classify("video", "http://ls.local:8081/data/upload/1/x.mp4")
            .unwrap(),
        MediaSource::LabelStudio(_)
    ));
}

#[test]
fn media_keys_ignore_signatures() {
    let a = MediaSource::Remote(url::Url::parse("https://h/a.mp4?X-Amz-Signature=1&v=2").unwrap());
    let b = MediaSource::Remote(url::Url::parse("https://h/a.mp4?X-Amz-Signature=9&v=2").unwrap());
    let c = MediaSource::Remote(url::Url::parse("https://h/a.mp4?v=3").unwrap());
    assert_eq!(a.media_key(), b.media_key());
    assert_ne!(a.media_key(), c.media_key());
}
