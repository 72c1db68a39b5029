//! What OMCT's desk keeps of the cases devices send: each bundle received
//! ([`Received`], whose payload is the bundle's whole archive, sealed in the
//! desk's store) and each received case with where the desk's work on it
//! stands ([`Triage`]). They live in the desk's store only; a defender's
//! vault never holds them.

use serde::{Deserialize, Serialize};

use crate::case::check::{check_country, check_sha256, check_short_list, push_all, push_opt};
use crate::case::check::{check_long_opt, push_text};
use crate::record::{check_list, check_short, check_short_opt, FieldError, ItemId, Kind, Record};

/// Where the desk's work on a received case stands. A case starts `new`; an
/// officer takes it `in_review`, then `accepted`, `declined` or
/// `needs_information` (a question went back to the defender), and
/// `closed` at the end. A new version from the defender puts it back to
/// `new`. ("Flagged" is not a state: a bundle that did not verify never
/// becomes a case.)
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TriageState {
    /// Arrived, nobody has looked at it yet.
    #[default]
    New,
    /// An officer is reading it.
    InReview,
    /// Taken up by OMCT.
    Accepted,
    /// Not taken up.
    Declined,
    /// A question went back to the defender.
    NeedsInformation,
    /// Work on it is over.
    Closed,
}

impl TriageState {
    /// Every state, in the order of the work.
    pub const ALL: [TriageState; 6] = [
        TriageState::New,
        TriageState::InReview,
        TriageState::Accepted,
        TriageState::Declined,
        TriageState::NeedsInformation,
        TriageState::Closed,
    ];

    /// The code used in JSON and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::InReview => "in_review",
            TriageState::Accepted => "accepted",
            TriageState::Declined => "declined",
            TriageState::NeedsInformation => "needs_information",
            TriageState::Closed => "closed",
        }
    }

    /// The state a code names.
    pub fn from_code(code: &str) -> Option<TriageState> {
        TriageState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether an officer may move a case from this state to `next`: the
    /// order of the work, with a way back to review from a decision (the
    /// defender answered, or a decision is reconsidered) and from closed.
    pub fn may_become(self, next: TriageState) -> bool {
        use TriageState::*;
        matches!(
            (self, next),
            (New, InReview)
                | (InReview, Accepted | Declined | NeedsInformation)
                | (NeedsInformation, InReview | Accepted | Declined)
                | (Accepted | Declined | NeedsInformation, Closed)
                | (Accepted | Declined | Closed, InReview)
        )
    }
}

/// What the inbox shows of a case, taken from its case record as received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaseSummary {
    /// The case's title.
    pub title: String,
    /// Its country (ISO 3166-1 alpha-2), if given.
    #[serde(default)]
    pub country: Option<String>,
    /// Whether the defender marked it urgent.
    #[serde(default)]
    pub urgent: bool,
    /// The codes of its violations, each once.
    #[serde(default)]
    pub violations: Vec<String>,
    /// The bundle is an urgent case's text, sent ahead of its evidence
    /// files: they follow in the next version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub files_follow: bool,
}

impl CaseSummary {
    fn validate(&self) -> Result<(), FieldError> {
        check_short("title", &self.title)?;
        check_country("country", &self.country)?;
        check_short_list("violations", &self.violations)
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.title);
        push_opt(out, &self.country);
        push_all(out, &self.violations);
    }
}

/// One bundle a device sent, verified and accepted. Its payload is the
/// bundle as it arrived, sealed to OMCT's key (or, from an earlier version
/// of the desk, its archive sealed under the store's key): the archive
/// exactly as it was signed (manifest, signature, `SHA256SUMS`, evidence
/// files, the sender's custody entries, README), so that the desk can
/// read, verify again and export it at any time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Received {
    /// The bundle's id (from its signed manifest).
    pub bundle_id: String,
    /// The device's sequence number for it.
    pub sequence: u64,
    /// The signing device's key id.
    pub device_key_id: String,
    /// The label the desk gave that device when approving it.
    #[serde(default)]
    pub device_label: Option<String>,
    /// What the bundle is for (`share_with_omct`, `litigation`,
    /// `publication`).
    pub purpose: String,
    /// Its format tag.
    pub format: String,
    /// When the device sealed it (RFC 3339, as the manifest says).
    pub sealed_at: String,
    /// When the desk opened it (RFC 3339 UTC).
    pub received_at: String,
    /// The sender's id of the case.
    pub case: ItemId,
    /// The bundle it replaces, if any (an amended case).
    #[serde(default)]
    pub supersedes: Option<String>,
    /// SHA-256 of the signed manifest.
    pub manifest_sha256: String,
    /// SHA-256 of the encrypted file as it arrived (the hash the desk's
    /// acknowledgement names); unknown for a bundle unpacked by an earlier
    /// version of the desk and imported from its folder without it.
    #[serde(default)]
    pub file_sha256: Option<String>,
    /// SHA-256 of the payload: the encrypted file as it arrived when
    /// `as_arrived`, else the decrypted archive.
    pub sha256: String,
    /// Size of the payload in bytes.
    pub size: u64,
    /// The payload is the encrypted file exactly as the device sent it,
    /// sealed to OMCT's age key (kept in the store under its passphrase),
    /// so that the bytes the desk holds are the ones its acknowledgement
    /// names. False for a bundle an earlier version of the desk re-sealed
    /// as its decrypted archive under the store's own key.
    #[serde(default)]
    pub as_arrived: bool,
    /// Files whose hash the desk checked.
    pub files_verified: u64,
    /// The sender's custody entries whose signature verified.
    pub custody_verified: u64,
    /// How many items the sender left out (no consent for this purpose).
    pub withheld: u64,
    /// What the inbox shows.
    pub summary: CaseSummary,
}

impl Record for Received {
    const KIND: Kind = Kind::Received;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_short("bundle_id", &self.bundle_id)?;
        check_short("device_key_id", &self.device_key_id)?;
        check_short_opt("device_label", self.device_label.as_deref())?;
        check_short("purpose", &self.purpose)?;
        check_short("format", &self.format)?;
        check_short("sealed_at", &self.sealed_at)?;
        check_short("received_at", &self.received_at)?;
        check_short_opt("supersedes", self.supersedes.as_deref())?;
        check_sha256("manifest_sha256", &self.manifest_sha256)?;
        if let Some(f) = &self.file_sha256 {
            check_sha256("file_sha256", f)?;
        }
        check_sha256("sha256", &self.sha256)?;
        self.summary.validate()
    }

    fn case_id(&self) -> Option<ItemId> {
        None
    }

    fn same_fixed_facts(&self, previous: &Self) -> bool {
        self.sha256 == previous.sha256
            && self.size == previous.size
            && self.as_arrived == previous.as_arrived
            && self.manifest_sha256 == previous.manifest_sha256
            && self.bundle_id == previous.bundle_id
    }

    fn index_text(&self, out: &mut String) {
        self.summary.index_text(out);
        push_opt(out, &self.device_label);
    }

    fn payload(&self) -> Option<(&str, u64)> {
        Some((&self.sha256, self.size))
    }

    fn payload_as_arrived(&self) -> bool {
        self.as_arrived
    }
}

/// A received case: every version of one case from one device, and where
/// the desk's work on it stands. Each change is a new revision of the
/// record (so its history is the item's history) and an entry in the
/// desk's custody log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Triage {
    /// The device that sent it.
    pub device_key_id: String,
    /// That device's label at the desk.
    #[serde(default)]
    pub device_label: Option<String>,
    /// The sender's id of the case.
    pub case: ItemId,
    /// Where the work stands.
    pub state: TriageState,
    /// Why it was last moved, in the officer's words.
    #[serde(default)]
    pub note: Option<String>,
    /// The versions received, oldest first ([`Received`] items).
    pub bundles: Vec<ItemId>,
    /// When the latest version was opened.
    pub received_at: String,
    /// What the inbox shows, from the latest version.
    pub summary: CaseSummary,
}

impl Record for Triage {
    const KIND: Kind = Kind::Triage;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_short("device_key_id", &self.device_key_id)?;
        check_short_opt("device_label", self.device_label.as_deref())?;
        check_long_opt("note", &self.note)?;
        if self.bundles.is_empty() {
            return Err(FieldError::new("bundles", "must not be empty"));
        }
        check_list("bundles", &self.bundles)?;
        check_short("received_at", &self.received_at)?;
        self.summary.validate()
    }

    fn case_id(&self) -> Option<ItemId> {
        None
    }

    fn same_fixed_facts(&self, previous: &Self) -> bool {
        self.device_key_id == previous.device_key_id && self.case == previous.case
    }

    fn index_text(&self, out: &mut String) {
        self.summary.index_text(out);
        push_opt(out, &self.device_label);
        push_opt(out, &self.note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triage_codes_round_trip_and_the_work_has_an_order() {
        for s in TriageState::ALL {
            assert_eq!(TriageState::from_code(s.code()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        use TriageState::*;
        assert!(New.may_become(InReview));
        assert!(
            !New.may_become(Accepted),
            "a case is read before a decision"
        );
        assert!(!New.may_become(Closed));
        assert!(InReview.may_become(NeedsInformation));
        assert!(NeedsInformation.may_become(Closed));
        assert!(!Closed.may_become(Accepted));
        assert!(Closed.may_become(InReview));
        assert!(!InReview.may_become(InReview));
    }

    #[test]
    fn a_received_record_is_checked_like_any_other() {
        let mut r = Received {
            bundle_id: "b".into(),
            sequence: 1,
            device_key_id: "K".into(),
            device_label: None,
            purpose: "share_with_omct".into(),
            format: "temoin-bundle/1".into(),
            sealed_at: "2026-01-01T00:00:00Z".into(),
            received_at: "2026-01-01T00:00:00Z".into(),
            case: ItemId::random(),
            supersedes: None,
            manifest_sha256: "a".repeat(64),
            file_sha256: Some("b".repeat(64)),
            sha256: "c".repeat(64),
            size: 1,
            files_verified: 0,
            custody_verified: 0,
            withheld: 0,
            as_arrived: true,
            summary: CaseSummary {
                title: "t".into(),
                ..CaseSummary::default()
            },
        };
        r.validate().unwrap();
        assert_eq!(r.payload(), Some(("c".repeat(64).as_str(), 1)));
        assert!(r.payload_as_arrived());
        // A record an earlier desk wrote has no such field: its payload
        // was sealed under the store's key.
        let mut old = serde_json::to_value(&r).unwrap();
        old.as_object_mut().unwrap().remove("as_arrived");
        let old: Received = serde_json::from_value(old).unwrap();
        assert!(!old.payload_as_arrived());
        r.summary.country = Some("tunisia".into());
        assert_eq!(r.validate().unwrap_err().field, "country");
    }
}
