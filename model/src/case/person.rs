//! A person, independent of any role.

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{check_list, check_short, check_short_opt, FieldError, ItemId, Kind, Record};

/// A person, independent of any role. Roles are given by
/// [`Case::participants`] and by the links of a [`Violation`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Person {
    /// The name as the person gives it.
    pub name: String,
    /// Other names, spellings and transliterations.
    #[serde(default)]
    pub other_names: Vec<String>,
    /// A pseudonym, used instead of the name wherever the person must not
    /// be named (see [`Person::public_name`]).
    #[serde(default)]
    pub pseudonym: Option<String>,
    /// Gender, as the person states it.
    #[serde(default)]
    pub gender: Option<Gender>,
    /// Year of birth (1900 to 2100).
    #[serde(default)]
    pub birth_year: Option<u16>,
    /// Age at the time of the events (0 to 130), when the year of birth is
    /// not known. With a year of birth, that decides.
    #[serde(default)]
    pub age_at_events: Option<u8>,
    /// Nationality: ISO 3166-1 alpha-2, upper case.
    #[serde(default)]
    pub nationality: Option<String>,
    /// Occupation.
    #[serde(default)]
    pub occupation: Option<String>,
    /// Markers of vulnerability or particular risk.
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
    /// How to reach the person safely.
    #[serde(default)]
    pub contact: Option<String>,
}

impl Person {
    /// A new person with this name and nothing else.
    pub fn new(name: impl Into<String>) -> Person {
        Person {
            name: name.into(),
            other_names: Vec::new(),
            pseudonym: None,
            gender: None,
            birth_year: None,
            age_at_events: None,
            nationality: None,
            occupation: None,
            vulnerabilities: Vec::new(),
            contact: None,
        }
    }

    /// The name to use outside the vault: the pseudonym if one is set,
    /// otherwise the name.
    pub fn public_name(&self) -> &str {
        match self.pseudonym.as_deref() {
            Some(p) if !p.trim().is_empty() => p,
            _ => self.name.as_str(),
        }
    }

    /// Whether the person was a child (under 18) when the events of a case
    /// that began in `events_year` took place: marked a child, under 18 by
    /// the age given, or born 18 years or fewer before (the birthday is not
    /// known, so an 18-year difference counts as a child: the safe side).
    pub fn was_a_child(&self, events_year: u16) -> bool {
        self.vulnerabilities.contains(&Vulnerability::Child)
            || self.age_at_events.is_some_and(|age| age < 18)
            || self
                .birth_year
                .is_some_and(|born| events_year.saturating_sub(born) <= 18)
    }
}

impl Record for Person {
    const KIND: Kind = Kind::Person;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_short("name", &self.name)?;
        check_short_list("other_names", &self.other_names)?;
        check_short_opt("pseudonym", self.pseudonym.as_deref())?;
        if self
            .birth_year
            .is_some_and(|year| !(1900..=2100).contains(&year))
        {
            return Err(FieldError::new(
                "birth_year",
                "must be a year between 1900 and 2100",
            ));
        }
        if self.age_at_events.is_some_and(|age| age > 130) {
            return Err(FieldError::new(
                "age_at_events",
                "must be an age between 0 and 130",
            ));
        }
        check_country("nationality", &self.nationality)?;
        check_short_opt("occupation", self.occupation.as_deref())?;
        check_list("vulnerabilities", &self.vulnerabilities)?;
        check_unique("vulnerabilities", &self.vulnerabilities)?;
        check_long_opt("contact", &self.contact)
    }

    fn case_id(&self) -> Option<ItemId> {
        None
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.name);
        push_all(out, &self.other_names);
        push_opt(out, &self.pseudonym);
        push_opt(out, &self.occupation);
    }
}
