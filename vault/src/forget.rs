//! Deliver and forget: once OMCT's server has signed a receipt for a case's
//! bundle (verified, and recorded in the custody log with the receipt
//! verbatim), the local copies can go, so that a seized laptop holds as
//! little as possible.
//!
//! Forgetting a case deletes it the way [`Vault::delete`] does (its items'
//! keys destroyed, their revisions removed, evidence files overwritten and
//! removed), and also the people it names whom no other case names. What
//! stays is the receipt: the custody log (the `delivered` entry with the
//! receipt, then one `delete` entry per item) and the outbox's record of the
//! submission. Refused unless a delivery covers the case as it is now: a
//! case edited after its bundle was sealed must be submitted again first.
//!
//! What it does not do (docs/threat-model.md): the record store is
//! log-structured, so deleted records stay in its files, sealed under the
//! vault key, until the store reuses the space; whoever has the vault's
//! passphrase and a copy of the disk may recover them.

use std::collections::BTreeSet;

use crate::case::{Case, Consent, Testimony, Violation};
use crate::custody::Action;
use crate::error::{ForgetError, VaultError};
use crate::record::{ItemId, Kind};
use crate::vault::Vault;

/// The vault state key of the standing policy.
pub const POLICY_KEY: &str = "policy/forget-after-delivery";

/// What forgetting removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgetReport {
    /// The bundle whose receipt covers what was removed.
    pub bundle_id: String,
    /// Items of the case removed (the case included).
    pub items: usize,
    /// People removed (named by no other case).
    pub people: usize,
}

impl Vault {
    /// The people a case's records name.
    fn people_of(&self, case: ItemId) -> Result<BTreeSet<ItemId>, VaultError> {
        let mut people = BTreeSet::new();
        if let Some(c) = self.get::<Case>(case)? {
            people.extend(c.record.participants.iter().map(|p| p.person));
        }
        for id in self.list_in_case(case, Kind::Testimony) {
            if let Some(t) = self.get::<Testimony>(id)? {
                people.extend(t.record.witness);
            }
        }
        for id in self.list_in_case(case, Kind::Violation) {
            if let Some(v) = self.get::<Violation>(id)? {
                people.extend(v.record.victims.iter().copied());
            }
        }
        for id in self.list_in_case(case, Kind::Consent) {
            if let Some(c) = self.get::<Consent>(id)? {
                people.extend(c.record.given_by);
            }
        }
        Ok(people)
    }

    /// The bundle whose acknowledgement covers `case` as it is now, if any:
    /// the last `acknowledged` entry of the case (OMCT's desk opened and
    /// accepted that bundle; a server's receipt alone is not enough), with
    /// no creation, edit or deletion of the case's items or people after
    /// that bundle was sealed.
    pub fn delivered_unchanged(&self, case: ItemId) -> Result<Option<String>, VaultError> {
        let log = self.custody()?;
        let sealed_entry = |bundle: &str| {
            log.iter().find(|e| {
                e.body.action == Action::ExportBundle
                    && e.body.bundle.as_ref().is_some_and(|b| b.id == bundle)
            })
        };
        // The latest acknowledgement of a bundle of the whole case: the text
        // of an urgent case sent ahead of its files does not count (as
        // this device sealed it: its own export entry says so).
        let text_part = |e: &&crate::custody::CustodyEntry| {
            e.body
                .bundle
                .as_ref()
                .and_then(|b| sealed_entry(&b.id))
                .and_then(|s| s.body.bundle.as_ref())
                .is_some_and(|b| b.part.is_some())
        };
        let Some(delivered) = log
            .iter()
            .rev()
            .filter(|e| e.body.action == Action::Acknowledged && e.body.case == Some(case))
            .find(|e| !text_part(e))
        else {
            return Ok(None);
        };
        let Some(bundle) = delivered.body.bundle.as_ref().map(|b| b.id.clone()) else {
            return Ok(None);
        };
        if delivered.body.receipt.is_none() {
            return Ok(None);
        }
        let Some(sealed) = sealed_entry(&bundle) else {
            return Ok(None);
        };
        let people = self.people_of(case)?;
        let changed = log
            .iter()
            .filter(|e| e.body.seq > sealed.body.seq)
            .any(|e| {
                matches!(
                    e.body.action,
                    Action::Create | Action::Edit | Action::Delete
                ) && (e.body.case == Some(case)
                    || e.body.item == Some(case)
                    || e.body.item.is_some_and(|i| people.contains(&i)))
            });
        Ok((!changed).then_some(bundle))
    }

    /// Forgets a delivered case: see the module's description.
    pub fn forget_delivered(&mut self, case: ItemId) -> Result<ForgetReport, ForgetError> {
        let bundle_id = self
            .delivered_unchanged(case)?
            .ok_or(ForgetError::NotDelivered)?;
        // Unchanged since that bundle was sealed, so the same plan: what it
        // left out for want of consent exists only here, and stays.
        let withheld = self.withheld_from_omct(case).map_err(|e| match e {
            crate::ExportError::Vault(v) => ForgetError::Vault(v),
            _ => ForgetError::NotDelivered,
        })?;
        if withheld > 0 {
            return Err(ForgetError::Withheld(withheld));
        }
        let people = self.people_of(case)?;
        // People another case names stay.
        let mut named_elsewhere = BTreeSet::new();
        for other in self.list(Kind::Case) {
            if other != case {
                named_elsewhere.extend(self.people_of(other)?);
            }
        }
        let items = 1 + Kind::ALL
            .iter()
            .filter(|k| **k != Kind::Case)
            .map(|k| self.list_in_case(case, *k).len())
            .sum::<usize>();
        self.delete(case)?;
        let mut removed = 0;
        for person in people.difference(&named_elsewhere) {
            if self.delete(*person)? {
                removed += 1;
            }
        }
        Ok(ForgetReport {
            bundle_id,
            items,
            people: removed,
        })
    }

    /// Whether cases are forgotten as soon as their delivery is confirmed.
    pub fn forget_after_delivery(&self) -> Result<bool, VaultError> {
        Ok(self.get_state(POLICY_KEY)?.is_some_and(|v| &v[..] == b"1"))
    }

    /// Sets the standing policy.
    pub fn set_forget_after_delivery(&mut self, on: bool) -> Result<(), VaultError> {
        if on {
            self.put_state(POLICY_KEY, b"1")
        } else {
            self.delete_state(POLICY_KEY)
        }
    }
}
