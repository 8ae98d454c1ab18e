//! A task's prediction: built from its video's transcript (regions, suggestions), validated
//! against the project's label config, stored, and pushed to Label Studio once; and the
//! transcription a task waits for, queued once per video.

use serde_json::Value;

use crate::context::JobContext;
use crate::error::{permanent, JobError};
use crate::payload::{Job, MediaRef, Transcribe};
use ppi_asr::Transcript;
use ppi_core::domain::Fps;
use ppi_label_studio::config::LabelConfig;
use ppi_label_studio::media::MediaSource;
use ppi_label_studio::preannotate;
use ppi_learn::suggest::Suggester;
use ppi_store::db::ls::{LsTask, MediaRow};

/// Queues the transcription of a video (once per video, however many tasks show it).
pub async fn queue_transcription(
    ctx: &JobContext,
    source: &MediaSource,
    task_id: i64,
) -> Result<(), JobError> {
    let media = match source {
        MediaSource::Stored(k) => MediaRef::Stored(k.as_str().to_owned()),
        MediaSource::LabelStudio(u) => MediaRef::Ls(u.clone()),
        MediaSource::Remote(u) => MediaRef::Remote(u.to_string()),
    };
    let key = source.media_key();
    let job = Job::Transcribe(Transcribe {
        media_key: key.clone(),
        media,
        task_id,
    });
    ctx.enqueue(&job, &format!("transcribe:{key}"), None, None)
        .await
        .map_err(JobError::from_coded)?;
    Ok(())
}

/// Builds, validates, stores and (once) pushes a task's prediction from its video's transcript.
pub async fn push_prediction(
    ctx: &JobContext,
    task: &LsTask,
    media: &MediaRow,
) -> Result<(), JobError> {
    let config = ctx.project_config(task.project, None).await?;
    let (timeline, video) = config.timeline().ok_or_else(|| {
        permanent(
            "ls-config-no-timeline",
            format!(
                "project {}'s label config has no <TimelineLabels> on a <Video>",
                task.project
            ),
        )
    })?;
    let data: serde_json::Map<String, Value> = serde_json::from_str(&task.data).unwrap_or_default();
    let fps = Fps::new(LabelConfig::fps(video, &data))
        .map_err(|e| permanent("task-bad-fps", format!("task {}: {e}", task.task_id)))?;
    let frames = (media.duration * fps.get()).ceil().max(1.0) as u64;
    let transcript: Transcript = serde_json::from_str(&media.transcript)
        .map_err(|e| permanent("transcript-invalid", e.to_string()))?;
    let rules = ctx.settings.label_studio.regions;
    let mut suggester = Suggester::new(
        &timeline.labels,
        ctx.patterns.as_deref(),
        ctx.settings.label_studio.neutral(),
    );
    let learned = ppi_learn::ModelStore::new(&ctx.settings.server.data_dir).text_model();
    if let Some((_, model)) = &learned {
        suggester = suggester.with_learned(
            std::sync::Arc::new(model.clone()),
            ctx.settings.learn.min_confidence,
        );
    }
    // One region per stretch of one activity, with its evidence, where the speakers are
    // known; else one per sentence.
    let regions = ppi_label_studio::evidence::regions(&transcript, &rules, &suggester);
    let prediction = preannotate::build(
        &config,
        &regions,
        &transcript.turns,
        &suggester,
        fps,
        Some(frames),
    )
    .map_err(|e| permanent("prediction-invalid", format!("task {}: {e}", task.task_id)))?;
    let version = preannotate::model_version(&media.model, learned.map(|(n, _)| n));
    ctx.db
        .set_ls_task_result(
            task.task_id,
            &prediction.to_json(&version).to_string(),
            &version,
        )
        .await
        .map_err(JobError::from_coded)?;
    if !ctx
        .db
        .claim_ls_push(task.task_id)
        .await
        .map_err(JobError::from_coded)?
    {
        return Ok(());
    }
    let pushed = ctx
        .ls()?
        .create_prediction(
            task.task_id,
            &version,
            prediction.score,
            &Value::Array(prediction.result.clone()),
        )
        .await;
    let outcome = match &pushed {
        Ok(id) => Ok(Some(*id)),
        Err(e) => Err(e.to_string()),
    };
    ctx.db
        .finish_ls_push(
            task.task_id,
            outcome.as_ref().map(|i| *i).map_err(|e| e.as_str()),
        )
        .await
        .map_err(JobError::from_coded)?;
    match pushed {
        Ok(id) => {
            tracing::info!(
                task = task.task_id,
                prediction = id,
                regions = regions.len(),
                "prediction pushed"
            );
            Ok(())
        }
        Err(e) => Err(JobError::from_coded(e)),
    }
}
