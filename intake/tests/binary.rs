//! The `temoin-intake` binary, as OMCT's administrators run it: `init`
//! makes a server folder (pin printed, desk token in a private file) and
//! refuses to make one twice; `serve` listens over TLS and says where.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn intake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_temoin-intake"))
}

#[test]
fn init_then_serve_through_the_intake_servers_own_binary() {
    let dir = tempfile::tempdir().unwrap();
    let server = dir.path().join("intake");
    let out = intake()
        .args(["--json", "init", "--dir"])
        .arg(&server)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pin = answer["pin"].as_str().unwrap();
    assert!(pin.starts_with("sha256:") && pin.len() == 71, "{pin}");
    let token_file = server.join("desk.token");
    assert_eq!(answer["desk_token_file"].as_str(), token_file.to_str());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the desk token is readable by others");
    }

    // A second init changes nothing and says so.
    let again = intake()
        .args(["init", "--dir"])
        .arg(&server)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds an intake server"));

    // Serve on a free loopback port; the first line says where.
    let mut child = intake()
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&server)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.starts_with("Intake server listening on https://127.0.0.1:"),
        "{line}"
    );

    // A folder that is not a server is refused in words.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let refused = intake()
        .args(["serve", "--dir"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an intake server folder"));
}
