//! Figures, and the two reports made of them: docs/BENCHMARKS.md and summary.json.

use std::fmt::Write;

use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "camelCase")]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    /// A figure only.
    None,
}

impl Target {
    pub fn met(self, value: f64) -> Option<bool> {
        match self {
            Target::AtLeast(t) => Some(value >= t),
            Target::AtMost(t) => Some(value <= t),
            Target::None => None,
        }
    }

    fn describe(self, unit: &str) -> String {
        let unit = if unit.is_empty() || unit == "×" {
            String::new()
        } else {
            format!(" {unit}")
        };
        match self {
            Target::AtLeast(t) => format!("≥ {}{unit}", number(t)),
            Target::AtMost(t) => format!("≤ {}{unit}", number(t)),
            Target::None => "figure only".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub value: f64,
    pub unit: String,
    pub target: Target,
    pub met: Option<bool>,
    pub detail: String,
}

impl Figure {
    pub fn value(
        key: &str,
        label: &str,
        value: f64,
        unit: &str,
        target: Target,
        detail: String,
    ) -> Figure {
        Figure {
            key: key.into(),
            label: label.into(),
            value,
            unit: unit.into(),
            target,
            met: target.met(value),
            detail,
        }
    }

    /// A ratio of two figures measured in the same run.
    pub fn ratio(key: &str, label: &str, value: f64, target: Target, detail: String) -> Figure {
        Figure::value(key, label, value, "×", target, detail)
    }

    fn shown(&self) -> String {
        let mark = match self.met {
            Some(true) => " ✅",
            Some(false) => " ❌",
            None => "",
        };
        match self.unit.as_str() {
            "×" => format!("{:.2}×{mark}", self.value),
            "" => format!("{}{mark}", number(self.value)),
            unit => format!("{} {unit}{mark}", number(self.value)),
        }
    }
}

fn number(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub struct Run {
    pub date: String,
    pub commit: String,
    pub machine: String,
    pub quick: bool,
    pub pinned: bool,
    /// (backend name, its figures)
    pub backends: Vec<(String, Vec<Figure>)>,
    pub spa: Figure,
}

impl Run {
    pub fn json(&self) -> Value {
        let backends: serde_json::Map<String, Value> = self
            .backends
            .iter()
            .map(|(name, figures)| (name.clone(), json!(figures)))
            .collect();
        json!({
            "date": self.date,
            "commit": self.commit,
            "machine": self.machine,
            "quick": self.quick,
            "pinned": self.pinned,
            "backends": backends,
            "spa": self.spa,
        })
    }

    /// Every figure, on every backend (and the SPA), in order.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for (_, figures) in &self.backends {
            for f in figures {
                if !keys.contains(&f.key) {
                    keys.push(f.key.clone());
                }
            }
        }
        keys
    }

    pub fn markdown(&self, notes: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Measured by `cargo xtask bench`{} on {}, commit `{}`.\n",
            if self.quick {
                " --quick (a short run: small sizes, not the targets' sizes)"
            } else {
                ""
            },
            self.date,
            self.commit
        );
        let _ = writeln!(md, "Machine: {}.", self.machine);
        let _ = writeln!(
            md,
            "{}\n",
            if self.pinned {
                "The server (and PostgreSQL) ran on core 0, the load generator on core 1."
            } else {
                "Server and load generator shared the cores (no pinning on this machine)."
            }
        );
        let mut header = "| figure | target |".to_owned();
        let mut rule = "| --- | --- |".to_owned();
        for (name, _) in &self.backends {
            let _ = write!(header, " {name} |");
            rule.push_str(" --- |");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for key in self.keys() {
            let first = self
                .backends
                .iter()
                .find_map(|(_, fs)| fs.iter().find(|f| f.key == key))
                .expect("a key comes from a figure");
            let mut row = format!(
                "| {} | {} |",
                first.label,
                first.target.describe(&first.unit)
            );
            for (_, figures) in &self.backends {
                let cell = figures
                    .iter()
                    .find(|f| f.key == key)
                    .map_or("–".to_owned(), Figure::shown);
                let _ = write!(row, " {cell} |");
            }
            let _ = writeln!(md, "{row}");
        }
        let mut spa = format!(
            "| {} | {} | {} |",
            self.spa.label,
            self.spa.target.describe(&self.spa.unit),
            self.spa.shown()
        );
        for _ in 1..self.backends.len() {
            spa.push_str(" (same) |");
        }
        let _ = writeln!(md, "{spa}\n");
        let _ = writeln!(md, "## Details\n");
        for (name, figures) in &self.backends {
            let _ = writeln!(md, "{name}:\n");
            for f in figures {
                let _ = writeln!(md, "- {}: {}", f.label, f.detail);
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(md, "SPA: {}\n", self.spa.detail);
        md.push_str(notes);
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        let fig = |key: &str, v: f64, t: Target| {
            Figure::value(key, key, v, "ms", t, format!("{key} detail"))
        };
        Run {
            date: "2026-11-25".into(),
            commit: "abc1234".into(),
            machine: "a machine".into(),
            quick: false,
            pinned: true,
            backends: vec![
                (
                    "SQLite".into(),
                    vec![
                        fig("a", 5.0, Target::AtMost(10.0)),
                        fig("b", 3.0, Target::None),
                    ],
                ),
                (
                    "PostgreSQL".into(),
                    vec![fig("a", 12.5, Target::AtMost(10.0))],
                ),
            ],
            spa: Figure::value(
                "spa",
                "spa",
                150.0,
                "KB",
                Target::AtMost(200.0),
                "parts".into(),
            ),
        }
    }

    #[test]
    fn targets_are_judged() {
        assert_eq!(Target::AtLeast(0.8).met(0.8), Some(true));
        assert_eq!(Target::AtLeast(0.8).met(0.79), Some(false));
        assert_eq!(Target::AtMost(1.2).met(1.3), Some(false));
        assert_eq!(Target::None.met(1.0), None);
    }

    #[test]
    fn the_table_has_a_row_per_figure_and_a_column_per_backend() {
        let md = run().markdown("<!-- notes -->\nkept\n");
        assert!(
            md.contains("| figure | target | SQLite | PostgreSQL |"),
            "{md}"
        );
        assert!(
            md.contains("| a | ≤ 10 ms | 5 ms ✅ | 12.50 ms ❌ |"),
            "{md}"
        );
        // A figure one backend lacks is shown as missing, not invented.
        assert!(md.contains("| b | figure only | 3 ms | – |"), "{md}");
        assert!(
            md.contains("| spa | ≤ 200 KB | 150 KB ✅ | (same) |"),
            "{md}"
        );
        assert!(md.contains("commit `abc1234`") && md.ends_with("kept\n"));
    }

    #[test]
    fn the_summary_lists_every_figure() {
        let json = run().json();
        assert_eq!(json["backends"]["SQLite"][0]["key"], "a");
        assert_eq!(json["backends"]["PostgreSQL"][0]["met"], false);
        assert_eq!(json["spa"]["value"], 150.0);
        assert_eq!(run().keys(), vec!["a".to_owned(), "b".to_owned()]);
    }
}
