//! `msrp relay`: an RFC 4976 relay on TCP and TLS (msrp-proto's relay, driven by
//! msrp-tokio).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::tls::{LocalCertificate, TlsServerConfig};
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
}

/// The TLS identity from `--cert` / `--key`.
fn load_tls(cert: &Path, key: &Path) -> Result<TlsServerConfig, Box<dyn std::error::Error>> {
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
    Ok(TlsServerConfig::by_name(local))
}

pub(crate) async fn run(o: &Options) -> Result<(), Box<dyn std::error::Error>> {
    // Bind first: the default authority names the ports actually bound (port 0 works).
    let plain = tokio::net::TcpListener::bind(o.listen).await?;
    let tls = match (o.tls_listen, &o.cert, &o.key) {
        (Some(addr), Some(cert), Some(key)) => {
            let config = load_tls(cert, key)?;
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
        server = server.with_tls_listener(l, config);
    }
    eprintln!(
        "msrp relay: {} on {listening} (realm {realm}, {users} users)",
        authority.as_str(),
    );
    server.run().await;
    Ok(())
}
