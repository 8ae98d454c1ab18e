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

#[test]
fn a_private_file_is_owner_only_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("jwt.key");
    write_private_new(&target, b"first").unwrap();
    let err = write_private_new(&target, b"second").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&target).unwrap(), b"first");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("jwt.key")],
        "no part files left"
    );
}
