//! One encoder pass per chunk: the chunk's language is detected from the encoder output that
//! decodes it, inside whisper.cpp's own decode, instead of from a separate detection pass.
//!
//! `whisper_full` always encodes its window, and its language detection encodes again. So
//! the chunk is decoded in a guessed language (the previous chunk's), and at the first
//! decoding step of its first window, when the window is encoded and the prompt
//! `[sot, language, transcribe]` decoded, a logits-filter callback:
//! 1. decodes `[sot]` alone against the same encoder output and reads the language tokens'
//!    probabilities (what `whisper_lang_auto_detect` does after its own encoder pass);
//! 2. decodes the prompt again at position 0, in the detected language, which leaves the
//!    decoder's self-attention cache as it would be had that language been asked for;
//! 3. when the language differs from the guess, puts that prompt's logits in place of the
//!    step's (same temperature, same masked tokens), so decoding goes on in that language.
//!
//! The first window's prompt is exactly those three tokens (no context is carried into a
//! chunk), at every temperature of its fallback, so steps 2-3 are repeated there. A later
//! window of the same chunk starts with the previous window's text in its prompt, so when the
//! language changed and the chunk needs a second window, the decode is aborted and the chunk
//! decoded again in the detected language: a second encoder pass, only then.
//!
//! This rests on whisper.cpp 1.8.3's decode loop (whisper-rs-sys 0.15): the callback runs on
//! the decoding thread after the prompt's logits are copied and masked; the encoder-begin
//! callback runs once per window; `whisper_decode_with_state` with `n_past = 0` drops the
//! sequence's cached positions first. `one_pass_decodes_as_if_the_language_were_given`
//! (tests/it/asr.rs) checks the result against a forced language.

use std::ffi::c_void;
use std::os::raw::c_int;

use whisper_rs::whisper_rs_sys as sys;

/// What the callback knows and finds for one chunk.
pub(crate) struct LanguageCheck {
    /// The language the decode was started in.
    pub guess: String,
    /// The languages to choose among (`None`: any of Whisper's).
    pub among: Option<Vec<String>>,
    pub threads: c_int,
    /// The detected language, once the first step ran.
    pub detected: Option<String>,
    /// A whisper.cpp call inside the callback failed: the caller decodes again, forced.
    pub failed: bool,
    /// Windows encoded so far in this decode.
    windows: u32,
    /// Set to stop the decode (a later window in a changed language).
    pub abort: bool,
}

impl LanguageCheck {
    pub fn new(guess: &str, among: Option<&[String]>, threads: usize) -> Self {
        LanguageCheck {
            guess: guess.to_owned(),
            among: among.map(<[String]>::to_vec),
            threads: threads.max(1) as c_int,
            detected: None,
            failed: false,
            windows: 0,
            abort: false,
        }
    }

    /// Installs the callback on `params`. `self` must outlive the `full` call.
    pub fn install(&mut self, params: &mut whisper_rs::FullParams) {
        // SAFETY: the callback only reads `self` through the pointer during `full`, which the
        // caller runs while `self` is borrowed mutably here and not moved.
        unsafe {
            let me = self as *mut Self as *mut c_void;
            params.set_filter_logits_callback(Some(on_logits));
            params.set_filter_logits_callback_user_data(me);
            params.set_start_encoder_callback(Some(on_encoder_begin));
            params.set_start_encoder_callback_user_data(me);
            params.set_abort_callback(Some(on_abort));
            params.set_abort_callback_user_data(me);
        }
    }

    /// The language the chunk was decoded in, when the decode ran to its end.
    pub fn language(&self) -> &str {
        self.detected.as_deref().unwrap_or(&self.guess)
    }
}

unsafe extern "C" fn on_encoder_begin(
    _ctx: *mut sys::whisper_context,
    _state: *mut sys::whisper_state,
    user_data: *mut c_void,
) -> bool {
    if let Some(check) = (user_data as *mut LanguageCheck).as_mut() {
        check.windows += 1;
    }
    true
}

unsafe extern "C" fn on_abort(user_data: *mut c_void) -> bool {
    (user_data as *const LanguageCheck)
        .as_ref()
        .is_some_and(|c| c.abort)
}

/// The language among the candidates from the `[sot]` step's logits: probabilities over the
/// language tokens only, as whisper.cpp computes them.
fn choose(check: &LanguageCheck, ctx: *mut sys::whisper_context, row: &[f32]) -> Option<String> {
    let max_id = unsafe { sys::whisper_lang_max_id() };
    let lang_logit =
        |id: c_int| -> f32 { row[unsafe { sys::whisper_token_lang(ctx, id) } as usize] };
    let top_logit = (0..=max_id).map(lang_logit).fold(f32::MIN, f32::max);
    let sum: f32 = (0..=max_id)
        .map(|id| (lang_logit(id) - top_logit).exp())
        .sum();
    let prob = |code: &str| {
        whisper_rs::get_lang_id(code)
            .map(|id| (lang_logit(id) - top_logit).exp() / sum)
            .unwrap_or(0.0)
    };
    let top = (0..=max_id)
        .max_by(|a, b| lang_logit(*a).total_cmp(&lang_logit(*b)))
        .and_then(whisper_rs::get_lang_str);
    match &check.among {
        Some(codes) => crate::language::choose_among(codes, prob, top),
        None => top.map(str::to_owned),
    }
}

/// Decodes `tokens` from position 0 and returns the last token's logits row.
///
/// # Safety
/// `ctx` and `state` are the live pointers whisper.cpp handed to the callback.
unsafe fn decode_row<'a>(
    ctx: *mut sys::whisper_context,
    state: *mut sys::whisper_state,
    tokens: &[sys::whisper_token],
    threads: c_int,
) -> Option<&'a [f32]> {
    let n_vocab = sys::whisper_n_vocab(ctx) as usize;
    if sys::whisper_decode_with_state(
        ctx,
        state,
        tokens.as_ptr(),
        tokens.len() as c_int,
        0,
        threads,
    ) != 0
    {
        return None;
    }
    let logits = sys::whisper_get_logits_from_state(state);
    if logits.is_null() {
        return None;
    }
    // Only the last token's row is filled.
    Some(std::slice::from_raw_parts(
        logits.add((tokens.len() - 1) * n_vocab),
        n_vocab,
    ))
}

unsafe extern "C" fn on_logits(
    ctx: *mut sys::whisper_context,
    state: *mut sys::whisper_state,
    _tokens: *const sys::whisper_token_data,
    n_tokens: c_int,
    logits: *mut f32,
    user_data: *mut c_void,
) {
    // Only the first step of a window (nothing decoded yet) is looked at.
    if n_tokens != 0 || logits.is_null() || ctx.is_null() || state.is_null() {
        return;
    }
    let Some(check) = (user_data as *mut LanguageCheck).as_mut() else {
        return;
    };
    if check.failed || check.abort {
        return;
    }
    let guess_id = whisper_rs::get_lang_id(&check.guess).unwrap_or(0);
    if check.windows > 1 {
        // A later window: its prompt carries text, so it cannot be re-made here.
        let changed = check.detected.as_deref().is_some_and(|d| d != check.guess);
        check.abort = changed;
        return;
    }
    let n_vocab = sys::whisper_n_vocab(ctx) as usize;
    let step = std::slice::from_raw_parts_mut(logits, n_vocab);
    let sot = sys::whisper_token_sot(ctx);
    let prompt_of = |id: c_int| {
        [
            sot,
            sys::whisper_token_lang(ctx, id),
            sys::whisper_token_transcribe(ctx),
        ]
    };
    // The guessed prompt's raw row, still in the state (row 2 of its three): the step's
    // logits are it divided by the temperature, with some tokens masked.
    let first = sys::whisper_get_logits_from_state(state);
    if first.is_null() {
        check.failed = true;
        check.abort = true;
        return;
    }
    let raw = std::slice::from_raw_parts(first.add(2 * n_vocab), n_vocab).to_vec();
    if check.detected.is_none() {
        let Some(row) = decode_row(ctx, state, &[sot], check.threads) else {
            check.failed = true;
            check.abort = true;
            return;
        };
        check.detected = Some(choose(check, ctx, row).unwrap_or_else(|| check.guess.clone()));
    }
    let id = check
        .detected
        .as_deref()
        .and_then(whisper_rs::get_lang_id)
        .unwrap_or(guess_id);
    // The cache again as the decode expects it: the prompt, in the detected language.
    let Some(row) = decode_row(ctx, state, &prompt_of(id), check.threads) else {
        check.failed = true;
        check.abort = true;
        return;
    };
    if id == guess_id {
        return;
    }
    // Same temperature: the ratio of a finite step logit to its raw value.
    let scale = step
        .iter()
        .zip(&raw)
        .find(|(s, r)| s.is_finite() && r.abs() > 1e-3)
        .map(|(s, r)| s / r)
        .unwrap_or(1.0);
    for (s, r) in step.iter_mut().zip(row) {
        if s.is_finite() {
            *s = r * scale;
        }
    }
}
