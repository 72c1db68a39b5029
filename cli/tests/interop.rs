//! Interoperability with tools we did not write: `age` decrypts evidence
//! payloads with the exported payload key, and `minisign` verifies custody
//! entries with the device's public key.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn age_decrypts_payloads_with_the_exported_key() {
    let f = Fixture::new();
    let case = f.new_case("Détention à Tunis");
    let files = [
        f.file("in/x.png", &png_bytes()),
        f.file("in/video.bin", &random_binary(200_000)),
    ];
    let ids: Vec<String> = files
        .iter()
        .map(|p| str_of(&f.add_evidence(&case, p), "id").to_owned())
        .collect();

    let key = f.path("payload.key");
    let out = f.run(&["export-payload-key", "--out", s(&key)]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("keep it offline"),
        "{}",
        describe(&out)
    );
    let text = std::fs::read_to_string(&key).expect("read key file");
    assert!(text.contains("AGE-SECRET-KEY-1"), "not an age key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("stat").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is readable by others: {mode:o}"
        );
    }

    // The age tools agree on what the key is.
    let public = assert_ok(&run_tool("age-keygen", &["-y", s(&key)]));
    assert!(public.trim().starts_with("age1"), "{public}");
    assert!(
        text.contains(&format!("# public key: {}", public.trim())),
        "the key file's comment names another public key"
    );

    for (id, original) in ids.iter().zip(&files) {
        let out = run_tool("age", &["-d", "-i", s(&key), s(&f.blob(id))]);
        assert!(out.status.success(), "age -d failed\n{}", describe(&out));
        assert!(
            out.stdout == std::fs::read(original).expect("read original"),
            "age decrypted {id} to other bytes than the original"
        );
    }

    // The payload is encrypted to that key only.
    let stranger = f.path("stranger.key");
    assert_ok(&run_tool("age-keygen", &["-o", s(&stranger)]));
    let out = run_tool("age", &["-d", "-i", s(&stranger), s(&f.blob(&ids[0]))]);
    assert!(
        !out.status.success(),
        "a stranger's key decrypted a payload"
    );

    // The export is in the custody log, and is never repeated over a file.
    let log = f.custody();
    assert_eq!(
        actions(&log).last().map(String::as_str),
        Some("export_payload_key")
    );
    std::fs::write(&key, b"keep me").expect("write");
    let out = f.run(&["export-payload-key", "--out", s(&key)]);
    assert_fails(&out, 1, &["already exists"]);
    assert_eq!(std::fs::read(&key).expect("read"), b"keep me");
    assert_eq!(f.custody().len(), log.len());
}

/// The fields of a custody body in the order `CustodyBody` declares them
/// (vault/src/custody.rs). The signed bytes are `serde_json::to_vec` of that
/// struct: compact JSON in this order. `custody --json` prints the body as a
/// JSON object whose keys come out sorted (serde_json without
/// `preserve_order`), so the signed bytes are rebuilt here in declared order.
/// The rebuild is checked against the entry's `hash` (SHA-256 of the signed
/// bytes) before anything is verified.
const BODY_FIELDS: [&str; 11] = [
    "v", "seq", "prev", "time", "device", "action", "item", "kind", "case", "revision", "sha256",
];

fn signed_bytes(body: &Value) -> Vec<u8> {
    let mut expected: Vec<String> = BODY_FIELDS.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(
        keys(body),
        expected,
        "custody body has other fields: {body}"
    );
    let mut out = b"{".to_vec();
    for (i, k) in BODY_FIELDS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(serde_json::to_vec(k).expect("key"));
        out.push(b':');
        out.extend(serde_json::to_vec(&body[*k]).expect("value"));
    }
    out.push(b'}');
    out
}

fn minisign_verify(
    public: &std::path::Path,
    message: &std::path::Path,
    sig: &std::path::Path,
) -> std::process::Output {
    run_tool(
        "minisign",
        &["-V", "-p", s(public), "-m", s(message), "-x", s(sig)],
    )
}

#[test]
fn minisign_verifies_custody_entries_with_the_device_key() {
    let f = Fixture::new();
    let case = f.new_case("Détention à Tunis");
    let file = f.file("in/x.png", &png_bytes());
    let ev = f.add_evidence(&case, &file);
    let ev_id = str_of(&ev, "id").to_owned();
    f.ok(&["case", "edit", &case, "--title", "Détention arbitraire"]);
    f.ok(&["evidence", "export", &ev_id, s(&f.path("copy.png"))]);

    // The device's public key, as a minisign key file.
    let pub_text = f.ok(&["device"]);
    let lines: Vec<&str> = pub_text.lines().collect();
    assert_eq!(lines.len(), 2, "{pub_text}");
    assert!(lines[0].starts_with("untrusted comment: minisign public key"));
    let device = f.json(&["device"]);
    assert_eq!(lines[1], str_of(&device, "public_key"));
    assert!(lines[0].ends_with(str_of(&device, "key_id")), "{pub_text}");
    let public = f.file("device.pub", pub_text.as_bytes());

    let log = f.custody();
    assert_eq!(log.len(), 5);
    let dir = f.path("entries");
    std::fs::create_dir(&dir).expect("mkdir");
    for (i, entry) in log.iter().enumerate() {
        let body = &entry["body"];
        assert_eq!(str_of(body, "device"), str_of(&device, "key_id"));
        let bytes = signed_bytes(body);
        let body_file = dir.join(format!("body-{i}.json"));
        std::fs::write(&body_file, &bytes).expect("write body");
        assert_eq!(
            sha256sum(&body_file),
            str_of(entry, "hash"),
            "entry {i}: the rebuilt body is not the signed body"
        );
        let sig_file = dir.join(format!("sig-{i}.minisig"));
        std::fs::write(&sig_file, str_of(entry, "signature")).expect("write sig");
        let out = minisign_verify(&public, &body_file, &sig_file);
        let stdout = assert_ok(&out);
        assert!(
            stdout.contains("Trusted comment: temoin/custody-entry/v1"),
            "{}",
            describe(&out)
        );
    }

    // A modified body fails: another action, another hash, or only a space.
    let entry = log
        .iter()
        .find(|e| e["body"]["action"] == "create" && e["body"]["item"] == ev_id.as_str())
        .expect("the evidence's create entry");
    let sig_file = dir.join("evidence.minisig");
    std::fs::write(&sig_file, str_of(entry, "signature")).expect("write sig");
    let good = signed_bytes(&entry["body"]);
    let good_file = dir.join("evidence.json");
    std::fs::write(&good_file, &good).expect("write");
    assert_ok(&minisign_verify(&public, &good_file, &sig_file));

    let mut deleted = entry["body"].clone();
    deleted["action"] = "delete".into();
    let mut other_hash = entry["body"].clone();
    let h = str_of(&other_hash, "sha256");
    let flipped = if h.starts_with('0') { "1" } else { "0" };
    other_hash["sha256"] = format!("{flipped}{}", &h[1..]).into();
    let mut spaced = good.clone();
    spaced.insert(1, b' ');
    for (name, bytes) in [
        ("deleted", signed_bytes(&deleted)),
        ("other-hash", signed_bytes(&other_hash)),
        ("spaced", spaced),
    ] {
        let bad = dir.join(format!("{name}.json"));
        std::fs::write(&bad, &bytes).expect("write");
        let out = minisign_verify(&public, &bad, &sig_file);
        assert!(
            !out.status.success(),
            "minisign accepted a modified body ({name})\n{}",
            describe(&out)
        );
    }

    // Another entry's signature does not fit this body.
    let other_sig = dir.join("other.minisig");
    std::fs::write(&other_sig, str_of(&log[0], "signature")).expect("write");
    assert!(!minisign_verify(&public, &good_file, &other_sig)
        .status
        .success());

    // Nor does another device's key.
    let g = Fixture::new();
    let stranger = g.file("stranger.pub", g.ok(&["device"]).as_bytes());
    assert!(!minisign_verify(&stranger, &good_file, &sig_file)
        .status
        .success());
}

/// A missing tool fails the test that needs it, with a message saying what
/// to install; it never skips the test.
#[test]
#[should_panic(expected = "this test needs the `temoin-no-such-tool` tool, which is not installed")]
fn a_missing_tool_fails_loudly() {
    run_tool("temoin-no-such-tool", &["--version"]);
}
