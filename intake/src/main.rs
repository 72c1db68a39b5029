//! `temoin-intake`: OMCT's intake server, on its own. It holds ciphertext
//! only and links neither the vault nor the media codecs.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use temoin_intake::command::{run, IntakeCommand};

/// OMCT's intake server for Témoin: receives sealed bundles, never opens
/// them.
#[derive(Parser, Debug)]
#[command(name = "temoin-intake", version)]
struct Cli {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: IntakeCommand,
}

fn main() -> ExitCode {
    // No core dumps, no ptrace: the process holds the receipt key and the
    // desk token's hash.
    if let Err(e) = temoin_crypto::hygiene::harden_process() {
        eprintln!("temoin-intake: could not disable core dumps for this process: {e}");
    }
    let cli = Cli::parse();
    match run(&cli.command, cli.json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("temoin-intake: {e}");
            ExitCode::FAILURE
        }
    }
}
