//! The vault's records as the statistics count them
//! ([`temoin_model::stats`]).

use std::collections::HashMap;

use temoin_model::stats::CaseRecords;

use crate::case::{Case, Consent, Perpetrator, Person, Place, Violation};
use crate::error::VaultError;
use crate::record::Kind;
use crate::vault::Vault;

impl Vault {
    /// Every case with its people, consents, violations, perpetrators and
    /// the places its violations name, for
    /// [`temoin_model::stats::cells`]. People are read only if a violation,
    /// the case or a consent names them.
    pub fn stats_records(&self) -> Result<Vec<CaseRecords>, VaultError> {
        let mut out = Vec::new();
        for case_id in self.list(Kind::Case) {
            let Some(case) = self.get::<Case>(case_id)? else {
                continue;
            };
            let mut r = CaseRecords {
                case_id: Some(case_id),
                case: Some(case.record),
                ..CaseRecords::default()
            };
            for id in self.list_in_case(case_id, Kind::Consent) {
                if let Some(c) = self.get::<Consent>(id)? {
                    r.consents.push(c.record);
                }
            }
            for id in self.list_in_case(case_id, Kind::Violation) {
                if let Some(v) = self.get::<Violation>(id)? {
                    r.violations.push(v.record);
                }
            }
            let mut named: Vec<_> = r
                .violations
                .iter()
                .flat_map(|v| v.victims.iter().copied())
                .collect();
            // And those who consented: whether their consent holds
            // depends on who they are (a child's needs a guardian).
            named.extend(r.consents.iter().filter_map(|c| c.given_by));
            if let Some(c) = &r.case {
                named.extend(c.participants.iter().map(|p| p.person));
            }
            let mut people = HashMap::new();
            for p in named {
                if let Some(person) = self.get::<Person>(p)? {
                    people.insert(p, person.record);
                }
            }
            r.people = people;
            for id in self.list_in_case(case_id, Kind::Perpetrator) {
                if let Some(p) = self.get::<Perpetrator>(id)? {
                    r.perpetrators.insert(id, p.record);
                }
            }
            // The places the violations name (a place may be another
            // case's, or no case's).
            let named: Vec<_> = r.violations.iter().filter_map(|v| v.place).collect();
            for id in named {
                if let Some(p) = self.get::<Place>(id)? {
                    r.places.insert(id, p.record);
                }
            }
            out.push(r);
        }
        Ok(out)
    }
}
