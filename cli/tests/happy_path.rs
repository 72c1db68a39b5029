//! The ordinary life of a vault, end to end through the binary: cases,
//! testimonies, evidence in and out, search, revisions, custody, verify.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::json;

#[test]
fn happy_path_end_to_end() {
    let f = Fixture::new();

    // An empty vault.
    assert_eq!(f.ok(&["case", "list"]).trim(), "No cases yet.");
    assert_eq!(f.json(&["case", "list"]), json!([]));

    // Cases.
    let case = f.new_case("Détention à Tunis");
    let other = f.new_case("Arrestation à Sfax");
    assert_ne!(case, other);

    let human = f.ok(&["case", "list"]);
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 2, "case list: {human}");
    // Sorted by title: "Arrestation…" before "Détention…".
    assert!(lines[0].starts_with(&other), "case list: {human}");
    assert!(lines[0].contains("open") && lines[0].ends_with("Arrestation à Sfax"));
    assert!(lines[1].starts_with(&case), "case list: {human}");
    assert!(
        lines[1].ends_with("Détention à Tunis"),
        "case list: {human}"
    );

    let list = f.json(&["case", "list"]);
    let rows = list.as_array().expect("case list --json is an array");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1],
        json!({
            "id": case,
            "title": "Détention à Tunis",
            "status": "open",
            "urgent": false,
            "revision": 0,
        })
    );
    assert_eq!(str_of(&rows[0], "id"), other);

    // A testimony.
    let testimony = f.add_testimony(
        &case,
        "Il a été frappé pendant l'interrogatoire au commissariat de Bouchoucha.\n",
    );

    // Evidence: media types come from the bytes, not the name.
    let png = f.file("in/x.txt", &png_bytes());
    let bin = f.file("in/photo.jpg", &random_binary(100_000));
    let png_ev = f.add_evidence(&case, &png);
    let bin_ev = f.add_evidence(&case, &bin);
    for (ev, file, media_type) in [
        (&png_ev, &png, "image/png"),
        (&bin_ev, &bin, "application/octet-stream"),
    ] {
        assert_eq!(keys(ev), ["id", "media_type", "sha256", "size"], "{ev}");
        assert_eq!(str_of(ev, "sha256"), sha256sum(file), "{ev}");
        assert_eq!(str_of(ev, "media_type"), media_type, "{ev}");
        let len = std::fs::metadata(file).expect("stat").len();
        assert_eq!(ev["size"].as_u64(), Some(len), "{ev}");
    }
    let png_id = str_of(&png_ev, "id").to_owned();
    let bin_id = str_of(&bin_ev, "id").to_owned();

    // The human form of `evidence add`.
    let human = f.ok(&["evidence", "add", &other, s(&png)]);
    assert!(
        human.contains(&format!("sha256 {}", sha256sum(&png))),
        "{human}"
    );
    assert!(human.contains("image/png"), "{human}");

    // The case shows what belongs to it, and only that.
    let shown = f.json(&["case", "show", &case]);
    assert_eq!(str_of(&shown, "id"), case);
    assert_eq!(shown["case"]["title"], "Détention à Tunis");
    assert_eq!(shown["testimonies"], json!([testimony]));
    let evidence = shown["evidence"].as_array().expect("evidence array");
    let ids: BTreeSet<&str> = evidence.iter().map(|e| str_of(e, "id")).collect();
    assert_eq!(ids, BTreeSet::from([png_id.as_str(), bin_id.as_str()]));
    for e in evidence {
        let added = if str_of(e, "id") == png_id {
            &png_ev
        } else {
            &bin_ev
        };
        assert_eq!(e["sha256"], added["sha256"]);
        assert_eq!(e["size"], added["size"]);
        assert_eq!(e["media_type"], added["media_type"]);
    }
    let png_row = evidence
        .iter()
        .find(|e| str_of(e, "id") == png_id)
        .expect("png row");
    assert_eq!(png_row["original_name"], "x.txt");
    let human = f.ok(&["case", "show", &case]);
    assert!(human.contains("Title:   Détention à Tunis"), "{human}");
    assert!(
        human.contains(&testimony) && human.contains(&png_id),
        "{human}"
    );

    // Search ignores case and accents, looks into narratives, and finds
    // nothing for an absent word.
    assert_eq!(
        f.json(&["search", "DETENTION"]),
        json!([{ "id": case, "kind": "case", "case": case }])
    );
    let human = f.ok(&["search", "DETENTION"]);
    assert!(
        human.contains(&case) && human.contains("Détention à Tunis"),
        "{human}"
    );
    assert_eq!(
        f.json(&["search", "bouchoucha"]),
        json!([{ "id": testimony, "kind": "testimony", "case": case }])
    );
    assert_eq!(
        f.json(&["search", "interrogatoire", "Commissariat"]),
        json!([{ "id": testimony, "kind": "testimony", "case": case }])
    );
    assert_eq!(f.json(&["search", "zanzibar"]), json!([]));
    assert_eq!(f.ok(&["search", "zanzibar"]).trim(), "Nothing found.");

    // Editing makes a revision; the history keeps both.
    let edited = f.json(&["case", "edit", &case, "--title", "Détention arbitraire"]);
    assert_eq!(edited, json!({ "id": case, "revision": 1 }));
    let history = f.json(&["case", "history", &case]);
    let revs = history.as_array().expect("history array");
    assert_eq!(revs.len(), 2, "{history}");
    assert_eq!(revs[0]["revision"], 0);
    assert_eq!(revs[0]["case"]["title"], "Détention à Tunis");
    assert_eq!(revs[1]["revision"], 1);
    assert_eq!(revs[1]["case"]["title"], "Détention arbitraire");
    assert!(f
        .json(&["search", "tunis"])
        .as_array()
        .expect("array")
        .is_empty());
    assert_eq!(f.json(&["search", "arbitraire"])[0]["id"], case.as_str());

    // Export writes the original back, byte for byte, and never overwrites.
    let out_dir = f.path("out");
    std::fs::create_dir(&out_dir).expect("mkdir out");
    let png_out = out_dir.join("png-copy");
    let msg = f.ok(&["evidence", "export", &png_id, s(&png_out)]);
    assert!(msg.contains(str_of(&png_ev, "sha256")), "{msg}");
    assert_eq!(
        std::fs::read(&png_out).expect("read export"),
        std::fs::read(&png).expect("read original")
    );
    assert_eq!(sha256sum(&png_out), sha256sum(&png));

    let bin_out = out_dir.join("bin-copy");
    let exported = f.json(&["evidence", "export", &bin_id, s(&bin_out)]);
    assert_eq!(exported["sha256"], bin_ev["sha256"]);
    assert_eq!(exported["size"], bin_ev["size"]);
    assert_eq!(sha256sum(&bin_out), sha256sum(&bin));
    assert_eq!(
        std::fs::read(&bin_out).expect("read export"),
        std::fs::read(&bin).expect("read original")
    );

    // A second export to an existing file is refused and leaves it alone.
    std::fs::write(&png_out, b"precious").expect("write");
    let out = f.run(&["evidence", "export", &png_id, s(&png_out)]);
    assert_fails(&out, 1, &["already exists"]);
    assert_eq!(std::fs::read(&png_out).expect("read"), b"precious");
    assert_eq!(names_in(&out_dir), ["bin-copy", "png-copy"]);

    // The custody log, in order, chained, naming what happened to what.
    let log = f.custody();
    assert_eq!(
        actions(&log),
        [
            "vault_created",
            "create",
            "create",
            "create",
            "create",
            "create",
            "create",
            "edit",
            "export_original",
            "export_original",
        ]
    );
    let mut prev = "0".repeat(64);
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e["body"]["seq"], i, "{e}");
        assert_eq!(
            str_of(&e["body"], "prev"),
            prev,
            "entry {i} breaks the chain"
        );
        prev = str_of(e, "hash").to_owned();
        assert!(str_of(e, "signature").contains("trusted comment: "), "{e}");
    }
    let body = |i: usize| &log[i]["body"];
    assert_eq!(body(1)["item"], case.as_str());
    assert_eq!(body(1)["kind"], "case");
    assert_eq!(body(2)["item"], other.as_str());
    assert_eq!(body(3)["item"], testimony.as_str());
    assert_eq!(body(3)["kind"], "testimony");
    assert_eq!(body(3)["case"], case.as_str());
    assert_eq!(body(4)["item"], png_id.as_str());
    assert_eq!(body(4)["kind"], "evidence");
    assert_eq!(body(4)["sha256"], png_ev["sha256"]);
    assert_eq!(body(5)["item"], bin_id.as_str());
    assert_eq!(body(6)["case"], other.as_str());
    assert_eq!(body(7)["item"], case.as_str());
    assert_eq!(body(7)["revision"], 1);
    assert_eq!(body(8)["item"], png_id.as_str());
    assert_eq!(body(8)["sha256"], png_ev["sha256"]);
    assert_eq!(body(9)["item"], bin_id.as_str());

    // `custody ID` keeps the entries about one item (or one case).
    let about_png = f.json(&["custody", &png_id]);
    let about_png = about_png.as_array().expect("array");
    assert_eq!(actions(about_png), ["create", "export_original"]);
    assert!(about_png
        .iter()
        .all(|e| e["body"]["item"] == png_id.as_str()));
    let about_other = f.json(&["custody", &other]);
    let about_other = about_other.as_array().expect("array");
    assert_eq!(actions(about_other), ["create", "create"]);
    assert_eq!(about_other[0]["body"]["item"], other.as_str());
    assert_eq!(about_other[1]["body"]["case"], other.as_str());
    let human = f.ok(&["custody", &png_id]);
    assert_eq!(human.lines().count(), 2, "{human}");
    assert!(human.lines().all(|l| l.contains(&png_id)), "{human}");
    assert!(human.contains("export_original"), "{human}");

    // Everything verifies.
    let human = f.ok(&["verify"]);
    assert!(human.contains("Everything verifies."), "{human}");
    let report = f.json(&["verify"]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["items"], 6, "{report}");
    assert_eq!(report["payloads"], 3, "{report}");
    let png_len = std::fs::metadata(&png).expect("stat").len();
    let bin_len = std::fs::metadata(&bin).expect("stat").len();
    assert_eq!(report["payload_bytes"], 2 * png_len + bin_len, "{report}");
    assert_eq!(report["custody_entries"], log.len(), "{report}");
}

/// Titles, summaries, names, notes and search words can come from a file
/// or standard input, so that they stay out of the process list and the
/// shell's history; the command line never has to carry them.
#[test]
fn sensitive_values_come_from_files_or_standard_input() {
    use std::io::Write;
    let f = Fixture::new();
    let with_stdin = |args: &[&str], input: &str| -> String {
        let mut child = f
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        assert_ok(&child.wait_with_output().unwrap())
    };
    let title = f.file("title.txt", "Détention de Mme A. à Tunis\n".as_bytes());
    let summary = f.file("summary.txt", b"Held nine days.\r\n");
    let case = assert_json(&f.run(&[
        "case",
        "new",
        "--title-file",
        s(&title),
        "--summary-file",
        s(&summary),
        "--json",
    ]));
    let case = str_of(&case, "id").to_owned();
    let shown = f.json(&["case", "show", &case]);
    assert_eq!(
        shown["case"]["title"], "Détention de Mme A. à Tunis",
        "{shown}"
    );
    assert_eq!(shown["case"]["summary"], "Held nine days.", "{shown}");

    let added = with_stdin(
        &[
            "consent",
            "add",
            &case,
            "--scope",
            "share-with-omct",
            "--given-by-name-file",
            "-",
            "--given-on",
            "2024-03-05",
            "--json",
        ],
        "Mme A., through her brother\n",
    );
    let consent: serde_json::Value = serde_json::from_str(&added).unwrap();
    assert_id(str_of(&consent, "id"));
    {
        let pass = std::fs::read_to_string(&f.pass).unwrap();
        let v = temoin_vault::Vault::unlock(
            &f.vault,
            &temoin_vault::Passphrase::from(pass.lines().next().unwrap()),
        )
        .unwrap();
        let id: temoin_vault::ItemId = str_of(&consent, "id").parse().unwrap();
        let stored = v.require::<temoin_vault::case::Consent>(id).unwrap().record;
        assert_eq!(
            stored.given_by_name.as_deref(),
            Some("Mme A., through her brother")
        );
    }

    let found = with_stdin(&["search", "--query-file", "-", "--json"], "tunis\n");
    assert!(found.contains(&case), "{found}");
    // Neither way is taken twice, and nothing is asked of an empty file.
    let both = f.run(&["case", "new", "--title", "x", "--title-file", s(&title)]);
    assert!(!both.status.success());
    let empty = f.file("empty.txt", b"");
    assert_fails(
        &f.run(&["search", "--query-file", s(&empty)]),
        1,
        &["give words"],
    );
}

/// `case urgent`: marked with a reason and a note read from a file, shown
/// in the case and its history, cleared again (the model's refusal of a
/// reason without urgency is tested in `model`).
#[test]
fn a_case_marked_urgent_and_cleared() {
    let f = Fixture::new();
    let case = f.new_case("Held at the airport");
    let note = f.file("in/note.txt", b"Transfer announced for tomorrow at dawn.\n");
    let marked = f.json(&[
        "case",
        "urgent",
        &case,
        "--reason",
        "imminent-transfer",
        "--note-file",
        note.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(marked["urgent"], json!(true));
    assert_eq!(marked["reason"], json!("imminent_transfer"));
    let shown = f.json(&["case", "show", &case]);
    let record = shown.to_string();
    assert!(record.contains("imminent_transfer"), "{record}");
    assert!(record.contains("Transfer announced"), "{record}");
    let cleared = f.json(&["case", "urgent", &case, "--clear"]);
    assert_eq!(cleared["urgent"], json!(false));
    let history = f.json(&["case", "history", &case]);
    let revisions = history.as_array().expect("history is an array");
    assert_eq!(revisions.len(), 3, "created, marked, cleared: {history}");
    assert_eq!(
        revisions[1]["case"]["urgent_reason"],
        json!("imminent_transfer")
    );
    assert!(revisions[2]["case"]["urgent_reason"].is_null());
    // A reason is required to mark a case urgent, and clearing a case
    // that is not urgent changes nothing.
    let out = f.run(&["case", "urgent", &case]);
    assert!(!out.status.success());
    let out = f.run(&["case", "urgent", &case, "--clear"]);
    assert!(!out.status.success());
    assert_eq!(
        f.json(&["case", "history", &case]).as_array().map(Vec::len),
        Some(3)
    );
}
