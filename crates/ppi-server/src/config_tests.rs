use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn layers_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ppi.toml");
    std::fs::write(
        &f,
        "[dataset]\npath = \"from-file\"\njpeg_quality = 80\n[hub]\nusername = \"file-user\"\n",
    )
    .unwrap();
    let s = Settings::load(
        Some(&f),
        &env(&[
            ("LOCAL_DATASET_PATH", "from-env"),
            ("HF_TOKEN", "hf_secret"),
        ]),
    )
    .unwrap();
    assert_eq!(s.dataset.path, PathBuf::from("from-env"));
    assert_eq!(s.dataset.jpeg_quality, 80);
    assert_eq!(s.hub.username.as_deref(), Some("file-user"));
    assert_eq!(s.hub.token.as_ref().unwrap().expose(), "hf_secret");
    assert!(
        !format!("{s:?}").contains("hf_secret"),
        "secrets must not print"
    );
}

#[test]
fn legacy_keys_make_a_repo_id() {
    let s = Settings::load(
        None,
        &env(&[("HF_USERNAME", "icomgpu"), ("DATASET_NAME", "ppi")]),
    )
    .unwrap();
    assert_eq!(s.hub.repo_id().as_deref(), Some("icomgpu/ppi"));
}

#[test]
fn bad_values_name_their_source() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ppi.toml");
    std::fs::write(&f, "[dataset]\nnope = 1\n").unwrap();
    let e = Settings::load(Some(&f), &env(&[])).unwrap_err().to_string();
    assert!(e.contains("ppi.toml") && e.contains("nope"), "{e}");
    let e = Settings::load(None, &env(&[("PPI_JOBS", "zero")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("PPI_JOBS"), "{e}");
}

#[test]
fn paths_in_a_settings_file_are_beside_it_and_urls_derive_alike() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ppi.toml");
    std::fs::write(
        &f,
        "[server]\ndata_dir = \"data\"\nbind = \"0.0.0.0:9090\"\n[label_studio]\npatterns = \"sheet.xlsx\"\n",
    )
    .unwrap();
    let s = Settings::load(Some(&f), &env(&[])).unwrap();
    assert_eq!(s.server.data_dir, dir.path().join("data"));
    assert_eq!(s.label_studio.patterns, Some(dir.path().join("sheet.xlsx")));
    // `serve` and `ppi ls bootstrap` derive the same URLs.
    assert_eq!(s.public_url(), "http://127.0.0.1:9090");
    assert_eq!(s.ml_url(), "http://127.0.0.1:9090/ml");
    // The environment's paths stay relative to the working directory.
    let s = Settings::load(Some(&f), &env(&[("PPI_DATA_DIR", "here")])).unwrap();
    assert_eq!(s.server.data_dir, PathBuf::from("here"));
    let s = Settings::load(
        None,
        &env(&[
            ("PPI_PUBLIC_URL", "https://ppi.example/"),
            ("PPI_ML_URL", ""),
        ]),
    )
    .unwrap();
    assert_eq!(s.ml_url(), "https://ppi.example/ml");
}
