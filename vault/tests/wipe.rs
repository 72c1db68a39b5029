//! Panic wipe: the key slots go first, an interrupted wipe finishes at the
//! next start, and nothing of the key material is left in the folder.

use std::path::{Path, PathBuf};

use base64::Engine;
use temoin_vault::case::{Case, Testimony};
use temoin_vault::wipe::{self, WipeStage};
use temoin_vault::{KdfChoice, OpenError, Passphrase, Vault};

const PASS: &str = "correct horse battery staple";

/// A vault with a case, a testimony and an evidence file, and the key
/// material captured before any wipe: each slot's wrapped key and salt, and
/// the payload identity (exported, as a person would for recovery).
fn vault_with_content(root: &Path) -> (PathBuf, Vec<Vec<u8>>) {
    let dir = root.join("vault");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    let case = v.add(&Case::new("A case")).expect("case");
    v.add(&Testimony::new(
        case,
        "What happened, in the witness's words.",
    ))
    .expect("testimony");
    let file = root.join("note.txt");
    std::fs::write(&file, b"an evidence file").expect("write");
    v.ingest_file(case, &file, &mut |_| {}).expect("ingest");
    let exported = root.join("payload.key");
    v.export_payload_key(&exported).expect("export");
    v.lock();

    let slots = temoin_vault::fuzzing::slot_table(&dir);
    let mut secrets = Vec::new();
    for slot in slots["slots"].as_array().expect("slots") {
        let wrapped = slot["wrapped_key"].as_str().expect("wrapped key");
        secrets.push(
            base64::engine::general_purpose::STANDARD
                .decode(wrapped)
                .expect("base64"),
        );
        secrets.push(wrapped.as_bytes().to_vec());
        let salt = slot["kdf"]["salt"].as_str().expect("salt");
        secrets.push(hex::decode(salt).expect("hex"));
    }
    let identity = std::fs::read_to_string(&exported).expect("identity");
    let line = identity
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("an age secret key");
    secrets.push(line.as_bytes().to_vec());
    (dir, secrets)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Whether any 16-byte window of any secret occurs in any file under `dir`.
fn find_secrets(dir: &Path, secrets: &[Vec<u8>]) -> Vec<String> {
    let mut found = Vec::new();
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for s in secrets {
            let probe = &s[..s.len().min(16)];
            if bytes.windows(probe.len()).any(|w| w == probe) {
                found.push(f.display().to_string());
            }
        }
    }
    found
}

/// The probe's positive control: each secret, planted at an odd offset
/// among other bytes, is found, so that an empty scan means the secrets are
/// absent, not that the probe cannot see them.
fn assert_probe_finds_each(secrets: &[Vec<u8>]) {
    for (i, secret) in secrets.iter().enumerate() {
        let control = tempfile::tempdir().expect("tempdir");
        let mut bytes = vec![0x5a; 4099];
        bytes.extend_from_slice(secret);
        bytes.extend_from_slice(&[0xa5; 333]);
        std::fs::write(control.path().join(format!("planted-{i}")), bytes).expect("write");
        let found = find_secrets(control.path(), std::slice::from_ref(secret));
        assert_eq!(found.len(), 1, "the probe missed planted secret {i}");
    }
}

#[test]
fn a_wipe_removes_the_vault_and_the_right_passphrase_no_longer_opens_anything() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, secrets) = vault_with_content(root.path());
    assert!(find_secrets(&dir, &secrets)
        .iter()
        .any(|f| f.ends_with("keyslots.json")));

    let report = wipe::wipe(&dir).expect("wipe");
    assert_eq!(report.slot_files, 1);
    assert!(report.folder_removed);
    assert!(!dir.exists());
    assert!(matches!(
        Vault::unlock(&dir, &Passphrase::from(PASS)),
        Err(OpenError::NotAVault(_))
    ));
}

#[test]
fn after_the_slots_are_destroyed_no_key_material_is_left_and_the_next_start_finishes() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, secrets) = vault_with_content(root.path());
    // A crash right after the slots were destroyed: the records and the
    // payloads are still there, but they are ciphertext under a key that
    // no longer exists anywhere.
    wipe::wipe_until(&dir, WipeStage::SlotsDestroyed).expect("wipe");
    assert!(!dir.join("keyslots.json").exists());
    assert!(dir.join("records").exists(), "the rest is still there");
    assert!(secrets.len() >= 4, "the probe has something to look for");
    assert_probe_finds_each(&secrets);
    let found = find_secrets(&dir, &secrets);
    assert!(found.is_empty(), "key material left in {found:?}");
    // The next start finishes the wipe instead of opening anything.
    assert!(matches!(
        Vault::unlock(&dir, &Passphrase::from(PASS)),
        Err(OpenError::NotAVault(_))
    ));
    assert!(!dir.exists());
}

#[test]
fn a_wipe_interrupted_before_it_destroyed_anything_completes_at_the_next_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, _) = vault_with_content(root.path());
    wipe::wipe_until(&dir, WipeStage::Marked).expect("mark");
    assert!(dir.join("keyslots.json").exists());
    // The right passphrase, after a wipe was asked for: the wipe wins.
    assert!(matches!(
        Vault::unlock(&dir, &Passphrase::from(PASS)),
        Err(OpenError::NotAVault(_))
    ));
    assert!(!dir.exists());
    // And a new vault can be made there.
    Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("a new vault");
}

#[test]
fn a_wipe_removes_only_what_belongs_to_the_vault() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, _) = vault_with_content(root.path());
    std::fs::write(dir.join("notes-of-mine.txt"), b"not the vault's").expect("write");
    let report = wipe::wipe(&dir).expect("wipe");
    assert!(!report.folder_removed);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("notes-of-mine.txt")]);
    // A folder that is not a vault is refused outright.
    let other = root.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("a"), b"x").expect("write");
    assert!(matches!(
        wipe::wipe(&other),
        Err(temoin_vault::WipeError::NotAVault(_))
    ));
    assert!(other.join("a").exists());
}

/// Runs a command as root: directly when the tests run as root, otherwise
/// through `sudo -n` (as `scripts/deps.sh` does). Panics saying what is
/// missing.
fn as_root(args: &[&str]) {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if root {
        std::process::Command::new(args[0])
    } else {
        let mut c = std::process::Command::new("sudo");
        c.arg("-n").arg(args[0]);
        c
    };
    let out = cmd.args(&args[1..]).output().unwrap_or_else(|e| {
        panic!("cannot run {args:?}: {e}; this test needs root (or sudo without a password)")
    });
    assert!(
        out.status.success(),
        "{args:?} failed: {}\nthis test needs root (or sudo without a password), loop devices \
         and ext4 (mkfs.ext4 from e2fsprogs)",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The file system image, mounted for the life of the guard.
struct Mounted {
    at: PathBuf,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.at).status();
        let _ = std::process::Command::new("sudo")
            .args(["-n", "umount"])
            .arg(&self.at)
            .status();
    }
}

fn wrapped_keys(dir: &Path, seen: &mut Vec<String>) {
    let table = temoin_vault::fuzzing::slot_table(dir);
    for slot in table["slots"].as_array().into_iter().flatten() {
        if let Some(w) = slot["wrapped_key"].as_str() {
            if !seen.iter().any(|s| s == w) {
                seen.push(w.to_owned());
            }
        }
    }
}

/// What an examiner does with a seized disk: the vault lives on a real
/// ext4 file system (a loop-mounted image), goes through everything that
/// rewrites its key slots (init, an attempt limit, wrong attempts, a
/// passphrase change, a duress passphrase set and removed) and is wiped;
/// then the raw device is searched for every version of every wrapped key,
/// in base64 and as raw bytes. None may be found: the slots are rewritten
/// in place, and the wipe overwrites them in place before unlinking.
#[test]
fn no_version_of_a_wrapped_key_is_left_on_an_ext4_device() {
    let root = tempfile::tempdir().expect("tempdir");
    let image = root.path().join("ext4.img");
    std::fs::write(&image, vec![0u8; 32 * 1024 * 1024]).expect("image");
    // Not always on a user's PATH (/usr/sbin).
    let mkfs = ["mkfs.ext4", "/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]
        .iter()
        .map(|m| {
            std::process::Command::new(m)
                .args(["-q", "-F"])
                .arg(&image)
                .output()
        })
        .find(|o| o.is_ok())
        .unwrap_or_else(|| Err(std::io::Error::other("mkfs.ext4 not found")));
    assert!(
        mkfs.as_ref().is_ok_and(|o| o.status.success()),
        "mkfs.ext4 (e2fsprogs, installed by scripts/deps.sh) failed: {mkfs:?}"
    );
    let mnt = root.path().join("mnt");
    std::fs::create_dir(&mnt).expect("mount point");
    as_root(&[
        "mount",
        "-o",
        "loop",
        image.to_str().expect("path"),
        mnt.to_str().expect("path"),
    ]);
    let guard = Mounted { at: mnt.clone() };
    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .expect("id");
    as_root(&["chown", &uid, mnt.to_str().expect("path")]);

    let dir = mnt.join("vault");
    let mut seen = Vec::new();
    let real = Passphrase::from(PASS);
    let mut v = Vault::create(&dir, &real, KdfChoice::Minimum).expect("create");
    wrapped_keys(&dir, &mut seen);
    v.set_attempt_limit(Some(5)).expect("limit");
    v.lock();
    for _ in 0..2 {
        assert!(Vault::unlock(&dir, &Passphrase::from("a guess")).is_err());
    }
    let mut v = Vault::unlock(&dir, &real).expect("unlock");
    let new = Passphrase::from("another passphrase entirely");
    v.change_passphrase(&real, &new, KdfChoice::Minimum)
        .expect("passwd");
    wrapped_keys(&dir, &mut seen);
    v.set_duress(
        &new,
        &Passphrase::from("grocery list"),
        temoin_vault::duress::DuressOutcome::Decoy,
    )
    .expect("duress");
    wrapped_keys(&dir, &mut seen);
    v.remove_duress(&new).expect("remove duress");
    wrapped_keys(&dir, &mut seen);
    v.lock();
    // Before the wipe (a device seized as it is): the slots in use are on
    // the device (the search works), no earlier version is.
    let mut current = Vec::new();
    wrapped_keys(&dir, &mut current);
    let raw = std::fs::read(&image).expect("image");
    for w in &seen {
        let found = memchr::memmem::find(&raw, w.as_bytes()).is_some();
        assert_eq!(found, current.contains(w), "before the wipe");
    }
    wipe::wipe(&dir).expect("wipe");
    drop(guard);

    let raw = std::fs::read(&image).expect("image");
    assert!(seen.len() >= 4, "{} versions of the slots seen", seen.len());
    let find = |needle: &[u8]| memchr::memmem::find(&raw, needle).is_some();
    for w in &seen {
        assert!(
            !find(w.as_bytes()),
            "a wrapped key (base64) is on the device"
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(w)
            .expect("base64");
        assert!(!find(&bytes), "a wrapped key (raw bytes) is on the device");
    }
}

/// A sink that takes its time (a slow USB stick), discarding what it gets,
/// and says when the first MiB went through.
struct Slow {
    written: std::sync::Arc<std::sync::atomic::AtomicU64>,
    started: Option<std::sync::mpsc::Sender<()>>,
}

impl std::io::Write for Slow {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering;
        let total = self.written.fetch_add(buf.len() as u64, Ordering::SeqCst) + buf.len() as u64;
        if total > 1024 * 1024 {
            if let Some(tx) = self.started.take() {
                let _ = tx.send(());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A vault holding a case with 64 MiB of evidence that consent lets OMCT
/// receive.
fn big_vault(root: &Path) -> (PathBuf, Vault, temoin_vault::ItemId) {
    use temoin_vault::case::{Consent, ConsentScope};
    let dir = root.join("vault");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    let case = v.add(&Case::new("A case")).expect("case");
    v.add(&Consent::new(
        case,
        "the family",
        temoin_vault::PartialDate("2024-03-05".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .expect("consent");
    let mut bytes = vec![0u8; 64 * 1024 * 1024];
    temoin_crypto::random_bytes(&mut bytes);
    let file = root.join("video.bin");
    std::fs::write(&file, &bytes).expect("write");
    v.ingest_file(case, &file, &mut |_| {}).expect("ingest");
    (dir, v, case)
}

/// The panic wipe does not wait for a running export or backup: it begins
/// (and destroys the key slots) while the job is still writing, and the
/// job stops at its next write with nothing more written. The order of
/// events is what is checked, not the time: the wipe began before the job
/// returned, the wipe's first stage finished without the job's help, and
/// the job wrote a small part of its 64 MiB.
#[test]
fn a_wipe_does_not_wait_for_a_running_export_or_backup() {
    use std::sync::{Arc, Mutex};
    for job in ["export", "backup"] {
        let root = tempfile::tempdir().expect("tempdir");
        let (dir, mut v, case) = big_vault(root.path());
        let events = Arc::new(Mutex::new(Vec::<&str>::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log = events.clone();
        let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = written.clone();
        let running = std::thread::spawn(move || {
            let sink = Slow {
                written: counter,
                started: Some(tx),
            };
            let result = if job == "export" {
                let to = temoin_crypto::payload::PayloadIdentity::generate().recipient();
                v.export_bundle(
                    case,
                    &temoin_vault::export::ExportOptions {
                        purpose: temoin_bundle::Purpose::ShareWithOmct,
                        recipients: vec![to],
                        supersedes: None,
                        part: None,
                    },
                    sink,
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            } else {
                v.backup(sink).map(|_| ()).map_err(|e| e.to_string())
            };
            log.lock().expect("events").push("job returned");
            drop(v);
            result
        });
        rx.recv().expect("the job started");
        events.lock().expect("events").push("wipe began");
        wipe::wipe_until(&dir, WipeStage::SlotsDestroyed).expect("wipe");
        assert!(!dir.join("keyslots.json").exists());
        let result = running.join().expect("the job");
        assert_eq!(
            *events.lock().expect("events"),
            ["wipe began", "job returned"],
            "{job}"
        );
        let e = result.expect_err("the job stopped");
        assert!(e.contains("being wiped"), "{job}: {e}");
        let sent = written.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent < 32 * 1024 * 1024, "{job}: {sent} bytes written");
        wipe::wipe(&dir).expect("the wipe finishes");
    }
}

/// An export to a file that meets a wipe leaves nothing behind.
#[test]
fn an_export_to_a_file_during_a_wipe_leaves_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v, case) = big_vault(root.path());
    wipe::wipe_until(&dir, WipeStage::Marked).expect("marked");
    let out = root.path().join("bundle.tar.age");
    let to = temoin_crypto::payload::PayloadIdentity::generate().recipient();
    let e = v
        .export_bundle_to_file(
            case,
            &temoin_vault::export::ExportOptions {
                purpose: temoin_bundle::Purpose::ShareWithOmct,
                recipients: vec![to],
                supersedes: None,
                part: None,
            },
            &out,
        )
        .expect_err("stopped");
    assert!(e.to_string().contains("being wiped"), "{e}");
    assert!(!out.exists());
    assert!(!root.path().join("bundle.tar.age.part").exists());
}

/// A change of the key slots that was still deriving its key when a wipe
/// began does not bring the destroyed slots back.
#[test]
fn the_slots_a_wipe_destroyed_are_never_written_again() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("vault");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    let case = v.add(&Case::new("A case")).expect("case");
    // The wipe has begun (its marker written), the slots still there: a
    // change is refused and leaves them as they are.
    wipe::wipe_until(&dir, WipeStage::Marked).expect("marked");
    let before = std::fs::read(dir.join("keyslots.json")).expect("slots");
    let e = v.set_attempt_limit(Some(3)).expect_err("refused");
    assert!(e.to_string().contains("being wiped"), "{e}");
    assert_eq!(
        std::fs::read(dir.join("keyslots.json")).expect("slots"),
        before
    );
    // Destroyed: a change does not make them again.
    wipe::wipe_until(&dir, WipeStage::SlotsDestroyed).expect("first stage");
    assert!(v.set_attempt_limit(Some(3)).is_err());
    assert!(!dir.join("keyslots.json").exists());
    let file = root.path().join("note.txt");
    std::fs::write(&file, vec![7u8; 4 * 1024 * 1024]).expect("write");
    // An import into the vault stops at its first write, saying why.
    let e = v
        .ingest_file(case, &file, &mut |_| {})
        .expect_err("the import stops");
    assert!(e.to_string().contains("being wiped"), "{e}");
    drop(v);
    wipe::wipe(&dir).expect("the wipe finishes");
    assert!(!dir.exists());
}

/// A passphrase change cut short between its two writes leaves the old
/// table (the old passphrase's wrapped key) in one copy of the key-slot
/// file; the next unlock writes the current table over it.
#[test]
fn an_unlock_settles_a_key_slot_change_cut_short() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("vault");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    let before = std::fs::read(dir.join("keyslots.json")).expect("slots");
    let mut old = Vec::new();
    wrapped_keys(&dir, &mut old);
    v.change_passphrase(
        &Passphrase::from(PASS),
        &Passphrase::from("a new one"),
        KdfChoice::Minimum,
    )
    .expect("passwd");
    v.lock();
    // The second half as it was before the change: the cut.
    let mut cut = std::fs::read(dir.join("keyslots.json")).expect("slots");
    let half = cut.len() / 2;
    cut[half..].copy_from_slice(&before[half..]);
    std::fs::write(dir.join("keyslots.json"), &cut).expect("write");
    let find = |bytes: &[u8], w: &str| memchr::memmem::find(bytes, w.as_bytes()).is_some();
    assert!(
        old.iter().any(|w| find(&cut, w)),
        "the cut holds the old key"
    );
    drop(Vault::unlock(&dir, &Passphrase::from("a new one")).expect("unlock"));
    let settled = std::fs::read(dir.join("keyslots.json")).expect("slots");
    assert!(
        !old.iter().any(|w| find(&settled, w)),
        "the old key is gone"
    );
}

/// A bundle OMCT's desk keeps as it arrived is sealed to OMCT's keys, not
/// to the vault key: the wipe overwrites its header, so that no key opens
/// it, and with it any other name the same file still has (an inbox copy).
#[test]
fn a_wipe_leaves_no_payload_any_key_could_open() {
    use temoin_crypto::payload::PayloadIdentity;
    use temoin_vault::desk_records::{CaseSummary, Received};
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("store");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    // Sealed to a key outside the vault, as a device seals a bundle.
    let omct = PayloadIdentity::generate();
    let mut sealed = Vec::new();
    {
        let mut w =
            temoin_crypto::payload::encrypt_to(&[omct.recipient()], &mut sealed).expect("encrypt");
        std::io::Write::write_all(&mut w, b"a received case, word for word").expect("write");
        w.finish().expect("finish");
    }
    let inbox = root.path().join("inbox.tar.age");
    std::fs::write(&inbox, &sealed).expect("write");
    let staged = v
        .stage_as_arrived(&inbox, true)
        .expect("stage")
        .finish()
        .expect("finish");
    let facts = staged.facts().clone();
    let record = Received {
        bundle_id: "b".into(),
        sequence: 1,
        device_key_id: "ABCDEF0123456789".into(),
        device_label: None,
        purpose: "share_with_omct".into(),
        format: "temoin-bundle/1".into(),
        sealed_at: "2026-12-01T10:00:00Z".into(),
        received_at: "2026-12-01T11:00:00Z".into(),
        case: temoin_vault::ItemId::random(),
        supersedes: None,
        manifest_sha256: "a".repeat(64),
        file_sha256: Some(facts.sha256.clone()),
        sha256: facts.sha256,
        size: facts.size,
        files_verified: 1,
        custody_verified: 1,
        withheld: 0,
        as_arrived: true,
        summary: CaseSummary {
            title: "t".into(),
            ..CaseSummary::default()
        },
    };
    let id = v.derived_id("received/b");
    v.add_with_payload(id, staged, &record).expect("add");
    v.lock();
    // The inbox's name of the same file opens with OMCT's key before.
    let open = |path: &Path| {
        let bytes = std::fs::read(path).expect("read");
        PayloadIdentity::decrypt_any(std::slice::from_ref(&omct), &bytes[..]).is_ok()
    };
    assert!(open(&inbox));
    wipe::wipe(&dir).expect("wipe");
    assert!(!dir.exists());
    assert!(!open(&inbox), "OMCT's key still opens what the store kept");
}
