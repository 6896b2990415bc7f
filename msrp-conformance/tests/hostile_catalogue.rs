//! Keeps the hostile-input catalogue (`docs/hostile-inputs.md`) true: every row names a
//! test that exists, ids are unique and in order, and the catalogue covers every
//! category with at least 60 entries.

use std::collections::BTreeSet;
use std::path::Path;

/// One row: (id, category, test column).
fn rows() -> Vec<(String, String, String)> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/hostile-inputs.md"
    ))
    .expect("docs/hostile-inputs.md");
    doc.lines()
        .filter(|l| l.starts_with("| H-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 6, "six columns: {l}");
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[5].to_owned(),
            )
        })
        .collect()
}

/// Whether `source` defines a test named `name`: a `fn` or an entry of a test table macro.
fn defines(source: &str, name: &str) -> bool {
    source.contains(&format!("fn {name}("))
        || source.lines().any(|l| {
            l.trim_start()
                .strip_prefix(name)
                .is_some_and(|r| r.starts_with(':'))
        })
}

#[test]
fn every_catalogued_test_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rows = rows();
    for (id, _, test) in &rows {
        if let Some(reason) = test.strip_prefix("pending:") {
            assert!(!reason.trim().is_empty(), "{id}: say why it is pending");
            continue;
        }
        let test = test
            .strip_prefix('`')
            .and_then(|t| t.strip_suffix('`'))
            .unwrap_or_else(|| panic!("{id}: test column is `path::name`: {test}"));
        let (path, name) = test
            .rsplit_once("::")
            .unwrap_or_else(|| panic!("{id}: no `::` in {test}"));
        assert!(
            !path.starts_with('/'),
            "{id}: paths are relative to the repository"
        );
        let source = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("{id}: cannot read {path}: {e}"));
        assert!(defines(&source, name), "{id}: {path} has no test `{name}`");
    }
}

#[test]
fn catalogue_ids_are_unique_and_in_order_and_cover_every_category() {
    let rows = rows();
    assert!(rows.len() >= 60, "only {} entries", rows.len());
    for (i, (id, _, _)) in rows.iter().enumerate() {
        assert_eq!(id, &format!("H-{:03}", i + 1));
    }
    let categories: BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    for c in [
        "framing",
        "headers",
        "URIs",
        "Byte-Range",
        "reports",
        "AUTH/Digest",
        "SDP",
        "connection",
        "engine",
        "relay",
        "TLS",
    ] {
        assert!(categories.contains(c), "no entry for {c}");
    }
}

#[test]
fn the_defines_check_sees_fns_and_table_entries() {
    let src = "fn alpha() {}\nhostile! {\n    beta_case:\n        x => y;\n}\n";
    assert!(defines(src, "alpha"));
    assert!(defines(src, "beta_case"));
    assert!(!defines(src, "beta"));
    assert!(!defines(src, "gamma"));
}
