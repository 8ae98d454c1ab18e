//! Prometheus metrics through the `metrics` facade, rendered by `metrics-exporter-prometheus`:
//! request counts and latencies by route (here), jobs by kind and status (a gauge from the
//! database, set when scraped), and what the jobs and storage record themselves
//! (`ppi_jobs::telemetry`, `ppi_store::storage::telemetry`). One recorder per process.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of `ppi_http_request_duration_seconds`.
const REQUEST_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's metrics: the exporter's handle, and the job gauges set so far (so that a
/// (kind, status) pair with no jobs left reads 0 instead of its last count).
pub struct Metrics {
    handle: PrometheusHandle,
    job_series: Mutex<BTreeSet<(String, String)>>,
}

static INSTALLED: OnceLock<Arc<Metrics>> = OnceLock::new();

impl Metrics {
    /// The process's recorder, installed on first use.
    pub fn install() -> Arc<Metrics> {
        INSTALLED
            .get_or_init(|| {
                let builder = PrometheusBuilder::new();
                let builder = [
                    ("ppi_http_request_duration_seconds", &REQUEST_BUCKETS[..]),
                    (
                        "ppi_job_duration_seconds",
                        &ppi_jobs::telemetry::DURATION_BUCKETS[..],
                    ),
                    (
                        "ppi_job_queue_wait_seconds",
                        &ppi_jobs::telemetry::WAIT_BUCKETS[..],
                    ),
                ]
                .into_iter()
                .fold(builder, |b, (name, buckets)| {
                    b.set_buckets_for_metric(Matcher::Full(name.into()), buckets)
                        .unwrap_or_else(|_| PrometheusBuilder::new())
                });
                let handle = match builder.install_recorder() {
                    Ok(h) => h,
                    // Another recorder is already global (not PPI's): render a private one.
                    Err(_) => PrometheusBuilder::new().build_recorder().handle(),
                };
                describe();
                Arc::new(Metrics {
                    handle,
                    job_series: Mutex::new(BTreeSet::new()),
                })
            })
            .clone()
    }

    /// One answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        metrics::counter!("ppi_http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string())
            .increment(1);
        metrics::histogram!("ppi_http_request_duration_seconds", "route" => route).record(seconds);
    }

    /// One credential checked: `kind` password, refresh or api_token; `outcome` success,
    /// failure or throttled (refused before checking).
    pub fn credential(&self, kind: &'static str, outcome: &'static str) {
        metrics::counter!("ppi_auth_attempts_total", "kind" => kind, "outcome" => outcome)
            .increment(1);
    }

    /// The exposition text; `jobs` are current job counts by (kind, status) from the database.
    pub fn render(&self, jobs: &[(String, String, i64)]) -> String {
        if let Ok(mut seen) = self.job_series.lock() {
            for (kind, status) in seen.iter() {
                if !jobs.iter().any(|(k, s, _)| k == kind && s == status) {
                    metrics::gauge!("ppi_jobs", "kind" => kind.clone(), "status" => status.clone())
                        .set(0.0);
                }
            }
            for (kind, status, n) in jobs {
                metrics::gauge!("ppi_jobs", "kind" => kind.clone(), "status" => status.clone())
                    .set(*n as f64);
                seen.insert((kind.clone(), status.clone()));
            }
        }
        self.handle.render()
    }
}

fn describe() {
    metrics::describe_counter!(
        "ppi_http_requests_total",
        "HTTP requests by method, route and status."
    );
    metrics::describe_histogram!(
        "ppi_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by route."
    );
    metrics::describe_gauge!("ppi_jobs", "Jobs by kind and current status.");
    metrics::describe_counter!(
        "ppi_auth_attempts_total",
        "Credentials checked (password, refresh, api_token) by outcome (success, failure, throttled)."
    );
    ppi_jobs::telemetry::describe();
    ppi_store::storage::telemetry::describe();
}
