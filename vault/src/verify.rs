//! Full verification of a vault: every item key unwraps, every revision of
//! every record opens and parses, every payload decrypts to its recorded
//! hash and size, and the custody chain holds from its first entry to its
//! last. The report names each problem by item id (and revision or entry
//! number), never by content.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::custody::ChainBreak;
use crate::error::VaultError;
use crate::file::BLOBS_DIR;
use crate::record::{ItemId, Kind};
use crate::store;
use crate::vault::Vault;

/// One thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The item's key does not decrypt: the whole item is unreadable.
    KeyUnreadable {
        /// The item.
        id: ItemId,
    },
    /// The item has a key but no record.
    RecordMissing {
        /// The item.
        id: ItemId,
    },
    /// One revision does not decrypt or does not parse.
    RevisionUnreadable {
        /// The item.
        id: ItemId,
        /// Its kind.
        kind: Kind,
        /// The revision.
        revision: u32,
    },
    /// Revisions are missing in the middle of the history.
    RevisionGap {
        /// The item.
        id: ItemId,
        /// The first missing revision.
        revision: u32,
    },
    /// A record revision has no key: the key was lost or destroyed.
    Orphaned {
        /// The item.
        id: ItemId,
    },
    /// The evidence item's preview image does not decrypt.
    PreviewDamaged {
        /// The evidence item.
        id: ItemId,
    },
    /// The evidence payload file is missing.
    PayloadMissing {
        /// The evidence item.
        id: ItemId,
    },
    /// The evidence payload is damaged or does not match its hash or size.
    PayloadDamaged {
        /// The evidence item.
        id: ItemId,
    },
    /// An item's latest revision is not the one the custody log last
    /// recorded (an older copy put back, or a revision removed).
    RolledBack {
        /// The item.
        id: ItemId,
        /// The revision the custody log last recorded.
        expected: u32,
        /// The latest revision in the store, if any.
        found: Option<u32>,
    },
    /// An item the custody log deleted, or never created, is in the store.
    NotInCustody {
        /// The item.
        id: ItemId,
    },
    /// A setting is not the value last saved, or was removed.
    SettingRolledBack {
        /// Its name, when the value present opens to one.
        name: Option<String>,
    },
    /// The stored bundle sequence number is not the custody log's last.
    BundleSequenceRolledBack {
        /// The number stored, if readable.
        stored: Option<u64>,
        /// The last one the custody log records.
        expected: u64,
    },
    /// The custody chain breaks at an entry.
    CustodyBroken {
        /// The first broken entry.
        seq: u64,
        /// Why.
        why: ChainBreak,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::KeyUnreadable { id } => {
                write!(f, "item {id}: its key is damaged; the item cannot be read")
            }
            Problem::RecordMissing { id } => write!(f, "item {id}: its record is missing"),
            Problem::RevisionUnreadable { id, kind, revision } => write!(
                f,
                "{kind} {id}: revision {revision} is damaged (it does not decrypt or parse)"
            ),
            Problem::RevisionGap { id, revision } => {
                write!(
                    f,
                    "item {id}: revision {revision} is missing from its history"
                )
            }
            Problem::Orphaned { id } => {
                write!(f, "item {id}: records remain without a key (unreadable)")
            }
            Problem::PreviewDamaged { id } => write!(
                f,
                "evidence {id}: its preview image is damaged (the original is not affected)"
            ),
            Problem::PayloadMissing { id } => {
                write!(f, "evidence {id}: its file is missing from the vault")
            }
            Problem::PayloadDamaged { id } => write!(
                f,
                "evidence {id}: its file is damaged (it does not decrypt to its recorded SHA-256)"
            ),
            Problem::RolledBack {
                id,
                expected,
                found,
            } => {
                write!(
                    f,
                    "item {id}: the custody log records revision {expected} as its latest, but "
                )?;
                match found {
                    Some(found) => write!(f, "the store's latest is {found}")?,
                    None => write!(f, "the store has none")?,
                }
                write!(f, " (part of the vault was put back from an older copy)")
            }
            Problem::NotInCustody { id } => write!(
                f,
                "item {id}: the custody log deleted it or never created it, yet it is in the store"
            ),
            // Without the name: it can say more than the value (that a
            // spare store exists, in the decoy).
            Problem::SettingRolledBack { name: Some(_) } => write!(
                f,
                "a setting is not the value last saved (an older copy was put back)"
            ),
            Problem::SettingRolledBack { name: None } => {
                write!(f, "a setting was removed or replaced outside Témoin")
            }
            Problem::BundleSequenceRolledBack { stored, expected } => {
                write!(
                    f,
                    "bundle sequence: the custody log's last bundle is {expected}, "
                )?;
                match stored {
                    Some(stored) => write!(f, "but {stored} is stored"),
                    None => write!(f, "but the stored number is unreadable"),
                }
            }
            Problem::CustodyBroken { seq, why } => {
                write!(f, "custody log: entry {seq} is the first broken one: {why}")
            }
        }
    }
}

/// What [`Vault::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Items checked.
    pub items: usize,
    /// Record revisions checked.
    pub revisions: usize,
    /// Payloads decrypted and hashed.
    pub payloads: usize,
    /// Bytes of payload hashed.
    pub payload_bytes: u64,
    /// Custody entries checked.
    pub custody_entries: u64,
    /// Everything wrong, in a stable order.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether everything verified.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Vault {
    /// Verifies everything. Reads every payload in full: on a large vault
    /// this takes as long as reading it from disk.
    pub fn verify(&self) -> Result<VerifyReport, VaultError> {
        let mut report = VerifyReport::default();

        // Keys, then every revision, grouped by item.
        let mut keys: BTreeMap<ItemId, Option<(temoin_crypto::key::ItemKey, Option<Kind>)>> =
            BTreeMap::new();
        for kv in self.store.db.scan_prefix([store::KEY]) {
            let (k, v) = kv?;
            let Some(id) = store::parse_item_key(&k) else {
                continue;
            };
            let unwrapped = self
                .key
                .unwrap_item_key(self.vault_id, *id.as_bytes(), &v)
                .ok()
                .map(|(key, code)| (key, Kind::from_code(code)));
            keys.insert(id, unwrapped);
        }
        let mut revisions: BTreeMap<ItemId, Vec<(u32, sled::IVec)>> = BTreeMap::new();
        for kv in self.store.db.scan_prefix([store::RECORD]) {
            let (k, v) = kv?;
            if let Some((id, rev)) = store::parse_record_key(&k) {
                revisions.entry(id).or_default().push((rev, v));
            }
        }
        let mut evidence_ok: Vec<(ItemId, (String, u64, bool))> = Vec::new();
        let mut evidence_ids: BTreeSet<ItemId> = BTreeSet::new();
        for (id, key) in &keys {
            report.items += 1;
            let Some((key, Some(kind))) = key else {
                report.problems.push(Problem::KeyUnreadable { id: *id });
                continue;
            };
            let Some(revs) = revisions.get(id) else {
                report.problems.push(Problem::RecordMissing { id: *id });
                continue;
            };
            let mut latest_evidence = None;
            for (expected, (rev, sealed)) in revs.iter().enumerate() {
                report.revisions += 1;
                if *rev != expected as u32 {
                    report.problems.push(Problem::RevisionGap {
                        id: *id,
                        revision: expected as u32,
                    });
                    break;
                }
                let parsed = self
                    .open_record(key, *id, *kind, *rev, sealed)
                    .and_then(|plain| {
                        let mut sink = String::new();
                        let ok = crate::vault::decode_check(*kind, &plain, &mut sink);
                        ok.then_some(plain)
                    });
                match parsed {
                    None => report.problems.push(Problem::RevisionUnreadable {
                        id: *id,
                        kind: *kind,
                        revision: *rev,
                    }),
                    Some(plain) if kind.has_payload() => {
                        latest_evidence = crate::vault::payload_of(*kind, &plain);
                    }
                    Some(_) => {}
                }
            }
            if kind.has_payload() {
                evidence_ids.insert(*id);
                if let Some(e) = latest_evidence {
                    evidence_ok.push((*id, e));
                }
            }
        }
        for id in revisions.keys() {
            if !keys.contains_key(id) {
                report.problems.push(Problem::Orphaned { id: *id });
            }
        }
        // Previews: each must open with its item's key.
        for kv in self.store.db.scan_prefix([store::PREVIEW]) {
            let (k, sealed) = kv?;
            let Some(id) = k.get(1..17).and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
                continue;
            };
            let id = ItemId::from_bytes(id);
            match keys.get(&id) {
                Some(Some((key, Some(Kind::Evidence)))) => {
                    if key
                        .open_preview(self.vault_id, *id.as_bytes(), &sealed)
                        .is_err()
                    {
                        report.problems.push(Problem::PreviewDamaged { id });
                    }
                }
                // The item's key is damaged: already reported.
                Some(_) => {}
                None => report.problems.push(Problem::Orphaned { id }),
            }
        }

        // Payloads.
        for (id, (sha256, size, as_arrived)) in &evidence_ok {
            match self.copy_payload(*id, sha256, *size, *as_arrived, std::io::sink()) {
                Ok(facts) => {
                    report.payloads += 1;
                    report.payload_bytes += facts.size;
                }
                Err(VaultError::PayloadMissing { .. }) => {
                    report.problems.push(Problem::PayloadMissing { id: *id })
                }
                Err(VaultError::PayloadDamaged { .. }) => {
                    report.problems.push(Problem::PayloadDamaged { id: *id })
                }
                Err(e) => return Err(e),
            }
        }
        // A payload whose latest revision is unreadable cannot be checked
        // against its hash, but its absence is still worth reporting.
        for id in evidence_ids {
            if !evidence_ok.iter().any(|(e, _)| *e == id)
                && !self.dir.join(BLOBS_DIR).join(format!("{id}.age")).exists()
            {
                report.problems.push(Problem::PayloadMissing { id });
            }
        }

        let (entries, problems) = self.verify_custody()?;
        report.custody_entries = entries;
        report.problems.extend(problems);
        let latest: BTreeMap<ItemId, Option<u32>> = keys
            .keys()
            .map(|id| {
                (
                    *id,
                    revisions.get(id).and_then(|r| r.last()).map(|(r, _)| *r),
                )
            })
            .collect();
        report
            .problems
            .extend(self.verify_against_custody(&latest)?);
        Ok(report)
    }

    /// Replays the whole custody log and compares what it says is live
    /// (each item's latest revision, the last bundle sequence number) with
    /// the store (`latest`: each item with a key, and its latest revision),
    /// and every setting with the state record (`crate::rollback`).
    fn verify_against_custody(
        &self,
        latest: &BTreeMap<ItemId, Option<u32>>,
    ) -> Result<Vec<Problem>, VaultError> {
        let as_store = |e: crate::error::OpenError| VaultError::Store(e.to_string());
        let mut problems = Vec::new();
        let expected = self.replay_custody().map_err(as_store)?;
        let stored = self
            .store
            .db
            .get(store::meta_key(crate::rollback::NAME))?
            .and_then(|sealed| {
                crate::rollback::StateRecord::open(&self.key, self.vault_id, &sealed)
            });
        // Strict when every entry opened, or when the state record vouches
        // for what the replay says; otherwise the break is reported, and only
        // what is older than a readable entry wrote.
        let strict = expected.complete
            || stored
                .as_ref()
                .is_some_and(|r| r.items == expected.digest(&self.mac));
        let mut ids: Vec<_> = expected.items.iter().collect();
        ids.sort_by_key(|(id, _)| **id);
        for (id, (rev, _)) in ids {
            let found = latest.get(id).copied().flatten();
            if expected.differs(strict, Some(*rev), found) {
                problems.push(Problem::RolledBack {
                    id: *id,
                    expected: *rev,
                    found,
                });
            }
        }
        for (id, found) in latest {
            if !expected.items.contains_key(id) && expected.differs(strict, None, *found) {
                problems.push(Problem::NotInCustody { id: *id });
            }
        }
        let sequence = self.stored_bundle_sequence()?;
        let last = sequence.unwrap_or(0);
        let recorded = stored.as_ref().map(|r| r.bundle_sequence);
        let wrong_by_log = if expected.complete {
            last != expected.bundle_sequence
        } else {
            last < expected.bundle_sequence
        };
        if wrong_by_log || recorded.is_some_and(|r| r != last) {
            problems.push(Problem::BundleSequenceRolledBack {
                stored: sequence,
                expected: recorded.unwrap_or(0).max(expected.bundle_sequence),
            });
        }
        if let Some(record) = stored {
            let mut seen = BTreeSet::new();
            for kv in self.store.db.scan_prefix([crate::state::STATE]) {
                let (k, sealed) = kv?;
                let Ok(tag) = <[u8; 16]>::try_from(&k[1..]) else {
                    continue;
                };
                seen.insert(tag);
                if record.states.get(&tag) != Some(&self.mac.value(&sealed)) {
                    let name = crate::state::open_entry(&self.key, self.vault_id, &tag, &sealed)
                        .map(|(name, _)| name);
                    problems.push(Problem::SettingRolledBack { name });
                }
            }
            for tag in record.states.keys() {
                if !seen.contains(tag) {
                    problems.push(Problem::SettingRolledBack { name: None });
                }
            }
        }
        Ok(problems)
    }

    /// Checks the custody chain alone (every entry opens, is in order,
    /// links to the one before and carries this device's signature): the
    /// custody part of [`Vault::verify`], without reading any payload.
    /// Returns the number of entries that hold and the problems found.
    pub fn verify_custody(&self) -> Result<(u64, Vec<Problem>), VaultError> {
        let mut problems = Vec::new();
        let mut entries = 0u64;
        let device = self.device.public();
        let mut prev = [0u8; 32];
        for (position, kv) in self.store.db.scan_prefix([store::CUSTODY]).enumerate() {
            let (k, v) = kv?;
            let seq = position as u64;
            let stored_seq = k
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes);
            if stored_seq != Some(seq) {
                problems.push(Problem::CustodyBroken {
                    seq,
                    why: ChainBreak::OutOfOrder,
                });
                break;
            }
            let checked = self
                .open_custody(seq, &v)
                .and_then(|entry| entry.check(seq, &prev, &device).map(|()| entry));
            match checked {
                Ok(entry) => {
                    prev = entry.hash();
                    entries += 1;
                }
                Err(why) => {
                    problems.push(Problem::CustodyBroken { seq, why });
                    break;
                }
            }
        }
        if entries == 0 && problems.is_empty() {
            problems.push(Problem::CustodyBroken {
                seq: 0,
                why: ChainBreak::Unreadable,
            });
        }
        Ok((entries, problems))
    }
}
