use std::collections::BTreeSet;

use serde::Serialize;

use super::*;
use crate::record::limits;
use crate::record::*;
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
    check_vocabulary(
        &DetentionStatus::ALL,
        DetentionStatus::code,
        DetentionStatus::from_code,
    );
    check_vocabulary(&Access::ALL, Access::code, Access::from_code);
    check_vocabulary(
        &ProceedingStage::ALL,
        ProceedingStage::code,
        ProceedingStage::from_code,
    );
    check_vocabulary(
        &ProceedingOutcome::ALL,
        ProceedingOutcome::code,
        ProceedingOutcome::from_code,
    );
    check_vocabulary(
        &AssistanceDecision::ALL,
        AssistanceDecision::code,
        AssistanceDecision::from_code,
    );
    assert_eq!(Role::ALL.len(), 9);
    assert_eq!(Method::ALL.len(), 20);
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
        guardian: None,
        child_assent: None,
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

fn sample_detention() -> Detention {
    Detention {
        case_id: ItemId::random(),
        person: ItemId::random(),
        place: Some(ItemId::random()),
        status: DetentionStatus::Incommunicado,
        arrested_on: Some(date("2026-11-23")),
        released_on: None,
        institution: Some(Institution::Intelligence),
        authority: Some("State Security, Ministry of the Interior".into()),
        charges: vec!["spreading false news".into()],
        provisions: vec!["Penal Code, art. 128".into()],
        lawyer: Access::Denied,
        family: Access::Denied,
        doctor: Access::Unknown,
        health: Some("Diabetic; no insulin since arrest.".into()),
        conditions: None,
        note: None,
    }
}

fn sample_proceeding() -> Proceeding {
    Proceeding {
        case_id: ItemId::random(),
        stage: ProceedingStage::Complaint,
        date: Some(date("2026-11-25")),
        body: Some("Public prosecutor, Tunis".into()),
        reference: Some("2026/1187".into()),
        outcome: ProceedingOutcome::NoResponse,
        outcome_note: None,
        people: vec![ItemId::random()],
        detention: None,
        note: None,
    }
}

fn sample_assistance() -> Assistance {
    Assistance {
        case_id: ItemId::random(),
        beneficiary: Some(ItemId::random()),
        needs: vec![FollowUpKind::Medical, FollowUpKind::Psychological],
        description: Some("Surgery on the left wrist.".into()),
        requested_on: Some(date("2026-11-30")),
        amount: Some("1250.50".into()),
        currency: Some("EUR".into()),
        supporting: vec![ItemId::random()],
        other_support: None,
        decision: AssistanceDecision::PartlyGranted,
        decided_on: Some(date("2026-12-02")),
        payments: vec![Payment {
            on: date("2026-12-03"),
            amount: "800".into(),
            note: None,
        }],
        outcome: None,
    }
}

#[test]
fn programme_records_round_trip_and_check_their_fields() {
    round_trip(&sample_detention());
    round_trip(&sample_proceeding());
    round_trip(&sample_assistance());
    assert_eq!(Detention::KIND.code(), 12);
    assert_eq!(Proceeding::KIND.code(), 13);
    assert_eq!(Assistance::KIND.code(), 14);

    let mut d = sample_detention();
    d.released_on = Some(date("2026-10"));
    assert_eq!(field_of(&d), "released_on");
    let mut d = sample_detention();
    d.charges.push("  ".into());
    assert_eq!(field_of(&d), "charges");

    let mut a = sample_assistance();
    a.needs.clear();
    assert_eq!(field_of(&a), "needs");
    let mut a = sample_assistance();
    a.needs.push(FollowUpKind::UrgentAppeal);
    assert_eq!(field_of(&a), "needs");
    for bad in ["12,50", "-5", "1.234", "", ".5", "1e3"] {
        let mut a = sample_assistance();
        a.amount = Some(bad.into());
        assert_eq!(field_of(&a), "amount", "{bad}");
    }
    let mut a = sample_assistance();
    a.currency = Some("eur".into());
    assert_eq!(field_of(&a), "currency");
    let mut a = sample_assistance();
    a.currency = None;
    assert_eq!(field_of(&a), "currency");
    let mut a = sample_assistance();
    a.payments[0].amount = "eight hundred".into();
    assert_eq!(field_of(&a), "payments.amount");
    let mut a = sample_assistance();
    a.decided_on = Some(date("2026-11-01"));
    assert_eq!(field_of(&a), "decided_on");

    let mut p = sample_proceeding();
    p.people.push(p.people[0]);
    assert_eq!(field_of(&p), "people");
    assert!(ProceedingStage::TreatyBodyComplaint.is_international());
    assert!(!ProceedingStage::Judgment.is_international());
}

#[test]
fn a_childs_own_consent_needs_a_guardian_and_assent() {
    let mut c = sample_consent();
    assert!(c.covers_own(ConsentScope::Litigation, false));
    assert!(!c.covers_own(ConsentScope::Litigation, true));
    c.guardian = Some("her father".into());
    assert!(!c.covers_own(ConsentScope::Litigation, true));
    c.child_assent = Some(false);
    assert!(!c.covers_own(ConsentScope::Litigation, true));
    c.child_assent = Some(true);
    assert!(c.covers_own(ConsentScope::Litigation, true));
    assert!(!c.covers_own(ConsentScope::Publication, true));
    c.guardian = Some("  ".into());
    assert!(!c.covers_own(ConsentScope::Litigation, true));

    let mut p = Person::new("S.");
    assert!(!p.was_a_child(2026));
    p.age_at_events = Some(15);
    assert!(p.was_a_child(2026));
    p.age_at_events = Some(18);
    assert!(!p.was_a_child(2026));
    p.birth_year = Some(2010);
    assert!(p.was_a_child(2026));
    p.age_at_events = Some(131);
    assert_eq!(field_of(&p), "age_at_events");
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

#[test]
fn only_an_urgent_case_has_a_reason_for_urgency() {
    let mut c = sample_case();
    c.urgent_reason = Some(UrgentReason::HealthEmergency);
    c.urgent_note = Some("Needs insulin; refused since Monday.".into());
    assert!(c.validate().is_ok());
    round_trip(&c);
    c.urgent = false;
    let err = c.validate().err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("urgent_reason")),
        "{err:?}"
    );
    c.urgent_reason = None;
    assert!(c.validate().is_err(), "a note without urgency was taken");
    c.urgent_note = None;
    assert!(c.validate().is_ok());
}
