//! A received case as the documents are drafted from it
//! ([`temoin_dossier`]): the records the defender sent, what they left out
//! and why; and a document's annexes, and nothing else of the case,
//! written out as numbered files.

use std::io::Write;
use std::path::Path;

use temoin_dossier::{Annex, CaseFile};
use temoin_vault::ItemId;

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
    /// does not. Each is recorded in the custody log; a file that fails its
    /// hash is removed and the error returned.
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
        let files = self.case(id)?.manifest.files;
        for a in annexes {
            let path = files
                .iter()
                .find(|f| f.item == Some(a.id))
                .map(|f| f.path.clone())
                .ok_or_else(|| {
                    DeskError::Local(format!("annex {} did not arrive with the case", a.number))
                })?;
            let target = dir.join(&a.file_name);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut file = opts.open(&target)?;
            let written = self
                .read_file(id, &path, &mut file)
                .and_then(|_| Ok(file.flush().and_then(|()| file.sync_all())?));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&target);
                return Err(e);
            }
        }
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    }
}
