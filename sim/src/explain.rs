//! `wsasim explain CODE|NAME`: what a Winsock error code means and where wsasim
//! produces it. The conditions and tests come from `docs/conformance.md`, compiled in
//! and read at run time, so the command and the matrix cannot drift apart (and
//! `sim/tests/explain.rs` checks that every test the matrix names exists).

use std::fmt::Write as _;
use wsasim_core::WsaError;
use wsasim_scenario::fault::{FaultKind, Side};

/// The conformance matrix, as built.
pub const CONFORMANCE: &str = include_str!("../../docs/conformance.md");

/// One row of the matrix that concerns a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The section (`WSASend`, `Companion API`, ...).
    pub section: String,
    /// The row's first cell (`WSAECONNRESET (stream)`, or the API of a companion row).
    pub label: String,
    /// The condition under which wsasim produces it (the behaviour, for other tables).
    pub condition: String,
    /// The tests that show it, as `file::name`.
    pub tests: Vec<String>,
    /// Its status (`done`, `partial`, ...), if the table has one.
    pub status: String,
}

/// Looks a code up by number (`10054`) or name (`WSAECONNRESET`, any case).
pub fn lookup(text: &str) -> Option<WsaError> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u32>() {
        return WsaError(n).name().map(|_| WsaError(n));
    }
    WsaError::from_name(t)
}

/// The cells of a Markdown table row.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split(" | ").map(|c| c.trim().to_string()).collect()
}

/// Whether `text` names `name` as a word (`WSAEFAULT` in `WSAEFAULT: lpBuffers`, not in
/// `WSAEFAULTS`).
fn names(text: &str, name: &str) -> bool {
    let mut start = 0;
    while let Some(i) = text[start..].find(name) {
        let at = start + i;
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !word(before) && !word(after) {
            return true;
        }
        start = at + name.len();
    }
    false
}

/// The test names in a cell (backticked), expanded with the section's legend
/// (`T::x` -> `tests/conformance_wsasend.rs::x`).
fn tests_of(cell: &str, legend: &[(String, String)], default_file: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        })
        .filter(|t| !t.is_empty())
        .map(|t| match t.split_once("::") {
            Some((letter, name)) => match legend.iter().find(|(l, _)| l == letter) {
                Some((_, file)) => format!("{file}::{name}"),
                None => t.to_string(),
            },
            None if !default_file.is_empty() => format!("{default_file}::{t}"),
            None => t.to_string(),
        })
        .collect()
}

/// The legend of a section: "`T` below stands for `tests/x.rs`, `P` for `tests/y.rs`".
fn legend_of(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let parts: Vec<&str> = text.split('`').collect();
    // Backticked items alternate with text: a letter, then (" below stands for " | " for
    // "), then a path.
    for w in (1..parts.len()).step_by(2) {
        let letter = parts[w];
        if letter.len() == 1 && w + 2 < parts.len() {
            let between = parts[w + 1];
            if between.contains("stands for") || between.trim() == "for" {
                let path = parts[w + 2];
                if path.contains('/') {
                    out.push((letter.to_string(), path.to_string()));
                }
            }
        }
    }
    out
}

/// Every row of the matrix that concerns `name`: rows of the error-code tables whose
/// first cell is the code, then rows of other tables that mention it.
pub fn rows(name: &str) -> Vec<Row> {
    let mut out = Vec::new();
    let mut section = String::new();
    // The section's prose so far (its legend may span lines).
    let mut prose = String::new();
    let mut default_file = String::new();
    let mut header: Vec<String> = Vec::new();
    let mut in_errors = false;
    for line in CONFORMANCE.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.split(" (").next().unwrap_or(h).trim().to_string();
            prose.clear();
            default_file.clear();
            header.clear();
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            in_errors = h.trim() == "Error codes";
            header.clear();
            continue;
        }
        if !line.starts_with('|') {
            prose.push_str(line);
            prose.push(' ');
            if let Some((_, rest)) = prose.split_once("All tests are in `") {
                if let Some(f) = rest.split('`').next() {
                    default_file = f.to_string();
                }
            }
            continue;
        }
        let c = cells(line);
        if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ' ')) {
            continue;
        }
        if header.is_empty() {
            header = c;
            continue;
        }
        let col = |want: &str| header.iter().position(|h| h.eq_ignore_ascii_case(want));
        let get = |i: Option<usize>| i.and_then(|i| c.get(i)).cloned().unwrap_or_default();
        let first = c.first().cloned().unwrap_or_default();
        let hit = if in_errors {
            first == name
                || first.starts_with(&format!("{name} "))
                || first.starts_with(&format!("{name}:"))
        } else {
            c.iter().any(|cell| names(cell, name))
        };
        if !hit {
            continue;
        }
        let condition = get(col("Condition in wsasim"))
            .to_string()
            .chars()
            .collect::<String>();
        let condition = if condition.is_empty() {
            get(col("behaviour"))
        } else {
            condition
        };
        // `col` ignores case: one lookup finds the "Test" column whatever its spelling.
        let test_cell = get(col("Test"));
        out.push(Row {
            section: section.clone(),
            label: first,
            condition,
            tests: tests_of(&test_cell, &legend_of(&prose), &default_file),
            status: get(col("Status")),
        });
    }
    // Error-code rows first.
    out.sort_by_key(|r| !(r.label.starts_with(name)));
    out
}

/// The faults of a scenario that can produce `code`, as `kind (side: calls)`.
pub fn faults_producing(code: WsaError) -> Vec<String> {
    let mut out = Vec::new();
    for &k in FaultKind::ALL {
        for &(side, calls, c) in k.produces() {
            if c == code {
                let side = match side {
                    Side::Target => "on the target",
                    Side::Peer => "at the other end",
                };
                out.push(format!("{} ({side}: {})", k.name(), calls.join(", ")));
            }
        }
    }
    out
}

/// The text `wsasim explain` prints, or `None` for an unknown code.
pub fn explain(text: &str) -> Option<String> {
    let code = lookup(text)?;
    let name = code.name()?;
    let mut out = String::new();
    let _ = writeln!(out, "{name} ({})", code.0);
    let _ = writeln!(out, "\nmeaning:\n  {}", code.meaning().unwrap_or("(none)"));
    if let Some(m) = code.send_meaning() {
        let _ = writeln!(out, "\nWSASend (seeds/000):\n  {m}");
    }
    let rows = rows(name);
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "\nwsasim: docs/conformance.md names no condition or test for it"
        );
    } else {
        let _ = writeln!(out, "\nwhen wsasim produces it (docs/conformance.md):");
        for r in &rows {
            let status = if r.status.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.status)
            };
            let _ = writeln!(out, "  {} / {}{status}", r.section, r.label);
            if !r.condition.is_empty() {
                let _ = writeln!(out, "    {}", r.condition);
            }
            for t in &r.tests {
                let _ = writeln!(out, "    test: {t}");
            }
        }
    }
    let faults = faults_producing(code);
    if !faults.is_empty() {
        let _ = writeln!(out, "\nscenario faults that produce it (docs/cli.md):");
        for f in faults {
            let _ = writeln!(out, "  {f}");
        }
    }
    Some(out)
}
