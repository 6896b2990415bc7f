//! The first demo: decode an RFC 4975 SEND fed in small pieces, print what the decoder
//! saw, answer it with a 200 built by the encoder, and re-serialize the request.
//!
//! Run with `cargo run -p msrp-proto --example roundtrip`.

use msrp_proto::uri::UriRef;
use msrp_proto::wire::encode::{write_end_line, write_response};
use msrp_proto::wire::headers::StatusCode;
use msrp_proto::wire::{Decoder, Event, Flag};

const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-23/23\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there?\r\n\
-------a786hjs2$\r\n";

fn main() {
    let mut decoder = Decoder::default();
    // Feed the frame 7 bytes at a time, as a slow socket would deliver it.
    let mut pending: Vec<u8> = Vec::new();
    let mut rewritten: Vec<u8> = Vec::new();
    let mut response: Vec<u8> = Vec::new();
    let bob =
        UriRef::parse("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp").expect("valid URI");
    let mut tid = String::new();
    for piece in SEND.chunks(7) {
        pending.extend_from_slice(piece);
        loop {
            let (consumed, event) = decoder.decode(&pending).expect("a valid frame");
            match event {
                Event::Head(head) => {
                    println!(
                        "head: {} {} tid={} message-id={:?} byte-range={:?} content-type={:?}",
                        head.method().map_or("?", |m| m.as_str()),
                        if head.has_body() {
                            "(with body)"
                        } else {
                            "(bodiless)"
                        },
                        head.transaction_id(),
                        head.message_id(),
                        head.byte_range(),
                        head.content_type().map(|c| c.media_type()),
                    );
                    for field in head.fields() {
                        println!("  {}: {}", field.name, String::from_utf8_lossy(field.value));
                    }
                    rewritten.extend_from_slice(head.as_bytes());
                    tid = head.transaction_id().to_owned();
                    assert!(write_response(
                        &mut response,
                        &head,
                        StatusCode::OK,
                        None,
                        bob
                    ));
                }
                Event::Body(bytes) => {
                    println!("body: {:?}", String::from_utf8_lossy(bytes));
                    rewritten.extend_from_slice(bytes);
                }
                Event::End(flag) => {
                    println!("end: {flag:?}");
                    write_end_line(&mut rewritten, &tid, flag, true);
                }
                Event::NeedMore => break,
                _ => {}
            }
            pending.drain(..consumed);
        }
    }
    assert_eq!(rewritten, SEND, "re-serialization is byte-exact");
    println!(
        "re-serialized {} bytes, identical to the input",
        rewritten.len()
    );
    println!("response:\n{}", String::from_utf8_lossy(&response));
    let _ = Flag::End;
}
