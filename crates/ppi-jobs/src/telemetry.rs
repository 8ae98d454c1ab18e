//! The job metrics, recorded through the `metrics` facade (the service installs the Prometheus
//! exporter): status changes, run time and queue wait, by kind. The names and labels are the
//! ones PPI exposed before the facade.

/// Buckets of `ppi_job_duration_seconds`.
pub const DURATION_BUCKETS: [f64; 10] =
    [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];
/// Buckets of `ppi_job_queue_wait_seconds`.
pub const WAIT_BUCKETS: [f64; 11] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

/// Says what each job metric means (shown as `# HELP`).
pub fn describe() {
    metrics::describe_counter!(
        "ppi_job_transitions_total",
        "Job status changes seen by this process."
    );
    metrics::describe_histogram!(
        "ppi_job_duration_seconds",
        metrics::Unit::Seconds,
        "Job run time by kind."
    );
    metrics::describe_histogram!(
        "ppi_job_queue_wait_seconds",
        metrics::Unit::Seconds,
        "Time from queued to started, by kind (jobs this process ran)."
    );
}

/// A job of `kind` entered `status`.
pub fn job_event(kind: &str, status: &str) {
    metrics::counter!("ppi_job_transitions_total", "kind" => kind.to_owned(), "status" => status.to_owned())
        .increment(1);
}

/// A job of `kind` ended after `seconds`.
pub fn job_duration(kind: &str, seconds: f64) {
    metrics::histogram!("ppi_job_duration_seconds", "kind" => kind.to_owned()).record(seconds);
}

/// A job of `kind` waited `seconds` in the queue before its first attempt.
pub fn job_wait(kind: &str, seconds: f64) {
    metrics::histogram!("ppi_job_queue_wait_seconds", "kind" => kind.to_owned()).record(seconds);
}
