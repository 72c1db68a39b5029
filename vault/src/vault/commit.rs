//! Sealing and committing: records under their item keys, custody entries
//! chained and signed, each write durable before it is acknowledged.

use super::*;

impl Vault {
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

    pub(super) fn seal_record<R: Record>(
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

    /// The last bundle sequence number stored (0 before the first bundle;
    /// `None` if there is none or it does not open).
    pub(crate) fn stored_bundle_sequence(&self) -> Result<Option<u64>, VaultError> {
        let Some(sealed) = self.store.db.get(store::meta_key(META_BUNDLE_SEQ))? else {
            return Ok(None);
        };
        Ok(self
            .key
            .open(
                &Aad::Named {
                    vault_id: self.vault_id,
                    name: META_BUNDLE_SEQ,
                },
                &sealed,
            )
            .ok()
            .and_then(|plain| Some(u64::from_be_bytes(plain[..].try_into().ok()?))))
    }

    /// The sequence number the next bundle gets: one more than the last
    /// (1 for the first).
    pub(crate) fn next_bundle_sequence(&self) -> Result<u64, VaultError> {
        let Some(sealed) = self.store.db.get(store::meta_key(META_BUNDLE_SEQ))? else {
            return self.bundle_floor.checked_add(1).ok_or_else(|| {
                VaultError::Store("the bundle sequence number is exhausted".into())
            });
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
        // Never below what the custody log records as sealed, should the
        // stored number have been put back from an older copy.
        u64::from_be_bytes(last)
            .max(self.bundle_floor)
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
        let sealed = self.key.seal(
            &Aad::Named {
                vault_id: self.vault_id,
                name: META_BUNDLE_SEQ,
            },
            &sequence.to_be_bytes(),
        );
        batch.insert(store::meta_key(META_BUNDLE_SEQ), sealed);
        let head = self.stage_custody(&mut batch, self.custody_head, action, event)?;
        self.commit_with(batch, head, Some(sequence))?;
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
        self.commit_with(batch, head, None)
    }

    /// [`commit`](Self::commit), with a new bundle sequence number the
    /// batch stores.
    pub(crate) fn commit_with(
        &mut self,
        mut batch: sled::Batch,
        head: CustodyHead,
        bundle_sequence: Option<u64>,
    ) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        let mut record = self.next_record()?;
        record.custody_seq = head.next_seq - 1;
        record.custody_hash = head.prev;
        record.items = head.items;
        if let Some(sequence) = bundle_sequence {
            record.bundle_sequence = sequence;
        }
        batch.insert(
            store::meta_key(crate::rollback::NAME),
            record.seal(&self.key, self.vault_id),
        );
        self.store.db.apply_batch(batch)?;
        self.custody_head = head;
        let counter = record.counter;
        self.record = record;
        let durable = self.store.sync().and_then(|()| {
            self.write_head(Head {
                seq: head.next_seq - 1,
                hash: head.prev,
                record: Some(counter),
            })
        });
        if durable.is_err() {
            self.unsettled = true;
            let _ = self.drop_snapshot();
        }
        durable
    }

    /// The state record for the next write: the current one, counted on.
    pub(crate) fn next_record(&self) -> Result<StateRecord, VaultError> {
        let mut record = self.record.clone();
        record.counter = record
            .counter
            .checked_add(1)
            .ok_or_else(|| VaultError::Store("the state record's counter is exhausted".into()))?;
        Ok(record)
    }

    /// Records a new custody head durably.
    pub(crate) fn write_head(&mut self, head: Head) -> Result<(), VaultError> {
        self.head_file.write(&self.key, self.vault_id, head)?;
        self.head_written = head;
        Ok(())
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
        let items = self.items_after(head.items, action, &event);
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
            items,
        })
    }

    /// The live items' digest after an entry (`crate::rollback`): a
    /// creation adds the item at its revision, an edit moves it from the
    /// revision before to its own (revisions are consecutive), a deletion
    /// takes it out at its latest revision as known here.
    fn items_after(&self, mut items: [u8; 32], action: Action, event: &Event) -> [u8; 32] {
        let Some(id) = event.item else {
            return items;
        };
        let b = id.as_bytes();
        match (action, event.revision) {
            (Action::Create, rev) => xor(&mut items, &self.mac.item(b, rev.unwrap_or(0))),
            (Action::Edit, Some(rev)) => {
                if let Some(before) = rev.checked_sub(1) {
                    xor(&mut items, &self.mac.item(b, before));
                }
                xor(&mut items, &self.mac.item(b, rev));
            }
            (Action::Delete, _) => {
                let latest = self
                    .catalog
                    .get(&id)
                    .map(|e| e.latest)
                    .or_else(|| self.expected_damaged.get(&id).copied());
                if let Some(rev) = latest {
                    xor(&mut items, &self.mac.item(b, rev));
                }
            }
            _ => {}
        }
        items
    }

    pub(super) fn encode_checked<R: Record>(
        &self,
        record: &R,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
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
}
