//! Received cases sealed in the desk's store: what is accepted lands there
//! once, under its case, and nothing decrypted reaches a folder; what is
//! forged, tampered with or replayed never becomes a case; folders an
//! earlier desk unpacked bundles into are imported and removed, unless they
//! no longer verify; a damaged store is named, never read as good.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use temoin_bundle::{read_bundle, PayloadIdentity, Purpose, ReadOptions};
use temoin_tests::{desk, field_vault, omct};
use temoin_vault::export::ExportOptions;
use temoin_vault::Vault;

/// Every file under `dir` holding any of `needles`.
fn holding(dir: &Path, needles: &[&[u8]]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if needles
                    .iter()
                    .any(|n| memchr::memmem::find(&bytes, n).is_some())
                {
                    found.push(p);
                }
            }
        }
    }
    found
}

/// The field vault's marker texts, in UTF-8 and UTF-16LE.
fn markers() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for m in [
        "Detention at the border",
        "He was held for nine days.",
        "the family",
    ] {
        out.push(m.as_bytes().to_vec());
        out.push(m.encode_utf16().flat_map(u16::to_le_bytes).collect());
    }
    out
}

/// A bundle of the field vault's case sealed to OMCT and, when given, to
/// `also` (a key the test holds, to unpack it as an earlier desk did).
fn seal(
    v: &mut Vault,
    case: temoin_vault::ItemId,
    omct: &str,
    also: Option<&PayloadIdentity>,
    file: &Path,
) {
    let mut recipients = vec![omct.parse().unwrap()];
    recipients.extend(also.map(|i| i.recipient()));
    v.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients,
            supersedes: None,
            part: None,
        },
        file,
    )
    .unwrap();
}

/// A server and a desk on loopback, and a field vault of `evidence_bytes`
/// of evidence enrolled with them and approved at the desk.
struct World {
    dir: tempfile::TempDir,
    o: omct::Omct,
    v: Vault,
    case: temoin_vault::ItemId,
    evidence: Vec<u8>,
    /// OMCT's recipient, as the enrollment gave it.
    omct_key: String,
}

async fn world(evidence_bytes: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, evidence) = field_vault(&dir.path().join("vault"), evidence_bytes);
    let e = omct::enroll(&o.desk, &o.endpoint, &mut v, "defender")
        .await
        .unwrap();
    desk::pull(&o.desk).await.unwrap();
    World {
        dir,
        o,
        v,
        case,
        evidence,
        omct_key: e.recipients[0].clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_and_replayed_bundles_never_become_cases() {
    let World {
        dir,
        o,
        mut v,
        case,
        evidence,
        omct_key,
        ..
    } = world(200_000).await;

    // A forger's own vault, never approved: signed by its own key.
    let (mut forger, forged_case, _) = field_vault(&dir.path().join("forger"), 1000);
    let forged = dir.path().join("forged.tar.age");
    seal(&mut forger, forged_case, &omct_key, None, &forged);
    let opened = desk::open(&o.desk, Some(&forged)).unwrap();
    assert!(!opened[0].accepted());
    assert_eq!(opened[0].case, None);

    // A genuine bundle with one byte of its ciphertext changed.
    let good = dir.path().join("good.tar.age");
    seal(&mut v, case, &omct_key, None, &good);
    let mut bytes = std::fs::read(&good).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    let tampered = dir.path().join("tampered.tar.age");
    std::fs::write(&tampered, &bytes).unwrap();
    let opened = desk::open(&o.desk, Some(&tampered)).unwrap();
    assert!(!opened[0].accepted());
    assert_eq!(opened[0].case, None);
    assert!(desk::unlock(&o.desk).unwrap().cases().unwrap().is_empty());

    // The genuine one: a case, once, even when the same file comes again
    // under another name.
    let opened = desk::open(&o.desk, Some(&good)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    let id = opened[0].case.unwrap();
    let copy = dir.path().join("copy.tar.age");
    std::fs::copy(&good, &copy).unwrap();
    let again = desk::open(&o.desk, Some(&copy)).unwrap();
    assert!(again[0].accepted());
    assert_eq!(again[0].case, Some(id));
    let d = desk::unlock(&o.desk).unwrap();
    let rows = d.cases().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].versions, 1, "the same bundle twice is stored once");
    drop(d);

    // A replay: another bundle under a sequence number already used (a
    // copied device). Flagged, and not filed under the case.
    let store_before = desk::unlock(&o.desk)
        .unwrap()
        .case(id)
        .unwrap()
        .versions
        .len();
    let other = dir.path().join("other.tar.age");
    let vault_dir = dir.path().join("vault");
    drop(v);
    let copied = dir.path().join("copied-vault");
    copy_dir(&vault_dir, &copied);
    let mut v = Vault::unlock(&vault_dir, &temoin_vault::Passphrase::from("p")).unwrap();
    let mut twin = Vault::unlock(&copied, &temoin_vault::Passphrase::from("p")).unwrap();
    v.add(&temoin_vault::case::Testimony::new(
        case,
        "A later account.",
    ))
    .unwrap();
    twin.add(&temoin_vault::case::Testimony::new(
        case,
        "Another account.",
    ))
    .unwrap();
    seal(&mut v, case, &omct_key, None, &other);
    let replayed = dir.path().join("replayed.tar.age");
    seal(&mut twin, case, &omct_key, None, &replayed);
    assert!(desk::open(&o.desk, Some(&other)).unwrap()[0].accepted());
    let opened = desk::open(&o.desk, Some(&replayed)).unwrap();
    assert!(!opened[0].accepted());
    assert!(opened[0]
        .desk_problems
        .iter()
        .any(|p| p.contains("already used")));
    let d = desk::unlock(&o.desk).unwrap();
    let view = d.case(id).unwrap();
    assert_eq!(
        view.versions.len(),
        store_before + 1,
        "only the genuine amendment"
    );
    assert!(view.changed.iter().any(|c| c.change == "added"));
    drop(d);

    // Nothing of any of it in the clear at the desk.
    let mut needles = markers();
    needles.push(evidence[..4096].to_vec());
    let refs: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
    assert_eq!(holding(&o.desk, &refs), Vec::<PathBuf>::new());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_an_earlier_desk_unpacked_are_imported_once_then_removed() {
    let World {
        dir,
        o,
        mut v,
        case,
        evidence,
        omct_key,
        ..
    } = world(300_000).await;
    let device = v.device_public_key();

    // Two bundles unpacked in the clear, as the desk did before its store
    // held cases: one as it was, one altered since.
    let ours = PayloadIdentity::generate();
    let mut ids = Vec::new();
    for n in 0..2 {
        let file = dir.path().join(format!("b{n}.tar.age"));
        if n == 1 {
            v.add(&temoin_vault::case::Testimony::new(case, "Later."))
                .unwrap();
        }
        seal(&mut v, case, &omct_key, Some(&ours), &file);
        let tmp = dir.path().join(format!("unpacked{n}"));
        let report = read_bundle(
            std::fs::File::open(&file).unwrap(),
            std::slice::from_ref(&ours),
            &ReadOptions {
                trusted_devices: std::slice::from_ref(&device),
                out_dir: Some(&tmp),
            },
        )
        .unwrap();
        assert!(report.genuine(), "{:?}", report.problems);
        let id = report.manifest.as_ref().unwrap().bundle_id.clone();
        let folder = o.desk.join("opened").join(&id);
        std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
        std::fs::rename(&tmp, &folder).unwrap();
        let verdict = serde_json::json!({
            "accepted": true, "genuine": true, "intact": true, "problems": [],
            "desk_problems": [], "bundle_id": id,
            "device_key_id": device.id_hex(), "sequence": report.manifest.as_ref().unwrap().sequence,
            "purpose": "share_with_omct", "format": "temoin-bundle/1", "supersedes": null,
            "manifest_sha256": report.manifest_sha256,
        });
        std::fs::write(folder.join("verification.json"), verdict.to_string()).unwrap();
        ids.push(id);
    }
    let altered = o.desk.join("opened").join(&ids[1]).join("custody.jsonl");
    let mut text = std::fs::read(&altered).unwrap();
    text[10] ^= 1;
    std::fs::write(&altered, text).unwrap();

    assert!(desk::open(&o.desk, None).unwrap().is_empty());
    // The good one is a case now, its folder gone; the altered one stays,
    // named.
    assert!(!o.desk.join("opened").join(&ids[0]).exists());
    assert!(o.desk.join("opened").join(&ids[1]).exists());
    let d = desk::unlock(&o.desk).unwrap();
    assert!(d
        .warnings()
        .unwrap()
        .iter()
        .any(|w| w.contains(&ids[1]) && w.contains("does not verify")));
    let rows = d.cases().unwrap();
    assert_eq!(rows.len(), 1);
    let mut d = d;
    let view = d.case(rows[0].id).unwrap();
    assert_eq!(view.versions[0].received.bundle_id, ids[0]);
    let path = &view
        .manifest
        .files
        .iter()
        .find(|f| f.item.is_some())
        .unwrap()
        .path
        .clone();
    let mut read = Vec::new();
    d.read_file(rows[0].id, path, &mut read).unwrap();
    assert_eq!(read, evidence);
    drop(d);
    // Once only: opening again imports nothing more.
    std::fs::remove_dir_all(o.desk.join("opened").join(&ids[1])).unwrap();
    assert!(desk::open(&o.desk, None).unwrap().is_empty());
    assert!(!o.desk.join("opened").exists());
    assert_eq!(
        desk::unlock(&o.desk).unwrap().cases().unwrap()[0].versions,
        1
    );
    let mut needles = markers();
    needles.push(evidence[..4096].to_vec());
    let refs: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
    assert_eq!(holding(&o.desk, &refs), Vec::<PathBuf>::new());
}

/// The store's payload files.
fn blobs(desk: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(desk.join("store").join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "age"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_bundle_is_kept_byte_for_byte_as_it_arrived() {
    let World {
        dir,
        o,
        mut v,
        case,
        evidence,
        omct_key,
        ..
    } = world(300_000).await;
    // Also sealed to a key the test holds, to read it with `age` after.
    let ours = PayloadIdentity::generate();
    let key = dir.path().join("ours.key");
    std::fs::write(&key, ours.key_file_for_export().as_bytes()).unwrap();
    let sent = dir.path().join("sent.tar.age");
    seal(&mut v, case, &omct_key, Some(&ours), &sent);
    let bytes = std::fs::read(&sent).unwrap();
    let id = read_bundle(
        &bytes[..],
        std::slice::from_ref(&ours),
        &ReadOptions {
            trusted_devices: &[],
            out_dir: None,
        },
    )
    .unwrap()
    .manifest
    .unwrap()
    .bundle_id;
    // Where a pull puts it.
    let inbox = o.desk.join("inbox").join(format!("{id}.tar.age"));
    std::fs::copy(&sent, &inbox).unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    assert!(
        !inbox.exists(),
        "the inbox's copy goes once the store has it"
    );

    // The store holds the very bytes the device sent (the file whose hash
    // the acknowledgement names), still sealed: the reference `age` opens
    // them with a recipient's key, and they hold nothing in the clear.
    let kept = blobs(&o.desk);
    let same: Vec<&PathBuf> = kept
        .iter()
        .filter(|p| std::fs::read(p).unwrap() == bytes)
        .collect();
    assert_eq!(same.len(), 1, "{kept:?}");
    let out = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&key)
        .arg(same[0])
        .output()
        .expect("age (scripts/deps.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(memchr::memmem::find(&out.stdout, b"manifest.json").is_some());
    assert!(memchr::memmem::find(&out.stdout, &evidence[..4096]).is_some());
    let mut needles = markers();
    needles.push(evidence[..4096].to_vec());
    let refs: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
    assert_eq!(holding(&o.desk, &refs), Vec::<PathBuf>::new());

    // Read, verified again and exported from there.
    let mut d = desk::unlock(&o.desk).unwrap();
    let row = opened[0].case.unwrap();
    assert!(d.verify_case(row).unwrap().genuine());
    let mut file = Vec::new();
    let path = d.case(row).unwrap().manifest.files[0].path.clone();
    d.read_file(row, &path, &mut file).unwrap();
    assert!(!file.is_empty());
    let export = dir.path().join("export");
    assert!(d.export_case(row, &export).unwrap().genuine());
    drop(d);

    // A crash after the verdict and before the inbox's name went leaves
    // that name on the stored file: the next open removes it, judges
    // nothing again, and the case still reads.
    std::fs::hard_link(same[0], &inbox).unwrap();
    assert!(desk::open(&o.desk, None).unwrap().is_empty());
    assert!(!inbox.exists());
    // Another file under that name is not the store's: it stays.
    std::fs::copy(&sent, &inbox).unwrap();
    assert!(desk::open(&o.desk, None).unwrap().is_empty());
    assert!(inbox.exists(), "a file the store does not keep was removed");
    std::fs::remove_file(&inbox).unwrap();
    let d = desk::unlock(&o.desk).unwrap();
    assert!(d.verify_case(row).unwrap().genuine());
    drop(d);

    // A file given from elsewhere (a USB stick) is copied, never shared:
    // changed after the import, the store's copy still verifies.
    let stick = dir.path().join("stick.tar.age");
    seal(&mut v, case, &omct_key, None, &stick);
    let opened = desk::open(&o.desk, Some(&stick)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    let mut changed = std::fs::read(&stick).unwrap();
    let at = changed.len() / 2;
    changed[at] ^= 1;
    std::fs::write(&stick, changed).unwrap();
    let d = desk::unlock(&o.desk).unwrap();
    assert!(d.verify_case(opened[0].case.unwrap()).unwrap().genuine());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_the_store_cannot_take_is_not_judged() {
    let World {
        dir,
        o,
        mut v,
        case,
        omct_key,
        ..
    } = world(200_000).await;
    let stick = dir.path().join("stick.tar.age");
    seal(&mut v, case, &omct_key, None, &stick);
    let mut d = desk::unlock(&o.desk).unwrap();
    // The store stops taking bytes (here because a wipe has begun, as a
    // full disk would) while the bundle is copied in.
    let marker = o.desk.join("store").join(temoin_vault::wipe::MARKER);
    std::fs::write(&marker, b"").unwrap();
    let err = d.open(Some(&stick)).unwrap_err().to_string();
    std::fs::remove_file(&marker).unwrap();
    assert!(
        err.contains("could not be taken into the desk's store")
            && err.contains("nothing was decided"),
        "{err}"
    );
    assert!(d.cases().unwrap().is_empty());
    let staging = o.desk.join("store").join("blobs").join("staging");
    assert_eq!(std::fs::read_dir(staging).unwrap().count(), 0);
    // Not judged: opened again once the store takes it.
    let opened = d.open(Some(&stick)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_named_and_never_exported() {
    let World {
        dir,
        o,
        mut v,
        case,
        omct_key,
        ..
    } = world(100_000).await;
    let file = dir.path().join("b.tar.age");
    seal(&mut v, case, &omct_key, None, &file);
    let id = desk::open(&o.desk, Some(&file)).unwrap()[0].case.unwrap();
    // Verified again from the store (the desk window's "verify again"): it
    // holds, every file and custody entry counted.
    {
        let d = desk::unlock(&o.desk).unwrap();
        let r = d.verify_case(id).unwrap();
        assert!(r.genuine(), "{:?}", r.problems);
        assert!(r.files_verified >= 1 && r.custody_verified >= 1);
    }
    // Someone with the disk adds a byte after the sealed bundle: the case
    // still reads, but the stored file is no longer the one received.
    let blob = blobs(&o.desk).pop().unwrap();
    let kept = std::fs::read(&blob).unwrap();
    let mut longer = kept.clone();
    longer.push(0);
    std::fs::write(&blob, &longer).unwrap();
    {
        let d = desk::unlock(&o.desk).unwrap();
        let err = d.verify_case(id).unwrap_err().to_string();
        assert!(err.contains("damaged"), "verified again: {err}");
    }
    // Or changes the sealed bundle itself.
    let mut bytes = kept;
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let mut d = desk::unlock(&o.desk).unwrap();
    let err = d.verify_case(id).unwrap_err().to_string();
    assert!(err.contains("damaged"), "verified again: {err}");
    let out = dir.path().join("export");
    let err = d.export_case(id, &out).unwrap_err().to_string();
    assert!(err.contains("damaged"), "{err}");
    assert!(!out.exists(), "a damaged case left files behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_counts_what_it_received_as_the_device_counts_it() {
    use temoin_vault::case::{
        Case, Consent, ConsentScope, Participant, Person, Place, PlaceType, Role, Violation,
        ViolationType, Vulnerability,
    };
    use temoin_vault::stats::{cells, csv};
    use temoin_vault::{KdfChoice, PartialDate};
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let mut v = Vault::create(
        &dir.path().join("vault"),
        &temoin_vault::Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let e = omct::enroll(&o.desk, &o.endpoint, &mut v, "counting")
        .await
        .unwrap();
    let omct_key = e.recipients[0].clone();
    let mut case = Case::new("Mass arrest at the demonstration");
    case.country = Some("TN".into());
    case.incident_start = Some(PartialDate("2024-02-10".into()));
    // Seven victims: six consent to statistics for themselves, one only to
    // sharing with OMCT (so she goes to OMCT, but is never counted).
    let mut people = Vec::new();
    for i in 0..7 {
        let mut p = Person::new(format!("Detainee {i}"));
        if i < 3 {
            p.vulnerabilities = vec![Vulnerability::ALL[0]];
        }
        people.push(v.add(&p).unwrap());
    }
    case.participants = people
        .iter()
        .map(|p| Participant {
            person: *p,
            role: Role::Victim,
            note: None,
        })
        .collect();
    let case_id = v.add(&case).unwrap();
    for (i, p) in people.iter().enumerate() {
        let mut scopes = vec![ConsentScope::ShareWithOmct];
        if i < 6 {
            scopes.push(ConsentScope::AnonymisedStatistics);
        }
        let mut c = Consent::new(
            case_id,
            format!("Detainee {i}"),
            PartialDate("2024-03-01".into()),
            scopes,
        );
        c.given_by = Some(*p);
        if i < 3 {
            // A child's own consent holds with a guardian's and the
            // child's assent (without them the child would be neither
            // sent nor counted, at either end).
            c.guardian = Some("a parent".into());
            c.child_assent = Some(true);
        }
        v.add(&c).unwrap();
    }
    // Held at a police station: in custody.
    let station = v
        .add(&Place {
            case_id: Some(case_id),
            name: "Central police station".into(),
            kind: PlaceType::PoliceStation,
            authority: None,
            country: Some("TN".into()),
            locality: None,
            coordinates: None,
            note: None,
        })
        .unwrap();
    v.add(&Violation {
        case_id,
        kind: ViolationType::ALL[0],
        methods: vec![],
        victims: people.clone(),
        perpetrators: vec![],
        place: Some(station),
        start: None,
        end: None,
        description: None,
    })
    .unwrap();
    desk::pull(&o.desk).await.unwrap();
    let file = dir.path().join("b.tar.age");
    seal(&mut v, case_id, &omct_key, None, &file);
    assert!(desk::open(&o.desk, Some(&file)).unwrap()[0].accepted());

    let at_device = csv(&cells(&v.stats_records().unwrap()));
    let at_desk = csv(&cells(
        &desk::unlock(&o.desk).unwrap().stats_records().unwrap(),
    ));
    assert_eq!(at_desk, at_device, "one layout, one count");
    let violation = ViolationType::ALL[0].code();
    let vulnerability = Vulnerability::ALL[0].code();
    assert_eq!(
        at_desk,
        format!(
            "country,quarter,dimension,value,victims\n\
             TN,2024-Q1,custodial_context,custodial,6\n\
             TN,2024-Q1,violation,{violation},6\n\
             TN,2024-Q1,vulnerability,{vulnerability},<5\n"
        )
    );

    // Then one detainee withdraws the consent to statistics, and a second
    // case is recorded; the device sends its figures alone (no record, no
    // file). The desk counts each case once, from the bundle sealed last:
    // five in the first case now, not the six its full bundle said, and the
    // second case, which it never received, from its figures.
    let consents: Vec<_> = v
        .list_in_case(case_id, temoin_vault::Kind::Consent)
        .into_iter()
        .map(|id| (id, v.get::<Consent>(id).unwrap().unwrap().record))
        .collect();
    let (cid, mut c) = consents
        .into_iter()
        .find(|(_, c)| c.given_by == Some(people[5]))
        .unwrap();
    c.scopes
        .retain(|s| *s != ConsentScope::AnonymisedStatistics);
    v.update(cid, &c).unwrap();
    let mut second = Case::new("Beaten at the border post");
    second.country = Some("TN".into());
    second.incident_start = Some(PartialDate("2024-02-10".into()));
    let mut second_people = Vec::new();
    for i in 0..5 {
        second_people.push(v.add(&Person::new(format!("Migrant {i}"))).unwrap());
    }
    second.participants = second_people
        .iter()
        .map(|p| Participant {
            person: *p,
            role: Role::Victim,
            note: None,
        })
        .collect();
    let second_id = v.add(&second).unwrap();
    v.add(&Consent::new(
        second_id,
        "the group",
        PartialDate("2024-03-01".into()),
        vec![ConsentScope::AnonymisedStatistics],
    ))
    .unwrap();
    v.add(&Violation {
        case_id: second_id,
        kind: ViolationType::ALL[0],
        methods: vec![],
        victims: second_people.clone(),
        perpetrators: vec![],
        place: None,
        start: None,
        end: None,
        description: None,
    })
    .unwrap();
    let figures = dir.path().join("figures.tar.age");
    let sealed = v
        .export_figures_to_file(
            &temoin_vault::export::FiguresOptions {
                recipients: vec![omct_key.parse().unwrap()],
            },
            &figures,
        )
        .unwrap();
    let m = &sealed.manifest;
    assert_eq!(m.purpose, Purpose::AnonymisedStatistics);
    assert!(m.items.is_empty() && m.files.iter().all(|f| f.item.is_none()));
    let text = String::from_utf8(serde_json::to_vec(&m).unwrap()).unwrap();
    for name in [
        "Detainee",
        "Migrant",
        "police station",
        "border post",
        "a parent",
    ] {
        assert!(!text.contains(name), "the figures carry {name:?}");
    }
    // Nor the people's own ids, which the case's bundles carry.
    for p in people.iter().chain(&second_people) {
        assert!(
            !text.contains(&p.to_string()),
            "the figures name a person's id"
        );
    }
    let opened = desk::open(&o.desk, Some(&figures)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    assert!(opened[0].case.is_none(), "figures became a case");
    let d = desk::unlock(&o.desk).unwrap();
    assert_eq!(d.cases().unwrap().len(), 1, "figures became a case");
    assert_eq!(d.figures_received().unwrap(), 1);
    let at_desk = csv(&d.stats_cells().unwrap());
    drop(d);
    let at_device = csv(&cells(&v.stats_records().unwrap()));
    assert_eq!(
        at_desk, at_device,
        "the desk does not count as the device does"
    );
    assert_eq!(
        at_desk,
        format!(
            "country,quarter,dimension,value,victims\n\
             TN,2024-Q1,custodial_context,custodial,5\n\
             TN,2024-Q1,violation,{violation},10\n\
             TN,2024-Q1,vulnerability,{vulnerability},<5\n"
        )
    );
    // The first case's full bundle opened again later (a copy off a stick)
    // changes nothing: it is older than the figures.
    let again = dir.path().join("b2.tar.age");
    std::fs::copy(&file, &again).unwrap();
    desk::open(&o.desk, Some(&again)).unwrap();
    assert_eq!(
        csv(&desk::unlock(&o.desk).unwrap().stats_cells().unwrap()),
        at_device
    );

    // The first case is deleted on the device; its next figures leave it
    // out, and the desk stops counting it, though it holds its full bundle.
    assert!(v.delete(case_id).unwrap());
    let later = dir.path().join("figures2.tar.age");
    v.export_figures_to_file(
        &temoin_vault::export::FiguresOptions {
            recipients: vec![omct_key.parse().unwrap()],
        },
        &later,
    )
    .unwrap();
    assert!(desk::open(&o.desk, Some(&later)).unwrap()[0].accepted());
    let d = desk::unlock(&o.desk).unwrap();
    assert_eq!(d.figures_received().unwrap(), 1, "older figures kept");
    assert_eq!(
        csv(&d.stats_cells().unwrap()),
        format!(
            "country,quarter,dimension,value,victims\n\
             TN,2024-Q1,violation,{violation},5\n"
        )
    );
    drop(d);
    // An older bundle of figures delivered late changes nothing.
    let late = dir.path().join("figures-late.tar.age");
    std::fs::copy(&figures, &late).unwrap();
    desk::open(&o.desk, Some(&late)).unwrap();
    assert!(csv(&desk::unlock(&o.desk).unwrap().stats_cells().unwrap())
        .ends_with(&format!("TN,2024-Q1,violation,{violation},5\n")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_opened_folder_neither_removes_elsewhere_nor_hides_a_bundle() {
    let World {
        dir,
        o,
        mut v,
        case,
        omct_key,
        ..
    } = world(1000).await;

    // `opened` made a link to a folder of someone's: nothing there goes.
    let elsewhere = dir.path().join("someone's-folder");
    // Named and shaped like a folder an interrupted open left (an id, no
    // bundle in it), which the migration would remove in `opened` itself.
    let precious = elsewhere.join("7a3c1f0e-0000-4000-8000-000000000009");
    std::fs::create_dir_all(&precious).unwrap();
    std::os::unix::fs::symlink(&elsewhere, o.desk.join("opened")).unwrap();
    // A genuine bundle in the inbox, and a verdict planted to hide it.
    let file = dir.path().join("b.tar.age");
    seal(&mut v, case, &omct_key, None, &file);
    // The bundle's id, as the device's custody log recorded its export.
    let id = v
        .custody()
        .unwrap()
        .iter()
        .rev()
        .find_map(|e| e.body.bundle.as_ref().map(|b| b.id.clone()))
        .unwrap();
    std::fs::copy(&file, o.desk.join("inbox").join(format!("{id}.tar.age"))).unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    assert!(precious.is_dir(), "a folder elsewhere was removed");
    assert!(desk::unlock(&o.desk)
        .unwrap()
        .warnings()
        .unwrap()
        .iter()
        .any(|w| w.contains("(a link?)")));
    assert_eq!(opened.len(), 1);
    assert!(opened[0].accepted());
    std::fs::remove_file(o.desk.join("opened")).unwrap();

    // A real folder this time, with a verdict of "flagged" planted for a
    // bundle still in the inbox: the bundle is judged on its own.
    let (mut w, other_case, _) = field_vault(&dir.path().join("second"), 1000);
    let e2 = omct::enroll(&o.desk, &o.endpoint, &mut w, "second")
        .await
        .unwrap();
    desk::pull(&o.desk).await.unwrap();
    let second = dir.path().join("c.tar.age");
    seal(&mut w, other_case, &e2.recipients[0], None, &second);
    let second_id = w
        .custody()
        .unwrap()
        .iter()
        .rev()
        .find_map(|e| e.body.bundle.as_ref().map(|b| b.id.clone()))
        .unwrap();
    std::fs::copy(
        &second,
        o.desk.join("inbox").join(format!("{second_id}.tar.age")),
    )
    .unwrap();
    let planted = o.desk.join("opened").join(&second_id);
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::write(
        planted.join("verification.json"),
        r#"{"accepted":false,"genuine":false,"intact":false,"problems":[],"desk_problems":["planted"],"bundle_id":null,"device_key_id":null,"sequence":null,"purpose":null,"format":null,"supersedes":null,"manifest_sha256":null}"#,
    )
    .unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    assert_eq!(opened.len(), 1, "the planted verdict hid the bundle");
    assert!(opened[0].accepted(), "{:?}", opened[0].desk_problems);
    assert!(!o.desk.join("opened").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_held_back_and_delivered_late_is_not_the_latest() {
    let World {
        dir,
        o,
        mut v,
        case,
        omct_key,
        ..
    } = world(1000).await;
    let (first, second) = (dir.path().join("v1.tar.age"), dir.path().join("v2.tar.age"));
    seal(&mut v, case, &omct_key, None, &first);
    v.add(&temoin_vault::case::Testimony::new(
        case,
        "A later account.",
    ))
    .unwrap();
    seal(&mut v, case, &omct_key, None, &second);
    let id = desk::open(&o.desk, Some(&second)).unwrap()[0].case.unwrap();
    desk::unlock(&o.desk)
        .unwrap()
        .triage(id, desk::TriageState::InReview, None)
        .unwrap();
    assert!(desk::open(&o.desk, Some(&first)).unwrap()[0].accepted());
    let d = desk::unlock(&o.desk).unwrap();
    let view = d.case(id).unwrap();
    let sequences: Vec<u64> = view.versions.iter().map(|v| v.received.sequence).collect();
    assert_eq!(sequences, [1, 2]);
    assert_eq!(
        view.manifest.sequence, 2,
        "the older version became the latest"
    );
    assert_eq!(
        view.row.state,
        desk::TriageState::InReview,
        "an older version reset the triage"
    );
}

/// A bundle file that cannot be read to its end (here a folder where a
/// file should be: opening works, every read fails) is not judged: no
/// verdict is kept, so the same name opens normally once it reads. (Two
/// guards in `open_one` keep this, the read of the rest and the reader's
/// own record of the failure; with both taken out this test fails.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_that_cannot_be_read_is_not_judged() {
    // The temporary folder is bound: dropped, it would be removed.
    let World {
        dir: _dir,
        o,
        mut v,
        case,
        omct_key,
        ..
    } = world(10_000).await;
    let file = o.desk.join("inbox").join("unreadable.tar.age");
    std::fs::create_dir_all(&file).unwrap();
    let err = desk::open(&o.desk, Some(&file)).unwrap_err().to_string();
    assert!(
        err.contains("nothing was decided") || err.contains("input/output"),
        "{err}"
    );
    std::fs::remove_dir(&file).unwrap();
    seal(&mut v, case, &omct_key, None, &file);
    let opened = desk::open(&o.desk, Some(&file)).unwrap();
    assert_eq!(
        opened.len(),
        1,
        "the unreadable file was judged once already"
    );
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
}

/// The desk drafts from what it received, as the device does: a CAT
/// complaint skeleton read back by python-docx (Debian's python3-docx),
/// whose annex index gives each annex's number, file and SHA-256, which
/// `sha256sum` finds on the file written beside it (and nothing else of
/// the case is written there); a person whose consent does not cover
/// litigation is not named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_drafts_a_complaint_from_a_received_case() {
    use temoin_vault::case::{
        Access, Case, Consent, ConsentScope, Detention, DetentionStatus, Person, Violation,
        ViolationType,
    };
    use temoin_vault::{KdfChoice, PartialDate};
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let mut v = Vault::create(
        &dir.path().join("vault"),
        &temoin_vault::Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let e = omct::enroll(&o.desk, &o.endpoint, &mut v, "drafting")
        .await
        .unwrap();
    let omct_key = e.recipients[0].clone();
    let mut case = Case::new("Held since Monday");
    case.country = Some("EG".into());
    let case_id = v.add(&case).unwrap();
    let nour = v.add(&Person::new("Nour Adel")).unwrap();
    let sami = v.add(&Person::new("Sami Fawzi")).unwrap();
    for (p, scopes) in [
        (
            nour,
            vec![ConsentScope::ShareWithOmct, ConsentScope::Litigation],
        ),
        (sami, vec![ConsentScope::ShareWithOmct]),
    ] {
        let mut c = Consent::new(case_id, "x", PartialDate("2026-11-30".into()), scopes);
        c.given_by = Some(p);
        v.add(&c).unwrap();
    }
    v.add(&Violation {
        case_id,
        kind: ViolationType::Torture,
        methods: vec![],
        victims: vec![nour, sami],
        perpetrators: vec![],
        place: None,
        start: Some(PartialDate("2026-11-23".into())),
        end: None,
        description: Some("Sami Fawzi heard the blows.".into()),
    })
    .unwrap();
    v.add(&Detention {
        case_id,
        person: nour,
        place: None,
        status: DetentionStatus::Detained,
        arrested_on: Some(PartialDate("2026-11-23".into())),
        released_on: None,
        institution: None,
        authority: Some("National Security Agency".into()),
        charges: vec!["joining a terrorist group".into()],
        provisions: vec![],
        lawyer: Access::Restricted,
        family: Access::Granted,
        doctor: Access::Denied,
        health: None,
        conditions: None,
        note: None,
    })
    .unwrap();
    let report = dir.path().join("medical-report.txt");
    std::fs::write(
        &report,
        b"Bruises on both wrists, consistent with suspension.\n",
    )
    .unwrap();
    v.ingest_file(case_id, &report, &mut |_| {}).unwrap();
    desk::pull(&o.desk).await.unwrap();
    let file = dir.path().join("b.tar.age");
    seal(&mut v, case_id, &omct_key, None, &file);
    let opened = desk::open(&o.desk, Some(&file)).unwrap();
    let id = opened[0].case.unwrap();

    let mut d = desk::unlock(&o.desk).unwrap();
    let case_file = d.case_file(id).unwrap();
    let doc = temoin_dossier::draft(
        temoin_dossier::Kind::Cat,
        &case_file,
        temoin_dossier::Language::En,
    )
    .unwrap();
    let out = dir.path().join("cat.docx");
    temoin_dossier::docx::write(&doc, std::fs::File::create(&out).unwrap()).unwrap();
    let folder = dir.path().join("annexes");
    d.export_annexes(id, &doc.annexes, &folder).unwrap();
    let written: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        written,
        ["annex-01.txt"],
        "only the annex, under its number"
    );

    let script = r#"
import json, sys, docx
d = docx.Document(sys.argv[1])
print(json.dumps({"text": "\n".join(p.text for p in d.paragraphs),
                  "rows": [[c.text for c in r.cells] for t in d.tables for r in t.rows]}))
"#;
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let read = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&out)
        .output()
        .expect("python3 runs (make test installs python3-docx)");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    let text = read["text"].as_str().unwrap();
    assert!(text.contains("2. State party concerned\nEgypt"), "{text}");
    assert!(
        text.contains("Nour Adel") && text.contains("National Security Agency"),
        "{text}"
    );
    assert!(!text.contains("Sami") && !text.contains("Fawzi"), "{text}");
    assert!(
        text.contains("5. Exhaustion of domestic remedies"),
        "{text}"
    );
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "a header and one annex: {rows:?}");
    let path = rows[1][2].as_str().unwrap();
    let sum = std::process::Command::new("sha256sum")
        .arg(folder.join(path))
        .output()
        .unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(
        rows[1][3].as_str().unwrap(),
        sum.split_whitespace().next().unwrap()
    );
    assert!(
        rows[1][6]
            .as_str()
            .unwrap()
            .contains("custody chain verified"),
        "{rows:?}"
    );
}
