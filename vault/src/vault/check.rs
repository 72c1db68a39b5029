//! The check at unlock that nothing was put back from an older copy
//! (`crate::rollback`): the state record against the custody head file and
//! the custody log, the catalog against the record's items digest, and
//! every setting against its digest.

use super::*;
use crate::rollback::{items_digest, Expected};

impl Vault {
    /// Compares what was loaded with the state record; names what differs
    /// (held back as damaged, or refused when read) and fails closed only
    /// when the record itself is older than the head file says.
    pub(super) fn check_rollback(&mut self, committed: Head) -> Result<(), OpenError> {
        let damaged = |what: &str| OpenError::Damaged { what: what.into() };
        let unreadable = |_| damaged("the record store cannot be read");
        let stored = self
            .store
            .db
            .get(store::meta_key(crate::rollback::NAME))
            .map_err(unreadable)?;
        let record = match stored {
            Some(sealed) => Some(
                StateRecord::open(&self.key, self.vault_id, &sealed)
                    .ok_or_else(|| damaged("the vault's state record does not decrypt"))?,
            ),
            None => None,
        };
        // A slot of the head file that holds bytes but does not open is a
        // write torn by a crash, and that write came after sled's: sled
        // must then be one ahead of the slot that opens. (Otherwise garbling
        // the newest slot would let the previous record be put back.)
        let torn = self.head_file.torn;
        let record = match (committed.record, record) {
            // The head is written after sled, so sled may be one ahead.
            (Some(head), Some(r))
                if (r.counter == head && !torn) || Some(r.counter) == head.checked_add(1) =>
            {
                Some(r)
            }
            (Some(head), Some(r)) if r.counter < head => {
                return Err(damaged(
                    "the record store was put back from an older copy: its state record is \
                     older than the custody head file says",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(damaged(
                    "the custody head file was put back from an older copy: it is older than \
                     the state record",
                ))
            }
            (Some(_), None) => return Err(damaged("the vault's state record is missing")),
            // The first state record, written where a vault from before
            // there was one opened, whose head a crash kept from following.
            (None, Some(r)) if r.counter <= 1 => Some(r),
            (None, Some(_)) => {
                return Err(damaged(
                    "the custody head file was put back from an older copy: it is older than \
                     the state record",
                ))
            }
            // A vault from before the state record: it is made below.
            (None, None) => None,
        };
        let tail = self.custody_head.next_seq.saturating_sub(1);
        if let Some(r) = &record {
            let hash_differs =
                self.custody_head.broken_at.is_none() && r.custody_hash != self.custody_head.prev;
            if r.custody_seq != tail || hash_differs {
                return Err(damaged(
                    "the vault's state record does not belong to its custody log (part of the \
                     vault was put back from an older copy)",
                ));
            }
        }

        // Sled one ahead of the head file (a crash between their writes, or
        // a torn slot): the head is brought up to the record now, before
        // anything is written, so that a crash in the next write leaves
        // sled one ahead again, never two (which reads as a head file put
        // back). If the disk refuses, nothing more is written this session.
        if let Some(r) = &record {
            if committed.record != Some(r.counter) || torn {
                let caught_up = Head {
                    seq: r.custody_seq,
                    hash: r.custody_hash,
                    record: Some(r.counter),
                };
                if self.write_head(caught_up).is_err() {
                    self.unsettled = true;
                }
            }
        }

        // Items: the catalog's digest against the record's; the custody log
        // is replayed only when they differ (or there is no record yet).
        let mut expected: Option<Expected> = None;
        let found = items_digest(&self.mac, self.catalog.iter().map(|(id, e)| (id, e.latest)));
        let items = match &record {
            Some(r) if r.items == found => found,
            _ => {
                let e = self.replay_custody()?;
                let digest = e.digest(&self.mac);
                self.hold_back_what_differs(&e);
                expected = Some(e);
                match &record {
                    // The record does not vouch for the replay (a custody
                    // entry that does not open, or not in order): the
                    // record's digest stays, so that this is named again
                    // at every unlock rather than sealed in by the next
                    // write.
                    Some(r) if r.items != digest => {
                        self.rolled_back.push(RolledBack::Record);
                        r.items
                    }
                    _ => digest,
                }
            }
        };
        self.custody_head.items = items;

        // The bundle sequence number: with a record, any other number than
        // the one last written is named, and the next bundle follows the
        // higher; without one (a vault from before), a number below the
        // custody log's last bundle.
        let stored = self
            .stored_bundle_sequence()
            .map_err(|_| damaged("the record store cannot be read"))?;
        let last = match &record {
            // A vault that has not sealed a bundle may have no number at
            // all (versions before wrote it at the first bundle): 0.
            Some(r) if stored.unwrap_or(0) == r.bundle_sequence => None,
            Some(r) => Some(r.bundle_sequence),
            None => {
                let e = match expected.take() {
                    Some(e) => e,
                    None => self.replay_custody()?,
                };
                let below = stored.unwrap_or(0) < e.bundle_sequence;
                below.then_some(e.bundle_sequence)
            }
        };
        if let Some(expected) = last {
            self.bundle_floor = expected;
            self.rolled_back
                .push(RolledBack::BundleSequence { stored, expected });
        }
        let bundle_sequence = stored.unwrap_or(0).max(self.bundle_floor);

        // Settings: every one against its digest.
        let mut present: BTreeMap<[u8; 16], ([u8; 16], sled::IVec)> = BTreeMap::new();
        for kv in self.store.db.scan_prefix([crate::state::STATE]) {
            let (k, sealed) = kv.map_err(unreadable)?;
            if let Ok(tag) = <[u8; 16]>::try_from(&k[1..]) {
                present.insert(tag, (self.mac.value(&sealed), sealed));
            }
        }
        let record = match record {
            Some(r) => {
                for (tag, (digest, sealed)) in &present {
                    if r.states.get(tag) != Some(digest) {
                        self.stale_states.insert(*tag);
                        let name = crate::state::open_entry(&self.key, self.vault_id, tag, sealed)
                            .map(|(name, _)| name);
                        self.rolled_back.push(RolledBack::Setting { name });
                    }
                }
                for tag in r.states.keys() {
                    if !present.contains_key(tag) {
                        self.stale_states.insert(*tag);
                        self.rolled_back.push(RolledBack::Setting { name: None });
                    }
                }
                r
            }
            None => {
                // First unlock since the state record came: it describes
                // the store as it is (the custody log has vouched for the
                // items above), and is saved now if the disk takes it.
                let r = StateRecord {
                    counter: 1,
                    custody_seq: tail,
                    custody_hash: self.custody_head.prev,
                    items,
                    bundle_sequence,
                    states: present.iter().map(|(t, (d, _))| (*t, *d)).collect(),
                };
                let mut batch = sled::Batch::default();
                batch.insert(
                    store::meta_key(crate::rollback::NAME),
                    r.seal(&self.key, self.vault_id),
                );
                let head = Head {
                    record: Some(r.counter),
                    ..self.head_written
                };
                let saved = self.store.db.apply_batch(batch).is_ok() && self.store.sync().is_ok();
                if saved {
                    let _ = self.write_head(head);
                }
                r
            }
        };
        self.record = record;
        Ok(())
    }

    /// What the custody log says is live. An entry that does not open is
    /// passed over (`verify` reports the break).
    pub(crate) fn replay_custody(&self) -> Result<Expected, OpenError> {
        let mut e = Expected {
            complete: true,
            ..Expected::default()
        };
        for (position, kv) in self.store.db.scan_prefix([store::CUSTODY]).enumerate() {
            let (k, sealed) = kv.map_err(|_| OpenError::Damaged {
                what: "the custody log cannot be read".into(),
            })?;
            let Some(seq) = k
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
            else {
                e.complete = false;
                continue;
            };
            if seq != position as u64 || k.len() != 9 {
                e.complete = false;
            }
            match self.open_custody(seq, &sealed) {
                Ok(entry) => e.apply(&entry),
                Err(_) => e.complete = false,
            }
        }
        Ok(e)
    }

    /// Holds back as damaged every item whose latest revision is not the
    /// one the custody log last wrote, and every item the log does not
    /// know as live; names each.
    fn hold_back_what_differs(&mut self, e: &Expected) {
        for (id, (rev, kind)) in &e.items {
            match self.catalog.get(id).copied() {
                Some(entry) if entry.latest == *rev => {}
                Some(entry) => {
                    self.rolled_back.push(RolledBack::Item {
                        id: *id,
                        expected: *rev,
                        found: Some(entry.latest),
                    });
                    self.catalog.remove(id);
                    self.index.remove(*id);
                    self.damaged.insert(*id, Some(entry.kind));
                }
                None => {
                    // Held back already (unreadable, or named at an
                    // earlier unlock and kept so by the snapshot): named
                    // again while its latest revision is not the one saved.
                    let found = self
                        .store
                        .db
                        .scan_prefix(store::record_prefix(*id))
                        .keys()
                        .next_back()
                        .and_then(|k| k.ok())
                        .and_then(|k| store::parse_record_key(&k))
                        .map(|(_, r)| r);
                    if found != Some(*rev) {
                        self.rolled_back.push(RolledBack::Item {
                            id: *id,
                            expected: *rev,
                            found,
                        });
                    }
                    self.damaged.entry(*id).or_insert(*kind);
                }
            }
            if !self.catalog.contains_key(id) {
                self.expected_damaged.insert(*id, *rev);
            }
        }
        let unknown: Vec<(ItemId, Kind)> = self
            .catalog
            .iter()
            .filter(|(id, _)| !e.items.contains_key(id))
            .map(|(id, entry)| (*id, entry.kind))
            .collect();
        for (id, kind) in unknown {
            self.rolled_back.push(RolledBack::Deleted { id });
            self.catalog.remove(&id);
            self.index.remove(id);
            self.damaged.insert(id, Some(kind));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vault from before the state record: none in the store, and a
    /// custody head without its counter.
    fn as_before_the_state_record(v: &mut Vault) {
        v.store
            .db
            .remove(store::meta_key(crate::rollback::NAME))
            .expect("remove");
        let head = Head {
            record: None,
            ..v.head_written
        };
        v.head_file.write(&v.key, v.vault_id, head).expect("head");
        v.store.db.flush().expect("flush");
    }

    #[test]
    fn a_vault_from_before_without_a_bundle_number_names_nothing_at_any_unlock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v");
        let pass = Passphrase::from("p");
        let mut v = Vault::create(&path, &pass, KdfChoice::Minimum).expect("create");
        as_before_the_state_record(&mut v);
        // Versions before wrote the number at the first bundle only.
        v.store
            .db
            .remove(store::meta_key(META_BUNDLE_SEQ))
            .expect("remove");
        v.store.db.flush().expect("flush");
        v.lock();
        for _ in 0..2 {
            let v = Vault::unlock(&path, &pass).expect("unlock");
            assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
            v.lock();
        }
    }

    #[test]
    fn a_vault_from_before_gets_its_state_record_and_then_is_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v");
        let pass = Passphrase::from("p");
        let mut v = Vault::create(&path, &pass, KdfChoice::Minimum).expect("create");
        let person = v.add(&Person::new("Someone")).expect("add");
        v.put_state("a-setting", b"1").expect("put");
        as_before_the_state_record(&mut v);
        v.lock();
        let v = Vault::unlock(&path, &pass).expect("unlock");
        assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
        assert_eq!(v.head_written.record, Some(1), "the record was not saved");
        assert!(v.verify().expect("verify").is_ok());
        v.lock();
        // From now on a setting put back is named.
        let mut v = Vault::unlock(&path, &pass).expect("unlock");
        v.put_state("a-setting", b"2").expect("put");
        let tag = v.key.name_tag(v.vault_id, "a-setting");
        let mut key = vec![crate::state::STATE];
        key.extend_from_slice(&tag);
        let older = v.key.seal(
            &Aad::TaggedState {
                vault_id: v.vault_id,
                tag,
            },
            b"\x00\x09a-setting1",
        );
        v.store.db.insert(key, older).expect("insert");
        v.store.db.flush().expect("flush");
        v.lock();
        let v = Vault::unlock(&path, &pass).expect("unlock");
        assert!(v.get_state("a-setting").is_err());
        assert!(v.get::<Person>(person).expect("get").is_some());
    }
}
