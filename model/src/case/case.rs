//! A case (one incident or situation) and the people's roles in it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{
    check_date, check_list, check_short, check_short_opt, check_tags, FieldError, ItemId, Kind,
    PartialDate, Record,
};

/// A person's role in a case: the link between a [`Person`] and a [`Case`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Participant {
    /// The person (a [`Person`] record).
    pub person: ItemId,
    /// The role they hold. A person with two roles appears twice.
    pub role: Role,
    /// A note on the role, e.g. "cellmate of the victim".
    #[serde(default)]
    pub note: Option<String>,
}

/// A case: one incident or situation, holding many acts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Case {
    /// A short title. Shown in lists; keep names out of it where you can.
    pub title: String,
    /// A summary of what happened.
    #[serde(default)]
    pub summary: Option<String>,
    /// Where the case stands.
    #[serde(default)]
    pub status: CaseStatus,
    /// Needs action now (a person in detention, a defender at risk).
    #[serde(default)]
    pub urgent: bool,
    /// Why it is urgent (an urgent case only).
    #[serde(default)]
    pub urgent_reason: Option<UrgentReason>,
    /// What makes it urgent, in a few words (an urgent case only).
    #[serde(default)]
    pub urgent_note: Option<String>,
    /// When the events began, as precisely as known.
    #[serde(default)]
    pub incident_start: Option<PartialDate>,
    /// When the events ended, as precisely as known.
    #[serde(default)]
    pub incident_end: Option<PartialDate>,
    /// The country of the events: ISO 3166-1 alpha-2, upper case (`TN`).
    #[serde(default)]
    pub country: Option<String>,
    /// Where in the country: town, district, region.
    #[serde(default)]
    pub location: Option<String>,
    /// The people involved and their roles.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Free tags for the organisation's own grouping.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Case {
    /// A new open case with this title and nothing else.
    pub fn new(title: impl Into<String>) -> Case {
        Case {
            title: title.into(),
            summary: None,
            status: CaseStatus::Open,
            urgent: false,
            urgent_reason: None,
            urgent_note: None,
            incident_start: None,
            incident_end: None,
            country: None,
            location: None,
            participants: Vec::new(),
            tags: Vec::new(),
        }
    }
}

impl Case {
    /// The year the events began, for whether a person was a child then:
    /// the year of `incident_start`, or this year when the case gives none
    /// (the safe side for a child's protection).
    pub fn events_year(&self) -> u16 {
        self.incident_start
            .as_ref()
            .and_then(|d| d.0.get(..4)?.parse::<u16>().ok())
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().year().clamp(0, 9999) as u16)
    }
}

impl Record for Case {
    const KIND: Kind = Kind::Case;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_short("title", &self.title)?;
        check_long_opt("summary", &self.summary)?;
        check_date("incident_start", &self.incident_start)?;
        check_date("incident_end", &self.incident_end)?;
        check_order(
            "incident_end",
            self.incident_start.as_ref(),
            self.incident_end.as_ref(),
            ENDS_BEFORE_START,
        )?;
        check_long_opt("urgent_note", &self.urgent_note)?;
        if !self.urgent && (self.urgent_reason.is_some() || self.urgent_note.is_some()) {
            return Err(FieldError::new(
                "urgent_reason",
                "only an urgent case has a reason for urgency",
            ));
        }
        check_country("country", &self.country)?;
        check_short_opt("location", self.location.as_deref())?;
        check_list("participants", &self.participants)?;
        let mut seen = BTreeSet::new();
        for p in &self.participants {
            check_long_opt("participants.note", &p.note)?;
            if !seen.insert((p.person, p.role)) {
                return Err(FieldError::new(
                    "participants",
                    "lists the same person in the same role more than once",
                ));
            }
        }
        check_tags("tags", &self.tags)
    }

    fn case_id(&self) -> Option<ItemId> {
        None
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.title);
        push_opt(out, &self.summary);
        push_opt(out, &self.location);
        push_all(out, &self.tags);
    }
}
