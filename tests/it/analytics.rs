//! Lesson analytics from `ppi dataset build --annotation consensus` on a three-annotator
//! export: the consensus is gated (below the gate the build refuses, naming κ), and the
//! timeline and heatmap are drawn as SVG and PNG with one lane per pattern and a sub-row per
//! annotator, summarised in the dataset card.

use std::path::Path;

use crate::support::{fixture, ppi, run, scratch};

/// A PNG's width and height, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG", "{path:?}");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

#[test]
fn consensus_builds_draw_timelines_with_a_lane_per_pattern() {
    let dir = scratch();
    let video = dir.path().join("lesson-5.mp4");
    crate::support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x120:r=25:d=20",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=20",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        video.to_str().unwrap(),
    ]);
    let out = dir.path().join("out");
    let build = |extra: &[&str]| {
        run(ppi()
            .args(["dataset", "build", "-q", "--video"])
            .arg(&video)
            .arg("--annotations")
            .arg(fixture("agreement/three_annotators.json"))
            .arg("--patterns")
            .arg(fixture("patterns.xlsx"))
            .arg("--out")
            .arg(&out)
            .args(["--task", "5", "--annotation", "consensus"])
            .args(extra))
    };
    let (code, _, err) = build(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error[agreement-below-gate]") && err.contains("κ 0.591 < 0.6"),
        "{err}"
    );
    let (code, _, err) = build(&["--gate", "0.5"]);
    assert_eq!(code, 0, "{err}");
    let rows = std::fs::read_to_string(out.join("metadata.csv")).unwrap();
    assert!(rows.contains("consensus of 1, 2, 3"), "{rows}");
    assert_eq!(
        rows.lines().count() - 1,
        4,
        "four consensus intervals:\n{rows}"
    );

    let a = out.join("analytics/lesson-5");
    // 4 patterns, each with the agreed row and 3 annotator rows.
    assert_eq!(
        png_size(&a.join("timeline.png")),
        (1400, 80 + 4 * (4 * 16 + 10))
    );
    assert_eq!(png_size(&a.join("heatmap.png")), (1400, 90 + 30 * 4));
    let svg = std::fs::read_to_string(a.join("timeline.svg")).unwrap();
    assert!(svg.starts_with("<svg width=\"1400\""), "{}", &svg[..80]);
    for label in ["Lecture", "Questioning", "GroupWork", "Demonstration"] {
        assert_eq!(
            svg.matches(&format!("\n{label}\n</text>")).count(),
            1,
            "{label}"
        );
    }
    assert_eq!(
        svg.matches("\n· ").count(),
        4 * 3,
        "a sub-row per annotator and lane"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["labels"].as_array().unwrap().len(), 4);
    assert_eq!(summary["annotators"].as_array().unwrap().len(), 3);
    // The lesson's annotator matrix: three pairs, each annotator against the other two.
    assert_eq!(summary["matrix"]["pairs"].as_array().unwrap().len(), 3);
    assert_eq!(
        summary["matrix"]["versus_others"].as_array().unwrap().len(),
        3
    );
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        card.contains("## Lesson analytics") && card.contains("analytics/lesson-5/timeline.png"),
        "{card}"
    );
    // The card's annotator agreement: a row per annotator, κ (lessons shared) in each cell.
    let agreement = card
        .split("## Annotator agreement")
        .nth(1)
        .unwrap_or_else(|| panic!("no annotator agreement in the card:\n{card}"));
    assert!(
        agreement.contains("| annotator | 1 | 2 | 3 |"),
        "{agreement}"
    );
    assert!(agreement.contains(" (1) |"), "{agreement}");
    assert!(
        agreement.contains("| annotator | tasks | κ against the others |"),
        "{agreement}"
    );
    if let Ok(keep) = std::env::var("PPI_KEEP_ANALYTICS") {
        std::fs::copy(a.join("timeline.png"), keep).unwrap();
    }
}
