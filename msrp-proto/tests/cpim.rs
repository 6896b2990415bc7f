//! `message/cpim` (RFC 3862) as RFC 4975 §13 requires it: the §11.4 example, wrapping
//! before chunking, the headers every endpoint recognises, repetition rules, and the
//! parser/builder pair under proptest.

mod sim;

use bytes::Bytes;
use msrp_proto::cpim::{Cpim, CpimBuilder, CpimError};
use msrp_proto::engine::{Config, OutgoingMessage};
use msrp_proto::wire::{Decoder, Event};
use proptest::prelude::*;
use sim::Sim;

const CHUNK1: &[u8] = include_bytes!("vectors/rfc4975-11.4-01-send-cpim-chunk1.msrp");
const CHUNK2: &[u8] = include_bytes!("vectors/rfc4975-11.4-02-send-cpim-chunk2.msrp");

/// The body bytes of one frame.
fn body_of(frame: &[u8]) -> Vec<u8> {
    let mut d = Decoder::default();
    let (mut at, mut body) = (0, Vec::new());
    loop {
        let (n, ev) = d.decode(&frame[at..]).unwrap();
        at += n;
        match ev {
            Event::Body(b) => body.extend_from_slice(b),
            Event::End(_) | Event::NeedMore => return body,
            _ => {}
        }
    }
}

/// R4975-223 / R4975-224 on RFC 4975 §11.4 (Figs 14, 15): the CPIM headers are in the
/// first chunk only; the two bodies together are one CPIM document (this example runs
/// the message and MIME header blocks together, which the parser accepts).
#[test]
fn r4975_223_r4975_224_the_rfc_4975_11_4_document() {
    let (b1, b2) = (body_of(CHUNK1), body_of(CHUNK2));
    assert!(String::from_utf8_lossy(&b1).starts_with("To: Bob"));
    assert!(
        !String::from_utf8_lossy(&b2).contains(':'),
        "headers only in chunk 1"
    );
    let doc = [b1, b2].concat();
    let c = Cpim::parse(&doc).unwrap();
    assert_eq!(c.from(), Some("Alice <sip:alice@example.com>"));
    assert_eq!(c.to().collect::<Vec<_>>(), ["Bob <sip:bob@example.com>"]);
    assert_eq!(c.date_time(), Some("2006-05-15T15:02:31-03:00"));
    assert_eq!(c.content_type(), Some("text/plain"));
    // The CRLF before each end-line belongs to the framing, not the body.
    assert_eq!(c.body(), b"ABCD1234567890");
}

/// R4975-222 / R4975-223: an engine with its default configuration takes message/cpim;
/// a document built first and sent in small chunks arrives whole, Byte-Range counting
/// the whole document and the CPIM headers in the first chunk only.
#[test]
fn r4975_222_r4975_223_wrapping_happens_before_chunking() {
    let doc = CpimBuilder::new("Alice <sip:alice@example.com>", "Bob <sip:bob@example.com>")
        .date_time("2026-12-05T10:00:00Z")
        .build("text/plain", &[b'z'; 300])
        .unwrap();
    let mut cfg = sim::config(70);
    cfg.max_send_chunk_body = Some(64);
    let (mut sim, sa, _) = Sim::pair(70, cfg, Config::default());
    let id = sim
        .a
        .ep
        .send_message(sa, OutgoingMessage::whole("message/cpim", doc.clone()))
        .unwrap();
    sim.drive();
    let got = sim.b.bodies[&id].bytes().to_vec();
    assert_eq!(got, &doc[..]);
    let c = Cpim::parse(&got).unwrap();
    assert_eq!(c.body(), &[b'z'; 300][..]);
    let wrote = String::from_utf8_lossy(&sim.a.wrote[&sim.links[0].0]).into_owned();
    let total = format!("/{}\r\n", doc.len());
    // This message's chunks (not the bodiless binding SEND's `1-0/0`).
    let ranges: Vec<&str> = wrote
        .lines()
        .filter(|l| l.starts_with("Byte-Range: ") && !l.ends_with("/0"))
        .collect();
    assert!(ranges.len() >= 5, "{ranges:?}");
    assert!(
        ranges
            .iter()
            .all(|r| format!("{r}\r\n").ends_with(&total) || r.ends_with("/*")),
        "{ranges:?}"
    );
    assert_eq!(wrote.matches("From: Alice").count(), 1);
}

/// R4975-224: From, To, DateTime and Require are recognised, cc and Subject too, and the
/// name space mechanism (NS prefixes, Require naming extension headers).
#[test]
fn r4975_224_headers_ns_and_require() {
    let doc = b"From: MR SANDERS <im:piglet@100akerwood.com>\r\n\
To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n\
cc: Owl <im:owl@100akerwood.com>\r\n\
DateTime: 2000-12-13T13:40:00-08:00\r\n\
Subject: the weather will be fine today\r\n\
Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n\
NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n\
Require: MyFeatures.VitalMessageOption\r\n\
MyFeatures.VitalMessageOption: Confirmation-requested\r\n\
\r\n\
Content-type: text/xml; charset=utf-8\r\n\
Content-ID: <1234567890@foo.com>\r\n\
\r\n\
<body>\r\n";
    let c = Cpim::parse(doc).unwrap();
    assert_eq!(c.from(), Some("MR SANDERS <im:piglet@100akerwood.com>"));
    assert_eq!(c.cc().count(), 1);
    assert_eq!(c.subject().count(), 2);
    assert_eq!(
        c.ns().collect::<Vec<_>>(),
        [("MyFeatures", "mid:MessageFeatures@id.foo.com")]
    );
    assert_eq!(
        c.require().collect::<Vec<_>>(),
        ["MyFeatures.VitalMessageOption"]
    );
    assert_eq!(
        c.header("MyFeatures.VitalMessageOption"),
        Some("Confirmation-requested")
    );
    assert_eq!(
        c.unsupported_required(&[]),
        Some("MyFeatures.VitalMessageOption")
    );
    assert_eq!(
        c.unsupported_required(&["MyFeatures.VitalMessageOption"]),
        None
    );
    assert_eq!(c.content_type(), Some("text/xml; charset=utf-8"));
    assert_eq!(c.content_header("content-id"), Some("<1234567890@foo.com>"));
    assert_eq!(c.body(), b"<body>\r\n");
}

/// R4975-225: what we send always has From and To; values cannot inject header lines.
#[test]
fn r4975_225_built_documents_have_from_and_to() {
    assert_eq!(
        CpimBuilder::new("", "Bob <sip:bob@example.com>").build("text/plain", b"x"),
        Err(CpimError::MissingFromOrTo)
    );
    assert_eq!(
        CpimBuilder::new("Alice <sip:alice@example.com>", " ").build("text/plain", b"x"),
        Err(CpimError::MissingFromOrTo)
    );
    assert_eq!(
        CpimBuilder::new(
            "Alice <sip:a@example.com>\r\nTo: Mallory",
            "Bob <sip:b@example.com>"
        )
        .build("text/plain", b"x"),
        Err(CpimError::BadValue)
    );
    let doc = CpimBuilder::new("Alice <sip:a@example.com>", "Bob <sip:b@example.com>")
        .to("Carol <sip:c@example.com>")
        .build("text/plain", b"hi")
        .unwrap();
    assert_eq!(
        &doc[..],
        b"From: Alice <sip:a@example.com>\r\nTo: Bob <sip:b@example.com>\r\n\
To: Carol <sip:c@example.com>\r\n\r\nContent-Type: text/plain\r\n\r\nhi"
    );
}

/// R4975-226: only To, cc, NS (and Subject per language) repeat; a second From,
/// DateTime or Require is refused, parsing and building.
#[test]
fn r4975_226_repetition_rules() {
    for h in ["From", "DateTime", "Require"] {
        let doc = format!(
            "From: a <sip:a@x>\r\nTo: b <sip:b@x>\r\n{h}: one\r\n{h}: two\r\n\r\nContent-Type: text/plain\r\n\r\nx"
        );
        let doc = doc.replacen(
            "From: a <sip:a@x>\r\n",
            if h == "From" {
                ""
            } else {
                "From: a <sip:a@x>\r\n"
            },
            1,
        );
        assert!(
            matches!(Cpim::parse(doc.as_bytes()), Err(CpimError::Repeated(_))),
            "{h}"
        );
        let built = CpimBuilder::new("a <sip:a@x>", "b <sip:b@x>")
            .header(h, "one")
            .header(h, "two")
            .build("text/plain", b"x");
        assert!(matches!(built, Err(CpimError::Repeated(_))), "{h}");
    }
    let ok = b"From: a <sip:a@x>\r\nTo: b <sip:b@x>\r\nTo: c <sip:c@x>\r\ncc: d <sip:d@x>\r\ncc: e <sip:e@x>\r\nNS: P <u:1>\r\nNS: Q <u:2>\r\n\r\nContent-Type: text/plain\r\n\r\nx";
    let c = Cpim::parse(ok).unwrap();
    assert_eq!(c.to().count(), 2);
    assert_eq!(c.cc().count(), 2);
    assert_eq!(c.ns().count(), 2);
    assert_eq!(c.require().count(), 0);
}

/// Hostile documents: no empty line, a header flood, a line without a colon.
#[test]
fn hostile_cpim_documents_are_typed_errors() {
    assert_eq!(
        Cpim::parse(b"From: a\r\nTo: b\r\n"),
        Err(CpimError::Truncated)
    );
    assert_eq!(
        Cpim::parse(b"garbage line\r\n\r\n"),
        Err(CpimError::BadHeaderLine(0))
    );
    let flood = "X-A: 1\r\n".repeat(100) + "\r\nContent-Type: t/p\r\n\r\n";
    assert_eq!(
        Cpim::parse_with_limit(flood.as_bytes(), 64),
        Err(CpimError::TooManyHeaders)
    );
}

proptest! {
    /// Arbitrary bytes never panic the parser.
    #[test]
    fn cpim_parse_never_panics(doc in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Cpim::parse(&doc);
    }

    /// What the builder writes, the parser reads back.
    #[test]
    fn cpim_build_parse_roundtrip(
        from in "[A-Za-z]{1,8} <sip:[a-z]{1,8}@example[.]com>",
        tos in proptest::collection::vec("[A-Za-z]{1,8} <sip:[a-z]{1,8}@example[.]net>", 1..4),
        subject in proptest::option::of("[ -~]{0,30}"),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut b = CpimBuilder::new(&from, &tos[0]);
        for t in &tos[1..] {
            b = b.to(t);
        }
        if let Some(s) = &subject {
            b = b.subject(s);
        }
        let doc: Bytes = b.build("application/octet-stream", &body).unwrap();
        let c = Cpim::parse(&doc).unwrap();
        prop_assert_eq!(c.from(), Some(from.as_str()));
        prop_assert_eq!(c.to().collect::<Vec<_>>(), tos.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(c.subject().next(), subject.as_deref().map(str::trim));
        prop_assert_eq!(c.content_type(), Some("application/octet-stream"));
        prop_assert_eq!(c.body(), &body[..]);
    }
}
