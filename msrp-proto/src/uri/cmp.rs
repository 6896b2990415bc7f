//! RFC 4975 §6.1 comparison and the matching canonical hash. No allocation.

use core::hash::Hasher;

use super::parse::{hex_val, is_unreserved};
use super::{HostKind, UriRef};

/// The units of a host name after §6.1 normalisation: a literal or a percent-encoded
/// unreserved character becomes its lower-case byte; any other percent-encoded octet
/// stays distinct from its literal form (RFC 3986 §6.2.2.2) as `0x100 | octet`.
struct HostUnits<'a> {
    b: &'a [u8],
    i: usize,
}

impl Iterator for HostUnits<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let c = *self.b.get(self.i)?;
        if c == b'%' {
            let hi = self.b.get(self.i + 1).copied().and_then(hex_val);
            let lo = self.b.get(self.i + 2).copied().and_then(hex_val);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                self.i += 3;
                let v = (hi << 4) | lo;
                return Some(if is_unreserved(v) {
                    u16::from(v.to_ascii_lowercase())
                } else {
                    0x100 | u16::from(v)
                });
            }
        }
        self.i += 1;
        Some(u16::from(c.to_ascii_lowercase()))
    }
}

fn host_units<'a>(u: &UriRef<'a>) -> HostUnits<'a> {
    HostUnits {
        b: u.host_str().as_bytes(),
        i: 0,
    }
}

fn host_eq(a: &UriRef<'_>, b: &UriRef<'_>) -> bool {
    match (a.p.host_kind, b.p.host_kind) {
        (HostKind::V4(x), HostKind::V4(y)) => x == y,
        (HostKind::V6(x), HostKind::V6(y)) => x == y,
        (HostKind::Name, HostKind::Name) => host_units(a).eq(host_units(b)),
        // no DNS: a name never equals an address (R4975-052)
        _ => false,
    }
}

/// RFC 4975 §6.1 (R4975-048..056).
pub(super) fn matches(a: &UriRef<'_>, b: &UriRef<'_>) -> bool {
    a.p.scheme == b.p.scheme // R4975-048 (case folded at parse time)
        && a.p.port == b.p.port // R4975-049/053: explicit ≠ absent
        && a.session_id() == b.session_id() // R4975-054/056: case-sensitive, verbatim
        && a.transport().eq_ignore_ascii_case(b.transport()) // R4975-055
        && host_eq(a, b) // R4975-049/050/052; userinfo ignored (R4975-051)
}

/// Feeds the §6.1 canonical form to `h`: equal URIs (per [`matches`]) feed equal data.
pub(super) fn hash_canonical<H: Hasher>(u: &UriRef<'_>, h: &mut H) {
    h.write_u8(match u.p.scheme {
        super::Scheme::Msrp => 0,
        super::Scheme::Msrps => 1,
    });
    match u.p.port {
        Some(p) => h.write_u32(u32::from(p)),
        None => h.write_u32(u32::MAX),
    }
    match u.session_id() {
        Some(s) => {
            h.write_u8(1);
            h.write(s.as_bytes());
            h.write_u8(0xff);
        }
        None => h.write_u8(0),
    }
    for c in u.transport().bytes() {
        h.write_u8(c.to_ascii_lowercase());
    }
    h.write_u8(0xff);
    match u.p.host_kind {
        HostKind::V4(a) => {
            h.write_u8(4);
            h.write(&a.octets());
        }
        HostKind::V6(a) => {
            h.write_u8(6);
            h.write(&a.octets());
        }
        HostKind::Name => {
            h.write_u8(0);
            for unit in host_units(u) {
                h.write_u16(unit);
            }
            h.write_u16(u16::MAX);
        }
    }
}
