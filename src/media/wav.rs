//! 16-bit PCM WAV files: a streaming writer and sample-exact slicing of a lesson's WAV.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::atomic::PartFile;

/// Sample rate of all PPI audio: what Whisper expects.
pub const SAMPLE_RATE: u32 = 16_000;
const HEADER_LEN: u64 = 44;

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
    #[error("{file}: not a 16 kHz mono 16-bit PCM WAV written by PPI")]
    Format { file: PathBuf },
}

/// Reads the sample count of a PPI WAV, checking its format.
pub fn sample_count(path: &Path) -> Result<u64, WavError> {
    let io_err = |source| WavError::Io {
        file: path.into(),
        source,
    };
    let mut f = File::open(path).map_err(io_err)?;
    let mut h = [0u8; 44];
    f.read_exact(&mut h).map_err(io_err)?;
    let expect = header(0, SAMPLE_RATE);
    if h[0..4] != expect[0..4] || h[8..40] != expect[8..40] {
        return Err(WavError::Format { file: path.into() });
    }
    let len = f.metadata().map_err(io_err)?.len();
    Ok(len.saturating_sub(HEADER_LEN) / 2)
}

/// Reads all samples of a PPI WAV.
pub fn read_samples(path: &Path) -> Result<Vec<i16>, WavError> {
    let n = sample_count(path)?;
    let mut bytes = Vec::with_capacity(n as usize * 2);
    let io_err = |source| WavError::Io {
        file: path.into(),
        source,
    };
    let mut f = File::open(path).map_err(io_err)?;
    f.seek(SeekFrom::Start(HEADER_LEN)).map_err(io_err)?;
    f.read_to_end(&mut bytes).map_err(io_err)?;
    Ok(bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect())
}

/// Copies samples `[start, end)` of `source` into a new WAV at `target` (atomically), padding
/// with silence past the source's end.
pub fn slice(source: &Path, start: u64, end: u64, target: &Path) -> Result<u64, WavError> {
    let total = sample_count(source)?;
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
        src.seek(SeekFrom::Start(HEADER_LEN + start * 2))
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
