//! The line width rule: no line of the project's code over [`MAX_COLUMNS`] columns.
//! rustfmt keeps ordinary Rust code within it, but not long strings, attribute macros,
//! `view!` or `json!` bodies; the TypeScript of the browser tests has no formatter here.

use std::path::{Path, PathBuf};

use crate::Result;

pub const MAX_COLUMNS: usize = 100;

/// The folders checked, under the root, and the file endings that count as code.
const FOLDERS: &[&str] = &["crates", "frontend/src", "e2e"];
const ENDINGS: &[&str] = &[".rs", ".ts"];
/// Folders never checked: builds, installed packages, test output.
const SKIPPED: &[&str] = &[
    "target",
    "node_modules",
    "test-results",
    "playwright-report",
];

/// Fails with the place of every line over the width, in files under `root`.
pub fn check(root: &Path) -> Result {
    let mut files = Vec::new();
    for folder in FOLDERS {
        collect(&root.join(folder), &mut files)?;
    }
    files.sort();
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let name = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        long.extend(long_lines(&text).map(|n| format!("{name}:{n}")));
    }
    if long.is_empty() {
        println!("{} files, no line over {MAX_COLUMNS} columns", files.len());
        return Ok(());
    }
    let shown: Vec<&str> = long.iter().take(20).map(String::as_str).collect();
    Err(format!(
        "{} {} over {MAX_COLUMNS} columns: {}{}",
        long.len(),
        if long.len() == 1 { "line" } else { "lines" },
        shown.join(", "),
        if long.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    ))
}

/// The numbers (from 1) of the lines of `text` over the width, in characters.
fn long_lines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.chars().count() > MAX_COLUMNS)
        .map(|(i, _)| i + 1)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_str()) && !name.starts_with('.') {
                collect(&path, out)?;
            }
        } else if ENDINGS.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let ok = format!("{}\n{}", "é".repeat(100), "a".repeat(100));
        assert_eq!(long_lines(&ok).count(), 0);
        let text = format!("short\n{}\nshort\n{}", "a".repeat(101), "·".repeat(101));
        assert_eq!(long_lines(&text).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn finds_long_lines_in_code_files_only() {
        let root = std::env::temp_dir().join(format!("xtask-width-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let src = root.join("crates/a/src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(root.join("e2e/node_modules")).unwrap();
        std::fs::write(src.join("ok.rs"), "fn main() {}\n").unwrap();
        std::fs::write(src.join("notes.md"), "x".repeat(200)).unwrap();
        std::fs::write(root.join("e2e/node_modules/dep.ts"), "x".repeat(200)).unwrap();
        assert!(check(&root).is_ok());
        std::fs::write(src.join("long.rs"), format!("//\n// {}\n", "x".repeat(120))).unwrap();
        let err = check(&root).unwrap_err();
        assert!(
            err.contains("1 line over 100 columns: crates/a/src/long.rs:2"),
            "{err}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
