use super::*;

#[test]
fn write_then_slice_is_sample_exact() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("lesson.wav");
    let mut w = WavWriter::create(&lesson, SAMPLE_RATE).unwrap();
    let samples: Vec<i16> = (0..32_000).map(|i| (i % 30_000) as i16).collect();
    w.write(&samples).unwrap();
    assert_eq!(w.finish().unwrap(), 32_000);
    assert_eq!(sample_count(&lesson).unwrap(), 32_000);

    let clip = dir.path().join("clip.wav");
    assert_eq!(slice(&lesson, 16_000, 16_010, &clip).unwrap(), 10);
    assert_eq!(
        read_samples(&clip).unwrap(),
        samples[16_000..16_010].to_vec()
    );

    // Past the end: padded with silence.
    assert_eq!(slice(&lesson, 31_995, 32_005, &clip).unwrap(), 10);
    let s = read_samples(&clip).unwrap();
    assert_eq!(&s[..5], &samples[31_995..]);
    assert_eq!(&s[5..], &[0; 5]);
}

#[test]
fn foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.wav");
    std::fs::write(&p, vec![7u8; 100]).unwrap();
    assert!(matches!(sample_count(&p), Err(WavError::Format { .. })));
}
