//! Publication bundles (docs/FORMAT.md, "Purposes"): working copies only,
//! nothing that locates, only people whose consent covers publication.
//! The photo is made with ImageMagick (`/usr/bin/convert`) and tagged with
//! `exiftool`, and the working copy that comes out of the bundle is checked
//! with `exiftool` too (`make test` installs both).

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use temoin_bundle::{read_bundle, Purpose, ReadOptions, Report, FORMAT_V1, FORMAT_V2};
use temoin_crypto::payload::PayloadIdentity;
use temoin_vault::case::{Case, Consent, ConsentMethod, ConsentScope, Evidence, Person, Testimony};
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, KdfChoice, PartialDate, Passphrase, Vault};

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("run a tool (make test installs imagemagick and exiftool)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A JPEG carrying a position, a time, a device and an author, as a phone
/// would write it.
fn tagged_photo(dir: &Path) -> PathBuf {
    let path = dir.join("market-street-photo.jpg");
    run(Command::new("/usr/bin/convert")
        .args(["-size", "320x240", "plasma:fractal", "-seed", "7"])
        .arg(&path));
    run(Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8065",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=10.1815",
            "-GPSLongitudeRef=E",
            "-DateTimeOriginal=2024:03:05 14:22:10",
            "-Make=Samsung",
            "-Model=SM-A515F",
            "-XMP:Creator=Some Name",
        ])
        .arg(&path));
    path
}

/// What exiftool finds of the groups that can locate or identify.
fn identifying_tags(path: &Path) -> String {
    run(Command::new("exiftool")
        .args([
            "-s",
            "-G",
            "-EXIF:all",
            "-GPS:all",
            "-XMP:all",
            "-IPTC:all",
            "-File:Comment",
        ])
        .arg(path))
}

fn consent(case: ItemId, by: ItemId, name: &str, scopes: &[ConsentScope]) -> Consent {
    Consent {
        case_id: case,
        given_by: Some(by),
        given_by_name: Some(name.to_owned()),
        given_on: PartialDate("2024-03-05".into()),
        method: ConsentMethod::Oral,
        interpreter: None,
        recorded_by: None,
        scopes: scopes.to_vec(),
        guardian: None,
        child_assent: None,
        note: Some(format!("{name} said yes")),
        withdrawal: None,
    }
}

struct World {
    dir: tempfile::TempDir,
    vault: Vault,
    case: ItemId,
    photo: ItemId,
    photo_bytes: Vec<u8>,
    copy: ItemId,
    report: ItemId,
    publishing: ItemId,
    omct_only: ItemId,
    omct_only_testimony: ItemId,
}

/// A case with: a photo with GPS and its stripped working copy; a medical
/// report (an original with no working copy); a witness whose consent
/// covers publication and her testimony; a witness whose consent covers
/// only sharing with OMCT, and her testimony.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(
        &dir.path().join("v"),
        &Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let case = v.add(&Case::new("Arrest at the market")).unwrap();
    let publishing = v.add(&Person::new("Witness Amal")).unwrap();
    let omct_only = v.add(&Person::new("Witness Basma")).unwrap();
    v.add(&consent(
        case,
        publishing,
        "Witness Amal",
        &[
            ConsentScope::ShareWithOmct,
            ConsentScope::Litigation,
            ConsentScope::Publication,
        ],
    ))
    .unwrap();
    v.add(&consent(
        case,
        omct_only,
        "Witness Basma",
        &[ConsentScope::ShareWithOmct],
    ))
    .unwrap();
    let mut t = Testimony::new(case, "She was taken at dawn.");
    t.witness = Some(publishing);
    v.add(&t).unwrap();
    let mut t = Testimony::new(case, "Basma's own account.");
    t.witness = Some(omct_only);
    let omct_only_testimony = v.add(&t).unwrap();

    let photo_path = tagged_photo(dir.path());
    let photo_bytes = std::fs::read(&photo_path).unwrap();
    let photo = v.ingest_file(case, &photo_path, &mut |_| {}).unwrap().id;
    let gps = v
        .require::<Evidence>(photo)
        .unwrap()
        .record
        .capture
        .unwrap();
    assert!(gps.gps.is_some(), "the fixture must carry a position");
    let copy = v.redact(photo, true, &[]).unwrap().id;
    std::fs::write(
        dir.path().join("medical-report.txt"),
        b"Examined on 6 March: bruises consistent with the account.\n",
    )
    .unwrap();
    let report = v
        .ingest_file(case, &dir.path().join("medical-report.txt"), &mut |_| {})
        .unwrap()
        .id;
    World {
        dir,
        vault: v,
        case,
        photo,
        photo_bytes,
        copy,
        report,
        publishing,
        omct_only,
        omct_only_testimony,
    }
}

fn export(w: &mut World, purpose: Purpose, to: &PayloadIdentity) -> Vec<u8> {
    let mut out = Vec::new();
    w.vault
        .export_bundle(
            w.case,
            &ExportOptions {
                purpose,
                recipients: vec![to.recipient()],
                supersedes: None,
                part: None,
            },
            &mut out,
        )
        .unwrap();
    out
}

/// Reads and unpacks a bundle into `name` under the world's folder.
fn open(w: &World, bytes: &[u8], to: &PayloadIdentity, name: &str) -> (Report, PathBuf) {
    let out = w.dir.path().join(name);
    let report = read_bundle(
        bytes,
        std::slice::from_ref(to),
        &ReadOptions {
            trusted_devices: &[w.vault.device_public_key()],
            out_dir: Some(&out),
        },
    )
    .unwrap();
    (report, out)
}

/// The bundle's whole plaintext (the tar archive).
fn plaintext(bytes: &[u8], to: &PayloadIdentity) -> Vec<u8> {
    let mut plain = Vec::new();
    PayloadIdentity::decrypt_any(std::slice::from_ref(to), bytes)
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_publication_carries_working_copies_only_and_nothing_that_locates() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    let bytes = export(&mut w, Purpose::Publication, &omct);
    let (report, dir) = open(&w, &bytes, &omct, "publication");
    assert!(report.genuine(), "{:?}", report.problems);
    let m = report.manifest.unwrap();
    assert_eq!(m.purpose, Purpose::Publication);
    assert_eq!(m.format, FORMAT_V2);

    // The one evidence file is the working copy, clean by exiftool's
    // reading, and no file of the bundle is an original.
    let evidence: Vec<_> = m.files.iter().filter_map(|f| f.item).collect();
    assert_eq!(evidence, vec![w.copy]);
    let copy_path = dir.join(
        &m.files
            .iter()
            .find(|f| f.item == Some(w.copy))
            .unwrap()
            .path,
    );
    let copy_bytes = std::fs::read(&copy_path).unwrap();
    assert_ne!(copy_bytes, w.photo_bytes);
    let tags = identifying_tags(&copy_path);
    assert!(
        tags.trim().is_empty(),
        "the published copy still has: {tags}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names, vec![copy_path.clone()]);
    for path in &names {
        assert_ne!(std::fs::read(path).unwrap(), w.photo_bytes);
    }

    // Nowhere in the archive: the original's metadata, its file name, the
    // medical report.
    let plain = plaintext(&bytes, &omct);
    for needle in [
        &b"Exif\0\0"[..],
        b"Some Name",
        b"Samsung",
        b"SM-A515F",
        b"market-street-photo",
        b"medical-report",
        b"bruises consistent",
        b"36.80",
        b"10.18",
    ] {
        assert!(
            !contains(&plain, needle),
            "the bundle holds {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    // Not even as a record: the originals are not among the items, and the
    // working copy's record gives no position.
    assert!(m.items.iter().all(|i| i.id != w.photo && i.id != w.report));
    let copy_record = &m.items.iter().find(|i| i.id == w.copy).unwrap().record;
    assert!(copy_record["capture"]["gps"].is_null(), "{copy_record}");
    assert_eq!(copy_record["derived_from"]["original"], w.photo.to_string());

    // Each original is reported as left out, saying why.
    let reason = |id: ItemId| {
        m.withheld
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        reason(w.photo).contains(&w.copy.to_string()),
        "{:?}",
        m.withheld
    );
    assert!(
        reason(w.report).contains("no working copy"),
        "{:?}",
        m.withheld
    );

    // The person whose consent covers only OMCT is out, with her testimony,
    // and reported; the one who consented to publication is in.
    assert!(m.items.iter().any(|i| i.id == w.publishing));
    assert!(m.items.iter().all(|i| i.id != w.omct_only));
    assert!(m.items.iter().all(|i| i.id != w.omct_only_testimony));
    assert!(
        reason(w.omct_only).contains("publication"),
        "{:?}",
        m.withheld
    );
    assert!(reason(w.omct_only_testimony).contains("publication"));
    assert!(!contains(&plain, b"Basma"));

    // The README says what the bundle is for and what it carries.
    let readme = std::fs::read_to_string(dir.join("README.html")).unwrap();
    assert!(readme.contains("for publication"), "{readme}");
    assert!(readme.contains("working copies only"), "{readme}");
}

#[test]
fn litigation_and_omct_still_carry_the_originals() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    for (purpose, name) in [
        (Purpose::Litigation, "litigation"),
        (Purpose::ShareWithOmct, "omct"),
    ] {
        let bytes = export(&mut w, purpose, &omct);
        let (report, dir) = open(&w, &bytes, &omct, name);
        assert!(report.genuine(), "{:?}", report.problems);
        let m = report.manifest.unwrap();
        assert_eq!(m.format, FORMAT_V1);
        let photo = m.files.iter().find(|f| f.item == Some(w.photo)).unwrap();
        assert_eq!(std::fs::read(dir.join(&photo.path)).unwrap(), w.photo_bytes);
        assert!(m.files.iter().any(|f| f.item == Some(w.report)));
        assert!(m.files.iter().any(|f| f.item == Some(w.copy)));
        let record = &m.items.iter().find(|i| i.id == w.photo).unwrap().record;
        assert!(!record["capture"]["gps"].is_null());
        assert!(m.withheld.iter().all(|x| x.kind != "evidence"));
        let readme = std::fs::read_to_string(dir.join("README.html")).unwrap();
        assert!(readme.contains("the original"), "{readme}");
    }
}

#[test]
fn a_publication_without_consent_for_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(
        &dir.path().join("v"),
        &Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let case = v.add(&Case::new("c")).unwrap();
    v.add(&Consent::new(
        case,
        "the family",
        PartialDate("2024-03-05".into()),
        vec![ConsentScope::ShareWithOmct, ConsentScope::Litigation],
    ))
    .unwrap();
    let err = v
        .export_bundle(
            case,
            &ExportOptions {
                purpose: Purpose::Publication,
                recipients: vec![PayloadIdentity::generate().recipient()],
                supersedes: None,
                part: None,
            },
            Vec::new(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        temoin_vault::ExportError::NoConsent {
            scope: "publication"
        }
    ));
}

/// A child's identity never goes into a publication, whatever the consent
/// covers; it still goes to OMCT. A child is one marked so, or one whose
/// year of birth makes them under 18 at the time of the events.
#[test]
fn a_childs_identity_never_goes_into_a_publication() {
    let mut w = world();
    w.vault
        .update(w.case, &{
            let mut c = w.vault.require::<Case>(w.case).unwrap().record;
            c.incident_start = Some(PartialDate("2024-03".into()));
            c
        })
        .unwrap();
    let mut marked = Person::new("Child Dalia");
    marked
        .vulnerabilities
        .push(temoin_vault::case::Vulnerability::Child);
    let marked = w.vault.add(&marked).unwrap();
    let mut born = Person::new("Young Sami");
    born.birth_year = Some(2006); // 17 or 18 in March 2024
    let born = w.vault.add(&born).unwrap();
    let mut adult = Person::new("Grown Hedi");
    adult.birth_year = Some(2005); // 18 or 19: an adult
    let adult = w.vault.add(&adult).unwrap();
    let all = [
        ConsentScope::ShareWithOmct,
        ConsentScope::Litigation,
        ConsentScope::Publication,
    ];
    for (id, name) in [
        (marked, "Child Dalia"),
        (born, "Young Sami"),
        (adult, "Grown Hedi"),
    ] {
        w.vault.add(&consent(w.case, id, name, &all)).unwrap();
    }
    let omct = PayloadIdentity::generate();

    let bytes = export(&mut w, Purpose::Publication, &omct);
    let (report, _) = open(&w, &bytes, &omct, "publication-children");
    assert!(report.genuine(), "{:?}", report.problems);
    let m = report.manifest.unwrap();
    for child in [marked, born] {
        assert!(
            m.withheld
                .iter()
                .any(|x| x.id == child && x.reason.contains("child")),
            "{:?}",
            m.withheld
        );
        assert!(!m.items.iter().any(|i| i.id == child));
    }
    assert!(m.items.iter().any(|i| i.id == adult));
    let plain = plaintext(&bytes, &omct);
    assert!(!contains(&plain, b"Child Dalia"));
    assert!(!contains(&plain, b"Young Sami"));
    assert!(
        contains(&plain, b"Grown Hedi"),
        "the adult who consented goes"
    );

    // To OMCT, a child's own word is not enough: without a guardian's
    // consent and the child's own assent, the children stay out.
    let bytes = export(&mut w, Purpose::ShareWithOmct, &omct);
    let (report, _) = open(&w, &bytes, &omct, "omct-children-unguarded");
    let m = report.manifest.unwrap();
    for child in [marked, born] {
        assert!(
            m.withheld
                .iter()
                .any(|x| x.id == child && x.reason.contains("guardian")),
            "{:?}",
            m.withheld
        );
    }
    let plain = plaintext(&bytes, &omct);
    assert!(!contains(&plain, b"Child Dalia"));
    assert!(contains(&plain, b"Grown Hedi"));

    // With both recorded, the children go to OMCT (and still never into a
    // publication).
    for id in w.vault.list_in_case(w.case, temoin_vault::Kind::Consent) {
        let mut c = w.vault.require::<Consent>(id).unwrap().record;
        if c.given_by == Some(marked) || c.given_by == Some(born) {
            c.guardian = Some("their mother".into());
            c.child_assent = Some(true);
            w.vault.update(id, &c).unwrap();
        }
    }
    let bytes = export(&mut w, Purpose::ShareWithOmct, &omct);
    let plain = plaintext(&bytes, &omct);
    assert!(contains(&plain, b"Child Dalia"));
    assert!(contains(&plain, b"Young Sami"));
    let bytes = export(&mut w, Purpose::Publication, &omct);
    let plain = plaintext(&bytes, &omct);
    assert!(!contains(&plain, b"Child Dalia"));
    assert!(!contains(&plain, b"Young Sami"));
    // Nor the guardian's name, which would name the child's family.
    assert!(!contains(&plain, b"their mother"));
}

/// A child's own consent that does not hold (no guardian, no assent)
/// opens nothing: with no other consent, the case is not sealed at all.
#[test]
fn a_childs_consent_without_a_guardian_opens_no_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(
        &dir.path().join("v"),
        &Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let case = v.add(&Case::new("A boy held overnight")).unwrap();
    let mut boy = Person::new("Boy Rami");
    boy.age_at_events = Some(14);
    let boy = v.add(&boy).unwrap();
    let c = v
        .add(&consent(
            case,
            boy,
            "Boy Rami",
            &[ConsentScope::ShareWithOmct],
        ))
        .unwrap();
    let omct = PayloadIdentity::generate();
    let options = ExportOptions {
        purpose: Purpose::ShareWithOmct,
        recipients: vec![omct.recipient()],
        supersedes: None,
        part: None,
    };
    let err = v.export_bundle(case, &options, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("share_with_omct"), "{err}");
    let mut with_guardian = v.require::<Consent>(c).unwrap().record;
    with_guardian.guardian = Some("his father".into());
    with_guardian.child_assent = Some(true);
    v.update(c, &with_guardian).unwrap();
    v.export_bundle(case, &options, Vec::new()).unwrap();
}

/// The programmes' records in bundles: a detention goes only with the
/// person held; an assistance request goes to OMCT and to litigation but
/// never into a publication; a step of proceedings goes as a violation
/// does.
#[test]
fn programme_records_follow_their_persons_consent() {
    use temoin_vault::case::{
        Access, Assistance, AssistanceDecision, Detention, DetentionStatus, FollowUpKind,
        Proceeding, ProceedingOutcome, ProceedingStage,
    };
    let mut w = world();
    let detention = |person: ItemId, health: &str| Detention {
        case_id: w.case,
        person,
        place: None,
        status: DetentionStatus::Incommunicado,
        arrested_on: Some(PartialDate("2024-03-04".into())),
        released_on: None,
        institution: None,
        authority: Some("State Security".into()),
        charges: vec![],
        provisions: vec![],
        lawyer: Access::Denied,
        family: Access::Denied,
        doctor: Access::Unknown,
        health: Some(health.into()),
        conditions: None,
        note: None,
    };
    let amal_held = detention(w.publishing, "Amal-health-marker");
    let basma_held = detention(w.omct_only, "Basma-health-marker");
    let amal_held = w.vault.add(&amal_held).unwrap();
    let basma_held = w.vault.add(&basma_held).unwrap();
    let hearing = w
        .vault
        .add(&Proceeding {
            case_id: w.case,
            stage: ProceedingStage::Hearing,
            date: Some(PartialDate("2024-03-10".into())),
            body: Some("Investigating judge".into()),
            reference: None,
            outcome: ProceedingOutcome::Rejected,
            outcome_note: Some("Hearing-marker".into()),
            people: vec![w.publishing, w.omct_only],
            detention: Some(amal_held),
            note: None,
        })
        .unwrap();
    let request = w
        .vault
        .add(&Assistance {
            case_id: w.case,
            beneficiary: Some(w.publishing),
            needs: vec![FollowUpKind::Medical],
            description: Some("Assistance-marker".into()),
            requested_on: None,
            amount: Some("900".into()),
            currency: Some("EUR".into()),
            supporting: vec![w.report],
            other_support: None,
            decision: AssistanceDecision::Pending,
            decided_on: None,
            payments: vec![],
            outcome: None,
        })
        .unwrap();
    // A hearing on Basma's detention: its file number would name her.
    let basma_hearing = w
        .vault
        .add(&Proceeding {
            case_id: w.case,
            stage: ProceedingStage::Hearing,
            date: None,
            body: Some("Juvenile court".into()),
            reference: Some("Basma-file-marker".into()),
            outcome: ProceedingOutcome::Pending,
            outcome_note: None,
            people: vec![],
            detention: Some(basma_held),
            note: None,
        })
        .unwrap();
    let omct = PayloadIdentity::generate();

    let bytes = export(&mut w, Purpose::Publication, &omct);
    let (report, _) = open(&w, &bytes, &omct, "publication-programmes");
    assert!(report.genuine(), "{:?}", report.problems);
    let m = report.manifest.unwrap();
    let sent = |id: ItemId| m.items.iter().any(|i| i.id == id);
    let why = |id: ItemId| {
        m.withheld
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.reason.clone())
            .unwrap_or_default()
    };
    assert!(sent(amal_held) && sent(hearing));
    assert!(!sent(basma_held) && why(basma_held).contains("person left out"));
    assert!(!sent(request) && why(request).contains("never published"));
    assert!(!sent(basma_hearing) && why(basma_hearing).contains("detention left out"));
    let plain = plaintext(&bytes, &omct);
    assert!(contains(&plain, b"Amal-health-marker"));
    assert!(contains(&plain, b"Hearing-marker"));
    assert!(!contains(&plain, b"Basma-health-marker"));
    assert!(!contains(&plain, b"Assistance-marker"));
    assert!(!contains(&plain, b"Basma-file-marker"));

    // Basma's own request, backed by her certificate, and a complaint
    // about her alone.
    let certificate = w.dir.path().join("basma-certificate.txt");
    std::fs::write(&certificate, b"Basma-certificate-marker\n").unwrap();
    let certificate = w
        .vault
        .ingest_file(w.case, &certificate, &mut |_| {})
        .unwrap()
        .id;
    w.vault
        .add(&Assistance {
            case_id: w.case,
            beneficiary: Some(w.omct_only),
            needs: vec![FollowUpKind::Medical],
            description: None,
            requested_on: None,
            amount: None,
            currency: None,
            supporting: vec![certificate],
            other_support: None,
            decision: AssistanceDecision::Pending,
            decided_on: None,
            payments: vec![],
            outcome: None,
        })
        .unwrap();
    let her_complaint = w
        .vault
        .add(&Proceeding {
            case_id: w.case,
            stage: ProceedingStage::Complaint,
            date: None,
            body: None,
            reference: Some("Basma-complaint-marker".into()),
            outcome: ProceedingOutcome::Pending,
            outcome_note: None,
            people: vec![w.omct_only],
            detention: None,
            note: None,
        })
        .unwrap();

    // To OMCT everything goes: both consents cover sharing with OMCT.
    let bytes = export(&mut w, Purpose::ShareWithOmct, &omct);
    let plain = plaintext(&bytes, &omct);
    for marker in [
        &b"Amal-health-marker"[..],
        b"Basma-health-marker",
        b"Hearing-marker",
        b"Assistance-marker",
    ] {
        assert!(contains(&plain, marker));
    }
    assert!(contains(&plain, b"Basma-certificate-marker"));
    // For litigation, Basma's consent does not reach: her detention, her
    // request, the certificate that backs only it, and a complaint about
    // her alone stay out.
    let bytes = export(&mut w, Purpose::Litigation, &omct);
    let (report, _) = open(&w, &bytes, &omct, "litigation-programmes");
    let m = report.manifest.unwrap();
    let why = |id: ItemId| {
        m.withheld
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        why(certificate).contains("backs only a request left out"),
        "{:?}",
        m.withheld
    );
    assert!(
        why(her_complaint).contains("people left out"),
        "{:?}",
        m.withheld
    );
    let plain = plaintext(&bytes, &omct);
    assert!(contains(&plain, b"Assistance-marker"));
    assert!(!contains(&plain, b"Basma-health-marker"));
    assert!(!contains(&plain, b"Basma-certificate-marker"));
    assert!(!contains(&plain, b"Basma-complaint-marker"));
}
