use super::*;

#[test]
fn uncommitted_part_is_removed_and_committed_part_lands() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a.txt");
    {
        let part = PartFile::new(&target);
        fs::write(part.path(), b"x").unwrap();
    }
    assert!(!target.exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

    write(&target, b"hello").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"hello");
}

#[test]
fn stale_parts_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".x.mp4.ppi-part-1-2"), b"").unwrap();
    fs::write(dir.path().join("keep.mp4"), b"").unwrap();
    assert_eq!(clean_stale_parts(dir.path()).unwrap(), 1);
    assert!(dir.path().join("keep.mp4").exists());
}
