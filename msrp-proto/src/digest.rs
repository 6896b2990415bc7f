//! HTTP Digest (RFC 2617) as RFC 4976 §9.1 uses it for AUTH: MD5, `qop=auth`, method
//! `AUTH`, digest-uri = the rightmost To-Path URI.
//!
//! MD5 is broken as a hash; RFC 4976 nonetheless mandates it for relay authentication,
//! always under TLS. It is implemented here (RFC 1321, tested against its test suite)
//! rather than pulled in as a dependency because nothing else in the stack needs it.

/// An MD5 digest as 32 lower-case hex characters.
pub type HexDigest = [u8; 32];

/// RFC 1321 MD5 of the concatenation of `parts`.
#[must_use]
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut st = Md5::new();
    for p in parts {
        st.update(p);
    }
    st.finish()
}

/// Lower-case hex of a 16-byte digest.
#[must_use]
pub fn hex(d: &[u8; 16]) -> HexDigest {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, b) in d.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// H(A1) = MD5(username ":" realm ":" password), as hex.
#[must_use]
pub fn ha1(username: &str, realm: &str, password: &str) -> HexDigest {
    hex(&md5(&[
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ]))
}

/// The inputs of a `qop=auth` digest response besides H(A1).
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// The server's nonce.
    pub nonce: &'a str,
    /// The nonce count, 8 hex digits.
    pub nc: &'a str,
    /// The client nonce.
    pub cnonce: &'a str,
    /// The method (`AUTH` for MSRP; empty for the server's `rspauth`).
    pub method: &'a str,
    /// The digest-uri (for MSRP: the rightmost To-Path URI, R4976-060).
    pub uri: &'a str,
}

/// The `qop=auth` request-digest: MD5(HA1 ":" nonce ":" nc ":" cnonce ":auth:" HA2) with
/// HA2 = MD5(method ":" uri). With an empty method this is the server's `rspauth`.
#[must_use]
pub fn response(ha1: &HexDigest, d: &DigestInput<'_>) -> HexDigest {
    let ha2 = hex(&md5(&[d.method.as_bytes(), b":", d.uri.as_bytes()]));
    hex(&md5(&[
        ha1,
        b":",
        d.nonce.as_bytes(),
        b":",
        d.nc.as_bytes(),
        b":",
        d.cnonce.as_bytes(),
        b":auth:",
        &ha2,
    ]))
}

/// Constant-time comparison of two hex digests (case-insensitive), for `response` and
/// `rspauth` checks.
#[must_use]
pub fn digest_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    }) == 0
}

struct Md5 {
    state: [u32; 4],
    buf: [u8; 64],
    buf_len: usize,
    total: u64,
}

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

/// K[i] = floor(abs(sin(i + 1)) × 2^32), RFC 1321 §3.4.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

impl Md5 {
    fn new() -> Self {
        Self {
            state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476],
            buf: [0; 64],
            buf_len: 0,
            total: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len == 64 {
                let block = self.buf;
                self.block(&block);
                self.buf_len = 0;
            }
        }
    }

    fn finish(mut self) -> [u8; 16] {
        let bits = self.total.wrapping_mul(8);
        self.update(&[0x80]);
        while self.buf_len != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_le_bytes());
        let mut out = [0u8; 16];
        for (i, w) in self.state.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn block(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (i, w) in m.iter_mut().enumerate() {
            *w = u32::from_le_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let tmp = d;
            d = c;
            c = b;
            b = b.wrapping_add(
                a.wrapping_add(f)
                    .wrapping_add(K[i])
                    .wrapping_add(m[g])
                    .rotate_left(S[i]),
            );
            a = tmp;
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5_hex(s: &str) -> String {
        String::from_utf8(hex(&md5(&[s.as_bytes()])).to_vec()).unwrap()
    }

    #[test]
    fn rfc1321_test_suite() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex("message digest"),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
        assert_eq!(
            md5_hex("abcdefghijklmnopqrstuvwxyz"),
            "c3fcd3d76192e4007dfb496cca67e13b"
        );
        assert_eq!(
            md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f"
        );
        assert_eq!(
            md5_hex(
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            ),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
    }

    #[test]
    fn split_updates_equal_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let whole = md5(&[&data]);
        for cut in [0, 1, 55, 56, 63, 64, 65, 500, 999] {
            assert_eq!(md5(&[&data[..cut], &data[cut..]]), whole, "cut {cut}");
        }
    }

    #[test]
    fn rfc2617_example_response() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html.
        let h = ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        let r = response(
            &h,
            &DigestInput {
                nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                nc: "00000001",
                cnonce: "0a4f113b",
                method: "GET",
                uri: "/dir/index.html",
            },
        );
        assert_eq!(&r, b"6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn r4976_060_auth_digest_uses_auth_method_and_uri() {
        let h = ha1("alice", "intra.example.com", "secret");
        let input = DigestInput {
            nonce: "n",
            nc: "00000001",
            cnonce: "c",
            method: "AUTH",
            uri: "msrps://alice@intra.example.com;tcp",
        };
        let expected_ha2 = hex(&md5(&[b"AUTH:msrps://alice@intra.example.com;tcp"]));
        let expected = hex(&md5(&[&h, b":n:00000001:c:auth:", &expected_ha2]));
        assert_eq!(response(&h, &input), expected);
        assert!(digest_eq(&expected, &expected.to_ascii_uppercase()));
        assert!(!digest_eq(&expected, &[b'0'; 32]));
    }
}
