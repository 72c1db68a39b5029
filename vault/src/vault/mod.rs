//! The vault: create, unlock, lock, change passphrase, and items with
//! revisions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use temoin_crypto::kdf::KdfParams;
use temoin_crypto::key::{ItemKey, StateMac, VaultKey};
use temoin_crypto::payload::PayloadIdentity;
use temoin_crypto::seal::{Aad, RecordAad};
use temoin_crypto::sign::{DeviceKey, DevicePublicKey};
use temoin_crypto::Passphrase;
use zeroize::Zeroizing;

use crate::case::{
    Case, Consent, Evidence, FollowUp, Perpetrator, Person, Place, Testimony, Violation,
};
use crate::custody::{Action, ChainBreak, CustodyEntry, Event};
use crate::error::{OpenError, VaultError};
use crate::file::{BLOBS_DIR, RECORDS_DIR, STAGING_DIR};
use crate::head::{Head, HeadFile};
use crate::keyslot::{SlotFile, FORMAT, VERSION};
use crate::record::{limits, ItemId, Kind, Record};
use crate::rollback::{xor, RolledBack, StateRecord};
use crate::search::{Hit, SearchIndex};
use crate::store::{self, Store};

const META_IDENTITY: &str = "payload-identity";
const META_DEVICE: &str = "device-key";
const META_BUNDLE_SEQ: &str = "bundle-sequence";

/// How costly to make the passphrase KDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfChoice {
    /// Calibrated on this machine to 0.6–0.9 s (the default).
    Calibrated,
    /// The floor ([`KdfParams::FLOOR`]): for tests and very weak machines.
    Minimum,
    /// Exactly these parameters (still checked against floor and ceiling).
    Exactly(KdfParams),
}

impl KdfChoice {
    fn params(self) -> Result<KdfParams, OpenError> {
        Ok(match self {
            KdfChoice::Calibrated => KdfParams::calibrate(Duration::from_millis(600))?,
            KdfChoice::Minimum => KdfParams::FLOOR,
            KdfChoice::Exactly(p) => {
                p.check()?;
                p
            }
        })
    }
}

/// What an intake adds to a new item beyond its record.
#[derive(Default)]
pub(crate) struct Intake {
    /// The payload's SHA-256, for the custody entry.
    pub sha256: Option<String>,
    /// For a working copy: its original and the original's SHA-256.
    pub source: Option<ItemId>,
    pub source_sha256: Option<String>,
    /// A preview image, sealed under the item key.
    pub preview: Option<Zeroizing<Vec<u8>>>,
}

/// One revision of a record, with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored<R> {
    /// The item's id.
    pub id: ItemId,
    /// The revision (0 for the first).
    pub revision: u32,
    /// The record.
    pub record: R,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct CustodyHead {
    pub next_seq: u64,
    pub prev: [u8; 32],
    pub broken_at: Option<u64>,
    /// The digest of the live items' latest revisions once the entries
    /// up to here are applied (`crate::rollback`).
    pub items: [u8; 32],
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) zeroizes its keys and
/// its search index.
pub struct Vault {
    pub(crate) dir: PathBuf,
    /// Where the key slots are: `dir`, or its parent for the spare store a
    /// duress passphrase opens.
    pub(crate) slots_dir: PathBuf,
    pub(crate) vault_id: [u8; 16],
    pub(crate) key: VaultKey,
    pub(crate) identity: PayloadIdentity,
    pub(crate) device: DeviceKey,
    pub(crate) store: Store,
    pub(crate) head_file: HeadFile,
    pub(crate) catalog: HashMap<ItemId, CatalogEntry>,
    pub(crate) damaged: BTreeMap<ItemId, Option<Kind>>,
    pub(crate) index: SearchIndex,
    pub(crate) custody_head: CustodyHead,
    /// The custody entry the snapshot on disk is current to, if there is a
    /// valid one.
    pub(crate) snapshot_seq: Option<u64>,
    /// Set when a commit failed after sled took its batch: the catalog and
    /// index may then disagree with the store, so no snapshot is written and
    /// no further write is accepted until the vault is reopened.
    pub(crate) unsettled: bool,
    /// Set once unlock has loaded everything; until then (and if unlock
    /// fails part way) no snapshot may be written from the partial state.
    pub(crate) loaded: bool,
    /// In the spare store: the id of the duress slot that opened it (its
    /// backup carries that slot as its own key-slot file).
    pub(crate) spare_slot: Option<[u8; 16]>,
    /// Keyed digests for the state record (`crate::rollback`).
    pub(crate) mac: StateMac,
    /// The state record as last written (or read at unlock).
    pub(crate) record: StateRecord,
    /// The custody head file's content as last written (or read).
    pub(crate) head_written: Head,
    /// Items held back as damaged whose latest revision the custody log
    /// knows: a deletion takes them out of the items digest.
    pub(crate) expected_damaged: HashMap<ItemId, u32>,
    /// Settings found put back or removed at unlock: reading one is refused
    /// until it is written again.
    pub(crate) stale_states: BTreeSet<[u8; 16]>,
    /// What unlock found put back from an older copy.
    pub(crate) rolled_back: Vec<RolledBack>,
    /// The last bundle sequence number the custody log records, when the
    /// stored one was found lower.
    pub(crate) bundle_floor: u64,
}

impl Drop for Vault {
    /// Locking writes the index snapshot, so the next unlock is quick. A
    /// failure here costs only speed: the next unlock scans instead.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = self.write_snapshot();
        }
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({} items)", self.catalog.len())
    }
}

/// Decodes any kind of record into what the catalog and index need.
fn decode_any(kind: Kind, plaintext: &[u8], text: &mut String) -> Option<Option<ItemId>> {
    fn one<R: Record>(plaintext: &[u8], text: &mut String) -> Option<Option<ItemId>> {
        let r: R = serde_json::from_slice(plaintext).ok()?;
        r.index_text(text);
        Some(r.case_id())
    }
    match kind {
        Kind::Case => one::<Case>(plaintext, text),
        Kind::Person => one::<Person>(plaintext, text),
        Kind::Testimony => one::<Testimony>(plaintext, text),
        Kind::Evidence => one::<Evidence>(plaintext, text),
        Kind::Consent => one::<Consent>(plaintext, text),
        Kind::Violation => one::<Violation>(plaintext, text),
        Kind::Place => one::<Place>(plaintext, text),
        Kind::Perpetrator => one::<Perpetrator>(plaintext, text),
        Kind::FollowUp => one::<FollowUp>(plaintext, text),
        Kind::Received => one::<temoin_model::desk::Received>(plaintext, text),
        Kind::Triage => one::<temoin_model::desk::Triage>(plaintext, text),
        Kind::Detention => one::<temoin_model::case::Detention>(plaintext, text),
        Kind::Proceeding => one::<temoin_model::case::Proceeding>(plaintext, text),
        Kind::Assistance => one::<temoin_model::case::Assistance>(plaintext, text),
    }
}

/// The SHA-256 and size of the payload a record of `kind` gives, and
/// whether it is kept as it arrived, if its kind has one and it parses.
pub(crate) fn payload_of(kind: Kind, plaintext: &[u8]) -> Option<(String, u64, bool)> {
    fn one<R: Record>(plaintext: &[u8]) -> Option<(String, u64, bool)> {
        let r: R = serde_json::from_slice(plaintext).ok()?;
        r.payload()
            .map(|(s, n)| (s.to_owned(), n, r.payload_as_arrived()))
    }
    match kind {
        Kind::Evidence => one::<Evidence>(plaintext),
        Kind::Received => one::<temoin_model::desk::Received>(plaintext),
        _ => None,
    }
}

/// Whether a plaintext parses as a record of `kind`.
pub(crate) fn decode_check(kind: Kind, plaintext: &[u8], text: &mut String) -> bool {
    decode_any(kind, plaintext, text).is_some()
}

/// What loading one item produced.
enum Loaded {
    Ok {
        id: ItemId,
        entry: CatalogEntry,
        text: Zeroizing<String>,
    },
    Damaged {
        id: ItemId,
        kind: Option<Kind>,
    },
}

/// Whether `key` opens the custody head in `dir`.
pub(crate) fn head_opens(dir: &Path, key: &VaultKey, vault_id: [u8; 16]) -> bool {
    matches!(HeadFile::open(dir, key, vault_id), Ok((_, Some(_))))
}

mod check;
mod commit;
mod items;
mod load;
mod open;
pub(crate) mod spare;

pub(crate) use crate::snapshot::CatalogEntry;

impl Vault {
    /// Locks the vault: writes the index snapshot, then keys and index are
    /// zeroized as they drop.
    pub fn lock(mut self) {
        let _ = self.write_snapshot();
    }

    /// The folder the vault lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The device's public key (signs custody entries and bundles).
    pub fn device_public_key(&self) -> DevicePublicKey {
        self.device.public()
    }

    /// Items found damaged at unlock: they cannot be read; everything else
    /// can. `temoin verify` says exactly what is wrong with each.
    pub fn damaged(&self) -> Vec<ItemId> {
        self.damaged.keys().copied().collect()
    }

    /// What unlock found put back from an older copy, or removed, outside
    /// Témoin (`crate::rollback`): items among them are also in
    /// [`damaged`](Self::damaged) and are not served.
    pub fn rolled_back(&self) -> &[RolledBack] {
        &self.rolled_back
    }

    /// Whether the store holds a key for `id` (whatever the in-memory state).
    pub(crate) fn key_in_store(&self, id: ItemId) -> bool {
        self.store
            .db
            .contains_key(store::item_key(id))
            .unwrap_or(true)
    }

    pub(crate) fn blob_path(&self, id: ItemId) -> PathBuf {
        self.dir.join(BLOBS_DIR).join(format!("{id}.age"))
    }
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
