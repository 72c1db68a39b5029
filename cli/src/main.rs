//! `temoin`: the vault from the command line, for people and for scripts.
//!
//! Every command takes `--vault DIR` and `--json`. Passphrases come from a
//! terminal prompt or from `--passphrase-file FILE`, never from arguments.
//! Errors go to standard error in plain words, with exit status 1; `verify`
//! exits with 3 when it finds damage; usage errors exit with 2.
//!
//! This binary holds wiring only: every operation is a call into
//! `temoin-vault`.

mod backup;
mod bundle;
mod handover;
mod passphrase;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use temoin_vault::case::{Case, CaseStatus, Evidence, Testimony};
use temoin_vault::custody::CustodyEntry;
use temoin_vault::{ItemId, KdfChoice, Kind, Passphrase, Vault};

#[derive(Parser, Debug)]
#[command(
    name = "temoin",
    version,
    about = "Témoin: an encrypted vault for documenting torture and ill-treatment"
)]
struct Cli {
    /// The vault folder.
    #[arg(long, global = true, value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE instead of asking.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Machine-readable output on standard output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new vault in an empty or new folder.
    Init {
        /// How costly to make passphrase guessing. `minimum` is for tests and
        /// very weak machines only.
        #[arg(long, value_enum, default_value_t = KdfCost::Calibrated)]
        kdf: KdfCost,
    },
    /// Cases.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Testimonies.
    #[command(subcommand)]
    Testimony(TestimonyCommand),
    /// Evidence files.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Find items whose text contains every word of the query.
    Search {
        /// Words to look for (case and accents are ignored).
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// Check the vault (every record, payload and the custody chain), or,
    /// given FILE, check a sealed bundle: decrypt it, check its signature,
    /// hashes, paths and custody entries, and report. Exit status 0 only if
    /// everything holds and the signer is a key given with --device-key; 3
    /// if anything is wrong; 4 if it is intact but no --device-key was given.
    Verify {
        /// A sealed bundle (`.tar.age`) to check instead of the vault.
        file: Option<PathBuf>,
        /// The age identity file the bundle was sealed for.
        #[arg(long, value_name = "KEYFILE", requires = "file")]
        identity: Option<PathBuf>,
        /// A device public key to trust (minisign, as `temoin device`
        /// prints it, or a .pub file); repeatable.
        #[arg(long = "device-key", value_name = "PUBKEY", requires = "file")]
        device_keys: Vec<String>,
        /// Unpack the checked files and the report into DIR (new or empty).
        #[arg(long, value_name = "DIR", requires = "file")]
        out: Option<PathBuf>,
    },
    /// Seal a case into a bundle (a tar archive inside an age file, signed
    /// by this device) for a litigator, or to carry to OMCT on a USB stick.
    Export {
        /// The case.
        #[arg(long, value_name = "ID")]
        case: String,
        /// Who can open it: an age public key (age1...); repeatable.
        #[arg(long = "recipient", value_name = "AGE_RECIPIENT", required = true)]
        recipients: Vec<String>,
        /// What it is for; only what consent covers goes in.
        #[arg(long, value_enum, default_value_t = PurposeArg::Litigation)]
        purpose: PurposeArg,
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Consents.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Enroll this device with OMCT's intake server (with the one-time
    /// token and the certificate pin OMCT gave).
    Enroll {
        /// The server's address (https://host:port).
        #[arg(long)]
        server: String,
        /// The one-time enrollment token.
        #[arg(long)]
        token: String,
        /// The server's certificate pin (sha256:...).
        #[arg(long)]
        pin: String,
        /// A SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Tor.
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
    /// Seal a case for OMCT and put it in the outbox.
    Submit { case_id: String },
    /// Show the outbox: each submission's state, progress, receipt or last
    /// error.
    Outbox {
        /// Put a failed submission back in the queue.
        #[arg(long, value_name = "BUNDLE_ID")]
        retry: Option<String>,
    },
    /// Send what is in the outbox now.
    Sync {
        /// Keep trying while connectivity comes and goes (until stopped).
        #[arg(long)]
        watch: bool,
        /// Try now, ignoring the back-off after failures.
        #[arg(long)]
        force: bool,
        /// With --watch, seconds between rounds.
        #[arg(long, default_value_t = 15, requires = "watch")]
        interval: u64,
    },
    /// OMCT's intake server.
    #[command(subcommand)]
    Intake(handover::IntakeCommand),
    /// OMCT's desk.
    #[command(subcommand)]
    Desk(handover::DeskCommand),
    /// Show the custody log, or the entries about one item.
    Custody {
        /// An item or case id.
        id: Option<String>,
    },
    /// Change the vault passphrase.
    Passwd {
        /// Read the new passphrase from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Cost of the new passphrase's key derivation.
        #[arg(long, value_enum, default_value_t = KdfCost::Calibrated)]
        kdf: KdfCost,
    },
    /// Show this device's signing key (for enrollment and for anyone
    /// verifying what it signed).
    Device,
    /// Destroy the vault now: its key slots first (that alone makes every
    /// record and file unreadable, even with the passphrase), then its
    /// files. Needs no passphrase. A wipe cut short by a crash finishes at
    /// the next start. A copy of the disk made before still holds the old
    /// slots: see docs/threat-model.md.
    Wipe {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Write an encrypted backup of the vault to FILE (an age file): to a
    /// recovery passphrase (asked twice, or --recovery-passphrase-file), or
    /// to an age public key (--recipient). The vault's own passphrase is
    /// still needed after restoring.
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// An age public key (age1...) instead of a recovery passphrase.
        #[arg(long, value_name = "AGE_PUBLIC_KEY")]
        recipient: Option<String>,
        #[arg(long, value_name = "FILE")]
        recovery_passphrase_file: Option<PathBuf>,
    },
    /// Set a duress passphrase: unlocking with it opens a spare vault
    /// (--outcome decoy: fill it with harmless content; the real vault
    /// stays) or destroys the real vault and opens an empty one (--outcome
    /// shred). It looks and takes as long as a normal unlock. Asks for the
    /// vault's passphrase, then the duress one (or --duress-passphrase-file).
    /// With --remove: the duress passphrase is removed (its slot becomes a
    /// dummy again) and the spare vault destroyed.
    Duress {
        #[arg(long, value_enum, required_unless_present = "remove")]
        outcome: Option<DuressArg>,
        #[arg(long, value_name = "FILE", conflicts_with = "remove")]
        duress_passphrase_file: Option<PathBuf>,
        /// Remove the duress passphrase and destroy the spare vault.
        #[arg(long, conflicts_with = "outcome")]
        remove: bool,
    },
    /// Wipe the vault after N wrong passphrases in a row (`off` for no
    /// limit). The count survives a crash; the limit is visible in the
    /// key-slot file.
    AttemptLimit {
        #[arg(value_name = "N|off")]
        limit: String,
    },
    /// Forget a delivered case: once OMCT's receipt is recorded and the case
    /// has not changed since, delete it (and the people only it names)
    /// from this vault, keeping the receipt in the custody log.
    Forget { case_id: String },
    /// Forget every case as soon as its delivery is confirmed (`on`), or
    /// not (`off`).
    ForgetAfterDelivery {
        #[arg(value_parser = ["on", "off"])]
        policy: String,
    },
    /// Restore a backup into a new vault folder (--vault NEW_DIR, which must
    /// not exist or be empty), then open it with the vault's passphrase and
    /// verify everything.
    Restore {
        file: PathBuf,
        /// An age identity file (for a backup made with --recipient).
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        recovery_passphrase_file: Option<PathBuf>,
    },
    /// Write the vault's payload key to FILE, so that evidence files can be
    /// decrypted with the `age` tool in a disaster. Anyone with the file can
    /// read every evidence file: keep it offline.
    ExportPayloadKey {
        /// Where to write the key (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ConsentCommand {
    /// Record a consent for a case; prints its id.
    Add {
        case_id: String,
        /// A use consented to; repeatable.
        #[arg(long = "scope", value_enum, required = true)]
        scopes: Vec<ScopeArg>,
        /// Who gave it (a name, or how to refer to them).
        #[arg(long)]
        given_by_name: String,
        /// When: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        given_on: String,
        /// How it was given.
        #[arg(long, value_enum, default_value_t = MethodArg::Oral)]
        method: MethodArg,
        /// Conditions and limits, in words.
        #[arg(long)]
        note: Option<String>,
    },
    /// Record that a consent was withdrawn (all scopes, or those given).
    Withdraw {
        id: String,
        /// When: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        on: String,
        /// A scope withdrawn; none means every scope.
        #[arg(long = "scope", value_enum)]
        scopes: Vec<ScopeArg>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PurposeArg {
    /// For proceedings before a court or treaty body.
    Litigation,
    /// For OMCT.
    Omct,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ScopeArg {
    ShareWithOmct,
    Litigation,
    Publication,
    AnonymisedStatistics,
}

impl From<ScopeArg> for temoin_vault::case::ConsentScope {
    fn from(s: ScopeArg) -> Self {
        use temoin_vault::case::ConsentScope as S;
        match s {
            ScopeArg::ShareWithOmct => S::ShareWithOmct,
            ScopeArg::Litigation => S::Litigation,
            ScopeArg::Publication => S::Publication,
            ScopeArg::AnonymisedStatistics => S::AnonymisedStatistics,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MethodArg {
    Oral,
    Written,
    AudioRecorded,
    VideoRecorded,
    Other,
}

impl From<MethodArg> for temoin_vault::case::ConsentMethod {
    fn from(m: MethodArg) -> Self {
        use temoin_vault::case::ConsentMethod as M;
        match m {
            MethodArg::Oral => M::Oral,
            MethodArg::Written => M::Written,
            MethodArg::AudioRecorded => M::AudioRecorded,
            MethodArg::VideoRecorded => M::VideoRecorded,
            MethodArg::Other => M::Other,
        }
    }
}

#[derive(Subcommand, Debug)]
enum CaseCommand {
    /// Create a case; prints its id.
    New {
        /// The case title.
        #[arg(long)]
        title: String,
        /// A short summary.
        #[arg(long)]
        summary: Option<String>,
    },
    /// List cases.
    List,
    /// Show a case and what belongs to it.
    Show { id: String },
    /// Change a case's title, summary or status (makes a new revision).
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
    },
    /// Show every revision of a case.
    History { id: String },
    /// Delete a case and everything that belongs to it (recorded in custody).
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
enum TestimonyCommand {
    /// Add a testimony to a case from a UTF-8 text file.
    Add {
        case_id: String,
        /// The narrative, as a UTF-8 text file.
        #[arg(long, value_name = "FILE")]
        narrative_file: PathBuf,
        /// The language of the testimony.
        #[arg(long)]
        language: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum EvidenceCommand {
    /// Add a file as evidence of a case; prints id, SHA-256, media type.
    Add { case_id: String, file: PathBuf },
    /// Write an evidence item's original back out (recorded in custody).
    Export { id: String, out_file: PathBuf },
    /// Show an evidence item: hash, type, capture metadata (time, GPS,
    /// device), and for a working copy the original it came from.
    Show { id: String },
    /// Make a working copy of an image: metadata stripped and/or regions
    /// blacked out. Prints the new item's id; the original is untouched.
    Redact {
        id: String,
        /// Remove all metadata (EXIF, GPS, XMP, comments).
        #[arg(long)]
        strip_metadata: bool,
        /// A rectangle to black out, in image pixels: x,y,w,h (repeatable).
        #[arg(long = "region", value_name = "X,Y,W,H", value_parser = parse_region)]
        regions: Vec<temoin_vault::redact::Region>,
        /// Blur the regions (coarse blocks, then smoothed) instead of
        /// blacking them out. Black is safer: blocks keep colours and shapes.
        #[arg(long, requires = "regions")]
        blur: bool,
    },
}

fn parse_region(s: &str) -> Result<temoin_vault::redact::Region, String> {
    let parts: Vec<u32> = s
        .split(',')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| "a region is four whole numbers: x,y,w,h".to_owned())?;
    match parts.as_slice() {
        [x, y, w, h] => Ok(temoin_vault::redact::Region {
            x: *x,
            y: *y,
            w: *w,
            h: *h,
        }),
        _ => Err("a region is four whole numbers: x,y,w,h".to_owned()),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum KdfCost {
    Calibrated,
    Minimum,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StatusArg {
    Open,
    UnderReview,
    Submitted,
    Closed,
}

impl From<KdfCost> for KdfChoice {
    fn from(k: KdfCost) -> Self {
        match k {
            KdfCost::Calibrated => KdfChoice::Calibrated,
            KdfCost::Minimum => KdfChoice::Minimum,
        }
    }
}

/// Exit status for a verification that found damage.
const EXIT_DAMAGED: u8 = 3;

/// What a duress passphrase does.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum DuressArg {
    /// Open a spare vault; the real one stays.
    Decoy,
    /// Destroy the real vault, open an empty one.
    Shred,
}

fn main() -> ExitCode {
    // No core dumps, no ptrace: the process holds keys and passphrases.
    if let Err(e) = temoin_vault::harden_process() {
        eprintln!("temoin: could not disable core dumps for this process: {e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("temoin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn vault_dir(cli: &Cli) -> Result<&Path> {
    cli.vault
        .as_deref()
        .ok_or_else(|| anyhow!("no vault given: use --vault DIR"))
}

fn passphrase(cli: &Cli, label: &str) -> Result<Passphrase> {
    match &cli.passphrase_file {
        Some(f) => passphrase::from_file(f),
        None => passphrase::prompt(label),
    }
}

fn unlock(cli: &Cli) -> Result<Vault> {
    let dir = vault_dir(cli)?;
    let p = passphrase(cli, "Vault passphrase: ")?;
    let vault = Vault::unlock(dir, &p)?;
    let damaged = vault.damaged();
    if !damaged.is_empty() {
        eprintln!(
            "Warning: {} item(s) are damaged and cannot be read; run `temoin verify` for details.",
            damaged.len()
        );
    }
    Ok(vault)
}

fn parse_id(s: &str) -> Result<ItemId> {
    s.parse::<ItemId>()
        .map_err(|e| anyhow!("{e}: `{}`", s.chars().take(40).collect::<String>()))
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Init { kdf } => cmd_init(&cli, *kdf)?,
        Command::Case(c) => cmd_case(&cli, c)?,
        Command::Testimony(TestimonyCommand::Add {
            case_id,
            narrative_file,
            language,
        }) => {
            let case = parse_id(case_id)?;
            let narrative = read_text_file(narrative_file)?;
            let mut vault = unlock(&cli)?;
            vault.require::<Case>(case)?;
            let mut t = Testimony::new(case, narrative.to_string());
            t.interview.language = language.clone();
            let id = vault.add(&t)?;
            if cli.json {
                print_json(&json!({ "id": id }))?;
            } else {
                println!("{id}");
            }
        }
        Command::Evidence(e) => cmd_evidence(&cli, e)?,
        Command::Search { query } => {
            let vault = unlock(&cli)?;
            let hits = vault.search(&query.join(" "), 1000);
            if cli.json {
                let rows: Vec<_> = hits
                    .iter()
                    .map(|h| json!({ "id": h.id, "kind": h.kind, "case": h.case }))
                    .collect();
                print_json(&json!(rows))?;
            } else if hits.is_empty() {
                println!("Nothing found.");
            } else {
                for h in hits {
                    match (h.kind, h.case) {
                        (Kind::Case, _) => {
                            let title = vault
                                .get::<Case>(h.id)?
                                .map(|c| c.record.title)
                                .unwrap_or_default();
                            println!("case        {}  {}", h.id, title)
                        }
                        (kind, Some(case)) => {
                            println!("{:<11} {}  (case {case})", kind.name(), h.id)
                        }
                        (kind, None) => println!("{:<11} {}", kind.name(), h.id),
                    }
                }
            }
        }
        Command::Verify { file: None, .. } => return cmd_verify(&cli),
        Command::Verify {
            file: Some(file),
            identity,
            device_keys,
            out,
        } => {
            return bundle::verify(
                file,
                identity.as_deref(),
                device_keys,
                out.as_deref(),
                cli.json,
            )
        }
        Command::Export {
            case,
            recipients,
            purpose,
            out,
        } => {
            let case = parse_id(case)?;
            let mut vault = unlock(&cli)?;
            let purpose = match purpose {
                PurposeArg::Litigation => temoin_vault::bundle::Purpose::Litigation,
                PurposeArg::Omct => temoin_vault::bundle::Purpose::ShareWithOmct,
            };
            bundle::export(&mut vault, case, recipients, purpose, out, cli.json)?;
        }
        Command::Consent(c) => cmd_consent(&cli, c)?,
        Command::Enroll {
            server,
            token,
            pin,
            proxy,
        } => {
            let mut vault = unlock(&cli)?;
            handover::enroll(&mut vault, server, token, pin, proxy.as_deref(), cli.json)?;
        }
        Command::Submit { case_id } => {
            let case = parse_id(case_id)?;
            let mut vault = unlock(&cli)?;
            handover::submit(&mut vault, case, cli.json)?;
        }
        Command::Outbox { retry } => {
            let mut vault = unlock(&cli)?;
            handover::show_outbox(&mut vault, retry.as_deref(), cli.json)?;
        }
        Command::Sync {
            watch,
            force,
            interval,
        } => {
            let mut vault = unlock(&cli)?;
            handover::sync(&mut vault, *watch, *force, *interval, cli.json)?;
        }
        Command::Intake(c) => handover::intake(c, cli.json)?,
        Command::Desk(c) => return handover::desk_cmd(c, cli.json),
        Command::Custody { id } => cmd_custody(&cli, id.as_deref())?,
        Command::Passwd {
            new_passphrase_file,
            kdf,
        } => {
            let old = passphrase(&cli, "Current passphrase: ")?;
            let mut vault = Vault::unlock(vault_dir(&cli)?, &old)?;
            let new = match new_passphrase_file {
                Some(f) => passphrase::from_file(f)?,
                None => passphrase::prompt_new("New passphrase: ")?,
            };
            passphrase::advise(&new);
            vault.change_passphrase(&old, &new, (*kdf).into())?;
            if cli.json {
                print_json(&json!({ "changed": true }))?;
            } else {
                println!("Passphrase changed.");
            }
        }
        Command::Backup {
            out,
            recipient,
            recovery_passphrase_file,
        } => {
            let vault = unlock(&cli)?;
            backup::backup(
                &vault,
                out,
                recipient.as_deref(),
                recovery_passphrase_file.as_deref(),
                cli.json,
            )?;
        }
        Command::Restore {
            file,
            identity,
            recovery_passphrase_file,
        } => {
            let dir = vault_dir(&cli)?;
            return backup::restore(
                file,
                dir,
                identity.as_deref(),
                recovery_passphrase_file.as_deref(),
                || passphrase(&cli, "Passphrase of the restored vault: "),
                cli.json,
            );
        }
        Command::Duress {
            outcome,
            duress_passphrase_file,
            remove,
        } => {
            let dir = vault_dir(&cli)?;
            let current = passphrase(&cli, "Passphrase: ")?;
            let mut vault = Vault::unlock(dir, &current)?;
            let Some(outcome) = (*outcome).filter(|_| !*remove) else {
                vault.remove_duress(&current)?;
                if !cli.json {
                    println!("Duress passphrase removed; the spare vault was destroyed.");
                }
                return Ok(ExitCode::SUCCESS);
            };
            let duress = match duress_passphrase_file {
                Some(f) => passphrase::from_file(f)?,
                None => passphrase::prompt_new("Duress passphrase: ")?,
            };
            let outcome = match outcome {
                DuressArg::Decoy => temoin_vault::duress::DuressOutcome::Decoy,
                DuressArg::Shred => temoin_vault::duress::DuressOutcome::Shred,
            };
            vault.set_duress(&current, &duress, outcome)?;
            if !cli.json {
                println!(
                    "Duress passphrase set. Unlock with it now to fill the spare vault with \
                     harmless content."
                );
            }
        }
        Command::AttemptLimit { limit } => {
            let limit = match limit.as_str() {
                "off" => None,
                n => Some(
                    n.parse::<u32>()
                        .map_err(|_| anyhow!("the limit must be a number of attempts, or `off`"))?,
                ),
            };
            let mut vault = unlock(&cli)?;
            vault.set_attempt_limit(limit)?;
            if !cli.json {
                match limit {
                    Some(n) => {
                        println!("The vault wipes itself after {n} wrong passphrases in a row.")
                    }
                    None => println!("No limit on wrong passphrases."),
                }
            }
        }
        Command::Forget { case_id } => {
            let case = parse_id(case_id)?;
            let mut vault = unlock(&cli)?;
            let r = vault.forget_delivered(case)?;
            if cli.json {
                print_json(&json!({
                    "bundle_id": r.bundle_id, "items": r.items, "people": r.people,
                }))?;
            } else {
                println!(
                    "Forgotten: {} items of the case and {} people only it named. OMCT's receipt \
                     for bundle {} stays in the custody log.",
                    r.items, r.people, r.bundle_id
                );
            }
        }
        Command::ForgetAfterDelivery { policy } => {
            let mut vault = unlock(&cli)?;
            vault.set_forget_after_delivery(policy == "on")?;
            if !cli.json {
                println!("Forget after delivery: {policy}.");
            }
        }
        Command::Wipe { yes } => {
            let dir = vault_dir(&cli)?;
            if !*yes {
                if !std::io::stdin().is_terminal() {
                    bail!("refusing to wipe without confirmation: add --yes");
                }
                eprint!(
                    "This destroys the vault in {} for good. Type WIPE to go on: ",
                    dir.display()
                );
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                if line.trim() != "WIPE" {
                    bail!("not wiped");
                }
            }
            let report = temoin_vault::wipe::wipe(dir)?;
            if cli.json {
                print_json(&json!({
                    "slot_files_destroyed": report.slot_files,
                    "folder_removed": report.folder_removed,
                }))?;
            } else if report.folder_removed {
                println!("Wiped: the key slots were destroyed and the vault removed.");
            } else {
                println!(
                    "Wiped: the key slots were destroyed and the vault's files removed; the \
                     folder stays because it holds files that are not the vault's."
                );
            }
        }
        Command::Device => {
            let vault = unlock(&cli)?;
            let pk = vault.device_public_key();
            if cli.json {
                print_json(&json!({
                    "key_id": pk.id_hex(),
                    "public_key": pk.to_minisign_base64(),
                }))?;
            } else {
                print!("{}", pk.to_minisign_file());
            }
        }
        Command::ExportPayloadKey { out } => {
            if out.exists() {
                bail!("{} already exists; choose another file", out.display());
            }
            let mut vault = unlock(&cli)?;
            vault
                .export_payload_key(out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            if !cli.json {
                eprintln!(
                    "The payload key is in {}. Anyone with this file can read every evidence \
                     file of the vault: keep it offline and destroy it when done.",
                    out.display()
                );
            } else {
                print_json(&json!({ "path": out }))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_init(cli: &Cli, kdf: KdfCost) -> Result<()> {
    let dir = vault_dir(cli)?;
    let p = match &cli.passphrase_file {
        Some(f) => passphrase::from_file(f)?,
        None => {
            eprintln!(
                "Choose a passphrase. It protects everything in the vault; if it is lost, \
                 nobody (not even OMCT) can recover the vault."
            );
            passphrase::prompt_new("New vault passphrase: ")?
        }
    };
    passphrase::advise(&p);
    if !cli.json {
        eprintln!("Creating the vault...");
    }
    let vault = Vault::create(dir, &p, kdf.into())?;
    let pk = vault.device_public_key();
    if cli.json {
        print_json(&json!({ "vault": dir, "device_key_id": pk.id_hex() }))?;
    } else {
        println!("Vault created in {}.", dir.display());
    }
    Ok(())
}

fn cmd_case(cli: &Cli, c: &CaseCommand) -> Result<()> {
    match c {
        CaseCommand::New { title, summary } => {
            let mut case = Case::new(title.clone());
            case.summary = summary.clone();
            let mut vault = unlock(cli)?;
            let id = vault.add(&case)?;
            if cli.json {
                print_json(&json!({ "id": id }))?;
            } else {
                println!("{id}");
            }
        }
        CaseCommand::List => {
            let vault = unlock(cli)?;
            let mut cases = Vec::new();
            for id in vault.list(Kind::Case) {
                cases.push(vault.require::<Case>(id)?);
            }
            cases.sort_by(|a, b| a.record.title.cmp(&b.record.title));
            if cli.json {
                let rows: Vec<_> = cases
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "title": c.record.title,
                            "status": c.record.status,
                            "urgent": c.record.urgent,
                            "revision": c.revision,
                        })
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else if cases.is_empty() {
                println!("No cases yet.");
            } else {
                for c in cases {
                    println!(
                        "{}  {:<12}  {}",
                        c.id,
                        c.record.status.code(),
                        c.record.title
                    );
                }
            }
        }
        CaseCommand::Show { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let case = vault.require::<Case>(id)?;
            let mut testimonies = vault.list_in_case(id, Kind::Testimony);
            testimonies.sort();
            let mut evidence = Vec::new();
            for e in vault.list_in_case(id, Kind::Evidence) {
                evidence.push(vault.require::<Evidence>(e)?);
            }
            evidence.sort_by_key(|e| e.id);
            if cli.json {
                let ev: Vec<_> = evidence
                    .iter()
                    .map(|e| {
                        json!({
                            "id": e.id,
                            "media_type": e.record.media_type,
                            "size": e.record.size,
                            "sha256": e.record.sha256,
                            "original_name": e.record.original_name,
                        })
                    })
                    .collect();
                print_json(&json!({
                    "id": case.id,
                    "revision": case.revision,
                    "case": case.record,
                    "testimonies": testimonies,
                    "evidence": ev,
                }))?;
            } else {
                let r = &case.record;
                println!("Case {}  (revision {})", case.id, case.revision);
                println!("  Title:   {}", r.title);
                if let Some(s) = &r.summary {
                    println!("  Summary: {s}");
                }
                println!(
                    "  Status:  {}{}",
                    r.status.code(),
                    if r.urgent { ", urgent" } else { "" }
                );
                println!("  Testimonies: {}", testimonies.len());
                for t in &testimonies {
                    println!("    {t}");
                }
                println!("  Evidence: {}", evidence.len());
                for e in &evidence {
                    println!(
                        "    {}  {}  {} bytes  sha256 {}",
                        e.id, e.record.media_type, e.record.size, e.record.sha256
                    );
                }
            }
        }
        CaseCommand::Edit {
            id,
            title,
            summary,
            status,
        } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let mut case = vault.require::<Case>(id)?.record;
            if let Some(t) = title {
                case.title = t.clone();
            }
            if let Some(s) = summary {
                case.summary = Some(s.clone());
            }
            if let Some(s) = status {
                case.status = match s {
                    StatusArg::Open => CaseStatus::Open,
                    StatusArg::UnderReview => CaseStatus::UnderReview,
                    StatusArg::Submitted => CaseStatus::Submitted,
                    StatusArg::Closed => CaseStatus::Closed,
                };
            }
            let revision = vault.update(id, &case)?;
            if cli.json {
                print_json(&json!({ "id": id, "revision": revision }))?;
            } else {
                println!("Case {id} is now at revision {revision}.");
            }
        }
        CaseCommand::History { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let history = vault.history::<Case>(id)?;
            if cli.json {
                let rows: Vec<_> = history
                    .iter()
                    .map(|s| json!({ "revision": s.revision, "case": s.record }))
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for s in history {
                    println!(
                        "revision {}: {} [{}]",
                        s.revision,
                        s.record.title,
                        s.record.status.code()
                    );
                }
            }
        }
        CaseCommand::Delete { id } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            if vault.kind_of(id) != Some(Kind::Case) {
                bail!("no case with id {id}");
            }
            vault.delete(id)?;
            if cli.json {
                print_json(&json!({ "deleted": id }))?;
            } else {
                println!("Case {id} and everything in it were deleted; the deletion is in the custody log.");
            }
        }
    }
    Ok(())
}

fn cmd_evidence(cli: &Cli, e: &EvidenceCommand) -> Result<()> {
    match e {
        EvidenceCommand::Add { case_id, file } => {
            let case = parse_id(case_id)?;
            let size = std::fs::metadata(file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let mut vault = unlock(cli)?;
            vault.require::<Case>(case)?;
            let bar = progress_bar(size);
            let stored = vault.ingest_file(case, file, &mut |n| {
                if let Some(b) = &bar {
                    b.set_position(n)
                }
            })?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let r = &stored.record;
            if cli.json {
                print_json(&json!({
                    "id": stored.id,
                    "sha256": r.sha256,
                    "media_type": r.media_type,
                    "size": r.size,
                }))?;
            } else {
                println!("{}", stored.id);
                println!("sha256 {}", r.sha256);
                println!("media type {}, {} bytes", r.media_type, r.size);
            }
        }
        EvidenceCommand::Show { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let e = vault.require::<Evidence>(id)?;
            // A preview that does not open is reported, not fatal: the record
            // itself is what matters here.
            let preview = match vault.preview(id) {
                Ok(Some(_)) => "yes",
                Ok(None) => "no",
                Err(_) => "damaged (run `temoin verify`)",
            };
            let has_preview = preview == "yes";
            if cli.json {
                print_json(&json!({
                    "id": e.id,
                    "revision": e.revision,
                    "evidence": e.record,
                    "preview": has_preview,
                }))?;
            } else {
                let r = &e.record;
                println!("Evidence {}  (revision {})", e.id, e.revision);
                println!("  Case:       {}", r.case_id);
                println!("  Media type: {}, {} bytes", r.media_type, r.size);
                println!("  SHA-256:    {}", r.sha256);
                if let Some(d) = &r.derived_from {
                    use temoin_vault::redact::Operation;
                    let done: Vec<String> = d
                        .operations
                        .iter()
                        .map(|op| match op {
                            Operation::StripMetadata => "metadata stripped".to_owned(),
                            Operation::BlackOut { regions } => {
                                format!("{} region(s) blacked out", regions.len())
                            }
                            Operation::Blur { regions } => {
                                format!("{} region(s) blurred", regions.len())
                            }
                            _ => "another operation".to_owned(),
                        })
                        .collect();
                    println!(
                        "  Working copy of {} (sha256 {}): {}",
                        d.original,
                        d.original_sha256,
                        done.join(", ")
                    );
                }
                match &r.capture {
                    None => println!(
                        "  Capture metadata: none (not a type read at intake, or an image over {} MiB)",
                        temoin_vault::evidence::MAX_IMAGE_BYTES / (1024 * 1024)
                    ),
                    Some(c) => {
                        let is_image = r.media_type.starts_with("image/");
                        let show = |label: &str, v: &Option<String>| {
                            println!("  {label:<11} {}", v.as_deref().unwrap_or("-"))
                        };
                        let show_some = |label: &str, v: &Option<String>| {
                            if let Some(v) = v {
                                println!("  {label:<11} {v}");
                            }
                        };
                        show_some("Format:", &c.format);
                        show("Taken:", &c.taken_at);
                        match &c.gps {
                            Some(g) => println!(
                                "  GPS:        {:.6}, {:.6}{}",
                                g.latitude,
                                g.longitude,
                                g.altitude
                                    .map(|a| format!(", {a:.0} m"))
                                    .unwrap_or_default()
                            ),
                            None if is_image => println!("  GPS:        -"),
                            None => {}
                        }
                        if is_image {
                            show("Make:", &c.make);
                            show("Model:", &c.model);
                            show("Software:", &c.software);
                        } else {
                            show_some("Software:", &c.software);
                        }
                        show_some("Author:", &c.author);
                        show_some("Title:", &c.title);
                        if let (Some(w), Some(h)) = (c.width, c.height) {
                            println!("  Size:       {w} x {h} pixels");
                        }
                        if let Some(d) = c.duration_seconds {
                            println!("  Duration:   {d:.1} s");
                        }
                        match (c.sample_rate, c.channels) {
                            (Some(rate), Some(ch)) => {
                                println!("  Sound:      {rate} Hz, {ch} channel(s)")
                            }
                            (Some(rate), None) => println!("  Sound:      {rate} Hz"),
                            _ => {}
                        }
                        if let Some(p) = c.pages {
                            println!("  Pages:      {p}");
                        }
                        if let Some(o) = c.orientation {
                            println!("  Orientation: {o}");
                        }
                        if c.has_xmp {
                            println!("  XMP metadata present");
                        }
                        if let Some(p) = &c.problem {
                            println!("  Note:       {p}");
                        }
                    }
                }
                println!("  Preview:    {preview}");
            }
        }
        EvidenceCommand::Redact {
            id,
            strip_metadata,
            regions,
            blur,
        } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let how = if *blur {
                temoin_vault::redact::Cover::Blur
            } else {
                temoin_vault::redact::Cover::Black
            };
            let copy = vault.redact_with(id, *strip_metadata, regions, how)?;
            if cli.json {
                print_json(&json!({
                    "id": copy.id,
                    "sha256": copy.record.sha256,
                    "media_type": copy.record.media_type,
                    "size": copy.record.size,
                    "original": id,
                }))?;
            } else {
                println!("{}", copy.id);
            }
        }
        EvidenceCommand::Export { id, out_file } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let facts = vault.export_original(id, out_file)?;
            if cli.json {
                print_json(&json!({
                    "id": id,
                    "sha256": facts.sha256,
                    "size": facts.size,
                    "media_type": facts.media_type,
                    "path": out_file,
                }))?;
            } else {
                println!(
                    "Wrote {} ({} bytes, sha256 {}); the export is in the custody log.",
                    out_file.display(),
                    facts.size,
                    facts.sha256
                );
            }
        }
    }
    Ok(())
}

fn cmd_verify(cli: &Cli) -> Result<ExitCode> {
    let vault = unlock(cli)?;
    let report = vault.verify()?;
    if cli.json {
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        print_json(&json!({
            "ok": report.is_ok(),
            "items": report.items,
            "revisions": report.revisions,
            "payloads": report.payloads,
            "payload_bytes": report.payload_bytes,
            "custody_entries": report.custody_entries,
            "problems": problems,
        }))?;
    } else {
        println!(
            "Checked {} items, {} revisions, {} evidence files ({} bytes), {} custody entries.",
            report.items,
            report.revisions,
            report.payloads,
            report.payload_bytes,
            report.custody_entries
        );
        if report.is_ok() {
            println!("Everything verifies.");
        } else {
            println!("{} problem(s):", report.problems.len());
            for p in &report.problems {
                println!("  - {p}");
            }
        }
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DAMAGED)
    })
}

fn cmd_consent(cli: &Cli, c: &ConsentCommand) -> Result<()> {
    use temoin_vault::case::{Consent, Withdrawal};
    use temoin_vault::PartialDate;
    match c {
        ConsentCommand::Add {
            case_id,
            scopes,
            given_by_name,
            given_on,
            method,
            note,
        } => {
            let mut consent = Consent::new(
                parse_id(case_id)?,
                given_by_name.clone(),
                PartialDate(given_on.clone()),
                scopes.iter().map(|s| (*s).into()).collect(),
            );
            consent.method = (*method).into();
            consent.note = note.clone();
            let mut vault = unlock(cli)?;
            let id = vault.add(&consent)?;
            if cli.json {
                print_json(&json!({ "id": id }))?;
            } else {
                println!("{id}");
            }
        }
        ConsentCommand::Withdraw { id, on, scopes } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let mut consent = vault.require::<Consent>(id)?.record;
            consent.withdrawal = Some(Withdrawal {
                on: PartialDate(on.clone()),
                scopes: scopes.iter().map(|s| (*s).into()).collect(),
                note: None,
            });
            let revision = vault.update(id, &consent)?;
            if cli.json {
                print_json(&json!({ "id": id, "revision": revision }))?;
            } else {
                println!("Consent {id} withdrawn (revision {revision}).");
            }
        }
    }
    Ok(())
}

fn cmd_custody(cli: &Cli, id: Option<&str>) -> Result<()> {
    let id = id.map(parse_id).transpose()?;
    let vault = unlock(cli)?;
    let entries: Vec<CustodyEntry> = vault
        .custody()?
        .into_iter()
        .filter(|e| match id {
            None => true,
            Some(id) => {
                e.body.item == Some(id) || e.body.case == Some(id) || e.body.source == Some(id)
            }
        })
        .collect();
    if cli.json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "body": e.body,
                    // The exact bytes that were signed and hashed, for
                    // auditors checking with minisign and sha256sum.
                    "signed_body": String::from_utf8_lossy(&e.body_bytes),
                    "hash": hex_digest(&e.hash()),
                    "signature": e.signature,
                })
            })
            .collect();
        print_json(&json!(rows))?;
    } else {
        for e in entries {
            let b = &e.body;
            print!("{:>6}  {}  {:<18}", b.seq, b.time, b.action.code());
            if let (Some(kind), Some(item)) = (b.kind, b.item) {
                print!(" {kind} {item}");
            }
            if let Some(r) = b.revision {
                print!(" rev {r}");
            }
            if let Some(h) = &b.sha256 {
                print!(" sha256 {h}");
            }
            if let (Some(src), Some(h)) = (b.source, &b.source_sha256) {
                print!(" from {src} sha256 {h}");
            }
            println!();
        }
    }
    Ok(())
}

fn hex_digest(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn progress_bar(size: u64) -> Option<indicatif::ProgressBar> {
    if size < 16 * 1024 * 1024 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Reads a UTF-8 text file of bounded size.
fn read_text_file(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let limit = temoin_vault::record::limits::LONG as u64;
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > limit {
        bail!(
            "{} is too large for a narrative (at most {} MiB); add it as evidence instead",
            path.display(),
            limit / (1024 * 1024)
        );
    }
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))?;
    Ok(zeroize::Zeroizing::new(text.to_owned()))
}
