//! # msrp-conformance — which requirement is tested, and does it pass
//!
//! The spec digest (`shared/spec/msrp-spec-digest.md` beside the repository) lists every
//! requirement of RFC 4975, 4976, 6135, 6714 and their neighbours with a stable id
//! (`R4975-143`), a level (MUST, SHOULD, …) and how it can be tested. This crate embeds
//! that table ([`requirements`]) and maps test outcomes onto it: every test in the
//! workspace names the requirement ids it checks in its function name
//! (`r4975_143_send_response_to_previous_hop`), so a test log is enough to know which
//! requirement is covered by which test and whether it passes.
//!
//! ```
//! use msrp_conformance::{requirements, parse_test_log, Report};
//!
//! let log = "test wire::tests::r4975_071_ident_grammar ... ok\n\
//!            test engine::r4975_143_r4975_144_addressing ... FAILED\n";
//! let report = Report::build(&requirements(), &parse_test_log(log));
//! let r071 = report.rows.iter().find(|r| r.requirement.id == "R4975-071").unwrap();
//! assert_eq!(r071.passed, 1);
//! let r143 = report.rows.iter().find(|r| r.requirement.id == "R4975-143").unwrap();
//! assert_eq!(r143.failed, 1);
//! ```
//!
//! Rows whose only test method is `[REV]` (review or documentation) are reported as
//! *review-only*: the digest records why they are not mechanically testable.

pub mod probe;

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The requirement table extracted from the spec digest (`id`, `level`, `section`,
/// `test`, `requirement` columns, tab-separated).
pub const REQUIREMENTS_TSV: &str = include_str!("../requirements.tsv");

/// One requirement row of the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Stable id, e.g. `R4975-143`.
    pub id: String,
    /// The RFC 2119 level as written (`MUST`, `MUST / MUST NOT`, `INFO`, `ABNF`, …).
    pub level: String,
    /// Section of the RFC.
    pub section: String,
    /// How the digest says it can be tested (`[P]`, `[S]`, `[SDP]`, `[NET]`, `[REV]`, …).
    pub test: String,
    /// The paraphrased requirement.
    pub text: String,
}

impl Requirement {
    /// The RFC number part of the id (`4975`).
    #[must_use]
    pub fn rfc(&self) -> &str {
        self.id
            .trim_start_matches('R')
            .split('-')
            .next()
            .unwrap_or("")
    }

    /// The level class used for the summary: `MUST` (any MUST/MUST NOT/SHALL), `SHOULD`,
    /// `MAY`, `ABNF` or `INFO`.
    #[must_use]
    pub fn level_class(&self) -> &'static str {
        let l = self.level.to_ascii_uppercase();
        if l.contains("MUST") || l.contains("SHALL") || l.contains("REQUIRED") {
            "MUST"
        } else if l.contains("SHOULD") || l.contains("RECOMMENDED") {
            "SHOULD"
        } else if l.contains("MAY") {
            "MAY"
        } else if l.contains("ABNF") {
            "ABNF"
        } else {
            "INFO"
        }
    }

    /// Whether the digest marks this row as review-only (no mechanical test possible).
    #[must_use]
    pub fn review_only(&self) -> bool {
        let tags: Vec<&str> = self
            .test
            .split(['[', ']'])
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, t)| t)
            .collect();
        !tags.is_empty() && tags.iter().all(|t| *t == "REV")
    }
}

/// Parses requirement rows from a TSV in the [`REQUIREMENTS_TSV`] format.
#[must_use]
pub fn parse_requirements_tsv(tsv: &str) -> Vec<Requirement> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut c = line.split('\t');
            Some(Requirement {
                id: c.next()?.to_owned(),
                level: c.next()?.to_owned(),
                section: c.next()?.to_owned(),
                test: c.next()?.to_owned(),
                text: c.next()?.to_owned(),
            })
        })
        .collect()
}

/// The embedded requirement table.
#[must_use]
pub fn requirements() -> Vec<Requirement> {
    parse_requirements_tsv(REQUIREMENTS_TSV)
}

/// Extracts the requirement rows from the spec digest's markdown tables
/// (`| R4975-001 | MUST | 3 | text | test |`).
#[must_use]
pub fn extract_from_digest(markdown: &str) -> Vec<Requirement> {
    markdown
        .lines()
        .filter_map(|line| {
            let inner = line.trim().strip_prefix("| R")?.strip_suffix('|')?;
            let cells: Vec<&str> = inner.split(" | ").map(str::trim).collect();
            if cells.len() < 5 || !is_requirement_id(&format!("R{}", cells[0])) {
                return None;
            }
            let n = cells.len();
            Some(Requirement {
                id: format!("R{}", cells[0]),
                level: cells[1].to_owned(),
                section: cells[2].to_owned(),
                // The text column may itself contain " | "; the test column is last.
                text: cells[3..n - 1].join(" | "),
                test: cells[n - 1].to_owned(),
            })
        })
        .collect()
}

/// Renders requirement rows in the [`REQUIREMENTS_TSV`] format.
#[must_use]
pub fn to_tsv(rows: &[Requirement]) -> String {
    let mut out = String::from("id\tlevel\tsection\ttest\trequirement\n");
    for r in rows {
        let clean = |s: &str| s.replace('\t', " ");
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            r.id,
            clean(&r.level),
            clean(&r.section),
            clean(&r.test),
            clean(&r.text)
        );
    }
    out
}

fn is_requirement_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('R') else {
        return false;
    };
    let mut parts = rest.split('-');
    matches!((parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
}

/// The outcome of one test, as printed by the libtest harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// `ok`
    Passed,
    /// `FAILED`
    Failed,
    /// `ignored`
    Ignored,
}

/// One test from a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The test's full path as printed.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

impl TestResult {
    /// The requirement ids the test's name cites: every `r<rfc>_<nnn>` group, so
    /// `r4975_143_r4975_144_x` cites R4975-143 and R4975-144.
    #[must_use]
    pub fn requirement_ids(&self) -> Vec<String> {
        let name = self.name.to_ascii_lowercase();
        let b = name.as_bytes();
        let mut ids = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
            if boundary && b[i] == b'r' {
                let digits =
                    |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
                let rfc = digits(i + 1);
                if (4..=5).contains(&rfc) && b.get(i + 1 + rfc) == Some(&b'_') {
                    let num = digits(i + 2 + rfc);
                    if num == 3 {
                        ids.push(format!(
                            "R{}-{}",
                            &name[i + 1..i + 1 + rfc],
                            &name[i + 2 + rfc..i + 5 + rfc]
                        ));
                        i += 5 + rfc;
                        continue;
                    }
                }
            }
            i += 1;
        }
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Reads `test <name> ... ok|FAILED|ignored` lines from libtest output (unit, integration
/// and doc tests alike; other lines are skipped).
#[must_use]
pub fn parse_test_log(log: &str) -> Vec<TestResult> {
    log.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, outcome) = rest.rsplit_once(" ... ")?;
            let outcome = match outcome.trim() {
                "ok" => Outcome::Passed,
                "FAILED" => Outcome::Failed,
                o if o.starts_with("ignored") => Outcome::Ignored,
                _ => return None,
            };
            Some(TestResult {
                name: name.trim().to_owned(),
                outcome,
            })
        })
        .collect()
}

/// One requirement with the tests that cite it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The requirement.
    pub requirement: Requirement,
    /// Names of the tests citing it.
    pub tests: Vec<String>,
    /// How many of them passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
}

impl Row {
    /// `pass`, `FAIL`, `untested` or `review-only`.
    #[must_use]
    pub fn status(&self) -> &'static str {
        if self.failed > 0 {
            "FAIL"
        } else if self.passed > 0 {
            "pass"
        } else if self.requirement.review_only() {
            "review-only"
        } else {
            "untested"
        }
    }
}

/// Counts for one RFC and level class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows.
    pub total: usize,
    /// Rows that are not review-only.
    pub testable: usize,
    /// Rows with at least one test.
    pub tested: usize,
    /// Rows whose tests all pass (and that have at least one).
    pub passed: usize,
}

/// The mapping of a test run onto the requirement table.
#[derive(Debug, Clone)]
pub struct Report {
    /// One row per requirement, in table order.
    pub rows: Vec<Row>,
    /// Test ids cited by tests but absent from the table (typos in test names).
    pub unknown_ids: Vec<String>,
}

impl Report {
    /// Maps `results` onto `requirements`.
    #[must_use]
    pub fn build(requirements: &[Requirement], results: &[TestResult]) -> Self {
        let mut by_id: BTreeMap<String, Vec<&TestResult>> = BTreeMap::new();
        for r in results {
            for id in r.requirement_ids() {
                by_id.entry(id).or_default().push(r);
            }
        }
        let rows: Vec<Row> = requirements
            .iter()
            .map(|req| {
                let tests = by_id.remove(&req.id).unwrap_or_default();
                Row {
                    requirement: req.clone(),
                    passed: tests
                        .iter()
                        .filter(|t| t.outcome == Outcome::Passed)
                        .count(),
                    failed: tests
                        .iter()
                        .filter(|t| t.outcome == Outcome::Failed)
                        .count(),
                    tests: tests.iter().map(|t| t.name.clone()).collect(),
                }
            })
            .collect();
        Self {
            rows,
            unknown_ids: by_id.into_keys().collect(),
        }
    }

    /// Counts per RFC (`"4975"`) and level class (`"MUST"`, …).
    #[must_use]
    pub fn summary(&self) -> BTreeMap<(String, &'static str), Counts> {
        let mut out: BTreeMap<(String, &'static str), Counts> = BTreeMap::new();
        for row in &self.rows {
            let c = out
                .entry((
                    row.requirement.rfc().to_owned(),
                    row.requirement.level_class(),
                ))
                .or_default();
            c.total += 1;
            if !row.requirement.review_only() {
                c.testable += 1;
            }
            if !row.tests.is_empty() {
                c.tested += 1;
            }
            if row.passed > 0 && row.failed == 0 {
                c.passed += 1;
            }
        }
        out
    }

    /// The human-readable report: a table per RFC, then the summary.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut rfc = "";
        for row in &self.rows {
            if row.requirement.rfc() != rfc {
                rfc = row.requirement.rfc();
                let _ = writeln!(
                    out,
                    "\n## RFC {rfc}\n{:<11} {:<18} {:>5}  {:<11} first test",
                    "id", "level", "tests", "status"
                );
            }
            let _ = writeln!(
                out,
                "{:<11} {:<18} {:>5}  {:<11} {}",
                row.requirement.id,
                truncate(&row.requirement.level, 18),
                row.tests.len(),
                row.status(),
                row.tests.first().map_or("", String::as_str)
            );
        }
        let _ = writeln!(
            out,
            "\n## Summary (rows: total / testable / tested / passing)"
        );
        for ((rfc, class), c) in self.summary() {
            let _ = writeln!(
                out,
                "RFC {rfc:<5} {class:<6} {:>4} / {:>4} / {:>4} / {:>4}",
                c.total, c.testable, c.tested, c.passed
            );
        }
        if !self.unknown_ids.is_empty() {
            let _ = writeln!(
                out,
                "\ntests cite ids not in the table: {}",
                self.unknown_ids.join(", ")
            );
        }
        out
    }

    /// The report as JSON: `{"summary": {"4975": {"MUST": {"total":…,"testable":…,
    /// "tested":…,"passed":…}, …}, …}, "rows": [{"id":…,"level":…,"status":…,"tests":[…]}]}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n  \"summary\": {");
        let summary = self.summary();
        let mut rfcs: BTreeMap<&str, Vec<(&str, Counts)>> = BTreeMap::new();
        for ((rfc, class), c) in &summary {
            rfcs.entry(rfc.as_str()).or_default().push((class, *c));
        }
        for (i, (rfc, classes)) in rfcs.iter().enumerate() {
            let _ = write!(
                out,
                "{}\n    {}: {{",
                if i > 0 { "," } else { "" },
                json_str(rfc)
            );
            for (j, (class, c)) in classes.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}{}: {{\"total\": {}, \"testable\": {}, \"tested\": {}, \"passed\": {}}}",
                    if j > 0 { ", " } else { "" },
                    json_str(class),
                    c.total,
                    c.testable,
                    c.tested,
                    c.passed
                );
            }
            out.push('}');
        }
        out.push_str("\n  },\n  \"rows\": [");
        for (i, row) in self.rows.iter().enumerate() {
            let tests: Vec<String> = row.tests.iter().map(|t| json_str(t)).collect();
            let _ = write!(
                out,
                "{}\n    {{\"id\": {}, \"level\": {}, \"status\": {}, \"tests\": [{}]}}",
                if i > 0 { "," } else { "" },
                json_str(&row.requirement.id),
                json_str(&row.requirement.level),
                json_str(row.status()),
                tests.join(", ")
            );
        }
        out.push_str("\n  ]\n}\n");
        out
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_test_names() {
        let t = TestResult {
            name: "a::r4975_143_r4976_001_x::r6714_013_y".into(),
            outcome: Outcome::Passed,
        };
        assert_eq!(t.requirement_ids(), ["R4975-143", "R4976-001", "R6714-013"]);
        let t = TestResult {
            name: "tests::for4975_1234_and_xr4975_001".into(),
            outcome: Outcome::Passed,
        };
        assert!(
            t.requirement_ids().is_empty(),
            "ids must start at a word boundary and have 3 digits"
        );
    }

    #[test]
    fn log_parsing() {
        let log = "running 3 tests\ntest a::b ... ok\ntest c ... FAILED\ntest d ... ignored, slow\n\
                   test msrp-proto/src/lib.rs - (line 20) ... ok\ntest result: ok. 3 passed";
        let r = parse_test_log(log);
        assert_eq!(r.len(), 4);
        assert_eq!(r[1].outcome, Outcome::Failed);
        assert_eq!(r[2].outcome, Outcome::Ignored);
    }

    #[test]
    fn embedded_table_is_sane() {
        let reqs = requirements();
        assert!(reqs.len() > 300, "the digest has ~388 rows");
        assert!(reqs.iter().all(|r| is_requirement_id(&r.id)));
        let r = reqs.iter().find(|r| r.id == "R4975-003").unwrap();
        assert!(r.review_only());
        let r = reqs.iter().find(|r| r.id == "R4975-143").unwrap();
        assert_eq!(r.level_class(), "MUST");
        assert!(!r.review_only());
    }

    #[test]
    fn embedded_table_matches_the_digest() {
        // The digest lives in `shared/` beside the repository. Outside this project's
        // checkout it may be absent; then the embedded copy is all there is.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/spec/msrp-spec-digest.md"
        );
        let Ok(md) = std::fs::read_to_string(path) else {
            eprintln!("digest not found beside the repository; drift check skipped");
            return;
        };
        let fresh = to_tsv(&extract_from_digest(&md));
        assert_eq!(
            fresh, REQUIREMENTS_TSV,
            "requirements.tsv is stale: run `msrp-conformance extract`"
        );
    }

    #[test]
    fn report_counts() {
        let reqs = requirements();
        let log = "test x::r4975_071_a ... ok\ntest x::r4975_071_b ... ok\ntest y::r4975_143_c ... FAILED\ntest z::r9999_001 ... ok\n";
        let rep = Report::build(&reqs, &parse_test_log(log));
        let s = rep.summary();
        let abnf = s[&("4975".to_owned(), "ABNF")];
        assert_eq!((abnf.tested, abnf.passed), (1, 1));
        let must = s[&("4975".to_owned(), "MUST")];
        assert_eq!((must.tested, must.passed), (1, 0));
        assert_eq!(rep.unknown_ids, ["R9999-001"]);
        assert!(
            rep.to_json()
                .contains("\"R4975-071\", \"level\": \"ABNF\", \"status\": \"pass\"")
        );
        assert!(rep.to_text().contains("FAIL"));
    }
}
