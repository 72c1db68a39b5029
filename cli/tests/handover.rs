//! The handover through the binaries, as OMCT and a defender would run it:
//! `temoin intake serve` as a real process on loopback, `temoin desk` on
//! OMCT's side, and enroll, submit, sync and outbox on the device. Then the
//! intake server is killed with SIGKILL in the middle of an upload and
//! restarted: the upload resumes, and what the desk receives is the bundle.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::*;

struct Intake {
    child: Child,
    url: String,
}

impl Drop for Intake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, listen: &str) -> Intake {
    serve_with(&["--dir", s(dir), "--listen", listen])
}

/// `temoin intake serve ARGS`, until dropped.
fn serve_with(args: &[&str]) -> Intake {
    let mut child = Command::new(env!("CARGO_BIN_EXE_temoin"))
        .args(["intake", "serve"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("Intake server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Intake { child, url }
}

/// `temoin desk ARGS`, with the desk's passphrase from a file beside the
/// desk folder that `--dir` names (written the first time).
fn desk(args: &[&str]) -> std::process::Output {
    let dir = args
        .iter()
        .position(|a| *a == "--dir")
        .and_then(|i| args.get(i + 1))
        .unwrap_or_else(|| panic!("no --dir in {args:?}"));
    let pass = PathBuf::from(dir).with_extension("pass");
    if !pass.exists() {
        std::fs::write(&pass, "desk passphrase for the CLI tests\n").unwrap();
    }
    let mut all = vec!["--passphrase-file", s(&pass), "desk"];
    all.extend_from_slice(args);
    temoin_no_vault(&all)
}

struct Omct {
    intake_dir: PathBuf,
    desk_dir: PathBuf,
    server: Intake,
}

fn omct(f: &Fixture, max_upload_mib: &str) -> Omct {
    let intake_dir = f.path("intake");
    let init = assert_json(&temoin_no_vault(&[
        "intake",
        "init",
        "--dir",
        s(&intake_dir),
        "--max-upload-mib",
        max_upload_mib,
        "--json",
    ]));
    let pin = str_of(&init, "pin").to_owned();
    let server = serve(&intake_dir, "127.0.0.1:0");
    let desk_dir = f.path("desk");
    assert_ok(&desk(&[
        "init",
        "--dir",
        s(&desk_dir),
        "--server",
        &server.url,
        "--pin",
        &pin,
        "--desk-token-file",
        s(&intake_dir.join("desk.token")),
        "--kdf",
        "minimum",
    ]));
    Omct {
        intake_dir,
        desk_dir,
        server,
    }
}

/// An enrollment code from `desk enroll`, which prints it alone on one
/// line.
fn code(o: &Omct) -> String {
    let out = assert_ok(&desk(&[
        "enroll",
        "--dir",
        s(&o.desk_dir),
        "--label",
        "test device",
    ]));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("TEMOIN1-"), "{out}");
    out.trim().to_owned()
}

fn enroll(f: &Fixture, o: &Omct) {
    let code = code(o);
    let out = f.ok(&["enroll", "--code", &code]);
    assert!(out.contains("matches the code"), "{out}");
}

fn case_with_consent(f: &Fixture) -> String {
    let case = f.new_case("Held at the checkpoint");
    f.ok(&[
        "consent",
        "add",
        &case,
        "--scope",
        "share-with-omct",
        "--given-by-name",
        "the witness",
        "--given-on",
        "2024-03-05",
    ]);
    f.add_testimony(&case, "They kept him for three days.");
    case
}

#[test]
fn a_case_goes_from_the_field_to_the_desk() {
    let f = Fixture::new();
    let o = omct(&f, "4096");
    enroll(&f, &o);
    let case = case_with_consent(&f);
    let photo = f.file("photo.png", &png_bytes());
    f.add_evidence(&case, &photo);

    let queued = f.json(&["submit", &case]);
    let bundle = str_of(&queued, "bundle_id").to_owned();
    assert!(f.ok(&["outbox"]).contains("queued"));
    let sent = f.json(&["sync"]);
    assert_eq!(sent["delivered"][0], bundle.as_str(), "{sent}");
    assert!(f.ok(&["outbox"]).contains("receipt verified"));
    let custody = f.ok(&["custody", &case]);
    assert!(custody.contains("delivered"), "{custody}");

    let pulled = assert_json(&desk(&["pull", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(pulled["pulled"][0], bundle.as_str());
    let opened = desk(&["open", "--dir", s(&o.desk_dir)]);
    let text = assert_ok(&opened);
    assert!(text.contains("ACCEPTED"), "{text}");
    // The desk approved the device on its proof, and saw its first number.
    let devices = assert_json(&desk(&["devices", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(devices[0]["status"], "approved", "{devices}");
    assert_eq!(devices[0]["label"], "test device");
    assert_eq!(devices[0]["last_sequence"], 1);
    assert_eq!(devices[0]["gaps"], serde_json::json!([]));
    // `desk open` signed the desk's acknowledgement and handed it to the
    // server; the next sync brings it to the device.
    let synced = f.json(&["sync"]);
    assert_eq!(synced["acknowledged"][0], bundle.as_str(), "{synced}");
    assert!(f.ok(&["outbox"]).contains("received by OMCT"));
    let rows = f.json(&["outbox"]);
    assert_eq!(rows[0]["status"], "acknowledged", "{rows}");
    assert_eq!(rows[0]["acknowledgement"]["verdict"], "accepted");
    // The same acknowledgement as a file (a USB handover), imported.
    let file = f.path("ack.json");
    assert_ok(&desk(&[
        "ack-file",
        "--dir",
        s(&o.desk_dir),
        &bundle,
        "--out",
        s(&file),
    ]));
    let imported = f.json(&["ack", "import", s(&file)]);
    assert_eq!(imported["accepted"], true, "{imported}");
    // The case is in the desk's store, and nothing of it in the clear in
    // the desk's folder or the server's.
    let photo_bytes = std::fs::read(&photo).unwrap();
    let (found, files) = scan_for(
        &[&o.desk_dir, &o.intake_dir],
        &[
            "Held at the checkpoint",
            "They kept him for three days.",
            "the witness",
        ],
        &[&photo_bytes],
    );
    assert!(files > 10, "the scan read {files} files");
    assert!(found.is_empty(), "plaintext at the desk: {found:?}");
    let cases = assert_json(&desk(&["cases", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(cases.as_array().unwrap().len(), 1, "{cases}");
    assert_eq!(cases[0]["title"], "Held at the checkpoint");
    assert_eq!(cases[0]["state"], "new");
    assert_eq!(cases[0]["device_label"], "test device");
    assert_eq!(cases[0]["case_id"], case.as_str());
    let id = str_of(&cases[0], "id").to_owned();
    let shown = assert_json(&desk(&["show", "--dir", s(&o.desk_dir), &id, "--json"]));
    assert_eq!(
        shown["versions"][0]["received"]["bundle_id"],
        bundle.as_str()
    );
    assert!(shown["manifest"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "testimony"));
    // Triage in the order of the work, each step recorded.
    let refused = desk(&["triage", "--dir", s(&o.desk_dir), &id, "--state", "closed"]);
    assert!(!refused.status.success(), "{}", describe(&refused));
    for state in ["in_review", "needs_information"] {
        let row = assert_json(&desk(&[
            "triage",
            "--dir",
            s(&o.desk_dir),
            &id,
            "--state",
            state,
            "--json",
        ]));
        assert_eq!(row["state"], state);
    }
    let waiting = assert_json(&desk(&[
        "cases",
        "--dir",
        s(&o.desk_dir),
        "--state",
        "needs_information",
        "--json",
    ]));
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    let found = assert_json(&desk(&[
        "cases",
        "--dir",
        s(&o.desk_dir),
        "--search",
        "checkpoint",
        "--json",
    ]));
    assert_eq!(found.as_array().unwrap().len(), 1);
    // Exported on purpose: the bundle's own files, which tools we did not
    // write check, and the original photo byte for byte.
    let out = f.path("exported");
    assert_ok(&desk(&[
        "export",
        "--dir",
        s(&o.desk_dir),
        &id,
        "--out",
        s(&out),
    ]));
    let device_key = str_of(&f.json(&["device"]), "public_key").to_owned();
    assert_ok(&run_tool(
        "minisign",
        &["-V", "-m", s(&out.join("manifest.json")), "-P", &device_key],
    ));
    let checked = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert_ok(&checked);
    let evidence: Vec<_> = std::fs::read_dir(out.join("evidence")).unwrap().collect();
    assert_eq!(
        std::fs::read(evidence[0].as_ref().unwrap().path()).unwrap(),
        photo_bytes
    );
    // Figures, in one layout at both ends (this case names no victim, so
    // the header alone: the counting itself is tested in tests/desk_store).
    let (mine, theirs) = (f.path("device.csv"), f.path("desk.csv"));
    f.ok(&["stats", "--out", s(&mine)]);
    assert_ok(&desk(&[
        "stats",
        "--dir",
        s(&o.desk_dir),
        "--out",
        s(&theirs),
    ]));
    assert_eq!(
        std::fs::read(&mine).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
    assert!(std::fs::read_to_string(&theirs)
        .unwrap()
        .starts_with("country,quarter,dimension,value,victims\n"));
    let again = desk(&["stats", "--dir", s(&o.desk_dir), "--out", s(&theirs)]);
    assert!(!again.status.success(), "an existing file was overwritten");
    // Figures alone: with no victim counted, nothing is sealed, and says so.
    let none = f.run(&["submit", "--stats"]);
    assert!(!none.status.success());
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("no case counts anyone"),
        "{none:?}"
    );
    let neither = f.run(&["submit"]);
    assert!(!neither.status.success());
    let both = f.run(&["submit", &case, "--stats"]);
    assert!(!both.status.success(), "a case and --stats at once");
    // A question to the defender, and the answer back.
    let question = f.file(
        "question.txt",
        "Please record consent for publication.".as_bytes(),
    );
    let sent = assert_json(&desk(&[
        "message",
        "--dir",
        s(&o.desk_dir),
        &id,
        "--text-file",
        s(&question),
        "--json",
    ]));
    assert_eq!(sent["sent"], true, "{sent}");
    let synced = f.ok(&["sync"]);
    assert!(
        synced.contains("1 new message(s) from OMCT's desk"),
        "{synced}"
    );
    let got = f.json(&["messages"]);
    assert_eq!(got[0]["text"], "Please record consent for publication.");
    assert_eq!(got[0]["from_desk"], true);
    assert_eq!(got[0]["read"], false);
    assert_eq!(f.json(&["messages"])[0]["read"], true, "shown, so read");
    let answer = f.file("answer.txt", "Done: recorded on 5 March.".as_bytes());
    f.ok(&["answer", str_of(&got[0], "id"), "--text-file", s(&answer)]);
    assert!(f
        .ok(&["sync"])
        .contains("1 message(s) to OMCT's desk handed to the server"));
    let pulled = assert_json(&desk(&["pull", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(
        pulled["messages"]["received"].as_array().unwrap().len(),
        1,
        "{pulled}"
    );
    let shown = assert_json(&desk(&["show", "--dir", s(&o.desk_dir), &id, "--json"]));
    assert_eq!(
        shown["messages"][1]["message"]["text"],
        "Done: recorded on 5 March."
    );
    assert_eq!(shown["messages"][1]["status"], "received");
    // The desk's store, received cases included, backed up and restored
    // like a vault, to a key kept away from the desk machine.
    let key = f.path("recovery.key");
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    let keygen_text = String::from_utf8_lossy(&keygen.stderr).into_owned();
    let recipient = keygen_text
        .split_whitespace()
        .find(|w| w.starts_with("age1"))
        .unwrap_or_else(|| panic!("{keygen_text}"));
    let pass = o.desk_dir.with_extension("pass");
    let backup = f.path("desk-store.age");
    assert_ok(&temoin_no_vault(&[
        "--vault",
        s(&o.desk_dir.join("store")),
        "--passphrase-file",
        s(&pass),
        "backup",
        "--out",
        s(&backup),
        "--recipient",
        recipient,
    ]));
    let restored = f.path("desk-restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(&pass, restored.with_extension("pass")).unwrap();
    assert_ok(&temoin_no_vault(&[
        "--vault",
        s(&restored.join("store")),
        "--passphrase-file",
        s(&pass),
        "restore",
        s(&backup),
        "--identity",
        s(&key),
    ]));
    let again = assert_json(&desk(&["show", "--dir", s(&restored), &id, "--json"]));
    assert_eq!(again["manifest"], shown["manifest"]);
    assert_eq!(again["messages"], shown["messages"]);
    let out2 = f.path("exported-from-restored");
    assert_ok(&desk(&[
        "export",
        "--dir",
        s(&restored),
        &id,
        "--out",
        s(&out2),
    ]));
    assert_eq!(
        std::fs::read(out2.join("manifest.json")).unwrap(),
        std::fs::read(out.join("manifest.json")).unwrap()
    );
    // Acknowledged by the desk: the server kept nothing (retention 0).
    assert!(!o
        .intake_dir
        .join("store")
        .join(format!("{bundle}.tar.age"))
        .exists());
}

#[test]
fn a_bad_enrollment_and_an_oversized_bundle_get_clear_errors() {
    let f = Fixture::new();
    let o = omct(&f, "1");
    use temoin_proto::code::EnrollmentCode;
    let good = code(&o);
    // One character changed: refused as mistyped, before any connection.
    let mut typo = good.clone();
    let at = typo.len() - 3;
    let c = if &typo[at..at + 1] == "A" { "B" } else { "A" };
    typo.replace_range(at..at + 1, c);
    assert_fails(&f.run(&["enroll", "--code", &typo]), 1, &["mistyped"]);
    // A token the server does not know.
    let mut unknown = EnrollmentCode::parse(&good).unwrap();
    unknown.token = "00".repeat(32);
    let unknown = unknown.encode().unwrap();
    assert_fails(
        &f.run(&["enroll", "--code", &unknown]),
        1,
        &["not valid", "ask OMCT"],
    );
    // Another certificate than the code's pin.
    let mut wrong_pin = EnrollmentCode::parse(&good).unwrap();
    wrong_pin.pin = format!("sha256:{}", "ab".repeat(32));
    let wrong_pin = wrong_pin.encode().unwrap();
    assert_fails(&f.run(&["enroll", "--code", &wrong_pin]), 1, &["pinned"]);
    // The code read from standard input.
    let mut child = f
        .command(&["enroll", "--code-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{}", good.to_lowercase()).unwrap();
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success(), "{done:?}");
    // Used: refused the second time.
    assert_fails(&f.run(&["enroll", "--code", &good]), 1, &["already used"]);
    let case = case_with_consent(&f);
    let big = f.file("video.bin", &random_bytes(2 * 1024 * 1024));
    f.add_evidence(&case, &big);
    f.ok(&["submit", &case]);
    let sent = f.json(&["sync"]);
    let why = sent["failed"][0][1].as_str().unwrap_or_default().to_owned();
    assert!(why.contains("larger than this server accepts"), "{sent}");
    assert!(f.ok(&["outbox"]).contains("FAILED"));
}

#[cfg(unix)]
#[test]
fn the_intake_server_killed_mid_upload_resumes_and_stores_the_exact_bytes() {
    let f = Fixture::new();
    let mut o = omct(&f, "4096");
    enroll(&f, &o);
    let case = case_with_consent(&f);
    // Incompressible, so the bundle is as big: several 8 MiB chunks.
    let big = f.file("video.bin", &random_bytes(40 * 1024 * 1024));
    f.add_evidence(&case, &big);
    let queued = f.json(&["submit", &case]);
    let bundle = str_of(&queued, "bundle_id").to_owned();
    let size = queued["size"].as_u64().unwrap();
    let sha = sha256sum(&f.vault.join("outbox").join(format!("{bundle}.tar.age")));

    // Start sending, and kill the server once some bytes are on its disk.
    let mut sync = Command::new(env!("CARGO_BIN_EXE_temoin"))
        .args([
            "--vault",
            s(&f.vault),
            "--passphrase-file",
            s(&f.pass),
            "sync",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let uploads = o.intake_dir.join("uploads");
    let started = std::time::Instant::now();
    loop {
        let on_disk: u64 = std::fs::read_dir(&uploads)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "part"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        if on_disk > 0 && on_disk < size {
            break;
        }
        assert!(started.elapsed().as_secs() < 60, "the upload never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let port = o.server.url.rsplit(':').next().unwrap().to_owned();
    o.server.child.kill().unwrap();
    o.server.child.wait().unwrap();
    let _ = sync.wait();
    let outbox = f.ok(&["outbox"]);
    assert!(!outbox.contains("delivered"), "{outbox}");

    // Back up on the same address; the next sync resumes.
    o.server = serve(&o.intake_dir, &format!("127.0.0.1:{port}"));
    let sent = f.json(&["sync", "--force"]);
    assert_eq!(sent["delivered"][0], bundle.as_str(), "{sent}");
    let list = f.json(&["outbox"]);
    let sent_bytes = list[0]["progress"]["bytes_sent"].as_u64().unwrap();
    // What was re-sent is at most one chunk.
    assert!(
        sent_bytes <= size + 8 * 1024 * 1024,
        "sent {sent_bytes} bytes for a {size}-byte bundle"
    );
    assert!(sent_bytes >= size);
    // The server's copy is the bundle, byte for byte.
    let stored = o.intake_dir.join("store").join(format!("{bundle}.tar.age"));
    assert_eq!(sha256sum(&stored), sha);
}

#[cfg(unix)]
#[test]
fn sync_watch_delivers_once_the_server_comes_back() {
    let f = Fixture::new();
    let mut o = omct(&f, "4096");
    enroll(&f, &o);
    let case = case_with_consent(&f);
    let bundle = str_of(&f.json(&["submit", &case]), "bundle_id").to_owned();
    // The network goes away.
    let port = o.server.url.rsplit(':').next().unwrap().to_owned();
    o.server.child.kill().unwrap();
    o.server.child.wait().unwrap();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_temoin"))
        .args(["--vault", s(&f.vault), "--passphrase-file", s(&f.pass)])
        .args(["sync", "--watch", "--force", "--interval", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    // ... and comes back.
    o.server = serve(&o.intake_dir, &format!("127.0.0.1:{port}"));
    let stored = o.intake_dir.join("store").join(format!("{bundle}.tar.age"));
    let started = std::time::Instant::now();
    while !stored.exists() {
        assert!(
            started.elapsed().as_secs() < 60,
            "not delivered after the server came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Let the round finish recording the receipt, then stop watching.
    std::thread::sleep(std::time::Duration::from_secs(2));
    watch.kill().unwrap();
    watch.wait().unwrap();
    assert!(f.ok(&["outbox"]).contains("receipt verified"));
}

/// A server taken over, through the binaries: it hands out another OMCT
/// key than the code names (refused, nothing kept), and it enrolls a key
/// of its own with a token the desk issued (its bundle is flagged "unknown
/// device" and `desk open` exits 3).
#[test]
fn a_lying_server_through_the_binaries() {
    use temoin_proto::code::EnrollmentCode;
    let f = Fixture::new();
    let o = omct(&f, "4096");
    let elsewhere = Fixture::new();
    let impostor = omct(&elsewhere, "4096");
    // The impostor's server and token under the genuine code's OMCT key.
    let genuine = EnrollmentCode::parse(&code(&o)).unwrap();
    let mut lying = EnrollmentCode::parse(&code(&impostor)).unwrap();
    lying.root_fingerprint = genuine.root_fingerprint;
    let refused = f.run(&["enroll", "--code", &lying.encode().unwrap()]);
    assert_fails(
        &refused,
        1,
        &["does not match your enrollment code", "send nothing"],
    );
    let case = case_with_consent(&f);
    assert_fails(&f.run(&["submit", &case]), 1, &["not enrolled"]);

    // The operator's own device, with a real token and a made-up secret.
    let forger = Fixture::new();
    let mut stolen = genuine.clone();
    stolen.secret = [7; 32];
    forger.ok(&["enroll", "--code", &stolen.encode().unwrap()]);
    let forged_case = case_with_consent(&forger);
    forger.ok(&["submit", &forged_case]);
    assert_eq!(
        forger.json(&["sync"])["delivered"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_ok(&desk(&["pull", "--dir", s(&o.desk_dir)]));
    let opened = desk(&["open", "--dir", s(&o.desk_dir)]);
    assert_eq!(opened.status.code(), Some(3), "{opened:?}");
    let text = String::from_utf8_lossy(&opened.stdout);
    assert!(
        text.contains("FLAGGED") && text.contains("unknown device"),
        "{text}"
    );
    // No device is approved at this desk yet: the forger's bundle, though
    // signed (by its own key), never becomes a case, and nothing of it is
    // written in the clear.
    let cases = assert_json(&desk(&["cases", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(
        cases,
        serde_json::json!([]),
        "a forged bundle became a case"
    );
    let (found, _) = scan(&[&o.desk_dir], &["Held at the checkpoint"]);
    assert!(found.is_empty(), "{found:?}");
    let devices = assert_json(&desk(&["devices", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(devices[0]["status"], "unknown", "{devices}");
}

/// What the intake server's operator can do behind its back: SQL on the
/// server's own database, with the `sqlite3` tool (a real operator's).
fn operator(o: &Omct, sql: &str) -> String {
    let out = std::process::Command::new("sqlite3")
        .args(["-cmd", ".timeout 5000"])
        .arg(o.intake_dir.join("state.db"))
        .arg(sql)
        .output()
        .unwrap_or_else(|e| panic!("sqlite3 (scripts/deps.sh installs it): {e}"));
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A server taken over, through the binaries, lying in the ways that do
/// not need a key: it drops a bundle it signed a receipt for, withholds
/// the desk's acknowledgement of another, hands the device the
/// acknowledgement of a third bundle in place of a fourth's, and ignores a
/// revocation. With deliver-and-forget on, the device forgets nothing the
/// desk did not acknowledge; the dropped bundle is a gap in `desk devices`;
/// the acknowledgement moved is ignored; the desk's file does the work the
/// server withheld; and what the revoked device sent is flagged.
#[test]
fn a_server_that_drops_withholds_and_ignores_through_the_binaries() {
    let f = Fixture::new();
    let o = omct(&f, "4096");
    enroll(&f, &o);
    f.ok(&["forget-after-delivery", "on"]);
    let cases: Vec<String> = (0..3).map(|_| case_with_consent(&f)).collect();
    for case in &cases {
        f.ok(&["submit", case]);
    }
    let synced = f.json(&["sync"]);
    assert_eq!(synced["delivered"].as_array().unwrap().len(), 3, "{synced}");
    let rows = f.json(&["outbox"]);
    let id_of = |seq: u64| -> String {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["sequence"] == seq)
            .and_then(|r| r["bundle_id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (dropped, moved_to, withheld) = (id_of(1), id_of(2), id_of(3));

    // The operator drops the first bundle: its row and its bytes.
    operator(
        &o,
        &format!("DELETE FROM bundles WHERE bundle_id = '{dropped}'"),
    );
    std::fs::remove_file(o.intake_dir.join(format!("store/{dropped}.tar.age"))).unwrap();
    assert_ok(&desk(&["pull", "--dir", s(&o.desk_dir)]));
    let opened = desk(&["open", "--dir", s(&o.desk_dir)]);
    assert_eq!(assert_ok(&opened).matches("ACCEPTED").count(), 2);
    let devices = assert_json(&desk(&["devices", "--dir", s(&o.desk_dir), "--json"]));
    assert_eq!(devices[0]["last_sequence"], 3, "{devices}");
    assert_eq!(devices[0]["gaps"], serde_json::json!([1]), "{devices}");

    // The desk's acknowledgements reached the server; the operator puts
    // the third's under the second and withholds the third's.
    let held = operator(
        &o,
        &format!("SELECT count(*) FROM bundles WHERE desk_ack IS NOT NULL AND bundle_id IN ('{moved_to}', '{withheld}')"),
    );
    assert_eq!(held, "2");
    operator(
        &o,
        &format!(
            "UPDATE bundles SET desk_ack = (SELECT desk_ack FROM bundles WHERE bundle_id = '{withheld}') \
             WHERE bundle_id = '{moved_to}'; UPDATE bundles SET desk_ack = NULL WHERE bundle_id = '{withheld}';"
        ),
    );
    let synced = f.json(&["sync"]);
    assert_eq!(synced["acknowledged"], serde_json::json!([]), "{synced}");
    let statuses: Vec<String> = f
        .json(&["outbox"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        statuses, ["delivered"; 3],
        "nothing acknowledged by the server's word"
    );
    let kept = f.json(&["case", "list"]);
    assert_eq!(
        kept.as_array().unwrap().len(),
        3,
        "deliver-and-forget forgot: {kept}"
    );

    // The desk's file does what the server withheld.
    let file = f.path("ack.json");
    assert_ok(&desk(&[
        "ack-file",
        "--dir",
        s(&o.desk_dir),
        &withheld,
        "--out",
        s(&file),
    ]));
    let imported = f.json(&["ack", "import", s(&file)]);
    assert_eq!(imported["accepted"], true, "{imported}");
    let acknowledged = f
        .json(&["outbox"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "acknowledged")
        .map(|r| r["bundle_id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(acknowledged, std::slice::from_ref(&withheld));
    // The dropped bundle's case is still on the device, whatever happens
    // to the one the desk acknowledged.
    let still: Vec<String> = f
        .json(&["case", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(still.contains(&cases[0]), "{still:?}");
    assert!(still.contains(&cases[1]), "{still:?}");
    // The one the desk acknowledged (by file) is forgotten, as the
    // standing policy says.
    assert!(!still.contains(&cases[2]), "{still:?}");

    // The desk revokes the device; the operator undoes it on the server,
    // which then takes what the device sends. The desk flags it.
    let key_id = devices[0]["key_id"].as_str().unwrap().to_owned();
    assert_ok(&desk(&["revoke", "--dir", s(&o.desk_dir), &key_id]));
    operator(&o, "UPDATE devices SET revoked_at = NULL");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let late = case_with_consent(&f);
    f.ok(&["submit", &late]);
    let synced = f.json(&["sync"]);
    assert_eq!(synced["delivered"].as_array().unwrap().len(), 1, "{synced}");
    assert_ok(&desk(&["pull", "--dir", s(&o.desk_dir)]));
    let opened = desk(&["open", "--dir", s(&o.desk_dir)]);
    assert_eq!(opened.status.code(), Some(3), "{}", describe(&opened));
    let text = String::from_utf8_lossy(&opened.stdout);
    assert!(
        text.contains("FLAGGED") && text.contains("was revoked"),
        "{text}"
    );
}

/// `curl` against the intake server as a device that wants to hurt the
/// others would use it (no pin check: it does not care whom it talks to).
fn curl(url: &str, args: &[&str]) -> (u16, String) {
    let out = std::process::Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-D", "-", "-w", "%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("curl: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .rsplit('\n')
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A server that serves the recipient list from before OMCT rotated its
/// key (restored from a backup, or taken over) does not take the device
/// back: it keeps sealing to the new key.
#[test]
fn a_server_replaying_an_older_recipient_list_through_the_binaries() {
    let f = Fixture::new();
    let o = omct(&f, "4096");
    enroll(&f, &o);
    let old = operator(&o, "SELECT body FROM published WHERE name = 'recipients'");
    let rotated = assert_json(&desk(&["rotate", "--dir", s(&o.desk_dir), "--json"]));
    let new_recipient: temoin_bundle::PayloadRecipient =
        rotated["recipient"].as_str().unwrap().parse().unwrap();
    // The device takes the rotated list at its next sync.
    f.json(&["sync"]);
    let first = case_with_consent(&f);
    f.ok(&["submit", &first]);
    f.json(&["sync"]);
    operator(
        &o,
        &format!(
            "UPDATE published SET body = '{}' WHERE name = 'recipients'",
            old.replace('\'', "''")
        ),
    );
    assert_eq!(
        operator(&o, "SELECT body FROM published WHERE name = 'recipients'"),
        old
    );
    f.json(&["sync"]);
    let second = case_with_consent(&f);
    f.ok(&["submit", &second]);
    f.json(&["sync"]);
    // Both sealed to the new key only (the outbox names keys by their
    // fingerprints), the second after the server replayed the old list.
    let rows = f.json(&["outbox"]);
    assert_eq!(rows.as_array().unwrap().len(), 2);
    for r in rows.as_array().unwrap() {
        assert_eq!(
            r["recipients"],
            serde_json::json!([new_recipient.fingerprint()]),
            "{rows}"
        );
    }
}

/// One device opens fifty 4 GiB uploads and sends nothing (with `curl`,
/// enrolled with a code the desk issued); the server caps what one device
/// may hold, and an honest device's bundles go through meanwhile.
#[test]
fn fifty_empty_uploads_starve_nobody_through_the_binaries() {
    use temoin_proto::code::{device_proof, EnrollmentCode};
    let f = Fixture::new();
    let o = omct(&f, "4096");
    let hostile = Fixture::new();
    let key = hostile.json(&["device"]);
    let public_key = key["public_key"].as_str().unwrap();
    let code = EnrollmentCode::parse(&code(&o)).unwrap();
    let recipient = "age1r584hshyapefjelarh0v02hhzxxerzdktncf844wwz5h4l5h4gfs3gpyle";
    let body = serde_json::json!({
        "token": code.token,
        "public_key": public_key,
        "recipient": recipient,
        "proof": device_proof(&code.secret, public_key, recipient),
    })
    .to_string();
    let answer = std::process::Command::new("curl")
        .args([
            "-sk",
            "-H",
            "Content-Type: application/json",
            "--data",
            &body,
        ])
        .arg(format!("{}/v1/enroll", o.server.url))
        .output()
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    let token = answer["access_token"].as_str().unwrap().to_owned();

    let auth = format!("Authorization: Bearer {token}");
    let (mut held, mut refused) = (0, 0);
    for _ in 0..50 {
        let id = uuid::Uuid::new_v4().to_string();
        let metadata = format!(
            "Upload-Metadata: {}",
            temoin_proto::tus::format_metadata(&[("bundle_id", id.as_bytes())])
        );
        let (status, text) = curl(
            &format!("{}/v1/uploads", o.server.url),
            &[
                "-X",
                "POST",
                "-H",
                "Tus-Resumable: 1.0.0",
                "-H",
                &auth,
                "-H",
                "Upload-Length: 4294967296",
                "-H",
                &metadata,
            ],
        );
        match status {
            201 => held += 1,
            429 => refused += 1,
            other => panic!("unexpected answer {other}: {text}"),
        }
    }
    assert_eq!((held, refused), (2, 48), "the per-device cap is 8 GiB");

    enroll(&f, &o);
    for _ in 0..3 {
        let case = case_with_consent(&f);
        f.ok(&["submit", &case]);
    }
    let synced = f.json(&["sync"]);
    let delivered = synced["delivered"].as_array().unwrap().len();
    println!(
        "starvation through the binaries: {delivered} bundles delivered by another device while \
         the hostile device held {held} reservations ({refused} refused)"
    );
    assert_eq!(delivered, 3, "{synced}");
}

/// OMCT rotates the intake server's receipt key with the binaries, as
/// docs/deploy.md (section 7) tells its administrators: a new key beside
/// the old (never over a file), both named by the desk, the server
/// restarted on the new one through its configuration file, then the new
/// key named alone. The device believes the new key's receipts only
/// because the desk named it: its next submission is delivered.
#[test]
fn the_receipt_key_is_rotated_through_the_binaries() {
    let f = Fixture::new();
    let mut o = omct(&f, "4096");
    enroll(&f, &o);
    let new_file = o.intake_dir.join("receipt-2.key");
    let made = assert_json(&temoin_no_vault(&[
        "intake",
        "receipt-key",
        "--new",
        "--file",
        s(&new_file),
        "--json",
    ]));
    let new = str_of(&made, "receipt_key").to_owned();
    let again = temoin_no_vault(&["intake", "receipt-key", "--new", "--file", s(&new_file)]);
    assert!(!again.status.success(), "{}", describe(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists; nothing was changed"),
        "{}",
        describe(&again)
    );
    let old_file = o.intake_dir.join("receipt.key");
    let shown = assert_json(&temoin_no_vault(&[
        "intake",
        "receipt-key",
        "--file",
        s(&old_file),
        "--json",
    ]));
    let old = str_of(&shown, "receipt_key").to_owned();
    assert_ne!(old, new);
    let named = assert_json(&desk(&[
        "receipt-keys",
        "--dir",
        s(&o.desk_dir),
        &old,
        &new,
        "--json",
    ]));
    assert_eq!(named["receipt_keys"], serde_json::json!([old, new]));
    // The device takes the list at its next sync.
    f.json(&["sync"]);

    let port = o.server.url.rsplit(':').next().unwrap().to_owned();
    o.server.child.kill().unwrap();
    o.server.child.wait().unwrap();
    let config = f.path("intake.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndir = {:?}\nlisten = \"127.0.0.1:{port}\"\n\n[receipt]\nkey = {:?}\nprevious_keys = [{:?}]\n",
            s(&o.intake_dir),
            s(&new_file),
            old,
        ),
    )
    .unwrap();
    o.server = serve_with(&["--config", s(&config)]);
    // The new key alone from now on: a server that did not sign with it
    // would not be believed.
    let named = assert_json(&desk(&[
        "receipt-keys",
        "--dir",
        s(&o.desk_dir),
        &new,
        "--json",
    ]));
    assert_eq!(named["receipt_keys"], serde_json::json!([new]));
    let case = case_with_consent(&f);
    let queued = f.json(&["submit", &case]);
    let bundle = str_of(&queued, "bundle_id").to_owned();
    let sent = f.json(&["sync"]);
    assert_eq!(sent["delivered"][0], bundle.as_str(), "{sent}");
}
