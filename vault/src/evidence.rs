//! Evidence payloads: ingest, export, verification and shredding.
//!
//! A payload is hashed (SHA-256) in the same pass as it is encrypted, typed
//! from its bytes, and written as an age file to the vault's own identity,
//! first under `blobs/staging/` and then renamed to `blobs/<item id>.age`.
//! File and folder are fsync'd before the record that points to the payload
//! commits, so an acknowledged evidence item always has its payload on disk
//! (DESIGN §3). Memory stays bounded by one read buffer and one age chunk,
//! whatever the size.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use temoin_crypto::payload::{self, PayloadError};

use zeroize::Zeroizing;

use crate::case::{Derivation, Evidence};
use crate::error::{IngestError, VaultError};
use crate::file::sync_dir;
use crate::file::{create_private_new, BLOBS_DIR};
use crate::record::FieldError;
use crate::record::{ItemId, Kind};
use crate::vault::Intake;
use crate::vault::{Stored, Vault};
use temoin_media::redact::{self, Cover, MediaError, Operation, Region};
use temoin_media::{exif, facts};

use crate::payload::READ_BUF;
/// Largest image whose metadata and previews are read at intake.
pub use temoin_media::redact::MAX_IMAGE_BYTES;
/// Longest side of a preview image, in pixels.
pub const PREVIEW_SIZE: u32 = 320;

/// A payload encrypted and on disk, not yet part of the vault. Dropping it
/// without [`Vault::add_evidence`] removes the staged file.
#[derive(Debug)]
pub struct StagedPayload {
    vault_id: [u8; 16],
    id: ItemId,
    path: PathBuf,
    pub(crate) facts: PayloadFacts,
    /// Kept as it arrived (see [`temoin_model::Record::payload_as_arrived`]),
    /// not sealed by the vault.
    pub(crate) as_arrived: bool,
    /// Its copy was stopped part way ([`crate::ArrivedPayload::discard`]):
    /// never stored.
    pub(crate) cut_short: bool,
    committed: bool,
}

impl StagedPayload {
    pub(crate) fn new(vault_id: [u8; 16], id: ItemId, path: PathBuf) -> StagedPayload {
        StagedPayload {
            vault_id,
            id,
            path,
            facts: PayloadFacts {
                sha256: String::new(),
                size: 0,
                media_type: String::new(),
            },
            as_arrived: false,
            cut_short: false,
            committed: false,
        }
    }

    /// What the payload is.
    pub fn facts(&self) -> &PayloadFacts {
        &self.facts
    }

    /// Whether it is kept as it arrived ([`crate::Vault::stage_as_arrived`])
    /// rather than sealed by the vault.
    pub fn as_arrived(&self) -> bool {
        self.as_arrived
    }

    pub(crate) fn vault_id(&self) -> [u8; 16] {
        self.vault_id
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file was renamed to `path` (it is removed from there if dropped
    /// before [`StagedPayload::keep`]).
    pub(crate) fn moved_to(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// The payload belongs to a stored item now.
    pub(crate) fn keep(&mut self) {
        self.committed = true;
    }
}

impl Drop for StagedPayload {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The facts of a payload established at intake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadFacts {
    /// SHA-256 of the original bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type sniffed from the bytes.
    pub media_type: String,
}

/// Why an original is being read, for the custody log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginalUse {
    /// Shown to the person using the app.
    View,
    /// Written out of the vault.
    Export,
}

fn map_payload_error(id: ItemId, e: PayloadError) -> VaultError {
    match e {
        PayloadError::Io(io) if !payload::is_damage(&io) => io.into(),
        _ => VaultError::PayloadDamaged { id },
    }
}

impl Vault {
    /// Makes a staged payload part of the vault as an evidence item. The
    /// payload's facts (hash, size, media type) come from staging and
    /// replace whatever `evidence` says; for images, the capture metadata
    /// is read and a preview made. The rest of `evidence` is kept.
    pub fn add_evidence(
        &mut self,
        staged: StagedPayload,
        evidence: Evidence,
    ) -> Result<Stored<Evidence>, VaultError> {
        self.add_evidence_with(staged, evidence, None)
    }

    fn add_evidence_with(
        &mut self,
        mut staged: StagedPayload,
        mut evidence: Evidence,
        derivation: Option<Derivation>,
    ) -> Result<Stored<Evidence>, VaultError> {
        if staged.vault_id != self.vault_id {
            // Encrypted to another vault's key: it could never be read here.
            return Err(VaultError::Store(
                "the staged file belongs to another vault".into(),
            ));
        }
        if staged.as_arrived || staged.cut_short {
            // Evidence is always sealed by the vault: read as its own, a
            // file kept as it arrived would not decrypt.
            return Err(VaultError::Store(
                "evidence is sealed by the vault, never kept as it arrived".into(),
            ));
        }
        evidence.sha256 = staged.facts.sha256.clone();
        evidence.size = staged.facts.size;
        evidence.media_type = staged.facts.media_type.clone();
        evidence.capture = None;
        let mut intake = Intake {
            sha256: Some(evidence.sha256.clone()),
            ..Intake::default()
        };
        if let Some(d) = &derivation {
            intake.source = Some(d.original);
            intake.source_sha256 = Some(d.original_sha256.clone());
        }
        evidence.derived_from = derivation;
        if evidence.media_type.starts_with("image/") && staged.facts.size <= MAX_IMAGE_BYTES {
            let bytes = self.read_staged(&staged)?;
            let mut capture = exif::read(&bytes);
            match redact::thumbnail(&bytes, PREVIEW_SIZE) {
                Ok(preview) => intake.preview = Some(Zeroizing::new(preview)),
                Err(e) => {
                    capture.problem.get_or_insert_with(|| e.to_string());
                }
            }
            evidence.capture = Some(capture);
        } else if facts::is_audio_or_video(&evidence.media_type) {
            let file = File::open(&staged.path)?;
            let reader = self
                .identity
                .decrypt(io::BufReader::new(file))
                .map_err(|e| map_payload_error(staged.id, e))?;
            evidence.capture = Some(facts::read_av(reader, staged.facts.size));
        } else if evidence.media_type == "application/pdf"
            && staged.facts.size <= facts::MAX_PDF_BYTES
        {
            let bytes = self.read_staged(&staged)?;
            evidence.capture = Some(facts::read_pdf(&bytes));
        }
        // Check before moving any file, so a refusal leaves nothing behind.
        use crate::record::Record;
        evidence.validate()?;
        let id = staged.id;
        let blob = self.blob_path(id);
        std::fs::rename(&staged.path, &blob)?;
        staged.path = blob.clone();
        sync_dir(&self.dir.join(BLOBS_DIR))?;
        match self.create_with_id(id, &evidence, intake) {
            Ok(()) => {
                staged.committed = true;
                Ok(Stored {
                    id,
                    revision: 0,
                    record: evidence,
                })
            }
            Err(e) => {
                // If the record reached the store before the failure, the
                // payload belongs to it and must stay; otherwise `staged`
                // drops here and removes it.
                if self.key_in_store(id) {
                    staged.committed = true;
                }
                Err(e)
            }
        }
    }

    /// Decrypts a staged payload into memory (images only, bounded).
    fn read_staged(&self, staged: &StagedPayload) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let file = File::open(&staged.path)?;
        let mut reader = self
            .identity
            .decrypt(io::BufReader::new(file))
            .map_err(|e| map_payload_error(staged.id, e))?;
        let mut out = Zeroizing::new(Vec::with_capacity(staged.facts.size as usize));
        reader
            .read_to_end(&mut out)
            .map_err(|_| VaultError::PayloadDamaged { id: staged.id })?;
        Ok(out)
    }

    /// Makes a working copy of an image: metadata stripped, and/or regions
    /// blacked out. The copy is a new evidence item of the same case, linked
    /// to the original by id and SHA-256, and its creation is recorded in
    /// the custody log with both hashes. The original is untouched.
    pub fn redact(
        &mut self,
        id: ItemId,
        strip_metadata: bool,
        regions: &[Region],
    ) -> Result<Stored<Evidence>, IngestError> {
        self.redact_with(id, strip_metadata, regions, Cover::Black)
    }

    /// [`Vault::redact`], with regions hidden as `how` says (black or
    /// blurred).
    pub fn redact_with(
        &mut self,
        id: ItemId,
        strip_metadata: bool,
        regions: &[Region],
        how: Cover,
    ) -> Result<Stored<Evidence>, IngestError> {
        let original = self.require::<Evidence>(id)?.record;
        if !strip_metadata && regions.is_empty() {
            return Err(FieldError::new(
                "operations",
                "must ask for stripping metadata or at least one region",
            )
            .into());
        }
        if original.size > MAX_IMAGE_BYTES {
            return Err(MediaError::FileTooLarge.into());
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(original.size as usize));
        self.copy_checked(id, &original, &mut *bytes)?;
        let (out, operations) = if regions.is_empty() {
            (redact::strip(&bytes)?.0, vec![Operation::StripMetadata])
        } else {
            // Written as PNG: the hidden regions, and no metadata at all.
            let out = redact::cover(&bytes, regions, how)?;
            let regions = regions.to_vec();
            let operation = match how {
                Cover::Blur => Operation::Blur { regions },
                _ => Operation::BlackOut { regions },
            };
            (out, vec![operation, Operation::StripMetadata])
        };
        drop(bytes);
        let out = Zeroizing::new(out);
        let staged = self.stage_payload(&out[..], &mut |_| {})?;
        self.add_evidence_with(
            staged,
            Evidence::new(original.case_id),
            Some(Derivation {
                original: id,
                original_sha256: original.sha256,
                operations,
            }),
        )
        .map_err(IngestError::from)
    }

    /// Ingests a file as evidence of `case`, keeping its file name (sealed).
    pub fn ingest_file(
        &mut self,
        case: ItemId,
        path: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Stored<Evidence>, IngestError> {
        if self.kind_of(case) != Some(Kind::Case) {
            return Err(VaultError::BadLink {
                id: case,
                expected: Kind::Case,
            }
            .into());
        }
        let file = File::open(path).map_err(IngestError::Source)?;
        let staged = self.stage_payload(file, progress)?;
        let mut evidence = Evidence::new(case);
        evidence.original_name = path.file_name().and_then(|n| n.to_str()).map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(crate::record::limits::SHORT)
                .collect()
        });
        Ok(self.add_evidence(staged, evidence)?)
    }

    /// Decrypts an evidence item's original into `out`, checking its hash and
    /// size as it goes, and records the view or export in the custody log.
    /// On a mismatch, `out` has received bytes that must be discarded.
    pub fn read_original<W: Write>(
        &mut self,
        id: ItemId,
        out: W,
        why: OriginalUse,
    ) -> Result<PayloadFacts, VaultError> {
        let evidence = self.require::<Evidence>(id)?;
        let facts = self.copy_checked(id, &evidence.record, out)?;
        self.record_original_use(id, &evidence.record, &facts, why)?;
        Ok(facts)
    }

    fn record_original_use(
        &mut self,
        id: ItemId,
        evidence: &Evidence,
        facts: &PayloadFacts,
        why: OriginalUse,
    ) -> Result<(), VaultError> {
        self.record_use(
            id,
            Kind::Evidence,
            Some(evidence.case_id),
            &facts.sha256,
            why,
        )
    }

    /// Exports an original to `path`, which must not exist, readable by its
    /// owner only. The final name is reserved first (so no file that appears
    /// meanwhile is ever replaced); the bytes go to a hidden file beside it
    /// and are renamed over the reservation only once their hash has been
    /// checked, so a damaged payload never appears as a good export. The
    /// custody entry is written once the export is in place.
    pub fn export_original(&mut self, id: ItemId, path: &Path) -> Result<PayloadFacts, VaultError> {
        drop(create_private_new(path)?);
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        // Visible, and plainly incomplete, should a crash leave it behind.
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".to_owned());
        let tmp = parent.join(format!("{file_name}.temoin-partial"));
        let result = (|| {
            let evidence = self.require::<Evidence>(id)?.record;
            let file = create_private_new(&tmp)?;
            let mut w = BufWriter::with_capacity(READ_BUF, file);
            let facts = self.copy_checked(id, &evidence, &mut w)?;
            let file = w
                .into_inner()
                .map_err(|e| VaultError::from(e.into_error()))?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            sync_dir(&parent)?;
            // Recorded once the export exists; if recording fails, the
            // export is removed below, so the log never misses one.
            self.record_original_use(id, &evidence, &facts, OriginalUse::Export)?;
            Ok(facts)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
            let _ = std::fs::remove_file(path);
        }
        result
    }

    pub(crate) fn copy_checked<W: Write>(
        &self,
        id: ItemId,
        evidence: &Evidence,
        out: W,
    ) -> Result<PayloadFacts, VaultError> {
        let facts = self.copy_payload(id, &evidence.sha256, evidence.size, false, out)?;
        Ok(PayloadFacts {
            media_type: evidence.media_type.clone(),
            ..facts
        })
    }
}
