//! Images through the binary: `evidence show` reports capture metadata,
//! `evidence redact` makes working copies that `exiftool` finds clean, while
//! the original exports unchanged, and `export --purpose publication` seals
//! the working copy and never the original.

mod common;

use std::process::Command;

use common::*;

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

#[test]
fn show_and_redact_an_image_with_gps() {
    let f = Fixture::new();
    let case = f.new_case("case");
    let photo = f.path("photo.jpg");
    run(Command::new("/usr/bin/convert")
        .args(["-size", "200x150", "gradient:red-blue"])
        .arg(&photo));
    run(Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8065",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=10.1815",
            "-GPSLongitudeRef=E",
            "-Make=Samsung",
        ])
        .arg(&photo));
    let added = f.add_evidence(&case, &photo);
    let id = str_of(&added, "id").to_owned();

    let shown = f.ok(&["evidence", "show", &id]);
    assert!(
        shown.contains("GPS:        36.806500, 10.181500"),
        "{shown}"
    );
    assert!(shown.contains("Make:       Samsung"), "{shown}");
    let json = f.json(&["evidence", "show", &id]);
    assert_eq!(json["evidence"]["capture"]["make"], "Samsung");
    assert_eq!(json["preview"], true);

    let copy = f.json(&[
        "evidence",
        "redact",
        &id,
        "--strip-metadata",
        "--region",
        "10,10,50,20",
    ]);
    let copy_id = str_of(&copy, "id").to_owned();
    assert_eq!(str_of(&copy, "original"), id);
    assert_eq!(str_of(&copy, "media_type"), "image/png");
    let out = f.path("copy.png");
    f.ok(&["evidence", "export", &copy_id, s(&out)]);
    let tags = run(Command::new("exiftool")
        .args(["-s", "-G", "-GPS:all", "-EXIF:all"])
        .arg(&out));
    assert!(tags.trim().is_empty(), "the working copy still has: {tags}");
    let copy_shown = f.ok(&["evidence", "show", &copy_id]);
    assert!(
        copy_shown.contains(&format!("Working copy of {id}")),
        "{copy_shown}"
    );

    // The custody log names the original and both hashes.
    let custody = f.ok(&["custody", &copy_id]);
    assert!(
        custody.contains(&format!("from {id} sha256 {}", str_of(&added, "sha256"))),
        "{custody}"
    );

    // The original is unchanged.
    let orig = f.path("orig.jpg");
    f.ok(&["evidence", "export", &id, s(&orig)]);
    assert_eq!(
        std::fs::read(&orig).unwrap(),
        std::fs::read(&photo).unwrap()
    );

    // Bad regions are usage errors or clear refusals.
    let bad = f.run(&["evidence", "redact", &id, "--region", "1,2,3"]);
    assert_fails(&bad, 2, &["x,y,w,h"]);
    let outside = f.run(&["evidence", "redact", &id, "--region", "190,0,50,10"]);
    assert_fails(&outside, 1, &["outside the image"]);
    let nothing = f.run(&["evidence", "redact", &id]);
    assert_fails(&nothing, 1, &["operations"]);

    // Blurred instead of blacked out, and said so.
    let blurred = f.json(&[
        "evidence",
        "redact",
        &id,
        "--region",
        "10,10,50,20",
        "--blur",
    ]);
    let shown = f.ok(&["evidence", "show", str_of(&blurred, "id")]);
    assert!(
        shown.contains("1 region(s) blurred, metadata stripped"),
        "{shown}"
    );
    let no_region = f.run(&["evidence", "redact", &id, "--strip-metadata", "--blur"]);
    assert_fails(&no_region, 2, &["--region"]);
}

#[test]
fn show_reports_the_basic_facts_of_video_and_pdf() {
    let f = Fixture::new();
    let case = f.new_case("case");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vault/tests/fixtures");
    let video = fixtures.join("clip.webm");
    let id = str_of(&f.add_evidence(&case, &video), "id").to_owned();
    let shown = f.ok(&["evidence", "show", &id]);
    assert!(shown.contains("Format:     Matroska / WebM"), "{shown}");
    assert!(shown.contains("Size:       64 x 48 pixels"), "{shown}");
    assert!(shown.contains("Duration:   2.0 s"), "{shown}");
    assert!(
        shown.contains("Sound:      22050 Hz, 1 channel(s)"),
        "{shown}"
    );
    assert!(shown.contains("Author:     Fixture author"), "{shown}");
    let pdf = fixtures.join("statement.pdf");
    let id = str_of(&f.add_evidence(&case, &pdf), "id").to_owned();
    let shown = f.ok(&["evidence", "show", &id]);
    assert!(shown.contains("Pages:      3"), "{shown}");
    assert!(shown.contains("Title:      Fixture statement"), "{shown}");
}

/// A publication bundle, opened with `age`, `tar`, `minisign` and
/// `sha256sum`: the stripped working copy is in it (and `exiftool` finds no
/// position in it); the original with its GPS is not, nor the text file
/// that has no working copy, and both are listed as left out.
#[test]
fn a_publication_export_carries_the_working_copy_and_no_original() {
    let f = Fixture::new();
    let case = f.new_case("Arrest at the market");
    f.ok(&[
        "consent",
        "add",
        &case,
        "--scope",
        "publication",
        "--scope",
        "share-with-omct",
        "--given-by-name",
        "the family",
        "--given-on",
        "2024-03-05",
    ]);
    let photo = f.path("photo.jpg");
    run(Command::new("/usr/bin/convert")
        .args(["-size", "200x150", "gradient:red-blue"])
        .arg(&photo));
    run(Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8065",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=10.1815",
            "-GPSLongitudeRef=E",
            "-Make=Samsung",
        ])
        .arg(&photo));
    let original = std::fs::read(&photo).unwrap();
    let photo_id = str_of(&f.add_evidence(&case, &photo), "id").to_owned();
    let copy_id = str_of(
        &f.json(&["evidence", "redact", &photo_id, "--strip-metadata"]),
        "id",
    )
    .to_owned();
    let note = f.file("report.txt", b"A medical report with no working copy.\n");
    let note_id = str_of(&f.add_evidence(&case, &note), "id").to_owned();

    let key = f.path("publisher.key");
    assert_ok(&run_tool("age-keygen", &["-o", s(&key)]));
    let recipient = assert_ok(&run_tool("age-keygen", &["-y", s(&key)]));
    let bundle = f.path("publication.tar.age");
    let sealed = f.json(&[
        "export",
        "--case",
        &case,
        "--recipient",
        recipient.trim(),
        "--purpose",
        "publication",
        "--out",
        s(&bundle),
    ]);
    assert_eq!(sealed["purpose"], "publication");
    assert_eq!(sealed["format"], "temoin-bundle/2");

    let tar = f.path("publication.tar");
    assert_ok(&run_tool(
        "age",
        &["-d", "-i", s(&key), "-o", s(&tar), s(&bundle)],
    ));
    let dir = f.path("unpacked");
    std::fs::create_dir(&dir).unwrap();
    assert_ok(&run_tool("tar", &["-xf", s(&tar), "-C", s(&dir)]));
    let device_key = str_of(&f.json(&["device"]), "public_key").to_owned();
    assert_ok(&run_tool(
        "minisign",
        &["-V", "-m", s(&dir.join("manifest.json")), "-P", &device_key],
    ));
    let checked = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_ok(&checked);

    // One evidence file: the working copy, clean by exiftool's reading.
    let files: Vec<_> = std::fs::read_dir(dir.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(s(&files[0]).contains(&copy_id), "{files:?}");
    assert_ne!(std::fs::read(&files[0]).unwrap(), original);
    let tags = run(Command::new("exiftool")
        .args(["-s", "-G", "-GPS:all", "-EXIF:all", "-XMP:all"])
        .arg(&files[0]));
    assert!(tags.trim().is_empty(), "the published copy has: {tags}");

    // The originals are reported as left out, each with why.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let withheld = manifest["withheld"].as_array().unwrap();
    let reason = |id: &str| {
        withheld
            .iter()
            .find(|w| w["id"] == id)
            .and_then(|w| w["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason(&photo_id).contains(&copy_id), "{withheld:?}");
    assert!(reason(&note_id).contains("no working copy"), "{withheld:?}");
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(
        !text.contains("36.80") && !text.contains("Samsung"),
        "{text}"
    );
    let readme = std::fs::read_to_string(dir.join("README.html")).unwrap();
    assert!(readme.contains("working copies only"), "{readme}");

    // `temoin verify` takes it as valid, and says what it is for.
    let verified = temoin_no_vault(&[
        "verify",
        s(&bundle),
        "--identity",
        s(&key),
        "--device-key",
        &device_key,
    ]);
    let report = assert_ok(&verified);
    assert!(report.contains("Purpose:     publication"), "{report}");

    // Consent that does not cover publication: nothing is sealed.
    let other = f.new_case("Another case");
    f.ok(&[
        "consent",
        "add",
        &other,
        "--scope",
        "share-with-omct",
        "--given-by-name",
        "the family",
        "--given-on",
        "2024-03-05",
    ]);
    let refused = f.path("refused.tar.age");
    assert_fails(
        &f.run(&[
            "export",
            "--case",
            &other,
            "--recipient",
            recipient.trim(),
            "--purpose",
            "publication",
            "--out",
            s(&refused),
        ]),
        1,
        &["publication"],
    );
    assert!(!refused.exists());
}
