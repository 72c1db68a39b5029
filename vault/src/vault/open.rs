//! Making a vault, and opening one: key slots, the key, the store, the
//! custody head, and the check that nothing acknowledged was lost; changing
//! the passphrase.

use super::*;

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
            crate::file::sync_dir(parent)?;
        }
        let params = kdf.params()?;
        let mut vault_id = [0u8; 16];
        temoin_crypto::random_bytes(&mut vault_id);
        let key = VaultKey::generate();
        let (store, head_file, identity, device, first_hash, record) =
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
        crate::attempts::attempts_reset(dir)?;
        slots.write(dir)?;
        crate::file::sync_dir(dir)?;

        let mut vault = Vault::assemble(dir, vault_id, key, identity, device, store, head_file);
        vault.custody_head = CustodyHead {
            next_seq: 1,
            prev: first_hash,
            broken_at: None,
            items: record.items,
        };
        vault.head_written = Head {
            seq: 0,
            hash: first_hash,
            record: Some(record.counter),
        };
        vault.record = record;
        vault.loaded = true;
        Ok(vault)
    }

    /// Makes a vault's store in `dir` (records, evidence folder, the sealed
    /// payload identity and device key, the first custody entry, the state
    /// record and the custody head), everything but the key slots.
    #[allow(clippy::type_complexity)]
    pub(crate) fn create_store(
        dir: &Path,
        vault_id: [u8; 16],
        key: &VaultKey,
    ) -> Result<
        (
            Store,
            HeadFile,
            PayloadIdentity,
            DeviceKey,
            [u8; 32],
            StateRecord,
        ),
        OpenError,
    > {
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
        // Written now, not at the first export, so that its presence on disk
        // does not tell that this vault has sent something.
        let bundle_sequence = key.seal(
            &Aad::Named {
                vault_id,
                name: META_BUNDLE_SEQ,
            },
            &0u64.to_be_bytes(),
        );
        let first = CustodyEntry::new(&device, 0, [0; 32], Action::VaultCreated, Event::default());
        batch.insert(
            &store::custody_key(0),
            key.seal(&Aad::Custody { vault_id, seq: 0 }, &first.encode()),
        );
        let record = StateRecord {
            counter: 1,
            custody_seq: 0,
            custody_hash: first.hash(),
            ..StateRecord::default()
        };
        batch.insert(store::meta_key(META_BUNDLE_SEQ), bundle_sequence);
        batch.insert(
            store::meta_key(crate::rollback::NAME),
            record.seal(key, vault_id),
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
                    record: Some(record.counter),
                },
            )
            .map_err(as_open_error)?;

        Ok((store, head_file, identity, device, first.hash(), record))
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
        crate::attempts::attempts_before(dir, &slots)?;
        let (key, slot) = match slots.unlock(passphrase) {
            Ok(found) => found,
            Err(OpenError::WrongPassphrase) => {
                crate::attempts::attempts_failed(dir, &slots)?;
                return Err(OpenError::WrongPassphrase);
            }
            Err(e) => return Err(e),
        };
        crate::attempts::attempts_reset(dir)?;
        // A change of the slots cut short between its two writes leaves
        // the earlier table in one copy: written over now.
        // Best effort: a full or read-only disk must not keep the vault shut.
        let _ = crate::keyslot::settle(dir);
        // Which store the key opens: the vault's, or the spare one a
        // duress passphrase leads to. Told apart by the custody head, a
        // few hundred bytes, so both paths take the same time.
        if !head_opens(dir, &key, slots.vault_id) {
            let spare = dir.join(crate::file::SPARE_DIR);
            if head_opens(&spare, &key, slots.vault_id) {
                return spare::open_spare(dir, &slots, slot, key);
            }
        }
        let vault = match Self::open_with_key(dir, slots.vault_id, key) {
            Ok(vault) => vault,
            // The duress slot of a spare store whose removal a crash cut
            // short: it opens nothing any more.
            Err(_) if dir.join(crate::file::SPARE_REMOVING).exists() => {
                return Err(OpenError::WrongPassphrase)
            }
            Err(e) => return Err(e),
        };
        spare::finish_duress_removal(dir, &slots, slot)?;
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
        vault.head_written = committed;
        vault.load_custody_head()?;
        vault.check_nothing_lost(committed)?;
        if crate::state::migrate_named_state(&vault.store.db, &vault.key, vault_id)? {
            vault.store.sync().map_err(|e| match e {
                VaultError::Io(io) => OpenError::Io(io),
                VaultError::DiskFull => OpenError::Io(std::io::ErrorKind::StorageFull.into()),
                other => OpenError::Damaged {
                    what: format!("the settings could not be saved under their new keys ({other})"),
                },
            })?;
        }
        if !vault.load_snapshot() {
            vault.catalog.clear();
            vault.damaged.clear();
            vault.index = SearchIndex::default();
            vault.load_items()?;
        }
        vault.check_rollback(committed)?;
        vault.clean_blobs()?;
        vault.loaded = true;
        Ok(vault)
    }

    /// A vault with nothing loaded yet: no catalog, no index, no custody
    /// head, and `loaded` false so that nothing is written from it.
    pub(super) fn assemble(
        dir: &Path,
        vault_id: [u8; 16],
        key: VaultKey,
        identity: PayloadIdentity,
        device: DeviceKey,
        store: Store,
        head_file: HeadFile,
    ) -> Vault {
        let mac = key.state_mac(vault_id);
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
                items: [0; 32],
            },
            snapshot_seq: None,
            unsettled: false,
            loaded: false,
            spare_slot: None,
            mac,
            record: StateRecord::default(),
            head_written: Head {
                seq: 0,
                hash: [0; 32],
                record: None,
            },
            expected_damaged: HashMap::new(),
            stale_states: BTreeSet::new(),
            rolled_back: Vec::new(),
            bundle_floor: 0,
        }
    }

    pub(super) fn load_custody_head(&mut self) -> Result<(), OpenError> {
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
                    items: [0; 32],
                }
            }
            Err(_) => {
                self.custody_head = CustodyHead {
                    next_seq: seq.saturating_add(1),
                    prev: [0; 32],
                    broken_at: Some(seq),
                    items: [0; 32],
                }
            }
        }
        Ok(())
    }

    /// Fails closed if the record store came back with less than was
    /// acknowledged (see [`crate::head`]).
    pub(super) fn check_nothing_lost(&self, committed: Head) -> Result<(), OpenError> {
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
        // Find the slot `old` opens, checking its parameters as at unlock,
        // with one derivation whichever slot it is (the spare store's slot
        // comes after the vault's: a derivation per slot would make a
        // change in the decoy slower than in a vault). Only a slot of this
        // store: in the vault, the duress passphrase opens the spare
        // store's slot, which must not be replaced by one for this vault's
        // key.
        let which = slots
            .unlock_all(old)?
            .into_iter()
            .find(|(key, _)| head_opens(&self.dir, key, self.vault_id))
            .map(|(_, i)| i)
            .ok_or(OpenError::WrongPassphrase)?;
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
            spare::finish_duress_removal(&self.slots_dir, &slots, which)?;
            slots = SlotFile::read(&self.slots_dir)?;
        }
        let duress_set = self.is_spare() || self.dir.join(crate::file::SPARE_DIR).exists();
        // The cost comes from the slot being replaced (the only one whose
        // cost is proven: the passphrase just opened it with that cost), or
        // from calibration, and is never lower than that slot's. Never from
        // another slot: those are unauthenticated JSON, and `spare/` can be
        // made by anyone with the disk.
        let own = slots.slots[which]
            .kdf
            .as_ref()
            .map(|k| k.params)
            .ok_or_else(|| OpenError::Damaged {
                what: "the key-slot file has a passphrase slot without a cost".into(),
            })?;
        let requested = kdf.params()?;
        let calibrated = matches!(kdf, KdfChoice::Calibrated);
        if duress_set && !self.is_spare() && !calibrated && requested != own {
            return Err(OpenError::NotRecordable(
                "the derivation cost is shared with the duress passphrase's slot: remove the \
                 duress passphrase, change the cost, then set it again"
                    .into(),
            ));
        }
        if !calibrated && lower(&requested, &own) {
            return Err(OpenError::NotRecordable(
                "that derivation cost is lower than this passphrase's current one, and Témoin \
                 never makes a passphrase cheaper to guess: choose the calibrated cost"
                    .into(),
            ));
        }
        let params = if duress_set {
            // A duress slot cannot be rewrapped without its passphrase, so
            // the cost the slots share stays (silently in the spare store,
            // which must not give itself away).
            own
        } else if calibrated {
            KdfParams {
                m_kib: requested.m_kib.max(own.m_kib),
                t_cost: requested.t_cost.max(own.t_cost),
                p_cost: requested.p_cost,
            }
        } else {
            requested
        };
        // The slot keeps its salt, which the vault's slots share.
        let salt = slots.slots[which]
            .kdf
            .as_ref()
            .and_then(|k| hex::decode(&k.salt).ok())
            .ok_or_else(|| OpenError::Damaged {
                what: "the key-slot file has a malformed salt".into(),
            })?;
        slots.slots[which] = slots.passphrase_slot_salted(&self.key, new, params, &salt)?;
        if self.is_spare() {
            self.spare_slot = Some(slots.slots[which].id);
        }
        if !duress_set {
            spare::dummies_but(&mut slots, which)?;
        }
        slots.write(&self.slots_dir)?;
        self.append_custody(Action::PassphraseChanged, Event::default())
            .map_err(|e| OpenError::ChangedNotRecorded(e.to_string()))?;
        Ok(())
    }
}

/// Whether `a` is cheaper to guess than `b` in memory or in passes.
fn lower(a: &KdfParams, b: &KdfParams) -> bool {
    a.m_kib < b.m_kib || a.t_cost < b.t_cost
}
