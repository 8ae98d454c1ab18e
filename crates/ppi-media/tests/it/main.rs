//! The media core's integration tests, one binary: frame-exact clips and key frames judged by
//! the `ffmpeg` program, the best key frame on generated videos, and readers of the outputs.

use ppi_testkit as support;

mod exactness;
mod keyframes;
mod readers;
