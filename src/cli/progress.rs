//! Progress bars with ETA on stderr (indicatif). Hidden when quiet or not on a terminal.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use ppi_core::progress::Progress;

/// A [`Progress`] drawn as one bar per stage.
pub struct BarProgress {
    visible: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl BarProgress {
    pub fn new(visible: bool) -> Self {
        BarProgress {
            visible,
            bar: Mutex::new(None),
        }
    }
}

impl Progress for BarProgress {
    fn stage(&self, name: &str, total: u64) {
        let bar = if self.visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style =
            ProgressStyle::with_template("{msg:>16} [{bar:30}] {pos}/{len} {elapsed} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(old) = slot.replace(bar) {
                old.finish_and_clear();
            }
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(b) = slot.as_ref() {
                b.inc(n);
            }
        }
    }

    fn note(&self, message: &str) {
        if !self.visible {
            return;
        }
        match self.bar.lock().ok().and_then(|s| s.clone()) {
            Some(b) => b.suspend(|| errln!("{message}")),
            None => errln!("{message}"),
        }
    }

    fn finish_stage(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(b) = slot.take() {
                b.finish_and_clear();
            }
        }
    }
}
