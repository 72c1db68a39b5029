//! What reading a bundle found: the report, each problem with its stable
//! code, and why a bundle could not be read at all.

use std::io;

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;

/// Why a bundle could not be read at all (as opposed to read and found
/// wanting, which is a [`Report`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not an age file, or its header is damaged.
    #[error("this is not a sealed bundle (not an age file, or its header is damaged)")]
    NotABundle,
    /// None of the identities given can open it.
    #[error("the bundle is not addressed to this key: none of the identities given can open it")]
    NotForThisKey,
    /// The output folder is not empty or cannot be made.
    #[error("the output folder must be new or empty")]
    OutputNotEmpty,
    /// Reading or writing failed.
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
}

/// What is wrong, as a stable code (`docs/FORMAT.md`, "Verification"): the
/// JSON a report serialises to names it in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemCode {
    /// The archive or a fixed member is not what the format says.
    Malformed,
    /// The bundle cannot be read to its end (decryption or the archive failed).
    Damaged,
    /// A member is larger than a reader accepts.
    Oversized,
    /// More files than a bundle may hold.
    TooManyFiles,
    /// A member's path or type is not allowed.
    UnsafePath,
    /// A path appears twice.
    DuplicateFile,
    /// A member the manifest does not list.
    UnknownFile,
    /// A file the manifest lists is not in the archive.
    MissingFile,
    /// A file differs from the manifest or `SHA256SUMS`.
    HashMismatch,
    /// The manifest has no signature.
    NotSigned,
    /// The manifest's signature does not verify with its stated key.
    BadSignature,
    /// The manifest names a format this reader does not know.
    UnknownFormat,
    /// The manifest names a purpose this reader does not know (or one its
    /// format version does not have), so it cannot tell what the bundle
    /// carries and leaves out.
    UnknownPurpose,
    /// The bundle carries what its purpose excludes (an original, or a
    /// capture position, in a publication).
    OutsidePurpose,
    /// The signing key is not one the reader trusts.
    UnknownDevice,
    /// The key that opened the bundle is not among the manifest's recipients.
    RecipientNotBound,
    /// A record or file is not accounted for by a custody entry.
    CustodyMissing,
    /// A custody entry is malformed.
    CustodyMalformed,
    /// A custody entry's signature does not verify.
    CustodyBadSignature,
    /// Custody entries are out of order or their hash chain is broken.
    CustodyBrokenLink,
}

impl ProblemCode {
    /// The code as FORMAT.md spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Malformed => "malformed",
            ProblemCode::Damaged => "damaged",
            ProblemCode::Oversized => "oversized",
            ProblemCode::TooManyFiles => "too_many_files",
            ProblemCode::UnsafePath => "unsafe_path",
            ProblemCode::DuplicateFile => "duplicate_file",
            ProblemCode::UnknownFile => "unknown_file",
            ProblemCode::MissingFile => "missing_file",
            ProblemCode::HashMismatch => "hash_mismatch",
            ProblemCode::NotSigned => "not_signed",
            ProblemCode::BadSignature => "bad_signature",
            ProblemCode::UnknownFormat => "unknown_format",
            ProblemCode::UnknownPurpose => "unknown_purpose",
            ProblemCode::OutsidePurpose => "outside_purpose",
            ProblemCode::UnknownDevice => "unknown_device",
            ProblemCode::RecipientNotBound => "recipient_not_bound",
            ProblemCode::CustodyMissing => "custody_missing",
            ProblemCode::CustodyMalformed => "custody_malformed",
            ProblemCode::CustodyBadSignature => "custody_bad_signature",
            ProblemCode::CustodyBrokenLink => "custody_broken_link",
        }
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing found wrong with a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A stable code (see docs/FORMAT.md, "Verification").
    pub code: ProblemCode,
    /// What, in words, naming paths and ids but never content.
    pub detail: String,
}

/// What reading a bundle found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The manifest, if one was read.
    pub manifest: Option<Manifest>,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: Option<String>,
    /// Whether the manifest's signature verified with its stated key.
    pub signature_valid: bool,
    /// Whether that key is one the reader trusts (`None`: no trusted key was
    /// given, so authenticity is not established).
    pub signer_trusted: Option<bool>,
    /// Files whose hash was checked and held.
    pub files_verified: usize,
    /// Custody entries whose signature verified.
    pub custody_verified: usize,
    /// Everything wrong. Empty means everything checked held.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether the bundle is intact and consistent (its signature, hashes,
    /// paths and custody entries all hold). Authenticity also needs
    /// [`Report::signer_trusted`].
    pub fn intact(&self) -> bool {
        self.problems.is_empty() && self.manifest.is_some() && self.signature_valid
    }

    /// Intact, and signed by a key the reader trusts.
    pub fn genuine(&self) -> bool {
        self.intact() && self.signer_trusted == Some(true)
    }

    pub(crate) fn problem(&mut self, code: ProblemCode, detail: impl Into<String>) {
        self.problems.push(Problem {
            code,
            detail: detail.into(),
        });
    }
}
