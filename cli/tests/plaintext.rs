//! No plaintext on disk: after a full round of work with a case whose every
//! text and file carries a unique marker, no file in the vault folder or in
//! any TMPDIR the binary was given holds any marker, in UTF-8 or UTF-16LE.

mod common;

use std::path::PathBuf;

use common::*;

/// A unique 24-character marker.
fn marker() -> String {
    format!("mk{}", token(22))
}

#[test]
fn no_marker_reaches_the_vault_folder_or_tmpdir() {
    let f = Fixture::with_tmpdirs();
    let title = marker();
    let summary = marker();
    let narrative_marker = marker();
    let language = marker();
    let content = marker();
    let file_name = marker();
    let new_title = marker();
    let new_summary = marker();
    let markers: Vec<&str> = [
        &title,
        &summary,
        &narrative_marker,
        &language,
        &content,
        &file_name,
        &new_title,
        &new_summary,
    ]
    .iter()
    .map(|m| m.as_str())
    .collect();

    // The inputs live outside the scanned folders.
    let narrative = f.file(
        "input/narrative.txt",
        format!("Il a été interrogé pendant trois jours. {narrative_marker}\n").as_bytes(),
    );
    let mut evidence_text = String::new();
    for i in 0..3000 {
        evidence_text.push_str(&format!("Ligne {i} du procès-verbal {content}\n"));
    }
    let evidence = f.file(&format!("input/{file_name}.txt"), evidence_text.as_bytes());

    // A round of work, every run with its own TMPDIR.
    let created = f.json(&["case", "new", "--title", &title, "--summary", &summary]);
    let case = str_of(&created, "id").to_owned();
    let t = f.json(&[
        "testimony",
        "add",
        &case,
        "--narrative-file",
        s(&narrative),
        "--language",
        &language,
    ]);
    let testimony = str_of(&t, "id").to_owned();
    let ev = f.add_evidence(&case, &evidence);
    assert_eq!(str_of(&ev, "media_type"), "text/plain");
    let ev_id = str_of(&ev, "id").to_owned();
    f.ok(&[
        "case",
        "edit",
        &case,
        "--title",
        &new_title,
        "--summary",
        &new_summary,
    ]);
    let exported = f.path("exported/copy.txt");
    std::fs::create_dir_all(exported.parent().expect("parent")).expect("mkdir");
    f.ok(&["evidence", "export", &ev_id, s(&exported)]);
    assert_eq!(
        f.json(&["search", &new_title])[0]["id"],
        case.as_str(),
        "the edited title is not searchable"
    );
    assert_eq!(
        f.json(&["search", &narrative_marker])[0]["id"],
        testimony.as_str()
    );
    assert_eq!(f.json(&["search", &language])[0]["id"], testimony.as_str());
    f.ok(&["search", &title]);
    f.ok(&["case", "list"]);
    f.ok(&["case", "show", &case]);
    f.ok(&["case", "history", &case]);
    assert_eq!(f.json(&["verify"])["ok"], true);
    f.ok(&["verify"]);
    f.ok(&["custody"]);
    f.ok(&["custody", &ev_id]);
    // The vault really holds the texts: the history shows both titles.
    let history = f.json(&["case", "history", &case]);
    assert_eq!(history[0]["case"]["title"], title.as_str());
    assert_eq!(history[1]["case"]["summary"], new_summary.as_str());
    assert!(f.tmpdir_runs() >= 15, "TMPDIR was not set for every run");

    // The scanner finds markers where they are: in the inputs, in the
    // export, and in UTF-16LE text.
    let (found, _) = scan(&[&f.path("input")], &markers);
    assert!(
        found
            .iter()
            .any(|h| h.starts_with(&format!("{narrative_marker} (UTF-8)"))),
        "the scanner misses the narrative marker in its own input: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|h| h.starts_with(&format!("{content} (UTF-8)"))),
        "the scanner misses the content marker in its own input: {found:?}"
    );
    let (found, _) = scan(&[&f.path("exported")], &markers);
    assert!(found.iter().any(|h| h.starts_with(&content)), "{found:?}");
    let control = f.path("control");
    std::fs::create_dir(&control).expect("mkdir");
    let utf16: Vec<u8> = format!("x{summary}y")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(control.join("utf16.txt"), utf16).expect("write");
    let (found, _) = scan(&[&control], &markers);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(&format!("{summary} (UTF-16LE)")),
        "{found:?}"
    );

    // The vault folder and every TMPDIR hold none of them.
    let tmp_root: PathBuf = f.tmp_root().expect("tmp root").to_owned();
    let (found, files) = scan(&[&f.vault, &tmp_root], &markers);
    assert!(
        f.blob(&ev_id).is_file() && files >= 3,
        "the scan read only {files} files"
    );
    assert!(
        found.is_empty(),
        "plaintext found on disk:\n{}",
        found.join("\n")
    );

    // The same scan of the same folders does see a leak when there is one.
    let first_tmp = tmp_root.join("run-001");
    assert!(first_tmp.is_dir(), "no TMPDIR for the first run");
    std::fs::write(first_tmp.join("leak"), format!("..{title}..")).expect("write");
    let utf16: Vec<u8> = new_title
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(f.vault.join("blobs").join("leak"), utf16).expect("write");
    let (found, _) = scan(&[&f.vault, &tmp_root], &markers);
    assert_eq!(found.len(), 2, "{found:?}");
}
