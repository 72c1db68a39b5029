//! The case model: who did what to whom, where and when, as told by whom,
//! shown by what, and with whose consent.
//!
//! The shape follows the events model of Ball et al. ("A Definition of
//! Database Design Standards for Human Rights Agencies", AAAS and
//! HURIDOCS, 1994) and the HURIDOCS Events Standard Formats (2001):
//! entities (cases, people, places, perpetrators), roles (a person is a
//! victim in one act and a witness in another) and links (an act joins
//! victims, perpetrators and a place) are kept apart. The testimony
//! follows the interview and history headings of the Istanbul Protocol
//! (2022 edition).
//!
//! Every categorical field is a coded controlled vocabulary (an enum whose
//! stable code is the snake_case string stored on disk), informed by the
//! HURIDOCS Micro-thesauri, so that records from the 200 organisations of the
//! SOS-Torture Network can be counted together. Labels are translated in the
//! UI; the codes never change meaning. `docs/case-model.md` maps each field to
//! the standard it serves.
//!
//! Validation errors name the field (as a dotted path such as
//! `account.background`) and the problem, never the content.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::record::{
    check_date, check_list, check_long, check_short, check_short_opt, check_tags, FieldError,
    ItemId, Kind, PartialDate, Record,
};

/// Declares a coded vocabulary: the enum, `ALL`, `code` and `from_code`.
/// The codes are written out (rather than derived from serde) so that they
/// can be read, searched and reviewed; a test checks that each equals the
/// string serde writes.
macro_rules! vocabulary {
    (@unit $variant:ident) => { () };
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every code of the vocabulary, in declaration order.
            pub const ALL: [Self; [$( vocabulary!(@unit $variant) ),+].len()] =
                [ $( Self::$variant, )+ ];

            /// The stable code: the snake_case string stored on disk and
            /// exchanged with OMCT. It never changes meaning.
            pub fn code(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// The entry with this code, if there is one.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.code() == code)
            }
        }
    };
}

vocabulary! {
    /// The role a person holds in a case. A person can hold several roles,
    /// in the same case or in different ones.
    Role {
        /// A person who suffered the violation.
        Victim = "victim",
        /// A person who saw or heard the events, or their aftermath.
        Witness = "witness",
        /// A person alleged to have committed, ordered or tolerated the act.
        AllegedPerpetrator = "alleged_perpetrator",
        /// A human-rights defender working on the case.
        Defender = "defender",
        /// A medical or psychological examiner (Istanbul Protocol evaluation).
        Examiner = "examiner",
        /// An interpreter at an interview or examination.
        Interpreter = "interpreter",
        /// A relative of a victim (an indirect victim in many jurisdictions).
        Relative = "relative",
        /// A source of information who is not a witness (e.g. a lawyer).
        Source = "source",
        /// Any other role; say which in the participant's note.
        Other = "other",
    }
}

vocabulary! {
    /// A marker of vulnerability or of particular risk. Torture falls on
    /// these groups in particular ways, and the SOS-Torture index counts them.
    Vulnerability {
        /// Under 18 at the time of the events.
        Child = "child",
        /// A woman or girl.
        Woman = "woman",
        /// Lesbian, gay, bisexual, trans, intersex or queer.
        Lgbtiq = "lgbtiq",
        /// A migrant, refugee or asylum seeker.
        Migrant = "migrant",
        /// A member of an indigenous people.
        Indigenous = "indigenous",
        /// A human-rights defender (including journalists and lawyers acting
        /// as such).
        HumanRightsDefender = "human_rights_defender",
        /// A person with a disability.
        PersonWithDisability = "person_with_disability",
    }
}

vocabulary! {
    /// The type of act (HURIDOCS "types of acts", narrowed to the OMCT
    /// mandate).
    ViolationType {
        /// Torture (Convention against Torture, article 1).
        Torture = "torture",
        /// Other cruel, inhuman or degrading treatment or punishment.
        IllTreatment = "ill_treatment",
        /// Enforced disappearance.
        EnforcedDisappearance = "enforced_disappearance",
        /// Arbitrary detention.
        ArbitraryDetention = "arbitrary_detention",
        /// Summary, extrajudicial or arbitrary execution.
        SummaryExecution = "summary_execution",
        /// Threats, harassment or reprisals against defenders.
        ThreatsToDefenders = "threats_to_defenders",
        /// Any other act; describe it.
        Other = "other",
    }
}

vocabulary! {
    /// A method of torture or ill-treatment (after the review of methods in
    /// the Istanbul Protocol and the HURIDOCS "methods of violence").
    Method {
        /// Blunt trauma: punches, kicks, batons, falanga.
        Beating = "beating",
        /// Suspension by the arms, wrists or legs.
        Suspension = "suspension",
        /// Electric shocks.
        ElectricShock = "electric_shock",
        /// Asphyxiation: wet or dry submarino, bags, chokeholds.
        Asphyxiation = "asphyxiation",
        /// Rape or other sexual violence.
        SexualViolence = "sexual_violence",
        /// Burns: cigarettes, hot objects, chemicals.
        Burns = "burns",
        /// Forced positions held for long periods.
        StressPositions = "stress_positions",
        /// Deprivation of sleep.
        SleepDeprivation = "sleep_deprivation",
        /// Solitary confinement or other isolation.
        SolitaryConfinement = "solitary_confinement",
        /// Threats of death, harm to family, further torture.
        Threats = "threats",
        /// Mock execution.
        MockExecution = "mock_execution",
        /// Humiliation, including acts aimed at identity, gender or sexual
        /// orientation.
        Humiliation = "humiliation",
        /// Denial of medical care.
        DenialOfMedicalCare = "denial_of_medical_care",
        /// Deprivation of food or water.
        DeprivationOfFoodOrWater = "deprivation_of_food_or_water",
        /// Forced nudity.
        ForcedNudity = "forced_nudity",
        /// Any other method; describe it.
        Other = "other",
    }
}

vocabulary! {
    /// The type of a place of detention or of the events.
    PlaceType {
        /// A police station or police custody.
        PoliceStation = "police_station",
        /// A prison (after sentence).
        Prison = "prison",
        /// A pre-trial detention centre or remand prison.
        PretrialDetentionCentre = "pretrial_detention_centre",
        /// A military base, camp or barracks.
        MilitaryFacility = "military_facility",
        /// A facility of an intelligence or state-security service.
        IntelligenceFacility = "intelligence_facility",
        /// Immigration detention.
        ImmigrationDetention = "immigration_detention",
        /// A psychiatric or social-care institution.
        PsychiatricInstitution = "psychiatric_institution",
        /// An unofficial or secret place of detention.
        UnofficialPlace = "unofficial_place",
        /// A vehicle (transfer, arrest).
        Vehicle = "vehicle",
        /// A street, square or other public space.
        PublicSpace = "public_space",
        /// A private home.
        PrivateHome = "private_home",
        /// Any other place; describe it.
        Other = "other",
    }
}

vocabulary! {
    /// The institution a perpetrator belongs to (HURIDOCS "types of
    /// perpetrators", simplified).
    Institution {
        /// Police.
        Police = "police",
        /// Armed forces.
        Military = "military",
        /// Intelligence or state-security services.
        Intelligence = "intelligence",
        /// Prison staff.
        PrisonStaff = "prison_staff",
        /// Gendarmerie or other police with military status.
        Gendarmerie = "gendarmerie",
        /// Paramilitary forces or militias acting with the state.
        Paramilitary = "paramilitary",
        /// Judges, prosecutors or court staff.
        Judiciary = "judiciary",
        /// A non-state armed group.
        NonStateArmedGroup = "non_state_armed_group",
        /// A private security company.
        PrivateSecurity = "private_security",
        /// Any other institution; describe it.
        Other = "other",
        /// Not known.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// The degree of involvement of a perpetrator in an act (HURIDOCS
    /// "degrees of involvement").
    Involvement {
        /// Committed the act.
        Direct = "direct",
        /// Ordered or instigated the act.
        Ordered = "ordered",
        /// Took part, assisted or was present and helped.
        Complicit = "complicit",
        /// Knew, or had to know, and consented or did not act.
        Acquiesced = "acquiesced",
        /// Not known.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// Whether an alleged perpetrator is a single person or a unit.
    PerpetratorKind {
        /// A single person.
        Individual = "individual",
        /// A unit, squad, service or other group.
        Unit = "unit",
    }
}

vocabulary! {
    /// A use of the record that a person consents to. Every export and
    /// submission is checked against these.
    ConsentScope {
        /// Send the material to OMCT, end-to-end encrypted.
        ShareWithOmct = "share_with_omct",
        /// Use the material in proceedings before a court or treaty body.
        Litigation = "litigation",
        /// Publish the material (urgent appeal, report, press).
        Publication = "publication",
        /// Count the case, without identifying anyone, in statistics such
        /// as the SOS-Torture index.
        AnonymisedStatistics = "anonymised_statistics",
    }
}

vocabulary! {
    /// How consent was given and recorded.
    ConsentMethod {
        /// Said aloud, noted by the person recording it.
        Oral = "oral",
        /// Signed on paper.
        Written = "written",
        /// Given on an audio recording.
        AudioRecorded = "audio_recorded",
        /// Given on a video recording.
        VideoRecorded = "video_recorded",
        /// Any other way; describe it in the note.
        Other = "other",
    }
}

vocabulary! {
    /// A follow-up need (HURIDOCS "types of intervention", narrowed).
    FollowUpKind {
        /// Medical care or a medical examination.
        Medical = "medical",
        /// Psychological care or evaluation.
        Psychological = "psychological",
        /// Legal aid: complaint, representation, litigation.
        Legal = "legal",
        /// Social assistance: housing, income, schooling.
        SocialAssistance = "social_assistance",
        /// An urgent appeal by OMCT.
        UrgentAppeal = "urgent_appeal",
        /// Moving the person to safety.
        Relocation = "relocation",
        /// Any other need; describe it.
        Other = "other",
    }
}

vocabulary! {
    /// Where a follow-up need stands.
    FollowUpStatus {
        /// Identified, nothing done yet.
        Open = "open",
        /// Being acted on.
        InProgress = "in_progress",
        /// Met.
        Done = "done",
        /// No longer pursued.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// Where a case stands.
    CaseStatus {
        /// Being documented.
        Open = "open",
        /// Documented, being checked.
        UnderReview = "under_review",
        /// Sent to OMCT.
        Submitted = "submitted",
        /// Closed.
        Closed = "closed",
    }
}

vocabulary! {
    /// Gender, as the person states it.
    Gender {
        /// Female.
        Female = "female",
        /// Male.
        Male = "male",
        /// Non-binary.
        NonBinary = "non_binary",
        /// Another gender.
        Other = "other",
        /// The person chose not to say.
        Undisclosed = "undisclosed",
    }
}

/// New cases start open.
impl Default for CaseStatus {
    fn default() -> Self {
        CaseStatus::Open
    }
}

/// New follow-up needs start open.
impl Default for FollowUpStatus {
    fn default() -> Self {
        FollowUpStatus::Open
    }
}

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
            incident_start: None,
            incident_end: None,
            country: None,
            location: None,
            participants: Vec::new(),
            tags: Vec::new(),
        }
    }
}

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
}

/// How, where and with whom an interview took place (Istanbul Protocol:
/// circumstances of the interview).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Interview {
    /// When the interview took place.
    #[serde(default)]
    pub date: Option<PartialDate>,
    /// Where it took place.
    #[serde(default)]
    pub place: Option<String>,
    /// Who conducted it.
    #[serde(default)]
    pub interviewer: Option<String>,
    /// Everyone else present (names or functions, e.g. "prison guard").
    #[serde(default)]
    pub people_present: Vec<String>,
    /// The interpreter, if any.
    #[serde(default)]
    pub interpreter: Option<String>,
    /// The language(s) of the interview.
    #[serde(default)]
    pub language: Option<String>,
    /// Privacy, safety and conditions of the interview: whether officials
    /// could see or hear, restraints, time allowed, interruptions.
    #[serde(default)]
    pub circumstances: Option<String>,
}

/// The history of detention and abuse, under the headings of the
/// Istanbul Protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Account {
    /// Background: the person's life, health and activities before the
    /// events (psychosocial history, pre-arrest).
    #[serde(default)]
    pub background: Option<String>,
    /// Circumstances of arrest and detention: when, by whom, how, what
    /// was said, whether family or a lawyer were told.
    #[serde(default)]
    pub arrest_and_detention: Option<String>,
    /// Places and conditions of detention, in order: transfers, cells,
    /// food, water, light, sanitation, contact with others.
    #[serde(default)]
    pub place_and_conditions: Option<String>,
    /// Methods of torture and ill-treatment alleged, coded.
    #[serde(default)]
    pub methods: Vec<Method>,
    /// Methods in the person's words: what, how often, how long, with what.
    #[serde(default)]
    pub methods_described: Option<String>,
    /// The perpetrators as the person describes them: number, uniforms,
    /// names, ranks, what they said.
    #[serde(default)]
    pub perpetrators_described: Option<String>,
    /// What happened after release (or transfer): treatment, threats,
    /// complaints made.
    #[serde(default)]
    pub after_release: Option<String>,
}

/// Physical and psychological complaints, acute and chronic (Istanbul
/// Protocol: symptoms and disabilities).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Complaints {
    /// Physical symptoms and injuries at the time of, and soon after, the
    /// abuse.
    #[serde(default)]
    pub physical_acute: Option<String>,
    /// Physical symptoms and disabilities that persist.
    #[serde(default)]
    pub physical_chronic: Option<String>,
    /// Psychological reactions at the time of, and soon after, the abuse.
    #[serde(default)]
    pub psychological_acute: Option<String>,
    /// Psychological symptoms that persist.
    #[serde(default)]
    pub psychological_chronic: Option<String>,
}

/// A testimony: one interview with one person, recorded under the
/// Istanbul Protocol headings, plus the account in the person's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Testimony {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The person who gave it (a [`Person`] record), if recorded.
    #[serde(default)]
    pub witness: Option<ItemId>,
    /// The circumstances of the interview.
    #[serde(default)]
    pub interview: Interview,
    /// The history of detention and abuse.
    #[serde(default)]
    pub account: Account,
    /// Physical and psychological complaints.
    #[serde(default)]
    pub complaints: Complaints,
    /// The testimony as told, in the person's words where possible.
    pub narrative: String,
}

impl Testimony {
    /// A new testimony in this case with this narrative and nothing else.
    pub fn new(case_id: ItemId, narrative: impl Into<String>) -> Testimony {
        Testimony {
            case_id,
            witness: None,
            interview: Interview::default(),
            account: Account::default(),
            complaints: Complaints::default(),
            narrative: narrative.into(),
        }
    }
}

/// An evidence item: the description of a payload kept, byte for byte, in
/// the vault's blob folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Evidence {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// What it shows.
    #[serde(default)]
    pub description: Option<String>,
    /// The file name it arrived with.
    #[serde(default)]
    pub original_name: Option<String>,
    /// The media type, `type/subtype` (`image/jpeg`).
    pub media_type: String,
    /// The size of the original, in bytes.
    pub size: u64,
    /// The SHA-256 of the original bytes: 64 lower-case hex digits.
    pub sha256: String,
    /// When it was captured, as the capture metadata or the person says
    /// (free form, e.g. an EXIF date with its offset).
    #[serde(default)]
    pub captured_at: Option<String>,
    /// Who collected it.
    #[serde(default)]
    pub collected_by: Option<String>,
    /// When it was collected.
    #[serde(default)]
    pub collected_on: Option<PartialDate>,
    /// Where it came from (the person, a hospital, a court file, a URL).
    #[serde(default)]
    pub source: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the file's own metadata says about its capture, read at intake.
    #[serde(default)]
    pub capture: Option<crate::capture::CaptureMetadata>,
    /// For a working copy: the original it was made from, and how.
    #[serde(default)]
    pub derived_from: Option<Derivation>,
}

/// How a working copy was made from an original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Derivation {
    /// The original evidence item.
    pub original: ItemId,
    /// The original's SHA-256, linking the copy to it whatever happens to
    /// the original later.
    pub original_sha256: String,
    /// What was done, in order.
    pub operations: Vec<crate::redact::Operation>,
}

impl Evidence {
    /// A new evidence record for this case. The payload facts (media type,
    /// size, SHA-256) are filled in by the vault at intake.
    pub fn new(case_id: ItemId) -> Evidence {
        Evidence {
            case_id,
            description: None,
            original_name: None,
            media_type: String::new(),
            size: 0,
            sha256: String::new(),
            captured_at: None,
            collected_by: None,
            collected_on: None,
            source: None,
            tags: Vec::new(),
            capture: None,
            derived_from: None,
        }
    }
}

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
}

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

// ---------------------------------------------------------------------------
// Validation helpers shared by the records below.

fn check_long_opt(field: &'static str, value: &Option<String>) -> Result<(), FieldError> {
    match value {
        Some(v) => check_long(field, v),
        None => Ok(()),
    }
}

/// A list of short texts: bounded length, each entry non-blank and short.
fn check_short_list(field: &'static str, list: &[String]) -> Result<(), FieldError> {
    check_list(field, list)?;
    list.iter().try_for_each(|v| check_short(field, v))
}

/// A list with no entry twice. Repeats would count one victim, method or
/// scope twice.
fn check_unique<T: Ord>(field: &'static str, list: &[T]) -> Result<(), FieldError> {
    let mut seen = BTreeSet::new();
    if list.iter().all(|v| seen.insert(v)) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "lists the same entry more than once",
        ))
    }
}

/// ISO 3166-1 alpha-2. Only the form is checked: a code list would need
/// updating as countries change, and the form is what makes counting work.
fn check_country(field: &'static str, value: &Option<String>) -> Result<(), FieldError> {
    match value {
        Some(c) if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) => {
            Err(FieldError::new(
                field,
                "is not a two-letter country code (ISO 3166-1 alpha-2 in capitals, such as TN)",
            ))
        }
        _ => Ok(()),
    }
}

/// Checks that `start` does not come after `end`. Partial dates are
/// compared at the precision both have (`2023-05` against `2023` compares
/// years only), so a range is never rejected for precision it lacks. The
/// dates must already have been checked.
fn check_order(
    field: &'static str,
    start: Option<&PartialDate>,
    end: Option<&PartialDate>,
    problem: &'static str,
) -> Result<(), FieldError> {
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(());
    };
    let n = start.0.len().min(end.0.len());
    match (start.0.get(..n), end.0.get(..n)) {
        (Some(s), Some(e)) if s > e => Err(FieldError::new(field, problem)),
        _ => Ok(()),
    }
}

const ENDS_BEFORE_START: &str = "is before the start date";

fn check_sha256(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "is not a SHA-256 digest (64 lower-case hexadecimal digits)",
        ))
    }
}

/// `type/subtype`, each an RFC 6838 restricted name (at most 127
/// characters, starting with a letter or digit). No parameters.
fn check_media_type(field: &'static str, value: &str) -> Result<(), FieldError> {
    let restricted_name = |s: &str| {
        s.len() <= 127
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match value.split_once('/') {
        Some((t, s)) if restricted_name(t) && restricted_name(s) => Ok(()),
        _ => Err(FieldError::new(
            field,
            "is not a media type of the form type/subtype (such as image/jpeg)",
        )),
    }
}

// ---------------------------------------------------------------------------
// Search index helpers.

fn push_text(out: &mut String, text: &str) {
    if !text.trim().is_empty() {
        out.push_str(text);
        out.push('\n');
    }
}

fn push_opt(out: &mut String, text: &Option<String>) {
    if let Some(t) = text {
        push_text(out, t);
    }
}

fn push_all(out: &mut String, texts: &[String]) {
    for t in texts {
        push_text(out, t);
    }
}

// ---------------------------------------------------------------------------
// Records.

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

impl Record for Testimony {
    const KIND: Kind = Kind::Testimony;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        let i = &self.interview;
        check_date("interview.date", &i.date)?;
        check_short_opt("interview.place", i.place.as_deref())?;
        check_short_opt("interview.interviewer", i.interviewer.as_deref())?;
        check_short_list("interview.people_present", &i.people_present)?;
        check_short_opt("interview.interpreter", i.interpreter.as_deref())?;
        check_short_opt("interview.language", i.language.as_deref())?;
        check_long_opt("interview.circumstances", &i.circumstances)?;

        let a = &self.account;
        check_long_opt("account.background", &a.background)?;
        check_long_opt("account.arrest_and_detention", &a.arrest_and_detention)?;
        check_long_opt("account.place_and_conditions", &a.place_and_conditions)?;
        check_list("account.methods", &a.methods)?;
        check_unique("account.methods", &a.methods)?;
        check_long_opt("account.methods_described", &a.methods_described)?;
        check_long_opt("account.perpetrators_described", &a.perpetrators_described)?;
        check_long_opt("account.after_release", &a.after_release)?;

        let c = &self.complaints;
        check_long_opt("complaints.physical_acute", &c.physical_acute)?;
        check_long_opt("complaints.physical_chronic", &c.physical_chronic)?;
        check_long_opt("complaints.psychological_acute", &c.psychological_acute)?;
        check_long_opt("complaints.psychological_chronic", &c.psychological_chronic)?;

        check_long("narrative", &self.narrative)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.narrative);

        let a = &self.account;
        push_opt(out, &a.background);
        push_opt(out, &a.arrest_and_detention);
        push_opt(out, &a.place_and_conditions);
        push_opt(out, &a.methods_described);
        push_opt(out, &a.perpetrators_described);
        push_opt(out, &a.after_release);

        let c = &self.complaints;
        push_opt(out, &c.physical_acute);
        push_opt(out, &c.physical_chronic);
        push_opt(out, &c.psychological_acute);
        push_opt(out, &c.psychological_chronic);

        let i = &self.interview;
        push_opt(out, &i.place);
        push_opt(out, &i.interviewer);
        push_all(out, &i.people_present);
        push_opt(out, &i.interpreter);
        push_opt(out, &i.language);
        push_opt(out, &i.circumstances);
    }
}

impl Record for Evidence {
    const KIND: Kind = Kind::Evidence;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_long_opt("description", &self.description)?;
        check_short_opt("original_name", self.original_name.as_deref())?;
        check_media_type("media_type", &self.media_type)?;
        check_sha256("sha256", &self.sha256)?;
        check_short_opt("captured_at", self.captured_at.as_deref())?;
        check_short_opt("collected_by", self.collected_by.as_deref())?;
        check_date("collected_on", &self.collected_on)?;
        check_short_opt("source", self.source.as_deref())?;
        check_tags("tags", &self.tags)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn same_fixed_facts(&self, previous: &Self) -> bool {
        self.sha256 == previous.sha256
            && self.size == previous.size
            && self.media_type == previous.media_type
            && self.case_id == previous.case_id
            && self.capture == previous.capture
            && self.derived_from == previous.derived_from
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.description);
        push_opt(out, &self.original_name);
        push_opt(out, &self.source);
        push_all(out, &self.tags);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::limits;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    fn date(s: &str) -> PartialDate {
        PartialDate(s.to_owned())
    }

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// Valid, serialises, and reads back equal.
    fn round_trip<T: Record>(value: &T) {
        value.validate().expect("sample is valid");
        let json = serde_json::to_string(value).expect("serialises");
        let back: T = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(&back, value);
    }

    fn field_of<T: Record>(value: &T) -> &'static str {
        value.validate().expect_err("should be rejected").field
    }

    fn check_vocabulary<T>(all: &[T], code: fn(T) -> &'static str, from_code: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + Debug + Serialize + DeserializeOwned,
    {
        assert!(!all.is_empty());
        let mut seen = BTreeSet::new();
        for &v in all {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", code(v)),
                "serde and code() disagree"
            );
            let back: T = serde_json::from_str(&json).unwrap();
            assert_eq!(back, v);
            assert_eq!(from_code(code(v)), Some(v));
            assert!(seen.insert(code(v)), "code {} repeated", code(v));
        }
        assert_eq!(from_code("no_such_code"), None);
    }

    #[test]
    fn vocabulary_codes_match_serde() {
        check_vocabulary(&Role::ALL, Role::code, Role::from_code);
        check_vocabulary(
            &Vulnerability::ALL,
            Vulnerability::code,
            Vulnerability::from_code,
        );
        check_vocabulary(
            &ViolationType::ALL,
            ViolationType::code,
            ViolationType::from_code,
        );
        check_vocabulary(&Method::ALL, Method::code, Method::from_code);
        check_vocabulary(&PlaceType::ALL, PlaceType::code, PlaceType::from_code);
        check_vocabulary(&Institution::ALL, Institution::code, Institution::from_code);
        check_vocabulary(&Involvement::ALL, Involvement::code, Involvement::from_code);
        check_vocabulary(
            &PerpetratorKind::ALL,
            PerpetratorKind::code,
            PerpetratorKind::from_code,
        );
        check_vocabulary(
            &ConsentScope::ALL,
            ConsentScope::code,
            ConsentScope::from_code,
        );
        check_vocabulary(
            &ConsentMethod::ALL,
            ConsentMethod::code,
            ConsentMethod::from_code,
        );
        check_vocabulary(
            &FollowUpKind::ALL,
            FollowUpKind::code,
            FollowUpKind::from_code,
        );
        check_vocabulary(
            &FollowUpStatus::ALL,
            FollowUpStatus::code,
            FollowUpStatus::from_code,
        );
        check_vocabulary(&CaseStatus::ALL, CaseStatus::code, CaseStatus::from_code);
        check_vocabulary(&Gender::ALL, Gender::code, Gender::from_code);
        assert_eq!(Role::ALL.len(), 9);
        assert_eq!(Method::ALL.len(), 16);
        assert_eq!(Role::AllegedPerpetrator.code(), "alleged_perpetrator");
        assert_eq!(ConsentScope::ShareWithOmct.code(), "share_with_omct");
    }

    fn sample_case() -> Case {
        let mut c = Case::new("Arrest of three students");
        c.summary = Some("Three students were arrested after a protest.\nTwo were beaten.".into());
        c.status = CaseStatus::UnderReview;
        c.urgent = true;
        c.incident_start = Some(date("2023-05"));
        c.incident_end = Some(date("2023-05-14"));
        c.country = Some("TN".into());
        c.location = Some("Sfax".into());
        let person = ItemId::random();
        c.participants = vec![
            Participant {
                person,
                role: Role::Victim,
                note: None,
            },
            Participant {
                person,
                role: Role::Witness,
                note: Some("saw the arrest of the other two".into()),
            },
        ];
        c.tags = vec!["students".into(), "protest-2023".into()];
        c
    }

    fn sample_person() -> Person {
        let mut p = Person::new("Amina B.");
        p.other_names = vec!["Amina Ben".into()];
        p.pseudonym = Some("Witness A".into());
        p.gender = Some(Gender::Female);
        p.birth_year = Some(2001);
        p.nationality = Some("TN".into());
        p.occupation = Some("student".into());
        p.vulnerabilities = vec![Vulnerability::Woman, Vulnerability::HumanRightsDefender];
        p.contact = Some("via the organisation's Sfax office\nask for M.".into());
        p
    }

    fn sample_testimony() -> Testimony {
        let mut t = Testimony::new(ItemId::random(), "They came at night and took us.");
        t.witness = Some(ItemId::random());
        t.interview = Interview {
            date: Some(date("2023-06-02")),
            place: Some("office of the organisation".into()),
            interviewer: Some("defender K.".into()),
            people_present: vec!["a psychologist".into()],
            interpreter: Some("interpreter S.".into()),
            language: Some("Arabic".into()),
            circumstances: Some("Private room, no officials present.\nBreaks taken.".into()),
        };
        t.account = Account {
            background: Some("Student, politically active.".into()),
            arrest_and_detention: Some("Arrested at home at 02:00.".into()),
            place_and_conditions: Some("Held three days in a basement cell.".into()),
            methods: vec![Method::Beating, Method::SleepDeprivation],
            methods_described: Some("Beaten on the soles of the feet.".into()),
            perpetrators_described: Some("Four men in plain clothes.".into()),
            after_release: Some("Threatened by phone.".into()),
        };
        t.complaints = Complaints {
            physical_acute: Some("Could not walk for a week.".into()),
            physical_chronic: Some("Pain in the feet when walking.".into()),
            psychological_acute: Some("Panic.".into()),
            psychological_chronic: Some("Nightmares, startles at night noises.".into()),
        };
        t
    }

    fn sample_evidence() -> Evidence {
        Evidence {
            case_id: ItemId::random(),
            description: Some("Photograph of bruises on the left arm".into()),
            original_name: Some("IMG_0042.JPG".into()),
            media_type: "image/jpeg".into(),
            size: 2_345_678,
            sha256: EMPTY_SHA256.into(),
            captured_at: Some("2023:05:15 10:12:00+01:00".into()),
            collected_by: Some("defender K.".into()),
            collected_on: Some(date("2023-05-16")),
            source: Some("the victim".into()),
            tags: vec!["injury".into()],
            capture: None,
            derived_from: None,
        }
    }

    fn sample_consent() -> Consent {
        Consent {
            case_id: ItemId::random(),
            given_by: Some(ItemId::random()),
            given_by_name: Some("Amina B.".into()),
            given_on: date("2023-06-02"),
            method: ConsentMethod::Oral,
            interpreter: Some("interpreter S.".into()),
            recorded_by: Some("defender K.".into()),
            scopes: vec![ConsentScope::ShareWithOmct, ConsentScope::Litigation],
            note: Some("No publication while her brother is detained.".into()),
            withdrawal: None,
        }
    }

    fn sample_violation() -> Violation {
        Violation {
            case_id: ItemId::random(),
            kind: ViolationType::Torture,
            methods: vec![Method::Beating, Method::Suspension],
            victims: vec![ItemId::random(), ItemId::random()],
            perpetrators: vec![ItemId::random()],
            place: Some(ItemId::random()),
            start: Some(date("2023-05-12")),
            end: Some(date("2023-05-14")),
            description: Some("Beaten during interrogation.".into()),
        }
    }

    fn sample_place() -> Place {
        Place {
            case_id: Some(ItemId::random()),
            name: "District police station no. 2".into(),
            kind: PlaceType::PoliceStation,
            authority: Some("Ministry of the Interior".into()),
            country: Some("TN".into()),
            locality: Some("Sfax".into()),
            coordinates: Some("34.74, 10.76".into()),
            note: Some("Cells in the basement.".into()),
        }
    }

    fn sample_perpetrator() -> Perpetrator {
        Perpetrator {
            case_id: ItemId::random(),
            kind: PerpetratorKind::Individual,
            name: Some("\"the Captain\"".into()),
            unit: Some("judicial police brigade".into()),
            rank: Some("captain".into()),
            institution: Institution::Police,
            involvement: Involvement::Ordered,
            note: Some("Named by two witnesses.".into()),
        }
    }

    fn sample_follow_up() -> FollowUp {
        FollowUp {
            case_id: ItemId::random(),
            kind: FollowUpKind::Medical,
            status: FollowUpStatus::InProgress,
            urgent: true,
            due: Some(date("2023-07")),
            note: Some("Orthopaedic examination.".into()),
        }
    }

    #[test]
    fn every_record_round_trips() {
        round_trip(&sample_case());
        round_trip(&Case::new("minimal"));
        round_trip(&sample_person());
        round_trip(&Person::new("minimal"));
        round_trip(&sample_testimony());
        round_trip(&Testimony::new(ItemId::random(), ""));
        round_trip(&sample_evidence());
        round_trip(&sample_consent());
        round_trip(&sample_violation());
        round_trip(&sample_place());
        round_trip(&sample_perpetrator());
        round_trip(&sample_follow_up());

        let mut withdrawn = sample_consent();
        withdrawn.withdrawal = Some(Withdrawal {
            on: date("2023-09"),
            scopes: vec![ConsentScope::Litigation],
            note: Some("Fears reprisals.".into()),
        });
        round_trip(&withdrawn);
    }

    #[test]
    fn kinds_and_case_links() {
        assert_eq!(Case::KIND, Kind::Case);
        assert_eq!(Person::KIND, Kind::Person);
        assert_eq!(Testimony::KIND, Kind::Testimony);
        assert_eq!(Evidence::KIND, Kind::Evidence);
        assert_eq!(Consent::KIND, Kind::Consent);
        assert_eq!(Violation::KIND, Kind::Violation);
        assert_eq!(Place::KIND, Kind::Place);
        assert_eq!(Perpetrator::KIND, Kind::Perpetrator);
        assert_eq!(FollowUp::KIND, Kind::FollowUp);

        assert_eq!(sample_case().case_id(), None);
        assert_eq!(sample_person().case_id(), None);
        let t = sample_testimony();
        assert_eq!(t.case_id(), Some(t.case_id));
        let mut p = sample_place();
        assert_eq!(Record::case_id(&p), p.case_id);
        p.case_id = None;
        assert_eq!(Record::case_id(&p), None);
    }

    #[test]
    fn older_records_still_read() {
        let c: Case = serde_json::from_str(r#"{"title":"old"}"#).unwrap();
        assert_eq!(c, Case::new("old"));
        let id = ItemId::random();
        let t: Testimony =
            serde_json::from_str(&format!(r#"{{"case_id":"{id}","narrative":"n"}}"#)).unwrap();
        assert_eq!(t, Testimony::new(id, "n"));
        let p: Person = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert_eq!(p, Person::new("x"));
    }

    #[test]
    fn rejects_empty_case_title() {
        assert_eq!(field_of(&Case::new("")), "title");
        assert_eq!(field_of(&Case::new("   ")), "title");
        let err = Case::new("").validate().unwrap_err();
        assert!(!err.to_string().contains("Arrest"));
    }

    #[test]
    fn rejects_over_long_name() {
        assert_eq!(
            field_of(&Person::new("x".repeat(limits::SHORT + 1))),
            "name"
        );
        Person::new("x".repeat(limits::SHORT)).validate().unwrap();
        let mut p = sample_person();
        p.other_names.push("a\nb".into());
        assert_eq!(field_of(&p), "other_names");
    }

    #[test]
    fn rejects_bad_country_codes() {
        for bad in ["tn", "TUN", "T1", "", "T", "ÉT"] {
            let mut c = sample_case();
            c.country = Some(bad.into());
            assert_eq!(field_of(&c), "country", "{bad:?}");
            let mut p = sample_person();
            p.nationality = Some(bad.into());
            assert_eq!(field_of(&p), "nationality", "{bad:?}");
            let mut pl = sample_place();
            pl.country = Some(bad.into());
            assert_eq!(field_of(&pl), "country", "{bad:?}");
        }
    }

    #[test]
    fn rejects_bad_birth_year() {
        for bad in [0, 1899, 2101] {
            let mut p = sample_person();
            p.birth_year = Some(bad);
            assert_eq!(field_of(&p), "birth_year");
        }
    }

    #[test]
    fn rejects_bad_sha256_and_media_type() {
        let upper = EMPTY_SHA256.to_uppercase();
        let short = &EMPTY_SHA256[..63];
        let not_hex = format!("g{}", &EMPTY_SHA256[1..]);
        for bad in ["", upper.as_str(), short, not_hex.as_str()] {
            let mut e = sample_evidence();
            e.sha256 = bad.into();
            assert_eq!(field_of(&e), "sha256", "{bad:?}");
        }
        for bad in [
            "",
            "image",
            "/jpeg",
            "image/",
            "image/jpeg; q=1",
            "im age/jpeg",
            "a/b/c",
        ] {
            let mut e = sample_evidence();
            e.media_type = bad.into();
            assert_eq!(field_of(&e), "media_type", "{bad:?}");
        }
        for ok in [
            "application/pdf",
            "application/vnd.oasis.opendocument.text",
            "audio/x-m4a",
        ] {
            let mut e = sample_evidence();
            e.media_type = ok.into();
            e.validate().unwrap();
        }
    }

    #[test]
    fn rejects_inverted_date_ranges() {
        let mut c = sample_case();
        c.incident_start = Some(date("2023-05-14"));
        c.incident_end = Some(date("2023-05-01"));
        assert_eq!(field_of(&c), "incident_end");

        let mut v = sample_violation();
        v.start = Some(date("2024"));
        v.end = Some(date("2023-06"));
        assert_eq!(field_of(&v), "end");

        // Compared only at the precision both have.
        for (start, end) in [
            ("2023-06", "2023"),
            ("2023", "2023-01-01"),
            ("2023-05-14", "2023-05-14"),
        ] {
            v.start = Some(date(start));
            v.end = Some(date(end));
            v.validate().unwrap();
        }

        v.start = Some(date("2023-02-30"));
        v.end = None;
        assert_eq!(field_of(&v), "start");
    }

    #[test]
    fn rejects_bad_consents() {
        let mut c = sample_consent();
        c.scopes.clear();
        assert_eq!(field_of(&c), "scopes");

        let mut c = sample_consent();
        c.scopes = vec![ConsentScope::Publication, ConsentScope::Publication];
        assert_eq!(field_of(&c), "scopes");

        let mut c = sample_consent();
        c.given_by = None;
        c.given_by_name = Some("  ".into());
        assert_eq!(field_of(&c), "given_by");
        c.given_by_name = Some("Amina B.".into());
        c.validate().unwrap();

        let mut c = sample_consent();
        c.withdrawal = Some(Withdrawal {
            on: date("2023-05"),
            scopes: Vec::new(),
            note: None,
        });
        assert_eq!(field_of(&c), "withdrawal.on");
    }

    #[test]
    fn consent_covers_granted_scopes_until_withdrawn() {
        let mut c = sample_consent();
        assert!(c.covers(ConsentScope::ShareWithOmct));
        assert!(c.covers(ConsentScope::Litigation));
        assert!(!c.covers(ConsentScope::Publication));
        assert!(!c.covers(ConsentScope::AnonymisedStatistics));

        // Partial withdrawal: only the scopes named.
        c.withdrawal = Some(Withdrawal {
            on: date("2023-09-01"),
            scopes: vec![ConsentScope::Litigation],
            note: None,
        });
        c.validate().unwrap();
        assert!(c.covers(ConsentScope::ShareWithOmct));
        assert!(!c.covers(ConsentScope::Litigation));
        assert!(!c.covers(ConsentScope::Publication));

        // Total withdrawal: no scope named means every scope.
        c.withdrawal = Some(Withdrawal {
            on: date("2023-09-01"),
            scopes: Vec::new(),
            note: None,
        });
        for scope in ConsentScope::ALL {
            assert!(!c.covers(scope), "{scope:?}");
        }
    }

    #[test]
    fn perpetrator_needs_a_name_or_a_unit() {
        let mut p = sample_perpetrator();
        p.name = None;
        p.validate().unwrap();
        p.unit = Some(" ".into());
        assert_eq!(field_of(&p), "name");
        p.kind = PerpetratorKind::Unit;
        p.unit = Some("riot police, 3rd company".into());
        p.validate().unwrap();
    }

    #[test]
    fn rejects_repeated_links() {
        let mut c = sample_case();
        let again = c.participants[0].clone();
        c.participants.push(again);
        assert_eq!(field_of(&c), "participants");

        let mut v = sample_violation();
        let first = v.victims[0];
        v.victims.push(first);
        assert_eq!(field_of(&v), "victims");
    }

    #[test]
    fn rejects_control_characters_and_bad_dates_in_testimony() {
        let mut t = sample_testimony();
        t.account.background = Some("a\u{0}b".into());
        assert_eq!(field_of(&t), "account.background");

        let mut t = sample_testimony();
        t.interview.language = Some("Arabic\nFrench".into());
        assert_eq!(field_of(&t), "interview.language");

        let mut t = sample_testimony();
        t.interview.date = Some(date("2023-13"));
        assert_eq!(field_of(&t), "interview.date");

        let mut t = sample_testimony();
        t.narrative = "x".repeat(limits::LONG + 1);
        assert_eq!(field_of(&t), "narrative");
    }

    #[test]
    fn index_text_holds_the_searchable_text() {
        let mut out = String::new();
        sample_case().index_text(&mut out);
        assert!(out.contains("Arrest of three students\n"));
        assert!(out.contains("Sfax\n"));
        assert!(out.contains("protest-2023\n"));

        let mut out = String::new();
        sample_testimony().index_text(&mut out);
        assert!(out.contains("They came at night and took us.\n"));
        assert!(out.contains("Beaten on the soles of the feet.\n"));
        assert!(out.contains("Nightmares"));
        assert!(out.contains("Private room"));

        let mut out = String::new();
        sample_person().index_text(&mut out);
        assert!(out.contains("Amina B.\n"));
        assert!(out.contains("Witness A\n"));

        let mut out = String::new();
        sample_evidence().index_text(&mut out);
        assert!(out.contains("IMG_0042.JPG\n"));

        let mut out = String::new();
        sample_perpetrator().index_text(&mut out);
        assert!(out.contains("judicial police brigade\n"));

        let mut out = String::new();
        Case::new("t").index_text(&mut out);
        assert_eq!(out, "t\n");
    }

    #[test]
    fn public_name_prefers_the_pseudonym() {
        let mut p = sample_person();
        assert_eq!(p.public_name(), "Witness A");
        p.pseudonym = Some(" ".into());
        assert_eq!(p.public_name(), "Amina B.");
        p.pseudonym = None;
        assert_eq!(p.public_name(), "Amina B.");
    }
}
