//! Refusals: each in plain words on standard error, with a non-zero exit
//! status and nothing on standard output, and nothing changed.

mod common;

use common::*;
use serde_json::json;

/// A vault with one case and one evidence item; returns the case id.
fn populated() -> (Fixture, String) {
    let f = Fixture::new();
    let case = f.new_case("Détention à Tunis");
    let file = f.file("in/photo.bin", &random_binary(5_000));
    f.add_evidence(&case, &file);
    (f, case)
}

/// A syntactically valid id that names nothing in any vault.
const UNKNOWN_ID: &str = "0b5e3c1a-7f2d-4e8b-9a6c-1d2e3f405162";

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let (f, case) = populated();
    let wrong = f.file("wrong.txt", b"not the passphrase\n");
    let new_pass = f.file("new.txt", b"another long passphrase\n");
    let evidence = f.file("in/more.bin", &random_binary(1_000));
    let narrative = f.file("in/narrative.txt", "Un récit.".as_bytes());
    let before = snapshot(&f.vault);
    assert!(
        before.keys().any(|p| p.ends_with("keyslots.json")),
        "the snapshot must cover the vault's files"
    );

    let attempts: Vec<Vec<&str>> = vec![
        vec!["case", "list"],
        vec!["case", "new", "--title", "Another"],
        vec!["case", "show", &case],
        vec!["case", "edit", &case, "--title", "Changed"],
        vec!["case", "delete", &case],
        vec!["testimony", "add", &case, "--narrative-file", s(&narrative)],
        vec!["evidence", "add", &case, s(&evidence)],
        vec!["search", "tunis"],
        vec!["verify"],
        vec!["custody"],
        vec!["device"],
        vec![
            "passwd",
            "--new-passphrase-file",
            s(&new_pass),
            "--kdf",
            "minimum",
        ],
    ];
    for args in &attempts {
        let out = f.run_with_pass(&wrong, args);
        let stderr = assert_fails(&out, 1, &["wrong passphrase"]);
        assert!(!stderr.contains("Détention"), "{stderr}");
        let mut json_args = args.clone();
        json_args.push("--json");
        assert_fails(
            &f.run_with_pass(&wrong, &json_args),
            1,
            &["wrong passphrase"],
        );
    }
    let key_out = f.path("payload.key");
    let out = f.run_with_pass(&wrong, &["export-payload-key", "--out", s(&key_out)]);
    assert_fails(&out, 1, &["wrong passphrase"]);
    assert!(!key_out.exists(), "a payload key file was written");

    let after = snapshot(&f.vault);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files were added to or removed from the vault"
    );
    for (path, bytes) in &before {
        // The wrong-passphrase counter is the one file that must move: it
        // counts every attempt (docs/threat-model.md).
        if path.file_name().is_some_and(|n| n == "attempts") {
            assert_ne!(
                after.get(path),
                Some(bytes),
                "the attempts were not counted"
            );
            continue;
        }
        assert!(
            after.get(path) == Some(bytes),
            "{} changed after a wrong passphrase",
            path.display()
        );
    }
    // And the right passphrase still opens it, with nothing added.
    assert_eq!(f.json(&["case", "list"]).as_array().map(Vec::len), Some(1));
    assert_eq!(f.custody().len(), 3);
}

#[test]
fn missing_vault_flag() {
    let f = Fixture::uninitialised();
    for args in [
        vec!["case", "list"],
        vec!["verify"],
        vec!["init", "--kdf", "minimum"],
    ] {
        let mut all = vec!["--passphrase-file", s(&f.pass)];
        all.extend(args);
        let out = temoin_no_vault(&all);
        assert_fails(&out, 1, &["no vault given", "--vault"]);
    }
}

#[test]
fn a_vault_folder_that_does_not_exist_is_not_created() {
    let f = Fixture::uninitialised();
    let evidence = f.file("in/photo.bin", &random_binary(100));
    let narrative = f.file("in/n.txt", b"text");
    let new_pass = f.file("new.txt", b"another long passphrase\n");
    let key_out = f.path("payload.key");
    let attempts: Vec<Vec<&str>> = vec![
        vec!["case", "list"],
        vec!["case", "new", "--title", "T"],
        vec!["case", "show", UNKNOWN_ID],
        vec![
            "testimony",
            "add",
            UNKNOWN_ID,
            "--narrative-file",
            s(&narrative),
        ],
        vec!["evidence", "add", UNKNOWN_ID, s(&evidence)],
        vec!["search", "x"],
        vec!["verify"],
        vec!["custody"],
        vec!["device"],
        vec![
            "passwd",
            "--new-passphrase-file",
            s(&new_pass),
            "--kdf",
            "minimum",
        ],
        vec!["export-payload-key", "--out", s(&key_out)],
    ];
    for args in &attempts {
        let out = f.run(args);
        assert_fails(&out, 1, &["no vault found"]);
        assert!(
            !f.vault.exists(),
            "`{}` created the vault folder",
            args.join(" ")
        );
    }
    assert!(!key_out.exists());
}

#[test]
fn init_refuses_a_non_empty_folder() {
    let f = Fixture::uninitialised();
    std::fs::create_dir(&f.vault).expect("mkdir");
    std::fs::write(f.vault.join("notes.txt"), b"my notes").expect("write");
    let out = f.run(&["init", "--kdf", "minimum"]);
    assert_fails(&out, 1, &["not empty"]);
    assert_eq!(names_in(&f.vault), ["notes.txt"]);
    assert_eq!(
        std::fs::read(f.vault.join("notes.txt")).expect("read"),
        b"my notes"
    );

    // Nor over an existing vault, which stays as it was.
    let (g, _) = populated();
    let before = snapshot(&g.vault);
    assert_fails(&g.run(&["init", "--kdf", "minimum"]), 1, &["not empty"]);
    assert_eq!(snapshot(&g.vault), before);
    assert_eq!(g.json(&["case", "list"]).as_array().map(Vec::len), Some(1));
}

#[test]
fn malformed_ids_are_refused() {
    let (f, case) = populated();
    let narrative = f.file("in/n.txt", b"text");
    let evidence = f.file("in/e.bin", &random_binary(100));
    let out_file = f.path("out.bin");
    for bad in [
        "not-an-id",
        "",
        "0b5e3c1a-7f2d-4e8b-9a6c",
        "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    ] {
        let attempts: Vec<Vec<&str>> = vec![
            vec!["case", "show", bad],
            vec!["case", "edit", bad, "--title", "T"],
            vec!["case", "history", bad],
            vec!["case", "delete", bad],
            vec!["testimony", "add", bad, "--narrative-file", s(&narrative)],
            vec!["evidence", "add", bad, s(&evidence)],
            vec!["evidence", "export", bad, s(&out_file)],
            vec!["custody", bad],
        ];
        for args in &attempts {
            assert_fails(&f.run(args), 1, &["not an item id"]);
        }
    }
    assert!(!out_file.exists());
    // Nothing was added.
    assert_eq!(f.custody().len(), 3);
    assert_eq!(f.json(&["case", "show", &case])["testimonies"], json!([]));
}

#[test]
fn unknown_case_id_for_testimony_and_evidence() {
    let (f, case) = populated();
    let narrative = f.file("in/n.txt", b"text");
    let evidence = f.file("in/e.bin", &random_binary(100));
    let message = format!("no case with id {UNKNOWN_ID}");
    let out = f.run(&[
        "testimony",
        "add",
        UNKNOWN_ID,
        "--narrative-file",
        s(&narrative),
    ]);
    assert_fails(&out, 1, &[&message]);
    let out = f.run(&["evidence", "add", UNKNOWN_ID, s(&evidence)]);
    assert_fails(&out, 1, &[&message]);
    let out = f.run(&["case", "show", UNKNOWN_ID]);
    assert_fails(&out, 1, &[&message]);
    // An evidence id is not a case either.
    let ev = f.json(&["case", "show", &case])["evidence"][0]["id"]
        .as_str()
        .expect("evidence id")
        .to_owned();
    let out = f.run(&["testimony", "add", &ev, "--narrative-file", s(&narrative)]);
    assert_fails(&out, 1, &[&ev]);

    assert_eq!(
        f.custody().len(),
        3,
        "a refused add reached the custody log"
    );
    assert_eq!(names_in(&f.vault.join("blobs")).len(), 2, "blob + staging");
    assert!(names_in(&f.vault.join("blobs").join("staging")).is_empty());
}

#[test]
fn empty_and_over_long_titles_are_refused() {
    let f = Fixture::new();
    for title in ["", "   "] {
        let out = f.run(&["case", "new", "--title", title]);
        assert_fails(&out, 1, &["title", "must not be empty"]);
    }
    let long = "é".repeat(501);
    let out = f.run(&["case", "new", "--title", &long]);
    let stderr = assert_fails(&out, 1, &["title", "too long", "500"]);
    assert!(!stderr.contains("éééé"), "the error repeats the content");
    assert_eq!(f.json(&["case", "list"]), json!([]));

    // 500 characters is the limit, not beyond it.
    let case = f.new_case(&"é".repeat(500));
    // Editing is held to the same rules.
    let out = f.run(&["case", "edit", &case, "--title", ""]);
    assert_fails(&out, 1, &["title", "must not be empty"]);
    let out = f.run(&["case", "edit", &case, "--title", &long]);
    assert_fails(&out, 1, &["title", "too long"]);
    assert_eq!(
        f.json(&["case", "history", &case]).as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_narrative_that_is_not_utf8_is_refused() {
    let (f, case) = populated();
    let narrative = f.file("in/latin1.txt", b"D\xe9tention \xe0 Tunis\n");
    let out = f.run(&["testimony", "add", &case, "--narrative-file", s(&narrative)]);
    assert_fails(&out, 1, &["not UTF-8", "latin1.txt"]);
    let missing = f.path("in/nowhere.txt");
    let out = f.run(&["testimony", "add", &case, "--narrative-file", s(&missing)]);
    assert_fails(&out, 1, &["cannot read", "nowhere.txt"]);
    assert_eq!(f.json(&["case", "show", &case])["testimonies"], json!([]));
    assert_eq!(f.custody().len(), 3);
}

#[test]
fn an_evidence_file_that_does_not_exist() {
    let (f, case) = populated();
    let missing = f.path("in/nowhere.jpg");
    let out = f.run(&["evidence", "add", &case, s(&missing)]);
    assert_fails(&out, 1, &["cannot read", "nowhere.jpg"]);
    // A folder is not a file either.
    let folder = f.path("in");
    let out = f.run(&["evidence", "add", &case, s(&folder)]);
    assert_fails(&out, 1, &[]);
    let shown = f.json(&["case", "show", &case]);
    assert_eq!(shown["evidence"].as_array().map(Vec::len), Some(1));
    assert_eq!(f.custody().len(), 3);
    assert!(names_in(&f.vault.join("blobs").join("staging")).is_empty());
}

#[test]
fn a_passphrase_file_that_does_not_exist() {
    let (f, _) = populated();
    let missing = f.path("nowhere.pass");
    for args in [vec!["case", "list"], vec!["verify"]] {
        let out = f.run_with_pass(&missing, &args);
        assert_fails(
            &out,
            1,
            &["cannot read the passphrase file", "nowhere.pass"],
        );
    }
    // Nor can a vault be created with one.
    let g = Fixture::uninitialised();
    let out = g.run_with_pass(&missing, &["init", "--kdf", "minimum"]);
    assert_fails(&out, 1, &["cannot read the passphrase file"]);
    assert!(!g.vault.exists(), "init made a folder without a passphrase");
}

#[test]
fn usage_errors_exit_with_2() {
    let f = Fixture::new();
    for args in [
        vec!["case", "new"],
        vec!["case", "frobnicate"],
        vec!["search"],
        vec!["init", "--kdf", "cheap"],
    ] {
        let out = f.run(&args);
        assert_fails(&out, 2, &[]);
    }
}

/// `temoin doctor` needs no vault and says, machine-readably, what this
/// computer may write of memory to disk.
#[test]
fn doctor_reports_swap_and_hibernation() {
    let out = temoin_no_vault(&["doctor", "--json"]);
    let v = assert_json(&out);
    assert_eq!(
        keys(&v),
        [
            "hibernation",
            "keys_locked_in_memory",
            "safe_swap",
            "unencrypted_swap",
            "unknown_swap"
        ],
        "{v}"
    );
    assert!(v["hibernation"].is_boolean());
    // This machine (and CI) lets a process lock a few pages.
    assert_eq!(v["keys_locked_in_memory"], true, "{v}");
    let text = assert_ok(&temoin_no_vault(&["doctor"]));
    assert!(
        text.contains("Swap:") && text.contains("Hibernation:") && text.contains("Keys:"),
        "{text}"
    );
}
