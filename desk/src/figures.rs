//! Figures received (`anonymised_statistics` bundles), kept in the desk's
//! store, and the desk's statistics counting each case once whichever way
//! it arrived ([`temoin_vault::stats::merge`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use temoin_bundle::{Manifest, Report};
use temoin_vault::stats::{merge, CaseFigures, Cell, Snapshot, Source};
use temoin_vault::ItemId;

use crate::error::DeskError;
use crate::store::Desk;

/// Where each device's latest figures are kept, by device key id (a
/// device's figures replace those it sent before, so older ones serve
/// nothing and are not kept).
const FIGURES: &str = "desk/figures/";

/// What the desk keeps of a bundle of figures.
#[derive(Serialize, Deserialize)]
struct Kept {
    bundle_id: String,
    device_key_id: String,
    sequence: u64,
    sealed_at: String,
    figures: Vec<CaseFigures>,
}

impl Desk {
    /// Keeps the figures of an accepted bundle of figures as its device's
    /// latest, unless the desk holds later ones from that device (a server
    /// delivering an older bundle late cannot bring it back).
    pub(crate) fn file_figures(&mut self, report: &Report) -> Result<(), DeskError> {
        let Some(m) = &report.manifest else {
            return Err(DeskError::Local(
                "an accepted bundle without a manifest".into(),
            ));
        };
        let name = format!("{FIGURES}{}", m.device.key_id);
        if let Some(have) = self.get(&name)? {
            let have: Kept = serde_json::from_slice(&have).map_err(|_| damaged())?;
            if have.sequence >= m.sequence {
                return Ok(());
            }
        }
        let kept = Kept {
            bundle_id: m.bundle_id.clone(),
            device_key_id: m.device.key_id.clone(),
            sequence: m.sequence,
            sealed_at: m.created_at.clone(),
            figures: m.figures.clone().unwrap_or_default(),
        };
        let bytes = serde_json::to_vec(&kept).map_err(|e| DeskError::Local(e.to_string()))?;
        self.put(&name, &bytes)
    }

    /// Whether the desk holds the figures of the bundle `bundle_id`, or
    /// later ones from its device.
    pub(crate) fn holds_figures_of(
        &self,
        device_key_id: &str,
        sequence: u64,
    ) -> Result<bool, DeskError> {
        Ok(match self.get(&format!("{FIGURES}{device_key_id}"))? {
            Some(b) => {
                serde_json::from_slice::<Kept>(&b)
                    .map_err(|_| damaged())?
                    .sequence
                    >= sequence
            }
            None => false,
        })
    }

    /// How many devices' figures the desk holds.
    pub fn figures_received(&self) -> Result<usize, DeskError> {
        Ok(self.names(FIGURES)?.len())
    }

    /// The statistics over everything received: each case's latest full
    /// bundle and each device's latest figures, each case counted from
    /// what its device sealed last ([`merge`]: a case whose figures came
    /// first and whose full bundle followed is counted once; a case the
    /// latest figures leave out counts no one, unless a full bundle of it
    /// came after them).
    pub fn stats_cells(&self) -> Result<BTreeMap<Cell, BTreeSet<ItemId>>, DeskError> {
        let mut sources = Vec::new();
        let mut snapshots = Vec::new();
        for row in self.cases()? {
            let (_, _, m) = self.latest(row.id)?;
            sources.push(Source::from_records(
                &m.device.key_id,
                m.case_id,
                m.sequence,
                &records_of(&m),
            ));
        }
        for name in self.names(FIGURES)? {
            let Some(bytes) = self.get(&name)? else {
                continue;
            };
            let kept: Kept = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
            snapshots.push(Snapshot {
                device: kept.device_key_id,
                sequence: kept.sequence,
                cases: kept.figures,
            });
        }
        Ok(merge(sources, snapshots))
    }
}

fn damaged() -> DeskError {
    DeskError::Local(
        "figures kept in the desk's store are damaged: restore the store from a backup".into(),
    )
}

/// A received case's records as the statistics count them: its case
/// record, people, consents, violations, perpetrators and places as the
/// defender sent them. A record that does not read as the model's is left
/// out.
pub(crate) fn records_of(m: &Manifest) -> temoin_vault::stats::CaseRecords {
    use temoin_vault::case::{Case, Consent, Perpetrator, Person, Place, Violation};
    let mut r = temoin_vault::stats::CaseRecords {
        case_id: Some(m.case_id),
        ..Default::default()
    };
    for i in &m.items {
        let v = i.record.clone();
        match i.kind.as_str() {
            "case" if i.id == m.case_id => r.case = serde_json::from_value::<Case>(v).ok(),
            "person" => {
                if let Ok(p) = serde_json::from_value::<Person>(v) {
                    r.people.insert(i.id, p);
                }
            }
            "consent" => r.consents.extend(serde_json::from_value::<Consent>(v).ok()),
            "violation" => r
                .violations
                .extend(serde_json::from_value::<Violation>(v).ok()),
            "perpetrator" => {
                if let Ok(p) = serde_json::from_value::<Perpetrator>(v) {
                    r.perpetrators.insert(i.id, p);
                }
            }
            "place" => {
                if let Ok(p) = serde_json::from_value::<Place>(v) {
                    r.places.insert(i.id, p);
                }
            }
            _ => {}
        }
    }
    r
}
