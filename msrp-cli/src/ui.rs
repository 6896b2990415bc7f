//! Output helpers: abridged SDP, progress bars, hashes, SDP negotiation glue.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use msrp_proto::tls::{Fingerprint, HashAlgorithm};
use msrp_sdp::{CemaFallback, CemaStatus, Connect, DialSource, Origin, Session};

/// The SDP lines that matter for MSRP, indented; long fingerprints shortened.
pub(crate) fn abridged(sdp: &str) -> String {
    let mut out = String::new();
    for line in sdp.lines() {
        let keep = [
            "c=",
            "m=",
            "a=path",
            "a=setup",
            "a=fingerprint",
            "a=msrp-cema",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if keep {
            out.push_str("      ");
            out.push_str(&shorten(line));
            out.push('\n');
        }
    }
    out
}

/// `a=fingerprint:sha-256 AB:CD:…:EF` with the middle left out.
pub(crate) fn shorten(line: &str) -> String {
    if line.len() > 60 && line.contains("sha-") {
        format!("{}…{}", &line[..35], &line[line.len() - 8..])
    } else {
        line.to_owned()
    }
}

/// A fingerprint, shortened for humans.
pub(crate) fn short_fp(fp: &Fingerprint) -> String {
    shorten(&fp.to_string())
}

/// A progress bar for `len` bytes, hidden when stdout is not a terminal.
pub(crate) fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::stdout()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(
        ProgressStyle::with_template(
            "      {msg} [{bar:32}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// SHA-256 of `data`, as hex (the digest helper of msrp-proto's TLS fingerprints).
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    Fingerprint::of_der(HashAlgorithm::Sha256, data)
        .digest()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An SDP origin line for our address.
pub(crate) fn origin(host: &str) -> Origin {
    let address = match host.parse() {
        Ok(ip) => msrp_sdp::Address::Ip(ip),
        Err(_) => msrp_sdp::Address::Name(host.to_owned()),
    };
    Origin {
        username: "-".into(),
        session_id: std::process::id().into(),
        version: 1,
        address,
    }
}

/// What SDP decided, in one line.
pub(crate) fn describe(s: &Session) -> String {
    let cema = match s.cema {
        CemaStatus::Enabled => "CEMA enabled".to_owned(),
        CemaStatus::NotSupportedLocally => "CEMA off (RFC 4975 rules)".to_owned(),
        CemaStatus::NotSignalledByPeer => "CEMA not signalled by the peer".to_owned(),
        CemaStatus::Fallback(f) => format!("CEMA fallback: {}", fallback(f)),
        _ => format!("{:?}", s.cema),
    };
    let connect = match &s.connect {
        Connect::Dial {
            address,
            port,
            source,
            tls,
        } => {
            let from = match source {
                DialSource::CmLine => "the c=/m= address",
                DialSource::PathUri => "the a=path URI",
                _ => "SDP",
            };
            let t = if *tls { "TLS" } else { "TCP" };
            format!("active: dials {address}:{port} over {t} ({from})")
        }
        Connect::Accept => "passive: waits for the peer's connection".to_owned(),
        Connect::Relay { next_hop } => format!("through relay {next_hop}"),
        _ => "?".to_owned(),
    };
    format!("{cema}; {connect}")
}

fn fallback(f: CemaFallback) -> &'static str {
    match f {
        CemaFallback::BothUseRelays => "both sides use relays",
        CemaFallback::OffererRelayActive => "the offerer uses a relay and is active",
        CemaFallback::AnswererRelayCannotBePassive => "our relay cannot be passive",
        CemaFallback::NonCemaOffererRelay => "non-CEMA offerer behind a relay",
        CemaFallback::AnswererRelayNoMiddlebox => "answerer relay, no middlebox",
        CemaFallback::LocalRelayActive => "we are active behind a relay",
        CemaFallback::PeerRelayActive => "the peer is active behind a relay",
        _ => "other",
    }
}
