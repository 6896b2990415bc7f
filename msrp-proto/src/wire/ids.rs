//! Transaction ids and Message-IDs: validated, inline (no heap), generated from a
//! [`RandomSource`].

use core::fmt;

use super::limits::IDENT_CEILING;
use crate::rand::{RandomSource, fill_alphanumeric};

/// Characters in a generated transaction id: 12 × log2(62) ≈ 71 bits ≥ the 64 that
/// R4975-070 demands.
const TID_LEN: usize = 12;
/// Characters in a generated Message-ID: ≈ 95 bits, so ids never repeat (R4975-090).
const MID_LEN: usize = 16;

/// Why a string is not an RFC 4975 `ident`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentError {
    /// Fewer than 4 characters.
    TooShort,
    /// More than [`IDENT_CEILING`] characters.
    TooLong,
    /// A character outside `ALPHANUM . - + % =`, or a first character that is not
    /// alphanumeric.
    BadCharacter,
}

impl fmt::Display for IdentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooShort => "identifier shorter than 4 characters",
            Self::TooLong => "identifier longer than the ceiling",
            Self::BadCharacter => "character not allowed in an identifier",
        })
    }
}

impl std::error::Error for IdentError {}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Ident {
    len: u8,
    buf: [u8; IDENT_CEILING],
}

impl Ident {
    fn parse(s: &str) -> Result<Self, IdentError> {
        let b = s.as_bytes();
        if b.len() < 4 {
            return Err(IdentError::TooShort);
        }
        if b.len() > IDENT_CEILING {
            return Err(IdentError::TooLong);
        }
        let ok = b[0].is_ascii_alphanumeric()
            && b[1..].iter().all(|&c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'%' | b'=')
            });
        if !ok {
            return Err(IdentError::BadCharacter);
        }
        let mut buf = [0; IDENT_CEILING];
        buf[..b.len()].copy_from_slice(b);
        Ok(Self {
            len: b.len() as u8,
            buf,
        })
    }

    fn random(rng: &mut dyn RandomSource, len: usize) -> Self {
        let mut buf = [0; IDENT_CEILING];
        fill_alphanumeric(rng, &mut buf[..len]);
        Self {
            len: len as u8,
            buf,
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

macro_rules! ident_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Ident);

        impl $name {
            /// Validates `s` as an RFC 4975 `ident` (4 to [`IDENT_CEILING`] characters).
            pub fn parse(s: &str) -> Result<Self, IdentError> {
                Ident::parse(s).map(Self)
            }

            /// The identifier text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = IdentError;
            fn from_str(s: &str) -> Result<Self, IdentError> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

ident_type!(
    /// A transaction id (RFC 4975 §7.1): names one request and its response, and closes
    /// its end-line. Stored inline; `Copy`.
    TransactionId
);
ident_type!(
    /// A Message-ID (RFC 4975 §7.1.1): names one whole message across its chunks and
    /// reports. Stored inline; `Copy`.
    MessageId
);

impl TransactionId {
    /// A fresh random transaction id (12 alphanumerics, ≈ 71 bits, R4975-070).
    pub fn generate(rng: &mut dyn RandomSource) -> Self {
        Self(Ident::random(rng, TID_LEN))
    }

    /// A fresh id whose end-line (`-------` + id) does not occur in `body` (R4975-082):
    /// the receiver would otherwise end the message early.
    pub fn generate_avoiding(rng: &mut dyn RandomSource, body: &[u8]) -> Self {
        loop {
            let tid = Self::generate(rng);
            let mut pattern = [0u8; 7 + IDENT_CEILING];
            pattern[..7].copy_from_slice(b"-------");
            pattern[7..7 + TID_LEN].copy_from_slice(tid.as_str().as_bytes());
            if memchr::memmem::find(body, &pattern[..7 + TID_LEN]).is_none() {
                return tid;
            }
        }
    }
}

impl MessageId {
    /// A fresh random Message-ID (16 alphanumerics, ≈ 95 bits, R4975-090).
    pub fn generate(rng: &mut dyn RandomSource) -> Self {
        Self(Ident::random(rng, MID_LEN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::SeededRandom;

    #[test]
    fn r4975_071_ident_grammar() {
        assert!(TransactionId::parse("6aef").is_ok());
        assert_eq!(TransactionId::parse("6ae"), Err(IdentError::TooShort));
        assert_eq!(TransactionId::parse("-abc"), Err(IdentError::BadCharacter));
        assert_eq!(TransactionId::parse("ab cd"), Err(IdentError::BadCharacter));
        assert!(TransactionId::parse("a.-+%=").is_ok());
        assert_eq!(MessageId::parse(&"a".repeat(65)), Err(IdentError::TooLong));
        assert!(MessageId::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6").is_ok());
    }

    #[test]
    fn r4975_070_generated_ids_are_unique_and_valid() {
        let mut rng = SeededRandom::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100_000 {
            let t = TransactionId::generate(&mut rng);
            assert_eq!(t.as_str().len(), 12);
            assert!(TransactionId::parse(t.as_str()).is_ok());
            assert!(seen.insert(t));
        }
    }

    #[test]
    fn r4975_082_generated_tid_avoids_body() {
        // A body that contains the end-line of the id the generator would pick first.
        let first = TransactionId::generate(&mut SeededRandom::new(9));
        let body = format!("xx\r\n-------{}$\r\nyy", first.as_str());
        let tid = TransactionId::generate_avoiding(&mut SeededRandom::new(9), body.as_bytes());
        assert_ne!(tid, first);
        assert!(!body.contains(&format!("-------{}", tid.as_str())));
    }
}
