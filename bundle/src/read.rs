//! Reading a bundle: streams, and checks everything it can without trusting
//! the bundle: the signature, the recipients, every file's hash against the
//! manifest and `SHA256SUMS`, the custody entries, and every path.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use temoin_crypto::payload::{self, PayloadIdentity};
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_model::custody::{Action, CustodyBody};
use temoin_model::ItemId;

use crate::manifest::*;
pub use crate::report::{BundleError, Problem, ProblemCode, Report};

/// How to read.
#[derive(Debug, Default)]
pub struct ReadOptions<'a> {
    /// Device keys trusted to sign bundles; empty: none known (authenticity
    /// not established, reported as such).
    pub trusted_devices: &'a [DevicePublicKey],
    /// Where to unpack the files, if anywhere. Must be new or empty. Files
    /// are written as they stream and removed again if their hash fails.
    pub out_dir: Option<&'a Path>,
}

/// Whether a path inside the archive is one a bundle may have. Only the
/// fixed names and `evidence/NAME` with a plain name: no `..`, no absolute
/// path, no folder beyond `evidence/`, no hidden file.
pub fn safe_member_path(path: &[u8]) -> bool {
    let Ok(path) = std::str::from_utf8(path) else {
        return false;
    };
    if [MANIFEST, SIGNATURE, SUMS, CUSTODY, README].contains(&path) {
        return true;
    }
    let Some(name) = path.strip_prefix(EVIDENCE_DIR) else {
        return false;
    };
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// Reads, checks and optionally unpacks a bundle. Returns `Err` only if it
/// cannot be opened at all; everything found wrong after that is in the
/// report.
pub fn read_bundle<R: Read>(
    input: R,
    identities: &[PayloadIdentity],
    options: &ReadOptions<'_>,
) -> Result<Report, BundleError> {
    if let Some(dir) = options.out_dir {
        std::fs::create_dir_all(dir)?;
        if std::fs::read_dir(dir)?.next().is_some() {
            return Err(BundleError::OutputNotEmpty);
        }
    }
    let plain = decrypt_bundle(input, identities)?;
    Ok(read_plain(plain, identities, options))
}

/// The archive inside a bundle, decrypted as it is read with the first of
/// `identities` that opens it. Read it with [`read_plain`]: nothing in it
/// is checked yet.
pub fn decrypt_bundle<R: Read>(
    input: R,
    identities: &[PayloadIdentity],
) -> Result<payload::PayloadReader<R>, BundleError> {
    PayloadIdentity::decrypt_any(identities, input).map_err(|e| match e {
        payload::PayloadError::NoMatchingKey => BundleError::NotForThisKey,
        payload::PayloadError::Io(io) => BundleError::Io(io),
        _ => BundleError::NotABundle,
    })
}

/// Copies the member at `path` of an archive already verified (a bundle's,
/// as [`read_plain`] checked it) into `out`; its size if it was found. The
/// caller checks the bytes against the manifest: this only finds them.
pub fn copy_member<R: Read, W: Write>(plain: R, path: &str, mut out: W) -> io::Result<Option<u64>> {
    let mut archive = tar::Archive::new(plain);
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        if entry.header().entry_type() == tar::EntryType::Regular
            && entry.path_bytes().as_ref() == path.as_bytes()
        {
            return io::copy(&mut entry, &mut out).map(Some);
        }
    }
    Ok(None)
}

/// Reads the archive inside a bundle (already decrypted).
pub fn read_plain<R: Read>(
    plain: R,
    identities: &[PayloadIdentity],
    options: &ReadOptions<'_>,
) -> Report {
    let mut report = Report::default();
    let mut reader = Reader {
        report: &mut report,
        options,
        identities,
        manifest_bytes: None,
        signature: None,
        sums: None,
        seen: BTreeSet::new(),
        declared: HashMap::new(),
        hashes: BTreeMap::new(),
        custody: None,
        may_unpack: false,
    };
    reader.run(plain);
    reader.finish();
    report
}

struct Reader<'r, 'o> {
    report: &'r mut Report,
    options: &'o ReadOptions<'o>,
    identities: &'o [PayloadIdentity],
    manifest_bytes: Option<Vec<u8>>,
    signature: Option<String>,
    sums: Option<String>,
    seen: BTreeSet<String>,
    /// The manifest's files by path (index into `files`), so that each
    /// member is found in constant time: a bundle of many files costs time
    /// in proportion to its size, not its square.
    declared: HashMap<String, usize>,
    hashes: BTreeMap<String, String>,
    custody: Option<Vec<u8>>,
    /// Whether members may be written out (the signature held).
    may_unpack: bool,
}

/// Reads at most `limit` bytes of `r`; `None` if there is more.
fn read_limited(r: &mut impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    r.take(limit + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

impl Reader<'_, '_> {
    fn run<R: Read>(&mut self, plain: R) {
        let mut archive = tar::Archive::new(plain);
        if self.entries(&mut archive) {
            // The archive ends before the age stream does (tar pads with
            // zeros): read the rest, so that the stream's last chunk is
            // authenticated too and a cut or altered end is seen.
            let mut rest = archive.into_inner();
            let mut buf = vec![0u8; 64 * 1024];
            let mut trailing = 0u64;
            loop {
                match rest.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if buf[..n].iter().any(|b| *b != 0) {
                            self.report.problem(
                                ProblemCode::Malformed,
                                "there is data after the end of the archive",
                            );
                            return;
                        }
                        trailing += n as u64;
                        if trailing > 1024 * 1024 {
                            self.report.problem(
                                ProblemCode::Malformed,
                                "there is data after the end of the archive",
                            );
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.report.problem(ProblemCode::Damaged, damage_detail(&e));
                        return;
                    }
                }
            }
        }
    }

    /// Reads the archive's entries; `false` if it stopped early.
    fn entries<R: Read>(&mut self, archive: &mut tar::Archive<R>) -> bool {
        // Raw: GNU long-name and PAX members are returned as members (and
        // refused as not regular files) instead of being read into memory
        // and applied; a bundle has none, and a PAX size must not override
        // the header's, which the limits below are checked against.
        let entries = match archive.entries() {
            Ok(e) => e.raw(true),
            Err(_) => {
                self.report.problem(
                    ProblemCode::Damaged,
                    "the archive inside the bundle cannot be read",
                );
                return false;
            }
        };
        for (index, entry) in entries.enumerate() {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.report.problem(ProblemCode::Damaged, damage_detail(&e));
                    return false;
                }
            };
            if index >= MAX_FILES + 5 {
                self.report.problem(
                    ProblemCode::TooManyFiles,
                    "the archive holds more files than a bundle may",
                );
                return false;
            }
            let raw = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&raw)
                .chars()
                .take(120)
                .collect::<String>();
            if !safe_member_path(&raw) {
                self.report.problem(
                    ProblemCode::UnsafePath,
                    format!("the archive holds a file whose path is not allowed in a bundle: {shown:?}; it was not unpacked"),
                );
                continue;
            }
            if entry.header().entry_type() != tar::EntryType::Regular {
                self.report.problem(
                    ProblemCode::UnsafePath,
                    format!(
                        "{shown} is not a regular file (a link or folder); it was not unpacked"
                    ),
                );
                continue;
            }
            if !self.seen.insert(shown.clone()) {
                self.report.problem(
                    ProblemCode::DuplicateFile,
                    format!("{shown} appears twice; the second was not unpacked"),
                );
                continue;
            }
            // The manifest and its signature come first, so that every file
            // after them is checked against it as it streams.
            let expected_first = match index {
                0 => Some(MANIFEST),
                1 => Some(SIGNATURE),
                _ => None,
            };
            if let Some(first) = expected_first {
                if shown != first {
                    self.report.problem(
                        ProblemCode::Malformed,
                        format!("the archive does not start with {MANIFEST} and its signature"),
                    );
                    return false;
                }
            }
            let result = match shown.as_str() {
                MANIFEST => self.read_manifest(&mut entry),
                SIGNATURE => self.read_signature(&mut entry),
                SUMS => self.read_small(&mut entry, SUMS).and_then(|s| {
                    if let Some(text) = &s {
                        self.unpack(SUMS, text.as_bytes())?;
                    }
                    self.sums = s;
                    Ok(())
                }),
                CUSTODY => self.read_file(&mut entry, &shown, MAX_CUSTODY_BYTES, true),
                README => self.read_file(&mut entry, &shown, MAX_README_BYTES, false),
                _ => {
                    let declared = self.declared(&shown).map(|f| f.size);
                    match declared {
                        None => {
                            self.report.problem(
                                ProblemCode::UnknownFile,
                                format!(
                                    "{shown} is not listed in the manifest; it was not unpacked"
                                ),
                            );
                            Ok(())
                        }
                        Some(size) => self.read_file(&mut entry, &shown, size, false),
                    }
                }
            };
            if let Err(e) = result {
                self.report.problem(ProblemCode::Damaged, damage_detail(&e));
                return false;
            }
        }
        true
    }

    /// Writes a member read whole into the output folder, if there is one
    /// and the manifest's signature held.
    fn unpack(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if !self.may_unpack {
            return Ok(());
        }
        if let Some(dir) = self.options.out_dir {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dir.join(name))?;
            f.write_all(bytes)?;
        }
        Ok(())
    }

    fn declared(&self, path: &str) -> Option<&FileEntry> {
        let i = *self.declared.get(path)?;
        self.report.manifest.as_ref()?.files.get(i)
    }

    fn read_small(&mut self, entry: &mut impl Read, name: &str) -> io::Result<Option<String>> {
        match read_limited(entry, MAX_SMALL_BYTES)? {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(s) => Ok(Some(s)),
                Err(_) => {
                    self.report
                        .problem(ProblemCode::Malformed, format!("{name} is not text"));
                    Ok(None)
                }
            },
            None => {
                self.report.problem(
                    ProblemCode::Oversized,
                    format!("{name} is larger than a bundle allows"),
                );
                Ok(None)
            }
        }
    }

    fn read_manifest(&mut self, entry: &mut impl Read) -> io::Result<()> {
        let Some(bytes) = read_limited(entry, MAX_MANIFEST_BYTES)? else {
            self.report.problem(
                ProblemCode::Oversized,
                "the manifest is larger than a bundle allows",
            );
            return Ok(());
        };
        let sha = hex::encode(Sha256::digest(&bytes));
        self.hashes.insert(MANIFEST.to_owned(), sha.clone());
        self.report.manifest_sha256 = Some(sha);
        match parse_manifest(&bytes) {
            Ok(m) => {
                if m.files.len() > MAX_FILES {
                    self.report.problem(
                        ProblemCode::TooManyFiles,
                        "the manifest lists more files than a bundle may",
                    );
                } else {
                    for f in &m.files {
                        if !safe_member_path(f.path.as_bytes()) || f.path == MANIFEST {
                            self.report.problem(
                                ProblemCode::UnsafePath,
                                format!(
                                    "the manifest lists a path not allowed in a bundle: {:?}",
                                    f.path.chars().take(120).collect::<String>()
                                ),
                            );
                        }
                    }
                    self.declared = m
                        .files
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (f.path.clone(), i))
                        .collect();
                    self.report.manifest = Some(m);
                }
            }
            Err((code, detail)) => self.report.problem(code, detail),
        }
        // Written out only once its signature has been checked.
        self.manifest_bytes = Some(bytes);
        Ok(())
    }

    fn read_signature(&mut self, entry: &mut impl Read) -> io::Result<()> {
        self.signature = self.read_small(entry, SIGNATURE)?;
        // Nothing is unpacked unless the manifest is signed by the key it
        // names and, when the reader gave trusted keys, by one of them: a
        // forged bundle's files never reach the output folder. (Everything
        // is still read and checked, for the report.)
        let signed = match (&self.report.manifest, &self.manifest_bytes, &self.signature) {
            (Some(m), Some(bytes), Some(sig)) => {
                DevicePublicKey::from_minisign(&m.device.public_key)
                    .ok()
                    .filter(|k| k.verify(SigningPurpose::BundleManifest, bytes, sig).is_ok())
                    .filter(|k| {
                        self.options.trusted_devices.is_empty()
                            || self.options.trusted_devices.contains(k)
                    })
                    .is_some()
            }
            _ => false,
        };
        self.may_unpack = signed && self.options.out_dir.is_some();
        if self.may_unpack {
            if let (Some(bytes), Some(sig)) = (self.manifest_bytes.clone(), self.signature.clone())
            {
                self.unpack(MANIFEST, &bytes)?;
                self.unpack(SIGNATURE, sig.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Streams a file, hashing it, into the output folder if there is one.
    fn read_file(
        &mut self,
        entry: &mut tar::Entry<'_, impl Read>,
        path: &str,
        limit: u64,
        keep: bool,
    ) -> io::Result<()> {
        let size = entry.header().size()?;
        if size > limit {
            self.report.problem(
                ProblemCode::Oversized,
                format!("{path} is {size} bytes, more than the manifest or the format allows; it was not unpacked"),
            );
            return Ok(());
        }
        let target = self
            .options
            .out_dir
            .filter(|_| self.may_unpack)
            .map(|d| d.join(path));
        let mut out: Box<dyn Write> = match &target {
            Some(t) => {
                if let Some(parent) = t.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                Box::new(io::BufWriter::new(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(t)?,
                ))
            }
            None => Box::new(io::sink()),
        };
        let mut hasher = Sha256::new();
        let mut kept = keep.then(Vec::new);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    drop(out);
                    if let Some(t) = &target {
                        let _ = std::fs::remove_file(t);
                    }
                    return Err(e);
                }
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            if let Some(k) = &mut kept {
                k.extend_from_slice(&buf[..n]);
            }
        }
        out.flush()?;
        drop(out);
        let sha = hex::encode(hasher.finalize());
        let declared = self.declared(path).cloned();
        match declared {
            Some(f) if f.sha256 == sha && f.size == size => self.report.files_verified += 1,
            Some(_) => {
                self.report.problem(
                    ProblemCode::HashMismatch,
                    format!("{path} does not match the manifest: it was altered; it was not kept"),
                );
                if let Some(t) = &target {
                    let _ = std::fs::remove_file(t);
                }
            }
            None => self.report.problem(
                ProblemCode::UnknownFile,
                format!("{path} is not listed in the manifest"),
            ),
        }
        self.hashes.insert(path.to_owned(), sha);
        if let Some(k) = kept {
            self.custody = Some(k);
        }
        Ok(())
    }

    /// Everything that needs the whole bundle read.
    fn finish(&mut self) {
        let (Some(bytes), Some(manifest)) =
            (self.manifest_bytes.take(), self.report.manifest.clone())
        else {
            if self.report.problems.is_empty() {
                self.report
                    .problem(ProblemCode::Malformed, "the bundle has no manifest");
            }
            return;
        };
        // The signature, with the key the manifest names.
        let key = DevicePublicKey::from_minisign(&manifest.device.public_key);
        match (&key, &self.signature) {
            (_, None) => self
                .report
                .problem(ProblemCode::NotSigned, "the manifest is not signed"),
            (Err(_), _) => self.report.problem(
                ProblemCode::BadSignature,
                "the manifest names a device key that is not valid",
            ),
            (Ok(k), Some(sig)) => {
                if k.id_hex() != manifest.device.key_id {
                    self.report.problem(
                        ProblemCode::BadSignature,
                        "the manifest's device key id does not match its key",
                    );
                }
                match k.verify(SigningPurpose::BundleManifest, &bytes, sig) {
                    Ok(()) => self.report.signature_valid = true,
                    Err(e) => self.report.problem(
                        ProblemCode::BadSignature,
                        format!("the manifest's signature does not verify: {e}"),
                    ),
                }
            }
        }
        if let Ok(k) = &key {
            if !self.options.trusted_devices.is_empty() {
                let trusted = self.options.trusted_devices.iter().any(|t| t == k);
                self.report.signer_trusted = Some(trusted);
                if !trusted {
                    self.report.problem(
                        ProblemCode::UnknownDevice,
                        format!(
                            "the bundle is signed by device {}, which is not a trusted key",
                            manifest.device.key_id
                        ),
                    );
                }
            }
        }
        // Sealed for us: our key is among the recipients it was signed for.
        let ours: Vec<String> = self
            .identities
            .iter()
            .map(|i| i.recipient().fingerprint())
            .collect();
        if !ours.iter().any(|f| manifest.recipients.contains(f)) {
            self.report.problem(
                ProblemCode::RecipientNotBound,
                "the bundle opens with this key, but its signed manifest does not list it among the recipients: it was re-encrypted by someone else",
            );
        }
        // Every listed file arrived (or is already named by a problem: a
        // member's problems start with its path).
        let named: HashSet<String> = self
            .report
            .problems
            .iter()
            .filter_map(|p| p.detail.split(' ').next())
            .map(str::to_owned)
            .collect();
        for f in &manifest.files {
            if !self.hashes.contains_key(&f.path) && !named.contains(&f.path) {
                self.report.problem(
                    ProblemCode::MissingFile,
                    format!(
                        "{} is listed in the manifest but is not in the archive",
                        f.path
                    ),
                );
            }
        }
        self.check_sums(&manifest);
        self.check_custody(&manifest, key.ok());
        check_purpose(&manifest, self.report);
    }

    fn check_sums(&mut self, manifest: &Manifest) {
        let Some(sums) = self.sums.take() else {
            self.report
                .problem(ProblemCode::MissingFile, format!("{SUMS} is missing"));
            return;
        };
        let mut listed = BTreeMap::new();
        for line in sums.lines() {
            let parsed = line.split_once("  ").filter(|(h, _)| h.len() == 64);
            match parsed {
                Some((hash, path)) => {
                    listed.insert(path.to_owned(), hash.to_owned());
                }
                None => {
                    self.report.problem(
                        ProblemCode::Malformed,
                        format!("{SUMS} has a line sha256sum cannot read"),
                    );
                    return;
                }
            }
        }
        let mut expected: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
        expected.insert(MANIFEST);
        for (path, hash) in &listed {
            if !expected.contains(path.as_str()) {
                self.report.problem(
                    ProblemCode::Malformed,
                    format!("{SUMS} lists {path:?}, which the manifest does not"),
                );
            } else if self.hashes.get(path).is_some_and(|h| h != hash) {
                self.report.problem(
                    ProblemCode::HashMismatch,
                    format!("{SUMS} gives another hash for {path}"),
                );
            }
        }
        for path in expected {
            if !listed.contains_key(path) {
                self.report.problem(
                    ProblemCode::Malformed,
                    format!("{SUMS} does not list {path}"),
                );
            }
        }
    }

    fn check_custody(&mut self, manifest: &Manifest, key: Option<DevicePublicKey>) {
        let Some(bytes) = self.custody.take() else {
            return; // Reported as missing already.
        };
        let Some(key) = key else { return };
        let mut prev: Option<(u64, [u8; 32])> = None;
        let mut created: BTreeMap<ItemId, Option<String>> = BTreeMap::new();
        let mut revisions: BTreeMap<ItemId, BTreeSet<u32>> = BTreeMap::new();
        #[derive(Deserialize)]
        struct Line {
            seq: u64,
            body: String,
            signature: String,
        }
        for (n, line) in bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let Ok(line) = serde_json::from_slice::<Line>(line) else {
                self.report.problem(
                    ProblemCode::CustodyMalformed,
                    format!("custody line {} is malformed", n + 1),
                );
                return;
            };
            let Ok(body) = serde_json::from_str::<CustodyBody>(&line.body) else {
                self.report.problem(
                    ProblemCode::CustodyMalformed,
                    format!("custody entry {} is malformed", line.seq),
                );
                return;
            };
            if body.seq != line.seq || body.device != manifest.device.key_id {
                self.report.problem(
                    ProblemCode::CustodyMalformed,
                    format!("custody entry {} does not belong where it stands", line.seq),
                );
            }
            if key
                .verify(
                    SigningPurpose::CustodyEntry,
                    line.body.as_bytes(),
                    &line.signature,
                )
                .is_err()
            {
                self.report.problem(
                    ProblemCode::CustodyBadSignature,
                    format!(
                        "custody entry {} does not verify with the device key: it was altered",
                        line.seq
                    ),
                );
                continue;
            }
            self.report.custody_verified += 1;
            if let Some((p, hash)) = prev {
                if body.seq <= p {
                    self.report.problem(
                        ProblemCode::CustodyMalformed,
                        format!("custody entry {} is out of order", body.seq),
                    );
                } else if body.seq == p + 1 && body.prev != hex::encode(hash) {
                    self.report.problem(
                        ProblemCode::CustodyBrokenLink,
                        format!("custody entry {} does not follow from entry {p}", body.seq),
                    );
                }
            }
            prev = Some((body.seq, Sha256::digest(line.body.as_bytes()).into()));
            if let Some(item) = body.item {
                match body.action {
                    Action::Create => {
                        created.insert(item, body.sha256.clone());
                        revisions.entry(item).or_default().extend(body.revision);
                    }
                    Action::Edit => {
                        revisions.entry(item).or_default().extend(body.revision);
                    }
                    _ => {}
                }
            }
        }
        // Each record sent was written as the log says; each file is the
        // one recorded at intake.
        for item in &manifest.items {
            if !revisions
                .get(&item.id)
                .is_some_and(|r| r.contains(&item.revision))
            {
                self.report.problem(
                    ProblemCode::CustodyMissing,
                    format!(
                        "the custody entries do not record revision {} of {} {}",
                        item.revision, item.kind, item.id
                    ),
                );
            }
        }
        for f in &manifest.files {
            if let Some(id) = f.item {
                if created.get(&id).and_then(|h| h.as_deref()) != Some(f.sha256.as_str()) {
                    self.report.problem(
                        ProblemCode::CustodyMissing,
                        format!(
                            "the custody entries do not record the intake of {} with this hash",
                            f.path
                        ),
                    );
                }
            }
        }
    }
}

/// Reads a manifest, looking at its `format` and then its `purpose` before
/// the rest: a bundle of a later version, or for a purpose this version
/// does not know, is refused as such, not as a malformed one.
fn parse_manifest(bytes: &[u8]) -> Result<Manifest, (ProblemCode, String)> {
    #[derive(Deserialize)]
    struct Head {
        format: Option<serde_json::Value>,
        purpose: Option<serde_json::Value>,
        part: Option<serde_json::Value>,
    }
    let malformed = || {
        (
            ProblemCode::Malformed,
            "the manifest is not a valid bundle manifest".to_owned(),
        )
    };
    let head: Head = serde_json::from_slice(bytes).map_err(|_| malformed())?;
    let format = head.format.as_ref().and_then(|f| f.as_str()).unwrap_or("");
    if !FORMATS.contains(&format) {
        return Err((
            ProblemCode::UnknownFormat,
            format!(
                "the manifest is of format {:?}, which this version does not read",
                format.chars().take(40).collect::<String>()
            ),
        ));
    }
    let code = head.purpose.as_ref().and_then(|p| p.as_str()).unwrap_or("");
    match Purpose::from_code(code) {
        None => {
            return Err((
                ProblemCode::UnknownPurpose,
                format!(
                    "the bundle is for the purpose {:?}, which this version does not know, so \
                     it cannot say what the bundle carries or leaves out: it was not read",
                    code.chars().take(40).collect::<String>()
                ),
            ))
        }
        Some(p) if p.format() == FORMAT_V3 && format != FORMAT_V3 => {
            return Err((
                ProblemCode::UnknownPurpose,
                format!(
                    "the manifest is of format {format}, which has no purpose {:?} (it came \
                     with {FORMAT_V3}): it was not read",
                    p.code()
                ),
            ))
        }
        Some(p) if p.format() == FORMAT_V2 && format == FORMAT_V1 => {
            return Err((
                ProblemCode::UnknownPurpose,
                format!(
                    "the manifest is of format {FORMAT_V1}, which has no purpose {:?} (it came \
                     with {FORMAT_V2}): it was not read",
                    p.code()
                ),
            ))
        }
        Some(_) => {}
    }
    // A part this version does not know: it cannot say what the bundle
    // leaves out.
    match head.part.as_ref() {
        None | Some(serde_json::Value::Null) => {}
        Some(p) if p.as_str() == Some(Part::Text.code()) => {}
        Some(p) => {
            return Err((
                ProblemCode::UnknownPurpose,
                format!(
                    "the bundle carries the part {:?} of a case, which this version does not \
                     know, so it cannot say what the bundle leaves out: it was not read",
                    p.as_str()
                        .unwrap_or("")
                        .chars()
                        .take(40)
                        .collect::<String>()
                ),
            ))
        }
    }
    let m: Manifest = serde_json::from_slice(bytes).map_err(|_| malformed())?;
    // Under versions 1 and 2 an unknown field is ignored, so a `part` there
    // is not the format's: a reader that honoured it would read a bundle
    // otherwise than a reader of those versions does.
    let figures_only = m.purpose == Purpose::AnonymisedStatistics;
    // One entry a case: two would let one bundle count a case twice.
    let twice = m.figures.as_ref().is_some_and(|f| {
        let mut seen = HashSet::new();
        !f.iter().all(|c| seen.insert(c.case_id))
    });
    if m.figures.is_some() != figures_only
        || (figures_only && (m.part.is_some() || m.supersedes.is_some()))
        || twice
    {
        return Err((
            ProblemCode::Malformed,
            "the manifest's figures do not read as the format says (figures come with the \
             purpose anonymised_statistics and only with it, one entry a case, with no part \
             and nothing replaced): it was not read"
                .to_owned(),
        ));
    }
    if m.part.is_some() && format != FORMAT_V3 {
        return Err((
            ProblemCode::Malformed,
            format!(
                "the manifest is of format {format}, which has no field \"part\" (it came with \
                 {FORMAT_V3}): it was not read"
            ),
        ));
    }
    Ok(m)
}

/// Whether the files of a bundle are those its purpose allows: a
/// publication carries working copies only, none of whose records gives a
/// capture position. A writer never does otherwise; a reader checks, so
/// that an original never passes for publishable material.
fn check_purpose(manifest: &Manifest, report: &mut Report) {
    // The text sent ahead of an urgent case's files, and figures, carry no
    // file but the custody file and the README.
    let what = if manifest.purpose == Purpose::AnonymisedStatistics {
        Some("a bundle of figures")
    } else if manifest.part == Some(Part::Text) {
        Some("a bundle of a case's text")
    } else {
        None
    };
    if let Some(what) = what {
        for f in manifest
            .files
            .iter()
            .filter(|f| f.path != CUSTODY && f.path != README)
        {
            report.problem(
                ProblemCode::OutsidePurpose,
                format!(
                    "{} is a file: {what} carries none but {CUSTODY} and {README}",
                    f.path
                ),
            );
        }
    }
    // Figures only: no record, nothing withheld.
    if manifest.purpose == Purpose::AnonymisedStatistics {
        if !manifest.items.is_empty() || !manifest.withheld.is_empty() {
            report.problem(
                ProblemCode::OutsidePurpose,
                "a bundle of figures lists records: it must carry figures only",
            );
        }
        return;
    }
    if manifest.purpose.carries_originals() {
        return;
    }
    let records: HashMap<ItemId, &serde_json::Value> =
        manifest.items.iter().map(|i| (i.id, &i.record)).collect();
    for f in &manifest.files {
        let Some(id) = f.item else { continue };
        let record = records.get(&id);
        let is_copy = record
            .and_then(|r| r.get("derived_from"))
            .is_some_and(|d| d.is_object());
        if !is_copy {
            report.problem(
                ProblemCode::OutsidePurpose,
                format!(
                    "{} is not a working copy: a {} bundle must not carry an original",
                    f.path,
                    manifest.purpose.code()
                ),
            );
        }
        let located = record
            .and_then(|r| r.get("capture"))
            .and_then(|c| c.get("gps"))
            .is_some_and(|g| !g.is_null());
        if located {
            report.problem(
                ProblemCode::OutsidePurpose,
                format!(
                    "{} comes with a capture position: a {} bundle must not say where it was taken",
                    f.path,
                    manifest.purpose.code()
                ),
            );
        }
    }
}

fn damage_detail(e: &io::Error) -> String {
    if payload::is_damage(e) {
        "the bundle is damaged or was altered after it was sealed (the encryption's integrity check failed), or it is cut short; nothing after that point was read".to_owned()
    } else {
        format!("the archive cannot be read: {}", e.kind())
    }
}
