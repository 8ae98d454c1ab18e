//! Which of a task's annotations to use (`--annotation latest|all|ID|consensus`), and choosing
//! them: cancelled ones are skipped, and an unknown or cancelled id is a field error.

use super::model::{ExportAnnotation, ExportTask, FieldError};

/// Which annotations of a task to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationChoice {
    /// The most recently updated annotation that is not cancelled.
    Latest,
    /// Every annotation that is not cancelled.
    All,
    /// The annotation with this id.
    Id(i64),
    /// The gated consensus of every annotator's latest annotation (the dataset builder forms
    /// it; read here as every annotation).
    Consensus,
}

impl std::str::FromStr for AnnotationChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "latest" => Ok(AnnotationChoice::Latest),
            "all" => Ok(AnnotationChoice::All),
            "consensus" => Ok(AnnotationChoice::Consensus),
            other => other.parse::<i64>().map(AnnotationChoice::Id).map_err(|_| {
                format!("expected latest, all, consensus or an annotation id, found {other:?}")
            }),
        }
    }
}

/// Chooses the annotations of `task` per `choice`, skipping cancelled ones.
pub fn choose_annotations(
    task: &ExportTask,
    choice: AnnotationChoice,
) -> Result<Vec<&ExportAnnotation>, FieldError> {
    let live: Vec<&ExportAnnotation> = task
        .annotations
        .iter()
        .filter(|a| !a.was_cancelled)
        .collect();
    match choice {
        AnnotationChoice::Id(id) => {
            let found = task
                .annotations
                .iter()
                .find(|a| a.id == Some(id))
                .ok_or_else(|| {
                    let ids: Vec<String> = task
                        .annotations
                        .iter()
                        .filter_map(|a| a.id)
                        .map(|i| i.to_string())
                        .collect();
                    FieldError::new(
                        format!("{}.annotations", task.pointer),
                        format!(
                            "{} has no annotation {id} (it has: {})",
                            task.describe(),
                            if ids.is_empty() {
                                "none".into()
                            } else {
                                ids.join(", ")
                            }
                        ),
                    )
                })?;
            if found.was_cancelled {
                return Err(FieldError::new(
                    &found.pointer,
                    format!("annotation {id} was cancelled (skipped) by the annotator"),
                ));
            }
            Ok(vec![found])
        }
        _ if live.is_empty() => Err(FieldError::new(
            format!("{}.annotations", task.pointer),
            format!(
                "{} has no annotation to use ({} cancelled)",
                task.describe(),
                task.annotations.len()
            ),
        )),
        AnnotationChoice::All | AnnotationChoice::Consensus => Ok(live),
        AnnotationChoice::Latest => {
            // ISO-8601 UTC timestamps from LS compare correctly as strings; ids break ties.
            let latest = live
                .into_iter()
                .max_by(|a, b| {
                    let ka = (a.updated_at.as_deref().or(a.created_at.as_deref()), a.id);
                    let kb = (b.updated_at.as_deref().or(b.created_at.as_deref()), b.id);
                    ka.cmp(&kb)
                })
                .into_iter()
                .collect();
            Ok(latest)
        }
    }
}
