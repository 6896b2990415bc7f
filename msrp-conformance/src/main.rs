//! `msrp-conformance`: map a test run onto the requirement table and print the report.
//!
//! ```text
//! msrp-conformance report [--log FILE] [--json FILE]   run (or read) the workspace tests, print the report
//! msrp-conformance extract --digest FILE               print requirements.tsv from the spec digest
//! msrp-conformance probe URI [--timeout SECS]          black-box wire checks against a live peer
//! ```

use std::process::{Command, ExitCode};

use msrp_conformance::{Report, extract_from_digest, parse_test_log, requirements, to_tsv};

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  msrp-conformance report [--log FILE] [--json FILE]\n  msrp-conformance extract --digest FILE\n  msrp-conformance probe msrp://host:port/session;tcp [--timeout SECS]"
    );
    ExitCode::from(2)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("report") => report(&args[1..]),
        Some("probe") => probe(&args[1..]),
        Some("extract") => {
            let Some(path) = flag(&args, "--digest") else {
                return usage();
            };
            match std::fs::read_to_string(&path) {
                Ok(md) => {
                    print!("{}", to_tsv(&extract_from_digest(&md)));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("msrp-conformance: cannot read {path}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage(),
    }
}

fn report(args: &[String]) -> ExitCode {
    let log = if let Some(path) = flag(args, "--log") {
        match std::fs::read_to_string(&path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("msrp-conformance: cannot read {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        eprintln!("msrp-conformance: running `cargo test --workspace --no-fail-fast` ...");
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "test",
                "--workspace",
                "--no-fail-fast",
                "--exclude",
                "msrp-conformance",
            ])
            .output();
        match out {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => {
                eprintln!("msrp-conformance: cannot run cargo: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let results = parse_test_log(&log);
    if results.is_empty() {
        eprintln!("msrp-conformance: no test results found in the log");
        return ExitCode::FAILURE;
    }
    let report = Report::build(&requirements(), &results);
    print!("{}", report.to_text());
    if let Some(path) = flag(args, "--json")
        && let Err(e) = std::fs::write(&path, report.to_json())
    {
        eprintln!("msrp-conformance: cannot write {path}: {e}");
        return ExitCode::FAILURE;
    }
    if report.rows.iter().any(|r| r.failed > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn probe(args: &[String]) -> ExitCode {
    let Some(target) = args.first() else {
        return usage();
    };
    let secs = flag(args, "--timeout")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let results = match msrp_conformance::probe::run(target, std::time::Duration::from_secs(secs)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("msrp-conformance: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for r in &results {
        let (word, detail) = match &r.verdict {
            msrp_conformance::probe::Verdict::Pass => ("pass", String::new()),
            msrp_conformance::probe::Verdict::Fail(d) => {
                failed = true;
                ("FAIL", d.clone())
            }
            msrp_conformance::probe::Verdict::Inconclusive(d) => ("inconclusive", d.clone()),
            _ => ("?", String::new()),
        };
        println!(
            "{word:<13} {:<55} {:<24} {detail}",
            r.name,
            r.requirements.join(",")
        );
    }
    let passed = results
        .iter()
        .filter(|r| r.verdict == msrp_conformance::probe::Verdict::Pass)
        .count();
    println!(
        "probe: {passed} passed, {} failed",
        results
            .iter()
            .filter(|r| matches!(r.verdict, msrp_conformance::probe::Verdict::Fail(_)))
            .count()
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
