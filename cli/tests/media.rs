//! Images through the binary: `evidence show` reports capture metadata, and
//! `evidence redact` makes working copies that `exiftool` finds clean, while
//! the original exports unchanged.

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
