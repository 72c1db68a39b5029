//! A bundle of figures (`anonymised_statistics`, docs/FORMAT.md): each
//! case's statistics cells, sealed, signed and numbered like any bundle,
//! with no record and no file, so that a member can send OMCT its figures
//! without sending its cases.

use std::io::Write;

use sha2::{Digest, Sha256};
use temoin_bundle::{BundleWriter, DeviceInfo, Draft, Manifest, Purpose, WriteError};
use temoin_crypto::payload::PayloadRecipient;
use temoin_model::custody::{Action, BundleNote, Event};
use temoin_model::record::ItemId;
use temoin_model::stats::{case_figures, CaseFigures};

use super::{now_rfc3339, ExportSummary};
use crate::error::{ExportError, VaultError};
use crate::vault::Vault;

/// Who the figures are for.
#[derive(Clone, Debug)]
pub struct FiguresOptions {
    /// Who can open it. At least one.
    pub recipients: Vec<PayloadRecipient>,
}

impl Vault {
    /// The figures a bundle of figures carries now: every case that counts
    /// someone, each with its cells over the people whose consent covers
    /// anonymised statistics, every quarter. They are the device's whole
    /// word: a case left out counts no one (docs/FORMAT.md, "Figures").
    ///
    /// A person stands in them by an id derived from theirs with the vault
    /// key, not by their own: a case's bundles name people by their ids
    /// (even a person they withhold), and the figures must not tie a
    /// vulnerability to one of them. The same person is the same id in all
    /// the figures of this vault, so they still count once per cell.
    pub fn figures(&self) -> Result<Vec<CaseFigures>, VaultError> {
        let mut out = case_figures(&self.stats_records()?);
        for f in &mut out {
            for c in &mut f.cells {
                for v in &mut c.victims {
                    *v = self.derived_id(&format!("statistics/person/{v}"));
                }
                c.victims.sort();
            }
        }
        Ok(out)
    }

    /// Seals the figures into a bundle written to `out`, recorded in the
    /// custody log first, as [`Vault::export_bundle`] does for a case.
    pub fn export_figures<W: Write>(
        &mut self,
        options: &FiguresOptions,
        out: W,
    ) -> Result<ExportSummary, ExportError> {
        if options.recipients.is_empty() {
            return Err(
                crate::record::FieldError::new("recipients", "at least one is needed").into(),
            );
        }
        let figures = self.figures()?;
        if figures.is_empty() {
            return Err(ExportError::NoFigures);
        }
        let out = crate::file::StopOnWipe::new(out, &self.slots_dir);
        let sequence = self.next_bundle_sequence()?;
        let device = self.device_public_key();
        let draft = Draft::new(
            Manifest {
                format: Purpose::AnonymisedStatistics.format().to_owned(),
                bundle_id: uuid::Uuid::new_v4().to_string(),
                created_at: now_rfc3339(),
                purpose: Purpose::AnonymisedStatistics,
                device: DeviceInfo {
                    key_id: device.id_hex(),
                    public_key: device.to_minisign_base64(),
                },
                sequence,
                recipients: options.recipients.iter().map(|r| r.fingerprint()).collect(),
                supersedes: None,
                // No case's: the figures' own id.
                case_id: ItemId::random(),
                items: Vec::new(),
                files: Vec::new(),
                withheld: Vec::new(),
                part: None,
                figures: Some(figures),
            },
            &[],
            &[],
        );
        let manifest_bytes = draft.manifest_bytes();
        let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));
        let signature = self.sign_manifest(&manifest_bytes);
        let m = &draft.manifest;
        self.append_custody_with_sequence(
            m.sequence,
            Action::ExportBundle,
            Event {
                // The figures' own id, where a case's bundle has its case:
                // what the delivery and the desk's acknowledgement name.
                case: Some(m.case_id),
                sha256: Some(manifest_sha256.clone()),
                bundle: Some(BundleNote {
                    id: m.bundle_id.clone(),
                    sequence: m.sequence,
                    purpose: m.purpose.code().to_owned(),
                    recipients: m.recipients.clone(),
                    part: None,
                }),
                ..Event::default()
            },
        )?;
        let writer = BundleWriter::start(
            out,
            &options.recipients,
            &draft,
            &manifest_bytes,
            &signature,
        )
        .map_err(|e| match e {
            WriteError::Io(io) => VaultError::from(io),
            _ => VaultError::Store("the recipients could not be used".into()),
        })?;
        let bytes = writer.finish()?;
        Ok(ExportSummary {
            manifest: draft.manifest,
            manifest_sha256,
            bytes,
        })
    }

    /// [`Vault::export_figures`] into a new file (written whole or not at
    /// all; never over an existing one).
    pub fn export_figures_to_file(
        &mut self,
        options: &FiguresOptions,
        path: &std::path::Path,
    ) -> Result<ExportSummary, ExportError> {
        crate::file::write_new_file(path, |file| {
            let mut w = std::io::BufWriter::new(file);
            let summary = self.export_figures(options, &mut w)?;
            Ok((summary, w.into_inner().map_err(|e| e.into_error())?))
        })
    }
}
