//! Consent as an object: who gave it, to what scope, and its withdrawal.

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{check_list, check_short_opt, FieldError, ItemId, Kind, PartialDate, Record};

/// The withdrawal of a consent, in whole or in part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Withdrawal {
    /// When it was withdrawn.
    pub on: PartialDate,
    /// The scopes withdrawn; empty means every scope.
    #[serde(default)]
    pub scopes: Vec<ConsentScope>,
    /// How and why, as the person wants it recorded.
    #[serde(default)]
    pub note: Option<String>,
}

impl Withdrawal {
    /// Whether this withdrawal takes back `scope`.
    pub fn withdraws(&self, scope: ConsentScope) -> bool {
        self.scopes.is_empty() || self.scopes.contains(&scope)
    }
}

/// A consent: who gave it, when, how, through whom, to what, and whether
/// it was withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Consent {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The person who gave it (a [`Person`] record), if recorded.
    #[serde(default)]
    pub given_by: Option<ItemId>,
    /// The name of the person who gave it, if not (or not only) linked.
    #[serde(default)]
    pub given_by_name: Option<String>,
    /// When it was given.
    pub given_on: PartialDate,
    /// How it was given.
    pub method: ConsentMethod,
    /// The interpreter through whom it was given, if any.
    #[serde(default)]
    pub interpreter: Option<String>,
    /// Who recorded it.
    #[serde(default)]
    pub recorded_by: Option<String>,
    /// The uses consented to. At least one; no repeats.
    #[serde(default)]
    pub scopes: Vec<ConsentScope>,
    /// For a child's consent: the parent or guardian who consented on the
    /// child's behalf (a name, or how they are related).
    #[serde(default)]
    pub guardian: Option<String>,
    /// For a child's consent: whether the child, told in words they
    /// understand, agreed themselves.
    #[serde(default)]
    pub child_assent: Option<bool>,
    /// Conditions and limits in words (e.g. "not before my release").
    #[serde(default)]
    pub note: Option<String>,
    /// Its withdrawal, if it was withdrawn.
    #[serde(default)]
    pub withdrawal: Option<Withdrawal>,
}

impl Consent {
    /// An oral consent to `scopes`, given on `given_on` by the person named
    /// (or referred to) as `given_by_name`, with nothing else recorded.
    pub fn new(
        case_id: ItemId,
        given_by_name: impl Into<String>,
        given_on: PartialDate,
        scopes: Vec<ConsentScope>,
    ) -> Consent {
        Consent {
            case_id,
            given_by: None,
            given_by_name: Some(given_by_name.into()),
            given_on,
            method: ConsentMethod::Oral,
            interpreter: None,
            recorded_by: None,
            scopes,
            guardian: None,
            child_assent: None,
            note: None,
            withdrawal: None,
        }
    }

    /// Whether this consent allows `scope` now: the scope was granted and
    /// has not been withdrawn.
    pub fn covers(&self, scope: ConsentScope) -> bool {
        self.scopes.contains(&scope)
            && !self.withdrawal.as_ref().is_some_and(|w| w.withdraws(scope))
    }

    /// Whether this consent, given by a person for themselves, allows
    /// `scope` for them now. A child's own word is not enough: a child's
    /// consent holds only with a guardian's consent and the child's own
    /// assent both recorded.
    pub fn covers_own(&self, scope: ConsentScope, by_a_child: bool) -> bool {
        self.covers(scope) && (!by_a_child || self.holds_for_a_child())
    }

    /// Whether a guardian consented and the child assented.
    pub fn holds_for_a_child(&self) -> bool {
        self.guardian
            .as_deref()
            .is_some_and(|g| !g.trim().is_empty())
            && self.child_assent == Some(true)
    }
}

impl Record for Consent {
    const KIND: Kind = Kind::Consent;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        let named = self
            .given_by_name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty());
        if self.given_by.is_none() && !named {
            return Err(FieldError::new(
                "given_by",
                "must be set: link the person who gave consent, or write their name",
            ));
        }
        check_short_opt("given_by_name", self.given_by_name.as_deref())?;
        self.given_on.check("given_on")?;
        check_short_opt("interpreter", self.interpreter.as_deref())?;
        check_short_opt("recorded_by", self.recorded_by.as_deref())?;
        check_short_opt("guardian", self.guardian.as_deref())?;
        check_list("scopes", &self.scopes)?;
        if self.scopes.is_empty() {
            return Err(FieldError::new(
                "scopes",
                "must hold at least one use consented to",
            ));
        }
        check_unique("scopes", &self.scopes)?;
        check_long_opt("note", &self.note)?;
        if let Some(w) = &self.withdrawal {
            w.on.check("withdrawal.on")?;
            check_order(
                "withdrawal.on",
                Some(&self.given_on),
                Some(&w.on),
                "is before the date consent was given",
            )?;
            check_list("withdrawal.scopes", &w.scopes)?;
            check_unique("withdrawal.scopes", &w.scopes)?;
            check_long_opt("withdrawal.note", &w.note)?;
        }
        Ok(())
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.given_by_name);
        push_opt(out, &self.note);
    }
}
