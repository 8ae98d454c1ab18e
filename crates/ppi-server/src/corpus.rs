//! Corpus analytics as a use case: the lessons a caller may see (all, for an admin; their
//! own, for a `DL-user`), narrowed to a chosen set when asked, and what their stored
//! agreement reports and transcript summaries add up to (`ppi-agreement`'s `corpus`).

use std::collections::HashSet;

use ppi_agreement::corpus::{self, Corpus, StoredReport, TaskFacts};
use ppi_store::db::corpus::{CorpusLesson, CorpusTask};
use ppi_store::db::{Db, DbError};

/// Why a selection was refused.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("lessons: {0:?} is not a lesson id")]
    BadId(String),
    #[error("lessons: no lesson {0} (or not yours)")]
    Unknown(String),
    #[error("lessons: at most {max} ids, {given} given")]
    TooMany { max: usize, given: usize },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the figures could not be added up: {0}")]
    Failed(String),
}

/// The most lessons one selection names.
pub const MAX_SELECTION: usize = 1000;

/// Parses `a,b,c` (blank: the whole corpus).
pub fn parse_selection(s: Option<&str>) -> Result<Option<Vec<String>>, SelectionError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    // "a,b," and "a,,b" name a and b: an empty piece is a stray comma, not an id.
    let ids: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.len() > MAX_SELECTION {
        return Err(SelectionError::TooMany {
            max: MAX_SELECTION,
            given: ids.len(),
        });
    }
    for id in &ids {
        if ppi_core::domain::EntityId::parse(id).is_none() {
            return Err(SelectionError::BadId(id.clone()));
        }
    }
    Ok(Some(ids))
}

/// The corpus figures over `owner`'s lessons (everyone's when `None`), narrowed to
/// `selection`. Without a selection, an admin's corpus also holds tasks imported into Label
/// Studio without a PPI lesson. The stored reports are parsed and added up on a blocking
/// thread (hundreds of kB of JSON for a large corpus).
pub async fn figures(
    db: &Db,
    owner: Option<&str>,
    selection: Option<&[String]>,
) -> Result<Corpus, SelectionError> {
    let lessons = db.corpus_lessons(owner).await?;
    let chosen: Option<HashSet<String>> = match selection {
        Some(ids) => {
            let known: HashSet<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
            if let Some(bad) = ids.iter().find(|id| !known.contains(id.as_str())) {
                return Err(SelectionError::Unknown(bad.clone()));
            }
            Some(ids.iter().cloned().collect())
        }
        None => None,
    };
    let tasks = db.corpus_tasks(owner).await?;
    tokio::task::spawn_blocking(move || add_up(lessons, tasks, chosen.as_ref()))
        .await
        .map_err(|e| SelectionError::Failed(e.to_string()))
}

fn add_up(
    lessons: Vec<CorpusLesson>,
    tasks: Vec<CorpusTask>,
    chosen: Option<&HashSet<String>>,
) -> Corpus {
    let keep = |lesson: Option<&str>| match (chosen, lesson) {
        (None, _) => true,
        (Some(c), Some(l)) => c.contains(l),
        (Some(_), None) => false,
    };
    let tasks: Vec<TaskFacts> = tasks
        .into_iter()
        .filter(|t| keep(t.lesson_id.as_deref()))
        .map(|t| TaskFacts {
            task_id: t.task_id,
            lesson: t.lesson_id,
            fps: t.fps.unwrap_or(0.0),
            // A report that no longer reads adds nothing but still counts as measured.
            report: serde_json::from_str::<StoredReport>(&t.report).unwrap_or_default(),
        })
        .collect();
    let mut count = 0;
    let mut talk = Vec::new();
    for l in lessons.iter().filter(|l| keep(Some(&l.id))) {
        count += 1;
        let Some(t) = l.talk.as_deref() else { continue };
        let v: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
        if let Some(row) = corpus::talk_of(&l.id, &l.title, &v) {
            talk.push(row);
        }
    }
    corpus::summarise(count, &tasks, talk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_parse_and_refuse_clearly() {
        let a = ppi_core::domain::EntityId::new().as_str().to_owned();
        let b = ppi_core::domain::EntityId::new().as_str().to_owned();
        assert_eq!(parse_selection(None).unwrap(), None);
        assert_eq!(parse_selection(Some(" ")).unwrap(), None);
        let both = parse_selection(Some(&format!("{a}, {b},")))
            .unwrap()
            .unwrap();
        assert_eq!(both, [a.clone(), b]);
        let bad = parse_selection(Some(&format!("{a},nope"))).unwrap_err();
        assert_eq!(bad.to_string(), "lessons: \"nope\" is not a lesson id");
        let many = vec![a; MAX_SELECTION + 1].join(",");
        assert!(matches!(
            parse_selection(Some(&many)),
            Err(SelectionError::TooMany { .. })
        ));
    }
}
