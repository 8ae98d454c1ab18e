//! Time arithmetic between Label Studio frames, seconds and frame indices. This is the one
//! place these conversions live.
//!
//! Label Studio numbers video frames from **1**, and a timeline range's `end` is **inclusive**:
//! a single click creates `start == end`, one frame. Frame `f` is on screen from `(f-1)/fps`
//! until `f/fps`. The frame rate comes from the task (`frameRate="$fps"`), never from the file,
//! so a range is always interpreted at the task's fps.

use std::fmt;

/// Rounding slack for float products such as `3.5 * 30.0`, far below one frame.
const EPS: f64 = 1e-6;

/// A validated frame rate in frames per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Fps(f64);

/// Why a number is not a usable frame rate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("frame rate {0} is not usable: it must be a finite number between 1 and 1000")]
pub struct InvalidFps(pub f64);

impl Fps {
    /// Accepts frame rates in `[1, 1000]`.
    pub fn new(value: f64) -> Result<Self, InvalidFps> {
        if value.is_finite() && (1.0..=1000.0).contains(&value) {
            Ok(Fps(value))
        } else {
            Err(InvalidFps(value))
        }
    }

    /// The rate as a float.
    pub fn get(self) -> f64 {
        self.0
    }

    /// One frame's duration in seconds.
    pub fn frame_duration(self) -> f64 {
        1.0 / self.0
    }
}

impl fmt::Display for Fps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 25 prints as "25", 29.97 as "29.97".
        let rounded = (self.0 * 1000.0).round() / 1000.0;
        write!(f, "{rounded}")
    }
}

/// A Label Studio frame range: 1-based, both ends inclusive, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameRange {
    start: u64,
    end: u64,
}

/// Why a pair of frame numbers is not a range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidRange {
    #[error("frame {0} is before the first frame (Label Studio frames start at 1)")]
    BeforeFirstFrame(i64),
    #[error("the range is inverted: end frame {end} is before start frame {start}")]
    Inverted { start: i64, end: i64 },
    #[error("the range is inverted or empty: end {end:.3} s is not after start {start:.3} s")]
    InvertedSeconds { start: f64, end: f64 },
    #[error("time {0} s is negative or not a number")]
    BadSeconds(f64),
}

impl FrameRange {
    /// A range from Label Studio's `{start, end}` frame numbers.
    pub fn new(start: i64, end: i64) -> Result<Self, InvalidRange> {
        if start < 1 {
            return Err(InvalidRange::BeforeFirstFrame(start));
        }
        if end < start {
            return Err(InvalidRange::Inverted { start, end });
        }
        Ok(FrameRange {
            start: start as u64,
            end: end as u64,
        })
    }

    /// The frames covering `[t0, t1)` seconds: `start = floor(t0*fps)+1`,
    /// `end = max(start, ceil(t1*fps))`, exactly as Label Studio converts.
    pub fn from_seconds(t0: f64, t1: f64, fps: Fps) -> Result<Self, InvalidRange> {
        for t in [t0, t1] {
            if !t.is_finite() || t < 0.0 {
                return Err(InvalidRange::BadSeconds(t));
            }
        }
        if t1 <= t0 {
            return Err(InvalidRange::InvertedSeconds { start: t0, end: t1 });
        }
        let start = (t0 * fps.get() + EPS).floor() as u64 + 1;
        let end = ((t1 * fps.get() - EPS).ceil() as u64).max(start);
        Ok(FrameRange { start, end })
    }

    /// First frame, 1-based.
    pub fn start(self) -> u64 {
        self.start
    }

    /// Last frame, 1-based and inclusive.
    pub fn end(self) -> u64 {
        self.end
    }

    /// Number of frames in the range.
    pub fn len(self) -> u64 {
        self.end - self.start + 1
    }

    /// Ranges always hold at least one frame.
    pub fn is_empty(self) -> bool {
        false
    }

    /// 0-based index of the first frame.
    pub fn first_index(self) -> u64 {
        self.start - 1
    }

    /// 0-based index of the last frame.
    pub fn last_index(self) -> u64 {
        self.end - 1
    }

    /// When the first frame appears: `(start-1)/fps`.
    pub fn start_seconds(self, fps: Fps) -> f64 {
        self.first_index() as f64 / fps.get()
    }

    /// When the last frame ends: `end/fps`.
    pub fn end_seconds(self, fps: Fps) -> f64 {
        self.end as f64 / fps.get()
    }

    /// Duration from the first frame's start to the last frame's end.
    pub fn duration_seconds(self, fps: Fps) -> f64 {
        self.len() as f64 / fps.get()
    }

    /// 0-based index of the frame on screen at the middle time `(t0 + t1) / 2`.
    ///
    /// With `t0 = (start-1)/fps` and `t1 = end/fps` this is `floor((start-1+end)/2)`, an integer
    /// identity that needs no floating point.
    pub fn middle_index(self) -> u64 {
        (self.first_index() + self.end) / 2
    }
}

impl fmt::Display for FrameRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frames {}..={}", self.start, self.end)
    }
}

/// Start time in seconds of the frame with 0-based `index`.
pub fn index_seconds(index: u64, fps: Fps) -> f64 {
    index as f64 / fps.get()
}

/// Rounds seconds to milliseconds for display and metadata.
pub fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
