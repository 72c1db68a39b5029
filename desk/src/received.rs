//! Folders that earlier versions of the desk unpacked each bundle into, in
//! the clear (`opened/<name>/`): imported into the store once, verified
//! again on the way, then removed.

use std::io::Read;
use std::path::{Path, PathBuf};

use temoin_bundle::{
    read_plain, safe_member_path, Manifest, ReadOptions, MANIFEST, MAX_MANIFEST_BYTES, SIGNATURE,
    SUMS,
};
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_proto::ack::DeskAck;
use temoin_proto::SignedList;

use crate::ack::ACKS;
use crate::error::DeskError;
use crate::open::{Tee, Verdict, VERDICTS};
use crate::store::{store_error, Desk};

/// Writes the archive of a bundle unpacked in `folder`, members in the order
/// a bundle has them (the manifest and its signature first), into `out`.
fn pack(folder: &Path, manifest: &Manifest, out: impl std::io::Write) -> std::io::Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Deterministic);
    let mut paths = vec![MANIFEST.to_owned(), SIGNATURE.to_owned(), SUMS.to_owned()];
    paths.extend(manifest.files.iter().map(|f| f.path.clone()));
    for path in paths {
        if !safe_member_path(path.as_bytes()) {
            return Err(std::io::Error::other("a path not allowed in a bundle"));
        }
        // Never follows a link someone put in the folder.
        let full = folder.join(&path);
        if !std::fs::symlink_metadata(&full)?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        builder.append_path_with_name(&full, &path)?;
    }
    builder.into_inner()?.flush()
}

impl Desk {
    /// Imports each `opened/<name>/` folder an earlier version left: an
    /// accepted bundle's files are packed again, verified against the
    /// devices the desk approved and its register (sequence numbers,
    /// revocations) as a bundle opened now would be, and sealed in the
    /// store, with its acknowledgement if the desk key signed it; then the
    /// folder is removed. The folders' own verdicts are never taken on
    /// their word: a folder that does not verify stays, named in the desk's
    /// warnings, and a bundle still in the inbox is opened as usual.
    pub(crate) fn migrate_opened(&mut self) -> Result<(), DeskError> {
        let opened = self.dir().join("opened");
        // Only a real folder: a link put in its place would send the
        // removals below elsewhere.
        match std::fs::symlink_metadata(&opened) {
            Err(_) => return Ok(()),
            Ok(m) if !m.is_dir() => {
                self.warn(
                    "opened is not a folder (a link?): it was left alone, and nothing in it was imported"
                        .into(),
                )?;
                return Ok(());
            }
            Ok(_) => {}
        }
        let Ok(entries) = std::fs::read_dir(&opened) else {
            return Ok(());
        };
        let mut folders: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        folders.sort();
        let mut kept = 0;
        for folder in folders {
            let name = folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !self.migrate_folder(&folder, &name)? {
                kept += 1;
                continue;
            }
            std::fs::remove_dir_all(&folder)?;
        }
        if kept == 0 {
            std::fs::remove_dir(&opened)?;
        }
        std::fs::File::open(self.dir())?.sync_all()?;
        Ok(())
    }

    /// Whether the folder's content is in the store now (or it held none),
    /// so that it may go.
    fn migrate_folder(&mut self, folder: &Path, name: &str) -> Result<bool, DeskError> {
        let verdict = std::fs::read(folder.join("verification.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Verdict>(&b).ok());
        let unpacked = folder.join(temoin_bundle::MANIFEST).is_file();
        let Some(mut verdict) = verdict else {
            // An open cut short (its file is still in the inbox and is
            // opened again), or not a folder the desk made: only one with
            // nothing of a bundle in it goes.
            if !unpacked && uuid::Uuid::parse_str(name).is_ok() {
                return Ok(true);
            }
            self.warn(format!(
                "opened/{name}: not a folder an earlier desk finished; it was left alone"
            ))?;
            return Ok(false);
        };
        if !unpacked {
            // A flagged bundle's folder held its verdict and acknowledgement
            // only. Its file, if still in the inbox, is judged again now.
            return Ok(true);
        }
        let ack = self.checked_old_ack(folder)?;
        let file_sha256 = ack
            .as_ref()
            .map(|(a, _)| a.sha256.clone())
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        match self.import_folder(folder, file_sha256)? {
            Some(case) => verdict.case = Some(case),
            None => {
                self.warn(format!(
                    "opened/{name}: the bundle unpacked there does not verify against the devices this desk approved and its register, so it was not moved into the store; the folder stays"
                ))?;
                return Ok(false);
            }
        }
        verdict.accepted = true;
        if let Some((a, bytes)) = ack {
            let key = format!("{ACKS}{}", a.bundle_id);
            if self.get(&key)?.is_none() {
                self.put(&key, &bytes)?;
            }
        }
        // The verdict marks the name done, unless the inbox still holds a
        // file of that name: that one is opened as usual (the same bundle
        // lands on the same items; another is judged on its own).
        let inbox = self.dir().join("inbox").join(format!("{name}.tar.age"));
        if !inbox.exists() {
            let bytes =
                serde_json::to_vec(&verdict).map_err(|e| DeskError::Local(e.to_string()))?;
            self.put(&format!("{VERDICTS}{name}"), &bytes)?;
        }
        Ok(true)
    }

    /// The folder's acknowledgement, if the desk key signed it.
    fn checked_old_ack(&mut self, folder: &Path) -> Result<Option<(DeskAck, Vec<u8>)>, DeskError> {
        let Ok(bytes) = std::fs::read(folder.join("acknowledgement.json")) else {
            return Ok(None);
        };
        let Ok(signed) = serde_json::from_slice::<SignedList>(&bytes) else {
            return Ok(None);
        };
        let key = self.desk_key()?.public();
        if key
            .verify(
                SigningPurpose::DeskAck,
                signed.list.as_bytes(),
                &signed.signature,
            )
            .is_err()
        {
            return Ok(None);
        }
        Ok(serde_json::from_str::<DeskAck>(&signed.list)
            .ok()
            .filter(|a| uuid::Uuid::parse_str(&a.bundle_id).is_ok())
            .map(|a| (a, bytes)))
    }

    /// Packs, verifies and seals one unpacked bundle; the desk's id of its
    /// case, or `None` if it does not verify.
    fn import_folder(
        &mut self,
        folder: &Path,
        file_sha256: Option<String>,
    ) -> Result<Option<temoin_vault::ItemId>, DeskError> {
        let mut bytes = Vec::new();
        let read = std::fs::File::open(folder.join(MANIFEST))
            .and_then(|f| f.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes));
        let Some(manifest) = read
            .ok()
            .and_then(|_| serde_json::from_slice::<Manifest>(&bytes).ok())
        else {
            return Ok(None);
        };
        let devices = self.registry()?;
        let trusted: Vec<DevicePublicKey> = devices
            .approved
            .values()
            .filter_map(|a| DevicePublicKey::from_minisign(&a.public_key).ok())
            .collect();
        if trusted.is_empty() {
            return Ok(None);
        }
        let identities = self.identities()?;
        let mut writer = self.vault().payload_writer().map_err(store_error)?;
        let (reader, pipe) = std::io::pipe()?;
        let report = std::thread::scope(|s| {
            let folder = folder.to_owned();
            let manifest = &manifest;
            s.spawn(move || pack(&folder, manifest, pipe));
            let mut tee = Tee {
                inner: reader,
                out: Some(&mut writer),
                failed: None,
            };
            let report = read_plain(
                &mut tee,
                &identities,
                &ReadOptions {
                    trusted_devices: &trusted,
                    out_dir: None,
                },
            );
            (report, tee.failed)
        });
        let (report, failed) = report;
        if let Some(e) = failed {
            return Err(DeskError::Local(format!(
                "the desk's store could not take a bundle from opened/ ({e}); run it again once there is room"
            )));
        }
        if !report.genuine() {
            return Ok(None);
        }
        // The register, as for a bundle opened now: a revoked device's
        // bundle sealed after its revocation, or a sequence number another
        // bundle used, is not taken from a folder either.
        let mut devices = devices;
        let (Some(m), Some(sha)) = (&report.manifest, &report.manifest_sha256) else {
            return Ok(None);
        };
        if !crate::open::check_against_registry(&mut devices, &report, m, sha).is_empty() {
            return Ok(None);
        }
        self.save_registry(&devices)?;
        let staged = writer.finish().map_err(store_error)?;
        self.file_received(&report, &devices, file_sha256, staged)
            .map(Some)
    }

    pub(crate) fn warn(&mut self, text: String) -> Result<(), DeskError> {
        let mut d = self.registry()?;
        if !d.warnings.contains(&text) {
            d.warnings.push(text);
            self.save_registry(&d)?;
        }
        Ok(())
    }
}
