//! Whisper with the real model on speech with known truth (espeak-ng), one binary.

use ppi_testkit as support;

mod real_model;
