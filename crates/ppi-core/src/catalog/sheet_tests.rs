use super::*;

fn csv_file(content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("patterns.csv");
    std::fs::write(&p, content).unwrap();
    (dir, p)
}

#[test]
fn reads_seed_columns_from_csv() {
    let (_d, p) = csv_file(
        "Pattern Type,Comments\nLecture,Teacher explains\n\nGroupWork,\"Students, in groups\"\n",
    );
    let c = load(&p).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        c.lookup("GroupWork").unwrap().description,
        "Students, in groups"
    );
}

#[test]
fn accepts_russian_headers_and_semicolons() {
    let (_d, p) = csv_file(
        "\u{feff}Тип паттерна;Описание;Ключевые слова\nВопрос;Учитель спрашивает;почему, как\n",
    );
    let c = load(&p).unwrap();
    let q = c.lookup("вопрос").unwrap();
    assert_eq!(q.description, "Учитель спрашивает");
    assert_eq!(q.keywords, vec!["почему", "как"]);
}

#[test]
fn missing_column_names_file_and_found_headers() {
    let (_d, p) = csv_file("pattern type,notes\nLecture,x\n");
    let err = load(&p).unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.code(), "patterns-missing-column");
    assert!(
        msg.contains("patterns.csv") && msg.contains("\"notes\"") && msg.contains("description"),
        "{msg}"
    );
}

#[test]
fn duplicate_rows_name_the_row() {
    let (_d, p) = csv_file("pattern type,comments\nLecture,a\nlecture ,b\n");
    let msg = load(&p).unwrap_err().to_string();
    assert!(msg.contains("row 3") && msg.contains("row 2"), "{msg}");
}
