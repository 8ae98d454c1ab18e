//! 16-bit PCM WAV files: a streaming writer and sample-exact slicing of a lesson's WAV.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ppi_core::atomic::PartFile;

/// Sample rate of all PPI audio: what Whisper expects.
pub const SAMPLE_RATE: u32 = 16_000;

/// The canonical 44-byte header for mono 16-bit PCM.
pub fn header(samples: u64, rate: u32) -> [u8; 44] {
    let data = u32::try_from(samples * 2).unwrap_or(u32::MAX - 36);
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36u32.saturating_add(data)).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&rate.to_le_bytes());
    h[28..32].copy_from_slice(&(rate * 2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

/// Streams mono 16-bit samples into a WAV written atomically.
pub struct WavWriter {
    out: BufWriter<File>,
    part: PartFile,
    samples: u64,
    rate: u32,
}

impl WavWriter {
    /// Starts a WAV that lands at `target` on [`WavWriter::finish`].
    pub fn create(target: &Path, rate: u32) -> io::Result<Self> {
        let part = PartFile::new(target);
        let mut out = BufWriter::with_capacity(1 << 16, File::create(part.path())?);
        out.write_all(&header(0, rate))?;
        Ok(WavWriter {
            out,
            part,
            samples: 0,
            rate,
        })
    }

    /// Appends samples.
    pub fn write(&mut self, samples: &[i16]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(samples.len() * 2);
        for s in samples {
            buf.extend_from_slice(&s.to_le_bytes());
        }
        self.out.write_all(&buf)?;
        self.samples += samples.len() as u64;
        Ok(())
    }

    /// Appends `n` samples of silence.
    pub fn write_silence(&mut self, n: u64) -> io::Result<()> {
        let zeros = [0u8; 4096];
        let mut left = n * 2;
        while left > 0 {
            let k = left.min(zeros.len() as u64) as usize;
            self.out.write_all(&zeros[..k])?;
            left -= k as u64;
        }
        self.samples += n;
        Ok(())
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Fixes the header sizes and renames the file into place.
    pub fn finish(self) -> io::Result<u64> {
        let WavWriter {
            out,
            part,
            samples,
            rate,
        } = self;
        let mut f = out.into_inner().map_err(|e| e.into_error())?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&header(samples, rate))?;
        f.sync_data()?;
        drop(f);
        part.commit()?;
        Ok(samples)
    }
}

/// Errors reading a WAV written by PPI.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: io::Error },
    #[error("{file}: not a 16 kHz mono 16-bit PCM WAV")]
    Format { file: PathBuf },
}

/// Where the samples of a 16 kHz mono 16-bit PCM WAV are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    /// Byte offset of the first sample.
    pub data_offset: u64,
    pub samples: u64,
}

/// Parses the RIFF chunks of a WAV (other chunks such as `LIST` are skipped) and checks that it
/// holds 16 kHz mono 16-bit PCM.
pub fn info(path: &Path) -> Result<WavInfo, WavError> {
    let io_err = |source| WavError::Io {
        file: path.into(),
        source,
    };
    let format = || WavError::Format { file: path.into() };
    let mut f = File::open(path).map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    let mut riff = [0u8; 12];
    f.read_exact(&mut riff).map_err(|_| format())?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(format());
    }
    let mut at = 12u64;
    let mut fmt_ok = false;
    while at + 8 <= len {
        let mut head = [0u8; 8];
        f.seek(SeekFrom::Start(at)).map_err(io_err)?;
        f.read_exact(&mut head).map_err(io_err)?;
        let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        match &head[0..4] {
            b"fmt " => {
                let mut fmt = [0u8; 16];
                f.read_exact(&mut fmt).map_err(|_| format())?;
                let tag = u16::from_le_bytes([fmt[0], fmt[1]]);
                let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
                let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
                let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
                // 1 = PCM; 0xFFFE = extensible (ffmpeg uses it for some layouts).
                fmt_ok =
                    matches!(tag, 1 | 0xfffe) && channels == 1 && rate == SAMPLE_RATE && bits == 16;
            }
            b"data" => {
                if !fmt_ok {
                    return Err(format());
                }
                // A streamed WAV may leave the size at 0 or too large: trust the file length.
                let data = if size == 0 || at + 8 + size > len {
                    len - at - 8
                } else {
                    size
                };
                return Ok(WavInfo {
                    data_offset: at + 8,
                    samples: data / 2,
                });
            }
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    Err(format())
}

/// The number of samples of a 16 kHz mono 16-bit WAV.
pub fn sample_count(path: &Path) -> Result<u64, WavError> {
    info(path).map(|i| i.samples)
}

/// Reads all samples of a 16 kHz mono WAV.
pub fn read_samples(path: &Path) -> Result<Vec<i16>, WavError> {
    read_range(path, 0, u64::MAX)
}

/// Copies samples `[start, end)` of `source` into a new WAV at `target` (atomically), padding
/// with silence past the source's end.
pub fn slice(source: &Path, start: u64, end: u64, target: &Path) -> Result<u64, WavError> {
    let WavInfo {
        data_offset,
        samples: total,
    } = info(source)?;
    let io_src = |e| WavError::Io {
        file: source.into(),
        source: e,
    };
    let io_dst = |e| WavError::Io {
        file: target.into(),
        source: e,
    };
    let mut src = File::open(source).map_err(io_src)?;
    let want = end.saturating_sub(start);
    let available = total.saturating_sub(start).min(want);
    let mut w = WavWriter::create(target, SAMPLE_RATE).map_err(io_dst)?;
    if available > 0 {
        src.seek(SeekFrom::Start(data_offset + start * 2))
            .map_err(io_src)?;
        let mut left = available * 2;
        let mut buf = vec![0u8; 1 << 16];
        while left > 0 {
            let k = left.min(buf.len() as u64) as usize;
            src.read_exact(&mut buf[..k]).map_err(io_src)?;
            w.out.write_all(&buf[..k]).map_err(io_dst)?;
            left -= k as u64;
        }
        w.samples += available;
    }
    w.write_silence(want - available).map_err(io_dst)?;
    w.finish().map_err(io_dst)
}

#[cfg(test)]
#[path = "wav_tests.rs"]
mod tests;

/// Reads samples `[start, end)` of a PPI WAV.
pub fn read_range(path: &Path, start: u64, end: u64) -> Result<Vec<i16>, WavError> {
    let io_err = |source| WavError::Io {
        file: path.into(),
        source,
    };
    let WavInfo {
        data_offset,
        samples: total,
    } = info(path)?;
    let end = end.min(total);
    if end <= start {
        return Ok(Vec::new());
    }
    let mut f = File::open(path).map_err(io_err)?;
    f.seek(SeekFrom::Start(data_offset + start * 2))
        .map_err(io_err)?;
    let mut bytes = vec![0u8; ((end - start) * 2) as usize];
    f.read_exact(&mut bytes).map_err(io_err)?;
    Ok(bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect())
}

/// Calls `f` on consecutive blocks of at most `block` samples, streaming the whole file.
pub fn for_each_block(
    path: &Path,
    block: usize,
    mut f: impl FnMut(&[i16]),
) -> Result<(), WavError> {
    let io_err = |source| WavError::Io {
        file: path.into(),
        source,
    };
    let WavInfo {
        data_offset,
        samples,
    } = info(path)?;
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(data_offset)).map_err(io_err)?;
    let mut reader = io::BufReader::with_capacity(1 << 16, Read::take(file, samples * 2));
    let mut bytes = vec![0u8; block * 2];
    loop {
        let mut filled = 0;
        while filled < bytes.len() {
            let n = reader.read(&mut bytes[filled..]).map_err(io_err)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled < 2 {
            return Ok(());
        }
        let samples: Vec<i16> = bytes[..filled - filled % 2]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        f(&samples);
        if filled < bytes.len() {
            return Ok(());
        }
    }
}
