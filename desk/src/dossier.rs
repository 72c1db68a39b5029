//! A received case as the documents are drafted from it
//! ([`temoin_dossier`]): the records the defender sent, what they left out
//! and why, and each evidence file's place in an export of the case.

use temoin_dossier::CaseFile;
use temoin_vault::ItemId;

use crate::{Desk, DeskError};

impl Desk {
    /// The latest version of received case `id` as a [`CaseFile`]. Only
    /// evidence whose file arrived can be an annex; its file is named by
    /// its path in the bundle, where [`Desk::export_case`] writes it.
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
            e.file = m
                .files
                .iter()
                .find(|x| x.item == Some(e.rec.id))
                .map(|x| x.path.clone());
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
}
