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

#[test]
fn extra_chunks_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ffmpeg.wav");
    let mut bytes = header(3, SAMPLE_RATE).to_vec();
    // Insert a LIST chunk between fmt and data, as ffmpeg writes.
    let list = [b"LIST".as_slice(), &6u32.to_le_bytes(), b"INFOab"].concat();
    bytes.splice(36..36, list);
    bytes.extend_from_slice(&[1, 0, 2, 0, 3, 0]);
    std::fs::write(&p, &bytes).unwrap();
    assert_eq!(read_samples(&p).unwrap(), vec![1, 2, 3]);
    assert_eq!(read_range(&p, 1, 3).unwrap(), vec![2, 3]);
}
