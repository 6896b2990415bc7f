//! RFC 6714 §4.4 address matching, sans-IO.
//!
//! CEMA compares the `c=` address and `m=` port of a media section with the authority of the
//! `a=path` URIs. Names (in `c=` or in a URI) must be resolved by DNS, and any record may match.
//! This crate never resolves: [`cm_matches_path`] returns
//! [`NeedsResolution`] with the names it needs; the caller resolves them (tokio, smol, a test
//! table…), records the answers in [`Resolutions`] — an empty list for a name that does not
//! resolve — and calls again.
//!
//! Shortcuts that need no DNS: equal IP literals; equal names (ASCII case-insensitive,
//! trailing dot ignored) — a name always resolves like itself. IPv6 addresses are compared as
//! values, which is what the RFC 5952 normalisation achieves; an IPv4-mapped IPv6 address
//! equals its IPv4 address.

use std::collections::BTreeMap;
use std::net::IpAddr;

use msrp_proto::uri::{Host, Uri};

use crate::attrs::{Address, Connection};

/// DNS answers supplied by the caller: name → addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolutions {
    map: BTreeMap<String, Vec<IpAddr>>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolutions {
    /// No answers yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the addresses `name` resolved to (empty: it does not resolve).
    pub fn insert(&mut self, name: &str, addrs: impl IntoIterator<Item = IpAddr>) -> &mut Self {
        self.map.entry(key(name)).or_default().extend(addrs);
        self
    }

    /// The recorded addresses of `name`, if it was resolved.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[IpAddr]> {
        self.map.get(&key(name)).map(Vec::as_slice)
    }
}

/// The names the caller must resolve before matching can finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsResolution {
    /// Distinct names, lower case, in first-seen order.
    pub names: Vec<String>,
}

enum Side<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

fn addrs<'a>(side: &'a Side<'a>, res: &'a Resolutions) -> Option<Vec<IpAddr>> {
    match side {
        Side::Ip(ip) => Some(vec![ip.to_canonical()]),
        Side::Name(n) => res
            .get(n)
            .map(|v| v.iter().map(IpAddr::to_canonical).collect()),
    }
}

/// Does the `c=` address with m-line port `m_port` match the authority of at least one URI of
/// `path` (RFC 6714 §4.4)? With `ignore_port` only addresses are compared (used for the
/// RFC 4145 discard port 9 of a `setup:active` endpoint; see the crate's CEMA page).
///
/// # Errors
/// [`NeedsResolution`] when no URI matched yet and some comparison needs DNS answers that
/// are not in `res`.
pub fn cm_matches_path(
    conn: &Connection,
    m_port: u16,
    ignore_port: bool,
    path: &[Uri],
    res: &Resolutions,
) -> Result<bool, NeedsResolution> {
    let c_side = match &conn.address {
        Address::Ip(ip) => Side::Ip(*ip),
        Address::Name(n) => Side::Name(n),
    };
    let mut needed: Vec<String> = Vec::new();
    let mut need = |n: &str| {
        let k = key(n);
        if !needed.contains(&k) {
            needed.push(k);
        }
    };
    for uri in path {
        let u = uri.as_ref();
        if !ignore_port && u.port() != Some(m_port) {
            continue;
        }
        let u_side = match u.host() {
            Host::Ipv4(a) => Side::Ip(IpAddr::V4(a)),
            Host::Ipv6(a) => Side::Ip(IpAddr::V6(a)),
            Host::Name(n) => Side::Name(n),
            _ => continue,
        };
        if let (Side::Name(a), Side::Name(b)) = (&c_side, &u_side)
            && key(a) == key(b)
        {
            return Ok(true);
        }
        match (addrs(&c_side, res), addrs(&u_side, res)) {
            (Some(x), Some(y)) => {
                if x.iter().any(|a| y.contains(a)) {
                    return Ok(true);
                }
            }
            (x, y) => {
                if let (None, Side::Name(n)) = (&x, &c_side) {
                    need(n);
                }
                if let (None, Side::Name(n)) = (&y, &u_side) {
                    need(n);
                }
            }
        }
    }
    if needed.is_empty() {
        Ok(false)
    } else {
        Err(NeedsResolution { names: needed })
    }
}
