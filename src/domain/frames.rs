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
mod tests {
    use super::*;

    fn fps(v: f64) -> Fps {
        Fps::new(v).unwrap()
    }

    #[test]
    fn frames_to_seconds_follow_label_studio() {
        let r = FrameRange::new(1, 250).unwrap();
        assert_eq!(r.start_seconds(fps(25.0)), 0.0);
        assert_eq!(r.end_seconds(fps(25.0)), 10.0);
        assert_eq!(r.len(), 250);
        assert_eq!(r.duration_seconds(fps(25.0)), 10.0);
    }

    #[test]
    fn seconds_to_frames_follow_label_studio() {
        let r = FrameRange::from_seconds(3.5, 5.5, fps(30.0)).unwrap();
        assert_eq!((r.start(), r.end()), (106, 165));
        assert_eq!(r.start_seconds(fps(30.0)), 3.5);
        assert_eq!(r.end_seconds(fps(30.0)), 5.5);
        // A float product just below an integer must not fall to the previous frame.
        let r = FrameRange::from_seconds(0.1 * 3.0, 0.7, fps(10.0)).unwrap();
        assert_eq!((r.start(), r.end()), (4, 7));
    }

    #[test]
    fn round_trip_is_identity() {
        for (s, e) in [(1, 1), (1, 2), (7, 300), (251, 400)] {
            let r = FrameRange::new(s, e).unwrap();
            for f in [24.0, 25.0, 29.97, 30.0, 60.0] {
                let back = FrameRange::from_seconds(
                    r.start_seconds(fps(f)),
                    r.end_seconds(fps(f)),
                    fps(f),
                )
                .unwrap();
                assert_eq!(back, r, "fps {f}");
            }
        }
    }

    #[test]
    fn single_click_is_one_frame() {
        let r = FrameRange::new(42, 42).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r.middle_index(), 41);
    }

    #[test]
    fn middle_frame_is_on_screen_at_middle_time() {
        let r = FrameRange::new(1, 250).unwrap();
        // middle time 5.0 s at 25 fps shows 0-based frame 125.
        assert_eq!(r.middle_index(), 125);
        let r = FrameRange::new(106, 165).unwrap();
        assert_eq!(r.middle_index(), 135);
        assert!(r.middle_index() >= r.first_index() && r.middle_index() <= r.last_index());
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert_eq!(
            FrameRange::new(0, 5),
            Err(InvalidRange::BeforeFirstFrame(0))
        );
        assert_eq!(
            FrameRange::new(9, 5),
            Err(InvalidRange::Inverted { start: 9, end: 5 })
        );
        assert!(FrameRange::from_seconds(5.0, 5.0, fps(25.0)).is_err());
        assert!(FrameRange::from_seconds(-1.0, 5.0, fps(25.0)).is_err());
        assert!(FrameRange::from_seconds(f64::NAN, 5.0, fps(25.0)).is_err());
    }

    #[test]
    fn fps_is_validated_and_printed_compactly() {
        assert!(Fps::new(0.0).is_err());
        assert!(Fps::new(f64::INFINITY).is_err());
        assert_eq!(fps(25.0).to_string(), "25");
        assert_eq!(fps(30000.0 / 1001.0).to_string(), "29.97");
    }
}
