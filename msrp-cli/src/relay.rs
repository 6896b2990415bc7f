//! `msrp relay`: an RFC 4976 relay on TCP and TLS (msrp-proto's relay, driven by
//! msrp-tokio).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::tls::{LocalCertificate, TlsServerConfig, TrustRoots, WallClock};
use msrp_proto::uri::Uri;
use msrp_tokio::relay::RelayServer;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

/// Options of `msrp relay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:2855")]
    listen: SocketAddr,
    /// The relay's own URI, as clients put it in To-Path (default: `msrp://` + the listen
    /// address + `;tcp`). Its host and port must be how clients reach this relay.
    #[arg(long)]
    authority: Option<String>,
    /// Digest realm (default: the authority's host).
    #[arg(long)]
    realm: Option<String>,
    /// Credentials in htdigest format (`user:realm:HA1` per line), e.g. made with Apache's
    /// `htdigest`. Passwords are never logged.
    #[arg(long)]
    credentials: PathBuf,
    /// Shortest lifetime granted to an AUTH (seconds); shorter requests get 423.
    #[arg(long, default_value_t = 60)]
    min_expires: u32,
    /// Longest lifetime granted to an AUTH (seconds); longer requests get 423.
    #[arg(long, default_value_t = 3600)]
    max_expires: u32,
    /// Also listen for TLS (`msrps`, where RFC 4976 wants AUTH) on this address; needs
    /// `--cert` and `--key`. The default authority is then `msrps://` + this address.
    #[arg(long, requires_all = ["cert", "key"])]
    tls_listen: Option<SocketAddr>,
    /// The relay's certificate chain (PEM), naming the authority's host.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Its private key (PEM, PKCS#8).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Trust roots (PEM) for dialling `msrps` next hops (other relays) over TLS, checked by
    /// name; the relay presents `--cert` there if given. Without it, `msrps` next hops are
    /// refused rather than dialled in plain TCP.
    #[arg(long)]
    tls_roots: Option<PathBuf>,
    /// Trust roots (PEM) for peer relays on the TLS listener: it then requests client
    /// certificates, and a peer presenting one these roots accept is a relay that may
    /// forward in its certificate's names (mutual TLS, RFC 4976 §6.1). Clients present
    /// none and authenticate with Digest.
    #[arg(long, requires = "tls_listen")]
    peer_roots: Option<PathBuf>,
}

/// The system clock, for certificate validity when dialling over TLS.
#[derive(Debug)]
struct SystemClock;

impl WallClock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the CLI is where real time enters
    fn unix_time(&self) -> Option<std::time::Duration> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
    }
}

/// Trust roots from a PEM file.
fn load_roots(path: &Path) -> Result<TrustRoots, Box<dyn std::error::Error>> {
    let mut roots = TrustRoots::new();
    for c in CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))? {
        let c = c.map_err(|e| format!("{}: {e}", path.display()))?;
        roots
            .add_der(&c)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{}: no certificate", path.display()).into());
    }
    Ok(roots)
}

/// The TLS identity from `--cert` / `--key`.
fn load_identity(cert: &Path, key: &Path) -> Result<LocalCertificate, Box<dyn std::error::Error>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate", cert.display()).into());
    }
    let key_der = PrivatePkcs8KeyDer::from_pem_file(key)
        .map_err(|e| format!("{}: {e} (a PKCS#8 key is needed)", key.display()))?;
    let local = LocalCertificate::from_der(
        chain.iter().map(|c| c.to_vec()).collect(),
        key_der.secret_pkcs8_der().to_vec(),
    )
    .map_err(|e| format!("{}: {e}", cert.display()))?;
    Ok(local)
}

pub(crate) async fn run(o: &Options) -> Result<(), Box<dyn std::error::Error>> {
    // Bind first: the default authority names the ports actually bound (port 0 works).
    let plain = tokio::net::TcpListener::bind(o.listen).await?;
    let identity = match (&o.cert, &o.key) {
        (Some(cert), Some(key)) => Some(load_identity(cert, key)?),
        _ => None,
    };
    let tls = match (o.tls_listen, &identity) {
        (Some(addr), Some(local)) => {
            let mut config = TlsServerConfig::by_name(local.clone());
            if let Some(path) = &o.peer_roots {
                config =
                    config.with_peer_relays(load_roots(path)?, std::sync::Arc::new(SystemClock));
            }
            Some((tokio::net::TcpListener::bind(addr).await?, config))
        }
        _ => None,
    };
    let authority = match (&o.authority, &tls) {
        (Some(a), _) => a.clone(),
        (None, Some((l, _))) => format!("msrps://{};tcp", l.local_addr()?),
        (None, None) => format!("msrp://{};tcp", plain.local_addr()?),
    };
    let authority =
        Uri::parse(&authority).map_err(|e| format!("--authority {authority}: {e:?}"))?;
    let mut cfg = RelayConfig::new(authority.clone());
    cfg.realm = o
        .realm
        .clone()
        .unwrap_or_else(|| authority.as_ref().host_str().to_owned());
    cfg.min_expires = o.min_expires;
    cfg.max_expires = o.max_expires;
    cfg.default_expires = cfg.default_expires.clamp(o.min_expires, o.max_expires);
    let text = std::fs::read_to_string(&o.credentials)
        .map_err(|e| format!("{}: {e}", o.credentials.display()))?;
    let creds = MemoryCredentials::from_htdigest(&text)
        .map_err(|e| format!("{}: {e:?}", o.credentials.display()))?;
    let users = creds.len();
    let realm = cfg.realm.clone();
    let mut listening = format!("tcp {}", plain.local_addr()?);
    let mut server = RelayServer::with_listener(plain, cfg, creds)?;
    if let Some((l, config)) = tls {
        listening.push_str(&format!(", tls {}", l.local_addr()?));
        if o.peer_roots.is_some() {
            listening.push_str(" (peer relays by certificate)");
        }
        server = server.with_tls_listener(l, config);
    }
    if let Some(path) = &o.tls_roots {
        let roots = load_roots(path)?;
        listening.push_str(&format!(
            ", msrps next hops over TLS ({} roots)",
            roots.len()
        ));
        server = server.with_tls_dial(roots, std::sync::Arc::new(SystemClock), identity);
    }
    eprintln!(
        "msrp relay: {} on {listening} (realm {realm}, {users} users)",
        authority.as_str(),
    );
    server.run().await;
    Ok(())
}
