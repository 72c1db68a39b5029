//! The coded controlled vocabularies of the case model: each an enum whose
//! stable code is the snake_case string stored on disk.

use serde::{Deserialize, Serialize};

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
        /// Chemical irritants: tear gas, pepper spray, used on a person
        /// held or at close range (less-lethal weapons, as the Torture
        /// Index counts them).
        ChemicalIrritants = "chemical_irritants",
        /// Projectiles meant not to kill: rubber or plastic bullets,
        /// bean bags, pellets.
        ImpactProjectiles = "impact_projectiles",
        /// Electric-shock weapons: tasers, stun guns, shock batons, shock
        /// belts.
        ElectricShockWeapons = "electric_shock_weapons",
        /// Restraints used to hurt: shackles, spit hoods, restraint chairs,
        /// cuffs held too tight or too long.
        Restraints = "restraints",
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
    /// Whether a violation happened in custody: what the Torture Index's
    /// pillar on deprivation of liberty counts. Not recorded apart: it
    /// follows from the type of the place where the violation happened
    /// ([`PlaceType::custodial_context`]).
    CustodialContext {
        /// Where people are held, or in the hands of agents moving them (a
        /// police station, a prison, a secret place, a vehicle).
        Custodial = "custodial",
        /// In a public space or a private home.
        NonCustodial = "non_custodial",
    }
}

impl PlaceType {
    /// Whether a violation at a place of this type happened in custody;
    /// unknown for `other`.
    pub fn custodial_context(self) -> Option<CustodialContext> {
        match self {
            PlaceType::PoliceStation
            | PlaceType::Prison
            | PlaceType::PretrialDetentionCentre
            | PlaceType::MilitaryFacility
            | PlaceType::IntelligenceFacility
            | PlaceType::ImmigrationDetention
            | PlaceType::PsychiatricInstitution
            | PlaceType::UnofficialPlace
            | PlaceType::Vehicle => Some(CustodialContext::Custodial),
            PlaceType::PublicSpace | PlaceType::PrivateHome => Some(CustodialContext::NonCustodial),
            PlaceType::Other => None,
        }
    }
}

vocabulary! {
    /// Why a case is urgent: what OMCT's urgent appeals and the SOS
    /// Defenders programme act on first.
    UrgentReason {
        /// A human-rights defender at imminent risk.
        DefenderAtRisk = "defender_at_risk",
        /// A person held with no contact with family, lawyer or doctor.
        IncommunicadoDetention = "incommunicado_detention",
        /// A transfer, deportation or extradition about to happen.
        ImminentTransfer = "imminent_transfer",
        /// A health emergency in custody.
        HealthEmergency = "health_emergency",
        /// A death in custody.
        DeathInCustody = "death_in_custody",
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
        /// Border guards, coast guards or immigration services.
        BorderImmigration = "border_immigration",
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
        /// Support to the family: a detained person's children, prison
        /// visits, a family left without income.
        FamilySupport = "family_support",
        /// Security: protective measures, secure communication, a safe
        /// place for a night.
        Security = "security",
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

vocabulary! {
    /// Where a detained person stands.
    DetentionStatus {
        /// Held, and where is known.
        Detained = "detained",
        /// Held with no contact with family, lawyer or doctor.
        Incommunicado = "incommunicado",
        /// Held where the authorities will not say, or deny holding them
        /// (enforced disappearance).
        Disappeared = "disappeared",
        /// Released, with or without conditions.
        Released = "released",
        /// Died in custody.
        DiedInCustody = "died_in_custody",
        /// Not known.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// Whether a detained person can see a lawyer, their family or a
    /// doctor (the fundamental safeguards of the first hours of custody).
    Access {
        /// Allowed, in private and without delay.
        Granted = "granted",
        /// Allowed late, rarely, or only in the presence of officers.
        Restricted = "restricted",
        /// Refused.
        Denied = "denied",
        /// Not known.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// A step of proceedings: the domestic remedies tried (what a UN
    /// committee asks about for admissibility) and the international
    /// procedures seized.
    ProceedingStage {
        /// A complaint to the police, a prosecutor or an oversight body.
        Complaint = "complaint",
        /// An investigation opened (or refused).
        Investigation = "investigation",
        /// A prosecution of the alleged perpetrators.
        Prosecution = "prosecution",
        /// A hearing: on the detention, the charges or the complaint.
        Hearing = "hearing",
        /// A judgment or decision.
        Judgment = "judgment",
        /// An appeal against a decision.
        Appeal = "appeal",
        /// Reparation: compensation, rehabilitation, restitution, apology.
        Reparation = "reparation",
        /// A communication to a UN special procedure (Special Rapporteur
        /// on torture or on defenders, Working Group on Arbitrary
        /// Detention or on Enforced Disappearances).
        UnCommunication = "un_communication",
        /// An individual complaint to a UN treaty body (CAT, Human Rights
        /// Committee, CED, ...).
        TreatyBodyComplaint = "treaty_body_complaint",
        /// A complaint to a regional body (African Commission, European
        /// Court, Inter-American Commission, ...).
        RegionalComplaint = "regional_complaint",
    }
}

impl ProceedingStage {
    /// Whether the step is before an international body rather than a
    /// domestic one ("other international procedures" in a complaint).
    pub fn is_international(self) -> bool {
        matches!(
            self,
            ProceedingStage::UnCommunication
                | ProceedingStage::TreatyBodyComplaint
                | ProceedingStage::RegionalComplaint
        )
    }
}

vocabulary! {
    /// How a step of proceedings came out.
    ProceedingOutcome {
        /// Not decided yet.
        Pending = "pending",
        /// No answer, or no action, after a reasonable time.
        NoResponse = "no_response",
        /// Rejected, dismissed or closed without result.
        Rejected = "rejected",
        /// Decided in the person's favour, in whole or in part.
        Upheld = "upheld",
        /// Stopped: withdrawn, suspended, time-barred.
        Discontinued = "discontinued",
    }
}

vocabulary! {
    /// What OMCT decided on an assistance request.
    AssistanceDecision {
        /// Not decided yet.
        Pending = "pending",
        /// Granted in full.
        Granted = "granted",
        /// Granted in part.
        PartlyGranted = "partly_granted",
        /// Refused.
        Refused = "refused",
        /// Withdrawn by those who asked.
        Withdrawn = "withdrawn",
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

/// A step of proceedings starts pending.
impl Default for ProceedingOutcome {
    fn default() -> Self {
        ProceedingOutcome::Pending
    }
}

/// An assistance request starts undecided.
impl Default for AssistanceDecision {
    fn default() -> Self {
        AssistanceDecision::Pending
    }
}

/// What is not known is not known.
impl Default for Access {
    fn default() -> Self {
        Access::Unknown
    }
}
