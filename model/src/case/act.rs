//! The acts of a case and what surrounds them: violations, places,
//! perpetrators and follow-up needs.

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{
    check_date, check_list, check_short, check_short_opt, FieldError, ItemId, Kind, PartialDate,
    Record,
};

/// An alleged violation: one act, linking victims, perpetrators and a
/// place (the "act" of the events model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Violation {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The type of act.
    pub kind: ViolationType,
    /// The methods used.
    #[serde(default)]
    pub methods: Vec<Method>,
    /// The victims ([`Person`] records).
    #[serde(default)]
    pub victims: Vec<ItemId>,
    /// The alleged perpetrators ([`Perpetrator`] records).
    #[serde(default)]
    pub perpetrators: Vec<ItemId>,
    /// Where it happened (a [`Place`] record).
    #[serde(default)]
    pub place: Option<ItemId>,
    /// When it began.
    #[serde(default)]
    pub start: Option<PartialDate>,
    /// When it ended.
    #[serde(default)]
    pub end: Option<PartialDate>,
    /// What happened.
    #[serde(default)]
    pub description: Option<String>,
}

/// A place of detention or of the events. A place can be shared by
/// several cases, so its case link is optional.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Place {
    /// The case it belongs to, if it belongs to one.
    #[serde(default)]
    pub case_id: Option<ItemId>,
    /// The name it is known by.
    pub name: String,
    /// Its type.
    pub kind: PlaceType,
    /// The authority that runs it (ministry, service, command).
    #[serde(default)]
    pub authority: Option<String>,
    /// Its country: ISO 3166-1 alpha-2, upper case.
    #[serde(default)]
    pub country: Option<String>,
    /// Town, district or address.
    #[serde(default)]
    pub locality: Option<String>,
    /// Coordinates, as given (e.g. `36.8065, 10.1815`).
    #[serde(default)]
    pub coordinates: Option<String>,
    /// Anything else: how to recognise it, what is known of it.
    #[serde(default)]
    pub note: Option<String>,
}

/// An alleged perpetrator: a person or a unit, with its institution and
/// degree of involvement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Perpetrator {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// A single person or a unit.
    pub kind: PerpetratorKind,
    /// The name or alias.
    #[serde(default)]
    pub name: Option<String>,
    /// The unit, squad or service.
    #[serde(default)]
    pub unit: Option<String>,
    /// The rank or function.
    #[serde(default)]
    pub rank: Option<String>,
    /// The institution.
    pub institution: Institution,
    /// The degree of involvement.
    pub involvement: Involvement,
    /// How they were identified; anything else.
    #[serde(default)]
    pub note: Option<String>,
}

/// A follow-up need: medical, legal, social, an urgent appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FollowUp {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The kind of need.
    pub kind: FollowUpKind,
    /// Where it stands.
    #[serde(default)]
    pub status: FollowUpStatus,
    /// Needs action now.
    #[serde(default)]
    pub urgent: bool,
    /// When it must be done by.
    #[serde(default)]
    pub due: Option<PartialDate>,
    /// What is needed, by whom, what was done.
    #[serde(default)]
    pub note: Option<String>,
}

impl Record for Violation {
    const KIND: Kind = Kind::Violation;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_list("methods", &self.methods)?;
        check_unique("methods", &self.methods)?;
        check_list("victims", &self.victims)?;
        check_unique("victims", &self.victims)?;
        check_list("perpetrators", &self.perpetrators)?;
        check_unique("perpetrators", &self.perpetrators)?;
        check_date("start", &self.start)?;
        check_date("end", &self.end)?;
        check_order(
            "end",
            self.start.as_ref(),
            self.end.as_ref(),
            ENDS_BEFORE_START,
        )?;
        check_long_opt("description", &self.description)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.description);
    }
}

impl Record for Place {
    const KIND: Kind = Kind::Place;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_short("name", &self.name)?;
        check_short_opt("authority", self.authority.as_deref())?;
        check_country("country", &self.country)?;
        check_short_opt("locality", self.locality.as_deref())?;
        check_short_opt("coordinates", self.coordinates.as_deref())?;
        check_long_opt("note", &self.note)
    }

    fn case_id(&self) -> Option<ItemId> {
        self.case_id
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.name);
        push_opt(out, &self.locality);
        push_opt(out, &self.authority);
        push_opt(out, &self.note);
    }
}

impl Record for Perpetrator {
    const KIND: Kind = Kind::Perpetrator;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !given(&self.name) && !given(&self.unit) {
            return Err(FieldError::new(
                "name",
                "or `unit` must be set: an individual or a unit needs a name, an alias or a unit",
            ));
        }
        check_short_opt("name", self.name.as_deref())?;
        check_short_opt("unit", self.unit.as_deref())?;
        check_short_opt("rank", self.rank.as_deref())?;
        check_long_opt("note", &self.note)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.name);
        push_opt(out, &self.unit);
        push_opt(out, &self.rank);
        push_opt(out, &self.note);
    }
}

impl Record for FollowUp {
    const KIND: Kind = Kind::FollowUp;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_date("due", &self.due)?;
        check_long_opt("note", &self.note)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.note);
    }
}
