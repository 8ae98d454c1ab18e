//! Accurate clips are exact for the readers dataset users run: PyAV, OpenCV and torchcodec
//! (what `datasets` decodes video with) present exactly the interval's frames of an
//! index-coded video, edit list honoured. (`decord` ignores edit lists and returns whole GOPs;
//! the dataset card says so and names `--reencode` for such readers.)

use crate::support::{index_video, python_run, scratch, VideoSpec, BITS, BLOCK};
use ppi_core::domain::{Fps, FrameRange};
use ppi_media::{self as media, ClipMode, ClipRequest, Source};

const READ: &str = r#"
import sys, json
import av, cv2, numpy as np
from torchcodec.decoders import VideoDecoder
BLOCK, BITS = int(sys.argv[2]), int(sys.argv[3])
def index(gray):
    return sum(1 << b for b in range(BITS) if gray[BLOCK, b * BLOCK + BLOCK // 2] > 128)
path = sys.argv[1]
pyav = [index(f.to_ndarray(format="gray")) for f in av.open(path).decode(video=0)]
cap, ocv = cv2.VideoCapture(path), []
while True:
    ok, frame = cap.read()
    if not ok:
        break
    ocv.append(index(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)))
dec = VideoDecoder(path)
tc = [index(dec[i].float().mean(0).numpy()) for i in range(len(dec))]
print(json.dumps({"pyav": pyav, "opencv": ocv, "torchcodec": tc}))
"#;

#[test]
fn accurate_clips_are_exact_for_pyav_opencv_and_torchcodec() {
    let dir = scratch();
    let video = dir.path().join("index.mp4");
    index_video(&video, &VideoSpec::default());
    let probe = media::probe(&video).unwrap();
    let fps = Fps::new(probe.video.fps).unwrap();
    let mut src = Source::open(&video, &probe).unwrap();
    for &(s, e) in &[(1, 30), (61, 120), (95, 214), (62, 62)] {
        let r = FrameRange::new(s, e).unwrap();
        let out = dir.path().join(format!("clip_{s}_{e}.mp4"));
        src.cut_clip(
            &ClipRequest {
                start: r.start_seconds(fps),
                end: r.end_seconds(fps),
                frame_duration: fps.frame_duration(),
                mode: ClipMode::Accurate,
            },
            &out,
        )
        .unwrap();
        let got: serde_json::Value = serde_json::from_str(
            python_run(
                READ,
                &[out.to_str().unwrap(), &BLOCK.to_string(), &BITS.to_string()],
            )
            .trim(),
        )
        .unwrap();
        let want: Vec<u64> = (r.first_index()..=r.last_index()).collect();
        for reader in ["pyav", "opencv", "torchcodec"] {
            let idx: Vec<u64> = serde_json::from_value(got[reader].clone()).unwrap();
            assert_eq!(idx, want, "{reader} on {s}..={e}");
        }
    }
}
