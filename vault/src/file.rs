//! The vault folder's files: their names, and the few ways a file is
//! written or destroyed (a new private file, a new file whole, a folder
//! synced, a payload shredded). Every module that touches the folder goes
//! through these; this module depends on nothing of the vault but its
//! error type.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::VaultError;

/// The record store's folder inside the vault folder.
pub(crate) const RECORDS_DIR: &str = "records";
/// The evidence payloads' folder.
pub(crate) const BLOBS_DIR: &str = "blobs";
/// Payloads being written, before they are committed.
pub(crate) const STAGING_DIR: &str = "staging";
/// The spare store's folder, inside the vault's.
pub const SPARE_DIR: &str = "spare";
/// The wrong-passphrase counter.
pub const ATTEMPTS_FILE: &str = "attempts";
/// The spare store's folder while a removal of the duress passphrase is
/// under way (finished at the next unlock if a crash cut it short).
pub const SPARE_REMOVING: &str = "spare.removing";

/// fsyncs a folder, so that files created or renamed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes a new file at `path` by way of `PATH.part`: `write` fills the
/// part file and hands it back; it is synced, renamed to `path` and the
/// folder synced, so `path` only ever holds a whole file. Refuses to
/// overwrite; on any failure the part file is removed.
pub(crate) fn write_new_file<T, E: From<VaultError> + From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(File) -> Result<(T, File), E>,
) -> Result<T, E> {
    if path.exists() {
        return Err(VaultError::OutputExists.into());
    }
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let file = create_private_new(&part)?;
    let result = (|| {
        let (value, file) = write(file)?;
        file.sync_all()?;
        if path.exists() {
            return Err(VaultError::OutputExists.into());
        }
        std::fs::rename(&part, path)?;
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir)?,
            _ => sync_dir(Path::new("."))?,
        }
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// Creates a new file that only its owner can read; refuses an existing one.
pub(crate) fn create_private_new(path: &Path) -> Result<File, VaultError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            VaultError::OutputExists
        } else {
            e.into()
        }
    })
}

/// Destroys a payload file: its age header, which holds the only wrapped
/// copy of the file key, is overwritten with random bytes and synced before
/// the file is removed. On a copy-on-write file system or an SSD the old
/// blocks may survive the overwrite; the file key is still wrapped to the
/// vault's identity, so this protects against anyone without the vault key.
///
/// A file with another name too (a bundle kept as it arrived, still in the
/// desk's inbox after a crash) is not overwritten, only this name removed:
/// the other name is someone's copy. A wipe overwrites every header
/// ([`overwrite_header`]) whatever the names.
pub(crate) fn shred_blob(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::MetadataExt;
    let shared = match std::fs::symlink_metadata(path) {
        Ok(m) => !m.is_file() || m.nlink() > 1,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if !shared {
        match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => overwrite_header(f)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::remove_file(path)?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Overwrites the age header of an open payload file (every recipient's
/// wrapped copy of the file key) with random bytes, and syncs it.
pub(crate) fn overwrite_header(mut f: File) -> Result<(), VaultError> {
    // An age header with many recipients' stanzas is still far shorter.
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut f, &mut head)?;
    head.truncate(n);
    let header_len = memchr::memmem::find(&head, b"\n--- ")
        .and_then(|at| {
            head[at + 1..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|p| at + 2 + p)
        })
        .unwrap_or(n);
    let mut noise = vec![0u8; header_len];
    temoin_crypto::random_bytes(&mut noise);
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&noise)?;
    f.sync_all()?;
    Ok(())
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while total < buf.len() {
        match f.read(&mut buf[total..])? {
            0 => break,
            n => total += n,
        }
    }
    Ok(total)
}

/// What an export or a backup answers when a wipe began while it ran.
pub(crate) const WIPED: &str = "the vault is being wiped; nothing more was written";

/// A writer that stops as soon as a wipe of the vault has begun (its
/// marker exists, written before the key slots are destroyed): a panic
/// wipe never waits for an export or a backup to end, and their callers
/// remove what was written (`write_new_file` removes the `.part` file).
pub(crate) struct StopOnWipe<W> {
    inner: W,
    marker: PathBuf,
}

impl<W> StopOnWipe<W> {
    pub(crate) fn new(inner: W, vault_dir: &Path) -> Self {
        StopOnWipe {
            inner,
            marker: vault_dir.join(crate::wipe::MARKER),
        }
    }

    /// The writer inside, the guard's work done.
    pub(crate) fn into_inner(self) -> W {
        self.inner
    }

    fn check(&self) -> io::Result<()> {
        if self.marker.exists() {
            return Err(io::Error::other(WIPED));
        }
        Ok(())
    }
}

impl<W: io::Write> io::Write for StopOnWipe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shredding_overwrites_the_header_then_removes() {
        let dir = tempfile::tempdir().unwrap();
        let id = temoin_crypto::payload::PayloadIdentity::generate();
        let mut w = temoin_crypto::payload::encrypt_to(&[id.recipient()], Vec::new()).unwrap();
        w.write_all(b"secret evidence").unwrap();
        let ct = w.finish().unwrap();
        let path = dir.path().join("x.age");
        std::fs::write(&path, &ct).unwrap();
        shred_blob(&path).unwrap();
        assert!(!path.exists());
        shred_blob(&path).unwrap();
    }
}
