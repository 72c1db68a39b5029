//! The handover commands: the intake server, the desk, and on the device
//! enroll, submit, outbox and sync. Wiring only; the work is in
//! `temoin-sync`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use serde_json::json;
use temoin_desk as desk;
use temoin_sync::client::{self, Endpoint};
use temoin_sync::{outbox, pin};

pub use temoin_intake::command::IntakeCommand;

#[derive(Subcommand, Debug)]
pub enum DeskCommand {
    /// Create a desk folder: OMCT's age identity, the root signing key,
    /// the desk key and the signed recipient list, published on the intake
    /// server, all kept in an encrypted store sealed with a new passphrase
    /// (asked twice, or --passphrase-file). On a desk folder made before
    /// the store (plain omct.key, root.key, devices.json): moves them into
    /// the store, then removes them; the server options are not needed.
    Init {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The intake server's URL (https://host:port).
        #[arg(long, requires_all = ["pin", "desk_token_file"])]
        server: Option<String>,
        /// The server's certificate pin (`intake init` printed it).
        #[arg(long)]
        pin: Option<String>,
        /// The file holding the desk's access token (DIR/desk.token of the
        /// server folder).
        #[arg(long, value_name = "FILE")]
        desk_token_file: Option<PathBuf>,
        /// How costly to make passphrase guessing. `minimum` is for tests
        /// only.
        #[arg(long, value_enum, default_value_t = crate::cli::KdfCost::Calibrated)]
        kdf: crate::cli::KdfCost,
        /// Make another officer's desk (Brussels, Tunis): its own keys, no
        /// root key. Prints its recipient for OMCT's desk (`desk officer
        /// add`), then `desk join` with the officer code it gives.
        #[arg(long, conflicts_with_all = ["server", "pin", "desk_token_file"])]
        officer: bool,
    },
    /// Join an officer's desk (made with `desk init --officer`) to OMCT's
    /// desk with the officer code file OMCT's desk gave: checked against
    /// the server and OMCT's root key before anything is kept.
    Join {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The officer code file (`desk officer add --out`).
        #[arg(long, value_name = "FILE")]
        code_file: PathBuf,
    },
    /// The other officers' desks (OMCT's desk only): add one (its
    /// recipient goes on the root-signed recipient list, so devices seal
    /// every bundle to it too), list them, remove one.
    Officer {
        #[command(subcommand)]
        what: OfficerCommand,
    },
    /// Issue an enrollment code for a device: prints the code alone on one
    /// line (and, on standard error, OMCT's key fingerprint in words, to
    /// read over the phone). Give it by a channel OMCT trusts.
    Enroll {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Who the device is for (kept at the desk and by the server).
        #[arg(long, default_value = "device")]
        label: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        valid_hours: u32,
    },
    /// Write a bundle's acknowledgement to a file, for a device that
    /// handed the bundle over on a USB stick (`temoin ack import FILE`).
    AckFile {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        bundle_id: String,
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the devices the desk approved (and those the server listed
    /// that it never approved), with each one's last sequence number and
    /// the numbers missing below it.
    Devices {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Rotate OMCT's key: a new age identity (the old ones are kept to open
    /// what was sealed to them) and a new signed recipient list, which
    /// devices take at their next sync.
    Rotate {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Name the intake server's receipt keys devices accept (each as
    /// `temoin-intake receipt-key` prints it), in a new signed recipient
    /// list: how the server's receipt key is rotated (docs/deploy.md,
    /// section 7). Devices then believe these keys and no other.
    ReceiptKeys {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The keys (minisign base64).
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
    /// Revoke a device (by its key id): recorded at the desk first (what it
    /// seals from now on is flagged), then its uploads are refused.
    Revoke {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        key_id: String,
    },
    /// Fetch new bundles into DIR/inbox, check each arrived whole, and
    /// acknowledge them to the server (which may then delete them); also
    /// hands the server the desk's signed acknowledgements for the devices.
    Pull {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Decrypt and verify the bundles in the inbox (or FILE), flagging
    /// anything forged, unknown or tampered, seal each accepted one in the
    /// desk's encrypted store under its case (nothing decrypted is written
    /// to a folder), and sign each one's acknowledgement for its device
    /// (accepted or flagged). Exit status 3 if any bundle is not accepted.
    Open {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        file: Option<PathBuf>,
    },
    /// List the received cases, urgent first, then the latest received:
    /// the desk's id, the defender's case id, title, country, triage
    /// state, received time and device.
    Cases {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Only the cases whose title, country, violations, device label
        /// or triage note match.
        #[arg(long)]
        search: Option<String>,
        /// Only the cases in this triage state.
        #[arg(long, value_enum)]
        state: Option<TriageArg>,
        /// Only the urgent cases.
        #[arg(long)]
        urgent: bool,
    },
    /// Show a received case whole: its versions and their verification,
    /// its triage history, every record the defender sent, its files with
    /// their hashes, what was withheld and why, and what changed since the
    /// version before.
    Show {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The desk's id of the case (see `desk cases`).
        id: temoin_vault::ItemId,
    },
    /// Move a received case to another triage state (new, in_review, then
    /// accepted, declined or needs_information, then closed), recorded in
    /// the desk's custody log.
    Triage {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        id: temoin_vault::ItemId,
        #[arg(long, value_enum)]
        state: TriageArg,
        /// Why, in a few words (kept with the change).
        #[arg(long)]
        note: Option<String>,
    },
    /// Write a message to the device that sent a received case (a
    /// question, an acknowledgement in words, news of what OMCT did):
    /// signed with the desk key, sealed to that device alone, recorded in
    /// the desk's custody log, and sent now if the server can be reached
    /// (otherwise at the next `desk pull`).
    Message {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The desk's id of the case (see `desk cases`).
        id: temoin_vault::ItemId,
        /// A file holding the text (UTF-8; `-`: standard input).
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
        #[arg(long, value_enum, default_value_t = KindArg::Question)]
        kind: KindArg,
        /// The device's message this answers, if any.
        #[arg(long, value_name = "MESSAGE_ID")]
        in_reply_to: Option<String>,
    },
    /// Count the victims of every received case by country, quarter,
    /// violation and vulnerability, only people whose consent covers
    /// anonymised statistics, every count under 5 written `<5`, into a new
    /// CSV file (the layout of `temoin stats`).
    Stats {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        args: StatsArgs,
    },
    /// Write a received case's latest version to a new folder as the
    /// bundle's own files with verification.json, checkable with minisign
    /// and sha256sum. A deliberate act: the folder holds the case in the
    /// clear, and the export is recorded in the desk's custody log.
    Export {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        id: temoin_vault::ItemId,
        /// A new (or empty) folder.
        #[arg(long, value_name = "FOLDER")]
        out: PathBuf,
    },
    /// Draft a document from a received case, as `temoin dossier` does on
    /// the device: an urgent appeal, a CAT or Human Rights Committee
    /// complaint skeleton with its annex index, or an assistance request.
    /// The consent the defender recorded decides who is named. With
    /// --annexes, the annexes (and nothing else of the case) are written
    /// there as annex-01.jpg, ..., each checked and recorded in custody.
    Dossier {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        id: temoin_vault::ItemId,
        /// What to draft.
        #[arg(long, value_enum)]
        kind: crate::cli::DossierKindArg,
        /// The document's language: en, fr, es or ar.
        #[arg(long, default_value = "en")]
        language: String,
        /// A new (or empty) folder for the annexes.
        #[arg(long, value_name = "FOLDER")]
        annexes: Option<PathBuf>,
        /// The file to write (.docx or .pdf; must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where `temoin stats` and `desk stats` write, and which quarters.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The CSV file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// From this date's quarter on (YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Up to this date's quarter.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
}

/// What a desk's message is.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum KindArg {
    Acknowledgement,
    Question,
    News,
}

impl From<KindArg> for desk::MessageKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Acknowledgement => desk::MessageKind::Acknowledgement,
            KindArg::Question => desk::MessageKind::Question,
            KindArg::News => desk::MessageKind::News,
        }
    }
}

/// A triage state, as `desk triage` and `desk cases` take it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum TriageArg {
    New,
    InReview,
    Accepted,
    Declined,
    NeedsInformation,
    Closed,
}

impl From<TriageArg> for desk::TriageState {
    fn from(t: TriageArg) -> Self {
        match t {
            TriageArg::New => desk::TriageState::New,
            TriageArg::InReview => desk::TriageState::InReview,
            TriageArg::Accepted => desk::TriageState::Accepted,
            TriageArg::Declined => desk::TriageState::Declined,
            TriageArg::NeedsInformation => desk::TriageState::NeedsInformation,
            TriageArg::Closed => desk::TriageState::Closed,
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

/// `temoin intake ...`: the intake server's own commands (`temoin-intake`).
pub fn intake(c: &IntakeCommand, json_out: bool) -> Result<()> {
    temoin_intake::command::run(c, json_out).map_err(|e| anyhow!("{e}"))
}

/// What `desk officer` does.
#[derive(Debug, clap::Subcommand)]
pub enum OfficerCommand {
    /// Add an officer's desk and write its officer code (a bearer secret:
    /// hand it over as OMCT hands over the desk token).
    Add {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Who or where (Brussels, Tunis).
        #[arg(long)]
        label: String,
        /// The officer desk's recipient, as `desk init --officer` printed it.
        #[arg(long)]
        recipient: String,
        /// Where to write the officer code (a new file).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The officers' desks added.
    List {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Remove an officer's desk: its token stops working and the next
    /// recipient list no longer names it.
    Remove {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Its id (`desk officer list`).
        officer_id: String,
    },
}

/// The folder a desk command works on.
fn desk_dir(c: &DeskCommand) -> &std::path::Path {
    match c {
        DeskCommand::Officer {
            what:
                OfficerCommand::Add { dir, .. }
                | OfficerCommand::List { dir }
                | OfficerCommand::Remove { dir, .. },
        } => dir,
        DeskCommand::Init { dir, .. }
        | DeskCommand::Join { dir, .. }
        | DeskCommand::Enroll { dir, .. }
        | DeskCommand::AckFile { dir, .. }
        | DeskCommand::Devices { dir }
        | DeskCommand::Rotate { dir }
        | DeskCommand::ReceiptKeys { dir, .. }
        | DeskCommand::Revoke { dir, .. }
        | DeskCommand::Pull { dir }
        | DeskCommand::Open { dir, .. }
        | DeskCommand::Cases { dir, .. }
        | DeskCommand::Show { dir, .. }
        | DeskCommand::Triage { dir, .. }
        | DeskCommand::Export { dir, .. }
        | DeskCommand::Dossier { dir, .. }
        | DeskCommand::Message { dir, .. }
        | DeskCommand::Stats { dir, .. } => dir,
    }
}

pub fn desk_cmd(
    c: &DeskCommand,
    json_out: bool,
    passphrase_file: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let rt = runtime()?;
    if let DeskCommand::Init {
        dir,
        kdf,
        officer: true,
        ..
    } = c
    {
        let p = match passphrase_file {
            Some(f) => crate::passphrase::from_file(f)?,
            None => {
                eprintln!(
                    "Choose this officer desk's passphrase. It protects this officer's key and \
                     every case the desk receives; if it is lost, nobody can recover them."
                );
                crate::passphrase::prompt_new("New desk passphrase: ")?
            }
        };
        crate::passphrase::advise(&p);
        let recipient =
            desk::Desk::create_officer(dir, &p, (*kdf).into()).map_err(|e| anyhow!("{e}"))?;
        if json_out {
            crate::print_json(&json!({ "recipient": recipient }))?;
        } else {
            println!("{recipient}");
            eprintln!(
                "This officer's desk is made in {}. Give the line above (its recipient, not a secret) to OMCT's desk, which runs `desk officer add`; then run `desk join` with the officer code it gives you.",
                dir.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let DeskCommand::Join { dir, code_file } = c {
        let text = std::fs::read_to_string(code_file)
            .with_context(|| format!("cannot read {}", code_file.display()))?;
        let code: temoin_proto::desk::OfficerCode = serde_json::from_str(&text)
            .map_err(|_| anyhow!("{} is not an officer code", code_file.display()))?;
        let p = match passphrase_file {
            Some(f) => crate::passphrase::from_file(f)?,
            None => crate::passphrase::prompt("Desk passphrase: ")?,
        };
        rt.block_on(desk::Desk::join(dir, &p, &code))
            .map_err(|e| anyhow!("{e}"))?;
        if json_out {
            crate::print_json(&json!({ "joined": true, "officer_id": code.officer_id }))?;
        } else {
            println!("This officer's desk has joined OMCT's desk: `desk pull` and `desk open` now take every bundle sealed to it.");
            eprintln!(
                "The officer code holds this desk's token, now kept in its store: delete {} from this machine.",
                code_file.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let DeskCommand::Init {
        dir,
        server,
        pin: pin_arg,
        desk_token_file,
        kdf,
        ..
    } = c
    {
        let server = match (server, pin_arg, desk_token_file) {
            (Some(server), Some(pin_arg), Some(token_file)) => {
                let pin = pin::parse_pin(pin_arg)
                    .ok_or_else(|| anyhow!("the pin must be sha256: followed by 64 hex digits"))?;
                let token = std::fs::read_to_string(token_file)
                    .with_context(|| format!("cannot read {}", token_file.display()))?;
                let endpoint = Endpoint {
                    url: server.clone(),
                    pin,
                    proxy: None,
                    timeout_secs: None,
                };
                Some((endpoint, token.trim().to_owned()))
            }
            _ => None,
        };
        let p = match passphrase_file {
            Some(f) => crate::passphrase::from_file(f)?,
            None => {
                eprintln!(
                    "Choose the desk's passphrase. It protects OMCT's keys and every case the \
                     desk receives; if it is lost, nobody can recover them."
                );
                crate::passphrase::prompt_new("New desk passphrase: ")?
            }
        };
        crate::passphrase::advise(&p);
        let (_, recipient) = rt
            .block_on(desk::Desk::create(dir, &p, (*kdf).into(), server))
            .map_err(|e| anyhow!("{e}"))?;
        if json_out {
            crate::print_json(&json!({ "recipient": recipient }))?;
        } else {
            println!(
                "Desk ready in {}, its keys sealed in an encrypted store. OMCT's recipient: {recipient}",
                dir.display()
            );
        }
        if let Some(f) = desk_token_file {
            // The token is in the store now; a copy left in a file on the
            // desk machine is a bearer secret in the clear.
            eprintln!(
                "The desk token is kept in the desk's store: delete {} from this machine if it was copied here.",
                f.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let p = match passphrase_file {
        Some(f) => crate::passphrase::from_file(f)?,
        None => crate::passphrase::prompt("Desk passphrase: ")?,
    };
    let mut d = desk::Desk::unlock(desk_dir(c), &p).map_err(|e| anyhow!("{e}"))?;
    drop(p);
    match c {
        DeskCommand::Init { .. } | DeskCommand::Join { .. } => {}
        DeskCommand::Officer {
            what:
                OfficerCommand::Add {
                    label,
                    recipient,
                    out,
                    ..
                },
        } => {
            // The file first: an officer added whose code cannot be written
            // would hold bundles on the server with nobody to fetch them.
            let mut f = new_secret_file(out)
                .with_context(|| format!("cannot create {} (it must not exist)", out.display()))?;
            let code = match rt.block_on(d.add_officer(label, recipient)) {
                Ok(code) => code,
                Err(e) => {
                    drop(f);
                    let _ = std::fs::remove_file(out);
                    return Err(anyhow!("{e}"));
                }
            };
            let text = serde_json::to_vec_pretty(&code).map_err(|e| anyhow!("{e}"))?;
            std::io::Write::write_all(&mut f, &text)?;
            f.sync_all()?;
            if json_out {
                crate::print_json(&json!({ "officer_id": code.officer_id, "code_file": out }))?;
            } else {
                println!(
                    "Officer {} added: its key is on the recipient list (devices take it at their next sync). Its officer code is in {}; hand it over as you would the desk token, then delete it here.",
                    code.officer_id,
                    out.display()
                );
            }
        }
        DeskCommand::Officer {
            what: OfficerCommand::List { .. },
        } => {
            let rows = d.officers().map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!(rows))?;
            } else if rows.is_empty() {
                println!("No other officer's desk.");
            } else {
                for r in rows {
                    println!(
                        "{}  {:<20} added {}  {}",
                        r.officer_id, r.label, r.added_at, r.recipient
                    );
                }
            }
        }
        DeskCommand::Officer {
            what: OfficerCommand::Remove { officer_id, .. },
        } => {
            rt.block_on(d.remove_officer(officer_id))
                .map_err(|e| anyhow!("{e}"))?;
            if !json_out {
                println!("Officer {officer_id} removed: its token no longer works, and the recipient list no longer names it.");
            }
        }
        DeskCommand::Enroll {
            label, valid_hours, ..
        } => {
            let issued = rt
                .block_on(d.enroll(label, *valid_hours))
                .map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!({
                    "code": issued.code, "label": issued.label,
                    "expires_at": issued.expires_at,
                    "root_fingerprint": issued.root_fingerprint,
                    "root_words": issued.root_words,
                }))?;
            } else {
                println!("{}", issued.code);
                eprintln!(
                    "OMCT's key, to read over the phone: {} (valid until {})",
                    issued.root_words, issued.expires_at
                );
            }
        }
        DeskCommand::AckFile { bundle_id, out, .. } => {
            d.ack_file(bundle_id, out).map_err(|e| anyhow!("{e}"))?;
            if !json_out {
                println!(
                    "The acknowledgement of {bundle_id} is in {}: give it to the device (`temoin ack import`).",
                    out.display()
                );
            }
        }
        DeskCommand::Devices { .. } => {
            let rows = d.devices().map_err(|e| anyhow!("{e}"))?;
            let warnings = d.warnings().map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!(rows))?;
            } else if rows.is_empty() {
                println!("No device has enrolled with a code from this desk yet.");
            } else {
                for r in &rows {
                    let last = r.last_sequence.map_or("none".to_owned(), |n| n.to_string());
                    let gaps = if r.gaps.is_empty() {
                        "no gaps".to_owned()
                    } else {
                        let shown: Vec<String> =
                            r.gaps.iter().take(20).map(u64::to_string).collect();
                        format!("MISSING {}", shown.join(", "))
                    };
                    println!(
                        "{:<8} {}  {:<24} last bundle {last}, {gaps}",
                        r.status.to_uppercase(),
                        r.key_id,
                        r.label
                    );
                }
            }
            if !json_out {
                for w in warnings.iter().rev().take(10) {
                    println!("warning: {w}");
                }
            }
        }
        DeskCommand::Rotate { .. } => {
            let recipient = rt.block_on(d.rotate()).map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!({ "recipient": recipient }))?;
            } else {
                println!("OMCT's new recipient: {recipient} (published; devices take it at their next sync)");
            }
        }
        DeskCommand::ReceiptKeys { keys, .. } => {
            let named = rt
                .block_on(d.set_receipt_keys(keys))
                .map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!({ "receipt_keys": named }))?;
            } else {
                println!("Published: devices accept receipts from these keys only (they take it at their next sync):");
                for k in &named {
                    println!("  {k}");
                }
            }
        }
        DeskCommand::Revoke { key_id, .. } => {
            rt.block_on(d.revoke(key_id)).map_err(|e| anyhow!("{e}"))?;
            if !json_out {
                println!("Device {key_id} revoked at the desk and on the server.");
            }
        }
        DeskCommand::Pull { dir } => {
            let before = d.warnings().map(|w| w.len()).unwrap_or(0);
            let pulled = rt.block_on(d.pull()).map_err(|e| anyhow!("{e}"))?;
            for w in d
                .warnings()
                .map_err(|e| anyhow!("{e}"))?
                .iter()
                .skip(before)
            {
                eprintln!("warning: {w}");
            }
            let messages = d.last_exchange().clone();
            if json_out {
                crate::print_json(&json!({ "pulled": pulled, "messages": messages }))?;
            } else {
                println!(
                    "{} new bundle(s) pulled into {}.",
                    pulled.len(),
                    dir.join("inbox").display()
                );
                if !messages.received.is_empty() {
                    println!(
                        "{} new message(s) from devices, filed under their cases (`desk show`).",
                        messages.received.len()
                    );
                }
            }
        }
        DeskCommand::Open { file, .. } => {
            let opened = d.open(file.as_deref()).map_err(|e| anyhow!("{e}"))?;
            // A bundle waiting for OMCT's registry (an officer's desk) is
            // not judged yet, so not a failure either.
            let all_ok = opened.iter().all(|o| o.accepted() || o.waiting);
            // The acknowledgements are signed; they go to the devices now
            // if the server can be reached, otherwise at the next pull.
            let relayed = if opened.is_empty() || d.is_officer().unwrap_or(false) {
                Ok(0)
            } else {
                rt.block_on(d.relay_acks())
            };
            if json_out {
                let rows: Vec<_> = opened
                    .iter()
                    .map(|o| {
                        json!({
                            "file": o.file, "case": o.case, "accepted": o.accepted(),
                            "waiting": o.waiting,
                            "purpose": o.report.manifest.as_ref().map(|m| m.purpose.code()),
                            "problems": o.report.problems, "desk_problems": o.desk_problems,
                        })
                    })
                    .collect();
                crate::print_json(&json!(rows))?;
            } else {
                for o in &opened {
                    let what = if o.accepted() {
                        "ACCEPTED"
                    } else if o.waiting {
                        "WAITING"
                    } else {
                        "FLAGGED"
                    };
                    match o.case {
                        Some(case) => println!("{what}  {}  -> case {case}", o.file.display()),
                        None => println!("{what}  {}", o.file.display()),
                    }
                    if let Some(m) = &o.report.manifest {
                        // A publication holds working copies only: say so,
                        // so that nobody takes it for the originals.
                        println!("    for {}", m.purpose.code());
                    }
                    for p in &o.report.problems {
                        println!("    [{}] {}", p.code, p.detail);
                    }
                    for p in &o.desk_problems {
                        println!("    [desk] {p}");
                    }
                }
                if opened.is_empty() {
                    println!("Nothing new to open.");
                } else if relayed.is_err() {
                    println!("The acknowledgements are signed; the server could not be reached, so they go at the next `desk pull`.");
                }
            }
            if !all_ok {
                return Ok(ExitCode::from(crate::cli::EXIT_DAMAGED));
            }
        }
        DeskCommand::Cases {
            search,
            state,
            urgent,
            ..
        } => {
            let rows = match search {
                Some(q) => d.search_cases(q),
                None => d.cases(),
            }
            .map_err(|e| anyhow!("{e}"))?;
            let wanted = state.map(desk::TriageState::from);
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|r| wanted.is_none_or(|s| r.state == s))
                .filter(|r| !*urgent || r.urgent)
                .collect();
            if json_out {
                crate::print_json(&json!(rows))?;
            } else if rows.is_empty() {
                println!("No received case.");
            } else {
                for r in &rows {
                    println!(
                        "{}  {}{}{}  [{}]  {}  {}  from {}  (case {}, {} version(s))",
                        r.id,
                        if r.urgent { "URGENT " } else { "" },
                        r.title,
                        if r.files_follow {
                            " (text only: its files follow)"
                        } else {
                            ""
                        },
                        r.state.code(),
                        r.country.as_deref().unwrap_or("--"),
                        r.received_at,
                        r.device_label.as_deref().unwrap_or(&r.device_key_id),
                        r.case_id,
                        r.versions
                    );
                }
            }
        }
        DeskCommand::Show { id, .. } => {
            let view = d.case(*id).map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!(view))?;
            } else {
                print_case(&view);
            }
        }
        DeskCommand::Triage {
            id, state, note, ..
        } => {
            let row = d
                .triage(*id, (*state).into(), note.clone())
                .map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!(row))?;
            } else {
                println!("{}  is now {}.", row.id, row.state.code());
            }
        }
        DeskCommand::Message {
            id,
            text_file,
            kind,
            in_reply_to,
            ..
        } => {
            let text = message_text(text_file)?;
            let m = d
                .write_message(*id, (*kind).into(), &text, in_reply_to.as_deref())
                .map_err(|e| anyhow!("{e}"))?;
            let sent = rt.block_on(d.exchange_messages());
            if json_out {
                crate::print_json(&json!({
                    "id": m.message.id, "sent": sent.is_ok(),
                    "received": sent.as_ref().map(|x| x.received.clone()).unwrap_or_default(),
                }))?;
            } else {
                match sent {
                    Ok(_) => println!("Message {} sent to device {}.", m.message.id, m.message.device_key_id),
                    Err(e) => println!("Message {} is signed and sealed; the server could not be reached ({e}), so it goes at the next `desk pull`.", m.message.id),
                }
            }
        }
        DeskCommand::Stats { args, .. } => {
            let cells = d.stats_cells().map_err(|e| anyhow!("{e}"))?;
            write_stats(cells, args, json_out)?;
        }
        DeskCommand::Dossier {
            id,
            kind,
            language,
            annexes,
            out,
            ..
        } => {
            let lang = temoin_dossier::Language::from_code(language)
                .ok_or_else(|| anyhow!("no such language `{language}`: en, fr, es or ar"))?;
            crate::dossier::check_out(out)?;
            let file = d.case_file(*id).map_err(|e| anyhow!("{e}"))?;
            let doc = temoin_dossier::draft((*kind).into(), &file, lang)?;
            let bytes = crate::dossier::document_bytes(&doc, out)?;
            if let Some(folder) = annexes {
                d.export_annexes(*id, &doc.annexes, folder)
                    .map_err(|e| anyhow!("{e}"))?;
            }
            if let Err(e) = crate::dossier::write_new(out, &bytes) {
                // No annexes without their document.
                if let Some(folder) = annexes {
                    let _ = std::fs::remove_dir_all(folder);
                }
                return Err(e);
            }
            if json_out {
                crate::print_json(&json!({
                    "out": out,
                    "annexes": doc.annexes.iter().map(|a| json!({
                        "number": a.number, "id": a.id, "sha256": a.sha256, "file": a.file_name,
                    })).collect::<Vec<_>>(),
                }))?;
            } else {
                println!("Wrote {} ({} annex(es)).", out.display(), doc.annexes.len());
            }
        }
        DeskCommand::Export { id, out, .. } => {
            let report = d.export_case(*id, out).map_err(|e| anyhow!("{e}"))?;
            if json_out {
                crate::print_json(&json!({ "out": out, "report": report }))?;
            } else {
                println!(
                    "Exported to {} ({} files verified; report in verification.json). It holds the case in the clear: keep it on an encrypted disk and delete it when done.",
                    out.display(),
                    report.files_verified
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A received case in words, for `desk show`.
fn print_case(v: &desk::CaseView) {
    let r = &v.row;
    println!("{}{}", if r.urgent { "URGENT  " } else { "" }, r.title);
    if r.files_follow {
        println!(
            "  the case's text, sent ahead of its evidence files: they follow in its next version"
        );
    }
    println!(
        "  desk id {}  ·  the defender's case {}  ·  {}",
        r.id,
        r.case_id,
        r.country.as_deref().unwrap_or("no country")
    );
    println!(
        "  from {} ({})",
        r.device_label.as_deref().unwrap_or("an unlabelled device"),
        r.device_key_id
    );
    println!("  triage: {}", r.state.code());
    for h in &v.history {
        println!(
            "    {}{}",
            h.state.code(),
            h.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
    }
    println!("  versions:");
    for ver in &v.versions {
        let b = &ver.received;
        println!(
            "    bundle {} (sequence {}, {}), sealed {}, received {}: VERIFIED, signed by {}, {} files and {} custody entries checked, {} item(s) withheld",
            b.bundle_id,
            b.sequence,
            b.purpose,
            b.sealed_at,
            b.received_at,
            b.device_key_id,
            b.files_verified,
            b.custody_verified,
            b.withheld
        );
    }
    if !v.changed.is_empty() {
        println!("  changed since the version before:");
        for c in &v.changed {
            println!("    {} {} {}", c.change, c.kind, c.id);
        }
    }
    println!("  records:");
    for i in &v.manifest.items {
        println!("    {} {} (revision {})", i.kind, i.id, i.revision);
        if let Ok(text) = serde_json::to_string_pretty(&i.record) {
            for line in text.lines() {
                println!("      {line}");
            }
        }
    }
    println!("  files:");
    for f in &v.manifest.files {
        println!(
            "    {}  {}  {} bytes  {}",
            f.sha256, f.path, f.size, f.media_type
        );
    }
    for w in &v.manifest.withheld {
        println!("  withheld: {} {}: {}", w.kind, w.id, w.reason);
    }
    if !v.messages.is_empty() {
        println!("  messages:");
        for m in &v.messages {
            let who = if m.message.from_desk {
                "the desk"
            } else {
                "the device"
            };
            println!(
                "    {}  {} from {who} ({:?})  id {}",
                m.message.sent_at,
                m.message.kind.code(),
                m.status,
                m.message.id
            );
            for line in m.message.text.lines() {
                println!("    | {line}");
            }
        }
    }
}

/// The enrollment code from `--code` or `--code-file` (`-`: standard
/// input), checked: a mistyped code is refused here.
pub fn read_code(
    code: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<temoin_proto::code::EnrollmentCode> {
    let text = match (code, file) {
        (Some(c), _) => c.to_owned(),
        (None, Some(f)) if f == std::path::Path::new("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(
                &mut std::io::Read::take(std::io::stdin(), 64 * 1024),
                &mut s,
            )
            .context("cannot read the enrollment code from standard input")?;
            s
        }
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the enrollment code from {}", f.display()))?,
        (None, None) => {
            return Err(anyhow!(
                "give the enrollment code with --code or --code-file"
            ))
        }
    };
    temoin_proto::code::EnrollmentCode::parse(&text).map_err(|e| anyhow!("{e}"))
}

pub fn enroll(
    vault: &mut temoin_vault::Vault,
    code: &temoin_proto::code::EnrollmentCode,
    proxy: Option<&str>,
    json_out: bool,
) -> Result<()> {
    client::check_proxy(proxy)?;
    outbox::check_code_for(vault, code).map_err(|e| anyhow!("{e}"))?;
    let key = vault.device_public_key();
    let recipient = outbox::device_recipient(vault).map_err(|e| anyhow!("{e}"))?;
    let e = runtime()?
        .block_on(client::enroll_with_code(
            code,
            &key.to_minisign_base64(),
            &recipient,
            proxy,
        ))
        .map_err(|e| anyhow!("enrollment failed: {e}"))?;
    outbox::save_new_enrollment(vault, &e).map_err(|e| anyhow!("{e}"))?;
    let words = temoin_proto::code::fingerprint_words(&code.root_fingerprint);
    if json_out {
        crate::print_json(&json!({
            "device_key_id": key.id_hex(), "recipients": e.recipients,
            "server": e.endpoint.url, "root_words": words,
        }))?;
    } else {
        println!(
            "Enrolled device {} with {}. OMCT's key matches the code ({words}). Bundles will be sealed to {} OMCT key(s).",
            key.id_hex(),
            e.endpoint.url,
            e.recipients.len()
        );
    }
    Ok(())
}

/// `submit --stats`: the vault's figures, sealed and queued for OMCT.
pub fn submit_figures(vault: &mut temoin_vault::Vault, json_out: bool) -> Result<()> {
    let s = outbox::submit_figures(vault).map_err(|e| anyhow!("{e}"))?;
    if json_out {
        crate::print_json(&json!({
            "bundle_id": s.bundle_id, "sequence": s.sequence, "size": s.size,
            "status": s.status, "figures": true,
        }))?;
    } else {
        println!(
            "Queued bundle {} ({} bytes) for OMCT: figures only (victims whose consent covers anonymised statistics, by country, quarter and dimension; no record, no file). Run `temoin sync` to send it.",
            s.bundle_id, s.size
        );
    }
    Ok(())
}

pub fn submit(
    vault: &mut temoin_vault::Vault,
    case: temoin_vault::ItemId,
    json_out: bool,
) -> Result<()> {
    let s = outbox::submit(vault, case).map_err(|e| anyhow!("{e}"))?;
    if json_out {
        crate::print_json(&json!({
            "bundle_id": s.bundle_id, "sequence": s.sequence, "size": s.size,
            "status": s.status, "supersedes": s.supersedes, "text_ahead": s.text_ahead,
        }))?;
    } else if let Some(text) = &s.text_ahead {
        println!(
            "Urgent: queued the case's text as bundle {text}, which goes before anything else, then the whole case with its files as bundle {} ({} bytes). Run `temoin sync` to send them.",
            s.bundle_id, s.size
        );
    } else {
        println!(
            "Queued bundle {} ({} bytes) for OMCT{}. Run `temoin sync` to send it.",
            s.bundle_id,
            s.size,
            if s.supersedes.is_some() {
                ", replacing the one delivered before"
            } else {
                ""
            }
        );
    }
    Ok(())
}

pub fn show_outbox(
    vault: &mut temoin_vault::Vault,
    retry: Option<&str>,
    json_out: bool,
) -> Result<()> {
    if let Some(id) = retry {
        outbox::retry(vault, id).map_err(|e| anyhow!("{e}"))?;
    }
    let list = outbox::list(vault).map_err(|e| anyhow!("{e}"))?;
    if json_out {
        crate::print_json(&serde_json::to_value(&list)?)?;
        return Ok(());
    }
    if list.is_empty() {
        println!("The outbox is empty.");
    }
    for s in &list {
        let state = match s.status {
            outbox::Status::Queued if s.progress.offset > 0 => format!(
                "queued, {}% sent",
                s.progress.offset.saturating_mul(100) / s.size.max(1)
            ),
            outbox::Status::Uploading => format!(
                "uploading, {}% sent",
                s.progress.offset.saturating_mul(100) / s.size.max(1)
            ),
            outbox::Status::Queued => "queued".into(),
            outbox::Status::Delivered => {
                "delivered to the server (receipt verified); waiting for OMCT's desk".into()
            }
            outbox::Status::Acknowledged => "received by OMCT (acknowledged by its desk)".into(),
            outbox::Status::Flagged => "FLAGGED by OMCT's desk".into(),
            outbox::Status::Failed => "FAILED".into(),
        };
        let what = if s.figures {
            "figures".to_owned()
        } else if s.text_only {
            format!("case {} (its text only: the files follow)", s.case_id)
        } else {
            format!("case {}", s.case_id)
        };
        println!(
            "{}  {what}  seq {}  {} bytes  {state}",
            s.bundle_id, s.sequence, s.size
        );
        if let Some(e) = &s.last_error {
            println!("    last error: {e}");
        }
        if let Some(why) = &s.flag_reason {
            println!("    OMCT's desk says: {why}");
        }
    }
    Ok(())
}

/// `temoin ack import FILE`: an acknowledgement OMCT's desk wrote as a file.
pub fn import_ack(
    vault: &mut temoin_vault::Vault,
    file: &std::path::Path,
    json_out: bool,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (id, accepted) = outbox::import_ack(vault, &bytes).map_err(|e| anyhow!("{e}"))?;
    if json_out {
        crate::print_json(&json!({ "bundle_id": id, "accepted": accepted }))?;
    } else if accepted {
        println!("Bundle {id}: received by OMCT (the desk's acknowledgement verified and recorded in the custody log).");
    } else {
        println!("Bundle {id}: FLAGGED by OMCT's desk (recorded in the custody log); see `temoin outbox`.");
    }
    Ok(())
}

pub fn sync(
    vault: &mut temoin_vault::Vault,
    watch: bool,
    force: bool,
    interval: u64,
    json_out: bool,
) -> Result<()> {
    let rt = runtime()?;
    loop {
        let report = rt
            .block_on(outbox::run_once(vault, force))
            .map_err(|e| anyhow!("{e}"))?;
        if json_out {
            crate::print_json(&json!({
                "delivered": report.delivered, "acknowledged": report.acknowledged,
                "failed": report.failed, "waiting": report.waiting,
                "messages_received": report.messages.received,
                "messages_sent": report.messages.sent,
                "messages_refused": report.messages.refused,
                "messages_error": report.messages_error,
            }))?;
        } else {
            for d in &report.delivered {
                println!("Delivered {d} to the server (receipt verified and recorded in the custody log); OMCT's desk confirms it when it opens it.");
            }
            for d in &report.acknowledged {
                println!("OMCT's desk acknowledged {d} (recorded in the custody log).");
            }
            for (id, why) in &report.failed {
                println!("Failed {id}: {why}");
            }
            if report.waiting > 0 {
                println!("{} submission(s) waiting to be retried.", report.waiting);
            }
            if !report.messages.sent.is_empty() {
                println!(
                    "{} message(s) to OMCT's desk handed to the server.",
                    report.messages.sent.len()
                );
            }
            if !report.messages.received.is_empty() {
                println!(
                    "{} new message(s) from OMCT's desk: see `temoin messages`.",
                    report.messages.received.len()
                );
            }
            if report.messages.refused > 0 {
                println!(
                    "{} message(s) relayed by the server did not verify as OMCT's and were refused.",
                    report.messages.refused
                );
            }
            if let Some(why) = &report.messages_error {
                println!("Messages could not be exchanged this time ({why}); they are tried again at the next sync.");
            }
        }
        if !watch {
            return Ok(());
        }
        // Whatever failed is tried again next round (after its back-off
        // unless --force), so delivery resumes when the network comes back.
        std::thread::sleep(std::time::Duration::from_secs(interval.max(1)));
    }
}

/// The text of a message from `file` (`-`: standard input), at most a
/// message's length.
fn message_text(file: &std::path::Path) -> Result<String> {
    let mut bytes = Vec::new();
    let limit = temoin_proto::message::MAX_TEXT_BYTES as u64 + 1;
    if file == std::path::Path::new("-") {
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), limit),
            &mut bytes,
        )
        .context("cannot read the message from standard input")?;
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut bytes)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("the message is not UTF-8 text"))?;
    temoin_sync::message::check_text(&text).map_err(|e| anyhow!("{e}"))?;
    Ok(text)
}

/// `temoin messages`.
pub fn messages(
    vault: &mut temoin_vault::Vault,
    case: Option<temoin_vault::ItemId>,
    json_out: bool,
) -> Result<()> {
    use temoin_sync::message::{list, mark_read, MessageStatus};
    let all: Vec<_> = list(vault)
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .filter(|m| case.is_none_or(|c| m.message.case_id == c.to_string()))
        .collect();
    if json_out {
        crate::print_json(&json!(all
            .iter()
            .map(|m| json!({
                "id": m.message.id, "case_id": m.message.case_id,
                "from_desk": m.message.from_desk, "kind": m.message.kind,
                "text": m.message.text, "in_reply_to": m.message.in_reply_to,
                "bundle_id": m.message.bundle_id, "sent_at": m.message.sent_at,
                "status": m.status, "read": m.read,
            }))
            .collect::<Vec<_>>()))?;
    } else if all.is_empty() {
        println!("No message with OMCT's desk.");
    } else {
        for m in &all {
            let who = if m.message.from_desk {
                "OMCT's desk"
            } else {
                "you"
            };
            let state = match m.status {
                MessageStatus::Queued => " (waiting for the next sync)",
                MessageStatus::Sent => " (sent)",
                MessageStatus::Received if !m.read => " (new)",
                MessageStatus::Received => "",
            };
            println!(
                "{}  {}  from {who}, about case {}{state}",
                m.message.sent_at,
                m.message.kind.code(),
                m.message.case_id
            );
            println!("  id {}", m.message.id);
            for line in m.message.text.lines() {
                println!("  | {line}");
            }
        }
    }
    mark_read(vault, case).map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// `temoin answer`.
pub fn answer(
    vault: &mut temoin_vault::Vault,
    message_id: &str,
    text_file: &std::path::Path,
    json_out: bool,
) -> Result<()> {
    let text = message_text(text_file)?;
    let asked = temoin_sync::message::list(vault)
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .find(|m| m.message.id == message_id)
        .ok_or_else(|| anyhow!("there is no message {message_id}: see `temoin messages`"))?;
    let case: temoin_vault::ItemId = asked
        .message
        .case_id
        .parse()
        .map_err(|_| anyhow!("the message names no valid case"))?;
    let m = temoin_sync::message::write(vault, case, &text, Some(message_id))
        .map_err(|e| anyhow!("{e}"))?;
    if json_out {
        crate::print_json(
            &json!({ "id": m.message.id, "case_id": m.message.case_id, "status": m.status }),
        )?;
    } else {
        println!(
            "Answer {} written, signed and sealed for OMCT; it goes at the next `temoin sync`.",
            m.message.id
        );
    }
    Ok(())
}

/// The quarter of a date given on the command line (`2024-05`,
/// `2024-05-17`): `2024-Q2`.
fn quarter_arg(date: &str) -> Result<String> {
    let mut parts = date.split('-');
    match (
        parts
            .next()
            .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())),
        parts.next().and_then(|m| m.parse::<u8>().ok()),
    ) {
        (Some(y), Some(m @ 1..=12)) => Ok(format!("{y}-Q{}", (m - 1) / 3 + 1)),
        _ => Err(anyhow!("{date:?} is not a date (YYYY-MM or YYYY-MM-DD)")),
    }
}

/// Writes the statistics `all` to `out` (which must not exist), cells
/// between the quarters of `from` and `to` when given.
pub fn write_stats(
    mut all: std::collections::BTreeMap<
        temoin_vault::stats::Cell,
        std::collections::BTreeSet<temoin_vault::ItemId>,
    >,
    args: &StatsArgs,
    json_out: bool,
) -> Result<()> {
    use temoin_vault::stats::{csv, shown};
    let out = &args.out;
    let (from, to) = (
        args.from.as_deref().map(quarter_arg).transpose()?,
        args.to.as_deref().map(quarter_arg).transpose()?,
    );
    if from.is_some() || to.is_some() {
        all.retain(|c, _| {
            c.quarter != "unknown"
                && from.as_ref().is_none_or(|f| c.quarter >= *f)
                && to.as_ref().is_none_or(|t| c.quarter <= *t)
        });
    }
    let text = csv(&all);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .with_context(|| format!("cannot create {} (it must not exist)", out.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    f.sync_all()?;
    if json_out {
        crate::print_json(&json!(all
            .iter()
            .map(|(c, v)| json!({
                "country": c.country, "quarter": c.quarter, "dimension": c.dimension,
                "value": c.value, "victims": shown(v.len()),
            }))
            .collect::<Vec<_>>()))?;
    } else {
        println!(
            "{} cell(s) written to {} (victims whose consent covers anonymised statistics; counts under 5 written <5).",
            all.len(),
            out.display()
        );
    }
    Ok(())
}

/// A new file only its owner can read, for a bearer secret (an officer
/// code).
fn new_secret_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}
