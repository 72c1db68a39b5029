//! The coded vocabularies, with every code the interface may show.

use serde::Serialize;
use specta::Type;
use temoin_vault::case::{
    Access, AssistanceDecision, CaseStatus, ConsentMethod, ConsentScope, CustodialContext,
    DetentionStatus, FollowUpKind, FollowUpStatus, Gender, Institution, Involvement, Method,
    PerpetratorKind, PlaceType, ProceedingOutcome, ProceedingStage, Role, UrgentReason,
    ViolationType, Vulnerability,
};

#[derive(Clone, Debug, Serialize, Type)]
pub struct Vocabulary {
    pub roles: Vec<String>,
    pub vulnerabilities: Vec<String>,
    pub violation_types: Vec<String>,
    pub methods: Vec<String>,
    pub place_types: Vec<String>,
    pub consent_scopes: Vec<String>,
    pub consent_methods: Vec<String>,
    pub case_statuses: Vec<String>,
    pub genders: Vec<String>,
    pub follow_up_kinds: Vec<String>,
    pub follow_up_statuses: Vec<String>,
    pub perpetrator_kinds: Vec<String>,
    pub institutions: Vec<String>,
    pub involvements: Vec<String>,
    pub urgent_reasons: Vec<String>,
    pub custodial_contexts: Vec<String>,
    pub detention_statuses: Vec<String>,
    pub accesses: Vec<String>,
    pub proceeding_stages: Vec<String>,
    pub proceeding_outcomes: Vec<String>,
    pub assistance_decisions: Vec<String>,
}

macro_rules! codes {
    ($t:ty) => {
        <$t>::ALL.iter().map(|v| v.code().to_owned()).collect()
    };
}

#[tauri::command]
#[specta::specta]
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        roles: codes!(Role),
        vulnerabilities: codes!(Vulnerability),
        violation_types: codes!(ViolationType),
        methods: codes!(Method),
        place_types: codes!(PlaceType),
        consent_scopes: codes!(ConsentScope),
        consent_methods: codes!(ConsentMethod),
        case_statuses: codes!(CaseStatus),
        genders: codes!(Gender),
        follow_up_kinds: codes!(FollowUpKind),
        follow_up_statuses: codes!(FollowUpStatus),
        perpetrator_kinds: codes!(PerpetratorKind),
        institutions: codes!(Institution),
        involvements: codes!(Involvement),
        urgent_reasons: codes!(UrgentReason),
        custodial_contexts: codes!(CustodialContext),
        detention_statuses: codes!(DetentionStatus),
        accesses: codes!(Access),
        proceeding_stages: codes!(ProceedingStage),
        proceeding_outcomes: codes!(ProceedingOutcome),
        assistance_decisions: codes!(AssistanceDecision),
    }
}
