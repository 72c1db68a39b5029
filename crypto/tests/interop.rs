//! Interoperability with tools we did not write: `age`, `minisign`, `argon2`.
//! `make test` installs them (Debian packages `age`, `minisign`, `argon2`).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use temoin_crypto::kdf::{derive, KdfParams};
use temoin_crypto::payload::{encrypt_to, PayloadIdentity, PayloadRecipient};
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_crypto::Passphrase;

fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "`{name}` is not installed; `make test` installs it");
    Command::new(name)
}

#[test]
fn our_payloads_decrypt_with_the_age_tool() {
    let dir = tempfile::tempdir().unwrap();
    let id = PayloadIdentity::generate();
    let key_file = dir.path().join("key.txt");
    std::fs::write(&key_file, id.key_file_for_export().as_bytes()).unwrap();

    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let mut w = encrypt_to(&[id.recipient()], Vec::new()).unwrap();
    w.write_all(&data).unwrap();
    let ct = w.finish().unwrap();
    let ct_file = dir.path().join("payload.age");
    std::fs::write(&ct_file, &ct).unwrap();

    let out = tool("age")
        .arg("-d")
        .arg("-i")
        .arg(&key_file)
        .arg(&ct_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, data);
}

#[test]
fn age_tool_output_decrypts_with_ours() {
    let id = PayloadIdentity::generate();
    let mut child = tool("age")
        .arg("-r")
        .arg(id.recipient().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data = vec![42u8; 100_000];
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let mut back = Vec::new();
    id.decrypt(&out.stdout[..])
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
}

#[test]
fn recipients_from_age_keygen_parse() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.txt");
    let out = tool("age-keygen").arg("-o").arg(&key).output().unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&key).unwrap();
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    let r: PayloadRecipient = public.parse().unwrap();
    assert_eq!(r.to_string(), public);
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    let id = PayloadIdentity::from_secret(secret).unwrap();
    assert_eq!(id.recipient().to_string(), public);
}

#[test]
fn device_signatures_verify_with_minisign() {
    let dir = tempfile::tempdir().unwrap();
    let key = DeviceKey::generate();
    let msg = b"{\"v\":\"temoin/custody-entry/v1\",\"seq\":0}";
    let msg_file = dir.path().join("entry.json");
    std::fs::write(&msg_file, msg).unwrap();
    std::fs::write(
        dir.path().join("entry.json.minisig"),
        key.sign(SigningPurpose::CustodyEntry, msg),
    )
    .unwrap();
    let pub_file = dir.path().join("device.pub");
    std::fs::write(&pub_file, key.public().to_minisign_file()).unwrap();

    let out = tool("minisign")
        .arg("-V")
        .arg("-p")
        .arg(&pub_file)
        .arg("-m")
        .arg(&msg_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Trusted comment: temoin/custody-entry/v1"),
        "{stdout}"
    );

    // With -P and the base64 line, as a third party would be told to.
    let out = tool("minisign")
        .arg("-Vm")
        .arg(&msg_file)
        .arg("-P")
        .arg(key.public().to_minisign_base64())
        .output()
        .unwrap();
    assert!(out.status.success());

    // And minisign refuses an altered message.
    std::fs::write(&msg_file, b"{\"v\":\"temoin/custody-entry/v1\",\"seq\":1}").unwrap();
    let out = tool("minisign")
        .arg("-V")
        .arg("-p")
        .arg(&pub_file)
        .arg("-m")
        .arg(&msg_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn minisign_tool_signatures_are_read_by_our_parser_as_foreign() {
    // A key made by the real tool is a valid minisign key, but its id is not
    // derived the way ours are: it must be refused as a device key rather
    // than silently accepted.
    let dir = tempfile::tempdir().unwrap();
    let out = tool("minisign")
        .arg("-G")
        .arg("-W")
        .arg("-p")
        .arg(dir.path().join("k.pub"))
        .arg("-s")
        .arg(dir.path().join("k.sec"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("k.pub")).unwrap();
    assert!(temoin_crypto::sign::DevicePublicKey::from_minisign(&text).is_err());
}

#[test]
fn argon2id_matches_the_reference_implementation() {
    // The `argon2` command is the reference C implementation (RFC 9106).
    let salt = b"somesaltsomesalt";
    let params = KdfParams::FLOOR;
    let ours = {
        let mut child = tool("argon2")
            .arg(std::str::from_utf8(salt).unwrap())
            .args(["-id", "-k", &params.m_kib.to_string()])
            .args(["-t", &params.t_cost.to_string()])
            .args(["-p", &params.p_cost.to_string(), "-l", "32", "-r"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"password").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let kek = derive(&Passphrase::from("password"), salt, params).unwrap();
    // The KEK is opaque; prove equality by wrapping with a KEK rebuilt from the
    // reference output... which we cannot construct from outside. Instead the
    // crate exposes a test-only fingerprint: the SHA-256 of the key.
    assert_eq!(
        kek.fingerprint_for_tests(),
        sha256_hex(&hex::decode(&ours).unwrap())
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
