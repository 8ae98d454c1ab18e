//! The corpus charts, drawn server-side with `plotters` into SVG (the same library and font as
//! the lesson pictures; docs/decisions.md, "Corpus charts"): horizontal bars (patterns, talk,
//! questions, the machine), the κ histogram with the gate drawn across it, and the annotator
//! matrix as a heatmap. Every number a chart prints is formatted by [`super::tables`], so the
//! chart and the table beside it read the same. Each SVG carries `role="img"` and a label.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::tables::{self, kappa, share};
use super::{Corpus, KappaFigures};
use crate::analytics::plot::{colour, font, PlotError};
use crate::matrix::Matrix;

const WIDTH: u32 = 900;
const BAR: u32 = 18;
const LEFT: u32 = 220;

const BLUE: &str = "#1f77b4";
const ORANGE: &str = "#ff7f0e";
const GREEN: &str = "#2ca02c";
const GREY: &str = "#7f7f7f";

/// Above this many lessons, the per-lesson charts (talk, questions) count lessons per bin
/// instead of drawing a bar per lesson; their tables still list every lesson.
pub const PER_LESSON_MAX: usize = 60;

/// How many `values` fall in each `[edges[i], edges[i + 1])` (the last bin includes its top).
fn counts(edges: &[f64], values: impl Iterator<Item = f64>) -> Vec<Option<f64>> {
    let mut out = vec![0u64; edges.len() - 1];
    for v in values {
        let last = out.len() - 1;
        let i = edges
            .windows(2)
            .position(|w| v >= w[0] && v < w[1])
            .unwrap_or(if v >= edges[last] { last } else { 0 });
        out[i] += 1;
    }
    out.into_iter().map(|n| Some(n as f64)).collect()
}

/// One series of a bar chart: its name, colour and one value per row.
struct Series<'a> {
    name: &'a str,
    colour: &'a str,
    values: Vec<Option<f64>>,
}

/// The chart named `name` as SVG (`None`: no such chart).
pub fn chart(c: &Corpus, name: &str) -> Option<Result<String, PlotError>> {
    let caption = tables::table(c, name)?.caption;
    let fmt_count = |v: f64| format!("{v:.0}");
    let svg = match name {
        "patterns" => bars(
            &caption,
            &c.patterns
                .iter()
                .map(|p| p.label.clone())
                .collect::<Vec<_>>(),
            &[
                Series {
                    name: "agreed intervals (gate passed)",
                    colour: GREEN,
                    values: c
                        .patterns
                        .iter()
                        .map(|p| Some(p.intervals as f64))
                        .collect(),
                },
                Series {
                    name: "intervals in flagged tasks",
                    colour: GREY,
                    values: c
                        .patterns
                        .iter()
                        .map(|p| Some(p.flagged_intervals as f64))
                        .collect(),
                },
            ],
            &fmt_count,
        ),
        "kappa" => histogram(&caption, &c.kappa),
        "matrix" => heatmap(&caption, &c.matrix),
        "talk" if c.talk.len() > PER_LESSON_MAX => {
            let edges: Vec<f64> = (0..=10).map(|k| k as f64 / 10.0).collect();
            let labels = edges
                .windows(2)
                .map(|w| format!("{}–{}", share(w[0]), share(w[1])));
            bars(
                &format!("{caption} — lessons per share ({} lessons)", c.talk.len()),
                &labels.collect::<Vec<_>>(),
                &[
                    Series {
                        name: "lessons by the teacher's share",
                        colour: BLUE,
                        values: counts(&edges, c.talk.iter().map(|t| t.teacher_share)),
                    },
                    Series {
                        name: "lessons by the students' share",
                        colour: ORANGE,
                        values: counts(&edges, c.talk.iter().map(|t| t.student_share)),
                    },
                ],
                &fmt_count,
            )
        }
        "talk" => bars(
            &caption,
            &c.talk.iter().map(|t| t.title.clone()).collect::<Vec<_>>(),
            &[
                Series {
                    name: "teacher",
                    colour: BLUE,
                    values: c.talk.iter().map(|t| Some(t.teacher_share)).collect(),
                },
                Series {
                    name: "students",
                    colour: ORANGE,
                    values: c.talk.iter().map(|t| Some(t.student_share)).collect(),
                },
            ],
            &share,
        ),
        "questions" if c.talk.len() > PER_LESSON_MAX => {
            let edges = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, f64::INFINITY];
            let labels = edges.windows(2).map(|w| match (w[0], w[1]) {
                (a, b) if b == a + 1.0 => format!("{a}"),
                (a, b) if b.is_infinite() => format!("{a} or more"),
                (a, b) => format!("{a}–{}", b - 1.0),
            });
            bars(
                &format!("{caption} — lessons per count ({} lessons)", c.talk.len()),
                &labels.collect::<Vec<_>>(),
                &[
                    Series {
                        name: "lessons by the teacher's questions",
                        colour: BLUE,
                        values: counts(&edges, c.talk.iter().map(|t| t.questions as f64)),
                    },
                    Series {
                        name: "lessons by the open questions",
                        colour: GREEN,
                        values: counts(&edges, c.talk.iter().map(|t| t.open_questions as f64)),
                    },
                ],
                &fmt_count,
            )
        }
        "questions" => bars(
            &caption,
            &c.talk.iter().map(|t| t.title.clone()).collect::<Vec<_>>(),
            &[
                Series {
                    name: "teacher's questions",
                    colour: BLUE,
                    values: c.talk.iter().map(|t| Some(t.questions as f64)).collect(),
                },
                Series {
                    name: "open questions",
                    colour: GREEN,
                    values: c
                        .talk
                        .iter()
                        .map(|t| Some(t.open_questions as f64))
                        .collect(),
                },
            ],
            &fmt_count,
        ),
        "machine" => bars(
            &caption,
            &c.machine.iter().map(|b| b.who.clone()).collect::<Vec<_>>(),
            &[
                Series {
                    name: "κ",
                    colour: BLUE,
                    values: c.machine.iter().map(|b| b.kappa).collect(),
                },
                Series {
                    name: "F1 of intervals",
                    colour: GREEN,
                    values: c.machine.iter().map(|b| b.f1).collect(),
                },
            ],
            &|v| kappa(Some(v)),
        ),
        _ => return None,
    };
    Some(svg.map(|s| labelled(&s, &caption)))
}

/// Adds `role="img"` and the caption as the SVG's accessible name.
fn labelled(svg: &str, caption: &str) -> String {
    let esc = caption
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{esc}\" "),
        1,
    )
}

fn render(
    name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, PlotError> {
    font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root).map_err(|detail| PlotError {
            file: format!("{name}.svg"),
            detail,
        })?;
    }
    Ok(out)
}

fn text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &str,
    at: (i32, i32),
    size: u32,
    pos: Pos,
) -> Result<(), String> {
    root.draw(&Text::new(
        t.to_owned(),
        at,
        ("sans-serif", size).into_font().color(&BLACK).pos(pos),
    ))
    .map_err(|x| x.to_string())
}

fn empty<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, caption: &str) -> Result<(), String> {
    text(
        root,
        caption,
        (10, 16),
        15,
        Pos::new(HPos::Left, VPos::Center),
    )?;
    text(
        root,
        "No figures yet for this selection.",
        (10, 48),
        14,
        Pos::new(HPos::Left, VPos::Center),
    )
}

/// Horizontal grouped bars, one group per row, each bar's value printed at its end.
fn bars(
    caption: &str,
    rows: &[String],
    series: &[Series<'_>],
    fmt: &dyn Fn(f64) -> String,
) -> Result<String, PlotError> {
    let per_row = series.len().max(1) as u32;
    let height = 90 + rows.len().max(1) as u32 * (per_row * BAR + 8);
    render("bars", (WIDTH, height), |root| {
        let e = |x: DrawingAreaErrorKind<std::io::Error>| x.to_string();
        root.fill(&WHITE).map_err(e)?;
        if rows.is_empty() {
            return empty(root, caption);
        }
        let max = series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0f64, |a, b| a.max(*b))
            .max(1e-9);
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 15))
            .margin(10)
            .margin_right(70)
            .x_label_area_size(24)
            .y_label_area_size(LEFT)
            .build_cartesian_2d(0f64..max * 1.05, rows.len() as f64..0f64)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&|v| fmt(*v))
            .x_label_style(("sans-serif", 11))
            .draw()
            .map_err(e)?;
        let slot = 0.9 / per_row as f64;
        for (r, name) in rows.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, r as f64 + 0.5));
            text(
                root,
                name,
                (x - 8, y),
                13,
                Pos::new(HPos::Right, VPos::Center),
            )?;
            for (k, s) in series.iter().enumerate() {
                let Some(v) = s.values.get(r).copied().flatten() else {
                    continue;
                };
                let top = r as f64 + 0.05 + slot * k as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, top), (v.max(0.0), top + slot * 0.9)],
                        colour(s.colour).filled(),
                    )))
                    .map_err(e)?;
                let (bx, by) = chart.backend_coord(&(v.max(0.0), top + slot * 0.45));
                text(
                    root,
                    &fmt(v),
                    (bx + 4, by),
                    11,
                    Pos::new(HPos::Left, VPos::Center),
                )?;
            }
        }
        legend(root, series.iter().map(|s| (s.name, s.colour)))?;
        root.present().map_err(e)
    })
}

/// The series' names and colours along the bottom right.
fn legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    let (w, h) = root.dim_in_pixel();
    let mut x = LEFT as i32;
    for (name, c) in items {
        let y = h as i32 - 12;
        root.draw(&Rectangle::new(
            [(x, y - 5), (x + 10, y + 5)],
            colour(c).filled(),
        ))
        .map_err(|e| e.to_string())?;
        text(
            root,
            name,
            (x + 14, y),
            12,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        x += 24 + 7 * name.chars().count() as i32;
        if x > w as i32 - 100 {
            break;
        }
    }
    Ok(())
}

/// Tasks per κ bin, bins at or above the gate in green, the gate drawn across.
fn histogram(caption: &str, k: &KappaFigures) -> Result<String, PlotError> {
    render("kappa", (WIDTH, 320), |root| {
        let e = |x: DrawingAreaErrorKind<std::io::Error>| x.to_string();
        root.fill(&WHITE).map_err(e)?;
        if k.tasks.is_empty() {
            return empty(root, caption);
        }
        let top = k.bins.iter().map(|b| b.tasks).max().unwrap_or(1).max(1) as f64;
        let lo = if k.bins.first().is_some_and(|b| b.tasks > 0) {
            -0.1
        } else {
            0.0
        };
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 15))
            .margin(10)
            .margin_right(30)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(lo..1.0f64, 0f64..top * 1.15)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(12)
            .x_label_formatter(&|v| format!("{v:.1}"))
            // Whole tasks only: as many labels as there are counts (a label per tick would
            // repeat "4 4 4" on a small range).
            .y_labels((top as usize + 1).min(10))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("κ")
            .y_desc("tasks")
            .draw()
            .map_err(e)?;
        for b in &k.bins {
            // The bin below 0 is drawn as [-0.1, 0).
            let from = b.from.max(-0.1);
            if b.tasks == 0 || from < lo {
                continue;
            }
            let above = k.gate.is_some_and(|g| b.from >= g);
            let c = colour(if above { GREEN } else { ORANGE });
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(from + 0.005, 0.0), (b.to - 0.005, b.tasks as f64)],
                    c.filled(),
                )))
                .map_err(e)?;
            let (x, y) = chart.backend_coord(&((from + b.to) / 2.0, b.tasks as f64));
            text(
                root,
                &b.tasks.to_string(),
                (x, y - 8),
                12,
                Pos::new(HPos::Center, VPos::Center),
            )?;
        }
        if let Some(g) = k.gate {
            chart
                .draw_series((0..22).step_by(2).map(|i| {
                    let (a, b) = (i as f64 / 20.0, (i + 1) as f64 / 20.0);
                    PathElement::new(vec![(g, top * a), (g, top * b)], BLACK.stroke_width(2))
                }))
                .map_err(e)?;
            let (x, y) = chart.backend_coord(&(g, top * 1.1));
            text(
                root,
                &format!("gate {}", kappa(Some(g))),
                (x + 6, y),
                12,
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        root.present().map_err(e)
    })
}

/// The annotator matrix: each pair's pooled κ in its cell (both halves), the diagonal blank.
fn heatmap(caption: &str, m: &Matrix) -> Result<String, PlotError> {
    let n = m.annotators.len();
    // Cells shrink to keep many annotators inside the picture's width (the table beside it
    // has every figure whatever the size).
    let cell = ((WIDTH - LEFT - 20) / n.max(1) as u32).clamp(14, 64);
    let size = (WIDTH, 110 + n.max(1) as u32 * cell);
    render("matrix", size, |root| {
        let e = |x: DrawingAreaErrorKind<std::io::Error>| x.to_string();
        root.fill(&WHITE).map_err(e)?;
        if n < 2 {
            return empty(root, caption);
        }
        text(
            root,
            caption,
            (10, 16),
            15,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let (x0, y0) = (LEFT as i32, 60);
        let c = cell as i32;
        let value_size = if cell >= 48 { 13 } else { (cell / 4).max(6) };
        let index = |who: &str| m.annotators.iter().position(|a| a == who);
        for (i, name) in m.annotators.iter().enumerate() {
            let y = y0 + i as i32 * c + c / 2;
            let row = format!("{} {name}", i + 1);
            text(
                root,
                &row,
                (x0 - 8, y),
                12,
                Pos::new(HPos::Right, VPos::Center),
            )?;
            let col = format!("{}", i + 1);
            let at = (x0 + i as i32 * c + c / 2, y0 - 10);
            text(root, &col, at, 12, Pos::new(HPos::Center, VPos::Center))?;
        }
        for p in &m.pairs {
            let (Some(a), Some(b)) = (index(&p.a), index(&p.b)) else {
                continue;
            };
            let k = if p.tasks == 0 { None } else { p.cells.kappa() };
            for (r, col) in [(a, b), (b, a)] {
                let (x, y) = (x0 + col as i32 * c, y0 + r as i32 * c);
                let fill = match k {
                    // White at κ ≤ 0 to full blue at κ = 1.
                    Some(v) => {
                        let t = v.clamp(0.0, 1.0);
                        let mix = |x: u8| (255.0 - (255.0 - x as f64) * t) as u8;
                        RGBColor(mix(0x1f), mix(0x77), mix(0xb4))
                    }
                    None => RGBColor(0xee, 0xee, 0xee),
                };
                root.draw(&Rectangle::new(
                    [(x + 1, y + 1), (x + c - 1, y + c - 1)],
                    fill.filled(),
                ))
                .map_err(|e| e.to_string())?;
                let label = match k {
                    Some(_) => kappa(k),
                    None => "—".into(),
                };
                let ink = if k.is_some_and(|v| v > 0.6) {
                    WHITE
                } else {
                    BLACK
                };
                root.draw(&Text::new(
                    label,
                    (x + c / 2, y + c / 2),
                    ("sans-serif", value_size)
                        .into_font()
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))
                .map_err(|e| e.to_string())?;
            }
        }
        let note = format!(
            "Pooled Cohen's κ per pair; {} annotators; tasks shared are in the table",
            n
        );
        text(
            root,
            &note,
            (x0, y0 + n as i32 * c + 20),
            12,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        root.present().map_err(e)
    })
}
