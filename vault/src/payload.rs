//! Payloads of any kind that has one ([`Kind::has_payload`]): written as a
//! stream ([`PayloadWriter`]), made part of the vault with their record
//! ([`Vault::add_with_payload`]), and read back checked against the hash
//! and size the record gives ([`Vault::payload_reader`],
//! [`Vault::read_payload`]). Evidence has its own intake on top of these
//! (metadata, previews, working copies: [`crate::evidence`]).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use temoin_crypto::payload;

use crate::custody::{Action, Event};
use crate::error::{IngestError, VaultError};
use crate::evidence::{OriginalUse, PayloadFacts, StagedPayload};
use crate::file::{sync_dir, StopOnWipe, BLOBS_DIR, STAGING_DIR};
use crate::record::{ItemId, Kind, Record};
use crate::vault::{Intake, Vault};
use temoin_media::sniff_media_type;

pub(crate) const READ_BUF: usize = 1024 * 1024;
const SNIFF_LEN: usize = 8192;

/// A payload being written into the vault's staging folder: encrypted to
/// the vault's own key, hashed and typed as the bytes go by. Nothing is
/// part of the vault until [`PayloadWriter::finish`] and then
/// [`Vault::add_with_payload`] (or [`Vault::add_evidence`]); dropped
/// unfinished, the staged file is removed.
pub struct PayloadWriter {
    staged: StagedPayload,
    writer: payload::PayloadWriter<StopOnWipe<BufWriter<File>>>,
    hasher: Sha256,
    sample: Vec<u8>,
    size: u64,
}

impl std::fmt::Debug for PayloadWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadWriter")
            .field("size", &self.size)
            .finish()
    }
}

impl Write for PayloadWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.writer.write(buf)?;
        let chunk = &buf[..n];
        self.hasher.update(chunk);
        if self.sample.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - self.sample.len()).min(n);
            self.sample.extend_from_slice(&chunk[..take]);
        }
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl PayloadWriter {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.size
    }

    /// Ends the encryption and makes the staged file durable.
    pub fn finish(self) -> Result<StagedPayload, VaultError> {
        let PayloadWriter {
            mut staged,
            writer,
            hasher,
            sample,
            size,
        } = self;
        let file = writer
            .finish()?
            .into_inner()
            .into_inner()
            .map_err(|e| VaultError::from(e.into_error()))?;
        file.sync_all()?;
        staged.facts = PayloadFacts {
            sha256: hex::encode(hasher.finalize()),
            size,
            media_type: sniff_media_type(&sample),
        };
        Ok(staged)
    }
}

fn map_payload_error(id: ItemId, e: payload::PayloadError) -> VaultError {
    match e {
        payload::PayloadError::Io(io) if !payload::is_damage(&io) => io.into(),
        _ => VaultError::PayloadDamaged { id },
    }
}

impl Vault {
    /// Starts a payload in the vault's staging folder.
    pub fn payload_writer(&self) -> Result<PayloadWriter, VaultError> {
        let id = ItemId::random();
        let mut name = [0u8; 16];
        temoin_crypto::random_bytes(&mut name);
        let path = self
            .dir
            .join(BLOBS_DIR)
            .join(STAGING_DIR)
            .join(format!("{}.part", hex::encode(name)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let staged = StagedPayload::new(self.vault_id, id, path);
        let writer = payload::encrypt_to(
            &[self.identity.recipient()],
            StopOnWipe::new(BufWriter::with_capacity(READ_BUF, file), &self.slots_dir),
        )
        .map_err(|e| map_payload_error(id, e))?;
        Ok(PayloadWriter {
            staged,
            writer,
            hasher: Sha256::new(),
            sample: Vec::with_capacity(SNIFF_LEN),
            size: 0,
        })
    }

    /// Encrypts a payload from `input` into the vault's staging folder,
    /// hashing and typing it on the way. `progress` is told the bytes read
    /// so far. Nothing is part of the vault until [`Vault::add_evidence`]
    /// or [`Vault::add_with_payload`].
    pub fn stage_payload<R: Read>(
        &self,
        mut input: R,
        progress: &mut dyn FnMut(u64),
    ) -> Result<StagedPayload, IngestError> {
        let mut writer = self.payload_writer()?;
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(IngestError::Source(e)),
            };
            writer.write_all(&buf[..n]).map_err(VaultError::from)?;
            progress(writer.written());
        }
        Ok(writer.finish()?)
    }

    /// Stages the file at `source` to be kept exactly as it is (a bundle
    /// sealed to keys the vault does not hold, see
    /// [`temoin_model::Record::payload_as_arrived`]). With `link` (the
    /// caller owns `source`: nobody else writes it, and it removes it once
    /// the item is stored) and on the vault's file system, the staged file
    /// is a second name for it and no byte is copied. Otherwise the bytes
    /// are copied as the caller reads them through the returned reader, so
    /// that a person's own file never shares its bytes with the vault (a
    /// deleted item is overwritten in place) and a slow stick is read once.
    /// Either way the payload's facts are those of the bytes that went
    /// through the reader, so what the caller checks (decrypts, verifies)
    /// is what the vault keeps, even if `source` changes on a failing or
    /// hostile stick.
    pub fn stage_as_arrived(
        &self,
        source: &Path,
        link: bool,
    ) -> Result<ArrivedPayload, VaultError> {
        let mut name = [0u8; 16];
        temoin_crypto::random_bytes(&mut name);
        let path = self
            .dir
            .join(BLOBS_DIR)
            .join(STAGING_DIR)
            .join(format!("{}.part", hex::encode(name)));
        let mut staged = StagedPayload::new(self.vault_id, ItemId::random(), path);
        staged.as_arrived = true;
        let file = File::open(source)?;
        // A device or a link to one (`/dev/zero` on a hostile stick) would
        // be read for ever.
        if !file.metadata()?.is_file() {
            return Err(VaultError::Store(format!(
                "{} is not a regular file",
                source.display()
            )));
        }
        let linked = link && self.link_own_file(source, &file, staged.path());
        let copy = if linked {
            None
        } else {
            let to = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(staged.path())?;
            Some(StopOnWipe::new(
                BufWriter::with_capacity(READ_BUF, to),
                &self.slots_dir,
            ))
        };
        Ok(ArrivedPayload {
            staged,
            file: io::BufReader::with_capacity(READ_BUF, file),
            copy,
            store_failed: None,
            discarded: false,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Gives `opened` (the file at `source`) the second name `staged`, only
    /// if it is the vault owner's own regular file with no other name:
    /// never a symbolic link (whose link would point out of the vault), a
    /// file also named elsewhere (whose other names could change the
    /// payload) or someone else's. Checked on the open file and again on
    /// the new name, so that a name swapped in between is caught. The
    /// staged name is made private and durable. False, with nothing left
    /// behind, when the file must be copied instead.
    fn link_own_file(&self, source: &Path, opened: &File, staged: &Path) -> bool {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let (Ok(meta), Ok(named), Ok(vault)) = (
            opened.metadata(),
            std::fs::symlink_metadata(source),
            std::fs::metadata(&self.dir),
        ) else {
            return false;
        };
        let same = |m: &std::fs::Metadata| m.dev() == meta.dev() && m.ino() == meta.ino();
        if !meta.is_file() || meta.nlink() != 1 || meta.uid() != vault.uid() || !same(&named) {
            return false;
        }
        if std::fs::hard_link(source, staged).is_err() {
            return false;
        }
        let linked = std::fs::symlink_metadata(staged)
            .is_ok_and(|m| m.is_file() && same(&m) && m.nlink() == 2)
            && std::fs::set_permissions(staged, std::fs::Permissions::from_mode(0o600)).is_ok()
            && opened.sync_all().is_ok()
            && sync_dir(&self.dir.join(BLOBS_DIR).join(STAGING_DIR)).is_ok();
        if !linked {
            let _ = std::fs::remove_file(staged);
        }
        linked
    }

    /// Makes a staged payload part of the vault with `record`, a new item
    /// `id` (random, or from [`Vault::derived_id`]) of a kind that has a
    /// payload other than evidence (which goes through
    /// [`Vault::add_evidence`]). The record must give the staged payload's
    /// hash and size. Durable when it returns.
    pub fn add_with_payload<R: Record>(
        &mut self,
        id: ItemId,
        mut staged: StagedPayload,
        record: &R,
    ) -> Result<(), VaultError> {
        self.refuse_taken(id)?;
        if !R::KIND.has_payload() || R::KIND == Kind::Evidence {
            return Err(VaultError::Store(format!(
                "a {} is not stored with a payload this way",
                R::KIND
            )));
        }
        if staged.vault_id() != self.vault_id {
            return Err(VaultError::Store(
                "the staged file belongs to another vault".into(),
            ));
        }
        if staged.cut_short {
            return Err(VaultError::Store(
                "the staged file was not copied whole".into(),
            ));
        }
        let facts = staged.facts().clone();
        if record.payload() != Some((facts.sha256.as_str(), facts.size)) {
            return Err(VaultError::Store(
                "the record does not give the hash and size of its payload".into(),
            ));
        }
        // A record must say how its payload is kept: one read as the
        // vault's own would not decrypt, and a sealed one read as it
        // arrived would hand out ciphertext.
        if record.payload_as_arrived() != staged.as_arrived {
            return Err(VaultError::Store(
                "the record does not say how its payload is kept".into(),
            ));
        }
        record.validate()?;
        let blob = self.blob_path(id);
        std::fs::rename(staged.path(), &blob)?;
        staged.moved_to(blob);
        sync_dir(&self.dir.join(BLOBS_DIR))?;
        let intake = Intake {
            sha256: Some(facts.sha256),
            ..Intake::default()
        };
        match self.create_with_id(id, record, intake) {
            Ok(()) => {
                staged.keep();
                Ok(())
            }
            Err(e) => {
                // Reached the store before the failure: the payload is its.
                if self.key_in_store(id) {
                    staged.keep();
                }
                Err(e)
            }
        }
    }

    /// The payload of item `id` (of kind `R`) as a reader, checked as it
    /// goes against the hash and size its record gives: reading past the
    /// size, or a damaged stream, is an error of kind `InvalidData`; call
    /// [`PayloadReader::finish`] after reading it all to learn whether the
    /// whole matched. Reading is not recorded: see
    /// [`Vault::record_payload_use`].
    pub fn payload_reader<R: Record>(&self, id: ItemId) -> Result<PayloadReader, VaultError> {
        let record = self.require::<R>(id)?.record;
        let (sha256, size) = record.payload().ok_or(VaultError::NotFound {
            id,
            kind: "item with a payload",
        })?;
        self.open_payload(id, sha256, size, record.payload_as_arrived())
    }

    pub(crate) fn open_payload(
        &self,
        id: ItemId,
        sha256: &str,
        size: u64,
        as_arrived: bool,
    ) -> Result<PayloadReader, VaultError> {
        let file = match File::open(self.blob_path(id)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(VaultError::PayloadMissing { id })
            }
            Err(e) => return Err(e.into()),
        };
        let file = io::BufReader::with_capacity(READ_BUF, file);
        let reader = if as_arrived {
            Inner::AsArrived(file)
        } else {
            Inner::Sealed(
                self.identity
                    .decrypt(file)
                    .map_err(|e| map_payload_error(id, e))?,
            )
        };
        Ok(PayloadReader {
            id,
            reader,
            hasher: Sha256::new(),
            size: 0,
            expected_sha256: sha256.to_owned(),
            expected_size: size,
        })
    }

    /// Decrypts and hashes a payload into `out`; errors if it is missing,
    /// damaged, or does not match `sha256` and `size`.
    pub(crate) fn copy_payload<W: Write>(
        &self,
        id: ItemId,
        sha256: &str,
        size: u64,
        as_arrived: bool,
        mut out: W,
    ) -> Result<PayloadFacts, VaultError> {
        let mut reader = self.open_payload(id, sha256, size, as_arrived)?;
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(VaultError::PayloadDamaged { id })
                }
                Err(e) => return Err(e.into()),
            };
            out.write_all(&buf[..n])?;
        }
        reader.finish()
    }

    /// Decrypts the payload of item `id` (of kind `R`) into `out`, checked
    /// against its record, and records the view or export in the custody
    /// log. On an error, `out` has received bytes that must be discarded.
    pub fn read_payload<R: Record, W: Write>(
        &mut self,
        id: ItemId,
        out: W,
        why: OriginalUse,
    ) -> Result<PayloadFacts, VaultError> {
        let record = self.require::<R>(id)?.record;
        let (sha256, size) = record.payload().ok_or(VaultError::NotFound {
            id,
            kind: "item with a payload",
        })?;
        let facts = self.copy_payload(id, sha256, size, record.payload_as_arrived(), out)?;
        self.record_payload_use(id, R::KIND, &facts.sha256, why)?;
        Ok(facts)
    }

    /// Records in the custody log that the payload of item `id` was shown
    /// or written out of the vault (by a caller that read it with
    /// [`Vault::payload_reader`]).
    pub fn record_payload_use(
        &mut self,
        id: ItemId,
        kind: Kind,
        sha256: &str,
        why: OriginalUse,
    ) -> Result<(), VaultError> {
        self.record_use(id, kind, None, sha256, why)
    }

    /// The custody entry of a payload shown or written out.
    pub(crate) fn record_use(
        &mut self,
        id: ItemId,
        kind: Kind,
        case: Option<ItemId>,
        sha256: &str,
        why: OriginalUse,
    ) -> Result<(), VaultError> {
        self.append_custody(
            match why {
                OriginalUse::View => Action::ViewOriginal,
                OriginalUse::Export => Action::ExportOriginal,
            },
            Event {
                item: Some(id),
                kind: Some(kind),
                case,
                sha256: Some(sha256.to_owned()),
                ..Event::default()
            },
        )
    }
}

/// A payload being read, hashed as it goes (see [`Vault::payload_reader`]).
pub struct PayloadReader {
    id: ItemId,
    reader: Inner,
    hasher: Sha256,
    size: u64,
    expected_sha256: String,
    expected_size: u64,
}

impl std::fmt::Debug for PayloadReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadReader")
            .field("id", &self.id)
            .finish()
    }
}

/// A payload's bytes: decrypted with the vault's key, or as they arrived.
enum Inner {
    Sealed(payload::PayloadReader<io::BufReader<File>>),
    AsArrived(io::BufReader<File>),
}

impl Read for PayloadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = match &mut self.reader {
            Inner::Sealed(r) => r.read(buf),
            Inner::AsArrived(r) => r.read(buf),
        };
        let n = match read {
            Ok(n) => n,
            Err(e) if payload::is_damage(&e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the payload is damaged",
                ))
            }
            Err(e) => return Err(e),
        };
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        if self.size > self.expected_size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the payload is longer than its record says",
            ));
        }
        Ok(n)
    }
}

impl PayloadReader {
    /// Whether everything read matched the record (call after reading to
    /// the end).
    pub fn finish(self) -> Result<PayloadFacts, VaultError> {
        let sha256 = hex::encode(self.hasher.finalize());
        if sha256 != self.expected_sha256 || self.size != self.expected_size {
            return Err(VaultError::PayloadDamaged { id: self.id });
        }
        Ok(PayloadFacts {
            sha256,
            size: self.size,
            media_type: String::new(),
        })
    }
}

/// A payload staged as it arrived ([`Vault::stage_as_arrived`]), read
/// through here once to hash it, copy it when it was not linked, and (by
/// the caller) check it.
pub struct ArrivedPayload {
    staged: StagedPayload,
    file: io::BufReader<File>,
    copy: Option<StopOnWipe<BufWriter<File>>>,
    store_failed: Option<io::Error>,
    discarded: bool,
    hasher: Sha256,
    size: u64,
}

impl std::fmt::Debug for ArrivedPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrivedPayload")
            .field("size", &self.size)
            .finish()
    }
}

impl Read for ArrivedPayload {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.store_failed.is_some() {
            return Err(io::Error::other("the vault could not take the payload"));
        }
        let n = self.file.read(buf)?;
        if let Some(copy) = &mut self.copy {
            if let Err(e) = copy.write_all(&buf[..n]) {
                self.store_failed = Some(e);
                return Err(io::Error::other("the vault could not take the payload"));
            }
        }
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl ArrivedPayload {
    /// Whether writing the copy failed (a full disk, a wipe): the vault's
    /// trouble, not the payload's. [`ArrivedPayload::finish`] says why.
    pub fn store_failed(&self) -> bool {
        self.store_failed.is_some()
    }

    /// Stops copying (the caller will not keep the payload: it did not
    /// check out), so that the rest of a file that is no bundle is only
    /// hashed, never written into the vault. The staged payload that
    /// [`ArrivedPayload::finish`] then gives can only be dropped.
    pub fn discard(&mut self) {
        if self.copy.take().is_some() {
            self.discarded = true;
        }
    }

    /// Reads what the caller left to the end, makes the copy durable, and
    /// gives the staged payload with the hash and size of every byte.
    pub fn finish(mut self) -> Result<StagedPayload, VaultError> {
        let drained = io::copy(&mut self, &mut io::sink());
        if let Some(e) = self.store_failed.take() {
            return Err(e.into());
        }
        drained?;
        let ArrivedPayload {
            mut staged,
            file,
            copy,
            discarded,
            hasher,
            size,
            ..
        } = self;
        match copy {
            Some(copy) => {
                let file = copy
                    .into_inner()
                    .into_inner()
                    .map_err(|e| VaultError::from(e.into_error()))?;
                file.sync_all()?;
                if let Some(dir) = staged.path().parent() {
                    sync_dir(dir)?;
                }
            }
            // Linked: made durable when it was linked. Discarded: a copy
            // cut short, which must never be stored.
            None if discarded => staged.cut_short = true,
            None => drop(file),
        }
        staged.facts = PayloadFacts {
            sha256: hex::encode(hasher.finalize()),
            size,
            media_type: "application/age".into(),
        };
        Ok(staged)
    }
}
