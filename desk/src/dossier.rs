//! A received case as the documents are drafted from it
//! ([`temoin_dossier`]): the records the defender sent, what they left out
//! and why; and a document's annexes, and nothing else of the case,
//! written out as numbered files.

use std::io::Write;
use std::path::Path;

use temoin_dossier::{Annex, CaseFile};
use temoin_vault::{ItemId, OriginalUse};

use crate::{Desk, DeskError};

impl Desk {
    /// The latest version of received case `id` as a [`CaseFile`]. Only
    /// evidence whose file arrived can be an annex.
    pub fn case_file(&self, id: ItemId) -> Result<CaseFile, DeskError> {
        let v = self.case(id)?;
        let m = &v.manifest;
        let mut f = CaseFile::from_items(
            m.case_id,
            m.items
                .iter()
                .map(|i| (i.kind.as_str(), i.id, i.revision, &i.record)),
        )
        .map_err(|e| DeskError::Local(e.to_string()))?;
        f.withheld = m
            .withheld
            .iter()
            .map(|w| (w.kind.clone(), w.reason.clone()))
            .collect();
        let received = v.versions.last().map(|x| &x.received);
        f.evidence
            .retain(|e| m.files.iter().any(|x| x.item == Some(e.rec.id)));
        for e in &mut f.evidence {
            e.custody = match received {
                Some(r) => format!(
                    "sealed {}, received {}; the sender's signed custody chain verified at \
                     import ({} entries)",
                    r.sealed_at, r.received_at, r.custody_verified
                ),
                None => String::new(),
            };
        }
        Ok(f)
    }

    /// Writes each of a document's `annexes` of received case `id` into
    /// the new folder `dir` under its number (`annex-01.jpg`), checked
    /// against the signed manifest, and nothing else of the case: not the
    /// manifest, not the other files, which may name people the document
    /// does not. Each is recorded in the custody log as an export. An annex
    /// whose file does not match the hash its record gives, a name that is
    /// not a plain file name, or any failure: nothing is left behind (the
    /// folder is removed) and the error returned.
    pub fn export_annexes(
        &mut self,
        id: ItemId,
        annexes: &[Annex],
        dir: &Path,
    ) -> Result<(), DeskError> {
        if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(DeskError::Local(format!(
                "{} is not empty: choose a new folder for the annexes",
                dir.display()
            )));
        }
        crate::file::private_dir(dir)?;
        let result = self.write_annexes(id, annexes, dir);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(dir);
        }
        result
    }

    fn write_annexes(
        &mut self,
        id: ItemId,
        annexes: &[Annex],
        dir: &Path,
    ) -> Result<(), DeskError> {
        let files = self.case(id)?.manifest.files;
        for a in annexes {
            let plain = Path::new(&a.file_name);
            if plain.file_name() != Some(plain.as_os_str()) || a.file_name.starts_with('.') {
                return Err(DeskError::Local(format!(
                    "annex {} has no plain file name",
                    a.number
                )));
            }
            let entry = files.iter().find(|f| f.item == Some(a.id)).ok_or_else(|| {
                DeskError::Local(format!("annex {} did not arrive with the case", a.number))
            })?;
            // The index prints the record's hash: the file must be those
            // bytes, or the document would vouch for another file.
            if entry.sha256 != a.sha256 {
                return Err(DeskError::Local(format!(
                    "annex {}: the file the case carries is not the one its record describes \
                     (their SHA-256 differ); nothing was written",
                    a.number
                )));
            }
            let path = entry.path.clone();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut file = opts.open(dir.join(plain))?;
            self.read_file_for(id, &path, &mut file, OriginalUse::Export)?;
            file.flush()?;
            file.sync_all()?;
        }
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    }
}
