//! The `msrp` command: a self-contained demo, and file transfer and chat between two
//! machines with the SDP offer/answer exchanged through files or stdin/stdout.

mod demo;
mod p2p;
mod relay;
mod ui;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// MSRP (RFC 4975) sessions from the command line.
#[derive(Debug, Parser)]
#[command(name = "msrp", version, about)]
struct Cli {
    /// Log what the stack does (tracing output on stderr; repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Two endpoints on loopback negotiate through a simulated media anchor: with CEMA they
    /// chat and send a file over TLS end to end; without CEMA the answerer refuses.
    Demo {
        /// Run only the part without CEMA.
        #[arg(long)]
        no_cema: bool,
        /// Size of the file sent in the demo, in bytes.
        #[arg(long, default_value_t = 8 << 20)]
        file_size: usize,
    },
    /// Wait for a peer (answer its offer) and receive messages and files.
    Listen {
        #[command(flatten)]
        common: p2p::Common,
        /// Directory for received files.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Offer a session, connect and send one file (with a progress bar).
    Send {
        /// The file to send.
        file: PathBuf,
        #[command(flatten)]
        common: p2p::Common,
        /// Its content type.
        #[arg(long = "type", default_value = "application/octet-stream")]
        content_type: String,
    },
    /// Chat line by line: one side offers, the other runs with --accept.
    Chat {
        #[command(flatten)]
        common: p2p::Common,
        /// Answer the other side's offer and wait for its connection.
        #[arg(long)]
        accept: bool,
    },
    /// Run an RFC 4976 relay: AUTH with Digest against an htdigest file, forwarding
    /// with re-chunking and back-pressure (plain TCP for now).
    Relay {
        #[command(flatten)]
        options: relay::Options,
    },
}

fn main() {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info,msrp_tokio=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => fail(&e),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo { no_cema, file_size } => demo::run(no_cema, file_size).await,
            Command::Listen { common, out } => p2p::listen(&common, out).await,
            Command::Send {
                file,
                common,
                content_type,
            } => p2p::send(&common, &file, &content_type).await,
            Command::Chat { common, accept } => p2p::chat(&common, accept).await,
            Command::Relay { options } => relay::run(&options).await,
        }
    });
    // Stdin readers may still block a runtime thread: do not wait for them.
    runtime.shutdown_background();
    if let Err(e) = result {
        fail(&*e);
    }
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("msrp: error: {e}");
    std::process::exit(1);
}
