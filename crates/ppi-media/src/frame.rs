//! Exact key frames: decode the frame on screen at a given time, convert to RGB, crop, and
//! save as JPEG.

use std::path::Path;

use ffmpeg_next as ff;

use super::source::{Packets, Source};
use super::MediaError;
use ppi_core::domain::CropBox;

/// An RGB image, 3 bytes per pixel, rows packed.
#[derive(Debug, Clone, PartialEq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl RgbImage {
    /// A copy of the box's pixels.
    pub fn crop(&self, crop: CropBox) -> RgbImage {
        let (left, top, w, h) = crop.to_pixels(self.width, self.height);
        let row = self.width as usize * 3;
        let mut data = Vec::with_capacity(w as usize * h as usize * 3);
        for y in top..top + h {
            let start = y as usize * row + left as usize * 3;
            data.extend_from_slice(&self.data[start..start + w as usize * 3]);
        }
        RgbImage {
            width: w,
            height: h,
            data,
        }
    }

    /// Encodes as baseline JPEG.
    pub fn to_jpeg(&self, quality: u8) -> Result<Vec<u8>, String> {
        let (w, h) = (
            u16::try_from(self.width).map_err(|_| "image wider than 65535 pixels")?,
            u16::try_from(self.height).map_err(|_| "image taller than 65535 pixels")?,
        );
        let mut out = Vec::with_capacity(self.data.len() / 8);
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode(&self.data, w, h, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Writes a JPEG atomically.
    pub fn save_jpeg(&self, path: &Path, quality: u8) -> Result<(), MediaError> {
        let bytes = self.to_jpeg(quality).map_err(|detail| MediaError::Write {
            file: path.into(),
            detail,
        })?;
        ppi_core::atomic::write(path, &bytes).map_err(|e| MediaError::Write {
            file: path.into(),
            detail: e.to_string(),
        })
    }
}

/// A frame decoded at a requested time.
#[derive(Debug, Clone)]
pub struct KeyFrame {
    pub image: RgbImage,
    /// The frame's presentation time, seconds from the video's first frame.
    pub time: f64,
}

impl Source {
    /// Decodes the frame that is on screen at `time` seconds: the last one presented at or
    /// before it (by presentation timestamps, so variable frame rates are exact), within a
    /// rounding tolerance ([`super::on_screen_tolerance`]). A time before the first frame gets
    /// the first frame.
    pub fn frame_at(&mut self, time: f64, frame_duration: f64) -> Result<KeyFrame, MediaError> {
        let v = self.video;
        let target = v.ts(time);
        let tol = super::secs_to_ts(super::on_screen_tolerance(frame_duration), v.tb).max(1);
        let packets = self.seek_keyframe(target + tol)?;
        self.frame_state()?.decoder.flush();

        let mut best: Option<ff::frame::Video> = None;
        let mut decoded = ff::frame::Video::empty();
        let mut queue = Packets::new(packets);
        loop {
            let packet = queue.next(self)?;
            let state = self.frame_state()?;
            match &packet {
                Some(p) if p.stream() == v.index => {
                    // A corrupt packet fails to decode; the frames around it still may.
                    let _ = state.decoder.send_packet(p);
                }
                Some(_) => continue,
                None => {
                    let _ = state.decoder.send_eof();
                }
            }
            let mut done = false;
            // Decoders return frames in presentation order: the first one past the target
            // ends the search.
            while state.decoder.receive_frame(&mut decoded).is_ok() {
                let pts = decoded.timestamp().or(decoded.pts()).unwrap_or(i64::MIN);
                if pts <= target + tol {
                    best = Some(decoded.clone());
                } else {
                    if best.is_none() {
                        best = Some(decoded.clone());
                    }
                    done = true;
                    break;
                }
            }
            if done || packet.is_none() {
                break;
            }
        }
        let frame = best.ok_or_else(|| MediaError::OutOfRange {
            file: self.path.clone(),
            detail: format!("no video frame at {time:.3} s"),
        })?;
        let t = v.secs(frame.timestamp().or(frame.pts()).unwrap_or(target));
        let image = self.rgb_of(&frame)?;
        Ok(KeyFrame { image, time: t })
    }

    fn rgb_of(&mut self, frame: &ff::frame::Video) -> Result<RgbImage, MediaError> {
        let (fmt, w, h) = (frame.format(), frame.width(), frame.height());
        let path = self.path.clone();
        let state = self.frame_state()?;
        if state
            .scaler
            .as_ref()
            .is_none_or(|(f, sw, sh, _)| (*f, *sw, *sh) != (fmt, w, h))
        {
            let mut ctx = ff::software::scaling::Context::get(
                fmt,
                w,
                h,
                ff::format::Pixel::RGB24,
                w,
                h,
                ff::software::scaling::Flags::BICUBIC
                    | ff::software::scaling::Flags::ACCURATE_RND
                    | ff::software::scaling::Flags::FULL_CHR_H_INT,
            )
            .map_err(|e| MediaError::Corrupt {
                file: path.clone(),
                detail: format!("cannot convert {fmt:?} frames: {e}"),
            })?;
            set_colorspace(&mut ctx, frame);
            state.scaler = Some((fmt, w, h, ctx));
        }
        let Some((_, _, _, scaler)) = state.scaler.as_mut() else {
            return Err(MediaError::Corrupt {
                file: path,
                detail: "scaler".into(),
            });
        };
        let mut rgb = ff::frame::Video::empty();
        scaler
            .run(frame, &mut rgb)
            .map_err(|e| MediaError::Corrupt {
                file: path,
                detail: format!("frame conversion failed: {e}"),
            })?;
        let stride = rgb.stride(0);
        let row = w as usize * 3;
        let plane = rgb.data(0);
        let mut data = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            data.extend_from_slice(&plane[y * stride..y * stride + row]);
        }
        Ok(RgbImage {
            width: w,
            height: h,
            data,
        })
    }
}

/// Uses the frame's own matrix (BT.709 for HD, BT.601 otherwise) and range, so key frames keep
/// their colours; swscale would otherwise assume BT.601 limited range for every input.
fn set_colorspace(ctx: &mut ff::software::scaling::Context, frame: &ff::frame::Video) {
    use ff::util::color::{Range, Space};
    let space = match frame.color_space() {
        Space::BT709 => ff::ffi::SWS_CS_ITU709,
        Space::FCC => ff::ffi::SWS_CS_FCC,
        Space::SMPTE240M => ff::ffi::SWS_CS_SMPTE240M,
        Space::BT2020NCL | Space::BT2020CL => ff::ffi::SWS_CS_BT2020,
        Space::Unspecified if frame.height() >= 720 => ff::ffi::SWS_CS_ITU709,
        _ => ff::ffi::SWS_CS_ITU601,
    };
    let full_range = i32::from(matches!(frame.color_range(), Range::JPEG));
    // SAFETY: the context is valid; the coefficient tables are static in libswscale.
    unsafe {
        let table = ff::ffi::sws_getCoefficients(space);
        ff::ffi::sws_setColorspaceDetails(
            ctx.as_mut_ptr(),
            table,
            full_range,
            table,
            1,
            0,
            1 << 16,
            1 << 16,
        );
    }
}
