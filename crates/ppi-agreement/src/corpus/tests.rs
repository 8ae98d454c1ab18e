use super::*;
use crate::{analyse, Marking, Options, Span};

fn marking(who: &str, spans: &[(&str, u64, u64)]) -> Marking {
    Marking {
        annotator: who.into(),
        annotation_id: None,
        spans: spans
            .iter()
            .map(|(l, s, e)| Span {
                label: (*l).into(),
                start: *s,
                end: *e,
            })
            .collect(),
    }
}

/// A task's report as the service stores it (JSON), read back as the corpus reads it.
fn stored(markings: &[Marking]) -> StoredReport {
    let o = Options {
        frames: 1000,
        ..Options::default()
    };
    let json = serde_json::to_string(&analyse(markings, &o)).unwrap();
    serde_json::from_str(&json).unwrap()
}

fn task(id: i64, markings: &[Marking]) -> TaskFacts {
    TaskFacts {
        task_id: id,
        lesson: Some(format!("lesson-{id}")),
        fps: 25.0,
        report: stored(markings),
    }
}

#[test]
fn figures_add_up_over_tasks() {
    // Task 1: three annotators agree on one questioning interval (250 frames = 10 s).
    let agree = task(
        1,
        &[
            marking("ann", &[("Questioning", 100, 350)]),
            marking("bob", &[("Questioning", 100, 350)]),
            marking("cat", &[("Questioning", 100, 350)]),
        ],
    );
    // Task 2: they disagree; the gate flags it.
    let disagree = task(
        2,
        &[
            marking("ann", &[("Group work", 0, 500)]),
            marking("bob", &[("Group work", 400, 900)]),
            marking("cat", &[("Questioning", 600, 700)]),
        ],
    );
    let c = summarise(3, &[agree, disagree], Vec::new());
    assert_eq!((c.lessons, c.tasks), (3, 2));
    let q = c
        .patterns
        .iter()
        .find(|p| p.label == "Questioning")
        .unwrap();
    assert_eq!((q.intervals, q.seconds), (1, 10.0));
    assert_eq!((c.kappa.passed, c.kappa.flagged), (1, 1));
    assert_eq!(c.kappa.gate, Some(0.6));
    assert_eq!(
        c.kappa.bins.iter().map(|b| b.tasks).sum::<u64>(),
        2 - c.kappa.undefined
    );
    assert_eq!(c.kappa.bins[10].tasks, 1, "κ = 1 falls in the last bin");
    assert_eq!(c.matrix.annotators, ["ann", "bob", "cat"]);
    assert_eq!(c.matrix.pairs.len(), 3);
    assert!(c.matrix.pairs.iter().all(|p| p.tasks == 2));
}

#[test]
fn bins_cover_minus_one_to_one() {
    assert_eq!(bin_of(-1.0), Some(0));
    assert_eq!(bin_of(-0.01), Some(0));
    assert_eq!(bin_of(0.0), Some(1));
    assert_eq!(bin_of(0.6), Some(7));
    assert_eq!(bin_of(0.999), Some(10));
    assert_eq!(bin_of(1.0), Some(10));
    assert_eq!(bin_of(1.5), None);
    assert_eq!(bin_of(f64::NAN), None);
}

#[test]
fn talk_reads_the_teachers_questions() {
    let t = serde_json::json!({
        "roles": {"teacher_share": 0.625, "student_share": 0.25},
        "questions": [
            {"role": "teacher", "type": "open"},
            {"role": "teacher", "type": "closed"},
            {"role": "student", "type": "open"}
        ]
    });
    let talk = talk_of("l1", "Algebra", &t).unwrap();
    assert_eq!((talk.questions, talk.open_questions), (2, 1));
    assert_eq!(tables::share(talk.teacher_share), "62.5%");
    assert!(talk_of("l1", "x", &serde_json::json!({"segments": []})).is_none());
}

#[test]
fn every_chart_prints_its_tables_numbers() {
    let t = task(
        1,
        &[
            marking("ann", &[("Questioning", 100, 350), ("Lecture", 400, 800)]),
            marking("bob", &[("Questioning", 110, 350), ("Lecture", 400, 780)]),
            marking("cat", &[("Questioning", 100, 340)]),
        ],
    );
    let talk = vec![LessonTalk {
        lesson: "l1".into(),
        title: "Algebra <7B>".into(),
        teacher_share: 0.6,
        student_share: 0.3,
        questions: 12,
        open_questions: 5,
    }];
    let c = summarise(1, &[t], talk);
    for name in tables::CHARTS {
        let table = tables::table(&c, name).unwrap();
        let svg = charts::chart(&c, name).unwrap().unwrap();
        assert!(svg.contains("role=\"img\""), "{name}");
        assert!(!svg.contains("<7B>"), "{name}: text is escaped");
        let numeric = |s: &str| s.parse::<f64>().is_ok() || s.ends_with('%');
        let value_columns: &[usize] = match name {
            "patterns" => &[1, 3],
            "kappa" => &[],
            "matrix" => &[3],
            "talk" => &[2, 3],
            "questions" => &[2, 3],
            _ => &[3, 4],
        };
        for row in &table.rows {
            for &i in value_columns {
                let v = &row[i];
                if v.is_empty() || !numeric(v) {
                    continue;
                }
                assert!(
                    svg.contains(&format!(">\n{v}\n<")),
                    "{name}: {v} not in the chart"
                );
            }
        }
    }
    assert!(charts::chart(&c, "nope").is_none());
}

#[test]
fn empty_selection_draws_a_note() {
    let c = summarise(0, &[], Vec::new());
    for name in tables::CHARTS {
        let svg = charts::chart(&c, name).unwrap().unwrap();
        assert!(svg.contains("No figures yet"), "{name}");
    }
}

#[test]
fn many_lessons_are_counted_per_bin() {
    let talk: Vec<LessonTalk> = (0..200)
        .map(|i| LessonTalk {
            lesson: format!("l{i}"),
            title: format!("Lesson {i}"),
            teacher_share: (i % 10) as f64 / 10.0 + 0.05,
            student_share: 0.2,
            questions: i as u64 % 70,
            open_questions: 1,
        })
        .collect();
    let c = summarise(200, &[], talk);
    let svg = charts::chart(&c, "talk").unwrap().unwrap();
    assert!(svg.contains("lessons per share (200 lessons)"));
    // Ten bins of 20 lessons each by the teacher's share; all 200 students at 20-30 %.
    assert_eq!(svg.matches(">\n20\n<").count(), 10, "{svg}");
    assert!(svg.contains(">\n200\n<"));
    assert!(height(&svg) < 1000, "the picture stays a page tall");
    let q = charts::chart(&c, "questions").unwrap().unwrap();
    assert!(
        q.contains("64 or more") && q.contains("lessons per count"),
        "{q}"
    );
    assert!(height(&q) < 1000);
}

/// The picture's height in pixels.
fn height(svg: &str) -> u32 {
    let h = svg
        .split("height=\"")
        .nth(1)
        .and_then(|r| r.split('"').next());
    h.and_then(|h| h.parse().ok()).unwrap_or(u32::MAX)
}

#[test]
fn a_large_matrix_stays_inside_the_picture() {
    let names: Vec<String> = (0..40).map(|i| format!("annotator-{i}")).collect();
    let markings: Vec<Marking> = names
        .iter()
        .map(|n| marking(n, &[("Questioning", 100, 350)]))
        .collect();
    let c = summarise(1, &[task(1, &markings)], Vec::new());
    let svg = charts::chart(&c, "matrix").unwrap().unwrap();
    assert_eq!(c.matrix.annotators.len(), 40);
    // Every cell's right edge is inside the 900-pixel width.
    for rect in svg.split("<rect ").skip(1) {
        let rect = format!(" {}", rect.split("/>").next().unwrap_or(""));
        let attr = |name: &str| -> f64 {
            rect.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        assert!(attr("x") + attr("width") <= 900.0, "{rect}");
    }
}
