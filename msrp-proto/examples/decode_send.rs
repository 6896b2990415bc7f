//! Decodes the canonical 295 B SEND of `shared/perf/targets.md` N times (default 100 000):
//! the harness for instruction counts, e.g.
//! `valgrind --tool=callgrind target/release/examples/decode_send 1000`.

use msrp_proto::wire::{Decoder, Event};

const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652\r\n\
Byte-Range: 1-66/66\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there? This is the canonical sixty-six byte body.\r\n\
-------a786hjs2$\r\n";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut decoder = Decoder::default();
    let mut body = 0;
    for _ in 0..n {
        let mut input = std::hint::black_box(SEND);
        loop {
            let (consumed, event) = decoder.decode(input).expect("valid frame");
            match event {
                Event::Body(b) => body += b.len(),
                Event::End(_) => break,
                _ => {}
            }
            input = &input[consumed..];
        }
    }
    assert_eq!(body, 66 * n);
}
