//! Changing the passphrase: the old one stops working, the new one opens
//! everything that was there.

mod common;

use common::*;
use serde_json::json;

#[test]
fn passwd_replaces_the_passphrase_and_keeps_everything() {
    let f = Fixture::new();
    let case = f.new_case("Détention à Tunis");
    let testimony = f.add_testimony(&case, "Un récit de la garde à vue.");
    let original = f.file("in/photo.bin", &random_binary(150_000));
    let ev = f.add_evidence(&case, &original);
    let ev_id = str_of(&ev, "id").to_owned();
    let list_before = f.json(&["case", "list"]);
    let show_before = f.json(&["case", "show", &case]);

    let new_pass = f.file("new-pass.txt", b"an entirely different passphrase\n");
    let out = f.run(&[
        "passwd",
        "--new-passphrase-file",
        s(&new_pass),
        "--kdf",
        "minimum",
    ]);
    assert!(
        assert_ok(&out).contains("Passphrase changed."),
        "{}",
        describe(&out)
    );

    // The old passphrase no longer opens the vault.
    for args in [vec!["case", "list"], vec!["verify"]] {
        assert_fails(&f.run(&args), 1, &["wrong passphrase"]);
    }

    // The new one opens everything that was there.
    let with_new = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--json");
        assert_json(&f.run_with_pass(&new_pass, &all))
    };
    assert_eq!(with_new(&["case", "list"]), list_before);
    assert_eq!(with_new(&["case", "show", &case]), show_before);
    assert_eq!(show_before["testimonies"], json!([testimony]));
    assert_eq!(
        with_new(&["search", "garde"]),
        json!([{ "id": testimony, "kind": "testimony", "case": case }])
    );
    let copy = f.path("copy.bin");
    let exported = with_new(&["evidence", "export", &ev_id, s(&copy)]);
    assert_eq!(exported["sha256"], ev["sha256"]);
    assert_eq!(sha256sum(&copy), sha256sum(&original));

    let report = with_new(&["verify"]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["payloads"], 1, "{report}");
    let human = f.run_with_pass(&new_pass, &["verify"]);
    assert!(assert_ok(&human).contains("Everything verifies."));

    // The change is in the custody log.
    let log = with_new(&["custody"]);
    let log = log.as_array().expect("array");
    assert_eq!(
        actions(log),
        [
            "vault_created",
            "create",
            "create",
            "create",
            "passphrase_changed",
            "export_original"
        ]
    );

    // And the old passphrase cannot change it back.
    let out = f.run(&[
        "passwd",
        "--new-passphrase-file",
        s(&f.pass),
        "--kdf",
        "minimum",
    ]);
    assert_fails(&out, 1, &["wrong passphrase"]);
    assert_fails(&f.run(&["case", "list"]), 1, &["wrong passphrase"]);
}
