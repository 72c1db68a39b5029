//! The manifest: the signed description of a bundle, and the fixed names and
//! limits of the format (`docs/FORMAT.md`).

use serde::{Deserialize, Serialize};
use temoin_model::case::ConsentScope;
use temoin_model::ItemId;

/// The format tag of version 1, which knows the purposes `share_with_omct`
/// and `litigation`. Bundles for those are still written in it, byte for
/// byte as version 1 says, so that readers of version 1 keep reading them.
pub const FORMAT_V1: &str = "temoin-bundle/1";
/// The format tag of version 2, which added the purpose `publication`
/// (working copies only). Only bundles for a purpose version 1 does not know
/// are written in it, so that a reader of version 1 refuses them instead of
/// taking them for what they are not.
pub const FORMAT_V2: &str = "temoin-bundle/2";
/// The format tag of version 3, which added the field `part`: an urgent
/// case's records sent ahead of its evidence files, which follow in a
/// bundle naming this one in `supersedes`. A reader of version 2 would take
/// such a bundle for the whole case, so only a bundle with a `part` is
/// written in it.
pub const FORMAT_V3: &str = "temoin-bundle/3";
/// Every format tag this crate reads.
pub const FORMATS: [&str; 3] = [FORMAT_V1, FORMAT_V2, FORMAT_V3];
/// Paths of the fixed members, in the order they are written.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's minisign signature.
pub const SIGNATURE: &str = "manifest.json.minisig";
/// Checksums in the format `sha256sum -c` reads.
pub const SUMS: &str = "SHA256SUMS";
/// Custody entries, one JSON object a line.
pub const CUSTODY: &str = "custody.jsonl";
/// A summary for people.
pub const README: &str = "README.html";
/// The folder of evidence files.
pub const EVIDENCE_DIR: &str = "evidence/";

/// Largest manifest a reader accepts.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Largest custody file a reader accepts.
pub const MAX_CUSTODY_BYTES: u64 = 64 * 1024 * 1024;
/// Largest README a reader accepts.
pub const MAX_README_BYTES: u64 = 16 * 1024 * 1024;
/// Largest signature or checksum file a reader accepts.
pub const MAX_SMALL_BYTES: u64 = 4 * 1024 * 1024;
/// Most files a bundle may hold.
pub const MAX_FILES: usize = 100_000;

/// What a bundle is for. Only items whose consent covers it go in, and
/// only the kind of file it needs (`docs/FORMAT.md`, "Purposes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Handed over to OMCT: originals with their hashes and capture
    /// metadata.
    ShareWithOmct,
    /// Given to a litigator for proceedings: originals with their hashes
    /// and capture metadata.
    Litigation,
    /// Material that may be made public: working copies only (redacted,
    /// metadata stripped), with nothing in their records that locates or
    /// identifies.
    Publication,
    /// Figures for OMCT's statistics, without any case (version 3): per
    /// case, the number of victims by country, quarter and dimension, over
    /// the people whose consent covers anonymised statistics. No record,
    /// no file.
    AnonymisedStatistics,
}

impl Purpose {
    /// Every purpose a case is exported for, in the order a person is
    /// offered them (figures are sent otherwise: `submit --stats`).
    pub const ALL: [Purpose; 3] = [
        Purpose::ShareWithOmct,
        Purpose::Litigation,
        Purpose::Publication,
    ];

    /// The consent scope it needs.
    pub fn scope(self) -> ConsentScope {
        match self {
            Purpose::ShareWithOmct => ConsentScope::ShareWithOmct,
            Purpose::Litigation => ConsentScope::Litigation,
            Purpose::Publication => ConsentScope::Publication,
            Purpose::AnonymisedStatistics => ConsentScope::AnonymisedStatistics,
        }
    }

    /// The code used in manifests and custody entries.
    pub fn code(self) -> &'static str {
        match self {
            Purpose::ShareWithOmct => "share_with_omct",
            Purpose::Litigation => "litigation",
            Purpose::Publication => "publication",
            Purpose::AnonymisedStatistics => "anonymised_statistics",
        }
    }

    /// The purpose a manifest code names, if this version knows it.
    pub fn from_code(code: &str) -> Option<Purpose> {
        Purpose::ALL
            .into_iter()
            .chain([Purpose::AnonymisedStatistics])
            .find(|p| p.code() == code)
    }

    /// Whether a bundle for it carries originals (exactly as received, with
    /// their capture metadata). A publication does not: an original's bytes
    /// and metadata can say where it was taken and by whom, so only working
    /// copies go, and an original without one stays behind.
    pub fn carries_originals(self) -> bool {
        match self {
            Purpose::ShareWithOmct | Purpose::Litigation => true,
            Purpose::Publication | Purpose::AnonymisedStatistics => false,
        }
    }

    /// The format tag a bundle for it is written in: the oldest version that
    /// knows the purpose, so that older readers read what they can and
    /// refuse what they cannot.
    pub fn format(self) -> &'static str {
        match self {
            Purpose::ShareWithOmct | Purpose::Litigation => FORMAT_V1,
            Purpose::Publication => FORMAT_V2,
            Purpose::AnonymisedStatistics => FORMAT_V3,
        }
    }
}

/// Which part of a case a bundle carries, when it is not the whole
/// (version 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// An urgent case's records, evidence records included, without any
    /// evidence file: sent ahead of everything else so that OMCT can act
    /// on the account while the files are still on their way. The bundle
    /// with the files follows and names this one in `supersedes`.
    Text,
}

impl Part {
    /// The code used in manifests.
    pub fn code(self) -> &'static str {
        match self {
            Part::Text => "text",
        }
    }
}

/// The format tag a bundle is written in: the oldest version that knows
/// both its purpose and its part, so that older readers read what they can
/// and refuse what they would misread.
pub fn format_for(purpose: Purpose, part: Option<Part>) -> &'static str {
    match part {
        Some(Part::Text) => FORMAT_V3,
        None => purpose.format(),
    }
}

/// A bundle that this one replaces (a case amended after delivery, or the
/// text sent ahead of an urgent case's files).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedes {
    /// The earlier bundle's id.
    pub bundle_id: String,
    /// Its sequence number.
    pub sequence: u64,
    /// The SHA-256 of its manifest.
    pub manifest_sha256: String,
}

/// The signer, as the manifest names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The minisign key id (16 upper-case hex digits).
    pub key_id: String,
    /// The public key, minisign base64. A reader must not trust it on its
    /// own word: it is compared with a key known from elsewhere.
    pub public_key: String,
}

/// One record in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The item's id.
    pub id: ItemId,
    /// Its kind (`case`, `testimony`, ...).
    pub kind: String,
    /// The revision sent.
    pub revision: u32,
    /// The record, as the case model defines it.
    pub record: serde_json::Value,
    /// Whether fields about a withheld person were blanked (set to null)
    /// in this copy of the record: the names and notes in the consent of a
    /// person who did not consent to this purpose, the notes on such a
    /// person's role in the case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

/// One file in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its path in the archive.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// The evidence item it is the payload of, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemId>,
}

/// An item left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    /// The item's id.
    pub id: ItemId,
    /// Its kind.
    pub kind: String,
    /// Why, in words.
    pub reason: String,
}

/// The signed description of a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_V1`], [`FORMAT_V2`] or [`FORMAT_V3`]: the one
    /// [`format_for`] names.
    pub format: String,
    /// A random id (UUID v4).
    pub bundle_id: String,
    /// When it was sealed, RFC 3339 UTC.
    pub created_at: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The signing device.
    pub device: DeviceInfo,
    /// The device's sequence number: one more for every bundle it seals.
    pub sequence: u64,
    /// Fingerprints of the age recipients it is encrypted to
    /// (`sha256:` + hex of the `age1...` string).
    pub recipients: Vec<String>,
    /// The bundle this one replaces, if any.
    #[serde(default)]
    pub supersedes: Option<Supersedes>,
    /// The case's id.
    pub case_id: ItemId,
    /// Every record sent: the case first, then the rest by kind and id.
    pub items: Vec<ItemRecord>,
    /// Every file of the archive but the manifest, its signature and
    /// `SHA256SUMS`.
    pub files: Vec<FileEntry>,
    /// Items of the case left out.
    pub withheld: Vec<Withheld>,
    /// The part of the case it carries, when not the whole (version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
    /// For [`Purpose::AnonymisedStatistics`] (version 3): each case's
    /// figures. `case_id` is then a random id of the figures, no case's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Vec<temoin_model::stats::CaseFigures>>,
}
