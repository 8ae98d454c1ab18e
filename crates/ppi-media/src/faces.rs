//! Faces as a key-frame term: the SeetaFace frontal detector (`rustface`, pure Rust, BSD-2),
//! its model embedded from the crate package at build time. Run only on the few best samples
//! of an interval; a frame showing a face, the larger the better, gains up to 1.

use std::cell::RefCell;

use super::scoring::{FrameTerm, Gray};

static MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seeta_fd_frontal.bin"));

thread_local! {
    // The detector is not `Send`; each worker thread keeps its own (the model parses in ms).
    static DETECTOR: RefCell<Option<Box<dyn rustface::Detector>>> = const { RefCell::new(None) };
}

/// A face found in a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub score: f64,
}

/// Frontal faces of at least 20 px in a grayscale image.
pub fn detect(img: &Gray) -> Vec<Face> {
    if img.width < 24 || img.height < 24 {
        return Vec::new();
    }
    DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let Ok(model) = rustface::read_model(std::io::Cursor::new(MODEL)) else {
                return Vec::new();
            };
            let mut d = rustface::create_detector_with_model(model);
            d.set_min_face_size(20);
            d.set_score_thresh(2.0);
            d.set_pyramid_scale_factor(0.8);
            d.set_slide_window_step(4, 4);
            *slot = Some(d);
        }
        let Some(d) = slot.as_mut() else {
            return Vec::new();
        };
        let data = rustface::ImageData::new(&img.data, img.width as u32, img.height as u32);
        d.detect(&data)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                Face {
                    x: b.x(),
                    y: b.y(),
                    width: b.width(),
                    height: b.height(),
                    score: f.score(),
                }
            })
            .collect()
    })
}

/// The face term: 0 without a face; with one, 0.5 plus up to 0.5 as the largest face grows to
/// 5 % of the frame.
pub struct FaceTerm;

impl FrameTerm for FaceTerm {
    fn name(&self) -> &'static str {
        "faces"
    }

    fn measure(&self, frame: &Gray) -> f64 {
        let area = (frame.width * frame.height).max(1) as f64;
        detect(frame)
            .iter()
            .map(|f| f.width as f64 * f.height as f64 / area)
            .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))))
            .map_or(0.0, |a| 0.5 + 0.5 * (a / 0.05).min(1.0))
    }
}
