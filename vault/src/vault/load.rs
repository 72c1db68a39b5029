//! Loading the catalogue at unlock: from the sealed index snapshot when it
//! is current, else by reading every item; and writing that snapshot.

use super::*;

impl Vault {
    /// Reads every item key and the latest revision of every record, in two
    /// ordered scans, and decrypts them on all cores.
    pub(super) fn load_items(&mut self) -> Result<(), OpenError> {
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

    pub(super) fn load_one(
        &self,
        id: ItemId,
        wrapped: &[u8],
        rec: Option<&(u32, sled::IVec)>,
    ) -> Loaded {
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
    pub(super) fn load_snapshot(&mut self) -> bool {
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
    pub(super) fn reload_item(&mut self, id: ItemId) -> Result<(), sled::Error> {
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

    pub(super) fn hit(id: ItemId, entry: CatalogEntry) -> Hit {
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
            crate::file::sync_dir(&self.dir)
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
    pub(super) fn drop_snapshot(&mut self) -> Result<(), VaultError> {
        // Forget it first, so that even if removing it fails, the next lock
        // writes a fresh one rather than trusting it.
        self.snapshot_seq = None;
        match std::fs::remove_file(self.dir.join(crate::snapshot::FILE)) {
            Ok(()) => crate::file::sync_dir(&self.dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        self.snapshot_seq = None;
        Ok(())
    }

    /// Removes what an interrupted ingest left: staged files, and payload
    /// files whose record never committed. Both are ciphertext only.
    pub(super) fn clean_blobs(&mut self) -> Result<(), OpenError> {
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
                crate::file::shred_blob(&entry.path()).map_err(|e| match e {
                    VaultError::Io(io) => OpenError::Io(io),
                    other => OpenError::Damaged {
                        what: other.to_string(),
                    },
                })?;
            }
        }
        Ok(())
    }
}
