//! A file-backed [`FingerprintStore`] (feature `fingerprint-file-store`).
//!
//! This is the one place in msrp-proto that touches the file system, which is why it is
//! behind a non-default feature: the default build stays sans-IO, and the adapters
//! (`msrp-tokio`, `msrp-smol`) enable the feature instead of each writing their own copy of
//! the format. The file is read once when opened and rewritten (to a temporary file, then
//! renamed over the original) only when a pin is added or changes — once per new peer or
//! changed certificate, not per connection.
//!
//! Format, one pin per line, UTF-8: `<identity> TAB <a=fingerprint value>`. In identities,
//! `%`, TAB, CR and LF are written as `%25`, `%09`, `%0D`, `%0A`. Lines starting with `#`
//! and empty lines are ignored.

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::store::{PinStatus, PinStoreError, observe_in};
use super::{Fingerprint, FingerprintStore};

/// Pins persisted in a text file.
#[derive(Debug)]
pub struct FileFingerprintStore {
    path: PathBuf,
    pins: Mutex<HashMap<String, Fingerprint>>,
}

impl FileFingerprintStore {
    /// Opens (or, if it does not exist, starts) the store at `path`.
    ///
    /// # Errors
    /// The file exists but cannot be read, or a line is malformed (reported with its
    /// number, so a damaged file is not silently forgotten).
    pub fn open(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let pins = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path,
            pins: Mutex::new(pins),
        })
    }

    /// Where the pins are kept.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn persist(&self, pins: &HashMap<String, Fingerprint>) -> io::Result<()> {
        let mut entries: Vec<_> = pins.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut text = String::from("# msrp fingerprint pins (RFC 6714 section 7.7)\n");
        for (identity, fp) in entries {
            text.push_str(&escape(identity));
            text.push('\t');
            text.push_str(&fp.to_string());
            text.push('\n');
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl FingerprintStore for FileFingerprintStore {
    fn observe(&self, identity: &str, seen: &Fingerprint) -> Result<PinStatus, PinStoreError> {
        let mut pins = self
            .pins
            .lock()
            .map_err(|_| PinStoreError::new("poisoned lock"))?;
        let status = observe_in(&mut pins, identity, seen);
        if status != PinStatus::Unchanged {
            self.persist(&pins)
                .map_err(|e| PinStoreError::new(format!("{}: {e}", self.path.display())))?;
        }
        Ok(status)
    }

    fn get(&self, identity: &str) -> Option<Fingerprint> {
        self.pins.lock().ok()?.get(identity).copied()
    }
}

fn parse(text: &str) -> io::Result<HashMap<String, Fingerprint>> {
    let mut pins = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("fingerprint store line {}: {what}", n + 1),
            )
        };
        let (identity, value) = line.split_once('\t').ok_or_else(|| bad("no TAB"))?;
        let identity = unescape(identity).ok_or_else(|| bad("bad escape"))?;
        let fp = Fingerprint::parse(value).map_err(|e| bad(&e.to_string()))?;
        pins.insert(identity, fp);
    }
    Ok(pins)
}

fn escape(identity: &str) -> String {
    let mut out = String::with_capacity(identity.len());
    for c in identity.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\t' => out.push_str("%09"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "09" => '\t',
            "0D" | "0d" => '\r',
            "0A" | "0a" => '\n',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::HashAlgorithm;

    #[test]
    fn r6714_028_pins_survive_reopen() {
        let dir = std::env::temp_dir().join(format!("msrp-pins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pins.txt");
        let _ = std::fs::remove_file(&path);
        let a = Fingerprint::of_der(HashAlgorithm::Sha256, b"a");
        let b = Fingerprint::of_der(HashAlgorithm::Sha384, b"b");
        let odd = "sip:odd%\tname\r\n@example.com";
        {
            let store = FileFingerprintStore::open(&path).unwrap();
            assert_eq!(store.observe("bob", &a), Ok(PinStatus::FirstSeen));
            assert_eq!(store.observe(odd, &b), Ok(PinStatus::FirstSeen));
        }
        let store = FileFingerprintStore::open(&path).unwrap();
        assert_eq!(store.get("bob"), Some(a));
        assert_eq!(store.get(odd), Some(b));
        assert_eq!(
            store.observe("bob", &b),
            Ok(PinStatus::Changed { previous: a })
        );
        let store = FileFingerprintStore::open(&path).unwrap();
        assert_eq!(store.get("bob"), Some(b));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_file_is_an_error_not_an_empty_store() {
        assert!(parse("bob\tsha-256 00").is_err());
        assert!(parse("bob sha-256 00").is_err());
        assert!(parse("b%zzob\tsha-1 00").is_err());
        assert!(parse("# comment\n\n").unwrap().is_empty());
    }
}
