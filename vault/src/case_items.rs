//! A case with every record of it, as documents are drafted from it: the
//! records in the shape a bundle's manifest lists them, and each item's
//! custody in a few words.

use serde::Serialize;
use temoin_model::case::{
    Assistance, Case, Consent, Detention, Evidence, Perpetrator, Person, Place, Proceeding,
    Testimony, Violation,
};
use temoin_model::record::{ItemId, Kind, Record};

use crate::error::VaultError;
use crate::vault::{Stored, Vault};

/// One record of a case.
#[derive(Clone, Debug)]
pub struct CaseItem {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: ItemId,
    /// Its revision.
    pub revision: u32,
    /// The record, as JSON.
    pub record: serde_json::Value,
}

impl Vault {
    /// Case `case_id` and every record of it (testimonies excepted: no
    /// document quotes them), with the people and places they name.
    pub fn case_items(&self, case_id: ItemId) -> Result<Vec<CaseItem>, VaultError> {
        fn push<R: Record + Serialize>(
            items: &mut Vec<CaseItem>,
            s: &Stored<R>,
        ) -> Result<(), VaultError> {
            items.push(CaseItem {
                kind: R::KIND,
                id: s.id,
                revision: s.revision,
                record: serde_json::to_value(&s.record)
                    .map_err(|_| VaultError::Store("a record did not serialise".into()))?,
            });
            Ok(())
        }
        let case = self.require::<Case>(case_id)?;
        let mut items = Vec::new();
        push(&mut items, &case)?;
        let mut people: Vec<ItemId> = case.record.participants.iter().map(|p| p.person).collect();
        let mut places: Vec<ItemId> = self.list_in_case(case_id, Kind::Place);
        for id in self.list_in_case(case_id, Kind::Consent) {
            let c = self.require::<Consent>(id)?;
            people.extend(c.record.given_by);
            push(&mut items, &c)?;
        }
        for id in self.list_in_case(case_id, Kind::Testimony) {
            people.extend(self.require::<Testimony>(id)?.record.witness);
        }
        for id in self.list_in_case(case_id, Kind::Violation) {
            let x = self.require::<Violation>(id)?;
            people.extend(x.record.victims.iter().copied());
            places.extend(x.record.place);
            push(&mut items, &x)?;
        }
        for id in self.list_in_case(case_id, Kind::Perpetrator) {
            push(&mut items, &self.require::<Perpetrator>(id)?)?;
        }
        for id in self.list_in_case(case_id, Kind::Detention) {
            let x = self.require::<Detention>(id)?;
            people.push(x.record.person);
            places.extend(x.record.place);
            push(&mut items, &x)?;
        }
        for id in self.list_in_case(case_id, Kind::Proceeding) {
            let x = self.require::<Proceeding>(id)?;
            people.extend(x.record.people.iter().copied());
            push(&mut items, &x)?;
        }
        for id in self.list_in_case(case_id, Kind::Assistance) {
            let x = self.require::<Assistance>(id)?;
            people.extend(x.record.beneficiary);
            push(&mut items, &x)?;
        }
        people.sort();
        people.dedup();
        for id in people {
            if let Some(p) = self.get::<Person>(id)? {
                push(&mut items, &p)?;
            }
        }
        places.sort();
        places.dedup();
        for id in places {
            if let Some(p) = self.get::<Place>(id)? {
                push(&mut items, &p)?;
            }
        }
        let mut evidence = self.list_in_case(case_id, Kind::Evidence);
        evidence.sort();
        for id in evidence {
            push(&mut items, &self.require::<Evidence>(id)?)?;
        }
        Ok(items)
    }

    /// Each item's custody in a few words (how many entries, the first and
    /// the last, time and action), from one reading of the log.
    pub fn custody_summaries(
        &self,
        ids: &[ItemId],
    ) -> Result<std::collections::BTreeMap<ItemId, String>, VaultError> {
        let log = self.custody()?;
        let line = |e: &&temoin_model::custody::CustodyEntry| {
            format!("{} {}", e.body.time, e.body.action.code())
        };
        Ok(ids
            .iter()
            .map(|id| {
                let mine: Vec<_> = log.iter().filter(|e| e.body.item == Some(*id)).collect();
                let text = match (mine.first(), mine.last()) {
                    (Some(first), Some(last)) => format!(
                        "{} entries, signed and chained; first: {}; last: {}",
                        mine.len(),
                        line(first),
                        line(last)
                    ),
                    _ => "no entry".to_owned(),
                };
                (*id, text)
            })
            .collect())
    }
}
