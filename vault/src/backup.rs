//! Backup and migration: the vault's own files, as they are, in one tar
//! stream, which the caller encrypts with age (to a recovery passphrase or
//! a recovery recipient: `temoin backup`).
//!
//! The files stay sealed under the vault key, so a backup opens with the
//! vault's passphrase and nothing else, exactly like the vault: the age
//! layer adds a second lock and hides the vault's structure and sizes. A
//! restored vault is the same vault, byte for byte: same id, same slots,
//! same records, payloads and custody chain (a migration to a new computer
//! is a backup restored there).
//!
//! The stream: every file of the vault (key slots, custody head, index
//! snapshot, the record store, the payloads, bundles waiting in the outbox),
//! then `BACKUP.json` listing each file's path, size and SHA-256. Restore
//! writes into a new folder, refuses any path or entry type that a vault
//! does not have, checks every file against the list, and removes what it
//! wrote if anything is wrong.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use temoin_crypto::payload::{self, PayloadError, PayloadIdentity, PayloadRecipient};
use temoin_crypto::Passphrase;

use crate::error::{OpenError, VaultError};
use crate::file::{BLOBS_DIR, RECORDS_DIR};
use crate::vault::Vault;

/// What a backup file is encrypted to.
#[derive(Debug, Clone, Copy)]
pub enum RecoveryKey<'a> {
    /// A recovery passphrase (age's scrypt recipient, like `age -p`).
    Passphrase(&'a Passphrase),
    /// An age public key.
    Recipient(&'a PayloadRecipient),
}

/// What opens a backup file.
#[derive(Debug, Clone, Copy)]
pub enum RecoveryOpener<'a> {
    /// The recovery passphrase.
    Passphrase(&'a Passphrase),
    /// Age identities (from an identity file).
    Identities(&'a [PayloadIdentity]),
}

/// The list's format name.
pub const FORMAT: &str = "temoin-backup/v1";
/// The list's name in the stream.
pub const LIST: &str = "BACKUP.json";
/// The list is small; anything bigger is not ours.
const MAX_LIST: u64 = 64 * 1024 * 1024;

/// One file of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// Its path in the vault's folder, with `/` separators.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// The list at the end of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupList {
    /// Always [`FORMAT`].
    pub format: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// Every file, in the order written.
    pub files: Vec<BackupFile>,
}

impl BackupList {
    /// Bytes of all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Whether `rel` (a path inside the vault's folder) is a file a backup
/// carries: the vault's own files, not temporary ones, not staging.
fn carried(rel: &[String]) -> bool {
    match rel {
        [name] => {
            name == crate::keyslot::FILE
                || name == crate::head::FILE
                || name == crate::snapshot::FILE
        }
        [dir, rest @ ..] if dir == RECORDS_DIR => {
            !rest.is_empty() && rest.iter().all(|c| !c.is_empty() && !c.ends_with(".tmp"))
        }
        [dir, name] if dir == BLOBS_DIR => name.ends_with(".age"),
        [dir, name] if dir == "outbox" => name.ends_with(".tar.age") && !name.starts_with("new-"),
        // The spare store a duress passphrase opens, so that a restored
        // vault answers that passphrase as the original did (it has no
        // key-slot file of its own).
        [dir, rest @ ..] if dir == crate::file::SPARE_DIR => {
            !matches!(rest, [name] if name == crate::keyslot::FILE)
                && rest.first().is_none_or(|r| r != crate::file::SPARE_DIR)
                && carried(rest)
        }
        _ => false,
    }
}

fn walk(root: &Path, rel: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(root.join(rel.join("/")))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let kind = e.file_type()?;
        rel.push(name);
        if kind.is_dir() {
            walk(root, rel, out)?;
        } else if kind.is_file() && carried(rel) {
            out.push(rel.clone());
        }
        rel.pop();
    }
    Ok(())
}

/// The header of one backup entry: a regular file of `size` bytes, its
/// owner's only, no time (a backup says nothing of when files changed).
fn entry_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mtime(0);
    header
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Vault {
    /// Writes a backup of this vault to `out` (a tar stream; encrypt it).
    /// The vault is open, so no other process writes to it meanwhile; its
    /// record store is flushed first.
    pub fn backup<W: Write>(&self, out: W) -> Result<BackupList, VaultError> {
        self.store
            .db
            .flush()
            .map_err(|e| VaultError::Store(e.to_string()))?;
        let mut paths = Vec::new();
        walk(&self.dir, &mut Vec::new(), &mut paths)?;
        // The spare store's backup is a vault's like any other: its own
        // key-slot file, holding the duress slot that opened it (as the
        // vault's slot) and a dummy beside it, so that it restores into a
        // vault that opens with that passphrase.
        let own_slots = match self.spare_slot {
            Some(id) => {
                let all = crate::keyslot::SlotFile::read(&self.slots_dir)
                    .map_err(|e| VaultError::Store(e.to_string()))?;
                let slot = all
                    .slots
                    .iter()
                    .find(|s| s.id == id)
                    .cloned()
                    .ok_or_else(|| VaultError::Store("the key-slot file changed".into()))?;
                let (salt, params) = slot
                    .kdf
                    .as_ref()
                    .and_then(|k| Some((hex::decode(&k.salt).ok()?, k.params)))
                    .ok_or_else(|| VaultError::Store("the key-slot file is damaged".into()))?;
                // The dummy is the same in every backup, as a vault's
                // would be: its id and noise are keyed hashes under the
                // spare store's key (indistinguishable from random).
                let tag = |n: &str| self.key.name_tag(self.vault_id, n);
                let mut noise = [0u8; 72];
                for (i, chunk) in noise.chunks_mut(16).enumerate() {
                    let t = tag(&format!("backup-dummy/noise/{i}"));
                    chunk.copy_from_slice(&t[..chunk.len()]);
                }
                let dummy = crate::keyslot::SlotFile::dummy_slot_with(
                    tag("backup-dummy/id"),
                    &noise,
                    &salt,
                    params,
                );
                let table = crate::keyslot::SlotFile {
                    slots: vec![slot, dummy],
                    ..all
                };
                paths.push(vec![crate::keyslot::FILE.to_owned()]);
                paths.sort();
                Some(
                    table
                        .file_bytes(crate::keyslot::generation(&self.slots_dir))
                        .map_err(|e| VaultError::Store(e.to_string()))?,
                )
            }
            None => None,
        };
        let out = crate::file::StopOnWipe::new(out, &self.slots_dir);
        let mut tar = tar::Builder::new(out);
        let mut list = BackupList {
            format: FORMAT.into(),
            created_at: now_rfc3339(),
            files: Vec::new(),
        };
        for rel in paths {
            let path = rel.join("/");
            if let (Some(bytes), true) = (&own_slots, path == crate::keyslot::FILE) {
                let mut header = entry_header(bytes.len() as u64);
                tar.append_data(&mut header, &path, &bytes[..])?;
                list.files.push(BackupFile {
                    path,
                    size: bytes.len() as u64,
                    sha256: hex::encode(Sha256::digest(bytes)),
                });
                continue;
            }
            let mut file = File::open(self.dir.join(&path))?;
            let size = file.metadata()?.len();
            let mut header = entry_header(size);
            let mut hashing = HashingReader {
                inner: (&mut file).take(size),
                hash: Sha256::new(),
                read: 0,
            };
            tar.append_data(&mut header, &path, &mut hashing)?;
            if hashing.read != size {
                return Err(VaultError::Io(io::Error::other(
                    "a vault file changed size while it was backed up",
                )));
            }
            list.files.push(BackupFile {
                path,
                size,
                sha256: hex::encode(hashing.hash.finalize()),
            });
        }
        let json = serde_json::to_vec_pretty(&list)
            .map_err(|e| VaultError::Io(io::Error::other(e.to_string())))?;
        let mut header = entry_header(json.len() as u64);
        tar.append_data(&mut header, LIST, &json[..])?;
        tar.into_inner()?.flush()?;
        Ok(list)
    }
}

impl Vault {
    /// Writes a backup of this vault into a new file at `path`, encrypted
    /// with age to `to`: written as `PATH.part`, synced, then renamed, so
    /// `path` only ever holds a whole backup. Refuses to overwrite.
    pub fn backup_to_file(
        &self,
        path: &Path,
        to: RecoveryKey<'_>,
    ) -> Result<BackupList, VaultError> {
        crate::file::write_new_file(path, |file| {
            let sink = io::BufWriter::new(file);
            let mut w = match to {
                RecoveryKey::Passphrase(p) => payload::encrypt_to_passphrase(p, sink),
                RecoveryKey::Recipient(r) => payload::encrypt_to(std::slice::from_ref(r), sink),
            }
            .map_err(|e| VaultError::Io(io::Error::other(e.to_string())))?;
            let list = self.backup(&mut w)?;
            let sink = w.finish()?;
            Ok((list, sink.into_inner().map_err(|e| e.into_error())?))
        })
    }
}

/// Restores a backup file (encrypted with age) into `dir`: see [`restore`].
/// A recovery passphrase or key that does not open it is
/// [`OpenError::WrongPassphrase`].
pub fn restore_file(
    path: &Path,
    with: RecoveryOpener<'_>,
    dir: &Path,
) -> Result<BackupList, OpenError> {
    let input = io::BufReader::new(File::open(path)?);
    let reader = match with {
        RecoveryOpener::Passphrase(p) => payload::decrypt_with_passphrase(p, input),
        RecoveryOpener::Identities(ids) => PayloadIdentity::decrypt_any(ids, input),
    }
    .map_err(|e| match e {
        PayloadError::NoMatchingKey => OpenError::WrongPassphrase,
        PayloadError::Io(io) => OpenError::Io(io),
        _ => bad("file is not an age file, or is damaged"),
    })?;
    restore(reader, dir)
}

struct HashingReader<R> {
    inner: R,
    hash: Sha256,
    read: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

fn bad(what: impl Into<String>) -> OpenError {
    OpenError::Damaged {
        what: format!("the backup {}", what.into()),
    }
}

/// The components of an entry's path, if every one is a plain name.
fn plain_components(path: &Path) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_str()?.to_owned()),
            _ => return None,
        }
    }
    Some(out)
}

/// Restores a backup stream (decrypted) into `dir`, which must not exist
/// or be empty. Every file is checked against the backup's list; on any
/// problem, what was written is removed and nothing is left behind.
pub fn restore<R: Read>(input: R, dir: &Path) -> Result<BackupList, OpenError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(OpenError::NotEmpty(dir.to_owned()));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let existed = dir.exists();
    let result = restore_into(input, dir);
    if result.is_err() {
        // Only what this restore wrote is there: the folder was new or
        // empty.
        if existed {
            if let Ok(entries) = fs::read_dir(dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    let _ = if p.is_dir() {
                        fs::remove_dir_all(&p)
                    } else {
                        fs::remove_file(&p)
                    };
                }
            }
        } else {
            let _ = fs::remove_dir_all(dir);
        }
    }
    result
}

fn restore_into<R: Read>(input: R, dir: &Path) -> Result<BackupList, OpenError> {
    create_private_dir(dir)?;
    let mut archive = tar::Archive::new(input);
    let mut written: Vec<BackupFile> = Vec::new();
    let mut list: Option<BackupList> = None;
    for entry in archive
        .entries()
        .map_err(|_| bad("is not a Témoin backup (not a tar stream)"))?
    {
        let mut entry = entry.map_err(|_| bad("is damaged or truncated"))?;
        if list.is_some() {
            return Err(bad("has entries after its list"));
        }
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(bad("holds something other than plain files"));
        }
        let path: PathBuf = entry
            .path()
            .map_err(|_| bad("has a malformed path"))?
            .into_owned();
        let rel = plain_components(&path).ok_or_else(|| bad("has an unsafe path"))?;
        let size = entry
            .header()
            .size()
            .map_err(|_| bad("has a malformed size"))?;
        if rel == [LIST] {
            if size > MAX_LIST {
                return Err(bad("list is too large"));
            }
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|_| bad("is damaged or truncated"))?;
            let parsed: BackupList =
                serde_json::from_slice(&bytes).map_err(|_| bad("list is malformed"))?;
            if parsed.format != FORMAT {
                return Err(bad("was made by another program or version"));
            }
            list = Some(parsed);
            continue;
        }
        if !carried(&rel) {
            return Err(bad("holds a file a vault does not have"));
        }
        let target = dir.join(rel.join("/"));
        if let Some(parent) = target.parent() {
            create_private_dir(parent)?;
        }
        let mut out = crate::file::create_private_new(&target).map_err(|e| match e {
            VaultError::OutputExists => bad("holds the same file twice"),
            other => OpenError::Io(io::Error::other(other.to_string())),
        })?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|_| bad("is damaged or truncated"))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            total += n as u64;
        }
        out.sync_all()?;
        written.push(BackupFile {
            path: rel.join("/"),
            size: total,
            sha256: hex::encode(hash.finalize()),
        });
    }
    let list = list.ok_or_else(|| bad("ends before its list (truncated)"))?;
    if list.files != written {
        return Err(bad("does not match its own list of files"));
    }
    if !dir.join(crate::keyslot::FILE).exists() {
        return Err(bad("holds no key slots"));
    }
    // sled wants its folder; staging is made again at unlock.
    create_private_dir(&dir.join(BLOBS_DIR))?;
    // The spare store's evidence folder, which may have held nothing.
    let spare = dir.join(crate::file::SPARE_DIR);
    if spare.is_dir() {
        create_private_dir(&spare.join(BLOBS_DIR))?;
    }
    crate::file::sync_dir(dir)?;
    Ok(list)
}

fn create_private_dir(path: &Path) -> Result<(), OpenError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)?;
    Ok(())
}
