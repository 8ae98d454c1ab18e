//! Test helpers every crate's integration tests share: tiny generated videos and independent
//! checks through the `ffmpeg` program, speech with known truth (espeak-ng, sox), the Python
//! test venv, the real Whisper model and the repository's fixtures. The product never runs
//! `ffmpeg`; tests use it to make inputs and to judge outputs with a decoder that is not the
//! code under test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root: the nearest folder above the running test's package (cargo and
/// nextest set `CARGO_MANIFEST_DIR` at run time) whose `Cargo.toml` has `[workspace]`.
///
/// Read at run time, not with `env!`: clones that share one target folder reuse this crate's
/// build, and a path baked in at compile time would point into whichever clone built it first.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .expect("CARGO_MANIFEST_DIR or a current folder");
    start
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .unwrap_or_else(|| panic!("no workspace Cargo.toml above {}", start.display()))
        .to_path_buf()
}

/// Width of one index bit block in the generated videos.
pub const BLOCK: u32 = 16;
/// Index bits per frame: up to 4096 frames.
pub const BITS: u32 = 12;

pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed by scripts/setup.sh");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Options for [`index_video`].
pub struct VideoSpec {
    pub seconds: f64,
    pub fps: u32,
    pub gop: u32,
    pub bframes: u32,
    pub audio: bool,
}

impl Default for VideoSpec {
    fn default() -> Self {
        VideoSpec {
            seconds: 12.0,
            fps: 30,
            gop: 60,
            bframes: 2,
            audio: true,
        }
    }
}

/// A video whose frame `n` shows `n` in binary: bit `b` is block `b` (white = 1).
pub fn index_video(path: &Path, spec: &VideoSpec) {
    let w = BLOCK * BITS;
    let lum = format!("if(bitand(floor(N/pow(2\\,floor(X/{BLOCK})))\\,1)\\,235\\,16)");
    let video = format!(
        "nullsrc=s={w}x{h}:r={fps}:d={d},geq=lum='{lum}':cb=128:cr=128",
        h = BLOCK * 2,
        fps = spec.fps,
        d = spec.seconds
    );
    let gop = spec.gop.to_string();
    let bf = spec.bframes.to_string();
    let mut args: Vec<String> = vec!["-f".into(), "lavfi".into(), "-i".into(), video];
    if spec.audio {
        args.extend(["-f", "lavfi", "-i"].map(String::from));
        args.push(format!(
            "sine=frequency=440:sample_rate=48000:duration={}",
            spec.seconds
        ));
    }
    args.extend(
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "10",
            "-pix_fmt",
            "yuv420p",
            "-g",
            &gop,
            "-keyint_min",
            &gop,
            "-sc_threshold",
            "0",
            "-bf",
            &bf,
        ]
        .map(String::from),
    );
    if spec.audio {
        args.extend(["-c:a", "aac", "-b:a", "64k", "-shortest"].map(String::from));
    }
    args.push(path.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&refs);
}

fn decode_gray(path: &Path) -> (Vec<u8>, usize) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        // Passthrough: every decoded frame once, no CFR duplication hiding gaps.
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "decode {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let w = (BLOCK * BITS) as usize;
    (out.stdout, w)
}

fn index_of(frame: &[u8], w: usize) -> u32 {
    let row = (BLOCK as usize) * w; // middle row of the index band
    (0..BITS).fold(0, |acc, b| {
        let x = (b * BLOCK + BLOCK / 2) as usize;
        if frame[row + x] > 128 {
            acc | (1 << b)
        } else {
            acc
        }
    })
}

/// The frame indices FFmpeg presents when decoding `path` (edit lists honoured).
pub fn frame_indices(path: &Path) -> Vec<u32> {
    let (raw, w) = decode_gray(path);
    let size = w * (BLOCK as usize * 2);
    raw.chunks_exact(size).map(|f| index_of(f, w)).collect()
}

/// The index shown in an image (a key frame JPEG), full frame.
pub fn image_index(path: &Path) -> u32 {
    let (raw, w) = decode_gray(path);
    index_of(&raw, w)
}

/// `ffprobe` a stream field, e.g. `("a:0", "sample_rate")`.
pub fn ffprobe(path: &Path, stream: &str, field: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-show_entries"])
        .arg(format!("stream={field}"))
        .args(["-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A scratch folder, kept (and printed) when `PPI_KEEP_TEST_DIRS` is set, for looking at outputs.
pub fn scratch() -> tempfile::TempDir {
    let keep = std::env::var_os("PPI_KEEP_TEST_DIRS").is_some();
    let dir = tempfile::Builder::new()
        .prefix("ppi-test-")
        .disable_cleanup(keep)
        .tempdir()
        .expect("tempdir");
    if keep {
        eprintln!("test dir: {}", dir.path().display());
    }
    dir
}

/// The repository's fixtures folder.
pub fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(name)
}

/// The test venv's Python (`scripts/setup.sh` makes it), or `PPI_PYTHON`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PPI_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh",
        p.display()
    );
    p
}

/// Runs a Python snippet in the test venv and returns its stdout; fails the test on error.
pub fn python_run(code: &str, args: &[&str]) -> String {
    // A private HF cache: `datasets` keys local folders by name and content, so a shared cache
    // would hand one test the Arrow tables (with absolute paths) of an earlier test's folder.
    let cache = tempfile::tempdir().expect("tempdir");
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HOME", cache.path())
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lesson used by dataset tests: 20 s at 25 fps with audio, index-coded frames.
pub fn lesson_video(path: &Path) {
    index_video(
        path,
        &VideoSpec {
            seconds: 20.0,
            fps: 25,
            gop: 50,
            bframes: 2,
            audio: true,
        },
    );
}

/// The Whisper model for real-model tests: `PPI_WHISPER_MODEL`, else the shared
/// `ggml-base-q8_0.bin`. Never a fake: without a model the test fails and says how to get one.
pub fn whisper_model() -> PathBuf {
    if let Some(p) = std::env::var_os("PPI_WHISPER_MODEL") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "PPI_WHISPER_MODEL={} does not exist",
            p.display()
        );
        return p;
    }
    let shared = workspace_root().join("../shared/models/ggml-base-q8_0.bin");
    assert!(
        shared.is_file(),
        "no Whisper model: expected {} (multilingual base, q8_0). Get one with \
         `ppi models fetch base-q8_0` (Hub repository ggerganov/whisper.cpp) and set \
         PPI_WHISPER_MODEL=/path/to/ggml-base-q8_0.bin",
        shared.display()
    );
    shared
}

/// A phrase spoken by espeak-ng at `at` seconds.
pub struct Phrase {
    pub at: f64,
    pub voice: &'static str,
    pub text: &'static str,
}

/// Speech in English and Russian at known times, with silence between, as a 16 kHz mono WAV
/// (and optionally muxed under a video). Returns each phrase's (start, end) in seconds.
pub fn speech_wav(path: &Path, phrases: &[Phrase], total: f64) -> Vec<(f64, f64)> {
    let dir = path.parent().unwrap();
    let mut inputs: Vec<String> = Vec::new();
    let mut filters = Vec::new();
    let mut spans = Vec::new();
    for (i, p) in phrases.iter().enumerate() {
        let w = dir.join(format!(".phrase{i}.wav"));
        let out = Command::new("espeak-ng")
            .args(["-v", p.voice, "-s", "150", "-w"])
            .arg(&w)
            .arg(p.text)
            .output()
            .expect("espeak-ng is installed by scripts/setup.sh");
        assert!(
            out.status.success(),
            "espeak-ng: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dur: f64 = ffprobe(&w, "a:0", "duration").parse().unwrap();
        spans.push((p.at, p.at + dur));
        inputs.push("-i".into());
        inputs.push(w.to_string_lossy().into_owned());
        let ms = (p.at * 1000.0) as u64;
        filters.push(format!("[{i}:a]aresample=16000,adelay={ms}:all=1[a{i}]"));
    }
    let labels: String = (0..phrases.len()).map(|i| format!("[a{i}]")).collect();
    let graph = format!(
        "{};{labels}amix=inputs={}:normalize=0,apad,atrim=0:{total}[out]",
        filters.join(";"),
        phrases.len()
    );
    let mut args: Vec<String> = inputs;
    args.extend([
        "-filter_complex".into(),
        graph,
        "-map".into(),
        "[out]".into(),
    ]);
    args.extend(["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"].map(String::from));
    args.push(path.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&refs);
    spans
}

/// `video`'s frames (copied) with `wav` as AAC audio, into `out`, as long as the shorter.
pub fn with_audio(video: &Path, wav: &Path, out: &Path) {
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-i",
        wav.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-shortest",
        out.to_str().unwrap(),
    ]);
}

/// Word error rate of `hyp` against `reference`, ignoring case and punctuation.
pub fn wer(reference: &str, hyp: &str) -> f64 {
    let norm = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c.is_whitespace() {
                    c
                } else {
                    ' '
                }
            })
            .collect::<String>()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let (r, h) = (norm(reference), norm(hyp));
    let mut d: Vec<Vec<usize>> = vec![vec![0; h.len() + 1]; r.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=r.len() {
        for j in 1..=h.len() {
            let sub = d[i - 1][j - 1] + usize::from(r[i - 1] != h[j - 1]);
            d[i][j] = sub.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
        }
    }
    d[r.len()][h.len()] as f64 / r.len().max(1) as f64
}

/// A variable-frame-rate video: index-coded frames 0–299 at 25 fps (0–11.96 s), then frames
/// 300… at 10 fps from 12.0 s, with a sine audio track (two CFR segments joined by FFmpeg's
/// concat demuxer, which keeps each one's timestamps). Returns the frame on screen at `t`.
pub fn vfr_video(path: &Path) -> impl Fn(f64) -> u32 {
    let w = BLOCK * BITS;
    let dir = path.parent().unwrap();
    let segment = |name: &str, fps: u32, secs: u32, offset: u32, gop: &str| {
        let lum =
            format!("if(bitand(floor((N+{offset})/pow(2\\,floor(X/{BLOCK})))\\,1)\\,235\\,16)");
        let out = dir.join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &format!(
                "nullsrc=s={w}x{h}:r={fps}:d={secs},geq=lum='{lum}':cb=128:cr=128",
                h = BLOCK * 2
            ),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "10",
            "-g",
            gop,
            "-bf",
            "2",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "mpegts",
            out.to_str().unwrap(),
        ]);
        out
    };
    let (a, b) = (
        segment(".vfr-a.ts", 25, 12, 0, "50"),
        segment(".vfr-b.ts", 10, 8, 300, "20"),
    );
    let list = dir.join(".vfr.txt");
    std::fs::write(
        &list,
        format!("file '{}'\nfile '{}'\n", a.display(), b.display()),
    )
    .unwrap();
    ffmpeg(&[
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        list.to_str().unwrap(),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=20",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-video_track_timescale",
        "12800",
        "-shortest",
        path.to_str().unwrap(),
    ]);
    |t: f64| {
        if t < 12.0 - 1e-9 {
            (t * 25.0 + 1e-9).floor() as u32
        } else {
            300 + ((t - 12.0) * 10.0 + 1e-9).floor() as u32
        }
    }
}

/// 12 s at 25 fps, 640×360, x264 with B-frames, from the lavfi source `src` (`testsrc2`,
/// `smptebars`…); `vf` shapes the picture over time.
pub fn pattern_video(path: &Path, src: &str, vf: &str) {
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("{src}=s=640x360:r=25:d=12"),
        "-vf",
        vf,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-bf",
        "2",
        "-g",
        "50",
        "-pix_fmt",
        "yuv420p",
        path.to_str().unwrap(),
    ]);
}
