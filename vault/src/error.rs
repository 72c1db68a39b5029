//! Errors, one enum per operation family: opening ([`OpenError`]), anything
//! done with an unlocked vault ([`VaultError`]), and the operations that can
//! fail for reasons of their own: adding evidence ([`IngestError`]),
//! exporting a bundle ([`ExportError`]), forgetting a delivered case
//! ([`ForgetError`]) and the panic wipe ([`WipeError`]). Messages say what
//! happened and what a person can do; they never carry plaintext, names,
//! titles or keys.

use std::io;
use std::path::PathBuf;

use crate::record::{FieldError, ItemId, Kind};

/// Creating, unlocking, or changing the passphrase of a vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No vault at that path.
    #[error("no vault found at {0} (expected a folder made by `temoin init`)")]
    NotAVault(PathBuf),
    /// Refusing to create a vault over existing files.
    #[error("{0} is not empty; choose a new or empty folder for the vault")]
    NotEmpty(PathBuf),
    /// The passphrase opened no slot.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The passphrase was empty.
    #[error("the passphrase must not be empty")]
    EmptyPassphrase,
    /// Some vault file is missing or unreadable: the vault fails closed.
    #[error(
        "the vault is damaged ({what}); it was not opened and nothing was changed. \
         Restore it from a backup, or ask for help before trying anything else"
    )]
    Damaged {
        /// What is damaged (a file or structure name, never content).
        what: String,
    },
    /// The key-derivation parameters are unsafe.
    #[error(transparent)]
    Kdf(#[from] temoin_crypto::kdf::KdfError),
    /// The vault was made by a newer version.
    #[error(
        "this vault was made by a newer version of Témoin (format {0}); update Témoin to open it"
    )]
    TooNew(u32),
    /// The record store is in use by another program.
    #[error("the vault is open in another Témoin window or process; close it first")]
    InUse,
    /// The passphrase was not changed, because the change could not be
    /// recorded in the custody log.
    #[error("the passphrase was not changed: {0}")]
    NotRecordable(String),
    /// The passphrase WAS changed, but recording it in the custody log
    /// failed.
    #[error(
        "the passphrase was changed (use the new one from now on), but recording the change \
         failed: {0}"
    )]
    ChangedNotRecorded(String),
    /// The disk failed.
    #[error("could not read or write the vault: {0}")]
    Io(#[from] io::Error),
}

/// Anything done with an unlocked vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// No item with that id (or it was deleted).
    #[error("no {kind} with id {id}")]
    NotFound {
        /// The id asked for.
        id: ItemId,
        /// What was expected.
        kind: &'static str,
    },
    /// The item exists but is another kind.
    #[error("item {id} is a {actual}, not a {expected}")]
    WrongKind {
        /// The id.
        id: ItemId,
        /// Expected kind.
        expected: Kind,
        /// Actual kind.
        actual: Kind,
    },
    /// The item is damaged and cannot be read; `temoin verify` says more.
    #[error("item {id} is damaged and cannot be read; run `temoin verify` for details")]
    Damaged {
        /// The damaged item.
        id: ItemId,
    },
    /// A field was refused.
    #[error("refused: {0}")]
    Invalid(#[from] FieldError),
    /// A record is larger than allowed.
    #[error("refused: the record is too large ({size} bytes; at most {max})")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A link points to an item that does not exist or is of the wrong kind.
    #[error("refused: the linked {expected} {id} does not exist")]
    BadLink {
        /// The id linked to.
        id: ItemId,
        /// What it should have been.
        expected: Kind,
    },
    /// An evidence record's payload facts (hash, size, type) cannot change.
    #[error(
        "refused: what intake established about evidence (hash, size, media type, case, capture \
         metadata, the original of a working copy) cannot be edited"
    )]
    ImmutablePayloadFacts,
    /// The evidence payload is missing from the blob folder.
    #[error("the file of evidence {id} is missing from the vault")]
    PayloadMissing {
        /// The evidence item.
        id: ItemId,
    },
    /// The evidence payload is damaged: it fails to decrypt or its hash
    /// does not match.
    #[error("the file of evidence {id} is damaged (it no longer matches its recorded hash)")]
    PayloadDamaged {
        /// The evidence item.
        id: ItemId,
    },
    /// The custody log is broken, so nothing more can be appended to it.
    #[error(
        "the custody log is damaged at entry {seq}; the vault is read-only until it is repaired \
         or restored (run `temoin verify`)"
    )]
    CustodyBroken {
        /// The first broken entry.
        seq: u64,
    },
    /// The file to export to already exists; it was left untouched.
    #[error("the output file already exists; choose another name (nothing was written)")]
    OutputExists,
    /// An earlier save failed after the record store had taken it, so what
    /// this session holds in memory may not match the disk.
    #[error(
        "an earlier save failed midway; lock and unlock the vault before saving more \
         (nothing acknowledged is lost)"
    )]
    Unsettled,
    /// The disk is full.
    #[error("the disk is full; nothing was stored. Free some space and try again")]
    DiskFull,
    /// Any other I/O failure.
    #[error("could not read or write the vault: {0}")]
    Io(io::Error),
    /// sled reported an error.
    #[error("the record store failed: {0}")]
    Store(String),
}

impl From<io::Error> for VaultError {
    fn from(e: io::Error) -> Self {
        if is_disk_full(&e) {
            VaultError::DiskFull
        } else {
            VaultError::Io(e)
        }
    }
}

impl From<sled::Error> for VaultError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => io.into(),
            // sled's messages name internal structures only, never our data,
            // which it sees sealed.
            other => VaultError::Store(other.to_string()),
        }
    }
}

/// Adding evidence, or making a working copy of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file being added could not be read.
    #[error("could not read the file being added: {0}")]
    Source(io::Error),
    /// An image could not be processed (for a working copy).
    #[error(transparent)]
    Media(#[from] temoin_media::MediaError),
    /// The vault refused or failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Exporting a case as a sealed bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// No consent of the case covers what the bundle is for.
    #[error("no consent recorded in this case covers {scope} (or one was withdrawn): record the person's consent first; nothing was exported")]
    NoConsent {
        /// The consent scope needed.
        scope: &'static str,
    },
    /// No case has figures to send: no victim whose consent covers
    /// anonymised statistics, in the quarters asked for.
    #[error("no case counts anyone for anonymised statistics in the quarters asked for (no victim recorded, or no consent covers anonymised statistics): nothing was sealed")]
    NoFigures,
    /// The vault refused or failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Forgetting a case after its delivery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForgetError {
    /// OMCT's desk has not acknowledged a bundle of the case as it is now
    /// (not sent, not yet opened by the desk, flagged, or changed since).
    #[error(
        "OMCT has not confirmed receiving this case as it is now (not sent yet, not yet opened \
         by OMCT's desk, refused by it, or changed since): submit it and wait until it shows \
         \"received by OMCT\"; nothing was removed"
    )]
    NotDelivered,
    /// Some of the case's items were left out of what OMCT received, for
    /// want of consent covering it: forgetting the case would lose them.
    #[error(
        "{0} item(s) of this case were not sent to OMCT, because no consent covers sharing them: \
         forgetting the case would lose them; nothing was removed"
    )]
    Withheld(usize),
    /// The vault refused or failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// The panic wipe.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WipeError {
    /// The folder holds no vault (nothing was touched).
    #[error("no vault found at {0} (nothing was wiped)")]
    NotAVault(PathBuf),
    /// The wipe could not even start (its marker could not be written):
    /// nothing was destroyed.
    #[error("the wipe could not start ({0}); nothing was destroyed: try again")]
    NotStarted(io::Error),
    /// The disk failed part way; what was done stays done, and the next
    /// start finishes the wipe.
    #[error("the wipe could not finish ({0}); it finishes the next time Témoin starts")]
    Io(#[from] io::Error),
}

impl From<WipeError> for OpenError {
    fn from(e: WipeError) -> Self {
        match e {
            WipeError::NotAVault(p) => OpenError::NotAVault(p),
            WipeError::NotStarted(e) | WipeError::Io(e) => OpenError::Io(e),
        }
    }
}

/// The `?` operator on the I/O and store steps of each operation.
macro_rules! via_vault {
    ($($t:ty),+) => {$(
        impl From<io::Error> for $t {
            fn from(e: io::Error) -> Self {
                VaultError::from(e).into()
            }
        }
        impl From<sled::Error> for $t {
            fn from(e: sled::Error) -> Self {
                VaultError::from(e).into()
            }
        }
        impl From<FieldError> for $t {
            fn from(e: FieldError) -> Self {
                VaultError::from(e).into()
            }
        }
    )+};
}
via_vault!(IngestError, ExportError, ForgetError);

pub(crate) fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}
