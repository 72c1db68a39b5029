//! Writing a bundle: the manifest laid out from the records, then a tar
//! archive streamed inside an age file (manifest, signature, checksums,
//! custody, README, then each evidence payload as it is read). Nothing is
//! written to disk here; the caller gives the output and the payload
//! streams, and signs the manifest with its own key.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};
use temoin_crypto::payload::{self, PayloadRecipient, PayloadWriter};
use temoin_model::case::Evidence;
use temoin_model::custody::CustodyEntry;
use temoin_model::ItemId;

use crate::manifest::*;
use crate::readme::readme_html;

/// A bundle laid out and not yet written: the manifest with its file list,
/// and the custody and README members it names.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The manifest, complete: sign [`Draft::manifest_bytes`].
    pub manifest: Manifest,
    custody: Vec<u8>,
    readme: String,
}

impl Draft {
    /// Lays out a bundle: `manifest` with every field but `files` filled in,
    /// the custody entries to carry, and the evidence payloads in the order
    /// they will be appended. The file list becomes: custody, README, then
    /// one `evidence/ID.EXT` a payload.
    pub fn new(
        mut manifest: Manifest,
        custody: &[CustodyEntry],
        evidence: &[(ItemId, Evidence)],
    ) -> Draft {
        let custody = custody_lines(custody);
        manifest.files = vec![FileEntry {
            path: CUSTODY.to_owned(),
            size: custody.len() as u64,
            sha256: hex::encode(Sha256::digest(&custody)),
            media_type: "application/x-ndjson".to_owned(),
            item: None,
        }];
        for (id, e) in evidence {
            manifest.files.push(FileEntry {
                path: format!(
                    "{EVIDENCE_DIR}{id}.{}",
                    temoin_model::case::file_extension(&e.media_type)
                ),
                size: e.size,
                sha256: e.sha256.clone(),
                media_type: e.media_type.clone(),
                item: Some(*id),
            });
        }
        let readme = readme_html(&manifest);
        manifest.files.insert(
            1,
            FileEntry {
                path: README.to_owned(),
                size: readme.len() as u64,
                sha256: hex::encode(Sha256::digest(readme.as_bytes())),
                media_type: "text/html".to_owned(),
                item: None,
            },
        );
        Draft {
            manifest,
            custody,
            readme,
        }
    }

    /// The manifest's bytes, exactly as they are signed and written.
    pub fn manifest_bytes(&self) -> Vec<u8> {
        // A struct of strings, numbers and JSON values always serialises.
        serde_json::to_vec_pretty(&self.manifest).unwrap_or_default()
    }

    /// The evidence entries of the file list, in the order
    /// [`BundleWriter::append`] expects them.
    pub fn evidence(&self) -> &[FileEntry] {
        self.manifest.files.get(2..).unwrap_or_default()
    }
}

/// Writes a bundle: the fixed members at once, then each evidence payload.
pub struct BundleWriter<W: Write> {
    tar: tar::Builder<PayloadWriter<CountingWriter<W>>>,
    mtime: u64,
}

impl<W: Write> std::fmt::Debug for BundleWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BundleWriter")
    }
}

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// No recipient, or one that cannot be used.
    #[error("the recipients could not be used")]
    Recipients,
    /// Writing failed.
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
}

impl<W: Write> BundleWriter<W> {
    /// Starts the age file to `recipients` and writes the manifest (the
    /// bytes of [`Draft::manifest_bytes`]), its `signature`, `SHA256SUMS`,
    /// the custody entries and the README.
    pub fn start(
        out: W,
        recipients: &[PayloadRecipient],
        draft: &Draft,
        manifest_bytes: &[u8],
        signature: &str,
    ) -> Result<Self, WriteError> {
        if recipients.is_empty() {
            return Err(WriteError::Recipients);
        }
        let manifest_sha256 = hex::encode(Sha256::digest(manifest_bytes));
        let mut sums = format!("{manifest_sha256}  {MANIFEST}\n");
        for f in &draft.manifest.files {
            sums.push_str(&format!("{}  {}\n", f.sha256, f.path));
        }
        let counter = CountingWriter {
            inner: out,
            count: 0,
        };
        let sealed = payload::encrypt_to(recipients, counter).map_err(|e| match e {
            payload::PayloadError::Io(io) => WriteError::Io(io),
            _ => WriteError::Recipients,
        })?;
        let mut writer = BundleWriter {
            tar: tar::Builder::new(sealed),
            mtime: time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64,
        };
        writer.add(
            MANIFEST,
            manifest_bytes.len() as u64,
            &mut &manifest_bytes[..],
        )?;
        writer.add(SIGNATURE, signature.len() as u64, &mut signature.as_bytes())?;
        writer.add(SUMS, sums.len() as u64, &mut sums.as_bytes())?;
        writer.add(CUSTODY, draft.custody.len() as u64, &mut &draft.custody[..])?;
        writer.add(
            README,
            draft.readme.len() as u64,
            &mut draft.readme.as_bytes(),
        )?;
        Ok(writer)
    }

    /// Appends one evidence payload of the draft's file list, streaming
    /// exactly `entry.size` bytes from `data`.
    pub fn append(&mut self, entry: &FileEntry, data: &mut dyn Read) -> io::Result<()> {
        self.add(&entry.path, entry.size, data)
    }

    fn add(&mut self, path: &str, size: u64, data: &mut dyn Read) -> io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        self.tar.append_data(&mut header, path, data)
    }

    /// Ends the archive and the age file. Returns the bytes written.
    pub fn finish(self) -> io::Result<u64> {
        let sealed = self.tar.into_inner()?;
        Ok(sealed.finish()?.count)
    }
}

/// The custody entries as JSON lines: the exact signed body (as a string,
/// so its bytes survive), the signature, and the sequence number.
fn custody_lines(entries: &[CustodyEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let line = serde_json::json!({
            "seq": e.body.seq,
            "body": String::from_utf8_lossy(&e.body_bytes),
            "signature": e.signature,
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Counts bytes written.
struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
