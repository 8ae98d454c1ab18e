//! Sets the presented duration of an MP4 by patching its edit lists in place.
//!
//! FFmpeg's MP4 muxer writes an edit list whose start skips the frames before the clip (they
//! have negative timestamps), but whose length runs to the last written sample. Frames after
//! the clip must still be written when B-frames inside the clip refer to them, so the edit
//! length is patched here to the exact clip duration. Only fixed-size fields change: `elst`
//! segment durations, `tkhd` and `mvhd` durations. No box moves, so chunk offsets stay valid.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Why an MP4 could not be patched.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("malformed MP4: {0}")]
    Malformed(&'static str),
}

fn be_u32(b: &[u8], at: usize) -> Result<u32, EditError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(EditError::Malformed("box runs past its parent"))
}

fn be_u64(b: &[u8], at: usize) -> Result<u64, EditError> {
    let hi = be_u32(b, at)? as u64;
    let lo = be_u32(b, at + 4)? as u64;
    Ok(hi << 32 | lo)
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Child boxes of `buf[start..end]` as `(type, content_start, box_end)`.
fn children(
    buf: &[u8],
    start: usize,
    end: usize,
) -> Result<Vec<([u8; 4], usize, usize)>, EditError> {
    let mut out = Vec::new();
    let mut at = start;
    while at + 8 <= end {
        let size32 = be_u32(buf, at)? as u64;
        let kind = [buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]];
        let (size, header) = match size32 {
            0 => ((end - at) as u64, 8),
            1 => (be_u64(buf, at + 8)?, 16),
            n => (n, 8),
        };
        let box_end = at
            .checked_add(usize::try_from(size).map_err(|_| EditError::Malformed("box size"))?)
            .filter(|e| *e <= end && size >= header as u64)
            .ok_or(EditError::Malformed("box size past its parent"))?;
        out.push((kind, at + header, box_end));
        at = box_end;
    }
    Ok(out)
}

fn find(
    buf: &[u8],
    start: usize,
    end: usize,
    kind: &[u8; 4],
) -> Result<Option<(usize, usize)>, EditError> {
    Ok(children(buf, start, end)?
        .into_iter()
        .find(|(k, _, _)| k == kind)
        .map(|(_, s, e)| (s, e)))
}

/// Patches a `moov` box's content (`moov[0..]` is the content after the box header) so that
/// every track presents `duration` seconds.
pub fn patch_moov(moov: &mut [u8], duration: f64) -> Result<(), EditError> {
    let len = moov.len();
    let (mvhd, _) = find(moov, 0, len, b"mvhd")?.ok_or(EditError::Malformed("no mvhd"))?;
    let mvhd_v1 = moov
        .get(mvhd)
        .copied()
        .ok_or(EditError::Malformed("mvhd"))?
        == 1;
    let (ts_at, mvhd_dur_at) = if mvhd_v1 {
        (mvhd + 20, mvhd + 24)
    } else {
        (mvhd + 12, mvhd + 16)
    };
    let timescale = be_u32(moov, ts_at)?;
    if timescale == 0 {
        return Err(EditError::Malformed("movie timescale is 0"));
    }
    // Rounded down: a duration one tick too long would let the next frame in.
    let target = (duration * f64::from(timescale)).floor().max(1.0) as u64;
    let mut movie_duration = 0u64;
    let traks: Vec<(usize, usize)> = children(moov, 0, len)?
        .into_iter()
        .filter(|(k, _, _)| k == b"trak")
        .map(|(_, s, e)| (s, e))
        .collect();
    if traks.is_empty() {
        return Err(EditError::Malformed("no tracks"));
    }
    for (ts, te) in traks {
        let (edts, edts_end) =
            find(moov, ts, te, b"edts")?.ok_or(EditError::Malformed("track without edit list"))?;
        let (elst, elst_end) = find(moov, edts, edts_end, b"elst")?
            .ok_or(EditError::Malformed("edts without elst"))?;
        let v1 = moov[elst] == 1;
        let count = be_u32(moov, elst + 4)? as usize;
        let entry = if v1 { 20 } else { 12 };
        if count == 0 || elst + 8 + count * entry > elst_end {
            return Err(EditError::Malformed("elst entries"));
        }
        let mut total = 0u64;
        for i in 0..count {
            let at = elst + 8 + i * entry;
            let (dur, media_time) = if v1 {
                (be_u64(moov, at)?, be_u64(moov, at + 8)? as i64)
            } else {
                (
                    be_u32(moov, at)? as u64,
                    be_u32(moov, at + 4)? as i32 as i64,
                )
            };
            let is_last = i + 1 == count;
            // The last entry is the media edit (an empty edit, media_time -1, only delays).
            let new = if is_last && media_time >= 0 {
                target.saturating_sub(total)
            } else {
                dur
            };
            if v1 {
                put_u64(moov, at, new);
            } else {
                put_u32(
                    moov,
                    at,
                    u32::try_from(new).map_err(|_| EditError::Malformed("duration overflow"))?,
                );
            }
            total += new;
        }
        let (tkhd, _) = find(moov, ts, te, b"tkhd")?.ok_or(EditError::Malformed("no tkhd"))?;
        if moov[tkhd] == 1 {
            put_u64(moov, tkhd + 28, total);
        } else {
            put_u32(
                moov,
                tkhd + 20,
                u32::try_from(total).map_err(|_| EditError::Malformed("duration overflow"))?,
            );
        }
        movie_duration = movie_duration.max(total);
    }
    if mvhd_v1 {
        put_u64(moov, mvhd_dur_at, movie_duration);
    } else {
        put_u32(
            moov,
            mvhd_dur_at,
            u32::try_from(movie_duration).map_err(|_| EditError::Malformed("duration overflow"))?,
        );
    }
    Ok(())
}

/// Finds the file's `moov` box and patches it (see [`patch_moov`]).
pub fn set_presentation_duration(path: &Path, duration: f64) -> Result<(), EditError> {
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    let file_len = f.metadata()?.len();
    let mut at = 0u64;
    while at + 8 <= file_len {
        f.seek(SeekFrom::Start(at))?;
        let mut head = [0u8; 16];
        f.read_exact(&mut head[..8])?;
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let (size, header) = match size32 {
            0 => (file_len - at, 8u64),
            1 => {
                f.read_exact(&mut head[8..16])?;
                (
                    u64::from_be_bytes([
                        head[8], head[9], head[10], head[11], head[12], head[13], head[14],
                        head[15],
                    ]),
                    16,
                )
            }
            n => (n, 8),
        };
        if size < header || at + size > file_len {
            return Err(EditError::Malformed("top-level box size"));
        }
        if &head[4..8] == b"moov" {
            let content_len =
                usize::try_from(size - header).map_err(|_| EditError::Malformed("moov size"))?;
            let mut moov = vec![0u8; content_len];
            f.seek(SeekFrom::Start(at + header))?;
            f.read_exact(&mut moov)?;
            patch_moov(&mut moov, duration)?;
            f.seek(SeekFrom::Start(at + header))?;
            f.write_all(&moov)?;
            f.sync_data()?;
            return Ok(());
        }
        at += size;
    }
    Err(EditError::Malformed("no moov box"))
}

#[cfg(test)]
#[path = "mp4_edit_tests.rs"]
mod tests;
