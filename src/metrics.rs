//! Prometheus metrics, rendered in the text exposition format: request counts and latencies,
//! jobs by kind and status, how long jobs wait in the queue before they start, job durations,
//! bytes stored.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const JOB_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];
const WAIT_BUCKETS: [f64; 11] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

#[derive(Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in bounds.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts.get(i).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    job_events: Mutex<BTreeMap<(String, String), u64>>,
    job_durations: Mutex<BTreeMap<String, Histogram>>,
    job_waits: Mutex<BTreeMap<String, Histogram>>,
    bytes: AtomicU64,
}

/// Escapes a label value.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry(route.to_owned())
                .or_default()
                .observe(&BUCKETS, seconds);
        }
    }

    pub fn job_event(&self, kind: &str, status: &str) {
        if let Ok(mut m) = self.job_events.lock() {
            *m.entry((kind.to_owned(), status.to_owned())).or_default() += 1;
        }
    }

    pub fn job_duration(&self, kind: &str, seconds: f64) {
        if let Ok(mut m) = self.job_durations.lock() {
            m.entry(kind.to_owned())
                .or_default()
                .observe(&JOB_BUCKETS, seconds);
        }
    }

    /// Time from a job being queued to its first attempt starting.
    pub fn job_wait(&self, kind: &str, seconds: f64) {
        if let Ok(mut m) = self.job_waits.lock() {
            m.entry(kind.to_owned())
                .or_default()
                .observe(&WAIT_BUCKETS, seconds);
        }
    }

    pub fn bytes_stored(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// The exposition text; `jobs` are current job counts by (kind, status) from the database.
    pub fn render(&self, jobs: &[(String, String, i64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ppi_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(out, "# TYPE ppi_http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "ppi_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    esc(method),
                    esc(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ppi_http_request_duration_seconds HTTP request latency by route."
        );
        let _ = writeln!(out, "# TYPE ppi_http_request_duration_seconds histogram");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                h.render(
                    &mut out,
                    "ppi_http_request_duration_seconds",
                    &format!("route=\"{}\"", esc(route)),
                    &BUCKETS,
                );
            }
        }
        let _ = writeln!(out, "# HELP ppi_jobs Jobs by kind and current status.");
        let _ = writeln!(out, "# TYPE ppi_jobs gauge");
        for (kind, status, n) in jobs {
            let _ = writeln!(
                out,
                "ppi_jobs{{kind=\"{}\",status=\"{}\"}} {n}",
                esc(kind),
                esc(status)
            );
        }
        let _ = writeln!(
            out,
            "# HELP ppi_job_transitions_total Job status changes seen by this process."
        );
        let _ = writeln!(out, "# TYPE ppi_job_transitions_total counter");
        if let Ok(m) = self.job_events.lock() {
            for ((kind, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "ppi_job_transitions_total{{kind=\"{}\",status=\"{}\"}} {n}",
                    esc(kind),
                    esc(status)
                );
            }
        }
        let _ = writeln!(out, "# HELP ppi_job_duration_seconds Job run time by kind.");
        let _ = writeln!(out, "# TYPE ppi_job_duration_seconds histogram");
        if let Ok(m) = self.job_durations.lock() {
            for (kind, h) in m.iter() {
                h.render(
                    &mut out,
                    "ppi_job_duration_seconds",
                    &format!("kind=\"{}\"", esc(kind)),
                    &JOB_BUCKETS,
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ppi_job_queue_wait_seconds Time from queued to started, by kind (jobs this process ran)."
        );
        let _ = writeln!(out, "# TYPE ppi_job_queue_wait_seconds histogram");
        if let Ok(m) = self.job_waits.lock() {
            for (kind, h) in m.iter() {
                h.render(
                    &mut out,
                    "ppi_job_queue_wait_seconds",
                    &format!("kind=\"{}\"", esc(kind)),
                    &WAIT_BUCKETS,
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ppi_storage_bytes_written_total Bytes written to object storage."
        );
        let _ = writeln!(out, "# TYPE ppi_storage_bytes_written_total counter");
        let _ = writeln!(
            out,
            "ppi_storage_bytes_written_total {}",
            self.bytes.load(Ordering::Relaxed)
        );
        out
    }
}
