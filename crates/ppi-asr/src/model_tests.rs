use super::*;

#[test]
fn names_and_paths_are_told_apart() {
    assert_eq!(
        "base".parse::<ModelSpec>().unwrap(),
        ModelSpec::Name("base".into())
    );
    assert_eq!(
        "ggml-base-q8_0".parse::<ModelSpec>().unwrap(),
        ModelSpec::Name("base-q8_0".into())
    );
    assert_eq!(
        "models/x.bin".parse::<ModelSpec>().unwrap(),
        ModelSpec::Path("models/x.bin".into())
    );
    assert!("../../etc"
        .parse::<ModelSpec>()
        .is_ok_and(|s| matches!(s, ModelSpec::Path(_))));
    assert!("bad name!".parse::<ModelSpec>().is_err());
    assert_eq!(
        ModelSpec::Name("large-v3".into()).file_name(),
        "ggml-large-v3.bin"
    );
    assert_eq!(
        ModelSpec::Path("/m/ggml-base-q8_0.bin".into()).label(),
        "base-q8_0"
    );
}

#[test]
fn non_models_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"not a model at all").unwrap();
    let e = check_file(&junk).unwrap_err().to_string();
    assert!(e.contains("junk.bin") && e.contains("magic"), "{e}");
    let short = dir.path().join("short.bin");
    std::fs::write(&short, [0x6c, 0x6d, 0x67, 0x67, 0, 0]).unwrap();
    assert!(check_file(&short)
        .unwrap_err()
        .to_string()
        .contains("truncated"));
    let missing = resolve(&ModelSpec::Path(dir.path().join("nope.bin")))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("ppi models fetch"), "{missing}");
}
