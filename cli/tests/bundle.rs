//! Sealed bundles through the binary, checked with tools Témoin did not
//! write: `age-keygen` makes the recipient, `age -d` decrypts, `tar`
//! unpacks, `minisign -V` checks the manifest with the device key, and
//! `sha256sum -c SHA256SUMS` checks every file. Then `temoin verify`.

mod common;

use common::*;

struct Sealed {
    f: Fixture,
    key: std::path::PathBuf,
    bundle: std::path::PathBuf,
    device_key: String,
    photo: Vec<u8>,
}

fn sealed() -> Sealed {
    let f = Fixture::new();
    let case = f.new_case("Arrest at the market");
    f.ok(&[
        "consent",
        "add",
        &case,
        "--scope",
        "litigation",
        "--scope",
        "share-with-omct",
        "--given-by-name",
        "the witness",
        "--given-on",
        "2024-03-05",
    ]);
    f.add_testimony(&case, "She was taken at dawn.");
    let photo = png_bytes();
    let file = f.file("photo.png", &photo);
    f.add_evidence(&case, &file);

    let key = f.path("litigator.key");
    assert_ok(&run_tool("age-keygen", &["-o", s(&key)]));
    let recipient = assert_ok(&run_tool("age-keygen", &["-y", s(&key)]));
    let bundle = f.path("case.tar.age");
    let out = f.json(&[
        "export",
        "--case",
        &case,
        "--recipient",
        recipient.trim(),
        "--out",
        s(&bundle),
    ]);
    assert_eq!(out["sequence"], 1);
    let device_key = str_of(&f.json(&["device"]), "public_key").to_owned();
    Sealed {
        f,
        key,
        bundle,
        device_key,
        photo,
    }
}

#[test]
fn standard_tools_open_and_check_a_bundle() {
    let b = sealed();
    let f = &b.f;
    let tar = f.path("case.tar");
    assert_ok(&run_tool(
        "age",
        &["-d", "-i", s(&b.key), "-o", s(&tar), s(&b.bundle)],
    ));
    let dir = f.path("unpacked");
    std::fs::create_dir(&dir).unwrap();
    assert_ok(&run_tool("tar", &["-xf", s(&tar), "-C", s(&dir)]));
    let names = names_in(&dir);
    for name in [
        "manifest.json",
        "manifest.json.minisig",
        "SHA256SUMS",
        "custody.jsonl",
        "README.html",
        "evidence",
    ] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    let manifest = dir.join("manifest.json");
    let verified = assert_ok(&run_tool(
        "minisign",
        &["-V", "-m", s(&manifest), "-P", &b.device_key],
    ));
    assert!(verified.contains("temoin/bundle-manifest/v1"), "{verified}");
    let out = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let checked = assert_ok(&out);
    assert_eq!(checked.matches(": OK").count(), 4, "{checked}");
    // The evidence file is the original, byte for byte.
    let evidence: Vec<_> = std::fs::read_dir(dir.join("evidence")).unwrap().collect();
    assert_eq!(evidence.len(), 1);
    let path = evidence[0].as_ref().unwrap().path();
    assert_eq!(std::fs::read(path).unwrap(), b.photo);

    // A single changed byte in a file is caught by sha256sum too.
    let readme = dir.join("README.html");
    let mut text = std::fs::read(&readme).unwrap();
    text[20] ^= 1;
    std::fs::write(&readme, text).unwrap();
    let out = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn temoin_verify_reports_and_sets_its_exit_status() {
    let b = sealed();
    let f = &b.f;
    let out_dir = f.path("checked");
    let ok = temoin_no_vault(&[
        "verify",
        s(&b.bundle),
        "--identity",
        s(&b.key),
        "--device-key",
        &b.device_key,
        "--out",
        s(&out_dir),
    ]);
    let text = assert_ok(&ok);
    assert!(text.contains("Bundle: VALID"), "{text}");
    assert!(out_dir.join("verification.json").is_file());
    assert!(out_dir.join("manifest.json").is_file());

    // Without a trusted key: intact, but its origin is not established.
    let unchecked = temoin_no_vault(&["verify", s(&b.bundle), "--identity", s(&b.key)]);
    assert_report(&unchecked, 4, "SIGNER NOT CHECKED");

    // Another device's key: not genuine.
    let other = Fixture::new();
    let other_key = str_of(&other.json(&["device"]), "public_key").to_owned();
    let wrong = temoin_no_vault(&[
        "verify",
        s(&b.bundle),
        "--identity",
        s(&b.key),
        "--device-key",
        &other_key,
    ]);
    assert_report(&wrong, 3, "unknown_device");

    // Tampered ciphertext.
    let mut bytes = std::fs::read(&b.bundle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    let tampered = f.file("tampered.tar.age", &bytes);
    let bad = temoin_no_vault(&[
        "verify",
        s(&tampered),
        "--identity",
        s(&b.key),
        "--device-key",
        &b.device_key,
        "--json",
    ]);
    assert_eq!(bad.status.code(), Some(3), "{}", describe(&bad));
    let report = assert_json_any(&bad);
    assert_eq!(report["status"], "NOT VALID");

    // A key it was not sealed for.
    let stranger = f.path("stranger.key");
    assert_ok(&run_tool("age-keygen", &["-o", s(&stranger)]));
    let refused = temoin_no_vault(&["verify", s(&b.bundle), "--identity", s(&stranger)]);
    assert_fails(&refused, 1, &["not addressed to this key"]);
    // Usage mistakes get words a person can act on.
    let no_identity = temoin_no_vault(&["verify", s(&b.bundle)]);
    assert_fails(&no_identity, 1, &["--identity"]);
    let bad_key = temoin_no_vault(&[
        "verify",
        s(&b.bundle),
        "--identity",
        s(&b.key),
        "--device-key",
        "nonsense",
    ]);
    assert_fails(&bad_key, 1, &["temoin device"]);
}

#[test]
fn export_refuses_without_consent_or_with_a_bad_recipient() {
    let f = Fixture::new();
    let case = f.new_case("c");
    let key = f.path("k");
    assert_ok(&run_tool("age-keygen", &["-o", s(&key)]));
    let recipient = assert_ok(&run_tool("age-keygen", &["-y", s(&key)]));
    let out = f.path("b.tar.age");
    let args = [
        "export",
        "--case",
        &case,
        "--recipient",
        recipient.trim(),
        "--out",
        s(&out),
    ];
    assert_fails(&f.run(&args), 1, &["consent"]);
    assert!(!out.exists());
    let consent = f.json(&[
        "consent",
        "add",
        &case,
        "--scope",
        "share-with-omct",
        "--given-by-name",
        "family",
        "--given-on",
        "2024",
    ]);
    // Consent for OMCT is not consent for litigation (the default).
    assert_fails(&f.run(&args), 1, &["litigation"]);
    let omct = [
        "export",
        "--case",
        &case,
        "--recipient",
        recipient.trim(),
        "--purpose",
        "omct",
        "--out",
        s(&out),
    ];
    f.ok(&omct);
    assert!(out.exists());
    // Never overwrites.
    assert_fails(&f.run(&omct), 1, &["already exists"]);
    // Withdrawn: nothing more goes out.
    f.ok(&[
        "consent",
        "withdraw",
        str_of(&consent, "id"),
        "--on",
        "2024-05",
    ]);
    let out2 = f.path("c.tar.age");
    let again = [
        "export",
        "--case",
        &case,
        "--recipient",
        recipient.trim(),
        "--purpose",
        "omct",
        "--out",
        s(&out2),
    ];
    assert_fails(&f.run(&again), 1, &["withdrawn"]);
    let bad = [
        "export",
        "--case",
        &case,
        "--recipient",
        "age1nope",
        "--out",
        s(&out2),
    ];
    assert_fails(&f.run(&bad), 1, &["age1"]);
    assert!(!out2.exists());
}

fn assert_json_any(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("not JSON: {}", describe(out)))
}

/// A report on standard output with the given exit status.
fn assert_report(out: &std::process::Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(needle), "{}", describe(out));
}
