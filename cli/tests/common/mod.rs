//! Shared helpers for the end-to-end tests of the `temoin` binary.
//!
//! Every test runs the real binary (`CARGO_BIN_EXE_temoin`) against a vault
//! in its own temporary folder, created with `init --kdf minimum` and a
//! passphrase file so that tests stay fast and never prompt.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The passphrase of every test vault.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// Runs `temoin --vault VAULT ARGS...` and returns what it did. Standard
/// input is closed so that a command that wrongly prompts fails instead of
/// hanging.
pub fn temoin(vault: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temoin"));
    cmd.arg("--vault").arg(vault).args(args);
    run(&mut cmd)
}

/// Runs `temoin ARGS...` with no `--vault`.
pub fn temoin_no_vault(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temoin"));
    cmd.args(args);
    run(&mut cmd)
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .expect("cannot run the temoin binary")
}

/// A printable account of a run, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts that a run succeeded; returns its standard output.
pub fn assert_ok(out: &Output) -> String {
    assert!(out.status.success(), "expected success\n{}", describe(out));
    String::from_utf8(out.stdout.clone()).expect("stdout is not UTF-8")
}

/// Asserts that a run failed with exit status `code`, printed nothing on
/// standard output, and said each of `needles` on standard error. Returns
/// standard error.
pub fn assert_fails(out: &Output, code: i32, needles: &[&str]) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit status {code}\n{}",
        describe(out)
    );
    assert!(
        out.stdout.is_empty(),
        "expected nothing on stdout\n{}",
        describe(out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for n in needles {
        assert!(
            stderr.contains(n),
            "expected stderr to contain {n:?}\n{}",
            describe(out)
        );
    }
    stderr
}

/// Parses a successful run's standard output as JSON.
pub fn assert_json(out: &Output) -> Value {
    let stdout = assert_ok(out);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", describe(out)))
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// A string field of a JSON object.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string field {key:?} in {v}"))
}

/// Asserts that `s` looks like an item id as Témoin prints it (a hyphenated
/// UUID).
pub fn assert_id(s: &str) {
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    assert_eq!(lens, [8, 4, 4, 4, 12], "not an item id: {s:?}");
    assert!(
        s.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
        "not an item id: {s:?}"
    );
}

/// Path as `&str` (temporary folders are UTF-8 on the machines we test on).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// A vault in a fresh temporary folder, with a passphrase file.
#[derive(Debug)]
pub struct Fixture {
    /// Holds everything the test makes; removed when dropped.
    pub root: tempfile::TempDir,
    /// The vault folder, `ROOT/vault`.
    pub vault: PathBuf,
    /// The passphrase file, outside the vault.
    pub pass: PathBuf,
    /// When set, every invocation gets `TMPDIR` set to a fresh folder under
    /// this one.
    tmp_root: Option<PathBuf>,
    tmp_count: Cell<u32>,
}

impl Fixture {
    /// A fixture whose vault is not created yet.
    pub fn uninitialised() -> Fixture {
        let root = tempfile::tempdir().expect("cannot make a temporary folder");
        let vault = root.path().join("vault");
        let pass = root.path().join("passphrase.txt");
        std::fs::write(&pass, format!("{PASSPHRASE}\n")).expect("cannot write passphrase");
        Fixture {
            root,
            vault,
            pass,
            tmp_root: None,
            tmp_count: Cell::new(0),
        }
    }

    /// A fixture with a freshly created vault.
    pub fn new() -> Fixture {
        let f = Fixture::uninitialised();
        f.init();
        f
    }

    /// Like [`Fixture::new`], but every invocation of the binary, `init`
    /// included, runs with `TMPDIR` set to a fresh folder under `ROOT/tmp`
    /// (see [`Fixture::tmp_root`]).
    pub fn with_tmpdirs() -> Fixture {
        let mut f = Fixture::uninitialised();
        let tmp_root = f.path("tmp");
        std::fs::create_dir(&tmp_root).expect("cannot make the TMPDIR root");
        f.tmp_root = Some(tmp_root);
        f.init();
        f
    }

    /// The folder holding every invocation's `TMPDIR`, if there is one.
    pub fn tmp_root(&self) -> Option<&Path> {
        self.tmp_root.as_deref()
    }

    /// How many times the binary has run with its own `TMPDIR`.
    pub fn tmpdir_runs(&self) -> u32 {
        self.tmp_count.get()
    }

    fn init(&self) {
        let out = self.run(&["init", "--kdf", "minimum"]);
        assert_ok(&out);
        assert!(
            self.vault.join("keyslots.json").is_file(),
            "init made no key-slot file"
        );
    }

    /// A path inside the fixture's root folder (outside the vault).
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Writes a file under the root folder; returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("cannot make folder");
        }
        std::fs::write(&p, bytes).expect("cannot write test file");
        p
    }

    /// Runs `temoin --vault VAULT --passphrase-file PASS ARGS...`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_pass(&self.pass, args)
    }

    /// The command [`Fixture::run`] runs, for a test that feeds standard
    /// input itself.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_temoin"));
        cmd.arg("--vault")
            .arg(&self.vault)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args);
        cmd
    }

    /// Like [`Fixture::run`] with another passphrase file.
    pub fn run_with_pass(&self, pass: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_temoin"));
        cmd.arg("--vault")
            .arg(&self.vault)
            .arg("--passphrase-file")
            .arg(pass)
            .args(args);
        if let Some(tmp_root) = &self.tmp_root {
            let n = self.tmp_count.get() + 1;
            self.tmp_count.set(n);
            let tmp = tmp_root.join(format!("run-{n:03}"));
            std::fs::create_dir_all(&tmp).expect("cannot make TMPDIR");
            cmd.env("TMPDIR", &tmp);
        }
        run(&mut cmd)
    }

    /// Runs and asserts success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        assert_ok(&self.run(args))
    }

    /// Runs with `--json`, asserts success, and parses the output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        assert_json(&self.run(&all))
    }

    /// Creates a case; returns its id.
    pub fn new_case(&self, title: &str) -> String {
        let v = self.json(&["case", "new", "--title", title]);
        assert_eq!(keys(&v), ["id"], "case new --json: {v}");
        let id = str_of(&v, "id").to_owned();
        assert_id(&id);
        id
    }

    /// Adds a testimony from a narrative; returns its id.
    pub fn add_testimony(&self, case: &str, narrative: &str) -> String {
        let file = self.file(&format!("narrative-{}.txt", token(8)), narrative.as_bytes());
        let v = self.json(&["testimony", "add", case, "--narrative-file", s(&file)]);
        let id = str_of(&v, "id").to_owned();
        assert_id(&id);
        id
    }

    /// Adds evidence from a file; returns the `evidence add --json` output.
    pub fn add_evidence(&self, case: &str, file: &Path) -> Value {
        let v = self.json(&["evidence", "add", case, s(file)]);
        assert_id(str_of(&v, "id"));
        v
    }

    /// The path of an evidence item's payload file.
    pub fn blob(&self, id: &str) -> PathBuf {
        self.vault.join("blobs").join(format!("{id}.age"))
    }

    /// The custody log as `custody --json` prints it.
    pub fn custody(&self) -> Vec<Value> {
        self.json(&["custody"])
            .as_array()
            .expect("custody --json is an array")
            .clone()
    }
}

/// The actions of custody entries, in order.
pub fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| str_of(&e["body"], "action").to_owned())
        .collect()
}

/// `n` bytes from the operating system's random source.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("cannot read /dev/urandom");
    buf
}

/// A random token of `n` lower-case letters and digits.
pub fn token(n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    random_bytes(n)
        .into_iter()
        .map(|b| ALPHABET[b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Bytes no media-type sniffer recognises: a fixed prefix that matches no
/// known signature (so the test cannot flake on a random magic number),
/// then random bytes.
pub fn random_binary(n: usize) -> Vec<u8> {
    let mut v = b"\x00\x01\x02".to_vec();
    v.extend(random_bytes(n.saturating_sub(3)));
    v
}

/// The start of a PNG file: its signature and an IHDR chunk header.
pub fn png_bytes() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    v.extend(random_bytes(512));
    v
}

/// Where an external tool comes from, for the message when it is missing.
fn debian_package(tool: &str) -> &'static str {
    match tool {
        "age" | "age-keygen" => "age",
        "minisign" => "minisign",
        "sha256sum" => "coreutils",
        _ => "unknown",
    }
}

/// Runs an external tool. A missing tool fails the test with a clear
/// message; it never skips it.
pub fn run_tool(tool: &str, args: &[&str]) -> Output {
    match Command::new(tool).args(args).stdin(Stdio::null()).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "this test needs the `{tool}` tool, which is not installed: \
             install the Debian package `{}`",
            debian_package(tool)
        ),
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    }
}

/// SHA-256 of a file as the `sha256sum` tool computes it.
pub fn sha256sum(path: &Path) -> String {
    let out = run_tool("sha256sum", &["-b", s(path)]);
    let stdout = assert_ok(&out);
    let hash = stdout
        .split_whitespace()
        .next()
        .expect("sha256sum printed nothing")
        .to_owned();
    assert_eq!(hash.len(), 64, "unexpected sha256sum output {stdout:?}");
    hash
}

/// Every file and folder under `dir` (relative path → contents; `None` for
/// folders).
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for path in walk(dir) {
        let rel = path
            .strip_prefix(dir)
            .expect("walk stays inside")
            .to_owned();
        if path.is_dir() {
            out.insert(rel, None);
        } else {
            out.insert(rel, Some(std::fs::read(&path).expect("cannot read file")));
        }
    }
    out
}

/// Every path under `dir`, folders included, depth first.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("cannot read folder entry").path();
            let is_dir = std::fs::symlink_metadata(&path)
                .expect("cannot stat")
                .is_dir();
            out.push(path.clone());
            if is_dir {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Names of the entries of a folder.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("cannot read folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

/// The two encodings a plaintext scan searches for.
pub fn encodings(marker: &str) -> [(&'static str, Vec<u8>); 2] {
    let utf16le: Vec<u8> = marker.encode_utf16().flat_map(u16::to_le_bytes).collect();
    [("UTF-8", marker.as_bytes().to_vec()), ("UTF-16LE", utf16le)]
}

/// Every (file, marker, encoding) found under the folders, text markers in
/// UTF-8 and UTF-16LE and byte markers as they are; also returns how many
/// files were read.
pub fn scan_for(dirs: &[&Path], markers: &[&str], bytes: &[&[u8]]) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut files = 0;
    for dir in dirs {
        for path in walk(dir) {
            if !path.is_file() {
                continue;
            }
            files += 1;
            let content = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            for m in markers {
                for (encoding, needle) in encodings(m) {
                    if memchr::memmem::find(&content, &needle).is_some() {
                        found.push(format!("{m} ({encoding}) in {}", path.display()));
                    }
                }
            }
            for (i, needle) in bytes.iter().enumerate() {
                if memchr::memmem::find(&content, needle).is_some() {
                    found.push(format!("file {i}'s bytes in {}", path.display()));
                }
            }
        }
    }
    (found, files)
}

/// [`scan_for`] with text markers only.
pub fn scan(dirs: &[&Path], markers: &[&str]) -> (Vec<String>, usize) {
    scan_for(dirs, markers, &[])
}
