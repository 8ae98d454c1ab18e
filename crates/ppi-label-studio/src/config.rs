//! Label configs: reading a project's XML (which controls exist, what they point at, which labels
//! they allow) and generating PPI's two configs from `label-config/` and the patterns sheet.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use ppi_core::catalog::PatternCatalog;

/// An object tag (`<Video>`, `<Audio>`, `<Image>`, `<Text>`…).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectTag {
    pub name: String,
    /// Lower-case tag name, e.g. `video`.
    pub tag: String,
    /// The `value` attribute, e.g. `$video`.
    pub value: String,
    /// `frameRate` (any case), as written: a number or `$var`.
    pub frame_rate: Option<String>,
}

/// A control tag (`<TimelineLabels>`, `<TextArea>`, `<Choices>`…).
#[derive(Debug, Clone, PartialEq)]
pub struct ControlTag {
    pub name: String,
    /// Lower-case tag name, which is also the result `type`, e.g. `timelinelabels`.
    pub tag: String,
    pub to_names: Vec<String>,
    /// `Label` / `Choice` values, in order.
    pub labels: Vec<String>,
    pub per_region: bool,
}

/// A parsed label config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelConfig {
    pub objects: Vec<ObjectTag>,
    pub controls: Vec<ControlTag>,
}

/// The config is not XML LS could use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("label config: {0}")]
pub struct ConfigError(pub String);

const OBJECTS: &[&str] = &[
    "video",
    "audio",
    "audioplus",
    "image",
    "text",
    "hypertext",
    "paragraphs",
    "timeseries",
    "table",
    "pdf",
];
const CONTROLS: &[&str] = &[
    "timelinelabels",
    "labels",
    "textarea",
    "choices",
    "rectanglelabels",
    "rectangle",
    "videorectangle",
    "polygonlabels",
    "keypointlabels",
    "brushlabels",
    "number",
    "rating",
    "datetime",
    "taxonomy",
    "hypertextlabels",
    "paragraphlabels",
    "timeserieslabels",
];

fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| ConfigError(format!("bad attribute: {err}")))?;
        let key = a.key.0.to_ascii_lowercase();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| ConfigError(format!("bad value of {key}: {err}")))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl LabelConfig {
    /// Reads the tags LS would read. Attribute names are case-insensitive, as in LS.
    pub fn parse(xml: &str) -> Result<Self, ConfigError> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut cfg = LabelConfig::default();
        // The control whose <Label>/<Choice> children are being read, with its nesting depth.
        let mut open: Option<(usize, usize)> = None;
        let mut depth = 0usize;
        let mut saw_view = false;
        loop {
            let event = reader.read_event().map_err(|e| {
                ConfigError(format!(
                    "not well-formed XML near byte {}: {e}",
                    reader.error_position()
                ))
            })?;
            let (e, empty) = match &event {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(_) => {
                    depth = depth.saturating_sub(1);
                    if open.is_some_and(|(_, d)| d == depth) {
                        open = None;
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let tag = e.name().0.to_ascii_lowercase();
            saw_view |= tag == "view";
            let a = attrs(e)?;
            if OBJECTS.contains(&tag.as_str()) {
                if let Some(name) = get(&a, "name") {
                    cfg.objects.push(ObjectTag {
                        name: name.to_owned(),
                        value: get(&a, "value").unwrap_or_default().to_owned(),
                        frame_rate: get(&a, "framerate").map(str::to_owned),
                        tag,
                    });
                }
            } else if CONTROLS.contains(&tag.as_str()) {
                let name =
                    get(&a, "name").ok_or_else(|| ConfigError(format!("<{tag}> has no name")))?;
                let to_names = get(&a, "toname")
                    .ok_or_else(|| ConfigError(format!("<{tag} name=\"{name}\"> has no toName")))?
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                cfg.controls.push(ControlTag {
                    name: name.to_owned(),
                    tag,
                    to_names,
                    labels: Vec::new(),
                    per_region: get(&a, "perregion").is_some_and(|v| v == "true"),
                });
                if !empty {
                    open = Some((cfg.controls.len() - 1, depth));
                }
            } else if tag == "label" || tag == "choice" {
                if let (Some((i, _)), Some(v)) = (open, get(&a, "value")) {
                    cfg.controls[i].labels.push(v.to_owned());
                }
            }
            if !empty {
                depth += 1;
            }
        }
        if !saw_view {
            return Err(ConfigError("the root must be <View>".into()));
        }
        for c in &cfg.controls {
            for t in &c.to_names {
                if cfg.object(t).is_none() {
                    let names: Vec<&str> = cfg.objects.iter().map(|o| o.name.as_str()).collect();
                    return Err(ConfigError(format!(
                        "toName=\"{t}\" of {:?} not found in names: {names:?}",
                        c.name
                    )));
                }
            }
        }
        Ok(cfg)
    }

    pub fn object(&self, name: &str) -> Option<&ObjectTag> {
        self.objects.iter().find(|o| o.name == name)
    }

    pub fn control(&self, name: &str) -> Option<&ControlTag> {
        self.controls.iter().find(|c| c.name == name)
    }

    /// The first `<TimelineLabels>` and the `<Video>` it marks: where pattern regions go. The
    /// speaker lane is never it.
    pub fn timeline(&self) -> Option<(&ControlTag, &ObjectTag)> {
        self.controls
            .iter()
            .filter(|c| c.tag == "timelinelabels" && c.name != SPEAKER_LANE)
            .find_map(|c| {
                let video = c.to_names.first().and_then(|n| self.object(n))?;
                Some((c, video))
            })
    }

    /// The speaker lane: a `<TimelineLabels name="speaker">` on the pattern timeline's video
    /// with the roles as labels.
    pub fn speaker_lane(&self) -> Option<&ControlTag> {
        let (_, video) = self.timeline()?;
        self.controls.iter().find(|c| {
            c.tag == "timelinelabels" && c.name == SPEAKER_LANE && c.to_names.contains(&video.name)
        })
    }

    /// A per-region `<TextArea>` on `object`: where a region's transcript goes.
    pub fn region_text(&self, object: &str) -> Option<&ControlTag> {
        self.controls
            .iter()
            .find(|c| c.tag == "textarea" && c.per_region && c.to_names.iter().any(|t| t == object))
    }

    /// The task data key an object reads (`$video` → `video`).
    pub fn data_key(object: &ObjectTag) -> Option<&str> {
        object.value.strip_prefix('$')
    }

    /// The frame rate LS uses for `video` on a task: `frameRate` as a number, or the task
    /// variable it names; 24 when missing, zero or not a number; `x < 1` means `1/x` (as LS).
    pub fn fps(video: &ObjectTag, data: &serde_json::Map<String, serde_json::Value>) -> f64 {
        let raw = match video.frame_rate.as_deref() {
            Some(v) => match v.strip_prefix('$') {
                Some(var) => match data.get(var) {
                    Some(serde_json::Value::Number(n)) => n.as_f64(),
                    Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                },
                None => v.trim().parse().ok(),
            },
            None => None,
        };
        match raw {
            Some(f) if f.is_finite() && f > 0.0 => {
                if f < 1.0 {
                    1.0 / f
                } else {
                    f
                }
            }
            _ => 24.0,
        }
    }
}

/// The name of the speaker lane's control, and its labels.
pub const SPEAKER_LANE: &str = "speaker";
pub const TEACHER: &str = "Teacher";
pub const STUDENT: &str = "Student";
pub const SEVERAL: &str = "Several";

const ANNOTATION_TEMPLATE: &str = include_str!("../../../label-config/annotation.xml");
const REVIEW_TEMPLATE: &str = include_str!("../../../label-config/review.xml");

/// Escapes text for an XML attribute.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Hotkeys 1–9 and 0 for the first ten patterns in sheet order; none after that.
fn hotkey(i: usize) -> Option<char> {
    match i {
        0..=8 => char::from_digit(i as u32 + 1, 10),
        9 => Some('0'),
        _ => None,
    }
}

/// Drops the leading template comment.
fn body(template: &str) -> &str {
    match (template.find("<!--"), template.find("-->")) {
        (Some(0), Some(end)) => template[end + 3..].trim_start(),
        _ => template,
    }
}

/// The neutral label's colour: grey, so that it reads as "not a pattern" on the timeline.
const NEUTRAL_COLOUR: &str = "#b0b0b0";

/// The annotation project's config: one `Label` per pattern, then the neutral label (for speech
/// without evidence of a pattern; omitted when `None` or when the sheet has a pattern of that
/// name), and optional per-region speaker choices.
pub fn annotation_config(
    catalog: &PatternCatalog,
    speakers: &[String],
    neutral: Option<&str>,
) -> String {
    let names: Vec<&str> = catalog.patterns().iter().map(|p| p.name.as_str()).collect();
    let mut labels: Vec<String> = names
        .iter()
        .zip(ppi_core::catalog::palette::colours(&names))
        .enumerate()
        .map(|(i, (name, colour))| {
            let key = hotkey(i)
                .map(|k| format!(" hotkey=\"{k}\""))
                .unwrap_or_default();
            format!(
                "    <Label value=\"{}\" background=\"{colour}\"{key}/>",
                xml_escape(name)
            )
        })
        .collect();
    if let Some(n) = neutral_label(catalog, neutral) {
        labels.push(format!(
            "    <Label value=\"{}\" background=\"{NEUTRAL_COLOUR}\" hotkey=\"n\"/>",
            xml_escape(n)
        ));
    }
    let speakers = if speakers.is_empty() {
        String::new()
    } else {
        let choices: Vec<String> = speakers
            .iter()
            .map(|s| format!("    <Choice value=\"{}\"/>", xml_escape(s)))
            .collect();
        format!(
            "  <Choices name=\"speaker_name\" toName=\"video\" perRegion=\"true\" choice=\"single\" showInline=\"true\">\n{}\n  </Choices>",
            choices.join("\n")
        )
    };
    tidy(
        &body(ANNOTATION_TEMPLATE)
            .replace("{{pattern_labels}}", &labels.join("\n"))
            .replace("{{speaker_choices}}", &speakers),
    )
}

/// The neutral label as the annotation config carries it: `None` when unset, empty, or taken
/// by a pattern of the sheet (which then is simply that pattern).
pub fn neutral_label<'a>(catalog: &PatternCatalog, neutral: Option<&'a str>) -> Option<&'a str> {
    neutral
        .map(str::trim)
        .filter(|n| !n.is_empty() && catalog.lookup(n).is_none())
}

/// The review project's config; `crop` adds a crop box tool on the key frame.
pub fn review_config(crop: bool) -> String {
    let crop = if crop {
        "  <RectangleLabels name=\"crop\" toName=\"keyframe\">\n    <Label value=\"Crop\" background=\"#2ca02c\"/>\n  </RectangleLabels>"
    } else {
        ""
    };
    tidy(&body(REVIEW_TEMPLATE).replace("{{crop_labels}}", crop))
}

/// Removes the blank lines left by empty placeholders.
fn tidy(xml: &str) -> String {
    let mut out: String = xml
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
