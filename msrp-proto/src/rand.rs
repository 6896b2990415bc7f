//! Randomness for identifiers.
//!
//! MSRP identifiers are capabilities: a session URI's session-id must carry at least
//! 80 bits from a CSPRNG (RFC 4975 §14.1, R4975-230), transaction ids at least 64 bits
//! (§7.1, R4975-070), and Message-IDs must practically never repeat (§7.1.1, R4975-090).
//!
//! The core never reaches for a global RNG: every component that mints identifiers takes
//! a [`RandomSource`], so simulations can be made reproducible with [`SeededRandom`] while
//! production code uses [`OsRandom`] (the operating system's CSPRNG via `getrandom`).

/// A source of random bytes.
pub trait RandomSource: Send {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

/// The operating system's cryptographically secure generator (`getrandom`).
///
/// This is the default everywhere identifiers leave the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        // getrandom only fails on platforms without an entropy source; continuing with
        // predictable identifiers would silently break R4975-230, so refuse loudly.
        getrandom::fill(dest).expect("the operating system's random number generator failed");
    }
}

/// A deterministic generator (xoshiro256**) for simulations and tests.
///
/// **Not cryptographically secure.** Identifiers minted from it are guessable by anyone
/// who knows the seed; use it only where reproducibility matters more than secrecy.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    s: [u64; 4],
}

impl SeededRandom {
    /// Creates a generator from a 64-bit seed (expanded with SplitMix64).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// The alphabet of generated identifiers: 62 alphanumerics, valid as the first and every
/// other character of an RFC 4975 `ident` and of a `session-id`.
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Fills `out` with random alphanumeric characters, each carrying log2(62) ≈ 5.95 bits.
///
/// Rejection sampling keeps the distribution uniform (no modulo bias), so the entropy
/// claims below hold: 11 characters ≥ 64 bits, 14 characters ≥ 80 bits.
pub fn fill_alphanumeric(rng: &mut dyn RandomSource, out: &mut [u8]) {
    let mut pool = [0u8; 32];
    let mut used = pool.len();
    for slot in out.iter_mut() {
        loop {
            if used == pool.len() {
                rng.fill(&mut pool);
                used = 0;
            }
            let b = pool[used] & 0x3F;
            used += 1;
            if (b as usize) < ALPHABET.len() {
                *slot = ALPHABET[b as usize];
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible() {
        let mut a = SeededRandom::new(7);
        let mut b = SeededRandom::new(7);
        let (mut x, mut y) = ([0u8; 20], [0u8; 20]);
        fill_alphanumeric(&mut a, &mut x);
        fill_alphanumeric(&mut b, &mut y);
        assert_eq!(x, y);
        assert!(x.iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn alphanumeric_covers_alphabet_uniformly_enough() {
        let mut r = SeededRandom::new(1);
        let mut buf = [0u8; 62 * 200];
        fill_alphanumeric(&mut r, &mut buf);
        let mut counts = [0u32; 256];
        for b in buf {
            counts[b as usize] += 1;
        }
        for &c in ALPHABET {
            let n = counts[c as usize];
            assert!(
                (120..=280).contains(&n),
                "char {} seen {n} times",
                c as char
            );
        }
    }

    #[test]
    fn os_random_differs() {
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        fill_alphanumeric(&mut OsRandom, &mut a);
        fill_alphanumeric(&mut OsRandom, &mut b);
        assert_ne!(a, b);
    }
}
