//! The interactive review of `ppi dataset prepare`, over any reader and writer so that tests
//! drive it through stdin.

use std::io::{BufRead, Write};
use std::path::Path;

use ppi_core::domain::ItemId;
use ppi_dataset::metadata::Row;
use ppi_dataset::prepare::parse_selection;

/// How to talk to the terminal.
pub struct PromptOptions {
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Show frames inline (iTerm2 image protocol, also WezTerm and others).
    pub inline_images: bool,
}

impl PromptOptions {
    /// Inline images only on a terminal that is known to show them.
    pub fn detect_inline_images() -> bool {
        use std::io::IsTerminal;
        let term_program = std::env::var("TERM_PROGRAM").unwrap_or_default();
        let lc_terminal = std::env::var("LC_TERMINAL").unwrap_or_default();
        std::io::stdout().is_terminal()
            && (matches!(term_program.as_str(), "iTerm.app" | "WezTerm" | "vscode")
                || lc_terminal == "iTerm2")
    }
}

fn list(out: &mut dyn Write, root: &Path, rows: &[Row]) -> std::io::Result<()> {
    writeln!(out, "{} extracted frame(s):", rows.len())?;
    for (i, r) in rows.iter().enumerate() {
        writeln!(
            out,
            "{:>4}. {:<24} {:>9.3}–{:<9.3} s  {}  {}",
            i + 1,
            r.pattern_type,
            r.start_time,
            r.end_time,
            r.lesson_id,
            root.join(&r.image_file).display()
        )?;
    }
    Ok(())
}

fn show_inline(out: &mut dyn Write, path: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let b64 = base64_encode(&bytes);
    writeln!(
        out,
        "\x1b]1337;File=inline=1;size={};preserveAspectRatio=1:{}\x07",
        bytes.len(),
        b64
    )
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Lists the items, takes `view N` and numbers to remove until an empty line (or end of
/// input), then confirms. Returns the ids to remove (empty when none or not confirmed).
pub fn prompt_removals(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    root: &Path,
    rows: &[Row],
    opts: &PromptOptions,
) -> std::io::Result<Vec<ItemId>> {
    list(out, root, rows)?;
    let mut chosen: Vec<ItemId> = Vec::new();
    loop {
        write!(
            out,
            "Numbers to remove (e.g. 3,7 or 2-5), `view N` to see a frame, `list`, Enter to finish: "
        )?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            break;
        }
        let line = line.trim();
        match line {
            "" | "q" | "quit" | "done" => break,
            "list" | "ls" => list(out, root, rows)?,
            _ if line.starts_with("view") => {
                let arg = line.trim_start_matches("view").trim();
                match arg
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1 && *n <= rows.len())
                {
                    Some(n) => {
                        let r = &rows[n - 1];
                        let path = root.join(&r.image_file);
                        writeln!(
                            out,
                            "{n}. {} ({:.3}–{:.3} s): {}",
                            r.pattern_type,
                            r.start_time,
                            r.end_time,
                            path.display()
                        )?;
                        if opts.inline_images {
                            show_inline(out, &path)?;
                        }
                    }
                    None => writeln!(
                        out,
                        "view takes an item number between 1 and {}",
                        rows.len()
                    )?,
                }
            }
            _ => match parse_selection(line, rows) {
                Ok(ids) => {
                    for id in ids {
                        if !chosen.contains(&id) {
                            chosen.push(id);
                        }
                    }
                    let names: Vec<&str> = chosen.iter().map(ItemId::as_str).collect();
                    writeln!(out, "marked for removal: {}", names.join(", "))?;
                }
                Err(e) => writeln!(out, "{e}")?,
            },
        }
    }
    if chosen.is_empty() || opts.yes {
        return Ok(chosen);
    }
    write!(
        out,
        "Remove {} item(s) and their files? [y/N] ",
        chosen.len()
    )?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    if matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "д" | "да"
    ) {
        Ok(chosen)
    } else {
        writeln!(out, "nothing removed")?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
#[path = "prepare_prompt_tests.rs"]
mod tests;
