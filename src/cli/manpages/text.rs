//! A command's help text split into man page parts: examples (kept line for line), what it
//! says of its exit status, and the prose, which joins the DESCRIPTION.

use roff::{Roff, roman};

/// The parts of an `after_help` text.
#[derive(Default)]
pub(super) struct Parts {
    pub(super) examples: Vec<String>,
    pub(super) exit_status: Vec<String>,
    pub(super) description: Vec<String>,
}

impl Parts {
    /// Paragraphs are separated by blank lines; `Examples:` and `Exit status:` open their
    /// parts, `Environment:` is left out (the ENVIRONMENT section lists every variable).
    pub(super) fn split(text: String) -> Parts {
        let mut parts = Parts::default();
        for p in text
            .split("\n\n")
            .map(str::trim_end)
            .filter(|p| !p.trim().is_empty())
        {
            if let Some(rest) = p.strip_prefix("Examples:") {
                parts
                    .examples
                    .extend(rest.lines().filter(|l| !l.trim().is_empty()).map(String::from));
            } else if let Some(rest) = p.strip_prefix("Exit status:") {
                parts.exit_status.push(rest.trim().to_string());
            } else if !p.starts_with("Environment:") {
                parts.description.push(p.to_string());
            }
        }
        parts
    }
}

/// Prose: lines joined into filled paragraphs, a blank line starting a new one.
pub(super) fn paragraphs(roff: &mut Roff, text: &str) {
    for (i, p) in text.split("\n\n").enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        let joined: Vec<&str> = p.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        roff.text([roman(joined.join(" "))]);
    }
}

/// A paragraph of prose whose indented lines (examples, tables) keep their layout.
pub(super) fn mixed(roff: &mut Roff, text: &str) {
    let mut prose: Vec<&str> = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.starts_with("  ") {
            if !prose.is_empty() {
                roff.text([roman(prose.join(" "))]);
                prose.clear();
            }
            block.push(line);
        } else {
            if !block.is_empty() {
                preformatted(roff, block.drain(..));
            }
            prose.push(line.trim());
        }
    }
    if !prose.is_empty() {
        roff.text([roman(prose.join(" "))]);
    }
    if !block.is_empty() {
        preformatted(roff, block.into_iter());
    }
}

/// Lines as they are, in a no-fill block indented like the help's.
pub(super) fn preformatted<'a>(roff: &mut Roff, lines: impl Iterator<Item = &'a str>) {
    roff.control("RS", ["4"]);
    roff.control("nf", []);
    for l in lines {
        roff.text([roman(l.strip_prefix("  ").unwrap_or(l))]);
    }
    roff.control("fi", []);
    roff.control("RE", []);
}
