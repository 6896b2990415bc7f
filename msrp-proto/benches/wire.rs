//! Wire benchmarks: the decoder against its anchors, measured in the same run with the
//! variants interleaved round-robin (every round runs every variant once) and the median
//! per variant reported. Absolute numbers on a shared VM drift; the ratios are the
//! targets (see `shared/perf/targets.md`).
//!
//! Run with `cargo bench -p msrp-proto --bench wire`. Each figure is printed as one line
//! `ratio <name> <value>`, for scripts; `#` lines are informational.
//!
//! * `body_{64k,16k,2k}_vs_memmem`: throughput of the decoder receiving a 1 MiB text body
//!   (printable ASCII, CRLF every 76 B) in reads of that size, as a fraction of
//!   `memchr::memmem::Finder` searching the same buffer for the end-line needle in pieces
//!   of the same size with needle − 1 bytes of overlap. Higher is better (targets ≥ 0.70,
//!   ≥ 0.70, ≥ 0.60).
//! * `body_adversarial_vs_memmem`: the same with 64 KiB reads over a body made of copies
//!   of the needle with one byte changed, every 64 B (target ≥ 0.50).
//! * `split_64k_vs_one_read_cost`: time to decode the 1 MiB message in 64 KiB reads over
//!   the time in one read. Lower is better (target ≤ 1.2).
//! * `head_vs_httparse_cost`: time to decode the canonical 295 B SEND completely (start
//!   line, headers, path URIs, Byte-Range, body, end-line) over the time httparse takes on
//!   a 214 B MSRP-shaped HTTP block (`SEND /x HTTP/1.1` + the same 5 headers). Lower is
//!   better (target ≤ 2.0).

use std::hint::black_box;
use std::time::{Duration, Instant};

use memchr::memmem::Finder;
use msrp_proto::wire::{Decoder, Event};

const TID: &str = "abcd1234";
const NEEDLE: &[u8] = b"\r\n-------abcd1234";
const MIB: usize = 1 << 20;
const ROUNDS: usize = 301;
/// Target duration of one sample (one variant, one round).
const SAMPLE: Duration = Duration::from_micros(1500);

/// 1 MiB of printable ASCII with CRLF every 76 bytes.
fn text_body(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| match i % 76 {
            74 => b'\r',
            75 => b'\n',
            k => b' ' + ((i / 76 * 7 + k * 13) % 95) as u8,
        })
        .collect()
}

/// Copies of the needle with one byte changed (cycling through its positions), one every
/// 64 bytes, in printable filler.
fn adversarial_body(len: usize) -> Vec<u8> {
    let mut body = text_body(len);
    for (n, block) in body.chunks_mut(64).enumerate() {
        if block.len() < NEEDLE.len() {
            break;
        }
        block[..NEEDLE.len()].copy_from_slice(NEEDLE);
        block[n % NEEDLE.len()] ^= 1;
    }
    assert!(Finder::new(NEEDLE).find(&body).is_none());
    body
}

fn message(body: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "MSRP {TID} SEND\r\n\
         To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
         From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
         Message-ID: 87652491\r\n\
         Byte-Range: 1-{n}/{n}\r\n\
         Content-Type: text/plain\r\n\r\n",
        n = body.len()
    )
    .into_bytes();
    m.extend_from_slice(body);
    m.extend_from_slice(format!("\r\n-------{TID}$\r\n").as_bytes());
    m
}

/// The canonical 295 B SEND (66 B text/plain body).
fn canonical_send() -> Vec<u8> {
    let m = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652\r\n\
Byte-Range: 1-66/66\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there? This is the canonical sixty-six byte body.\r\n\
-------a786hjs2$\r\n"
        .to_vec();
    assert_eq!(m.len(), 295);
    m
}

/// The 214 B MSRP-shaped HTTP block for httparse.
fn httparse_block() -> Vec<u8> {
    let b = b"SEND /x HTTP/1.1\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652491abcd\r\n\
Byte-Range: 1-66/66\r\n\
Content-Type: text/plain\r\n\
\r\n"
        .to_vec();
    assert_eq!(b.len(), 214);
    b
}

/// Decodes `wire` as a socket delivering `read` bytes at a time would present it: the
/// unconsumed bytes stay in front, each read appends. Returns the body bytes seen.
fn decode_in_reads(d: &mut Decoder, wire: &[u8], read: usize) -> usize {
    let (mut start, mut end, mut body) = (0, 0, 0);
    loop {
        end = (end + read).min(wire.len());
        loop {
            let (consumed, ev) = d.decode(black_box(&wire[start..end])).expect("valid");
            start += consumed;
            match ev {
                Event::Head(h) => {
                    black_box(h.byte_range());
                }
                Event::Body(b) => body += black_box(b).len(),
                Event::End(_) => return body,
                Event::NeedMore => break,
                _ => unreachable!(),
            }
        }
    }
}

/// The anchor: the same buffer searched in pieces of `read` bytes, keeping needle − 1
/// bytes of overlap. Returns the needle position.
fn memmem_in_reads(finder: &Finder<'_>, wire: &[u8], read: usize) -> usize {
    let overlap = finder.needle().len() - 1;
    let (mut from, mut end) = (0, 0);
    loop {
        end = (end + read).min(wire.len());
        if let Some(p) = finder.find(black_box(&wire[from..end])) {
            return from + p;
        }
        from = end.saturating_sub(overlap).max(from);
    }
}

struct Variant<'a> {
    name: &'static str,
    run: Box<dyn FnMut() -> usize + 'a>,
    iters: u32,
    ns: Vec<f64>,
}

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock; the library never does
fn time(v: &mut Variant<'_>) -> f64 {
    let t = Instant::now();
    for _ in 0..v.iters {
        black_box((v.run)());
    }
    t.elapsed().as_nanos() as f64 / f64::from(v.iters)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let text = message(&text_body(MIB));
    let adversarial = message(&adversarial_body(MIB));
    let send = canonical_send();
    let block = httparse_block();
    let finder = Finder::new(NEEDLE);
    let body_at = text.len() - NEEDLE.len() - 3;

    // Correctness first (not timed): every variant sees the whole body or the needle.
    let mut d = Decoder::default();
    for read in [64 << 10, 16 << 10, 2 << 10, usize::MAX] {
        assert_eq!(decode_in_reads(&mut d, &text, read), MIB);
        assert_eq!(
            memmem_in_reads(&finder, &text, read.min(text.len())),
            body_at
        );
    }
    assert_eq!(decode_in_reads(&mut d, &adversarial, 64 << 10), MIB);
    assert_eq!(memmem_in_reads(&finder, &adversarial, 64 << 10), body_at);
    assert_eq!(decode_in_reads(&mut d, &send, usize::MAX), 66);
    {
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut req = httparse::Request::new(&mut headers);
        assert!(req.parse(&block).expect("valid").is_complete());
        assert_eq!(req.headers.len(), 5);
    }

    let dec = |wire: &'static [u8], read: usize| -> Box<dyn FnMut() -> usize> {
        let mut d = Decoder::default();
        Box::new(move || decode_in_reads(&mut d, wire, read))
    };
    let text: &'static [u8] = text.leak();
    let adversarial: &'static [u8] = adversarial.leak();
    let send: &'static [u8] = send.leak();
    let finder = &finder;
    let block = &block;
    let mm = move |wire: &'static [u8], read: usize| -> Box<dyn FnMut() -> usize + '_> {
        Box::new(move || memmem_in_reads(finder, wire, read))
    };
    let variant = |name, run| Variant {
        name,
        run,
        iters: 1,
        ns: Vec::with_capacity(ROUNDS),
    };
    let mut variants = vec![
        variant("dec_64k", dec(text, 64 << 10)),
        variant("mm_64k", mm(text, 64 << 10)),
        variant("dec_16k", dec(text, 16 << 10)),
        variant("mm_16k", mm(text, 16 << 10)),
        variant("dec_2k", dec(text, 2 << 10)),
        variant("mm_2k", mm(text, 2 << 10)),
        variant("dec_adv", dec(adversarial, 64 << 10)),
        variant("mm_adv", mm(adversarial, 64 << 10)),
        variant("dec_one", dec(text, usize::MAX)),
        variant("head", dec(send, usize::MAX)),
        variant(
            "httparse",
            Box::new(move || {
                let mut headers = [httparse::EMPTY_HEADER; 8];
                let mut req = httparse::Request::new(&mut headers);
                match req.parse(black_box(block)) {
                    Ok(httparse::Status::Complete(n)) => n,
                    _ => 0,
                }
            }),
        ),
    ];

    // Calibrate the iterations per sample, with warm-up.
    for v in &mut variants {
        for _ in 0..3 {
            let ns = time(v).max(1.0);
            v.iters = ((SAMPLE.as_nanos() as f64 / ns) as u32).clamp(1, 1_000_000);
        }
    }
    for _ in 0..ROUNDS {
        for v in &mut variants {
            let ns = time(v);
            v.ns.push(ns);
        }
    }
    let mut med = |name: &str| {
        let v = variants
            .iter_mut()
            .find(|v| v.name == name)
            .expect("variant");
        median(&mut v.ns)
    };
    let (d64, m64, d16, m16, d2, m2) = (
        med("dec_64k"),
        med("mm_64k"),
        med("dec_16k"),
        med("mm_16k"),
        med("dec_2k"),
        med("mm_2k"),
    );
    let (dadv, madv, done, head, http) = (
        med("dec_adv"),
        med("mm_adv"),
        med("dec_one"),
        med("head"),
        med("httparse"),
    );
    let gbps = |ns: f64| text.len() as f64 / ns;
    println!("# {ROUNDS} rounds, medians; throughput in GB/s, times in ns");
    println!(
        "# decoder 64k/16k/2k/adversarial/one read: {:.2} / {:.2} / {:.2} / {:.2} / {:.2} GB/s",
        gbps(d64),
        gbps(d16),
        gbps(d2),
        gbps(dadv),
        gbps(done)
    );
    println!(
        "# memmem  64k/16k/2k/adversarial:          {:.2} / {:.2} / {:.2} / {:.2} GB/s",
        gbps(m64),
        gbps(m16),
        gbps(m2),
        gbps(madv)
    );
    println!("# 295 B SEND decode {head:.0} ns, httparse 214 B block {http:.0} ns");
    println!("# targets: >= 0.70, >= 0.70, >= 0.60, >= 0.50, <= 1.2, <= 2.0");
    println!("ratio body_64k_vs_memmem {:.3}", m64 / d64);
    println!("ratio body_16k_vs_memmem {:.3}", m16 / d16);
    println!("ratio body_2k_vs_memmem {:.3}", m2 / d2);
    println!("ratio body_adversarial_vs_memmem {:.3}", madv / dadv);
    println!("ratio split_64k_vs_one_read_cost {:.3}", d64 / done);
    println!("ratio head_vs_httparse_cost {:.3}", head / http);
}
