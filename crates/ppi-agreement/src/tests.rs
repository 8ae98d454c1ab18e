use super::*;

fn span(label: &str, s: u64, e: u64) -> Span {
    Span {
        label: label.into(),
        start: s,
        end: e,
    }
}

fn marking(who: &str, spans: &[(&str, u64, u64)]) -> Marking {
    Marking {
        annotator: who.into(),
        annotation_id: None,
        spans: spans.iter().map(|(l, s, e)| span(l, *s, *e)).collect(),
    }
}

fn options(frames: u64) -> Options {
    Options {
        frames,
        all_labels: vec!["Lecture".into(), "Questioning".into(), "GroupWork".into()],
        ..Options::default()
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-12,
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn label_studio_frames_convert_once_to_half_open_indices() {
    let r = ppi_core::domain::FrameRange::new(1, 25).unwrap();
    let s = Span::from_range("L", r);
    assert_eq!((s.start, s.end, s.len()), (0, 25, 25));
    assert_eq!(s.to_range(), Some(r));
    let one = Span::from_range("L", ppi_core::domain::FrameRange::new(300, 300).unwrap());
    assert_eq!((one.start, one.end), (299, 300));
}

#[test]
fn identical_markings_agree_perfectly_and_are_their_own_consensus() {
    let a = marking("a", &[("Lecture", 0, 100), ("Questioning", 150, 220)]);
    let b = marking("b", &[("Lecture", 0, 100), ("Questioning", 150, 220)]);
    let r = analyse(&[a.clone(), b], &options(500));
    assert_eq!(r.frame.pooled.kappa, Some(1.0));
    assert_eq!(r.frame.pooled.alpha, Some(1.0));
    assert_eq!(r.frame.labels[0].kappas.cohen, Some(1.0));
    // Nobody used GroupWork: its κ is undefined, never 0 or 1.
    assert_eq!(r.frame.labels[2].kappas.kappa, None);
    assert_eq!(r.frame.labels[2].kappas.alpha, None);
    assert_eq!(r.frame.macro_kappa, Some(1.0));
    assert_eq!(r.intervals.f1, Some(1.0));
    assert!(r.gate.passed);
    let mut want = a.spans.clone();
    want.sort();
    assert_eq!(r.consensus, want);
    let mean = analyse(
        &[a.clone(), a.clone()],
        &Options {
            consensus: ConsensusRule::Mean,
            ..options(500)
        },
    );
    assert_eq!(mean.consensus, want);
}

#[test]
fn figures_are_symmetric_in_the_annotators() {
    let a = marking(
        "a",
        &[
            ("Lecture", 0, 120),
            ("Questioning", 99, 180),
            ("GroupWork", 299, 300),
        ],
    );
    let b = marking(
        "b",
        &[
            ("Lecture", 9, 130),
            ("Questioning", 109, 175),
            ("GroupWork", 289, 360),
        ],
    );
    let c = marking("c", &[("Lecture", 3, 90), ("GroupWork", 295, 340)]);
    let o = options(500);
    let ab = analyse(&[a.clone(), b.clone()], &o);
    let ba = analyse(&[b.clone(), a.clone()], &o);
    assert!(close(ab.frame.pooled.kappa, ba.frame.pooled.kappa));
    assert!(close(ab.intervals.f1, ba.intervals.f1));
    assert!(close(
        ab.intervals.segment_kappa,
        ba.intervals.segment_kappa
    ));
    for (x, y) in ab.frame.labels.iter().zip(&ba.frame.labels) {
        assert!(close(x.kappas.alpha, y.kappas.alpha), "{x:?} {y:?}");
    }
    let abc = analyse(&[a.clone(), b.clone(), c.clone()], &o);
    let cab = analyse(&[c, a, b], &o);
    assert!(close(abc.frame.pooled.kappa, cab.frame.pooled.kappa));
    assert!(close(abc.frame.pooled.alpha, cab.frame.pooled.alpha));
    assert_eq!(abc.consensus, cab.consensus);
}

#[test]
fn frame_and_second_units_agree() {
    // The same markings at 25 fps in seconds, counted as durations: the same κ.
    let a = marking("a", &[("Lecture", 0, 120), ("Questioning", 99, 180)]);
    let b = marking("b", &[("Lecture", 9, 130), ("Questioning", 109, 175)]);
    let r = analyse(&[a.clone(), b.clone()], &options(500));
    let secs = |m: &Marking, l: &str| -> Vec<(f64, f64)> {
        m.spans
            .iter()
            .filter(|s| s.label == l)
            .map(|s| (s.start as f64 / 25.0, s.end as f64 / 25.0))
            .collect()
    };
    for (k, label) in ["Lecture", "Questioning"].iter().enumerate() {
        let (x, y) = (secs(&a, label), secs(&b, label));
        let total = 500.0 / 25.0;
        let len = |v: &[(f64, f64)]| v.iter().map(|(s, e)| e - s).sum::<f64>();
        let both: f64 = x
            .iter()
            .flat_map(|p| {
                y.iter()
                    .map(move |q| (p.1.min(q.1) - p.0.max(q.0)).max(0.0))
            })
            .sum();
        let (pa, pb) = (len(&x) / total, len(&y) / total);
        let po = (total - len(&x) - len(&y) + 2.0 * both) / total;
        let pe = pa * pb + (1.0 - pa) * (1.0 - pb);
        let kappa = (po - pe) / (1.0 - pe);
        let got = r.frame.labels[k].kappas.cohen.unwrap();
        assert!((got - kappa).abs() < 1e-9, "{label}: {got} vs {kappa}");
    }
}

#[test]
fn disjoint_and_empty_markings() {
    let a = marking("a", &[("Lecture", 0, 100)]);
    let b = marking("b", &[("Lecture", 199, 300)]);
    let r = analyse(&[a, b], &options(500));
    assert!(r.frame.labels[0].kappas.cohen.unwrap() < 0.0);
    assert_eq!(r.intervals.f1, Some(0.0));
    assert_eq!(r.intervals.segments[0].miss, 2);
    assert!(!r.gate.passed);
    assert!(
        r.consensus.is_empty(),
        "two annotators: the frames both marked"
    );
    let nobody = marking("x", &[]);
    let q = marking("y", &[("Questioning", 49, 150)]);
    let r = analyse(&[nobody, q], &options(500));
    assert_eq!(r.frame.labels[1].kappas.cohen, Some(0.0));
    assert_eq!(r.intervals.pairs[0].fp, 1);
}

#[test]
fn a_confusion_is_a_disagreement_of_labels() {
    let a = marking("a", &[("Questioning", 399, 450)]);
    let b = marking("b", &[("Lecture", 404, 445)]);
    let r = analyse(&[a, b], &options(500));
    assert_eq!(r.intervals.confusions.len(), 1);
    let c = &r.intervals.confusions[0];
    assert_eq!(
        (c.a_label.as_str(), c.b_label.as_str(), c.count),
        ("Questioning", "Lecture", 1)
    );
    let s = &r.intervals.segments[0];
    assert_eq!((s.agreement, s.disagreement, s.miss), (0, 1, 0));
}

#[test]
fn majority_of_three_and_the_gate_measures() {
    let a = marking("a", &[("Lecture", 0, 100)]);
    let b = marking("b", &[("Lecture", 10, 110)]);
    let c = marking("c", &[("Lecture", 50, 200)]);
    let r = analyse(&[a, b, c], &options(300));
    // Frames marked by at least two of the three.
    assert_eq!(r.consensus, vec![span("Lecture", 10, 110)]);
    assert_eq!(
        r.frame.pooled.cohen, None,
        "Cohen's κ is for two annotators"
    );
    assert!(r.frame.pooled.fleiss.is_some() && r.frame.pooled.kappa == r.frame.pooled.fleiss);
    for (m, want) in [
        (GateMeasure::Pooled, r.frame.pooled.kappa),
        (GateMeasure::Macro, r.frame.macro_kappa),
        (GateMeasure::Alpha, r.frame.pooled.alpha),
    ] {
        let g = consensus::gate(
            &r.frame,
            &Options {
                gate_measure: m,
                ..options(300)
            },
        );
        assert_eq!(g.value, want);
    }
}

#[test]
fn the_matrix_of_two_is_the_tasks_cohen_kappa_and_adds_up_across_tasks() {
    let a = marking("a", &[("Lecture", 0, 100), ("Questioning", 150, 220)]);
    let b = marking("b", &[("Lecture", 10, 120), ("Questioning", 160, 200)]);
    let r = analyse(&[a.clone(), b.clone()], &options(500));
    let p = r.matrix.pair("b", "a").unwrap();
    assert_eq!(p.tasks, 1);
    assert!(close(p.cells.kappa(), r.frame.pooled.cohen));
    assert!(close(
        p.cells.labels[0].kappa,
        r.frame.labels[0].kappas.cohen
    ));
    // With one other, the consensus of the others is that other's marking.
    let v = &r.matrix.versus_others[0];
    assert!(close(v.cells.kappa(), r.frame.pooled.cohen));
    assert_eq!(v.annotator, "a");

    // Two tasks merged: the κ of the concatenated cells, and a pair that never met has none.
    let c = marking("c", &[("Lecture", 0, 100)]);
    let r2 = analyse(&[a.clone(), c.clone()], &options(300));
    let m = matrix::Matrix::merge([&r.matrix, &r2.matrix]);
    assert_eq!(m.annotators, vec!["a", "b", "c"]);
    let bc = m.pair("b", "c").unwrap();
    assert_eq!((bc.tasks, bc.cells.kappa()), (0, None));
    let ab = m.pair("a", "b").unwrap();
    assert_eq!(ab.tasks, 1);
    let va = m.versus_others.iter().find(|v| v.annotator == "a").unwrap();
    assert_eq!(va.tasks, 2);
    let mut t = r.matrix.versus_others[0]
        .cells
        .pooled
        .clone()
        .unwrap()
        .cells;
    t.add(
        &r2.matrix.versus_others[0]
            .cells
            .pooled
            .clone()
            .unwrap()
            .cells,
    );
    assert!(close(va.cells.kappa(), t.kappa()));
    assert_eq!(t.0.iter().sum::<u64>(), 3 * 500 + 3 * 300);
}

#[test]
fn one_annotator_who_disagrees_stands_out_against_the_others() {
    let a = marking("a", &[("Lecture", 0, 200), ("Questioning", 250, 400)]);
    let b = marking("b", &[("Lecture", 5, 195), ("Questioning", 260, 400)]);
    let c = marking("c", &[("Lecture", 0, 210), ("Questioning", 240, 390)]);
    let odd = marking("odd", &[("Questioning", 0, 150), ("GroupWork", 300, 480)]);
    let r = analyse(&[a, b, c, odd], &options(500));
    let m = &r.matrix;
    assert_eq!(m.pairs.len(), 6);
    let worst = m
        .versus_others
        .iter()
        .min_by(|x, y| {
            x.cells
                .kappa()
                .unwrap()
                .total_cmp(&y.cells.kappa().unwrap())
        })
        .unwrap();
    assert_eq!(worst.annotator, "odd");
    assert_eq!(worst.f1, Some(0.0));
    assert!(m.pair("a", "b").unwrap().cells.kappa().unwrap() > 0.8);
    assert!(m.pair("a", "odd").unwrap().cells.kappa().unwrap() < 0.1);
}
