//! Crop boxes in percent of the frame, as Label Studio's rectangle tools express them.

use std::fmt;
use std::str::FromStr;

/// Small overshoots such as `x + width = 100.0004` are common in LS output and are clamped.
const SLACK: f64 = 0.01;

/// A rectangle in percent of the frame: `x`, `y` are the top-left corner, all values in 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CropBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Why four numbers are not a crop box.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidCrop {
    #[error("expected four comma-separated numbers x,y,w,h in percent, got {0:?}")]
    Syntax(String),
    #[error("{field} = {value} is outside 0..100 percent")]
    OutOfRange { field: &'static str, value: f64 },
    #[error("the box is empty: width and height must be above 0")]
    Empty,
    #[error("the box extends past the frame: x+width = {0:.3}, y+height = {1:.3} (at most 100)")]
    PastEdge(f64, f64),
}

impl CropBox {
    /// Validates a box given in percent.
    pub fn new(x: f64, y: f64, width: f64, height: f64) -> Result<Self, InvalidCrop> {
        for (field, value) in [("x", x), ("y", y), ("width", width), ("height", height)] {
            if !value.is_finite() || !(-SLACK..=100.0 + SLACK).contains(&value) {
                return Err(InvalidCrop::OutOfRange { field, value });
            }
        }
        if width <= 0.0 || height <= 0.0 {
            return Err(InvalidCrop::Empty);
        }
        if x + width > 100.0 + SLACK || y + height > 100.0 + SLACK {
            return Err(InvalidCrop::PastEdge(x + width, y + height));
        }
        let x = x.clamp(0.0, 100.0);
        let y = y.clamp(0.0, 100.0);
        Ok(CropBox {
            x,
            y,
            width: width.min(100.0 - x),
            height: height.min(100.0 - y),
        })
    }

    /// The box in whole pixels of a `frame_w` × `frame_h` frame, never empty and never past
    /// the frame edge. Returns `(left, top, width, height)`.
    pub fn to_pixels(self, frame_w: u32, frame_h: u32) -> (u32, u32, u32, u32) {
        let fw = f64::from(frame_w);
        let fh = f64::from(frame_h);
        let left = ((self.x / 100.0 * fw).round() as u32).min(frame_w.saturating_sub(1));
        let top = ((self.y / 100.0 * fh).round() as u32).min(frame_h.saturating_sub(1));
        let right = (((self.x + self.width) / 100.0 * fw).round() as u32).clamp(left + 1, frame_w);
        let bottom = (((self.y + self.height) / 100.0 * fh).round() as u32).clamp(top + 1, frame_h);
        (left, top, right - left, bottom - top)
    }
}

impl FromStr for CropBox {
    type Err = InvalidCrop;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().trim_end_matches('%').parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| InvalidCrop::Syntax(s.to_owned()))?;
        match parts.as_slice() {
            [x, y, w, h] => CropBox::new(*x, *y, *w, *h),
            _ => Err(InvalidCrop::Syntax(s.to_owned())),
        }
    }
}

impl fmt::Display for CropBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.2},{:.2},{:.2},{:.2}",
            self.x, self.y, self.width, self.height
        )
    }
}

#[cfg(test)]
#[path = "crop_tests.rs"]
mod tests;
