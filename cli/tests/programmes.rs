//! What OMCT's programmes need, from the command line: a detained person's
//! detention, a step of proceedings and an assistance request, added as
//! JSON from files and standard input, shown, listed and replaced; bad
//! input refused with the field named and no value quoted.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;
use serde_json::json;

#[test]
fn programme_records_from_files_and_standard_input() {
    let f = Fixture::new();
    let case = f.new_case("Held incommunicado since Monday");

    // A person from standard input joins the case as a defender.
    let mut child = f
        .command(&[
            "--json", "record", "add", &case, "--kind", "person", "--file", "-", "--role",
            "defender",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("temoin runs");
    child
        .stdin
        .take()
        .expect("a pipe")
        .write_all(br#"{"name": "Karim M.", "age_at_events": 34}"#)
        .expect("written");
    let out = child.wait_with_output().expect("temoin ends");
    let person = str_of(&assert_json(&out), "id").to_owned();
    let shown = f.json(&["case", "show", &case]);
    assert!(
        shown.to_string().contains(&person) && shown.to_string().contains("defender"),
        "{shown}"
    );

    let detention = f.file(
        "detention.json",
        json!({
            "person": person,
            "status": "incommunicado",
            "arrested_on": "2026-11-23",
            "institution": "intelligence",
            "authority": "State Security",
            "charges": ["spreading false news"],
            "provisions": ["Penal Code, art. 128"],
            "lawyer": "denied",
            "family": "denied",
            "health": "Diabetic; no insulin since the arrest.",
        })
        .to_string()
        .as_bytes(),
    );
    let d = f.ok(&[
        "record",
        "add",
        &case,
        "--kind",
        "detention",
        "--file",
        s(&detention),
    ]);
    let d = d.trim().to_owned();
    assert_id(&d);
    let shown = f.json(&["record", "show", &d]);
    assert_eq!(shown["kind"], "detention");
    assert_eq!(shown["record"]["case_id"], json!(case));
    assert_eq!(
        shown["record"]["doctor"], "unknown",
        "a safeguard not given is unknown"
    );
    assert_eq!(shown["record"]["charges"], json!(["spreading false news"]));

    // A hearing on the detention, and an assistance request.
    let hearing = f.file(
        "hearing.json",
        json!({"stage": "hearing", "date": "2026-11-30", "body": "Investigating judge, Tunis",
               "outcome": "rejected", "outcome_note": "Detention extended by four months.",
               "people": [person], "detention": d})
        .to_string()
        .as_bytes(),
    );
    f.ok(&[
        "record",
        "add",
        &case,
        "--kind",
        "proceeding",
        "--file",
        s(&hearing),
    ]);
    let request = f.file(
        "assistance.json",
        json!({"beneficiary": person, "needs": ["legal", "family_support"],
               "amount": "1200", "currency": "EUR", "decision": "pending"})
        .to_string()
        .as_bytes(),
    );
    let a = f.ok(&[
        "record",
        "add",
        &case,
        "--kind",
        "assistance",
        "--file",
        s(&request),
    ]);
    let a = a.trim().to_owned();

    let all = f.json(&["record", "list", &case]);
    let kinds: Vec<&str> = all
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["detention", "proceeding", "assistance"], "{all}");
    let only = f.json(&["record", "list", &case, "--kind", "person"]);
    assert_eq!(only.as_array().map(Vec::len), Some(1), "{only}");

    // A decision: a new revision, the old one kept.
    let decided = f.file(
        "decided.json",
        json!({"beneficiary": person, "needs": ["legal", "family_support"],
               "amount": "1200", "currency": "EUR", "decision": "granted",
               "decided_on": "2026-12-02",
               "payments": [{"on": "2026-12-03", "amount": "600", "note": "lawyer's fees"}]})
        .to_string()
        .as_bytes(),
    );
    let out = f.ok(&["record", "replace", &a, "--file", s(&decided)]);
    assert!(out.contains("revision 1"), "{out}");
    assert_eq!(
        f.json(&["record", "show", &a])["record"]["payments"][0]["amount"],
        "600"
    );
}

#[test]
fn bad_records_are_refused_with_the_field_and_without_the_value() {
    let f = Fixture::new();
    let case = f.new_case("c");
    let secret = "Bouchoucha-cell-7-secret";
    for (body, needles) in [
        (
            json!({"status": "detained", "authority": secret}),
            vec!["lacks the field `person`"],
        ),
        (
            json!({"person": "00000000-0000-4000-8000-000000000000", "status": secret}),
            vec!["not one of its vocabulary"],
        ),
        (
            json!({"person": "00000000-0000-4000-8000-000000000000", "status": "detained",
                   "arrested_on": "2026-11-23", "released_on": "2026-10-01", "note": secret}),
            vec!["released_on", "before the date of arrest"],
        ),
    ] {
        let file = f.file("bad.json", body.to_string().as_bytes());
        let err = assert_fails(
            &f.run(&[
                "record",
                "add",
                &case,
                "--kind",
                "detention",
                "--file",
                s(&file),
            ]),
            1,
            &needles,
        );
        assert!(!err.contains(secret), "{err}");
    }
    let file = f.file("bad.json", format!("{{\"note\": \"{secret}\"").as_bytes());
    let err = assert_fails(
        &f.run(&[
            "record",
            "add",
            &case,
            "--kind",
            "assistance",
            "--file",
            s(&file),
        ]),
        1,
        &["is not JSON", "line 1"],
    );
    assert!(!err.contains(secret), "{err}");
    let file = f.file(
        "bad.json",
        json!({"needs": ["medical"], "amount": "12,50", "currency": "EUR"})
            .to_string()
            .as_bytes(),
    );
    assert_fails(
        &f.run(&[
            "record",
            "add",
            &case,
            "--kind",
            "assistance",
            "--file",
            s(&file),
        ]),
        1,
        &["amount", "two decimals"],
    );
    assert_fails(
        &f.run(&[
            "record",
            "add",
            &case,
            "--kind",
            "person",
            "--file",
            s(&file),
            "--role",
            "boss",
        ]),
        2,
        &["not a role"],
    );
}
