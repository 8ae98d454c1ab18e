//! Progress reporting for long steps. Use cases report through [`Progress`]; the CLI shows a
//! bar with ETA, jobs record stages, tests ignore it.

/// A sink for progress of one use case. Implementations must be cheap and thread-safe.
pub trait Progress: Sync {
    /// A new stage begins with `total` units of work (0 when unknown).
    fn stage(&self, name: &str, total: u64);
    /// `n` units of the current stage are done.
    fn advance(&self, n: u64);
    /// A line worth showing the user without interrupting the bar.
    fn note(&self, message: &str);
    /// The current stage is over.
    fn finish_stage(&self);
    /// True when the work should stop (a job was canceled or timed out). Long loops check it.
    fn canceled(&self) -> bool {
        false
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn note(&self, _: &str) {}
    fn finish_stage(&self) {}
}
