//! Unit tests, named after the requirement they check.

use super::*;

#[test]
fn r4975_041_parses_typical_uri() {
    let u = UriRef::parse("msrp://host.example.com:8493/asfd34;tcp").unwrap();
    assert_eq!(u.scheme(), Scheme::Msrp);
    assert_eq!(u.host(), Host::Name("host.example.com"));
    assert_eq!(u.port(), Some(8493));
    assert_eq!(u.session_id(), Some("asfd34"));
    assert_eq!(u.transport(), "tcp");
}
