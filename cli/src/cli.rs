//! The command line's shape: every command, subcommand and argument, as
//! clap types. What each does is in the module named after its noun.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use temoin_vault::KdfChoice;

use crate::handover;

#[derive(Parser, Debug)]
#[command(
    name = "temoin",
    version,
    about = "Témoin: an encrypted vault for documenting torture and ill-treatment"
)]
pub struct Cli {
    /// The vault folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE instead of asking.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Machine-readable output on standard output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
        /// Words to look for (case and accents are ignored). Visible to
        /// other users in the process list: --query-file keeps them out.
        #[arg(required_unless_present = "query_file", conflicts_with = "query_file")]
        query: Vec<String>,
        /// Read the words from FILE (`-`: standard input) instead.
        #[arg(long, value_name = "FILE")]
        query_file: Option<PathBuf>,
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
    /// by this device) for a litigator, to carry to OMCT on a USB stick, or
    /// for publication (working copies only, no location).
    Export {
        /// The case.
        #[arg(long, value_name = "ID")]
        case: String,
        /// Who can open it: an age public key (age1...); repeatable.
        #[arg(long = "recipient", value_name = "AGE_RECIPIENT", required = true)]
        recipients: Vec<String>,
        /// What it is for; only what consent covers goes in. litigation and
        /// omct carry the originals; publication carries working copies
        /// only, and nothing that says where or by whom they were taken.
        #[arg(long, value_enum, default_value_t = PurposeArg::Litigation)]
        purpose: PurposeArg,
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The records of a case, as JSON from a file or standard input:
    /// people, violations, places, perpetrators, follow-up needs, and what
    /// OMCT's programmes need (detentions, steps of proceedings, assistance
    /// requests). docs/case-model.md gives each record's fields.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Draft a document from a case's records: an urgent appeal (needs
    /// consent to publication), a complaint skeleton to the Committee
    /// against Torture or the Human Rights Committee with its annex index
    /// (litigation), or an assistance request (sharing with OMCT). Whoever
    /// consent does not cover is pseudonymised and listed in the drafting
    /// notes; a child is never named in an appeal. The format comes from
    /// --out's extension (.docx to edit, .pdf to send); an existing file is refused.
    Dossier {
        /// The case.
        case: String,
        /// What to draft.
        #[arg(long, value_enum)]
        kind: DossierKindArg,
        /// The document's language: en, fr, es or ar.
        #[arg(long, default_value = "en")]
        language: String,
        /// Export the annexes (the originals, checked against their hashes,
        /// recorded in custody) into DIR as annex-01.jpg, annex-02.pdf, ...
        #[arg(long, value_name = "DIR")]
        annexes: Option<PathBuf>,
        /// The file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Consents.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Enroll this device with OMCT, with the enrollment code OMCT gave
    /// (TEMOIN1-...): it names the server, its certificate and OMCT's key,
    /// and the device refuses a server whose OMCT key is not the code's.
    #[command(group = clap::ArgGroup::new("code_source").required(true))]
    Enroll {
        /// The enrollment code.
        #[arg(long, group = "code_source", value_name = "CODE")]
        code: Option<String>,
        /// A file holding the enrollment code, or - for standard input.
        #[arg(long, group = "code_source", value_name = "FILE")]
        code_file: Option<PathBuf>,
        /// A SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Tor.
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
    /// OMCT's desk's acknowledgements given as files.
    #[command(subcommand)]
    Ack(AckCommand),
    /// Seal a case for OMCT and put it in the outbox (an urgent case with
    /// files goes as its text first, then the whole case). With --stats
    /// instead of a case: the figures alone, each case's victims by
    /// country, quarter, violation, institution, custodial context and
    /// vulnerability, only people whose consent covers anonymised
    /// statistics; no record, no file.
    Submit {
        /// The case to seal.
        #[arg(required_unless_present = "stats", conflicts_with = "stats")]
        case_id: Option<String>,
        /// Send the figures alone, not a case: every case's, every quarter
        /// (they replace the figures this device sent before; OMCT's desk
        /// chooses the quarters when it writes them out).
        #[arg(long)]
        stats: bool,
    },
    /// Count the victims of this vault's cases by country, quarter,
    /// violation, vulnerability and the perpetrators' institution, only people whose consent covers
    /// anonymised statistics, every count under 5 written `<5`, into a new
    /// CSV file (the layout OMCT's desk writes too).
    Stats(crate::handover::StatsArgs),
    /// Show the messages with OMCT's desk (questions, news, acknowledgements
    /// and your answers), oldest first, and mark them read. Each one from
    /// the desk was verified with OMCT's desk key.
    Messages {
        /// Only those about this case.
        #[arg(long, value_name = "CASE_ID")]
        case: Option<temoin_vault::ItemId>,
    },
    /// Answer a message from OMCT's desk: signed with this device's key,
    /// sealed to OMCT, recorded in the custody log, sent at the next sync.
    Answer {
        /// The message answered (see `temoin messages`).
        message_id: String,
        /// A file holding the answer's text (UTF-8; `-`: standard input).
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
    },
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
    /// Check what this computer may write of Témoin's memory (keys, open
    /// records) to disk: unencrypted swap, hibernation. Needs no vault.
    Doctor,
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
pub enum ConsentCommand {
    /// Record a consent for a case; prints its id.
    Add {
        case_id: String,
        /// A use consented to; repeatable.
        #[arg(long = "scope", value_enum, required = true)]
        scopes: Vec<ScopeArg>,
        /// Who gave it (a name, or how to refer to them).
        #[arg(
            long,
            required_unless_present = "given_by_name_file",
            conflicts_with = "given_by_name_file"
        )]
        given_by_name: Option<String>,
        /// Read who gave it from FILE (`-`: standard input): a name given
        /// on the command line is visible to other users and in the
        /// shell's history.
        #[arg(long, value_name = "FILE")]
        given_by_name_file: Option<PathBuf>,
        /// When: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        given_on: String,
        /// How it was given.
        #[arg(long, value_enum, default_value_t = MethodArg::Oral)]
        method: MethodArg,
        /// Conditions and limits, in words.
        #[arg(long, conflicts_with = "note_file")]
        note: Option<String>,
        /// Read the note from FILE (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        note_file: Option<PathBuf>,
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
pub enum PurposeArg {
    /// For proceedings before a court or treaty body.
    Litigation,
    /// For OMCT.
    Omct,
    /// For publication: working copies only (an original without one is
    /// left out), no capture position, only people whose consent covers
    /// publication.
    Publication,
}

impl From<PurposeArg> for temoin_bundle::Purpose {
    fn from(p: PurposeArg) -> Self {
        match p {
            PurposeArg::Litigation => temoin_bundle::Purpose::Litigation,
            PurposeArg::Omct => temoin_bundle::Purpose::ShareWithOmct,
            PurposeArg::Publication => temoin_bundle::Purpose::Publication,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScopeArg {
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
pub enum MethodArg {
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
pub enum CaseCommand {
    /// Create a case; prints its id.
    New {
        /// The case title.
        #[arg(
            long,
            required_unless_present = "title_file",
            conflicts_with = "title_file"
        )]
        title: Option<String>,
        /// Read the title from FILE (`-`: standard input): what is given on
        /// the command line is visible to other users and in the shell's
        /// history.
        #[arg(long, value_name = "FILE")]
        title_file: Option<PathBuf>,
        /// A short summary.
        #[arg(long, conflicts_with = "summary_file")]
        summary: Option<String>,
        /// Read the summary from FILE (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        summary_file: Option<PathBuf>,
    },
    /// List cases.
    List,
    /// Show a case and what belongs to it.
    Show { id: String },
    /// Change a case's title, summary or status (makes a new revision).
    Edit {
        id: String,
        #[arg(long, conflicts_with = "title_file")]
        title: Option<String>,
        /// Read the new title from FILE (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        title_file: Option<PathBuf>,
        #[arg(long, conflicts_with = "summary_file")]
        summary: Option<String>,
        /// Read the new summary from FILE (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        summary_file: Option<PathBuf>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
    },
    /// Mark a case urgent, with why (it then goes to OMCT before any other
    /// bundle, and an upload under way pauses for it), or clear the mark.
    /// Each change is a revision of the case, in its history and custody
    /// log.
    Urgent {
        id: String,
        /// Why it is urgent.
        #[arg(long, value_enum, required_unless_present = "clear")]
        reason: Option<UrgentReasonArg>,
        /// What makes it urgent, in a few words, from FILE (`-`: standard
        /// input).
        #[arg(long, value_name = "FILE", conflicts_with = "clear")]
        note_file: Option<PathBuf>,
        /// Clear the urgent mark, its reason and note.
        #[arg(long, conflicts_with = "reason")]
        clear: bool,
    },
    /// Show every revision of a case.
    History { id: String },
    /// Delete a case and everything that belongs to it (recorded in custody).
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
pub enum RecordCommand {
    /// Add a record to a case from a JSON file; prints its id. The case is
    /// set from CASE_ID. A person joins the case in --role (victim unless
    /// told).
    Add {
        case_id: String,
        /// The kind of record.
        #[arg(long, value_enum)]
        kind: RecordKindArg,
        /// The record as JSON (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// For a person: their role in the case (a code such as victim,
        /// witness, defender, relative).
        #[arg(long, value_parser = parse_role)]
        role: Option<temoin_vault::case::Role>,
    },
    /// Replace a record (a case too: its country, dates, participants)
    /// with a new revision from a JSON file (the old one stays in its
    /// history).
    Replace {
        id: String,
        /// The record as JSON (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Show a record as JSON.
    Show { id: String },
    /// List a case's records, of one kind or of every kind.
    List {
        case_id: String,
        /// Only this kind (`person`: the case's participants).
        #[arg(long, value_enum)]
        kind: Option<RecordKindArg>,
    },
}

/// The documents `temoin dossier` drafts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DossierKindArg {
    /// An urgent appeal.
    Appeal,
    /// A complaint to the Committee against Torture (article 22).
    Cat,
    /// A communication to the Human Rights Committee.
    Hrc,
    /// A request for assistance.
    Assistance,
}

/// The kinds of record `temoin record` handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RecordKindArg {
    Person,
    Testimony,
    Violation,
    Place,
    Perpetrator,
    FollowUp,
    Consent,
    Detention,
    Proceeding,
    Assistance,
}

fn parse_role(s: &str) -> Result<temoin_vault::case::Role, String> {
    temoin_vault::case::Role::from_code(s).ok_or_else(|| {
        let codes: Vec<_> = temoin_vault::case::Role::ALL
            .iter()
            .map(|r| r.code())
            .collect();
        format!("not a role; one of: {}", codes.join(", "))
    })
}

#[derive(Subcommand, Debug)]
pub enum TestimonyCommand {
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
pub enum EvidenceCommand {
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
        regions: Vec<temoin_media::redact::Region>,
        /// Blur the regions (coarse blocks, then smoothed) instead of
        /// blacking them out. Black is safer: blocks keep colours and shapes.
        #[arg(long, requires = "regions")]
        blur: bool,
    },
}

pub fn parse_region(s: &str) -> Result<temoin_media::redact::Region, String> {
    let parts: Vec<u32> = s
        .split(',')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| "a region is four whole numbers: x,y,w,h".to_owned())?;
    match parts.as_slice() {
        [x, y, w, h] => Ok(temoin_media::redact::Region {
            x: *x,
            y: *y,
            w: *w,
            h: *h,
        }),
        _ => Err("a region is four whole numbers: x,y,w,h".to_owned()),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KdfCost {
    Calibrated,
    Minimum,
}

/// Why a case is urgent (the model's `UrgentReason`).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UrgentReasonArg {
    DefenderAtRisk,
    IncommunicadoDetention,
    ImminentTransfer,
    HealthEmergency,
    DeathInCustody,
}

impl From<UrgentReasonArg> for temoin_vault::case::UrgentReason {
    fn from(r: UrgentReasonArg) -> Self {
        use temoin_vault::case::UrgentReason as U;
        match r {
            UrgentReasonArg::DefenderAtRisk => U::DefenderAtRisk,
            UrgentReasonArg::IncommunicadoDetention => U::IncommunicadoDetention,
            UrgentReasonArg::ImminentTransfer => U::ImminentTransfer,
            UrgentReasonArg::HealthEmergency => U::HealthEmergency,
            UrgentReasonArg::DeathInCustody => U::DeathInCustody,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
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
pub const EXIT_DAMAGED: u8 = 3;

/// What a duress passphrase does.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DuressArg {
    /// Open a spare vault; the real one stays.
    Decoy,
    /// Destroy the real vault, open an empty one.
    Shred,
}

#[derive(Subcommand, Debug)]
pub enum AckCommand {
    /// Import an acknowledgement OMCT's desk wrote as a file (`desk
    /// ack-file`), for a bundle handed over on a USB stick: verified with
    /// the desk's key and recorded as if it came through the server.
    Import {
        /// The acknowledgement file.
        file: PathBuf,
    },
}
