//! Publishing to the Hub double: its fidelity proven with the real `huggingface_hub` client,
//! then `ppi dataset publish` with retries, resume, unchanged files skipped, deletions, many
//! commits, and a bad token refused before any work.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::hub::HubDouble;
use crate::support::{ppi, python, run, scratch};

/// Runs Python with the real Hub client pointed at the double (Xet off, private cache).
fn py(hub: &HubDouble, token: &str, code: &str, args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", token)
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HOME", home.path())
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env_remove("HF_HUB_OFFLINE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Deterministic pseudo-random bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A dataset-shaped folder: card, metadata, media of several sizes (one multipart-sized).
fn dataset(dir: &Path, items: usize) {
    for d in ["videos", "images", "audio", "transcripts"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let mut csv = String::from("file_name,pattern\n");
    for i in 0..items {
        std::fs::write(
            dir.join(format!("videos/clip{i:03}.mp4")),
            noise(i as u64, 20_000 + i * 37),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("images/clip{i:03}.jpg")),
            noise(1000 + i as u64, 3_000),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("audio/clip{i:03}.wav")),
            noise(2000 + i as u64, 8_000),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("transcripts/clip{i:03}.txt")),
            format!("clip {i}\n"),
        )
        .unwrap();
        csv.push_str(&format!("videos/clip{i:03}.mp4,Questioning\n"));
    }
    std::fs::write(dir.join("videos/lesson-full.mp4"), noise(7, 9 << 20)).unwrap();
    std::fs::write(dir.join("metadata.csv"), csv).unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: cc-by-4.0\n---\n# Test dataset\n",
    )
    .unwrap();
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn remote(hub: &HubDouble, repo: &str) -> BTreeMap<String, Vec<u8>> {
    hub.files(repo)
        .into_iter()
        .map(|(p, f)| (p, f.bytes))
        .collect()
}

#[test]
fn the_real_hub_client_uploads_to_the_double_and_downloads_back_identical() {
    let hub = HubDouble::start();
    hub.state.lock().unwrap().multipart_threshold = 4 << 20;
    hub.state.lock().unwrap().chunk = 2 << 20;
    let dir = scratch();
    let src = dir.path().join("src");
    dataset(&src, 5);
    let back = dir.path().join("back");
    py(
        &hub,
        "hf_test",
        "import sys; from huggingface_hub import HfApi, snapshot_download\n\
         api = HfApi()\n\
         api.create_repo('testorg/fidelity', repo_type='dataset')\n\
         api.create_repo('testorg/fidelity', repo_type='dataset', exist_ok=True)\n\
         api.upload_folder(folder_path=sys.argv[1], repo_id='testorg/fidelity', repo_type='dataset', allow_patterns=['videos/lesson-full.mp4'])\n\
         api.upload_folder(folder_path=sys.argv[1], repo_id='testorg/fidelity', repo_type='dataset')\n\
         files = api.list_repo_files('testorg/fidelity', repo_type='dataset')\n\
         assert 'videos/lesson-full.mp4' in files, files\n\
         info = api.get_paths_info('testorg/fidelity', ['metadata.csv', 'videos/lesson-full.mp4'], repo_type='dataset')\n\
         assert info[1].lfs is not None and info[1].lfs.size == 9 * 2**20, info\n\
         snapshot_download('testorg/fidelity', repo_type='dataset', local_dir=sys.argv[2])\n",
        &[src.to_str().unwrap(), back.to_str().unwrap()],
    );
    assert_eq!(tree(&src), tree(&back));
    assert_eq!(tree(&src), remote(&hub, "testorg/fidelity"));
    let st = hub.state.lock().unwrap();
    // The 9 MiB file went multipart, the rest basic; binaries never inline.
    assert!(st.requests.iter().any(|r| r.starts_with("PUT /lfs/part/")));
    assert!(st
        .requests
        .iter()
        .any(|r| r.starts_with("PUT /lfs/upload/")));
    assert!(
        st.commit_bytes_in < 64 << 10,
        "{} bytes in commits",
        st.commit_bytes_in
    );
}

fn publish(hub: &HubDouble, dir: &Path, token: &str) -> (i32, String, String) {
    run(ppi()
        .args(["dataset", "publish"])
        .arg(dir)
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", token)
        .env("HF_USERNAME", "testorg")
        .env("DATASET_NAME", "lessons"))
}

#[test]
fn publish_retries_resumes_skips_unchanged_and_mirrors_deletions() {
    let hub = HubDouble::start();
    hub.state.lock().unwrap().tokens = vec!["hf_good".into()];
    let dir = scratch();
    let src = dir.path().join("ds");
    dataset(&src, 40); // 163 files: two commits

    // A bad token fails at whoami, before any hashing or upload.
    let (code, _, err) = publish(&hub, &src, "hf_bad");
    assert_ne!(code, 0);
    assert!(
        err.contains("hub-unauthorized") && err.contains("HF_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("hf_bad"), "{err}");
    assert_eq!(
        hub.state.lock().unwrap().requests,
        vec!["GET /api/whoami-v2"]
    );

    // 5xx and 429 along the way are retried; then the commits fail past the retries.
    hub.fault("PUT /lfs/upload/", 503, 2);
    hub.fault("POST /api/datasets/testorg/lessons/preupload", 429, 1);
    hub.fault("POST /api/datasets/testorg/lessons/commit", 500, 6);
    let (code, _, err) = publish(&hub, &src, "hf_good");
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("hub-error") && err.contains("500"), "{err}");
    let sent_first = hub.state.lock().unwrap().lfs_bytes_in;
    assert!(sent_first > 9 << 20);

    // Resume: the LFS objects are already there, so no media bytes go again.
    let (code, out, err) = publish(&hub, &src, "hf_good");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/datasets/testorg/lessons"), "{out}");
    assert_eq!(
        hub.state.lock().unwrap().lfs_bytes_in,
        sent_first,
        "nothing re-sent"
    );
    assert_eq!(tree(&src), remote(&hub, "testorg/lessons"));
    let commits =
        hub.state.lock().unwrap().commits[&("dataset".to_owned(), "testorg/lessons".to_owned())];
    assert_eq!(commits, 2, "163 files in commits of at most 100");

    // Unchanged: no media bytes, no commit.
    let (code, _, err) = publish(&hub, &src, "hf_good");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("163 unchanged, 0 sent (0 LFS bytes, 0 inline bytes)"),
        "{err}"
    );
    assert_eq!(hub.state.lock().unwrap().lfs_bytes_in, sent_first);

    // A removed item disappears from the Hub; a changed one is sent alone.
    std::fs::remove_file(src.join("videos/clip003.mp4")).unwrap();
    std::fs::write(src.join("images/clip004.jpg"), noise(99, 3_100)).unwrap();
    let (code, _, err) = publish(&hub, &src, "hf_good");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("1 sent (3100 LFS bytes, 0 inline bytes), 1 deleted"),
        "{err}"
    );
    assert_eq!(tree(&src), remote(&hub, "testorg/lessons"));
    // PPI sent the 9 MiB file in parts; the real client downloads what PPI published intact.
    assert!(hub
        .state
        .lock()
        .unwrap()
        .requests
        .iter()
        .any(|r| r.starts_with("PUT /lfs/part/")));
    let back = dir.path().join("back");
    py(
        &hub,
        "hf_good",
        "import sys; from huggingface_hub import snapshot_download\n\
         snapshot_download('testorg/lessons', repo_type='dataset', local_dir=sys.argv[1])\n",
        &[back.to_str().unwrap()],
    );
    assert_eq!(tree(&src), tree(&back));
}

/// `ppi dataset build --parquet`, published by PPI, loaded by `datasets` from the double:
/// key frames decoded as images; video and audio typed `Video`/`Audio` with the exact bytes,
/// and decoded for real through torchcodec (torch + torchcodec in the test venv): the clip
/// presents exactly the interval's frames, the audio is 16 kHz over the interval.
#[test]
fn datasets_loads_what_ppi_published() {
    let hub = HubDouble::start();
    let dir = scratch();
    let video = dir.path().join("lesson-001.mp4");
    crate::support::lesson_video(&video);
    let out = dir.path().join("ds");
    let (code, stdout, stderr) = run(ppi()
        .args(["dataset", "build", "--parquet", "--video"])
        .arg(&video)
        .arg("--annotations")
        .arg(crate::support::fixture("export_lesson-001.json"))
        .arg("--patterns")
        .arg(crate::support::fixture("patterns.xlsx"))
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(out.join("data/train-00000-of-00001.parquet").is_file());
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("data/train-*"), "{card}");
    let (code, _, err) = run(ppi()
        .args(["dataset", "publish"])
        .arg(&out)
        .args(["--repo", "testorg/parquet-lessons"])
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", "hf_any"));
    assert_eq!(code, 0, "{err}");
    let loaded = py(
        &hub,
        "hf_any",
        "import sys\nfrom datasets import load_dataset, Audio, Video\n\
         ds = load_dataset('testorg/parquet-lessons', split='train')\n\
         f = ds.features\n\
         assert type(f['video']).__name__ == 'Video' and type(f['audio']).__name__ == 'Audio', f\n\
         assert f['audio'].sampling_rate == 16000\n\
         row = ds.cast_column('audio', Audio(decode=False)).cast_column('video', Video(decode=False))[0]\n\
         raw = row\n\
         wav = open(sys.argv[1] + '/' + row['audio_file'], 'rb').read()\n\
         mp4 = open(sys.argv[1] + '/' + row['video_file'], 'rb').read()\n\
         assert raw['audio']['bytes'] == wav and raw['video']['bytes'] == mp4\n\
         row = ds[0]\n\
         dec = row['video']\n\
         index = lambda t: (lambda g: sum(1 << b for b in range(12) if g[16, b * 16 + 8] > 128))(t.float().mean(0))\n\
         idx = [index(dec[i]) for i in range(len(dec))]\n\
         assert idx == list(range(row['start_frame'] - 1, row['end_frame'])), (idx, row['start_frame'], row['end_frame'])\n\
         a = row['audio'].get_all_samples()\n\
         assert a.sample_rate == 16000, a.sample_rate\n\
         assert abs(a.data.shape[-1] / 16000 - (row['end_time'] - row['start_time'])) < 0.01, a.data.shape\n\
         print(len(ds), type(row['image']).__name__, row['image'].size, row['pattern_type'], len(idx), type(dec).__name__)\n",
        &[out.to_str().unwrap()],
    );
    assert!(
        loaded.starts_with("3 ") && loaded.contains("JpegImageFile") && loaded.contains("Lecture"),
        "{loaded}"
    );
}
