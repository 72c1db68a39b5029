//! `temoin backup` and `temoin restore` through the real binary, and the
//! backup read by the real `age` and `tar` tools.

mod common;

use common::*;

fn populated() -> (Fixture, String) {
    let f = Fixture::new();
    let case = f.new_case("Held at the checkpoint");
    let evidence = f.file("photo.bin", &random_bytes(200_000));
    f.ok(&["evidence", "add", &case, s(&evidence)]);
    (f, case)
}

#[test]
fn a_backup_to_a_recovery_passphrase_restores_into_a_vault_that_verifies_and_is_the_same() {
    let (f, _) = populated();
    let recovery = f.file("recovery.txt", b"five unrelated words for recovery\n");
    let out = f.path("vault-backup.age");
    f.ok(&[
        "backup",
        "--out",
        s(&out),
        "--recovery-passphrase-file",
        s(&recovery),
    ]);
    let head = std::fs::read(&out).expect("backup");
    assert!(
        head.starts_with(b"age-encryption.org/v1\n-> scrypt "),
        "an age -p file"
    );

    let new = f.path("restored");
    let r = assert_json(&temoin(
        &new,
        &[
            "restore",
            s(&out),
            "--recovery-passphrase-file",
            s(&recovery),
            "--passphrase-file",
            s(&f.pass),
            "--json",
        ],
    ));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["payloads"], 1);
    let list = |dir: &std::path::Path| {
        assert_json(&temoin(
            dir,
            &["--passphrase-file", s(&f.pass), "case", "list", "--json"],
        ))
    };
    assert_eq!(list(&new), list(&f.vault));

    // A wrong recovery passphrase: a clear error, and no folder made.
    let wrong = f.file("wrong.txt", b"not the recovery words\n");
    let again = f.path("again");
    let out2 = temoin(
        &again,
        &[
            "restore",
            s(&out),
            "--recovery-passphrase-file",
            s(&wrong),
            "--passphrase-file",
            s(&f.pass),
        ],
    );
    assert_fails(&out2, 1, &["does not open this backup"]);
    assert!(!again.exists());
}

#[test]
fn a_backup_to_an_age_key_is_a_plain_age_file_of_a_tar_stream() {
    let (f, _) = populated();
    let key = f.path("recovery.key");
    assert_ok(&run_tool("age-keygen", &["-o", s(&key)]));
    let recipient = assert_ok(&run_tool("age-keygen", &["-y", s(&key)]));
    let out = f.path("b.age");
    f.ok(&["backup", "--out", s(&out), "--recipient", recipient.trim()]);

    // The reference tools read it: age decrypts, tar lists the vault.
    let tar_file = f.path("b.tar");
    assert_ok(&run_tool(
        "age",
        &["-d", "-i", s(&key), "-o", s(&tar_file), s(&out)],
    ));
    let listing = assert_ok(&run_tool("tar", &["-tf", s(&tar_file)]));
    for needle in [
        "keyslots.json",
        "custody.head",
        "records/",
        "blobs/",
        "BACKUP.json",
    ] {
        assert!(
            listing.contains(needle),
            "{needle} missing from:\n{listing}"
        );
    }

    let new = f.path("restored");
    let r = assert_json(&temoin(
        &new,
        &[
            "restore",
            s(&out),
            "--identity",
            s(&key),
            "--passphrase-file",
            s(&f.pass),
            "--json",
        ],
    ));
    assert_eq!(r["ok"], true, "{r}");
}
