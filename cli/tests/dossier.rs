//! Documents drafted from a case, opened by readers we did not write
//! (Debian's python3-docx for DOCX, poppler's pdftotext and pdffonts for
//! PDF, which `make test` installs): the sections are there, each annex's
//! SHA-256 is `sha256sum` of the exported annex, a person without consent
//! is absent, a child is never named in an appeal, and the Arabic appeal is
//! right to left.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{json, Value};

/// Debian's Python, where python3-docx is installed.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The text of a DOCX as python-docx reads it: its paragraphs, its tables'
/// cells, and whether every paragraph is right to left.
fn read_docx(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, sys, docx
from docx.oxml.ns import qn
d = docx.Document(sys.argv[1])
paras = [p.text for p in d.paragraphs]
tables = [[[c.text for c in r.cells] for r in t.rows] for t in d.tables]
bidi = [p._p.pPr is not None and p._p.pPr.find(qn('w:bidi')) is not None
        for p in d.paragraphs if p.text.strip()]
print(json.dumps({"paragraphs": paras, "tables": tables, "all_rtl": all(bidi),
                  "any_rtl": any(bidi)}))
"#;
    let out = Command::new(python())
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("python3 runs (make test installs python3-docx)");
    assert!(
        out.status.success(),
        "python-docx could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

fn text_of(doc: &Value) -> String {
    let mut all: Vec<String> = doc["paragraphs"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    for t in doc["tables"].as_array().unwrap_or(&Vec::new()) {
        for r in t.as_array().unwrap_or(&Vec::new()) {
            for c in r.as_array().unwrap_or(&Vec::new()) {
                all.push(c.as_str().unwrap_or("").to_owned());
            }
        }
    }
    all.join("\n")
}

fn add(f: &Fixture, case: &str, kind: &str, body: Value, role: Option<&str>) -> String {
    let file = f.file(&format!("in/{kind}.json"), body.to_string().as_bytes());
    let mut args = vec!["record", "add", case, "--kind", kind, "--file", s(&file)];
    if let Some(r) = role {
        args.extend(["--role", r]);
    }
    let id = f.ok(&args).trim().to_owned();
    assert_id(&id);
    id
}

struct World {
    f: Fixture,
    case: String,
    karim: String,
}

/// An urgent case in Tunisia: Karim, a defender held incommunicado, who
/// consented to every use; Basma, tortured with him, who consented to
/// sharing with OMCT only; Dalia, a child, with a guardian's consent to
/// publication and her assent. A complaint went unanswered; the Working
/// Group was written to. A photo and a medical certificate.
fn world() -> World {
    let f = Fixture::new();
    let case = f.new_case("Arrest at the office");
    let karim = add(
        &f,
        &case,
        "person",
        json!({"name": "Karim Mansour", "vulnerabilities": ["human_rights_defender"]}),
        Some("defender"),
    );
    let basma = add(
        &f,
        &case,
        "person",
        json!({"name": "Basma Hamdi"}),
        Some("victim"),
    );
    let dalia = add(
        &f,
        &case,
        "person",
        json!({"name": "Dalia Saidi", "age_at_events": 15}),
        Some("witness"),
    );
    let mut c = f.json(&["record", "show", &case])["record"].clone();
    c["country"] = json!("TN");
    c["incident_start"] = json!("2026-11-23");
    c["summary"] = json!("Security officers raided the association's office and took Karim away.");
    let file = f.file("in/case.json", c.to_string().as_bytes());
    f.ok(&["record", "replace", &case, "--file", s(&file)]);
    let note = f.file(
        "in/note.txt",
        b"No news of him since Monday; he is diabetic.",
    );
    f.ok(&[
        "case",
        "urgent",
        &case,
        "--reason",
        "incommunicado-detention",
        "--note-file",
        s(&note),
    ]);

    let all = [
        "share_with_omct",
        "litigation",
        "publication",
        "anonymised_statistics",
    ];
    add(
        &f,
        &case,
        "consent",
        json!({"given_by": karim, "given_on": "2026-11-25", "method": "oral", "scopes": all}),
        None,
    );
    add(
        &f,
        &case,
        "consent",
        json!({"given_by": basma, "given_on": "2026-11-25", "method": "oral", "scopes": ["share_with_omct"]}),
        None,
    );
    add(
        &f,
        &case,
        "consent",
        json!({"given_by": dalia, "given_on": "2026-11-25", "method": "oral", "scopes": all, "guardian": "her mother", "child_assent": true}),
        None,
    );

    let place = add(
        &f,
        &case,
        "place",
        json!({"name": "State Security headquarters", "kind": "intelligence_facility", "authority": "Ministry of the Interior", "country": "TN", "coordinates": "36.8, 10.18"}),
        None,
    );
    add(
        &f,
        &case,
        "violation",
        json!({"kind": "torture", "victims": [karim, basma], "place": place, "start": "2026-11-23", "methods": ["beating", "electric_shock_weapons"], "description": "Beaten during questioning; Basma saw it."}),
        None,
    );
    let detention = add(
        &f,
        &case,
        "detention",
        json!({"person": karim, "status": "incommunicado", "arrested_on": "2026-11-23", "place": place, "institution": "intelligence", "authority": "State Security directorate", "charges": ["spreading false news"], "provisions": ["Decree 54, art. 24"], "lawyer": "denied", "family": "denied", "health": "Diabetic; no insulin since the arrest."}),
        None,
    );
    add(
        &f,
        &case,
        "proceeding",
        json!({"stage": "complaint", "date": "2026-11-26", "body": "Public prosecutor, Tunis first-instance court", "reference": "2026/7781", "outcome": "no_response", "people": [karim]}),
        None,
    );
    add(
        &f,
        &case,
        "proceeding",
        json!({"stage": "un_communication", "date": "2026-11-28", "body": "Working Group on Arbitrary Detention", "outcome": "pending", "detention": detention}),
        None,
    );

    let photo = f.file("in/photo.png", &png_bytes());
    let photo = f.add_evidence(&case, &photo);
    let certificate = f.file(
        "in/certificate.txt",
        b"Certificate: the patient needs insulin daily.\n",
    );
    let certificate = f.add_evidence(&case, &certificate);
    add(
        &f,
        &case,
        "assistance",
        json!({"beneficiary": karim, "needs": ["medical", "legal"], "description": "Insulin and a lawyer's fees.", "amount": "1200", "currency": "EUR", "supporting": [str_of(&certificate, "id"), str_of(&photo, "id")], "decision": "pending"}),
        None,
    );
    World { f, case, karim }
}

#[test]
fn an_appeal_names_only_who_consented_to_publication_and_never_a_child() {
    let w = world();
    let out = w.f.path("appeal.docx");
    w.f.ok(&["dossier", &w.case, "--kind", "appeal", "--out", s(&out)]);
    let doc = read_docx(&out);
    let text = text_of(&doc);
    for heading in [
        "Urgent appeal",
        "Tunisia: Torture against Karim Mansour, Person A",
        "Brief description of the situation",
        "Facts",
        "Action requested",
        "Please write to the authorities of Tunisia",
        "Addresses",
        "Drafting notes (remove before sending)",
        "Sources",
    ] {
        assert!(text.contains(heading), "missing {heading:?} in:\n{text}");
    }
    // Consent: Basma (sharing with OMCT only) and Dalia (a child) are not
    // named, not even in free text that mentions Basma; both are listed in
    // the notes under a letter.
    assert!(
        text.contains("Beaten during questioning; Person A saw it."),
        "{text}"
    );
    assert!(!text.contains("Basma") && !text.contains("Hamdi"), "{text}");
    assert!(!text.contains("Dalia") && !text.contains("Saidi"), "{text}");
    assert!(
        text.contains("Person A: left out or pseudonymised, for want of consent to publication"),
        "{text}"
    );
    assert!(
        text.contains("Person B: a child, never named in an appeal"),
        "{text}"
    );
    assert!(text.contains("a child, never named in an appeal"), "{text}");
    // What the records say drives the requests.
    assert!(
        text.contains("disclose at once where Karim Mansour is held"),
        "{text}"
    );
    assert!(
        text.contains("access to a lawyer of their choice"),
        "{text}"
    );
    assert!(
        text.contains("investigation into the allegations of torture"),
        "{text}"
    );
    assert!(
        text.contains("harassment of human rights defenders"),
        "{text}"
    );
    assert!(text.contains("State Security directorate"), "{text}");
    // An exact address is flagged.
    assert!(
        text.contains("State Security headquarters gives an exact address or coordinates"),
        "{text}"
    );
    // Every paragraph of the facts ends with its record's tag, and the
    // sources list the tag with the record's id.
    let paras: Vec<&str> = doc["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    let start = paras.iter().position(|p| *p == "Facts").unwrap() + 1;
    let end = paras.iter().position(|p| *p == "Action requested").unwrap();
    assert!(end > start + 1, "{paras:?}");
    for p in &paras[start..end] {
        assert!(
            p.trim_end().ends_with(']') && p.contains(" ["),
            "no source tag: {p}"
        );
    }
    assert!(text.contains(&format!("C1: case {}", w.case)), "{text}");
    assert!(!doc["any_rtl"].as_bool().unwrap());

    // The format comes from the name; an existing file is never replaced.
    assert_fails(
        &w.f.run(&["dossier", &w.case, "--kind", "appeal", "--out", s(&out)]),
        1,
        &["already exists"],
    );
    let txt = w.f.path("appeal.txt");
    assert_fails(
        &w.f.run(&["dossier", &w.case, "--kind", "appeal", "--out", s(&txt)]),
        1,
        &[".docx"],
    );
}

#[test]
fn the_arabic_appeal_is_right_to_left() {
    let w = world();
    let out = w.f.path("appeal-ar.docx");
    w.f.ok(&[
        "dossier",
        &w.case,
        "--kind",
        "appeal",
        "--language",
        "ar",
        "--out",
        s(&out),
    ]);
    let doc = read_docx(&out);
    let text = text_of(&doc);
    assert!(text.contains("نداء عاجل"), "{text}");
    assert!(
        text.contains("تونس: تعذيب بحق Karim Mansour, الشخص A"),
        "{text}"
    );
    assert!(
        text.contains("الوقائع") && text.contains("الإجراء المطلوب"),
        "{text}"
    );
    assert!(!text.contains("Basma"), "{text}");
    assert!(
        doc["all_rtl"].as_bool().unwrap(),
        "every paragraph is right to left"
    );
}

#[test]
fn a_cat_complaint_indexes_its_annexes_by_the_hash_of_the_exported_files() {
    let w = world();
    let out = w.f.path("cat.docx");
    let annexes = w.f.path("annexes");
    let report = w.f.json(&[
        "dossier",
        &w.case,
        "--kind",
        "cat",
        "--annexes",
        s(&annexes),
        "--out",
        s(&out),
    ]);
    let doc = read_docx(&out);
    let text = text_of(&doc);
    for heading in [
        "Complaint to the Committee against Torture (article 22 of the Convention)",
        "1. The author and the alleged victim",
        "2. State party concerned",
        "3. Facts, in chronological order",
        "4. Articles alleged to have been violated",
        "5. Exhaustion of domestic remedies",
        "6. Other international procedures",
        "7. Remedies sought",
        "8. Index of annexes",
    ] {
        assert!(text.contains(heading), "missing {heading:?} in:\n{text}");
    }
    assert!(text.contains("Torture: 1, 2 (1), 11, 12, 13, 14"), "{text}");
    assert!(
        text.contains("Public prosecutor, Tunis first-instance court")
            && text.contains("No response"),
        "{text}"
    );
    assert!(
        text.contains("Working Group on Arbitrary Detention"),
        "{text}"
    );
    // Litigation: Karim by his name; Basma, who did not consent to it, not.
    assert!(text.contains("Karim Mansour"), "{text}");
    assert!(!text.contains("Basma") && !text.contains("Hamdi"), "{text}");
    // The annex index, row by row, against the files exported beside it.
    let table = doc["tables"][0].as_array().expect("the annex table");
    assert_eq!(table.len(), 3, "a header and two annexes: {table:?}");
    let listed = report["annexes"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(listed.len(), 2);
    for (row, a) in table[1..].iter().zip(listed) {
        let file = annexes.join(str_of(a, "file"));
        let on_disk = sha256sum(&file);
        assert_eq!(row[3].as_str(), Some(on_disk.as_str()), "{row}");
        assert_eq!(row[2].as_str().unwrap(), str_of(a, "file"));
        assert!(
            row[6]
                .as_str()
                .unwrap()
                .contains("entries, signed and chained"),
            "{row}"
        );
    }
    // Named by number and type only: nothing of their content.
    let mut names = names_in(&annexes);
    names.sort();
    let mut expected: Vec<String> = listed
        .iter()
        .map(|a| str_of(a, "file").to_owned())
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    assert!(
        names[0].starts_with("annex-01.") && names[1].starts_with("annex-02."),
        "{names:?}"
    );
    // Each export is in the custody log.
    let exports = actions(&w.f.custody())
        .iter()
        .filter(|a| *a == "export_original")
        .count();
    assert_eq!(exports, 2);
}

#[test]
fn an_assistance_request_and_what_needs_consent() {
    let w = world();
    let out = w.f.path("assistance.docx");
    w.f.ok(&[
        "dossier",
        &w.case,
        "--kind",
        "assistance",
        "--language",
        "fr",
        "--out",
        s(&out),
    ]);
    let text = text_of(&read_docx(&out));
    for needle in [
        "Demande d’assistance",
        "Soins médicaux",
        "1200 EUR",
        "Karim Mansour",
        "Pièces justificatives",
        "Tunisie",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    // A case with no consent to publication drafts no appeal.
    let bare = w.f.new_case("No consent yet");
    let out = w.f.path("bare.docx");
    assert_fails(
        &w.f.run(&["dossier", &bare, "--kind", "appeal", "--out", s(&out)]),
        1,
        &["no consent of this case covers publication"],
    );
    assert!(!out.exists());
    let _ = &w.karim;
}

/// A PDF's text as poppler's pdftotext reads it, white space folded.
fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (make test installs poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Lines joined: a long heading wraps.
    String::from_utf8(out.stdout)
        .expect("UTF-8 text")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_pdfs_read_in_poppler_with_their_fonts_embedded_arabic_included() {
    let w = world();
    // A CAT complaint in English, with its annexes.
    let out = w.f.path("cat.pdf");
    let annexes = w.f.path("annexes");
    let report = w.f.json(&[
        "dossier",
        &w.case,
        "--kind",
        "cat",
        "--annexes",
        s(&annexes),
        "--out",
        s(&out),
    ]);
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
    let text = pdftotext(&out);
    for heading in [
        "Complaint to the Committee against Torture (article 22 of the Convention)",
        "1. The author and the alleged victim",
        "3. Facts, in chronological order",
        "5. Exhaustion of domestic remedies",
        "8. Index of annexes",
        "Working Group on Arbitrary Detention",
        "Karim Mansour",
    ] {
        assert!(text.contains(heading), "missing {heading:?} in:\n{text}");
    }
    assert!(!text.contains("Basma") && !text.contains("Hamdi"), "{text}");
    // Each annex's SHA-256, as the index gives it, is that of the file.
    let listed = report["annexes"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for a in listed {
        let on_disk = sha256sum(&annexes.join(str_of(a, "file")));
        assert!(text.contains(&on_disk), "{on_disk} not in:\n{text}");
    }
    // The fonts travel with it.
    let fonts = run_tool("pdffonts", &[s(&out)]);
    let fonts = assert_ok(&fonts);
    let embedded: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!embedded.is_empty(), "{fonts}");
    for line in &embedded {
        // name, type, encoding, emb, sub, uni, object, id
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() >= 7, "{line}");
        let (emb, uni) = (cols[cols.len() - 5], cols[cols.len() - 3]);
        assert_eq!(
            (emb, uni),
            ("yes", "yes"),
            "not embedded or no text map: {line}"
        );
    }

    // The appeal in Arabic: shaped, right to left, and it reads back as
    // the same words (pdftotext gives the letters in reading order).
    let ar = w.f.path("appeal-ar.pdf");
    w.f.ok(&[
        "dossier",
        &w.case,
        "--kind",
        "appeal",
        "--language",
        "ar",
        "--out",
        s(&ar),
    ]);
    let text = pdftotext(&ar);
    assert!(text.contains("نداء عاجل"), "{text}");
    assert!(text.contains("Karim Mansour"), "{text}");
    assert!(!text.contains("Basma") && !text.contains("Dalia"), "{text}");
}
