use super::*;

fn row(id: &str, with_audio: bool) -> Row {
    Row {
        file_name: format!("images/{id}.jpg"),
        id: id.into(),
        lesson_id: "L1".into(),
        source_video: "lesson.mp4".into(),
        source_sha256: String::new(),
        start_time: 1.0,
        end_time: 2.5,
        start_frame: 26,
        end_frame: 63,
        fps: 25.0,
        pattern_type: "Questioning".into(),
        pattern_description: "Questions.".into(),
        video_file: format!("videos/{id}.mp4"),
        image_file: format!("images/{id}.jpg"),
        image_cropped_file: String::new(),
        audio_file: if with_audio {
            format!("audio/{id}.wav")
        } else {
            String::new()
        },
        transcript_file: String::new(),
        language: "en".into(),
        transcript: "Who knows?".into(),
        teacher_share: None,
        student_share: None,
        speakers: None,
        turns: None,
        questions: None,
        open_questions: None,
        activity: String::new(),
        keyframe_time: 1.72,
        key_frame_method: "middle".into(),
        key_frame_score: 0.0,
        key_frame_middle_score: 0.0,
        clip_mode: "accurate".into(),
        clip_start_time: 1.0,
        clip_end_time: 2.5,
        crop: String::new(),
        annotator: String::new(),
        annotation_id: "7".into(),
        task_id: "3".into(),
    }
}

#[test]
fn shards_embed_media_with_hf_features_and_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(dir.path());
    layout.create().unwrap();
    let rows = vec![row("b", true), row("a", false)];
    for r in &rows {
        std::fs::write(layout.abs(&r.video_file), format!("video {}", r.id)).unwrap();
        std::fs::write(layout.abs(&r.image_file), format!("image {}", r.id)).unwrap();
        if !r.audio_file.is_empty() {
            std::fs::write(layout.abs(&r.audio_file), "RIFF").unwrap();
        }
    }
    let names = write_shards(&layout, &rows).unwrap();
    assert_eq!(names, vec!["data/train-00000-of-00001.parquet"]);
    let first = std::fs::read(layout.abs(&names[0])).unwrap();
    write_shards(&layout, &rows).unwrap();
    assert_eq!(
        first,
        std::fs::read(layout.abs(&names[0])).unwrap(),
        "deterministic"
    );

    let file = std::fs::File::open(layout.abs(&names[0])).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta: Value = serde_json::from_str(&reader.schema().metadata()["huggingface"]).unwrap();
    let f = &meta["info"]["features"];
    assert_eq!(f["video"]["_type"], "Video");
    assert_eq!(f["audio"]["sampling_rate"], 16000);
    assert_eq!(f["start_frame"]["dtype"], "int64");
    assert_eq!(f["fps"]["dtype"], "float64");
    let batch = reader.build().unwrap().next().unwrap().unwrap();
    assert_eq!(batch.num_rows(), 2);
    let ids = batch.column_by_name("id").unwrap();
    let ids = ids.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!((ids.value(0), ids.value(1)), ("a", "b"));
    let audio = batch.column_by_name("audio").unwrap();
    assert!(audio.is_null(0) && audio.is_valid(1));
}
