//! `msrp relay`: an RFC 4976 relay on TCP (msrp-proto's relay, driven by msrp-tokio).

use std::net::SocketAddr;
use std::path::PathBuf;

use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::uri::Uri;
use msrp_tokio::relay::RelayServer;

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
}

pub(crate) async fn run(o: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let authority = match &o.authority {
        Some(a) => a.clone(),
        None => format!("msrp://{}:{};tcp", o.listen.ip(), o.listen.port()),
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
    let server = RelayServer::bind(o.listen, cfg, creds).await?;
    eprintln!(
        "msrp relay: {} on {} (realm {realm}, {users} users); plain TCP only",
        authority.as_str(),
        server.local_addr()
    );
    server.run().await;
    Ok(())
}
