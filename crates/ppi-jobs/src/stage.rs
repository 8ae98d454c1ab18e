//! Where review work lives under the data dir: one staging folder per Label Studio task
//! (`review/task-<id>/`, its clips as a dataset, the video path, its locks) and the assembled
//! dataset (`dataset/`).

use std::path::{Path, PathBuf};

use ppi_dataset::layout::Layout;

/// The staging folder of a stage (`task-<id>`).
pub fn stage_dir(data_dir: &Path, stage: &str) -> PathBuf {
    data_dir.join("review").join(stage)
}

/// The staging dataset of a stage.
pub fn stage_layout(data_dir: &Path, stage: &str) -> Layout {
    Layout::new(stage_dir(data_dir, stage).join("dataset"))
}

/// The stage of a Label Studio task.
pub fn task_stage(task_id: i64) -> String {
    format!("task-{task_id}")
}

/// The assembled dataset's folder.
pub fn dataset_layout(data_dir: &Path) -> Layout {
    Layout::new(data_dir.join("dataset"))
}
