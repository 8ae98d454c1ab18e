//! `ppi serve` wires Label Studio itself at start, with the same pass as `ppi ls bootstrap`,
//! when LS (URL and key) and a patterns sheet are configured. A failure never stops the
//! server: it is logged in one clear line, shown by `/ready`, and retried with backoff (LS may
//! come up after PPI, as in docker compose).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::bootstrap::{bootstrap, BootstrapOptions};
use ppi_core::error::Coded;
use ppi_core::secret::Secret;
use ppi_jobs::JobContext;

/// Where the wiring stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum WiringState {
    /// Not attempted, and why.
    Off { reason: String },
    /// Under way (first attempt or a retry).
    Wiring { attempt: u32 },
    /// Done; the report's lines.
    Wired { report: Vec<String> },
    /// The last attempt failed; retried after `retry_in_secs` (0: not retried, as after the
    /// wiring page's "check again").
    Failed {
        code: String,
        message: String,
        retry_in_secs: u64,
    },
}

/// The shared state `/ready` and the wiring page read: the wiring's state, and when Label
/// Studio was last found not answering (ms; a webhook is silent until a delivery after it);
/// one wiring pass at a time (`serve`'s own and "check again" never run side by side).
#[derive(Debug)]
pub struct Wiring(
    Mutex<WiringState>,
    Mutex<Option<i64>>,
    tokio::sync::Mutex<()>,
);

impl Wiring {
    pub fn new(state: WiringState) -> Self {
        Wiring(
            Mutex::new(state),
            Mutex::new(None),
            tokio::sync::Mutex::new(()),
        )
    }

    /// Notes that Label Studio did not answer just now.
    pub fn saw_unreachable(&self, at_ms: i64) {
        if let Ok(mut g) = self.1.lock() {
            *g = Some(at_ms);
        }
    }

    /// When Label Studio was last found not answering.
    pub fn last_unreachable(&self) -> Option<i64> {
        self.1.lock().ok().and_then(|g| *g)
    }

    pub fn get(&self) -> WiringState {
        self.0
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|_| WiringState::Off {
                reason: "state unavailable".into(),
            })
    }

    /// Replaces the state (the wiring page's "check again" when wiring is off).
    pub fn set_state(&self, s: WiringState) {
        self.set(s)
    }

    fn set(&self, s: WiringState) {
        if let Ok(mut g) = self.0.lock() {
            *g = s;
        }
    }

    /// False only while the wiring is failing.
    pub fn healthy(&self) -> bool {
        !matches!(self.get(), WiringState::Failed { .. })
    }
}

/// Why the wiring will not run, or `None` when it should.
pub fn off_reason(ctx: &JobContext) -> Option<String> {
    let ls = &ctx.settings.label_studio;
    if !ls.enabled() {
        return Some(
            "Label Studio is not configured (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY)".into(),
        );
    }
    if !ls.auto_wire {
        return Some("PPI_LS_AUTO_WIRE is off: run `ppi ls bootstrap`".into());
    }
    if ctx.patterns.is_none() {
        return Some(
            "no patterns sheet (PPI_PATTERNS): run `ppi ls bootstrap --patterns FILE`, or set it"
                .into(),
        );
    }
    None
}

/// One wiring pass, its outcome kept in `state` (what `run` repeats, and the wiring page's
/// "check again" runs once: `retried` false, so a failure says no retry is coming).
pub async fn once(
    ctx: &JobContext,
    state: &Wiring,
    secret: Secret,
    attempt: u32,
    retried: bool,
) -> Result<(), super::bootstrap::BootstrapError> {
    let Some(catalog) = ctx.patterns.clone() else {
        return Ok(());
    };
    let opts = BootstrapOptions::from_settings(&ctx.settings, &catalog, secret);
    let _one_pass = state.2.lock().await;
    state.set(WiringState::Wiring { attempt });
    match bootstrap(ctx, &opts).await {
        Ok(report) => {
            super::bootstrap::audit_changes(&ctx.db, "system", &report).await;
            let lines: Vec<String> = report
                .iter()
                .map(|d| format!("{} {}", d.outcome, d.what))
                .collect();
            for l in &lines {
                tracing::info!("label studio: {l}");
            }
            tracing::info!(attempt, "Label Studio wired");
            state.set(WiringState::Wired { report: lines });
            Ok(())
        }
        Err(e) => {
            let wait = ppi_jobs::runner::backoff(attempt).max(Duration::from_secs(2));
            tracing::error!(
                code = e.code(),
                retry_in_secs = wait.as_secs(),
                "Label Studio wiring failed: {e}"
            );
            state.set(WiringState::Failed {
                code: e.code().into(),
                message: e.to_string(),
                retry_in_secs: if retried { wait.as_secs() } else { 0 },
            });
            Err(e)
        }
    }
}

/// Runs the wiring until it succeeds or the process stops.
pub async fn run(
    ctx: Arc<JobContext>,
    state: Arc<Wiring>,
    secret: Secret,
    stop: CancellationToken,
) {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if once(&ctx, &state, secret.clone(), attempt, true)
            .await
            .is_ok()
        {
            return;
        }
        let wait = ppi_jobs::runner::backoff(attempt).max(Duration::from_secs(2));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => return,
        }
    }
}
