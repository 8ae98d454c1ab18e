//! The storage metric, through the `metrics` facade: bytes written to object storage.

/// Says what the storage metric means (shown as `# HELP`).
pub fn describe() {
    metrics::describe_counter!(
        "ppi_storage_bytes_written_total",
        metrics::Unit::Bytes,
        "Bytes written to object storage."
    );
    // Present from the start, at 0.
    metrics::counter!("ppi_storage_bytes_written_total").absolute(0);
}

/// `n` bytes were written to object storage.
pub fn bytes_stored(n: u64) {
    metrics::counter!("ppi_storage_bytes_written_total").increment(n);
}
