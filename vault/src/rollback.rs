//! Rollback detection: the vault notices when part of its store was put back
//! from an older copy, and names what, instead of serving it.
//!
//! Everything in the store is sealed, but sealing does not say *which*
//! version is current: an older revision of a record, or an older value of a
//! setting, still opens. Someone with the disk (not the key) could delete an
//! item's latest revision with sled itself (a withdrawn consent comes back),
//! or put back an older sealed setting (the bundle sequence, the enrollment,
//! the forget policy, the duress outcome).
//!
//! So every write also writes a small sealed *state record*, in the same
//! sled batch (so it is exactly as current as what it describes):
//! - a counter, also carried by the custody head file (`crate::head`), so a
//!   state record from an older copy shows;
//! - the custody entry it follows (sequence and hash), so it cannot be moved
//!   to another log;
//! - the XOR of keyed digests of every live item's latest revision
//!   ([`temoin_crypto::key::StateMac`]), updated by each custody entry that
//!   creates, edits or deletes an item;
//! - a keyed digest of the bundle sequence number and of each setting, by
//!   the setting's tag.
//!
//! At unlock the digest of the catalog (as loaded) is compared with the
//! record's: equal, nothing more is read. Different, the custody log is
//! replayed, which says every live item's latest revision, and each item
//! that differs is named and held back as damaged. Settings are few and all
//! are compared. `Vault::verify` replays the whole log every time.
//!
//! What this cannot see: the whole vault folder put back from an older copy
//! (store, head file and all), which is indistinguishable from that older
//! vault. `docs/threat-model.md` says so.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use temoin_crypto::key::{StateMac, VaultKey};
use temoin_crypto::seal::Aad;

use crate::custody::{Action, CustodyEntry};
use crate::record::{ItemId, Kind};

/// The name (sled key `m` + name, and sealing binding) of the state record.
pub(crate) const NAME: &str = "state-record";
const VERSION: u8 = 1;
const FIXED: usize = 1 + 8 + 8 + 32 + 32 + 8 + 4;

/// What the vault last wrote, in digest form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StateRecord {
    /// One more at every write.
    pub counter: u64,
    /// The custody entry the store ended with (sequence and hash).
    pub custody_seq: u64,
    pub custody_hash: [u8; 32],
    /// XOR of the live items' digests.
    pub items: [u8; 32],
    /// The last bundle sequence number stored (so that a lower one put
    /// back never makes a number be used twice).
    pub bundle_sequence: u64,
    /// The digest of each setting, by its tag.
    pub states: BTreeMap<[u8; 16], [u8; 16]>,
}

impl StateRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED + 32 * self.states.len());
        out.push(VERSION);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.custody_seq.to_be_bytes());
        out.extend_from_slice(&self.custody_hash);
        out.extend_from_slice(&self.items);
        out.extend_from_slice(&self.bundle_sequence.to_be_bytes());
        out.extend_from_slice(&(self.states.len() as u32).to_be_bytes());
        for (tag, digest) in &self.states {
            out.extend_from_slice(tag);
            out.extend_from_slice(digest);
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<StateRecord> {
        if bytes.len() < FIXED || bytes[0] != VERSION {
            return None;
        }
        let u64_at = |i: usize| Some(u64::from_be_bytes(bytes.get(i..i + 8)?.try_into().ok()?));
        let mut r = StateRecord {
            counter: u64_at(1)?,
            custody_seq: u64_at(9)?,
            bundle_sequence: u64_at(81)?,
            ..StateRecord::default()
        };
        r.custody_hash.copy_from_slice(&bytes[17..49]);
        r.items.copy_from_slice(&bytes[49..81]);
        let n = u32::from_be_bytes(bytes[89..93].try_into().ok()?) as usize;
        let rest = &bytes[FIXED..];
        if rest.len() != n.checked_mul(32)? {
            return None;
        }
        for pair in rest.chunks_exact(32) {
            let tag: [u8; 16] = pair[..16].try_into().ok()?;
            let digest: [u8; 16] = pair[16..].try_into().ok()?;
            r.states.insert(tag, digest);
        }
        Some(r)
    }

    pub(crate) fn seal(&self, key: &VaultKey, vault_id: [u8; 16]) -> Vec<u8> {
        key.seal(
            &Aad::Named {
                vault_id,
                name: NAME,
            },
            &self.encode(),
        )
    }

    pub(crate) fn open(key: &VaultKey, vault_id: [u8; 16], sealed: &[u8]) -> Option<StateRecord> {
        let plain = key
            .open(
                &Aad::Named {
                    vault_id,
                    name: NAME,
                },
                sealed,
            )
            .ok()?;
        StateRecord::decode(&plain)
    }
}

/// XORs `b` into `a`.
pub(crate) fn xor(a: &mut [u8; 32], b: &[u8; 32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// The items digest of a set of (item, latest revision).
pub(crate) fn items_digest<'a>(
    mac: &StateMac,
    items: impl Iterator<Item = (&'a ItemId, u32)>,
) -> [u8; 32] {
    let mut d = [0u8; 32];
    for (id, rev) in items {
        xor(&mut d, &mac.item(id.as_bytes(), rev));
    }
    d
}

/// What the custody log says is live: each item's latest revision and
/// kind, and the last bundle sequence number it exported.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    pub items: HashMap<ItemId, (u32, Option<Kind>)>,
    pub bundle_sequence: u64,
    /// Every entry opened, in order. When one did not, the log cannot say
    /// what that entry did: an item it created looks put back, one it
    /// deleted looks lost.
    pub complete: bool,
}

impl Expected {
    /// Applies one custody entry.
    pub(crate) fn apply(&mut self, entry: &CustodyEntry) {
        let body = &entry.body;
        if let Some(id) = body.item {
            match body.action {
                Action::Create | Action::Edit => {
                    let kind = body
                        .kind
                        .or_else(|| self.items.get(&id).and_then(|(_, k)| *k));
                    self.items.insert(id, (body.revision.unwrap_or(0), kind));
                }
                Action::Delete => {
                    self.items.remove(&id);
                }
                _ => {}
            }
        }
        if body.action == Action::ExportBundle {
            if let Some(b) = &body.bundle {
                self.bundle_sequence = self.bundle_sequence.max(b.sequence);
            }
        }
    }

    /// Whether an item found at `found` (its latest revision in the store,
    /// `None` for no record or no key) differs from what the log says:
    /// `expected`, or `None` for not live. `strict` unless the replay is
    /// incomplete and the state record does not vouch for it (`verify`
    /// then names only a revision older than a readable entry wrote, and
    /// the break); unlock is always strict: what cannot be shown current
    /// is held back.
    pub(crate) fn differs(&self, strict: bool, expected: Option<u32>, found: Option<u32>) -> bool {
        match (expected, found) {
            _ if strict => expected != found,
            (Some(e), Some(f)) => f < e,
            _ => false,
        }
    }

    pub(crate) fn digest(&self, mac: &StateMac) -> [u8; 32] {
        items_digest(mac, self.items.iter().map(|(id, (rev, _))| (id, *rev)))
    }
}

/// Something found put back from an older copy (or removed) at unlock.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RolledBack {
    /// An item's latest revision is not the one the custody log last
    /// wrote (`found`: the latest revision present, if any). The item is
    /// held back as damaged.
    Item {
        /// The item.
        id: ItemId,
        /// The revision the custody log last wrote.
        expected: u32,
        /// The latest revision in the store, if any.
        found: Option<u32>,
    },
    /// An item the custody log deleted (or never created) is in the store
    /// again. It is held back as damaged.
    Deleted {
        /// The item.
        id: ItemId,
    },
    /// A setting is not the value last written, or was removed. Reading it
    /// is refused until it is written again.
    Setting {
        /// Its name, when the value present still opens to one.
        name: Option<String>,
    },
    /// The bundle sequence number is lower than the custody log's last
    /// bundle: the next bundle takes the custody log's next number.
    BundleSequence {
        /// The number stored (last used).
        stored: Option<u64>,
        /// The last one the custody log records.
        expected: u64,
    },
    /// The state record does not match the custody log it belongs to (a
    /// fault this vault cannot explain further).
    Record,
}

impl fmt::Display for RolledBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RolledBack::Item {
                id,
                expected,
                found: Some(found),
            } => write!(
                f,
                "item {id}: its latest revision is {found}, but revision {expected} was saved \
                 (an older copy was put back)"
            ),
            RolledBack::Item {
                id,
                expected,
                found: None,
            } => write!(
                f,
                "item {id}: revision {expected} was saved, and none of its revisions is there"
            ),
            RolledBack::Deleted { id } => write!(
                f,
                "item {id}: it was deleted (or never saved here), yet it is in the store again"
            ),
            // Without the name: a setting's name can say more than its
            // value (that a spare store exists, in the decoy).
            RolledBack::Setting { name: Some(_) } => write!(
                f,
                "a setting is not the value last saved (an older copy was put back); it is \
                 refused until it is set again"
            ),
            RolledBack::Setting { name: None } => {
                write!(f, "a setting was removed or replaced outside Témoin")
            }
            RolledBack::BundleSequence {
                stored: Some(stored),
                expected,
            } => write!(
                f,
                "bundle sequence: {stored} is stored, but bundle {expected} was already sealed \
                 (an older copy was put back); the next bundle takes {}",
                expected.saturating_add(1)
            ),
            RolledBack::BundleSequence {
                stored: None,
                expected,
            } => write!(
                f,
                "bundle sequence: it is unreadable; the next bundle takes {}",
                expected.saturating_add(1)
            ),
            RolledBack::Record => write!(
                f,
                "the vault's state record does not match its custody log, part of which is \
                 damaged: items may have been put back from an older copy without being named; \
                 run `temoin verify`, and keep this computer as it is"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_record_round_trips_and_refuses_what_is_malformed() {
        let mut r = StateRecord {
            counter: 7,
            custody_seq: 42,
            custody_hash: [3; 32],
            items: [5; 32],
            bundle_sequence: 9,
            states: BTreeMap::new(),
        };
        r.states.insert([1; 16], [2; 16]);
        r.states.insert([4; 16], [6; 16]);
        let bytes = r.encode();
        assert_eq!(StateRecord::decode(&bytes), Some(r.clone()));
        for cut in 0..bytes.len() {
            assert_eq!(StateRecord::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(StateRecord::decode(&longer), None);
        let mut other = bytes;
        other[0] = 2;
        assert_eq!(StateRecord::decode(&other), None);
    }
}
