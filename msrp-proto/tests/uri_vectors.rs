//! Every URI of the RFC example vectors (R4975-041): the decomposition table
//! `shared/vectors/rfc-uris.tsv`, the path headers of every `*.msrp` vector and the `a=path`
//! attributes of every `*.sdp` vector.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use msrp_proto::uri::{Host, Scheme, UriError, UriRef, path_iter, path_iter_lenient};

const TSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/rfc-uris.tsv"
);
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

/// One row of the table, columns by name.
struct Row {
    uri: String,
    scheme: String,
    userinfo: String,
    host: String,
    port: String,
    session_id: String,
    transport_and_params: String,
    explicit_port: String,
    notes: String,
}

fn rows() -> Vec<Row> {
    let text = fs::read_to_string(TSV).unwrap_or_else(|e| panic!("reading {TSV}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (c_uri, c_scheme, c_user, c_host, c_port, c_sid, c_tp, c_exp, c_notes) = (
        col("uri"),
        col("scheme"),
        col("userinfo"),
        col("host"),
        col("port"),
        col("session_id"),
        col("transport_and_params"),
        col("explicit_port"),
        col("notes"),
    );
    let rows: Vec<Row> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_owned();
            Row {
                uri: get(c_uri),
                scheme: get(c_scheme),
                userinfo: get(c_user),
                host: get(c_host),
                port: get(c_port),
                session_id: get(c_sid),
                transport_and_params: get(c_tp),
                explicit_port: get(c_exp),
                notes: get(c_notes),
            }
        })
        .collect();
    assert!(rows.len() >= 40, "only {} rows in {TSV}", rows.len());
    rows
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

#[test]
fn r4975_041_tsv_rows_decompose_as_documented() {
    let mut parseable = 0;
    let mut unparseable = 0;
    for row in rows() {
        let s = row.uri.as_str();
        if row.notes.contains("UNPARSEABLE") {
            // E-24: strict parse rejects, lenient recovers with the last ':' as port separator
            unparseable += 1;
            assert_eq!(
                UriRef::parse(s).err(),
                Some(UriError::UnbracketedIpv6),
                "{s}"
            );
            let u = UriRef::parse_lenient(s).unwrap_or_else(|e| panic!("{s}: lenient: {e}"));
            let Host::Ipv6(addr) = u.host() else {
                panic!("{s}: host {:?}", u.host())
            };
            let text = s.strip_prefix("msrps://").expect("msrps");
            let (hostport, rest) = text.split_once('/').expect("session-id");
            let (host, port) = hostport.rsplit_once(':').expect("port");
            assert_eq!(addr, host.parse::<std::net::Ipv6Addr>().unwrap(), "{s}");
            assert_eq!(u.host_str(), host);
            assert_eq!(u.port(), Some(port.parse().unwrap()), "{s}");
            let (sid, transport) = rest.split_once(';').unwrap();
            assert_eq!(u.session_id(), Some(sid));
            assert_eq!(u.transport(), transport);
            assert_eq!(u.check_session_uri(), Ok(()));
            continue;
        }
        parseable += 1;
        let u = UriRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let scheme = match row.scheme.as_str() {
            "msrp" => Scheme::Msrp,
            "msrps" => Scheme::Msrps,
            other => panic!("{s}: scheme column {other:?}"),
        };
        assert_eq!(u.as_str(), s);
        assert_eq!(u.scheme(), scheme, "{s}");
        assert_eq!(u.userinfo(), opt(&row.userinfo), "{s}");
        assert_eq!(u.host_str(), row.host, "{s}");
        assert_eq!(
            u.host(),
            Host::Name(&row.host),
            "{s}: every RFC example host is a name"
        );
        assert_eq!(
            u.port(),
            opt(&row.port).map(|p| p.parse::<u16>().unwrap()),
            "{s}"
        );
        assert_eq!(u.session_id(), opt(&row.session_id), "{s}");
        let mut tp = row.transport_and_params.split(';');
        assert_eq!(Some(u.transport()), tp.next(), "{s}");
        let params: Vec<String> = u
            .params()
            .map(|(n, v)| v.map_or_else(|| n.to_owned(), |v| format!("{n}={v}")))
            .collect();
        assert_eq!(params, tp.map(str::to_owned).collect::<Vec<_>>(), "{s}");
        assert_eq!(u.port().is_some(), row.explicit_port == "yes", "{s}");
        // the session-URI check agrees with the table's port/session-id columns
        let session_ok = u.check_session_uri().is_ok();
        assert_eq!(
            session_ok,
            row.explicit_port == "yes" && !row.session_id.is_empty(),
            "{s}"
        );
        // owned round trip
        let o = u.to_owned();
        assert_eq!(o.as_str(), s);
        assert!(o.matches(&u));
    }
    assert_eq!(unparseable, 4);
    assert!(parseable >= 40);
}

fn transport_col(r: &Row) -> &str {
    r.transport_and_params.split(';').next().unwrap_or("")
}

/// The reference §6.1 comparison of two rows, computed from the table's columns.
fn columns_equivalent(a: &Row, b: &Row) -> bool {
    a.scheme == b.scheme
        && a.host.eq_ignore_ascii_case(&b.host)
        && a.port == b.port
        && a.session_id == b.session_id
        && transport_col(a).eq_ignore_ascii_case(transport_col(b))
}

#[test]
fn r4975_048_r4975_056_tsv_pairwise_comparison_matrix() {
    let rows: Vec<Row> = rows()
        .into_iter()
        .filter(|r| !r.notes.contains("UNPARSEABLE"))
        .collect();
    let mut equal_pairs = 0;
    for a in &rows {
        let ua = UriRef::parse(&a.uri).unwrap();
        for b in &rows {
            let ub = UriRef::parse(&b.uri).unwrap();
            let expected = columns_equivalent(a, b);
            assert_eq!(ua.matches(&ub), expected, "{} vs {}", a.uri, b.uri);
            if expected && a.uri != b.uri {
                equal_pairs += 1;
            }
        }
    }
    // the table holds distinct URIs, none of them §6.1-equivalent to another
    assert_eq!(equal_pairs, 0);
}

fn vector_files(ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(VECTORS)
        .unwrap_or_else(|e| panic!("reading {VECTORS}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no *.{ext} vectors");
    v
}

fn tsv_uris() -> HashSet<String> {
    rows().into_iter().map(|r| r.uri).collect()
}

#[test]
fn r4975_041_every_path_header_uri_in_msrp_vectors_parses() {
    let known = tsv_uris();
    let mut headers = 0;
    let mut uris = 0;
    for file in vector_files("msrp") {
        let bytes = fs::read(&file).unwrap();
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = std::str::from_utf8(&line[..colon]).unwrap_or("");
            if !["To-Path", "From-Path", "Use-Path"]
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                continue;
            }
            headers += 1;
            let mut n = 0;
            for u in path_iter(&line[colon + 1..]) {
                let u = u.unwrap_or_else(|e| {
                    panic!("{}: {}: {e}", file.display(), String::from_utf8_lossy(line))
                });
                assert!(
                    known.contains(u.as_str()),
                    "{}: {} not in rfc-uris.tsv",
                    file.display(),
                    u
                );
                n += 1;
            }
            assert!(n >= 1, "{}: empty {name}", file.display());
            uris += n;
        }
    }
    assert!(headers >= 100, "only {headers} path headers found");
    assert!(uris >= headers);
}

/// The value of `a=path:…`, or of RFC 8873's `a=dcsa:<stream-id> path:…`.
fn path_attribute(line: &str) -> Option<&str> {
    line.strip_prefix("a=path:").or_else(|| {
        line.strip_prefix("a=dcsa:")?
            .split_once(' ')?
            .1
            .strip_prefix("path:")
    })
}

#[test]
fn r4975_170_every_sdp_path_attribute_parses_leniently() {
    let known = tsv_uris();
    let mut paths = 0;
    let mut strict_rejects = 0;
    for file in vector_files("sdp") {
        let text = fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(value) = path_attribute(line.trim_end()) else {
                continue;
            };
            paths += 1;
            let strict = path_iter(value.as_bytes());
            for (strict, lenient) in strict.zip(path_iter_lenient(value.as_bytes())) {
                let u = lenient.unwrap_or_else(|e| panic!("{}: {line}: {e}", file.display()));
                assert!(
                    known.contains(u.as_str()),
                    "{}: {} not in rfc-uris.tsv",
                    file.display(),
                    u
                );
                assert_eq!(u.check_session_uri(), Ok(()), "{}: {u}", file.display());
                match strict {
                    Ok(s) => assert!(s.matches(&u)),
                    Err(e) => {
                        // only RFC 8873's unbracketed IPv6 (E-24) needs the lenient parser
                        assert_eq!(e, UriError::UnbracketedIpv6, "{}: {u}", file.display());
                        strict_rejects += 1;
                    }
                }
            }
        }
    }
    assert!(paths >= 15, "only {paths} a=path lines");
    assert_eq!(strict_rejects, 4);
}
