//! The vault: create, unlock, lock, change passphrase, and items with
//! revisions.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use temoin_crypto::kdf::KdfParams;
use temoin_crypto::key::{ItemKey, VaultKey};
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
use crate::head::{Head, HeadFile};
use crate::keyslot::{SlotFile, FORMAT, VERSION};
use crate::record::{limits, ItemId, Kind, Record};
use crate::search::{Hit, SearchIndex};
use crate::store::{self, Store};

/// The record store's folder inside the vault folder.
pub(crate) const RECORDS_DIR: &str = "records";
/// The evidence payloads' folder.
pub(crate) const BLOBS_DIR: &str = "blobs";
/// Payloads being written, before they are committed.
pub(crate) const STAGING_DIR: &str = "staging";

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
pub(crate) struct CatalogEntry {
    pub kind: Kind,
    pub case: Option<ItemId>,
    pub latest: u32,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct CustodyHead {
    pub next_seq: u64,
    pub prev: [u8; 32],
    pub broken_at: Option<u64>,
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

impl Vault {
    /// Creates a vault in `dir`, which must not exist or be empty.
    pub fn create(dir: &Path, passphrase: &Passphrase, kdf: KdfChoice) -> Result<Vault, OpenError> {
        if passphrase.is_empty() {
            return Err(OpenError::EmptyPassphrase);
        }
        crate::wipe::finish_interrupted_wipe(dir)?;
        match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(OpenError::NotEmpty(dir.to_owned()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)?;
            }
            Err(e) => return Err(e.into()),
        }
        restrict_permissions(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            store::sync_dir(parent)?;
        }
        let params = kdf.params()?;
        let mut vault_id = [0u8; 16];
        temoin_crypto::random_bytes(&mut vault_id);
        let key = VaultKey::generate();
        let (store, head_file, identity, device, first_hash) =
            Self::create_store(dir, vault_id, &key)?;

        // The key-slot file comes last: until it exists, the folder is not a
        // vault, and a crash during creation leaves nothing that unlocks.
        let mut slots = SlotFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            vault_id,
            slots: Vec::new(),
            attempt_limit: None,
        };
        // One salt for all the vault's slots, and a dummy slot beside the
        // real one: a duress slot added later takes the dummy's place and
        // looks the same (`SlotFile::unlock`, `crate::duress`).
        let salt = temoin_crypto::kdf::new_salt();
        let slot = slots.passphrase_slot_salted(&key, passphrase, params, &salt)?;
        slots.slots.push(slot);
        slots.slots.push(SlotFile::dummy_slot(&salt, params));
        crate::duress::attempts_reset(dir)?;
        slots.write(dir)?;
        store::sync_dir(dir)?;

        let mut vault = Vault::assemble(dir, vault_id, key, identity, device, store, head_file);
        vault.custody_head = CustodyHead {
            next_seq: 1,
            prev: first_hash,
            broken_at: None,
        };
        vault.loaded = true;
        Ok(vault)
    }

    /// Makes a vault's store in `dir` (records, evidence folder, the sealed
    /// payload identity and device key, the first custody entry and the
    /// custody head), everything but the key slots.
    #[allow(clippy::type_complexity)]
    pub(crate) fn create_store(
        dir: &Path,
        vault_id: [u8; 16],
        key: &VaultKey,
    ) -> Result<(Store, HeadFile, PayloadIdentity, DeviceKey, [u8; 32]), OpenError> {
        let mut store = Store::create(&dir.join(RECORDS_DIR))?;
        std::fs::create_dir_all(dir.join(BLOBS_DIR).join(STAGING_DIR))?;

        let identity = PayloadIdentity::generate();
        let device = DeviceKey::generate();

        let mut batch = sled::Batch::default();
        batch.insert(
            store::meta_key(META_IDENTITY),
            key.seal(
                &Aad::Named {
                    vault_id,
                    name: META_IDENTITY,
                },
                identity.secret_for_sealing().as_bytes(),
            ),
        );
        batch.insert(
            store::meta_key(META_DEVICE),
            key.seal(
                &Aad::Named {
                    vault_id,
                    name: META_DEVICE,
                },
                device.secret_for_sealing().as_ref(),
            ),
        );
        let first = CustodyEntry::new(&device, 0, [0; 32], Action::VaultCreated, Event::default());
        batch.insert(
            &store::custody_key(0),
            key.seal(&Aad::Custody { vault_id, seq: 0 }, &first.encode()),
        );
        let as_open_error = |e: VaultError| match e {
            VaultError::Io(io) => OpenError::Io(io),
            other => OpenError::Damaged {
                what: other.to_string(),
            },
        };
        store
            .db
            .apply_batch(batch)
            .map_err(|e| as_open_error(e.into()))?;
        store.sync().map_err(as_open_error)?;
        let mut head_file = HeadFile::create(dir)?;
        head_file
            .write(
                key,
                vault_id,
                Head {
                    seq: 0,
                    hash: first.hash(),
                },
            )
            .map_err(as_open_error)?;

        Ok((store, head_file, identity, device, first.hash()))
    }

    /// Unlocks the vault in `dir`: derives the key, opens the record store,
    /// and builds the catalog and the search index. Damaged items are noted
    /// (see [`Vault::damaged`]) and do not stop the rest from opening.
    pub fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<Vault, OpenError> {
        // A wipe that a crash cut short is finished before anything else.
        if crate::wipe::finish_interrupted_wipe(dir)? {
            return Err(OpenError::NotAVault(dir.to_owned()));
        }
        let slots = SlotFile::read(dir)?;
        crate::duress::attempts_before(dir, &slots)?;
        let (key, slot) = match slots.unlock(passphrase) {
            Ok(found) => found,
            Err(OpenError::WrongPassphrase) => {
                crate::duress::attempts_failed(dir, &slots)?;
                return Err(OpenError::WrongPassphrase);
            }
            Err(e) => return Err(e),
        };
        crate::duress::attempts_reset(dir)?;
        // Which store the key opens: the vault's, or the spare one a
        // duress passphrase leads to. Told apart by the custody head, a
        // few hundred bytes, so both paths take the same time.
        if !head_opens(dir, &key, slots.vault_id) {
            let spare = dir.join(crate::duress::SPARE_DIR);
            if head_opens(&spare, &key, slots.vault_id) {
                return crate::duress::open_spare(dir, &slots, slot, key);
            }
        }
        let vault = match Self::open_with_key(dir, slots.vault_id, key) {
            Ok(vault) => vault,
            // The duress slot of a spare store whose removal a crash cut
            // short: it opens nothing any more.
            Err(_) if dir.join(crate::duress::SPARE_REMOVING).exists() => {
                return Err(OpenError::WrongPassphrase)
            }
            Err(e) => return Err(e),
        };
        crate::duress::finish_duress_removal(dir, &slots, slot)?;
        Ok(vault)
    }

    pub(crate) fn open_with_key(
        dir: &Path,
        vault_id: [u8; 16],
        key: VaultKey,
    ) -> Result<Vault, OpenError> {
        let store = Store::open(&dir.join(RECORDS_DIR))?;
        let read_meta = |name: &'static str| -> Result<Zeroizing<Vec<u8>>, OpenError> {
            let sealed = store
                .db
                .get(store::meta_key(name))
                .map_err(|_| OpenError::Damaged {
                    what: "the record store cannot be read".into(),
                })?
                .ok_or_else(|| OpenError::Damaged {
                    what: format!("the vault's {name} is missing"),
                })?;
            key.open(&Aad::Named { vault_id, name }, &sealed)
                .map_err(|_| OpenError::Damaged {
                    what: format!("the vault's {name} does not decrypt"),
                })
        };
        let identity_text = read_meta(META_IDENTITY)?;
        let identity = std::str::from_utf8(&identity_text)
            .ok()
            .and_then(|s| PayloadIdentity::from_secret(s).ok())
            .ok_or_else(|| OpenError::Damaged {
                what: "the vault's payload identity is malformed".into(),
            })?;
        let device =
            DeviceKey::from_sealed(&read_meta(META_DEVICE)?).map_err(|_| OpenError::Damaged {
                what: "the vault's device key is malformed".into(),
            })?;
        // The evidence folder is never recreated: missing, it means damage.
        if !dir.join(BLOBS_DIR).is_dir() {
            return Err(OpenError::Damaged {
                what: "the evidence folder is missing".into(),
            });
        }
        let (head_file, committed) = match HeadFile::open(dir, &key, vault_id) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::Damaged {
                    what: "the custody head file is missing".into(),
                })
            }
            Err(e) => return Err(e.into()),
        };
        let committed = committed.ok_or_else(|| OpenError::Damaged {
            what: "the custody head file is unreadable".into(),
        })?;

        let mut vault = Vault::assemble(dir, vault_id, key, identity, device, store, head_file);
        vault.load_custody_head()?;
        vault.check_nothing_lost(committed)?;
        if !vault.load_snapshot() {
            vault.catalog.clear();
            vault.damaged.clear();
            vault.index = SearchIndex::default();
            vault.load_items()?;
        }
        vault.clean_blobs()?;
        vault.loaded = true;
        Ok(vault)
    }

    /// A vault with nothing loaded yet: no catalog, no index, no custody
    /// head, and `loaded` false so that nothing is written from it.
    fn assemble(
        dir: &Path,
        vault_id: [u8; 16],
        key: VaultKey,
        identity: PayloadIdentity,
        device: DeviceKey,
        store: Store,
        head_file: HeadFile,
    ) -> Vault {
        Vault {
            dir: dir.to_owned(),
            slots_dir: dir.to_owned(),
            vault_id,
            key,
            identity,
            device,
            store,
            head_file,
            catalog: HashMap::new(),
            damaged: BTreeMap::new(),
            index: SearchIndex::default(),
            custody_head: CustodyHead {
                next_seq: 0,
                prev: [0; 32],
                broken_at: None,
            },
            snapshot_seq: None,
            unsettled: false,
            loaded: false,
        }
    }

    fn load_custody_head(&mut self) -> Result<(), OpenError> {
        let last = self
            .store
            .db
            .scan_prefix([store::CUSTODY])
            .next_back()
            .transpose()
            .map_err(|_| OpenError::Damaged {
                what: "the custody log cannot be read".into(),
            })?;
        let Some((k, v)) = last else {
            return Err(OpenError::Damaged {
                what: "the custody log is missing".into(),
            });
        };
        let seq = u64::from_be_bytes(k[1..].try_into().map_err(|_| OpenError::Damaged {
            what: "the custody log has a malformed key".into(),
        })?);
        match self.open_custody(seq, &v) {
            Ok(entry) => {
                self.custody_head = CustodyHead {
                    next_seq: seq.checked_add(1).ok_or_else(|| OpenError::Damaged {
                        what: "the custody log has a malformed key".into(),
                    })?,
                    prev: entry.hash(),
                    broken_at: None,
                }
            }
            Err(_) => {
                self.custody_head = CustodyHead {
                    next_seq: seq.saturating_add(1),
                    prev: [0; 32],
                    broken_at: Some(seq),
                }
            }
        }
        Ok(())
    }

    /// Fails closed if the record store came back with less than was
    /// acknowledged (see [`crate::head`]).
    fn check_nothing_lost(&self, committed: Head) -> Result<(), OpenError> {
        let tail = self.custody_head.next_seq.saturating_sub(1);
        if tail < committed.seq {
            return Err(OpenError::Damaged {
                what: format!(
                    "the record store has lost acknowledged changes: it ends at custody entry \
                     {tail}, but entries up to {} were saved",
                    committed.seq
                ),
            });
        }
        let sealed = self
            .store
            .db
            .get(store::custody_key(committed.seq))
            .map_err(|_| OpenError::Damaged {
                what: "the custody log cannot be read".into(),
            })?;
        if let Some(sealed) = sealed {
            // An entry that does not decrypt is reported by `verify` and
            // makes the vault read-only; one that decrypts to something else
            // means the log was replaced.
            if let Ok(entry) = self.open_custody(committed.seq, &sealed) {
                if entry.hash() != committed.hash {
                    return Err(OpenError::Damaged {
                        what: format!(
                            "custody entry {} is not the one that was saved",
                            committed.seq
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    pub(crate) fn open_custody(&self, seq: u64, sealed: &[u8]) -> Result<CustodyEntry, ChainBreak> {
        let plain = self
            .key
            .open(
                &Aad::Custody {
                    vault_id: self.vault_id,
                    seq,
                },
                sealed,
            )
            .map_err(|_| ChainBreak::Unreadable)?;
        CustodyEntry::decode(&plain).ok_or(ChainBreak::Malformed)
    }

    /// Reads every item key and the latest revision of every record, in two
    /// ordered scans, and decrypts them on all cores.
    fn load_items(&mut self) -> Result<(), OpenError> {
        let unreadable = |_| OpenError::Damaged {
            what: "the record store cannot be read".into(),
        };
        let mut keys: Vec<(ItemId, sled::IVec)> = Vec::new();
        for kv in self.store.db.scan_prefix([store::KEY]) {
            let (k, v) = kv.map_err(unreadable)?;
            if let Some(id) = store::parse_item_key(&k) {
                keys.push((id, v));
            }
        }
        let mut latest: HashMap<ItemId, (u32, sled::IVec)> = HashMap::with_capacity(keys.len());
        for kv in self.store.db.scan_prefix([store::RECORD]) {
            let (k, v) = kv.map_err(unreadable)?;
            if let Some((id, rev)) = store::parse_record_key(&k) {
                // Ascending order: the last one seen is the latest.
                latest.insert(id, (rev, v));
            }
        }

        type Work = (ItemId, sled::IVec, Option<(u32, sled::IVec)>);
        let work: Vec<Work> = keys
            .into_iter()
            .map(|(id, wrapped)| {
                let rec = latest.remove(&id);
                (id, wrapped, rec)
            })
            .collect();
        drop(latest);

        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        let chunk = work.len().div_ceil(threads).max(1);
        let this = &*self;
        let results: Vec<Option<Vec<Loaded>>> = std::thread::scope(|s| {
            let handles: Vec<_> = work
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(id, wrapped, rec)| this.load_one(*id, wrapped, rec.as_ref()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        let results: Vec<Vec<Loaded>> =
            results
                .into_iter()
                .collect::<Option<_>>()
                .ok_or_else(|| OpenError::Damaged {
                    what: "a record could not be loaded".into(),
                })?;
        for loaded in results.into_iter().flatten() {
            match loaded {
                Loaded::Ok { id, entry, text } => {
                    self.index.put(Self::hit(id, entry), &text);
                    self.catalog.insert(id, entry);
                }
                Loaded::Damaged { id, kind } => {
                    self.damaged.insert(id, kind);
                }
            }
        }
        Ok(())
    }

    fn load_one(&self, id: ItemId, wrapped: &[u8], rec: Option<&(u32, sled::IVec)>) -> Loaded {
        let Ok((item_key, code)) = self
            .key
            .unwrap_item_key(self.vault_id, *id.as_bytes(), wrapped)
        else {
            return Loaded::Damaged { id, kind: None };
        };
        let Some(kind) = Kind::from_code(code) else {
            return Loaded::Damaged { id, kind: None };
        };
        let Some((rev, sealed)) = rec else {
            return Loaded::Damaged {
                id,
                kind: Some(kind),
            };
        };
        let Some(plain) = self.open_record(&item_key, id, kind, *rev, sealed) else {
            return Loaded::Damaged {
                id,
                kind: Some(kind),
            };
        };
        let mut text = Zeroizing::new(String::new());
        match decode_any(kind, &plain, &mut text) {
            Some(case) => Loaded::Ok {
                id,
                entry: CatalogEntry {
                    kind,
                    case,
                    latest: *rev,
                },
                text,
            },
            None => Loaded::Damaged {
                id,
                kind: Some(kind),
            },
        }
    }

    /// Loads the catalog and index from the snapshot, then replays the
    /// custody entries written after it. `false` if there is no usable
    /// snapshot (the caller then scans everything).
    fn load_snapshot(&mut self) -> bool {
        let path = self.dir.join(crate::snapshot::FILE);
        let Ok(sealed) = std::fs::read(&path) else {
            return false;
        };
        let Ok(plain) = self.key.open(
            &Aad::Named {
                vault_id: self.vault_id,
                name: crate::snapshot::NAME,
            },
            &sealed,
        ) else {
            return false;
        };
        drop(sealed);
        let Some(snap) = crate::snapshot::decode(&plain) else {
            return false;
        };
        // The snapshot must belong to this custody log.
        let tail = self.custody_head.next_seq - 1;
        if snap.seq > tail {
            return false;
        }
        let entry = match self.store.db.get(store::custody_key(snap.seq)) {
            Ok(Some(sealed)) => self.open_custody(snap.seq, &sealed),
            _ => return false,
        };
        if entry.map(|e| e.hash()) != Ok(snap.hash) {
            return false;
        }
        self.catalog.reserve(snap.items.len());
        self.catalog.extend(snap.items);
        self.damaged.extend(snap.damaged);
        for (hit, text) in snap.docs {
            self.index.put_normalized(hit, text);
        }
        // Replay what changed since: every create, edit and delete has its
        // custody entry, and the last one for an item decides.
        let mut last: HashMap<ItemId, Action> = HashMap::new();
        let mut order = Vec::new();
        for seq in snap.seq + 1..=tail {
            let sealed = match self.store.db.get(store::custody_key(seq)) {
                Ok(Some(v)) => v,
                _ => return false,
            };
            let Ok(entry) = self.open_custody(seq, &sealed) else {
                return false;
            };
            if let Some(item) = entry.body.item {
                if matches!(
                    entry.body.action,
                    Action::Create | Action::Edit | Action::Delete
                ) && last.insert(item, entry.body.action).is_none()
                {
                    order.push(item);
                }
            }
        }
        for id in order {
            if last.get(&id) == Some(&Action::Delete) {
                self.catalog.remove(&id);
                self.damaged.remove(&id);
                self.index.remove(id);
            } else if self.reload_item(id).is_err() {
                return false;
            }
        }
        self.snapshot_seq = Some(snap.seq);
        true
    }

    /// Reads one item's current state from the store into the catalog and
    /// index (or the damaged list).
    fn reload_item(&mut self, id: ItemId) -> Result<(), sled::Error> {
        self.catalog.remove(&id);
        self.damaged.remove(&id);
        self.index.remove(id);
        let Some(wrapped) = self.store.db.get(store::item_key(id))? else {
            // Created or edited after the snapshot, yet no key: lost.
            self.damaged.insert(id, None);
            return Ok(());
        };
        let latest = match self
            .store
            .db
            .scan_prefix(store::record_prefix(id))
            .next_back()
        {
            Some(kv) => {
                let (k, v) = kv?;
                store::parse_record_key(&k).map(|(_, rev)| (rev, v))
            }
            None => None,
        };
        match self.load_one(id, &wrapped, latest.as_ref()) {
            Loaded::Ok { id, entry, text } => {
                self.index.put(Self::hit(id, entry), &text);
                self.catalog.insert(id, entry);
            }
            Loaded::Damaged { id, kind } => {
                self.damaged.insert(id, kind);
            }
        }
        Ok(())
    }

    fn hit(id: ItemId, entry: CatalogEntry) -> Hit {
        Hit {
            id,
            kind: entry.kind,
            case: if entry.kind == Kind::Case {
                Some(id)
            } else {
                entry.case
            },
        }
    }

    /// Writes the index snapshot, current to the last custody entry, unless
    /// the one on disk already is.
    pub(crate) fn write_snapshot(&mut self) -> Result<(), VaultError> {
        if !self.loaded || self.custody_head.broken_at.is_some() || self.unsettled {
            return Ok(());
        }
        let seq = self.custody_head.next_seq - 1;
        if self.snapshot_seq == Some(seq) {
            return Ok(());
        }
        // Sized exactly up front: a growing buffer would leave copies of the
        // text behind in freed memory.
        let size = crate::snapshot::encoded_len(
            self.catalog.len(),
            self.damaged.len(),
            &mut self.index.live_docs().map(|(_, t)| t.len()),
        );
        let mut plain = Zeroizing::new(Vec::with_capacity(size));
        crate::snapshot::encode(
            seq,
            self.custody_head.prev,
            &mut self.catalog.iter().map(|(id, e)| (*id, *e)),
            &mut self.damaged.iter().map(|(id, k)| (*id, *k)),
            &mut self.index.live_docs(),
            &mut plain,
        );
        debug_assert_eq!(plain.len(), size);
        let sealed = self.key.seal(
            &Aad::Named {
                vault_id: self.vault_id,
                name: crate::snapshot::NAME,
            },
            &plain,
        );
        drop(plain);
        let mut name = [0u8; 8];
        temoin_crypto::random_bytes(&mut name);
        let tmp = self.dir.join(format!(
            "{}.{}.tmp",
            crate::snapshot::FILE,
            hex::encode(name)
        ));
        let result = (|| -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, &sealed)?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.dir.join(crate::snapshot::FILE))?;
            store::sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        self.snapshot_seq = Some(seq);
        Ok(())
    }

    /// Removes the snapshot (after a deletion, so the deleted item's text
    /// does not survive in it).
    fn drop_snapshot(&mut self) -> Result<(), VaultError> {
        // Forget it first, so that even if removing it fails, the next lock
        // writes a fresh one rather than trusting it.
        self.snapshot_seq = None;
        match std::fs::remove_file(self.dir.join(crate::snapshot::FILE)) {
            Ok(()) => store::sync_dir(&self.dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        self.snapshot_seq = None;
        Ok(())
    }

    /// Removes what an interrupted ingest left: staged files, and payload
    /// files whose record never committed. Both are ciphertext only.
    fn clean_blobs(&mut self) -> Result<(), OpenError> {
        std::fs::create_dir_all(self.dir.join(BLOBS_DIR).join(STAGING_DIR))?;
        // Key-slot files half-written by an interrupted passphrase change.
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if (name.starts_with(crate::keyslot::FILE) || name.starts_with(crate::snapshot::FILE))
                && name.ends_with(".tmp")
            {
                std::fs::remove_file(entry.path())?;
            }
        }
        let staging = self.dir.join(BLOBS_DIR).join(STAGING_DIR);
        for entry in std::fs::read_dir(&staging)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path())?;
            }
        }
        for entry in std::fs::read_dir(self.dir.join(BLOBS_DIR))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".age"))
                .and_then(|n| n.parse::<ItemId>().ok())
            else {
                continue;
            };
            let known = self
                .store
                .db
                .contains_key(store::item_key(id))
                .map_err(|_| OpenError::Damaged {
                    what: "the record store cannot be read".into(),
                })?;
            if !known {
                // Left by an ingest that never committed, or by a deletion
                // interrupted before its payload was shredded.
                crate::evidence::shred_blob(&entry.path()).map_err(|e| match e {
                    VaultError::Io(io) => OpenError::Io(io),
                    other => OpenError::Damaged {
                        what: other.to_string(),
                    },
                })?;
            }
        }
        Ok(())
    }

    pub(crate) fn open_record(
        &self,
        item_key: &ItemKey,
        id: ItemId,
        kind: Kind,
        revision: u32,
        stored: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let schema = u16::from_be_bytes(stored.get(..2)?.try_into().ok()?);
        item_key
            .open_record(
                &RecordAad {
                    vault_id: self.vault_id,
                    item_id: *id.as_bytes(),
                    kind: kind.code(),
                    schema,
                    revision,
                },
                &stored[2..],
            )
            .ok()
    }

    fn seal_record<R: Record>(
        &self,
        item_key: &ItemKey,
        id: ItemId,
        revision: u32,
        plaintext: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + plaintext.len() + temoin_crypto::seal::OVERHEAD);
        out.extend_from_slice(&R::SCHEMA.to_be_bytes());
        out.extend_from_slice(&item_key.seal_record(
            &RecordAad {
                vault_id: self.vault_id,
                item_id: *id.as_bytes(),
                kind: R::KIND.code(),
                schema: R::SCHEMA,
                revision,
            },
            plaintext,
        ));
        out
    }

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

    /// Changes the passphrase: the slot that `old` opens is replaced by one
    /// for `new`. The vault key, and so every record, stays as it is.
    pub fn change_passphrase(
        &mut self,
        old: &Passphrase,
        new: &Passphrase,
        kdf: KdfChoice,
    ) -> Result<(), OpenError> {
        if new.is_empty() {
            return Err(OpenError::EmptyPassphrase);
        }
        let mut slots = SlotFile::read(&self.slots_dir)?;
        if slots.vault_id != self.vault_id {
            return Err(OpenError::Damaged {
                what: "the key-slot file belongs to another vault".into(),
            });
        }
        // Find the slot `old` opens, checking its parameters as at unlock.
        let mut which = None;
        for (i, slot) in slots.slots.iter().enumerate() {
            if slot.kind != crate::keyslot::PASSPHRASE {
                continue;
            }
            let single = SlotFile {
                slots: vec![slot.clone()],
                ..slots.clone()
            };
            match single.unlock(old) {
                // Only a slot of this store: in the vault, the duress
                // passphrase opens the spare store's slot, which must not
                // be replaced by one for this vault's key.
                Ok((key, _)) if head_opens(&self.dir, &key, self.vault_id) => {
                    which = Some(i);
                    break;
                }
                Ok(_) => continue,
                Err(OpenError::WrongPassphrase) => continue,
                Err(e) => return Err(e),
            }
        }
        let which = which.ok_or(OpenError::WrongPassphrase)?;
        // Refuse before touching the slots if the change could not be
        // recorded: a half-done change would leave a person unsure which
        // passphrase now works.
        if self.unsettled {
            return Err(OpenError::NotRecordable(VaultError::Unsettled.to_string()));
        }
        if let Some(seq) = self.custody_head.broken_at {
            return Err(OpenError::NotRecordable(
                VaultError::CustodyBroken { seq }.to_string(),
            ));
        }
        // Every passphrase slot has the same cost (the dummy or duress slot
        // too), so neither the file nor the time of an unlock tells them
        // apart. A real vault without a duress passphrase makes its dummies
        // again at the new cost. A duress slot cannot be rewrapped without
        // its passphrase, so while one is set the cost stays: a calibration
        // keeps it, an explicit other cost is refused here and kept silently
        // in the spare store (which must not give itself away).
        if !self.is_spare() {
            crate::duress::finish_duress_removal(&self.slots_dir, &slots, which)?;
            slots = SlotFile::read(&self.slots_dir)?;
        }
        let duress_set = self.is_spare() || self.dir.join(crate::duress::SPARE_DIR).exists();
        let shared = slots
            .slots
            .iter()
            .enumerate()
            .find(|(i, s)| *i != which && s.kind == crate::keyslot::PASSPHRASE)
            .and_then(|(_, s)| s.kdf.as_ref().map(|k| k.params));
        let mut params = kdf.params()?;
        if let Some(shared) = shared.filter(|p| *p != params && duress_set) {
            if matches!(kdf, KdfChoice::Calibrated) || self.is_spare() {
                params = shared;
            } else {
                return Err(OpenError::NotRecordable(
                    "the derivation cost is shared with the duress passphrase's slot: remove the \
                     duress passphrase, change the cost, then set it again"
                        .into(),
                ));
            }
        }
        // The slot keeps its salt, which the vault's slots share.
        let salt = slots.slots[which]
            .kdf
            .as_ref()
            .and_then(|k| hex::decode(&k.salt).ok())
            .ok_or_else(|| OpenError::Damaged {
                what: "the key-slot file has a malformed salt".into(),
            })?;
        slots.slots[which] = slots.passphrase_slot_salted(&self.key, new, params, &salt)?;
        if !duress_set {
            crate::duress::dummies_but(&mut slots, which)?;
        }
        slots.write(&self.slots_dir)?;
        self.append_custody(Action::PassphraseChanged, Event::default())
            .map_err(|e| OpenError::ChangedNotRecorded(e.to_string()))?;
        Ok(())
    }

    /// Appends a custody entry on its own, durably.
    pub(crate) fn append_custody(
        &mut self,
        action: Action,
        event: Event,
    ) -> Result<(), VaultError> {
        let mut batch = sled::Batch::default();
        let head = self.stage_custody(&mut batch, self.custody_head, action, event)?;
        self.commit(batch, head)?;
        Ok(())
    }

    /// The sequence number the next bundle gets: one more than the last
    /// (1 for the first).
    pub(crate) fn next_bundle_sequence(&self) -> Result<u64, VaultError> {
        let Some(sealed) = self.store.db.get(store::meta_key(META_BUNDLE_SEQ))? else {
            return Ok(1);
        };
        let plain = self
            .key
            .open(
                &Aad::Named {
                    vault_id: self.vault_id,
                    name: META_BUNDLE_SEQ,
                },
                &sealed,
            )
            .map_err(|_| VaultError::Store("the bundle sequence number is damaged".into()))?;
        let last: [u8; 8] = plain[..]
            .try_into()
            .map_err(|_| VaultError::Store("the bundle sequence number is damaged".into()))?;
        u64::from_be_bytes(last)
            .checked_add(1)
            .ok_or_else(|| VaultError::Store("the bundle sequence number is exhausted".into()))
    }

    /// Appends a custody entry and stores `sequence` as the last bundle
    /// sequence number, in one durable commit.
    pub(crate) fn append_custody_with_sequence(
        &mut self,
        sequence: u64,
        action: Action,
        event: Event,
    ) -> Result<(), VaultError> {
        let mut batch = sled::Batch::default();
        batch.insert(
            store::meta_key(META_BUNDLE_SEQ),
            self.key.seal(
                &Aad::Named {
                    vault_id: self.vault_id,
                    name: META_BUNDLE_SEQ,
                },
                &sequence.to_be_bytes(),
            ),
        );
        let head = self.stage_custody(&mut batch, self.custody_head, action, event)?;
        self.commit(batch, head)?;
        Ok(())
    }

    /// Signs a bundle manifest with the device key.
    pub(crate) fn sign_manifest(&self, manifest: &[u8]) -> String {
        self.device.sign(
            temoin_crypto::sign::SigningPurpose::BundleManifest,
            manifest,
        )
    }

    /// Commits a batch that carries custody entries, durably, then records
    /// the new custody head.
    ///
    /// Once sled has applied the batch, the new head is installed even if
    /// making it durable then fails: sled may still persist it, and the next
    /// entry must not reuse its sequence number. Callers that need to know
    /// whether an item landed ask the store (see `add_evidence`).
    pub(crate) fn commit(
        &mut self,
        batch: sled::Batch,
        head: CustodyHead,
    ) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        self.store.db.apply_batch(batch)?;
        self.custody_head = head;
        let durable = self.store.sync().and_then(|()| {
            self.head_file.write(
                &self.key,
                self.vault_id,
                Head {
                    seq: head.next_seq - 1,
                    hash: head.prev,
                },
            )
        });
        if durable.is_err() {
            self.unsettled = true;
            let _ = self.drop_snapshot();
        }
        durable
    }

    /// Adds a custody entry to `batch`; returns the head to install once the
    /// batch has committed.
    pub(crate) fn stage_custody(
        &self,
        batch: &mut sled::Batch,
        head: CustodyHead,
        action: Action,
        event: Event,
    ) -> Result<CustodyHead, VaultError> {
        if let Some(seq) = head.broken_at {
            return Err(VaultError::CustodyBroken { seq });
        }
        let entry = CustodyEntry::new(&self.device, head.next_seq, head.prev, action, event);
        batch.insert(
            &store::custody_key(head.next_seq),
            self.key.seal(
                &Aad::Custody {
                    vault_id: self.vault_id,
                    seq: head.next_seq,
                },
                &entry.encode(),
            ),
        );
        Ok(CustodyHead {
            next_seq: head.next_seq + 1,
            prev: entry.hash(),
            broken_at: None,
        })
    }

    fn encode_checked<R: Record>(&self, record: &R) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        record.validate()?;
        if let Some(case) = record.case_id() {
            match self.catalog.get(&case) {
                Some(e) if e.kind == Kind::Case => {}
                _ => {
                    return Err(VaultError::BadLink {
                        id: case,
                        expected: Kind::Case,
                    })
                }
            }
        }
        let bytes = Zeroizing::new(
            serde_json::to_vec(record).map_err(|e| VaultError::Store(e.to_string()))?,
        );
        if bytes.len() > limits::RECORD {
            return Err(VaultError::TooLarge {
                size: bytes.len(),
                max: limits::RECORD,
            });
        }
        Ok(bytes)
    }

    /// Stores a new item; returns its id. Durable when it returns.
    pub fn add<R: Record>(&mut self, record: &R) -> Result<ItemId, VaultError> {
        let id = ItemId::random();
        self.create_with_id(id, record, Intake::default())?;
        Ok(id)
    }

    pub(crate) fn create_with_id<R: Record>(
        &mut self,
        id: ItemId,
        record: &R,
        intake: Intake,
    ) -> Result<(), VaultError> {
        let mut batch = sled::Batch::default();
        let head = self.stage_new(&mut batch, self.custody_head, id, record, intake)?;
        self.commit(batch, head)?;
        self.after_write(id, record, 0);
        Ok(())
    }

    /// Stores many new items of one kind in a single durable commit (an
    /// import). All are checked first: if one is refused, none is stored.
    pub fn add_many<R: Record>(&mut self, records: &[R]) -> Result<Vec<ItemId>, VaultError> {
        let mut batch = sled::Batch::default();
        let mut head = self.custody_head;
        let mut ids = Vec::with_capacity(records.len());
        for record in records {
            let id = ItemId::random();
            head = self.stage_new(&mut batch, head, id, record, Intake::default())?;
            ids.push(id);
        }
        self.commit(batch, head)?;
        for (id, record) in ids.iter().zip(records) {
            self.after_write(*id, record, 0);
        }
        Ok(ids)
    }

    /// Adds a new item's key, first revision and custody entry to `batch`.
    fn stage_new<R: Record>(
        &self,
        batch: &mut sled::Batch,
        head: CustodyHead,
        id: ItemId,
        record: &R,
        intake: Intake,
    ) -> Result<CustodyHead, VaultError> {
        let plain = self.encode_checked(record)?;
        let item_key = ItemKey::generate();
        if let Some(preview) = &intake.preview {
            batch.insert(
                &store::preview_key(id),
                item_key.seal_preview(self.vault_id, *id.as_bytes(), preview),
            );
        }
        batch.insert(
            &store::item_key(id),
            self.key
                .wrap_item_key(self.vault_id, *id.as_bytes(), R::KIND.code(), &item_key),
        );
        batch.insert(
            &store::record_key(id, 0),
            self.seal_record::<R>(&item_key, id, 0, &plain),
        );
        self.stage_custody(
            batch,
            head,
            Action::Create,
            Event {
                item: Some(id),
                kind: Some(R::KIND),
                case: record.case_id(),
                revision: Some(0),
                sha256: intake.sha256,
                source: intake.source,
                source_sha256: intake.source_sha256,
                bundle: None,
                receipt: None,
            },
        )
    }

    fn after_write<R: Record>(&mut self, id: ItemId, record: &R, revision: u32) {
        let entry = CatalogEntry {
            kind: R::KIND,
            case: record.case_id(),
            latest: revision,
        };
        let mut text = Zeroizing::new(String::new());
        record.index_text(&mut text);
        self.index.put(Self::hit(id, entry), &text);
        self.catalog.insert(id, entry);
    }

    fn entry_of<R: Record>(&self, id: ItemId) -> Result<Option<CatalogEntry>, VaultError> {
        if self.damaged.contains_key(&id) {
            return Err(VaultError::Damaged { id });
        }
        match self.catalog.get(&id) {
            None => Ok(None),
            Some(e) if e.kind != R::KIND => Err(VaultError::WrongKind {
                id,
                expected: R::KIND,
                actual: e.kind,
            }),
            Some(e) => Ok(Some(*e)),
        }
    }

    fn item_key_of(&self, id: ItemId) -> Result<ItemKey, VaultError> {
        let wrapped = self
            .store
            .db
            .get(store::item_key(id))?
            .ok_or(VaultError::Damaged { id })?;
        let (key, _) = self
            .key
            .unwrap_item_key(self.vault_id, *id.as_bytes(), &wrapped)
            .map_err(|_| VaultError::Damaged { id })?;
        Ok(key)
    }

    fn read_revision<R: Record>(
        &self,
        key: &ItemKey,
        id: ItemId,
        revision: u32,
    ) -> Result<R, VaultError> {
        let sealed = self
            .store
            .db
            .get(store::record_key(id, revision))?
            .ok_or(VaultError::Damaged { id })?;
        let plain = self
            .open_record(key, id, R::KIND, revision, &sealed)
            .ok_or(VaultError::Damaged { id })?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Damaged { id })
    }

    /// The latest revision of an item, or `None` if there is no such item.
    pub fn get<R: Record>(&self, id: ItemId) -> Result<Option<Stored<R>>, VaultError> {
        let Some(entry) = self.entry_of::<R>(id)? else {
            return Ok(None);
        };
        let key = self.item_key_of(id)?;
        let record = self.read_revision::<R>(&key, id, entry.latest)?;
        Ok(Some(Stored {
            id,
            revision: entry.latest,
            record,
        }))
    }

    /// Like [`get`](Self::get), but a missing item is an error.
    pub fn require<R: Record>(&self, id: ItemId) -> Result<Stored<R>, VaultError> {
        self.get(id)?.ok_or(VaultError::NotFound {
            id,
            kind: R::KIND.name(),
        })
    }

    /// Every revision of an item, oldest first.
    pub fn history<R: Record>(&self, id: ItemId) -> Result<Vec<Stored<R>>, VaultError> {
        let Some(entry) = self.entry_of::<R>(id)? else {
            return Err(VaultError::NotFound {
                id,
                kind: R::KIND.name(),
            });
        };
        let key = self.item_key_of(id)?;
        (0..=entry.latest)
            .map(|revision| {
                Ok(Stored {
                    id,
                    revision,
                    record: self.read_revision::<R>(&key, id, revision)?,
                })
            })
            .collect()
    }

    /// Stores a new revision of an item; returns the revision number. The
    /// earlier revisions stay readable through [`history`](Self::history).
    pub fn update<R: Record>(&mut self, id: ItemId, record: &R) -> Result<u32, VaultError> {
        let entry = self.entry_of::<R>(id)?.ok_or(VaultError::NotFound {
            id,
            kind: R::KIND.name(),
        })?;
        let key = self.item_key_of(id)?;
        let previous = self.read_revision::<R>(&key, id, entry.latest)?;
        if !record.same_fixed_facts(&previous) {
            return Err(VaultError::ImmutablePayloadFacts);
        }
        let plain = self.encode_checked(record)?;
        let revision = entry
            .latest
            .checked_add(1)
            .ok_or_else(|| VaultError::Store("too many revisions".into()))?;
        let mut batch = sled::Batch::default();
        batch.insert(
            &store::record_key(id, revision),
            self.seal_record::<R>(&key, id, revision, &plain),
        );
        let head = self.stage_custody(
            &mut batch,
            self.custody_head,
            Action::Edit,
            Event {
                item: Some(id),
                kind: Some(R::KIND),
                case: record.case_id(),
                revision: Some(revision),
                ..Event::default()
            },
        )?;
        self.commit(batch, head)?;
        self.after_write(id, record, revision);
        Ok(revision)
    }

    /// Deletes an item by destroying its key and its revisions; a case takes
    /// every item that belongs to it along. The deletion is recorded in the
    /// custody log. Returns `false` if there was no such item.
    pub fn delete(&mut self, id: ItemId) -> Result<bool, VaultError> {
        let Some(entry) = self.catalog.get(&id).copied() else {
            if self.damaged.contains_key(&id) {
                return self.delete_damaged(id).map(|_| true);
            }
            return Ok(false);
        };
        let mut doomed = vec![(id, entry)];
        if entry.kind == Kind::Case {
            doomed.extend(
                self.catalog
                    .iter()
                    .filter(|(_, e)| e.case == Some(id))
                    .map(|(i, e)| (*i, *e)),
            );
        }
        let mut batch = sled::Batch::default();
        let mut head = self.custody_head;
        for (item, e) in &doomed {
            self.remove_item_keys(&mut batch, *item)?;
            head = self.stage_custody(
                &mut batch,
                head,
                Action::Delete,
                Event {
                    item: Some(*item),
                    kind: Some(e.kind),
                    case: e.case,
                    ..Event::default()
                },
            )?;
        }
        self.commit(batch, head)?;
        // Memory first: whatever fails below, the deleted items must not
        // linger in this session or in a snapshot written at lock.
        for (item, _) in &doomed {
            self.catalog.remove(item);
            self.index.remove(*item);
        }
        self.drop_snapshot()?;
        for (item, e) in doomed {
            if e.kind == Kind::Evidence {
                crate::evidence::shred_blob(&self.blob_path(item))?;
            }
        }
        Ok(true)
    }

    fn delete_damaged(&mut self, id: ItemId) -> Result<(), VaultError> {
        let mut batch = sled::Batch::default();
        self.remove_item_keys(&mut batch, id)?;
        let head = self.stage_custody(
            &mut batch,
            self.custody_head,
            Action::Delete,
            Event {
                item: Some(id),
                ..Event::default()
            },
        )?;
        self.commit(batch, head)?;
        self.damaged.remove(&id);
        self.drop_snapshot()?;
        let blob = self.blob_path(id);
        if blob.exists() {
            crate::evidence::shred_blob(&blob)?;
        }
        Ok(())
    }

    fn remove_item_keys(&self, batch: &mut sled::Batch, id: ItemId) -> Result<(), VaultError> {
        batch.remove(&store::item_key(id));
        batch.remove(&store::preview_key(id));
        for kv in self.store.db.scan_prefix(store::record_prefix(id)) {
            let (k, _) = kv?;
            batch.remove(k);
        }
        Ok(())
    }

    /// Ids of every live item of a kind, in no particular order.
    pub fn list(&self, kind: Kind) -> Vec<ItemId> {
        self.catalog
            .iter()
            .filter(|(_, e)| e.kind == kind)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Ids of the items of a kind that belong to a case.
    pub fn list_in_case(&self, case: ItemId, kind: Kind) -> Vec<ItemId> {
        self.catalog
            .iter()
            .filter(|(_, e)| e.kind == kind && e.case == Some(case))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The kind of a live item.
    pub fn kind_of(&self, id: ItemId) -> Option<Kind> {
        self.catalog.get(&id).map(|e| e.kind)
    }

    /// Number of live items.
    pub fn item_count(&self) -> usize {
        self.catalog.len()
    }

    /// Items whose titles, narratives, names, places or tags contain every
    /// word of `query`, ignoring case and accents.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        self.index.search(query, limit)
    }

    /// The whole custody log, in order. Entries that do not decrypt end the
    /// list; [`verify`](Self::verify) says where and why.
    pub fn custody(&self) -> Result<Vec<CustodyEntry>, VaultError> {
        let mut out = Vec::new();
        for (seq, kv) in self.store.db.scan_prefix([store::CUSTODY]).enumerate() {
            let (_, v) = kv?;
            match self.open_custody(seq as u64, &v) {
                Ok(e) => out.push(e),
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// Writes the vault's payload identity to `path` as an age key file
    /// (readable by its owner only), for disaster recovery with the `age`
    /// tool. `path` must not exist. Recorded in custody once written.
    pub fn export_payload_key(&mut self, path: &Path) -> Result<(), VaultError> {
        let key = self.identity.key_file_for_export();
        // The file is reserved first (nothing is overwritten), the export is
        // recorded next, and the key is written last: a failure never leaves
        // the key on disk unrecorded. An entry for an export that then
        // failed is the lesser error.
        let mut f = crate::evidence::create_private_new(path)?;
        let written = self
            .append_custody(Action::ExportPayloadKey, Event::default())
            .and_then(|()| {
                std::io::Write::write_all(&mut f, key.as_bytes())?;
                f.sync_all()?;
                Ok(())
            });
        if written.is_err() {
            let _ = std::fs::remove_file(path);
        }
        written
    }

    /// The item's preview image (a small JPEG), if it has one.
    pub fn preview(&self, id: ItemId) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let Some(sealed) = self.store.db.get(store::preview_key(id))? else {
            return Ok(None);
        };
        let key = self.item_key_of(id)?;
        key.open_preview(self.vault_id, *id.as_bytes(), &sealed)
            .map(Some)
            .map_err(|_| VaultError::Damaged { id })
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
