//! Damaged evidence payloads: `verify` finds them by id and exits 3, export
//! refuses them and leaves nothing behind, and the rest of the vault keeps
//! working.

mod common;

use std::path::Path;

use common::*;

/// A vault with one case, an evidence item to damage (several age chunks
/// long) and one to leave alone.
struct Damaged {
    f: Fixture,
    case: String,
    victim: String,
    intact: String,
}

fn setup() -> Damaged {
    let f = Fixture::new();
    let case = f.new_case("Détention à Tunis");
    let victim_file = f.file("in/video.bin", &random_binary(300_000));
    let intact_file = f.file("in/photo.bin", &random_binary(20_000));
    let victim = str_of(&f.add_evidence(&case, &victim_file), "id").to_owned();
    let intact = str_of(&f.add_evidence(&case, &intact_file), "id").to_owned();
    assert!(f.blob(&victim).is_file(), "no payload file where expected");
    let report = f.json(&["verify"]);
    assert_eq!(report["ok"], true, "verify before any damage: {report}");
    Damaged {
        f,
        case,
        victim,
        intact,
    }
}

fn flip_middle_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read payload");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(path, bytes).expect("write payload");
}

fn truncate_to_half(path: &Path) {
    let bytes = std::fs::read(path).expect("read payload");
    std::fs::write(path, &bytes[..bytes.len() / 2]).expect("write payload");
}

/// `verify` exits 3, names the damaged item, and does not blame the intact
/// one.
fn assert_verify_names(d: &Damaged, word: &str) {
    let out = d.f.run(&["verify"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let human = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = human
        .lines()
        .find(|l| l.contains(&d.victim))
        .unwrap_or_else(|| panic!("verify does not name {}\n{}", d.victim, describe(&out)));
    assert!(
        line.contains(word),
        "verify says {line:?}, expected {word:?}"
    );
    assert!(
        !human.contains(&d.intact),
        "verify blames the intact item\n{human}"
    );

    let out = d.f.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], false, "{report}");
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    let p = problems[0].as_str().expect("problem text");
    assert!(p.contains(&d.victim) && p.contains(word), "{report}");
}

/// Export of the damaged item fails naming it, and leaves no file, hidden or
/// not, in the output folder.
fn assert_export_refused(d: &Damaged, word: &str) {
    let out_dir = d.f.path(&format!("out-{}", token(6)));
    std::fs::create_dir(&out_dir).expect("mkdir");
    let out_file = out_dir.join("video.bin");
    let out = d.f.run(&["evidence", "export", &d.victim, s(&out_file)]);
    assert_fails(&out, 1, &[&d.victim, word]);
    assert!(!out_file.exists(), "a damaged export was written");
    assert_eq!(
        names_in(&out_dir),
        Vec::<String>::new(),
        "export left files behind"
    );
    // The intact item still exports.
    let good = out_dir.join("photo.bin");
    d.f.ok(&["evidence", "export", &d.intact, s(&good)]);
    assert_eq!(names_in(&out_dir), ["photo.bin"]);
    std::fs::remove_file(&good).expect("rm");
}

/// Commands that do not read the damaged payload still work (called after
/// [`assert_export_refused`]).
fn assert_rest_works(d: &Damaged) {
    let list = d.f.json(&["case", "list"]);
    assert_eq!(list[0]["id"], d.case.as_str());
    let hits = d.f.json(&["search", "tunis"]);
    assert_eq!(hits[0]["id"], d.case.as_str());
    let shown = d.f.json(&["case", "show", &d.case]);
    assert_eq!(shown["evidence"].as_array().map(Vec::len), Some(2));
    // The refused export is not in the custody log; the good one is.
    let log = d.f.custody();
    assert_eq!(
        actions(&log),
        [
            "vault_created",
            "create",
            "create",
            "create",
            "export_original"
        ]
    );
    assert_eq!(log[4]["body"]["item"], d.intact.as_str());
}

#[test]
fn a_flipped_byte_is_found_by_id() {
    let d = setup();
    flip_middle_byte(&d.f.blob(&d.victim));
    assert_verify_names(&d, "damaged");
    assert_export_refused(&d, "damaged");
    assert_rest_works(&d);
}

#[test]
fn a_truncated_payload_is_found_by_id() {
    let d = setup();
    truncate_to_half(&d.f.blob(&d.victim));
    assert_verify_names(&d, "damaged");
    assert_export_refused(&d, "damaged");
    assert_rest_works(&d);
}

#[test]
fn an_empty_payload_is_found_by_id() {
    let d = setup();
    std::fs::write(d.f.blob(&d.victim), b"").expect("truncate");
    assert_verify_names(&d, "damaged");
    assert_export_refused(&d, "damaged");
    assert_rest_works(&d);
}

#[test]
fn a_missing_payload_is_reported_missing_by_id() {
    let d = setup();
    std::fs::remove_file(d.f.blob(&d.victim)).expect("rm payload");
    assert_verify_names(&d, "missing");
    assert_export_refused(&d, "missing");
    assert_rest_works(&d);
}
