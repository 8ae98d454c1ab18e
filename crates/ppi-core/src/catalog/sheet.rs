//! Reads the pattern catalog from `patterns.xlsx` (any spreadsheet calamine opens) or a CSV.
//!
//! The seed sheet has the columns `pattern type` and `comments`. Headers are matched
//! case- and space-insensitively, and Russian equivalents are accepted. An optional
//! `keywords` column feeds pattern suggestion from transcripts; an optional `fallback` column
//! marks the pattern to suggest for speech without evidence (at most one row).

use std::path::{Path, PathBuf};

use calamine::{Data, Reader};

use super::{match_key, Pattern, PatternCatalog};
use crate::error::{Coded, ErrorKind};

const NAME_HEADERS: &[&str] = &[
    "pattern type",
    "pattern",
    "pattern name",
    "patterns",
    "name",
    "type",
    "label",
    "тип паттерна",
    "паттерн",
    "название паттерна",
    "название",
    "тип",
    "шаблон",
    "тип шаблона",
    "метка",
];
const DESCRIPTION_HEADERS: &[&str] = &[
    "comments",
    "comment",
    "description",
    "desc",
    "описание",
    "комментарии",
    "комментарий",
    "пояснение",
    "примечание",
];
const KEYWORD_HEADERS: &[&str] = &["keywords", "key words", "ключевые слова", "маркеры"];
const FALLBACK_HEADERS: &[&str] = &["fallback", "default", "по умолчанию", "запасной"];

/// A cell that marks a row (`fallback` column): yes, true, 1, x, да, ✓.
fn marked(cell: &str) -> bool {
    matches!(
        cell.trim().to_lowercase().as_str(),
        "yes" | "y" | "true" | "1" | "x" | "да" | "✓" | "✔"
    )
}

/// Errors reading a patterns sheet. Every message names the file; row numbers are 1-based, as
/// a spreadsheet shows them.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("{file}: cannot open the patterns sheet: {detail}")]
    Open { file: PathBuf, detail: String },
    #[error("{file}: unsupported patterns file type; use .xlsx, .xls, .ods or .csv")]
    UnsupportedType { file: PathBuf },
    #[error("{file}: sheet {sheet:?} has no header row")]
    Empty { file: PathBuf, sheet: String },
    #[error("{file}: sheet {sheet:?} has no {column} column (expected one of {expected}); found headers: {found}")]
    MissingColumn {
        file: PathBuf,
        sheet: String,
        column: &'static str,
        expected: String,
        found: String,
    },
    #[error("{file}: row {row}: pattern {name:?} repeats an earlier row's pattern {other:?}")]
    Duplicate {
        file: PathBuf,
        row: usize,
        name: String,
        other: String,
    },
    #[error("{file}: row {row}: pattern {name:?} is marked as the fallback, but {other:?} already is; mark one")]
    TwoFallbacks {
        file: PathBuf,
        row: usize,
        name: String,
        other: String,
    },
    #[error("{file}: the sheet lists no patterns")]
    NoPatterns { file: PathBuf },
    #[error("{file}: line {line}: {detail}")]
    Csv {
        file: PathBuf,
        line: u64,
        detail: String,
    },
}

impl Coded for SheetError {
    fn code(&self) -> &'static str {
        match self {
            SheetError::Open { .. } => "patterns-unreadable",
            SheetError::UnsupportedType { .. } => "patterns-unsupported-type",
            SheetError::Empty { .. } | SheetError::NoPatterns { .. } => "patterns-empty",
            SheetError::MissingColumn { .. } => "patterns-missing-column",
            SheetError::Duplicate { .. } => "patterns-duplicate",
            SheetError::TwoFallbacks { .. } => "patterns-two-fallbacks",
            SheetError::Csv { .. } => "patterns-malformed-csv",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}

/// Loads the catalog from `path`, choosing the reader by extension.
pub fn load(path: &Path) -> Result<PatternCatalog, SheetError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let table = match ext.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => read_workbook(path)?,
        "csv" | "tsv" | "txt" => read_csv(path)?,
        _ => return Err(SheetError::UnsupportedType { file: path.into() }),
    };
    build(path, table)
}

/// A sheet as text cells, with the 1-based row number of each row.
struct Table {
    sheet: String,
    rows: Vec<(usize, Vec<String>)>,
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_owned(),
    }
}

fn read_workbook(path: &Path) -> Result<Table, SheetError> {
    let open_err = |e: &dyn std::fmt::Display| SheetError::Open {
        file: path.into(),
        detail: e.to_string(),
    };
    let mut book = calamine::open_workbook_auto(path).map_err(|e| open_err(&e))?;
    let names = book.sheet_names().to_vec();
    let mut first: Option<Table> = None;
    for name in names {
        let range = book.worksheet_range(&name).map_err(|e| open_err(&e))?;
        let top = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let rows: Vec<(usize, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, row)| (top + i + 1, row.iter().map(cell_text).collect()))
            .collect();
        let table = Table { sheet: name, rows };
        // Prefer the first sheet whose header names a pattern column.
        if header_index(&table).is_some_and(|(_, h)| find_column(h, NAME_HEADERS).is_some()) {
            return Ok(table);
        }
        first.get_or_insert(table);
    }
    first.ok_or_else(|| SheetError::Empty {
        file: path.into(),
        sheet: String::new(),
    })
}

fn read_csv(path: &Path) -> Result<Table, SheetError> {
    let bytes = std::fs::read(path).map_err(|e| SheetError::Open {
        file: path.into(),
        detail: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| header_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Csv {
            file: path.into(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            detail: e.to_string(),
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        rows.push((line, record.iter().map(|c| c.trim().to_owned()).collect()));
    }
    Ok(Table {
        sheet: "csv".to_owned(),
        rows,
    })
}

fn header_key(h: &str) -> String {
    let lower = h.to_lowercase();
    let cleaned: String = lower
        .chars()
        .map(|c| {
            if matches!(c, '_' | '-' | '\u{a0}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned
        .trim()
        .trim_end_matches(':')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Position of the header row (the first row with any text) and its cells.
fn header_index(table: &Table) -> Option<(usize, &Vec<String>)> {
    table
        .rows
        .iter()
        .enumerate()
        .find(|(_, (_, cells))| cells.iter().any(|c| !c.is_empty()))
        .map(|(i, (_, cells))| (i, cells))
}

fn find_column(header: &[String], aliases: &[&str]) -> Option<usize> {
    // Aliases are in priority order: "pattern type" wins over a stray "type" column.
    aliases
        .iter()
        .find_map(|alias| header.iter().position(|h| header_key(h) == *alias))
}

fn build(path: &Path, table: Table) -> Result<PatternCatalog, SheetError> {
    let (header_at, header) = header_index(&table).ok_or_else(|| SheetError::Empty {
        file: path.into(),
        sheet: table.sheet.clone(),
    })?;
    let missing = |column: &'static str, aliases: &[&str]| SheetError::MissingColumn {
        file: path.into(),
        sheet: table.sheet.clone(),
        column,
        expected: aliases
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        found: header
            .iter()
            .filter(|h| !h.is_empty())
            .map(|h| format!("{h:?}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let name_col =
        find_column(header, NAME_HEADERS).ok_or_else(|| missing("pattern name", NAME_HEADERS))?;
    let desc_col = find_column(header, DESCRIPTION_HEADERS)
        .ok_or_else(|| missing("description", DESCRIPTION_HEADERS))?;
    let kw_col = find_column(header, KEYWORD_HEADERS);
    let fallback_col = find_column(header, FALLBACK_HEADERS);

    let mut patterns: Vec<Pattern> = Vec::new();
    let mut rows_of: Vec<usize> = Vec::new();
    for (row, cells) in table.rows.iter().skip(header_at + 1) {
        let get = |i: usize| cells.get(i).map(String::as_str).unwrap_or("").trim();
        let name = get(name_col);
        if name.is_empty() {
            continue;
        }
        if let Some(j) = patterns
            .iter()
            .position(|p| match_key(&p.name) == match_key(name))
        {
            return Err(SheetError::Duplicate {
                file: path.into(),
                row: *row,
                name: name.to_owned(),
                other: format!("{} (row {})", patterns[j].name, rows_of[j]),
            });
        }
        let keywords = kw_col
            .map(|k| {
                get(k)
                    .split([',', ';', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let fallback = fallback_col.is_some_and(|c| marked(get(c)));
        if fallback {
            if let Some(j) = patterns.iter().position(|p| p.fallback) {
                return Err(SheetError::TwoFallbacks {
                    file: path.into(),
                    row: *row,
                    name: name.to_owned(),
                    other: format!("{} (row {})", patterns[j].name, rows_of[j]),
                });
            }
        }
        patterns.push(Pattern {
            name: name.to_owned(),
            description: get(desc_col).to_owned(),
            keywords,
            fallback,
        });
        rows_of.push(*row);
    }
    if patterns.is_empty() {
        return Err(SheetError::NoPatterns { file: path.into() });
    }
    // Duplicates were refused above, so this cannot fail; map defensively all the same.
    PatternCatalog::new(patterns).map_err(|d| SheetError::Duplicate {
        file: path.into(),
        row: 0,
        name: d.name,
        other: d.other,
    })
}

#[cfg(test)]
#[path = "sheet_tests.rs"]
mod tests;
