//! What OMCT's programmes do with a case: a detained person's detention
//! (SOS Defenders, urgent appeals), the steps of proceedings (litigation
//! before UN and regional bodies, and the domestic remedies they ask
//! about), and an assistance request (the Victims Fund and emergency
//! assistance).
//!
//! Each is a record of its own that links to the case's people, places
//! and evidence, so that one detention can have many hearings (each a
//! [`Proceeding`] naming it) and one request many quotes (evidence items).

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{
    check_date, check_list, check_short_opt, FieldError, ItemId, Kind, PartialDate, Record,
};

/// A detained person's detention: where, by whom, on what charges, and
/// what safeguards they have. Hearings and communications to UN mechanisms
/// are [`Proceeding`] records that name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Detention {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The detained person, a defender or a victim ([`Person`] record).
    pub person: ItemId,
    /// Where they are held (a [`Place`] record of the case).
    #[serde(default)]
    pub place: Option<ItemId>,
    /// Where they stand.
    pub status: DetentionStatus,
    /// When they were arrested or taken.
    #[serde(default)]
    pub arrested_on: Option<PartialDate>,
    /// When they were released (or died).
    #[serde(default)]
    pub released_on: Option<PartialDate>,
    /// The institution that holds them.
    #[serde(default)]
    pub institution: Option<Institution>,
    /// The detaining authority by name: the service, ministry or command.
    #[serde(default)]
    pub authority: Option<String>,
    /// The charges, one each, as worded by the authorities.
    #[serde(default)]
    pub charges: Vec<String>,
    /// The legal provisions cited (code, article), one each.
    #[serde(default)]
    pub provisions: Vec<String>,
    /// Access to a lawyer of their choice.
    #[serde(default)]
    pub lawyer: Access,
    /// Contact with their family.
    #[serde(default)]
    pub family: Access,
    /// Access to an independent doctor.
    #[serde(default)]
    pub doctor: Access,
    /// Their health: injuries, illness, treatment needed or refused.
    #[serde(default)]
    pub health: Option<String>,
    /// The conditions of detention: cell, food, light, isolation.
    #[serde(default)]
    pub conditions: Option<String>,
    /// Anything else.
    #[serde(default)]
    pub note: Option<String>,
}

/// One step of proceedings: a complaint, an investigation, a hearing, a
/// judgment, reparation, or a communication to an international body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Proceeding {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The step.
    pub stage: ProceedingStage,
    /// When it was taken or happened.
    #[serde(default)]
    pub date: Option<PartialDate>,
    /// The body: the court, prosecutor, oversight body, UN mechanism.
    #[serde(default)]
    pub body: Option<String>,
    /// Its reference: file number, communication number.
    #[serde(default)]
    pub reference: Option<String>,
    /// How it came out.
    #[serde(default)]
    pub outcome: ProceedingOutcome,
    /// The outcome in words: what was decided, and why.
    #[serde(default)]
    pub outcome_note: Option<String>,
    /// The people it concerns ([`Person`] records).
    #[serde(default)]
    pub people: Vec<ItemId>,
    /// The detention it concerns, for a hearing on it or a communication
    /// about it (a [`Detention`] record of the case).
    #[serde(default)]
    pub detention: Option<ItemId>,
    /// Anything else.
    #[serde(default)]
    pub note: Option<String>,
}

/// A payment made on an assistance request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Payment {
    /// When.
    pub on: PartialDate,
    /// How much, in the request's currency (digits, a point and at most two
    /// decimals: `1250.50`).
    pub amount: String,
    /// To whom, for what.
    #[serde(default)]
    pub note: Option<String>,
}

/// A request for assistance: what is needed, what it costs, what backs it,
/// and what OMCT decided and paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Assistance {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// Who it is for ([`Person`] record).
    #[serde(default)]
    pub beneficiary: Option<ItemId>,
    /// The needs, by category (the follow-up kinds). At least one.
    pub needs: Vec<FollowUpKind>,
    /// What is needed and why, in words.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was asked for.
    #[serde(default)]
    pub requested_on: Option<PartialDate>,
    /// The amount asked for (`1250.50`).
    #[serde(default)]
    pub amount: Option<String>,
    /// Its currency: ISO 4217, upper case (`EUR`, `TND`).
    #[serde(default)]
    pub currency: Option<String>,
    /// What backs it: quotes, invoices, a medical certificate (evidence
    /// items of the case).
    #[serde(default)]
    pub supporting: Vec<ItemId>,
    /// Support sought or received from others.
    #[serde(default)]
    pub other_support: Option<String>,
    /// What OMCT decided.
    #[serde(default)]
    pub decision: AssistanceDecision,
    /// When it was decided.
    #[serde(default)]
    pub decided_on: Option<PartialDate>,
    /// The payments made.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// What came of it: treatment received, person relocated.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// An amount: digits, then optionally a point and one or two decimals.
/// No sign, no thousands separator: the same in every language.
fn check_amount(field: &'static str, value: &str) -> Result<(), FieldError> {
    let (whole, cents) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if digits(whole, 12) && digits(cents, 2) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "is not an amount: digits, then a point and at most two decimals (1250.50)",
        ))
    }
}

impl Record for Detention {
    const KIND: Kind = Kind::Detention;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_date("arrested_on", &self.arrested_on)?;
        check_date("released_on", &self.released_on)?;
        check_order(
            "released_on",
            self.arrested_on.as_ref(),
            self.released_on.as_ref(),
            "is before the date of arrest",
        )?;
        check_short_opt("authority", self.authority.as_deref())?;
        check_short_list("charges", &self.charges)?;
        check_short_list("provisions", &self.provisions)?;
        check_long_opt("health", &self.health)?;
        check_long_opt("conditions", &self.conditions)?;
        check_long_opt("note", &self.note)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.authority);
        push_all(out, &self.charges);
        push_all(out, &self.provisions);
        push_opt(out, &self.health);
        push_opt(out, &self.conditions);
        push_opt(out, &self.note);
    }
}

impl Record for Proceeding {
    const KIND: Kind = Kind::Proceeding;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_date("date", &self.date)?;
        check_short_opt("body", self.body.as_deref())?;
        check_short_opt("reference", self.reference.as_deref())?;
        check_long_opt("outcome_note", &self.outcome_note)?;
        check_list("people", &self.people)?;
        check_unique("people", &self.people)?;
        check_long_opt("note", &self.note)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.body);
        push_opt(out, &self.reference);
        push_opt(out, &self.outcome_note);
        push_opt(out, &self.note);
    }
}

impl Record for Assistance {
    const KIND: Kind = Kind::Assistance;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        if self.needs.is_empty() {
            return Err(FieldError::new("needs", "must name at least one need"));
        }
        check_list("needs", &self.needs)?;
        check_unique("needs", &self.needs)?;
        if self.needs.contains(&FollowUpKind::UrgentAppeal) {
            return Err(FieldError::new(
                "needs",
                "lists an urgent appeal, which is not assistance: mark the case urgent instead",
            ));
        }
        check_long_opt("description", &self.description)?;
        check_date("requested_on", &self.requested_on)?;
        if let Some(a) = &self.amount {
            check_amount("amount", a)?;
        }
        match &self.currency {
            Some(c) if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) => {
                return Err(FieldError::new(
                    "currency",
                    "is not a currency code (ISO 4217, three capitals, such as EUR)",
                ))
            }
            None if self.amount.is_some() || !self.payments.is_empty() => {
                return Err(FieldError::new(
                    "currency",
                    "must be set when an amount or a payment is given",
                ))
            }
            _ => {}
        }
        check_list("supporting", &self.supporting)?;
        check_unique("supporting", &self.supporting)?;
        check_long_opt("other_support", &self.other_support)?;
        check_date("decided_on", &self.decided_on)?;
        check_order(
            "decided_on",
            self.requested_on.as_ref(),
            self.decided_on.as_ref(),
            "is before the date of the request",
        )?;
        check_list("payments", &self.payments)?;
        for p in &self.payments {
            p.on.check("payments.on")?;
            check_amount("payments.amount", &p.amount)?;
            check_short_opt("payments.note", p.note.as_deref())?;
        }
        check_long_opt("outcome", &self.outcome)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.description);
        push_opt(out, &self.other_support);
        push_opt(out, &self.outcome);
    }
}
