//! Items: adding, reading, revising, deleting and listing records, search,
//! the custody log, previews.

use super::*;

impl Vault {
    /// Stores a new item; returns its id. Durable when it returns.
    pub fn add<R: Record>(&mut self, record: &R) -> Result<ItemId, VaultError> {
        let id = ItemId::random();
        self.create_with_id(id, record, Intake::default())?;
        Ok(id)
    }

    /// An item id that stands for `context` in this vault alone: 16 bytes
    /// keyed with the vault key, so that the same context always finds the
    /// same item (an import done twice lands on the same id) and the id
    /// says nothing of the context to someone without the key.
    pub fn derived_id(&self, context: &str) -> ItemId {
        ItemId::from_bytes(
            self.key
                .name_tag(self.vault_id, &format!("temoin/derived-item-id\0{context}")),
        )
    }

    /// Stores a new item under `id` (one from [`Vault::derived_id`]), which
    /// must not be in use. Durable when it returns.
    pub fn add_with_id<R: Record>(&mut self, id: ItemId, record: &R) -> Result<(), VaultError> {
        self.refuse_taken(id)?;
        self.create_with_id(id, record, Intake::default())
    }

    pub(crate) fn refuse_taken(&self, id: ItemId) -> Result<(), VaultError> {
        if self.catalog.contains_key(&id) || self.damaged.contains_key(&id) || self.key_in_store(id)
        {
            return Err(VaultError::Store(format!("item {id} exists already")));
        }
        Ok(())
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
    pub(super) fn stage_new<R: Record>(
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

    pub(super) fn after_write<R: Record>(&mut self, id: ItemId, record: &R, revision: u32) {
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

    pub(super) fn entry_of<R: Record>(
        &self,
        id: ItemId,
    ) -> Result<Option<CatalogEntry>, VaultError> {
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

    pub(super) fn item_key_of(&self, id: ItemId) -> Result<ItemKey, VaultError> {
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

    pub(super) fn read_revision<R: Record>(
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
            if e.kind.has_payload() {
                crate::file::shred_blob(&self.blob_path(item))?;
            }
        }
        Ok(true)
    }

    pub(super) fn delete_damaged(&mut self, id: ItemId) -> Result<(), VaultError> {
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
        self.expected_damaged.remove(&id);
        self.drop_snapshot()?;
        let blob = self.blob_path(id);
        if blob.exists() {
            crate::file::shred_blob(&blob)?;
        }
        Ok(())
    }

    pub(super) fn remove_item_keys(
        &self,
        batch: &mut sled::Batch,
        id: ItemId,
    ) -> Result<(), VaultError> {
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
        let mut f = crate::file::create_private_new(path)?;
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
}
