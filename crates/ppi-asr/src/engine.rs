//! Whisper (whisper.cpp via whisper-rs): one model context per process, a bounded pool of
//! decoding states, speech-only chunks with per-chunk language detection.
//!
//! Everything here blocks; the service calls it from blocking threads. Measured pitfalls it
//! avoids (whisper-rs 0.16): the default language is `en` unless set to `None`; automatic
//! detection decides once from the first 30 s (so detection is done per chunk here); ggml
//! threads spin-wait, so the thread count and the number of concurrent transcriptions are
//! configurable; each state allocates ~230 MB for `base`, so states are pooled and bounded;
//! segment times are centiseconds; text is decoded with carry-over across split characters.

use std::path::Path;
use std::sync::{Condvar, Mutex};

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::language::LanguageChoice;
use super::model::{self, ModelSpec};
use super::settings::Device;
use super::transcript::{Segment, Transcript, Utf8Carry, Word};
use super::vad::{self, FrameLevels, Span, VadParams};
use super::AsrError;
use ppi_core::progress::Progress;
use ppi_media::wav::{self, SAMPLE_RATE};

/// Settings of a [`Transcriber`].
#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    pub model: ModelSpec,
    /// ggml threads per transcription, shared among its streams.
    pub threads: usize,
    /// Chunks decoded at once within one transcription, each by its own state
    /// ([`crate::streams`]); `None` lets PPI choose.
    pub streams: Option<usize>,
    /// Transcriptions that may run at once (each holds a decoding state per stream).
    pub jobs: usize,
    pub device: Device,
    /// 1 = greedy decoding; more = beam search of that width.
    pub beam_size: usize,
    pub vad: VadParams,
    /// Encoder context beyond each chunk's length, in seconds; `None` runs the encoder over the
    /// full 30 s window for every chunk. The encoder's cost grows with its context, so fitting
    /// it to the chunk makes short speech chunks cheap.
    pub context_margin: Option<f64>,
    /// Flash attention in whisper.cpp.
    pub flash_attn: bool,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            model: ModelSpec::Name(model::DEFAULT_MODEL.into()),
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4),
            streams: None,
            jobs: 1,
            device: Device::Cpu,
            beam_size: 1,
            vad: VadParams::default(),
            context_margin: Some(2.0),
            flash_attn: false,
        }
    }
}

/// Flags that override `[whisper]` settings.
#[derive(Debug, Clone, Default)]
pub struct AsrOverrides {
    pub model: Option<String>,
    pub threads: Option<usize>,
    pub device: Option<Device>,
    pub beam_size: Option<usize>,
}

impl AsrConfig {
    /// `[whisper]` settings with overrides; threads default to the cores shared among jobs.
    pub fn from_settings(
        w: &crate::settings::WhisperSettings,
        o: &AsrOverrides,
    ) -> Result<Self, AsrError> {
        let model: ModelSpec = o.model.as_deref().unwrap_or(&w.model).parse()?;
        let jobs = w.jobs.max(1);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Ok(AsrConfig {
            model,
            threads: o
                .threads
                .or(w.threads)
                .unwrap_or((cores / jobs).max(1))
                .max(1),
            streams: w.streams,
            jobs,
            device: o.device.unwrap_or(w.device),
            beam_size: o.beam_size.unwrap_or(w.beam_size).max(1),
            context_margin: (w.context_margin >= 0.0).then_some(w.context_margin),
            flash_attn: w.flash_attn,
            ..AsrConfig::default()
        })
    }
}

/// Longest chunk handed to the model (its window is 30 s).
const MAX_CHUNK: f64 = 28.0;
/// Encoder frames per second of audio (the encoder's 1500 frames span 30 s).
const CTX_PER_SECOND: f64 = 50.0;
/// The encoder's full context.
const FULL_CTX: f64 = 1500.0;
/// Smallest encoder context used (8 s). Language detection runs on the context the state was
/// last left with, so this is also the least audio it sees.
const MIN_CTX: f64 = 400.0;
/// Encoder context for language detection: the first 4 s of each chunk.
const DETECT_CTX: f64 = 200.0;
/// A pause this long starts a new chunk, with its own language detection.
const CHUNK_GAP: f64 = 1.0;

/// The encoder context for `seconds` of audio: rounded up to a multiple of [`CTX_STEP`], at
/// least [`MIN_CTX`], at most the largest multiple below the full 1500.
fn audio_ctx(seconds: f64) -> i32 {
    let frames = (seconds * CTX_PER_SECOND).ceil().max(MIN_CTX) as i32;
    let step = CTX_STEP as i32;
    let most = FULL_CTX as i32 / step * step;
    ((frames + step - 1) / step * step).min(most)
}

/// Encoder contexts are multiples of this: ggml hands the encoder's attention products to
/// llamafile's tinyBLAS only when the context is a multiple of 8 (its f16 kernels take 8 values
/// at a time); otherwise they run on ggml's one-row f16 dot products, several times slower.
const CTX_STEP: f64 = 8.0;

/// Reads up to the given number of seconds of a chunk's samples.
type ReadChunk<'a> = dyn Fn(&Span, f64) -> Result<Vec<f32>, AsrError> + 'a;

/// A loaded model that transcribes 16 kHz mono audio.
pub struct Transcriber {
    ctx: WhisperContext,
    cfg: AsrConfig,
    model_file: String,
    eot: i32,
    pool: Mutex<Pool>,
    freed: Condvar,
}

struct Pool {
    idle: Vec<WhisperState>,
    busy: usize,
}

impl std::fmt::Debug for Transcriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcriber")
            .field("model", &self.model_file)
            .field("cfg", &self.cfg)
            .finish()
    }
}

/// Audio to transcribe: a PPI 16 kHz mono WAV, read chunk by chunk.
pub struct PcmFile<'a> {
    pub path: &'a Path,
}

impl Transcriber {
    /// Loads the model once; share the `Transcriber` (e.g. in an `Arc`) between workers.
    pub fn load(cfg: AsrConfig) -> Result<Self, AsrError> {
        if cfg.device == Device::Cuda && !cfg!(feature = "cuda") {
            return Err(AsrError::NoCuda);
        }
        // whisper.cpp and ggml log through `tracing` (debug level) instead of raw stderr.
        static HOOKS: std::sync::Once = std::sync::Once::new();
        HOOKS.call_once(whisper_rs::install_logging_hooks);
        let path = model::resolve(&cfg.model)?;
        let path_str = path.to_str().ok_or_else(|| AsrError::ModelInvalid {
            path: path.clone(),
            detail: "the path is not valid UTF-8".into(),
        })?;
        let mut params = WhisperContextParameters::default();
        params.use_gpu(cfg.device == Device::Cuda);
        params.flash_attn(cfg.flash_attn);
        let ctx = WhisperContext::new_with_params(path_str, params).map_err(|e| {
            AsrError::ModelInvalid {
                path: path.clone(),
                detail: format!(
                    "whisper.cpp could not load it ({e}); the file may be corrupt or truncated"
                ),
            }
        })?;
        let eot = ctx.token_eot();
        Ok(Transcriber {
            model_file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ctx,
            cfg,
            eot,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                busy: 0,
            }),
            freed: Condvar::new(),
        })
    }

    /// The model file name, e.g. `ggml-base-q8_0.bin`.
    pub fn model_file(&self) -> &str {
        &self.model_file
    }

    /// `whisper-<label>`, for model versions.
    pub fn model_label(&self) -> String {
        self.model_file
            .trim_start_matches("ggml-")
            .trim_end_matches(".bin")
            .to_owned()
    }

    pub fn config(&self) -> &AsrConfig {
        &self.cfg
    }

    /// How many chunks one transcription decodes at once, and the threads of each.
    pub fn plan(&self) -> crate::streams::Plan {
        crate::streams::Plan::new(
            self.cfg.threads,
            self.cfg.streams,
            self.cfg.device == Device::Cuda,
        )
    }

    /// Waits until `n` states are free (at most `jobs` transcriptions' worth at once) and
    /// hands out pooled ones, creating what the pool lacks.
    fn acquire(&self, n: usize) -> Result<Vec<WhisperState>, AsrError> {
        let poisoned = || AsrError::Failed("state pool poisoned".into());
        let limit = self.cfg.jobs.max(1) * self.plan().streams;
        let n = n.clamp(1, limit);
        let mut pool = self.pool.lock().map_err(|_| poisoned())?;
        while pool.busy + n > limit {
            pool = self.freed.wait(pool).map_err(|_| poisoned())?;
        }
        pool.busy += n;
        let keep = pool.idle.len().saturating_sub(n);
        let mut states = pool.idle.split_off(keep);
        drop(pool);
        while states.len() < n {
            match self.ctx.create_state() {
                Ok(s) => states.push(s),
                Err(e) => {
                    let missing = n - states.len();
                    self.release(states, missing);
                    return Err(AsrError::Failed(format!(
                        "cannot create a decoding state: {e}"
                    )));
                }
            }
        }
        Ok(states)
    }

    /// Gives back `states` and frees `lost` more slots whose states were not made.
    fn release(&self, states: Vec<WhisperState>, lost: usize) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.busy = pool.busy.saturating_sub(states.len() + lost);
            pool.idle.extend(states);
        }
        self.freed.notify_all();
    }

    /// Transcribes a PPI WAV (16 kHz mono 16-bit). `within` limits the work to those spans
    /// (e.g. the clips of a lesson); `None` means the whole file.
    pub fn transcribe_wav(
        &self,
        pcm: PcmFile<'_>,
        within: Option<&[Span]>,
        language: &LanguageChoice,
        progress: &dyn Progress,
    ) -> Result<Transcript, AsrError> {
        let total = wav::sample_count(pcm.path)?;
        if total == 0 {
            return Err(AsrError::EmptyAudio {
                file: pcm.path.into(),
            });
        }
        // Pass 1: frame levels, streamed, for voice activity detection.
        let mut levels = FrameLevels::default();
        wav::for_each_block(pcm.path, 1 << 16, |block| levels.push(&to_f32(block)))?;
        let mut speech = levels.regions(&self.cfg.vad);
        if let Some(w) = within {
            speech = vad::intersect(&speech, w);
        }
        let chunks = vad::chunks(&speech, MAX_CHUNK, CHUNK_GAP);
        let mut transcript = Transcript {
            model: self.model_file.clone(),
            duration: total as f64 / f64::from(SAMPLE_RATE),
            coverage: speech.iter().map(|s| (s.start, s.end)).collect(),
            ..Transcript::default()
        };
        // Pass 2: the model. Progress counts milliseconds of speech.
        let speech_ms: u64 = chunks.iter().map(|c| (c.duration() * 1000.0) as u64).sum();
        progress.stage("transcribing", speech_ms);
        let plan = self.plan();
        let mut states = self.acquire(plan.streams.min(chunks.len()))?;
        let read = |chunk: &Span, limit: f64| -> Result<Vec<f32>, AsrError> {
            let start = (chunk.start * f64::from(SAMPLE_RATE)) as u64;
            let end = ((chunk.start + chunk.duration().min(limit)) * f64::from(SAMPLE_RATE)) as u64;
            Ok(to_f32(&wav::read_range(pcm.path, start, end.min(total))?))
        };
        // The language of each chunk: forced, or detected from the encoder pass that decodes
        // it (`one_pass`), starting from the language of the stream's previous chunk.
        let among = match language {
            LanguageChoice::Forced(_) => None,
            LanguageChoice::Auto => Some(None),
            LanguageChoice::AutoAmong(codes) => Some(Some(codes.as_slice())),
        };
        let first_guess = match language {
            LanguageChoice::Forced(code) => code.clone(),
            LanguageChoice::AutoAmong(codes) if !codes.is_empty() => codes[0].clone(),
            _ => "en".to_owned(),
        };
        let mut streams: Vec<(WhisperState, String)> =
            states.drain(..).map(|s| (s, first_guess.clone())).collect();
        let result = crate::streams::run(&chunks, &mut streams, |(state, guess), i| {
            let chunk = &chunks[i];
            let samples = read(chunk, f64::INFINITY)?;
            let t = std::time::Instant::now();
            let (segs, lang) = match among {
                None => (
                    self.decode_chunk(state, &samples, *chunk, guess, None)?,
                    guess.clone(),
                ),
                Some(codes) => {
                    self.decode_detecting(state, &samples, *chunk, guess, codes, language, &read)?
                }
            };
            tracing::debug!(
                start = chunk.start,
                seconds = chunk.duration(),
                language = %lang,
                decode_seconds = t.elapsed().as_secs_f64(),
                segments = segs.len(),
                "chunk decoded"
            );
            *guess = lang;
            progress.advance((chunk.duration() * 1000.0) as u64);
            Ok::<_, AsrError>(segs)
        });
        self.release(streams.into_iter().map(|(s, _)| s).collect(), 0);
        progress.finish_stage();
        transcript.segments = result?.into_iter().flatten().collect();
        transcript.summarize_languages();
        Ok(transcript)
    }

    /// The language of each chunk: forced, or detected from the chunk's first seconds.
    ///
    /// whisper.cpp's detector runs the encoder with the context the state was last decoded
    /// with. So all detections happen first, after one short decode that sets the state's
    /// context to `DETECT_CTX`: each detection then costs an 8-second encoder pass instead of a
    /// 30-second one, and the decodes that follow set their own context.
    fn detect_languages(
        &self,
        state: &mut WhisperState,
        chunks: &[Span],
        choice: &LanguageChoice,
        read: &ReadChunk<'_>,
    ) -> Result<Vec<String>, AsrError> {
        let codes = match choice {
            LanguageChoice::Forced(code) => return Ok(vec![code.clone(); chunks.len()]),
            LanguageChoice::Auto => None,
            LanguageChoice::AutoAmong(codes) => Some(codes),
        };
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        let threads = self.plan().threads;
        let fail =
            |what: &str, e: whisper_rs::WhisperError| AsrError::Failed(format!("{what}: {e}"));
        let seconds = DETECT_CTX / CTX_PER_SECOND;
        // Leave the state at the detection context: a one-token decode of a second of silence.
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(threads as i32);
        params.set_audio_ctx(DETECT_CTX as i32);
        params.set_language(Some("en"));
        params.set_max_tokens(1);
        params.set_single_segment(true);
        params.set_no_timestamps(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        state
            .full(params, &vec![0.0f32; SAMPLE_RATE as usize])
            .map_err(|e| fail("setting the detection context", e))?;
        let mut out = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let pcm = read(chunk, seconds)?;
            state
                .pcm_to_mel(&pcm, threads)
                .map_err(|e| fail("mel", e))?;
            let (id, probs) = state
                .lang_detect(0, threads)
                .map_err(|e| fail("language detection", e))?;
            let prob = |code: &str| {
                whisper_rs::get_lang_id(code)
                    .and_then(|i| probs.get(i as usize).copied())
                    .unwrap_or(0.0)
            };
            let top = whisper_rs::get_lang_str(id);
            let best = match codes {
                Some(codes) => crate::language::choose_among(codes, prob, top),
                None => top.map(str::to_owned),
            };
            tracing::debug!(
                start = chunk.start,
                seconds = chunk.duration(),
                detected = ?best,
                top = ?top,
                "chunk language"
            );
            out.push(best.unwrap_or_else(|| "en".to_owned()));
        }
        Ok(out)
    }

    /// Decodes a chunk in the guessed language while detecting its language from the same
    /// encoder pass ([`crate::one_pass`]); decodes it again, forced, only where that could
    /// not finish (a changed language over two windows, or a failed step), detecting with a
    /// separate pass when the first one did not get that far.
    #[allow(clippy::too_many_arguments)]
    fn decode_detecting(
        &self,
        state: &mut WhisperState,
        pcm: &[f32],
        chunk: Span,
        guess: &str,
        among: Option<&[String]>,
        choice: &LanguageChoice,
        read: &ReadChunk<'_>,
    ) -> Result<(Vec<Segment>, String), AsrError> {
        let mut check = crate::one_pass::LanguageCheck::new(guess, among, self.plan().threads);
        let first = self.decode_chunk(state, pcm, chunk, guess, Some(&mut check));
        match first {
            Ok(segs) if !check.abort => {
                let lang = check.language().to_owned();
                // Segments carry the language they were decoded in.
                let segs = segs
                    .into_iter()
                    .map(|mut s| {
                        s.language = lang.clone();
                        s
                    })
                    .collect();
                Ok((segs, lang))
            }
            _ => {
                let lang = match (&check.detected, check.failed) {
                    (Some(d), false) => d.clone(),
                    _ => self
                        .detect_languages(state, std::slice::from_ref(&chunk), choice, read)?
                        .pop()
                        .unwrap_or_else(|| guess.to_owned()),
                };
                tracing::debug!(start = chunk.start, language = %lang, failed = check.failed,
                                "chunk decoded again in its language");
                Ok((self.decode_chunk(state, pcm, chunk, &lang, None)?, lang))
            }
        }
    }

    /// Decodes one chunk in `language`; with a check, the language may change on the way.
    fn decode_chunk(
        &self,
        state: &mut WhisperState,
        pcm: &[f32],
        chunk: Span,
        language: &str,
        check: Option<&mut crate::one_pass::LanguageCheck>,
    ) -> Result<Vec<Segment>, AsrError> {
        let threads = self.plan().threads;
        let fail =
            |what: &str, e: whisper_rs::WhisperError| AsrError::Failed(format!("{what}: {e}"));
        let language = language.to_owned();
        let strategy = if self.cfg.beam_size > 1 {
            SamplingStrategy::BeamSearch {
                beam_size: self.cfg.beam_size as i32,
                patience: -1.0,
            }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(threads as i32);
        if let Some(margin) = self.cfg.context_margin {
            params.set_audio_ctx(audio_ctx(chunk.duration() + margin));
        }
        params.set_language(Some(&language));
        params.set_translate(false);
        // Chunks are independent: no carried context, which is what turns a missed pause into
        // one phrase repeated to the end.
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_nst(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if let Some(check) = check {
            check.install(&mut params);
        }
        state
            .full(params, pcm)
            .map_err(|e| fail("transcription", e))?;

        let mut out = Vec::new();
        let mut carry = Utf8Carry::default();
        for seg in state.as_iter() {
            let mut text = String::new();
            let mut words: Vec<Word> = Vec::new();
            let mut logprob_sum = 0.0f32;
            let mut n = 0usize;
            for i in 0..seg.n_tokens() {
                let Some(tok) = seg.get_token(i) else {
                    continue;
                };
                if tok.token_id() >= self.eot {
                    continue;
                }
                let data = tok.token_data();
                let piece = carry.push(tok.to_bytes().unwrap_or_default());
                logprob_sum += data.plog;
                n += 1;
                let (t0, t1) = (
                    chunk.start + data.t0 as f64 / 100.0,
                    chunk.start + data.t1 as f64 / 100.0,
                );
                let starts_word = piece.starts_with(' ') || words.is_empty();
                match words.last_mut() {
                    Some(w) if !starts_word => {
                        w.text.push_str(&piece);
                        w.end = w.end.max(t1);
                        w.probability = w.probability.min(data.p);
                    }
                    _ if !piece.is_empty() => words.push(Word {
                        start: t0,
                        end: t1.max(t0),
                        text: piece.clone(),
                        probability: data.p,
                    }),
                    _ => {}
                }
                text.push_str(&piece);
            }
            let start = chunk.start + seg.start_timestamp() as f64 / 100.0;
            let end = (chunk.start + seg.end_timestamp() as f64 / 100.0).min(chunk.end);
            let avg_logprob = if n > 0 {
                logprob_sum / n as f32
            } else {
                f32::NEG_INFINITY
            };
            let no_speech_prob = seg.no_speech_probability();
            // Whisper's own "no speech" rule: silence the model talked itself into.
            if text.trim().is_empty() || (no_speech_prob > 0.6 && avg_logprob < -1.0) {
                continue;
            }
            words.retain(|w| !w.text.trim().is_empty());
            out.push(Segment {
                start,
                end: end.max(start),
                text: text.trim().to_owned(),
                language: language.clone(),
                avg_logprob,
                no_speech_prob,
                words,
                speaker: None,
                role: None,
            });
        }
        Ok(out)
    }
}

fn to_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoder_contexts_are_multiples_of_eight_within_the_window() {
        assert_eq!(super::audio_ctx(10.14), 512); // 507 frames
        assert_eq!(super::audio_ctx(3.0), 400); // the floor
        assert_eq!(super::audio_ctx(29.5), 1480);
        assert_eq!(super::audio_ctx(30.0), 1496);
        assert_eq!(super::audio_ctx(45.0), 1496);
    }
}
