//! What every stored item has in common: an id, a kind, a schema version,
//! validation, and the text the search index reads.

use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A random 128-bit item id. Ids are the only thing stored in the clear (as
/// sled keys and blob file names), so they carry no meaning.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(uuid::Uuid);

/// An id crosses into the app's interface as its text form.
#[cfg(feature = "specta")]
impl specta::Type for ItemId {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        <String as specta::Type>::definition(types)
    }
}

impl ItemId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// The 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// From 16 raw bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Uuid::from_bytes(bytes))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({})", self.0.hyphenated())
    }
}

/// An id that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an item id (expected the form 0b5e…-…, as printed by Témoin)")]
pub struct BadItemId;

impl FromStr for ItemId {
    type Err = BadItemId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim())
            .map(Self)
            .map_err(|_| BadItemId)
    }
}

/// The kinds of item a vault holds. The numeric codes are part of the
/// on-disk format (they are bound into every record's associated data) and
/// never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: a new kind must be handled by every store and
// reader that matches on it, so the compiler lists the places.
pub enum Kind {
    /// A case: one incident or situation, holding many acts.
    Case,
    /// A person, who can hold different roles in different cases and acts.
    Person,
    /// A testimony (interview record).
    Testimony,
    /// An evidence item with its payload.
    Evidence,
    /// A consent given by a person.
    Consent,
    /// An alleged violation (an act).
    Violation,
    /// A place of detention or of the events.
    Place,
    /// An alleged perpetrator: a person or a unit.
    Perpetrator,
    /// A follow-up need.
    FollowUp,
    /// At OMCT's desk: one bundle a device sent, accepted and sealed in the
    /// desk's store with its whole archive as the payload.
    Received,
    /// At OMCT's desk: one received case (a case from one device, with every
    /// version of it that arrived) and where the desk's work on it stands.
    Triage,
    /// A detained person's detention.
    Detention,
    /// A step of proceedings (domestic or international).
    Proceeding,
    /// A request for assistance.
    Assistance,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 14] = [
        Kind::Case,
        Kind::Person,
        Kind::Testimony,
        Kind::Evidence,
        Kind::Consent,
        Kind::Violation,
        Kind::Place,
        Kind::Perpetrator,
        Kind::FollowUp,
        Kind::Received,
        Kind::Triage,
        Kind::Detention,
        Kind::Proceeding,
        Kind::Assistance,
    ];

    /// The on-disk code.
    pub fn code(self) -> u16 {
        match self {
            Kind::Case => 1,
            Kind::Person => 2,
            Kind::Testimony => 3,
            Kind::Evidence => 4,
            Kind::Consent => 5,
            Kind::Violation => 6,
            Kind::Place => 7,
            Kind::Perpetrator => 8,
            Kind::FollowUp => 9,
            Kind::Received => 10,
            Kind::Triage => 11,
            Kind::Detention => 12,
            Kind::Proceeding => 13,
            Kind::Assistance => 14,
        }
    }

    /// The kind of an on-disk code.
    pub fn from_code(code: u16) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// A lower-case English name, for messages and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Case => "case",
            Kind::Person => "person",
            Kind::Testimony => "testimony",
            Kind::Evidence => "evidence",
            Kind::Consent => "consent",
            Kind::Violation => "violation",
            Kind::Place => "place",
            Kind::Perpetrator => "perpetrator",
            Kind::FollowUp => "follow-up",
            Kind::Received => "received bundle",
            Kind::Triage => "received case",
            Kind::Detention => "detention",
            Kind::Proceeding => "proceeding",
            Kind::Assistance => "assistance",
        }
    }

    /// Whether an item of this kind has a payload (an encrypted file beside
    /// its record, shredded with it).
    pub fn has_payload(self) -> bool {
        matches!(self, Kind::Evidence | Kind::Received)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field that failed validation. Names the field and the problem, never
/// its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}` {problem}")]
pub struct FieldError {
    /// The field's name (a path such as `account.narrative`).
    pub field: &'static str,
    /// What is wrong, in words a person can act on.
    pub problem: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// Limits on field sizes. Generous for real use, small enough that a
/// hostile or corrupt record cannot exhaust memory.
pub mod limits {
    /// Names, titles, short labels: characters.
    pub const SHORT: usize = 500;
    /// Narratives and accounts: bytes (1 MiB).
    pub const LONG: usize = 1024 * 1024;
    /// Entries in a list field.
    pub const LIST: usize = 1000;
    /// One tag: characters.
    pub const TAG: usize = 64;
    /// A whole serialised record: bytes (8 MiB).
    pub const RECORD: usize = 8 * 1024 * 1024;
}

/// Checks a required short text field: not blank, at most
/// [`limits::SHORT`] characters, no control characters.
pub fn check_short(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    check_short_opt(field, Some(value))
}

/// Checks an optional short text field (see [`check_short`]); `None` and
/// `Some("")` are accepted.
pub fn check_short_opt(field: &'static str, value: Option<&str>) -> Result<(), FieldError> {
    let Some(value) = value else { return Ok(()) };
    if value.chars().count() > limits::SHORT {
        return Err(FieldError::new(
            field,
            format!("is too long (at most {} characters)", limits::SHORT),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "contains control characters (line breaks are not allowed here)",
        ));
    }
    Ok(())
}

/// Checks a long text field: at most [`limits::LONG`] bytes, no control
/// characters other than line breaks and tabs.
pub fn check_long(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.len() > limits::LONG {
        return Err(FieldError::new(
            field,
            format!("is too long (at most {} MiB)", limits::LONG / (1024 * 1024)),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(())
}

/// Checks the length of a list field.
pub fn check_list<T>(field: &'static str, list: &[T]) -> Result<(), FieldError> {
    if list.len() > limits::LIST {
        return Err(FieldError::new(
            field,
            format!("has too many entries (at most {})", limits::LIST),
        ));
    }
    Ok(())
}

/// Checks tags: each non-blank, at most [`limits::TAG`] characters, no
/// control characters.
pub fn check_tags(field: &'static str, tags: &[String]) -> Result<(), FieldError> {
    check_list(field, tags)?;
    for t in tags {
        if t.trim().is_empty() || t.chars().count() > limits::TAG || t.chars().any(char::is_control)
        {
            return Err(FieldError::new(
                field,
                format!(
                    "holds an empty, over-long (more than {} characters) or malformed tag",
                    limits::TAG
                ),
            ));
        }
    }
    Ok(())
}

/// A date as people know it: a year (`2023`), a month (`2023-05`) or a day
/// (`2023-05-14`), ISO 8601. Survivors often recall only a month or a season;
/// a partial date records what is known without inventing precision.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct PartialDate(pub String);

impl PartialDate {
    /// Checks the form and that the day exists.
    pub fn check(&self, field: &'static str) -> Result<(), FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD",
            )
        };
        let parts: Vec<&str> = self.0.split('-').collect();
        let num = |s: &str, len: usize| -> Result<u32, FieldError> {
            if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse().map_err(|_| bad())
        };
        match parts.as_slice() {
            [y] => {
                num(y, 4)?;
            }
            [y, m] => {
                num(y, 4)?;
                let m = num(m, 2)?;
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
            }
            [y, m, d] => {
                let y = num(y, 4)?;
                let m = num(m, 2)?;
                let d = num(d, 2)?;
                let month = time::Month::try_from(m as u8).map_err(|_| bad())?;
                time::Date::from_calendar_date(y as i32, month, d as u8).map_err(|_| bad())?;
            }
            _ => return Err(bad()),
        }
        Ok(())
    }
}

/// Checks an optional partial date.
pub fn check_date(field: &'static str, value: &Option<PartialDate>) -> Result<(), FieldError> {
    match value {
        Some(d) => d.check(field),
        None => Ok(()),
    }
}

/// A kind of stored item. Implemented by every type of the case model.
pub trait Record: Serialize + DeserializeOwned + Clone + fmt::Debug + PartialEq {
    /// The item kind.
    const KIND: Kind;
    /// The schema version written now. Bump it when the serialised form
    /// changes; readers must keep reading older versions.
    const SCHEMA: u16;

    /// Checks every field against the limits and forms above.
    fn validate(&self) -> Result<(), FieldError>;

    /// The case the item belongs to, if any. The vault checks that it
    /// exists and is a case.
    fn case_id(&self) -> Option<ItemId>;

    /// Whether an edit keeps the facts that may never change after intake
    /// (an evidence item's hash, size and media type). Most records have
    /// none.
    fn same_fixed_facts(&self, _previous: &Self) -> bool {
        true
    }

    /// Appends the text the search index reads (titles, narratives, names,
    /// places, tags), separated by newlines.
    fn index_text(&self, out: &mut String);

    /// The SHA-256 (lower-case hex) and size of the item's payload, for the
    /// kinds that have one ([`Kind::has_payload`]).
    fn payload(&self) -> Option<(&str, u64)> {
        None
    }

    /// Whether the payload is kept exactly as it arrived, sealed by its
    /// sender to keys the vault does not hold (a bundle sealed to OMCT's
    /// age key): the vault stores, backs up and checks its bytes against
    /// [`Record::payload`], and never decrypts them. False for a payload
    /// the vault sealed itself.
    fn payload_as_arrived(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_are_stable_and_unique() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::from_code(0), None);
        assert_eq!(Kind::Case.code(), 1);
        assert_eq!(Kind::FollowUp.code(), 9);
        assert_eq!(Kind::Triage.code(), 11);
    }

    #[test]
    fn item_ids_parse_and_print() {
        let id = ItemId::random();
        assert_eq!(id.to_string().parse::<ItemId>().unwrap(), id);
        assert!("not-an-id".parse::<ItemId>().is_err());
    }

    #[test]
    fn partial_dates() {
        for ok in ["2023", "2023-05", "2024-02-29"] {
            PartialDate(ok.into()).check("d").unwrap();
        }
        for bad in [
            "",
            "23",
            "2023-13",
            "2023-02-30",
            "2023-5",
            "2023-05-01T00",
            "abcd",
        ] {
            assert!(PartialDate(bad.into()).check("d").is_err(), "{bad}");
        }
    }

    #[test]
    fn short_fields() {
        assert!(check_short("t", "").is_err());
        assert!(check_short("t", "   ").is_err());
        assert!(check_short("t", "ok").is_ok());
        assert!(check_short("t", &"x".repeat(limits::SHORT + 1)).is_err());
        assert!(check_short("t", "a\nb").is_err());
        assert!(check_long("n", "a\nb\tc").is_ok());
        assert!(check_long("n", "a\u{0}b").is_err());
        let err = check_short("title", "").unwrap_err();
        assert_eq!(err.to_string(), "field `title` must not be empty");
    }
}
