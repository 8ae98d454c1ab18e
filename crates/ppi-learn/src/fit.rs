//! Fitting (`ppi learn` and the `learn` job): examples come from the reviewed items — each
//! approved item's label and transcript, and its key-frame candidates with the frame the
//! reviewer kept — plus an optional corpus file. Each model is fitted only with enough
//! examples, compared with the rules on held-out data (5-fold cross-validation: every example
//! is predicted by a model that did not see it), and deployed only when it beats them.
//! Every fit is kept, with its report, under its number.

use std::path::Path;

use super::frames::{self, FrameExample};
use super::text::{TextExample, TextModel};
use super::{Deployed, LearnSettings, ModelStore};
use crate::suggest::{Suggester, RULES_VERSION};
use ppi_media::scoring::{Candidate, Weights};

/// What a review item keeps for learning (stored with it when its review task is made).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reviewed {
    pub pattern: String,
    #[serde(default)]
    pub transcript: String,
    /// What the lesson's structure said about the item's interval (`cue:…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<String>,
    #[serde(default)]
    pub candidates: Vec<Candidate>,
}

/// Training examples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Examples {
    pub text: Vec<TextExample>,
    pub frames: Vec<FrameExample>,
}

impl Examples {
    /// The examples of approved review items: each item's `learning` JSON ([`Reviewed`]) and
    /// the candidate frame its reviewer picked.
    pub fn from_reviews<'a>(
        items: impl IntoIterator<Item = (Option<&'a str>, Option<i64>)>,
    ) -> Examples {
        let mut ex = Examples::default();
        for (learning, frame_choice) in items {
            let Some(r) = learning.and_then(|l| serde_json::from_str::<Reviewed>(l).ok()) else {
                continue;
            };
            if !r.transcript.trim().is_empty() && !r.pattern.is_empty() {
                ex.text.push(TextExample {
                    text: r.transcript.clone(),
                    label: r.pattern.clone(),
                    cues: r.cues.clone(),
                });
            }
            let f = FrameExample {
                candidates: r.candidates.iter().map(|c| c.terms).collect(),
                picked: frame_choice.unwrap_or(0).max(0) as usize,
            };
            if f.usable() {
                ex.frames.push(f);
            }
        }
        ex
    }
}

/// A corpus file: JSON lines `{"text": …, "label": …}`. An error names the line.
pub fn read_corpus(path: &Path) -> Result<Vec<TextExample>, String> {
    let body = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: TextExample = serde_json::from_str(line)
            .map_err(|e| format!("{} line {}: {e}", path.display(), n + 1))?;
        if e.label.trim().is_empty() {
            return Err(format!(
                "{} line {}: \"label\" is empty",
                path.display(),
                n + 1
            ));
        }
        out.push(e);
    }
    Ok(out)
}

/// One model's fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelReport {
    pub examples: usize,
    /// Held-out accuracy (top-1 for frames) of the rules and of the learned model.
    pub rules_accuracy: Option<f64>,
    pub learned_accuracy: Option<f64>,
    pub deployed: bool,
    /// What is in use after this fit: `learned-<n>` or `rules-<n>`.
    pub in_use: String,
    pub reason: String,
}

/// A fit's report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LearnReport {
    /// The fit's number (`None` when neither model had enough examples).
    pub fit: Option<u32>,
    pub text: ModelReport,
    pub frames: ModelReport,
    pub models: String,
}

const FOLDS: usize = 5;

fn accuracy(right: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        (right as f64 / of as f64 * 1e4).round() / 1e4
    }
}

/// The rules over the examples' labels and the sheet's patterns (the sheet's order first).
pub fn rules_for(
    ex: &Examples,
    sheet: Option<&ppi_core::catalog::PatternCatalog>,
    neutral: Option<&str>,
) -> Suggester {
    let mut labels: Vec<String> = sheet
        .map(|c| c.patterns().iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    for e in &ex.text {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    Suggester::new(&labels, sheet, neutral)
}

/// Held-out accuracy of the rules and of the learned suggester.
fn evaluate_text(ex: &[TextExample], rules: &Suggester, min_confidence: f64) -> (f64, f64) {
    let (mut r, mut l) = (0, 0);
    for fold in 0..FOLDS {
        let train: Vec<TextExample> = ex
            .iter()
            .enumerate()
            .filter(|(i, _)| i % FOLDS != fold)
            .map(|(_, e)| e.clone())
            .collect();
        let learned = rules
            .clone()
            .with_learned(std::sync::Arc::new(TextModel::fit(&train)), min_confidence);
        for e in ex
            .iter()
            .enumerate()
            .filter(|(i, _)| i % FOLDS == fold)
            .map(|(_, e)| e)
        {
            if rules
                .suggest_with(&e.text, &e.cues)
                .is_some_and(|s| s.label == e.label)
            {
                r += 1;
            }
            if learned
                .suggest_with(&e.text, &e.cues)
                .is_some_and(|s| s.label == e.label)
            {
                l += 1;
            }
        }
    }
    (accuracy(r, ex.len()), accuracy(l, ex.len()))
}

fn evaluate_frames(ex: &[FrameExample], rules: &Weights) -> (f64, f64) {
    let (mut r, mut l) = (0, 0);
    for fold in 0..FOLDS {
        let (train, test): (Vec<_>, Vec<_>) =
            ex.iter().enumerate().partition(|(i, _)| i % FOLDS != fold);
        let train: Vec<FrameExample> = train.into_iter().map(|(_, e)| e.clone()).collect();
        let test: Vec<FrameExample> = test.into_iter().map(|(_, e)| e.clone()).collect();
        let w = frames::fit(&train, rules);
        r += frames::top1(&test, rules).0;
        l += frames::top1(&test, &w).0;
    }
    (accuracy(r, ex.len()), accuracy(l, ex.len()))
}

fn not_fitted(n: usize, min: usize, deployed: Option<u32>, rules: String) -> ModelReport {
    ModelReport {
        examples: n,
        rules_accuracy: None,
        learned_accuracy: None,
        deployed: false,
        in_use: deployed.map_or(rules, |v| format!("learned-{v}")),
        reason: format!("{n} example(s), {min} needed: not fitted"),
    }
}

/// The report of a fitted model: deployed only when strictly better than the rules.
fn fitted(examples: usize, (rules, learned): (f64, f64), n: u32, rules_name: &str) -> ModelReport {
    let deployed = learned > rules;
    ModelReport {
        examples,
        rules_accuracy: Some(rules),
        learned_accuracy: Some(learned),
        deployed,
        in_use: if deployed {
            format!("learned-{n}")
        } else {
            rules_name.to_owned()
        },
        reason: if deployed {
            format!("held-out accuracy {learned} beats the rules' {rules}: deployed")
        } else {
            format!("held-out accuracy {learned} does not beat the rules' {rules}: the rules stay")
        },
    }
}

/// Fits both models on `ex`, deploys those that beat the rules, and keeps the fit.
pub fn learn(
    store: &ModelStore,
    ex: &Examples,
    rules: &Suggester,
    settings: &LearnSettings,
) -> std::io::Result<LearnReport> {
    let before = store.deployed();
    let min = settings.min_examples.max(FOLDS);
    let text_rules = format!("rules-{RULES_VERSION}");
    let n = before.last + 1;
    let mut after = Deployed {
        last: before.last,
        ..before
    };
    let (mut text_model, mut frame_weights) = (None, None);

    let text = if ex.text.len() < min {
        not_fitted(ex.text.len(), min, before.text, text_rules.clone())
    } else {
        let report = fitted(
            ex.text.len(),
            evaluate_text(&ex.text, rules, settings.min_confidence),
            n,
            &text_rules,
        );
        text_model = Some(TextModel::fit(&ex.text));
        after.text = report.deployed.then_some(n);
        report
    };
    let frames = if ex.frames.len() < min {
        not_fitted(ex.frames.len(), min, before.frames, "rules".into())
    } else {
        let rules_w = Weights::default();
        let report = fitted(
            ex.frames.len(),
            evaluate_frames(&ex.frames, &rules_w),
            n,
            "rules",
        );
        frame_weights = Some(frames::fit(&ex.frames, &rules_w));
        after.frames = report.deployed.then_some(n);
        report
    };
    let any = text_model.is_some() || frame_weights.is_some();
    let mut report = LearnReport {
        fit: any.then_some(n),
        text,
        frames,
        models: store.dir().display().to_string(),
    };
    if any {
        after.last = n;
        let json = serde_json::to_value(&report).unwrap_or_default();
        store.save(
            n,
            text_model.as_ref(),
            frame_weights.as_ref(),
            &json,
            &after,
        )?;
    } else {
        report.fit = None;
    }
    Ok(report)
}
