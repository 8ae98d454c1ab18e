//! The analytics pictures, drawn with `plotters` into SVG and PNG (text in DejaVu Sans, which
//! is embedded, so PNGs render the same everywhere, Cyrillic included):
//!
//! - the **timeline**: time in mm:ss; one lane per label, with the agreed intervals on top
//!   and a row per annotator below; frames where the annotators disagree shaded;
//! - the **coverage heatmap**: labels × 2-minute bins, each cell the share of the bin the
//!   label covers.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{mmss, LessonInput, Summary};
use crate::frames::runs_of;

/// Pixel sizes.
const WIDTH: u32 = 1400;
const ROW: u32 = 16;
const LANE_GAP: u32 = 10;

/// A drawing failed (only an I/O problem writing a PNG, in practice).
#[derive(Debug, thiserror::Error)]
#[error("{file}: cannot draw: {detail}")]
pub struct PlotError {
    pub file: String,
    pub detail: String,
}

impl ppi_core::error::Coded for PlotError {
    fn code(&self) -> &'static str {
        "plot-failed"
    }
    fn kind(&self) -> ppi_core::error::ErrorKind {
        ppi_core::error::ErrorKind::Internal
    }
}

pub(crate) fn font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

pub(crate) fn colour(hex: &str) -> RGBColor {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0x1f77b4);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

fn palette(labels: &[String]) -> Vec<RGBColor> {
    let names: Vec<&str> = labels.iter().map(String::as_str).collect();
    ppi_core::catalog::palette::colours(&names)
        .into_iter()
        .map(colour)
        .collect()
}

/// The timeline's size for these inputs.
pub fn timeline_size(i: &LessonInput) -> (u32, u32) {
    let rows = 1 + i.markings.len() as u32;
    let lanes = i.labels.len().max(1) as u32;
    let speakers = if i.roles.is_empty() {
        0
    } else {
        2 * ROW + LANE_GAP
    };
    let events = if i.events.is_some() {
        3 * ROW + LANE_GAP
    } else {
        0
    };
    (
        WIDTH,
        80 + lanes * (rows * ROW + LANE_GAP) + speakers + events,
    )
}

/// The speaker lane's colours, as in Label Studio's lane.
const ROLE_COLOURS: [(&str, &str); 3] = [
    ("teacher", "#1f77b4"),
    ("student", "#ff7f0e"),
    ("several", "#9467bd"),
];

/// Text right-aligned at `at` in the left margin (lane names and legends).
fn margin_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &str,
    at: (i32, i32),
    size: u32,
    c: RGBColor,
) -> Result<(), String> {
    root.draw(&Text::new(
        t.to_owned(),
        at,
        ("sans-serif", size)
            .into_font()
            .color(&c)
            .pos(Pos::new(HPos::Right, VPos::Center)),
    ))
    .map_err(|x| x.to_string())
}

fn draw_timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    i: &LessonInput,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (fps, n) = (i.fps_or_default(), i.last_frame().max(1));
    let duration = n as f64 / fps;
    let rows_per_lane = 1 + i.markings.len();
    let lane_h = rows_per_lane as f64 + LANE_GAP as f64 / ROW as f64;
    let speaker_lane = if i.roles.is_empty() {
        0.0
    } else {
        2.0 + LANE_GAP as f64 / ROW as f64
    };
    let events_lane = if i.events.is_some() {
        3.0 + LANE_GAP as f64 / ROW as f64
    } else {
        0.0
    };
    let total = lane_h * i.labels.len().max(1) as f64 + speaker_lane + events_lane;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{} — patterns over time", i.title),
            ("sans-serif", 18),
        )
        .margin(10)
        .margin_right(36)
        .x_label_area_size(28)
        .y_label_area_size(190)
        .build_cartesian_2d(0f64..duration, total..0f64)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .y_labels(0)
        .x_labels(12)
        .x_label_formatter(&|x| mmss(*x))
        .x_label_style(("sans-serif", 12))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    let colours = palette(&i.labels);
    let secs = |f: u64| f as f64 / fps;
    for (k, label) in i.labels.iter().enumerate() {
        let top = k as f64 * lane_h;
        // Frames where the annotators disagree (some marked the label, not all).
        if i.markings.len() >= 2 {
            let runs = runs_of(&i.markings, label, n);
            let mut events: Vec<(u64, i64)> = runs
                .iter()
                .flat_map(|r| r.iter().flat_map(|(s, e)| [(*s, 1), (*e, -1)]))
                .collect();
            events.sort_unstable();
            let (mut k_on, mut at) = (0i64, 0u64);
            let m = i.markings.len() as i64;
            let mut shaded = Vec::new();
            for (t, d) in events {
                if k_on > 0 && k_on < m && t > at {
                    shaded.push((at, t));
                }
                at = t;
                k_on += d;
            }
            chart
                .draw_series(shaded.iter().map(|(s, e)| {
                    Rectangle::new(
                        [(secs(*s), top), (secs(*e), top + rows_per_lane as f64)],
                        RGBColor(255, 214, 214).filled(),
                    )
                }))
                .map_err(e)?;
        }
        let c = colours[k];
        let row = |r: usize| top + r as f64;
        chart
            .draw_series(i.agreed.iter().filter(|s| &s.label == label).map(|s| {
                Rectangle::new(
                    [(secs(s.start), row(0) + 0.1), (secs(s.end), row(0) + 0.9)],
                    c.filled(),
                )
            }))
            .map_err(e)?;
        for (a, m) in i.markings.iter().enumerate() {
            chart
                .draw_series(m.spans.iter().filter(|s| &s.label == label).map(|s| {
                    Rectangle::new(
                        [
                            (secs(s.start), row(a + 1) + 0.25),
                            (secs(s.end), row(a + 1) + 0.75),
                        ],
                        c.mix(0.55).filled(),
                    )
                }))
                .map_err(e)?;
        }
        // Names in the left margin: the label on its agreed row, annotators below.
        let name = |r: usize, text: String, size: u32| -> Result<(), String> {
            let (x, y) = chart.backend_coord(&(0.0, row(r) + 0.5));
            root.draw(&Text::new(
                text,
                (x - 8, y),
                ("sans-serif", size)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(e)
        };
        name(0, label.clone(), 13)?;
        for (a, m) in i.markings.iter().enumerate() {
            name(a + 1, format!("· {}", m.annotator), 10)?;
        }
    }
    // Who speaks: one lane of turns coloured by role, below the patterns.
    if !i.roles.is_empty() {
        let top = lane_h * i.labels.len().max(1) as f64;
        for (role, hex) in ROLE_COLOURS {
            let c = colour(hex);
            chart
                .draw_series(
                    i.roles
                        .iter()
                        .filter(|t| t.2 == role)
                        .map(|t| Rectangle::new([(t.0, top + 0.2), (t.1, top + 1.8)], c.filled())),
                )
                .map_err(e)?;
        }
        let (x, y) = chart.backend_coord(&(0.0, top + 0.6));
        let source = match i.roles_source.as_deref() {
            Some("annotators") => "who speaks (annotators)",
            _ => "who speaks (PPI)",
        };
        let text = |t: &str, dx: i32, dy: i32, size: u32, c: RGBColor| {
            margin_text(root, t, (x - 8 - dx, y + dy), size, c)
        };
        text(source, 0, 0, 13, BLACK)?;
        // The legend under it, in the roles' colours.
        for (k, (role, hex)) in ROLE_COLOURS.iter().rev().enumerate() {
            text(role, 56 * k as i32, 14, 11, colour(hex))?;
        }
    }
    // What happens: the activity of each 2-minute bin, the teacher's questions as ticks above
    // it (open dark, closed light).
    if let Some(ev) = &i.events {
        let top = lane_h * i.labels.len().max(1) as f64 + speaker_lane;
        let hex = |a: &str| {
            super::activity::ACTIVITIES
                .iter()
                .find(|(n, _)| *n == a)
                .map(|(_, h)| colour(h))
                .unwrap_or(RGBColor(200, 200, 200))
        };
        chart
            .draw_series(ev.bins.iter().enumerate().map(|(k, a)| {
                let b0 = k as f64 * super::BIN_SECS;
                let b1 = ((k + 1) as f64 * super::BIN_SECS).min(duration);
                Rectangle::new([(b0, top + 1.2), (b1, top + 2.8)], hex(a).mix(0.8).filled())
            }))
            .map_err(e)?;
        chart
            .draw_series(ev.questions.iter().map(|q| {
                let c = if q.kind == "open" {
                    RGBColor(20, 20, 20)
                } else {
                    RGBColor(150, 150, 150)
                };
                Rectangle::new(
                    [(q.at, top + 0.1), (q.at + duration / 900.0, top + 1.1)],
                    c.filled(),
                )
            }))
            .map_err(e)?;
        let (x, y) = chart.backend_coord(&(0.0, top + 0.6));
        let text = |t: &str, dx: i32, dy: i32, size: u32, c: RGBColor| {
            margin_text(root, t, (x - 8 - dx, y + dy), size, c)
        };
        text("questions (open | closed)", 0, 0, 12, BLACK)?;
        text("activity per 2 min (PPI)", 0, 22, 12, BLACK)?;
        // The legend in two rows under the names, right-aligned like them.
        let acts = super::activity::ACTIVITIES;
        for (row, part) in [&acts[..3], &acts[3..]].iter().enumerate() {
            let mut dx = 0;
            for (name, h) in part.iter().rev() {
                let short = name.replace("-talk", "").replace("-work", "");
                text(&short, dx, 36 + 12 * row as i32, 10, colour(h))?;
                dx += 7 * short.len() as i32 + 8;
            }
        }
    }
    root.present().map_err(e)?;
    Ok(())
}

/// The heatmap's size.
pub fn heatmap_size(s: &Summary) -> (u32, u32) {
    (WIDTH, 90 + 30 * s.labels.len().max(1) as u32)
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Summary,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let bins = s.coverage.first().map(Vec::len).unwrap_or(1).max(1);
    let rows = s.labels.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{} — coverage per {}-minute bin",
                s.title,
                (s.bin_s / 60.0) as u32
            ),
            ("sans-serif", 18),
        )
        .margin(10)
        .margin_right(36)
        .x_label_area_size(28)
        .y_label_area_size(190)
        .build_cartesian_2d(0f64..bins as f64, rows as f64..0f64)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .y_labels(0)
        .x_labels(bins.min(24))
        .x_label_formatter(&|x| mmss(*x * s.bin_s))
        .x_label_style(("sans-serif", 12))
        .draw()
        .map_err(e)?;
    let names: Vec<String> = s.labels.iter().map(|l| l.label.clone()).collect();
    let colours = palette(&names);
    for (r, row) in s.coverage.iter().enumerate() {
        let c = colours[r];
        chart
            .draw_series(row.iter().enumerate().map(|(b, v)| {
                let mix = |x: u8| (255.0 - (255.0 - x as f64) * v.clamp(0.0, 1.0)) as u8;
                Rectangle::new(
                    [
                        (b as f64, r as f64 + 0.05),
                        (b as f64 + 1.0, r as f64 + 0.95),
                    ],
                    RGBColor(mix(c.0), mix(c.1), mix(c.2)).filled(),
                )
            }))
            .map_err(e)?;
        let (x, y) = chart.backend_coord(&(0.0, r as f64 + 0.5));
        root.draw(&Text::new(
            names[r].clone(),
            (x - 8, y),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// The timeline as SVG text.
pub fn timeline_svg(i: &LessonInput) -> Result<String, PlotError> {
    font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, timeline_size(i)).into_drawing_area();
        draw_timeline(&root, i).map_err(|detail| PlotError {
            file: "timeline.svg".into(),
            detail,
        })?;
    }
    Ok(out)
}

/// The heatmap as SVG text.
pub fn heatmap_svg(s: &Summary) -> Result<String, PlotError> {
    font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, heatmap_size(s)).into_drawing_area();
        draw_heatmap(&root, s).map_err(|detail| PlotError {
            file: "heatmap.svg".into(),
            detail,
        })?;
    }
    Ok(out)
}

fn png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), PlotError> {
    font();
    let err = |detail: String| PlotError {
        file: path.display().to_string(),
        detail,
    };
    // The bitmap backend picks the encoder by extension: the part name ends in `.png` too.
    let part = path.with_file_name(format!(
        ".{}.ppi-part-{}.png",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let root = BitMapBackend::new(&part, size).into_drawing_area();
        draw(&root).map_err(err)?;
    }
    std::fs::rename(&part, path).map_err(|e| err(e.to_string()))
}

/// Writes the timeline PNG.
pub fn timeline_png(i: &LessonInput, path: &Path) -> Result<(), PlotError> {
    png(path, timeline_size(i), |root| draw_timeline(root, i))
}

/// Writes the heatmap PNG.
pub fn heatmap_png(s: &Summary, path: &Path) -> Result<(), PlotError> {
    png(path, heatmap_size(s), |root| draw_heatmap(root, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::summarise;
    use crate::{Marking, Span};

    /// Text from the patterns sheet and the annotations lands in the pictures escaped: a
    /// pattern or annotator named with markup is text, never an element.
    #[test]
    fn markup_in_names_is_escaped_in_the_pictures() {
        let hostile = "<script>alert(1)</script>";
        let span = |start, end| Span {
            label: hostile.into(),
            start,
            end,
        };
        let input = LessonInput {
            title: "<b onmouseover=alert(2)>lesson</b>".into(),
            frames: 25 * 60,
            fps: 25.0,
            labels: vec![hostile.into()],
            markings: vec![
                Marking {
                    annotator: "<img src=x onerror=alert(3)>".into(),
                    annotation_id: None,
                    spans: vec![span(0, 500)],
                },
                Marking {
                    annotator: "b".into(),
                    annotation_id: None,
                    spans: vec![span(100, 600)],
                },
            ],
            agreed: vec![span(100, 500)],
            speech: None,
            speakers: Vec::new(),
            roles: vec![],
            roles_source: None,
            iou: 0.5,
            machine: None,
            events: None,
        };
        let timeline = timeline_svg(&input).unwrap();
        let heatmap = heatmap_svg(&summarise(&input)).unwrap();
        for svg in [&timeline, &heatmap] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<img"), "{svg}");
            assert!(!svg.contains("<b "), "{svg}");
        }
        assert!(
            timeline.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{timeline}"
        );
    }
}

#[cfg(test)]
mod speaker_lane_tests {
    use super::*;
    use crate::Span;

    #[test]
    fn the_timeline_has_a_speaker_lane_when_turns_are_known() {
        let role = |s: f64, e: f64, r: &str| (s, e, r.to_owned());
        let mut input = LessonInput {
            title: "lesson".into(),
            frames: 25 * 300,
            fps: 25.0,
            labels: vec!["Lecture".into(), "Questioning".into()],
            markings: vec![],
            agreed: vec![Span {
                label: "Lecture".into(),
                start: 0,
                end: 25 * 100,
            }],
            speech: None,
            speakers: vec![],
            roles: vec![
                role(0.0, 100.0, "teacher"),
                role(104.0, 110.0, "student"),
                role(110.0, 112.0, "several"),
                role(115.0, 250.0, "teacher"),
            ],
            roles_source: Some("machine".into()),
            iou: 0.5,
            machine: None,
            events: None,
        };
        let with = timeline_svg(&input).unwrap();
        assert!(with.contains("who speaks (PPI)") && with.contains("several"));
        let (_, h_with) = timeline_size(&input);
        // The picture a person sees (written for a look; the test checks it is drawn).
        let png = std::env::temp_dir().join("ppi-timeline-speakers.png");
        timeline_png(&input, &png).unwrap();
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
        // What happens: questions above the activity of each bin.
        let q = |at: f64, kind: &str| crate::analytics::activity::QuestionAt {
            at,
            kind: kind.into(),
            text: String::new(),
            wt1: None,
        };
        input.events = Some(crate::analytics::activity::Events {
            questions: vec![q(20.0, "open"), q(60.0, "closed"), q(130.0, "closed")],
            bins: vec![
                "teacher-talk".into(),
                "discussion".into(),
                "group-work".into(),
            ],
            ..Default::default()
        });
        let svg = timeline_svg(&input).unwrap();
        assert!(svg.contains("activity per 2 min (PPI)") && svg.contains("questions (open"));
        assert!(timeline_size(&input).1 > h_with);
        let png = std::env::temp_dir().join("ppi-timeline-activity.png");
        timeline_png(&input, &png).unwrap();
        input.events = None;
        input.roles.clear();
        assert!(!timeline_svg(&input).unwrap().contains("who speaks"));
        assert!(timeline_size(&input).1 < h_with);
    }
}
