//! Teacher questions in English and Russian: each teacher sentence that ends with a question
//! mark or opens like a question (an interrogative word, an inverted auxiliary, Russian `ли`),
//! typed open (why, how, explain, what do you think…) or closed (yes/no, who, when, how
//! many…), with its time, role and text.

use ppi_asr::transcript::Segment;
use ppi_speakers::{Diarization, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    /// Invites reasoning or opinion: several answers can be right.
    Open,
    /// One short right answer: yes/no, a name, a number, a fact.
    Closed,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Question {
    pub start: f64,
    pub end: f64,
    pub role: Role,
    pub speaker: Option<String>,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
}

/// Sentence openings that make an open question (lower case, compared word by word).
const OPEN: &[&str] = &[
    "why",
    "how",
    "what do you think",
    "what would",
    "what if",
    "what makes",
    "what happens",
    "what do you notice",
    "explain",
    "describe",
    "tell me",
    "can you explain",
    "how come",
    "in what way",
    "what could",
    // Russian.
    "почему",
    "зачем",
    "как вы думаете",
    "как ты думаешь",
    "как",
    "объясните",
    "объясни",
    "расскажите",
    "расскажи",
    "что вы думаете",
    "что ты думаешь",
    "что будет, если",
    "что будет если",
    "каким образом",
    "что произойдёт",
    "что произойдет",
];

/// Closed openings take precedence over [`OPEN`] when longer (`how many` is closed).
const CLOSED: &[&str] = &[
    "how many",
    "how much",
    "how old",
    "how long",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "which",
    "what",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "can",
    "could",
    "will",
    "would",
    "should",
    "have",
    "has",
    "had",
    "may",
    "shall",
    "isn't",
    "aren't",
    "don't",
    "doesn't",
    "didn't",
    "can't",
    "won't",
    // Russian.
    "сколько",
    "кто",
    "когда",
    "где",
    "куда",
    "откуда",
    "какой",
    "какая",
    "какое",
    "какие",
    "каков",
    "чей",
    "чья",
    "чьё",
    "чьи",
    "что",
    "который",
    "которая",
    "разве",
    "неужели",
];

/// Auxiliaries and modals that open a yes/no question when inverted.
const AUX: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "will",
    "would",
    "should",
    "does",
    "did",
    "has",
    "had",
    "may",
    "shall",
    "isn't",
    "aren't",
    "doesn't",
    "didn't",
    "can't",
    "won't",
    "wasn't",
    "weren't",
    "couldn't",
    "wouldn't",
    "shouldn't",
];
/// English interrogative words.
const WH: &[&str] = &[
    "who", "what", "when", "where", "which", "whose", "whom", "why", "how",
];
/// Russian interrogative words that do not also open ordinary clauses.
const RU_WH: &[&str] = &[
    "почему",
    "зачем",
    "сколько",
    "кто",
    "куда",
    "откуда",
    "чей",
    "чья",
    "чьё",
    "чьи",
    "разве",
    "неужели",
];

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '—' | '–' | '"' | '«' | '»')
    })
    .map(|w| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
            .to_lowercase()
    })
    .filter(|w| !w.is_empty())
    .collect()
}

/// The longest opening of `list` that `ws` starts with, in words.
fn opening(ws: &[String], list: &[&str]) -> usize {
    list.iter()
        .filter_map(|p| {
            let pw = words(p);
            (pw.len() <= ws.len() && pw.iter().zip(ws).all(|(a, b)| a == b)).then_some(pw.len())
        })
        .max()
        .unwrap_or(0)
}

/// Whether `sentence` is a question, and its type.
pub fn classify(sentence: &str) -> Option<QuestionType> {
    let s = sentence.trim();
    let ws = words(s);
    if ws.is_empty() {
        return None;
    }
    let (open, closed) = (opening(&ws, OPEN), opening(&ws, CLOSED));
    // Russian yes/no questions: `ли` after the first word (Знаете ли вы…).
    let li = ws.iter().skip(1).take(3).any(|w| w == "ли");
    let marked = s.ends_with('?');
    // Whisper often ends a spoken question with a full stop, so the question's build counts
    // too: an inverted auxiliary or modal ("Is three eighths smaller…", "Can you…"), or an
    // interrogative word followed by one ("Who can read…", "How many…"). `do` and `have`
    // open commands as often ("Do it now.", "Have a look."), and Russian что/как/какой open
    // clauses, so those need the question mark.
    let aux = |w: &str| AUX.contains(&w);
    let inverted = ws.len() >= 3 && aux(&ws[0]);
    let wh_built = ws.len() >= 3
        && WH.contains(&ws[0].as_str())
        && (aux(&ws[1]) || matches!(ws[1].as_str(), "many" | "much" | "do" | "does" | "did"));
    let ru_wh = ws.len() >= 3 && RU_WH.contains(&ws[0].as_str());
    if !(marked
        || li
        || inverted
        || wh_built
        || ru_wh
        || (open > 0 && ws.len() >= 3 && !s.ends_with('.')))
    {
        return None;
    }
    Some(if open > closed {
        QuestionType::Open
    } else {
        QuestionType::Closed
    })
}

/// Splits text into sentences at `.`, `?`, `!` and `…`, keeping the mark.
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next_is_space = chars.get(k + 1).is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '?' | '!' | '…') && next_is_space {
            let end = i + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push((start, end));
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push((start, text.len()));
    }
    out
}

/// The teacher's questions in `segments`. Each sentence takes the speaker who talks most
/// during it in `speakers` (a Whisper segment can run from a question into its answer), else
/// its segment's.
pub fn detect(segments: &[Segment], speakers: Option<&Diarization>) -> Vec<Question> {
    let mut out = Vec::new();
    for seg in segments {
        let text = seg.text.trim();
        let len = text.len().max(1) as f64;
        for (a, b) in sentences(text) {
            let sentence = text[a..b].trim();
            let Some(kind) = classify(sentence) else {
                continue;
            };
            // Times: from the words inside the sentence when Whisper gave them, else in
            // proportion to the characters.
            let span = seg.end - seg.start;
            let (mut start, mut end) = (
                seg.start + span * a as f64 / len,
                seg.start + span * b as f64 / len,
            );
            if !seg.words.is_empty() {
                let mut pos = 0usize;
                let mut first = None;
                let mut last = None;
                for w in &seg.words {
                    let wt = w.text.trim();
                    if let Some(at) = text[pos..].find(wt).filter(|_| !wt.is_empty()) {
                        let at = pos + at;
                        pos = at + wt.len();
                        if at >= a && at < b {
                            first.get_or_insert(w.start);
                            last = Some(w.end);
                        }
                    }
                }
                if let (Some(f), Some(l)) = (first, last) {
                    (start, end) = (f, l);
                }
            }
            let (speaker, role) = match speakers.and_then(|d| d.speaker_at(start, end)) {
                Some((sp, r)) => (Some(sp.to_owned()), Some(r)),
                None => (seg.speaker.clone(), seg.role),
            };
            if role != Some(Role::Teacher) {
                continue;
            }
            out.push(Question {
                start,
                end,
                role: Role::Teacher,
                speaker,
                text: sentence.to_owned(),
                kind,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_and_their_types_in_english_and_russian() {
        use QuestionType::*;
        for (s, want) in [
            ("Who can tell me what a fraction is?", Some(Closed)),
            ("Why do we need a common denominator?", Some(Open)),
            ("What do you think happens if we double it?", Some(Open)),
            ("How many quarters make a whole?", Some(Closed)),
            ("Is that right?", Some(Closed)),
            ("Explain your answer?", Some(Open)),
            ("Open your books on page twelve.", None),
            ("This is a very important idea.", None),
            ("Кто может сказать, что такое дробь?", Some(Closed)),
            ("Почему числа одинаковые?", Some(Open)),
            (
                "Как вы думаете, что будет, если удвоить знаменатель?",
                Some(Open),
            ),
            ("Сколько четвертей в целом?", Some(Closed)),
            ("Знаете ли вы ответ", Some(Closed)),
            ("Откройте учебники на странице двенадцать.", None),
            // Whisper's full stops on spoken questions.
            ("who can read the next Humber.", Some(Closed)),
            ("Is 3-8 smaller than 1-1-1.", Some(Closed)),
            ("How many quarters make a whole.", Some(Closed)),
            ("Почему одна вторая больше.", Some(Open)),
            // Commands and clauses stay statements.
            ("Do your homework at home.", None),
            ("Have a look at the board.", None),
            ("Как я сказал, это дробь.", None),
            ("What a lovely drawing.", None),
            ("Зачем нам нужен общий знаменатель", Some(Open)),
        ] {
            assert_eq!(classify(s), want, "{s}");
        }
    }

    #[test]
    fn teacher_questions_are_found_in_their_segments_with_times() {
        let seg = |start: f64, end: f64, text: &str, role: Role| Segment {
            start,
            end,
            text: text.into(),
            language: "en".into(),
            role: Some(role),
            speaker: Some(if role == Role::Teacher { "S1" } else { "S2" }.into()),
            ..Segment::default()
        };
        let segments = [
            seg(
                0.0,
                4.0,
                "Look at the board. Why is it bigger?",
                Role::Teacher,
            ),
            seg(5.0, 6.0, "Why not?", Role::Student),
        ];
        let q = detect(&segments, None);
        assert_eq!(q.len(), 1, "{q:?}");
        assert_eq!(q[0].text, "Why is it bigger?");
        assert_eq!(q[0].kind, QuestionType::Open);
        assert!(q[0].start > 1.5 && (q[0].end - 4.0).abs() < 1e-9, "{q:?}");
    }
}
