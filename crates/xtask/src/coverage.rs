//! `cargo xtask coverage`, and the coverage stage of `cargo xtask test`: the unit and
//! integration tests run on both backends instrumented (cargo-llvm-cov), then a
//! report of line coverage per module of the server, with the floors CI holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::postgres::Cluster;
use crate::steps::cargo;
use crate::tools::{self, run as exec};
use crate::{Result, root, say};

/// The floors: line coverage of each part of the server, in percent. A part is a
/// folder or a file under the workspace root; the last is the server as a whole.
pub const FLOORS: &[(&str, f64)] = &[
    ("crates/api/src/routes", 90.0),
    ("crates/api/src/domain", 95.0),
    ("crates/api/src/schedule.rs", 95.0),
    ("crates/api/src", 85.0),
];

/// Where the report goes: the summary (`summary.json`) and the HTML pages.
pub fn out_dir() -> PathBuf {
    root().join("target").join("coverage")
}

/// `cargo llvm-cov` with the project's target directory (its instrumented build goes
/// in a folder of its own inside it).
fn llvm_cov() -> Command {
    let mut cmd = cargo();
    cmd.arg("llvm-cov");
    cmd
}

/// The command that runs every test of the workspace instrumented, keeping the
/// profiles for [`report`]. `extra` goes after `--workspace` (a test target, test
/// arguments).
pub fn test_command(extra: &[&str]) -> Command {
    let mut cmd = llvm_cov();
    // --no-report cleans nothing: the instrumented build stays between runs, and the
    // profiles add up until `clean`.
    cmd.args(["test", "--no-report", "--workspace"]).args(extra);
    cmd
}

/// Forgets the profiles of earlier runs, and the workspace's own instrumented
/// binaries, so a report covers one run of one build only. The dependencies' build is
/// kept.
///
/// The report reads every executable in the instrumented target folder. That folder
/// is shared by every checkout on the machine (and by older builds of this one, whose
/// names change with the dependencies): left there, a binary built from another copy
/// of the same files, or from an older version of them, adds its own lines, never run,
/// to the same file names, and a run that covered 95 % of the routes reported 42 %.
/// CI's clean clone builds the workspace anew anyway; a local run rebuilds its crates.
pub fn clean() -> Result {
    exec(llvm_cov().args(["clean", "--workspace"]))
}

/// Line coverage of one part: lines covered and lines counted.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Lines {
    pub covered: u64,
    pub count: u64,
}

impl Lines {
    pub fn percent(self) -> f64 {
        if self.count == 0 {
            100.0
        } else {
            100.0 * self.covered as f64 / self.count as f64
        }
    }
}

/// Writes the HTML report and `summary.json`, prints line coverage per module of the
/// server, and fails if a part is below its floor.
pub fn report() -> Result {
    let out = out_dir();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    say("Coverage report (HTML)");
    exec(
        llvm_cov()
            .args(["report", "--html", "--output-dir"])
            .arg(&out),
    )?;
    let export = out.join("llvm-export.json");
    exec(
        llvm_cov()
            .args(["report", "--json", "--summary-only", "--output-path"])
            .arg(&export),
    )?;
    let text = std::fs::read_to_string(&export).map_err(|e| e.to_string())?;
    let files = file_lines(&text, &root())?;
    let modules = per_module(&files, "crates/api/src");
    println!("\nLine coverage of the server (crates/api/src), per module:");
    for (module, lines) in &modules {
        println!(
            "  {:>6.2} %  {:>5} / {:<5}  {module}",
            lines.percent(),
            lines.covered,
            lines.count
        );
    }
    let mut verdicts = Vec::new();
    let mut failures = Vec::new();
    for (part, floor) in FLOORS {
        let lines = part_lines(&files, part);
        let ok = lines.percent() >= *floor;
        println!(
            "  {} {part}: {:.2} % of {} lines (floor {floor} %)",
            if ok { "ok  " } else { "LOW " },
            lines.percent(),
            lines.count
        );
        verdicts.push(format!(
            "{{\"part\":\"{part}\",\"percent\":{:.2},\"covered\":{},\"lines\":{},\
             \"floor\":{floor},\"ok\":{ok}}}",
            lines.percent(),
            lines.covered,
            lines.count
        ));
        if !ok {
            failures.push(format!("{part} {:.2} % < {floor} %", lines.percent()));
        }
    }
    let modules_json: Vec<String> = modules
        .iter()
        .map(|(m, l)| {
            format!(
                "{{\"module\":\"{m}\",\"percent\":{:.2},\"covered\":{},\"lines\":{}}}",
                l.percent(),
                l.covered,
                l.count
            )
        })
        .collect();
    let summary = format!(
        "{{\"floors\":[{}],\"modules\":[{}]}}\n",
        verdicts.join(","),
        modules_json.join(",")
    );
    std::fs::write(out.join("summary.json"), summary).map_err(|e| e.to_string())?;
    println!("  report: {} (summary.json, index.html)", out.display());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("coverage below its floor: {}", failures.join("; ")))
    }
}

/// Each file's line counts from llvm-cov's JSON export, by path relative to `root`.
fn file_lines(export: &str, root: &Path) -> Result<BTreeMap<String, Lines>> {
    let json: serde_json::Value =
        serde_json::from_str(export).map_err(|e| format!("unreadable coverage export: {e}"))?;
    let files = json["data"][0]["files"]
        .as_array()
        .ok_or("the coverage export has no files")?;
    let root = format!("{}/", root.display());
    let mut out = BTreeMap::new();
    for file in files {
        let Some(name) = file["filename"].as_str() else {
            continue;
        };
        let lines = &file["summary"]["lines"];
        let relative = name.strip_prefix(&root).unwrap_or(name).to_owned();
        out.insert(
            relative,
            Lines {
                covered: lines["covered"].as_u64().unwrap_or(0),
                count: lines["count"].as_u64().unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// The lines of every file at or under `part` (a folder or a file).
fn part_lines(files: &BTreeMap<String, Lines>, part: &str) -> Lines {
    let folder = format!("{part}/");
    files
        .iter()
        .filter(|(name, _)| *name == part || name.starts_with(&folder))
        .fold(Lines::default(), |sum, (_, l)| Lines {
            covered: sum.covered + l.covered,
            count: sum.count + l.count,
        })
}

/// The files under `base`, summed per module: a top-level file, or a folder.
fn per_module(files: &BTreeMap<String, Lines>, base: &str) -> Vec<(String, Lines)> {
    let prefix = format!("{base}/");
    let mut modules: BTreeMap<String, Lines> = BTreeMap::new();
    for (name, lines) in files {
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let module = match rest.split_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => rest.to_owned(),
        };
        let sum = modules.entry(module).or_default();
        sum.covered += lines.covered;
        sum.count += lines.count;
    }
    modules.into_iter().collect()
}

/// `cargo xtask coverage`: the tests on both backends, instrumented, and the report.
pub fn coverage(args: &[String]) -> Result {
    if let Some(extra) = args.first() {
        return Err(format!(
            "unknown option {extra}; `cargo xtask coverage` takes none"
        ));
    }
    tools::ensure_llvm_cov()?;
    tools::ensure_libpq()?;
    clean()?;
    let cluster = Cluster::start()?;
    say("Unit and integration tests, on SQLite and PostgreSQL, instrumented");
    let result = exec(
        test_command(&[])
            .env("MEDICONNECT_TEST_PG_URL", &cluster.url)
            .env("MEDICONNECT_PG_BIN", cluster.bin_dir()),
    );
    drop(cluster);
    result?;
    report()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BTreeMap<String, Lines> {
        let export = r#"{"data":[{"files":[
            {"filename":"/w/crates/api/src/routes/a.rs",
             "summary":{"lines":{"count":10,"covered":9}}},
            {"filename":"/w/crates/api/src/routes/b.rs",
             "summary":{"lines":{"count":10,"covered":10}}},
            {"filename":"/w/crates/api/src/schedule.rs",
             "summary":{"lines":{"count":4,"covered":1}}},
            {"filename":"/w/crates/api/src/schedule_extra.rs",
             "summary":{"lines":{"count":6,"covered":6}}},
            {"filename":"/w/crates/xtask/src/main.rs","summary":{"lines":{"count":100,"covered":0}}}
        ]}]}"#;
        file_lines(export, Path::new("/w")).unwrap()
    }

    #[test]
    fn parts_and_modules_add_up() {
        let files = files();
        assert_eq!(
            part_lines(&files, "crates/api/src/routes"),
            Lines {
                covered: 19,
                count: 20
            }
        );
        // A file part is that file alone, not every name it begins.
        assert_eq!(
            part_lines(&files, "crates/api/src/schedule.rs"),
            Lines {
                covered: 1,
                count: 4
            }
        );
        assert_eq!(
            part_lines(&files, "crates/api/src"),
            Lines {
                covered: 26,
                count: 30
            }
        );
        let modules = per_module(&files, "crates/api/src");
        assert_eq!(
            modules,
            vec![
                (
                    "routes/".to_owned(),
                    Lines {
                        covered: 19,
                        count: 20
                    }
                ),
                (
                    "schedule.rs".to_owned(),
                    Lines {
                        covered: 1,
                        count: 4
                    }
                ),
                (
                    "schedule_extra.rs".to_owned(),
                    Lines {
                        covered: 6,
                        count: 6
                    }
                ),
            ]
        );
        assert_eq!(
            Lines {
                covered: 19,
                count: 20
            }
            .percent(),
            95.0
        );
        assert_eq!(Lines::default().percent(), 100.0);
    }
}
