//! Opening what devices sent: decrypted with OMCT's identity, verified
//! against the devices the desk approved, replays and revoked devices
//! flagged, and each accepted bundle kept in the desk's store exactly as it
//! arrived, still sealed to OMCT's key (the payload of a [`Received`] item;
//! the case it belongs to is a [`Triage`] row). Nothing decrypted is
//! written anywhere: the decryption feeds the checks in memory.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use temoin_bundle::{
    decrypt_bundle, read_plain, Manifest, Problem, ReadOptions, Report, Supersedes,
};
use temoin_crypto::sign::DevicePublicKey;
use temoin_vault::desk_records::{CaseSummary, Received, Triage, TriageState};
use temoin_vault::{ItemId, PayloadWriter, StagedPayload, VaultError};

use crate::ack::{acknowledge, Conclusion};
use crate::config::Devices;
use crate::error::DeskError;
use crate::registry::now_rfc3339;
use crate::store::{store_error, Desk};

/// The verdict on each file opened, by its name in `inbox/` (or the name
/// of the file given): a file with one is not opened again.
pub(crate) const VERDICTS: &str = "desk/verdict/";
/// At an officer's desk, bundles waiting for OMCT's registry to name their
/// device: since when, and under which registry they were last opened.
const WAITING: &str = "desk/waiting/";
/// How long an officer's desk waits for OMCT's registry to name a device
/// before it judges the bundle (flagged as from an unknown device).
const MAX_WAIT_SECS: i64 = 7 * 24 * 3600;

#[derive(Serialize, Deserialize)]
struct Waiting {
    since: i64,
    registry: Option<String>,
}

impl Desk {
    /// The registry an officer's desk holds (`None` at OMCT's desk).
    fn registry_held(&self) -> Result<Option<Option<String>>, DeskError> {
        Ok(self.config()?.officer_of.map(|o| o.registry_issued_at))
    }

    /// Whether a bundle waiting for the registry should not be opened
    /// again now: the registry has not changed since, and the week is not
    /// over.
    fn still_waiting(&self, name: &str) -> Result<bool, DeskError> {
        let Some(held) = self.registry_held()? else {
            return Ok(false);
        };
        let Some(b) = self.get(&format!("{WAITING}{name}"))? else {
            return Ok(false);
        };
        let Ok(w) = serde_json::from_slice::<Waiting>(&b) else {
            return Ok(false);
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(w.registry == held && now - w.since < MAX_WAIT_SECS)
    }

    /// At an officer's desk, records that `name` waits for the registry
    /// and says whether it should wait (false once the week is over, and
    /// always at OMCT's desk, which approves devices itself).
    fn wait_for_registry(&mut self, name: &str) -> Result<bool, DeskError> {
        let Some(held) = self.registry_held()? else {
            return Ok(false);
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let key = format!("{WAITING}{name}");
        let since = self
            .get(&key)?
            .and_then(|b| serde_json::from_slice::<Waiting>(&b).ok())
            .map_or(now, |w| w.since);
        if now - since >= MAX_WAIT_SECS {
            return Ok(false);
        }
        let w = Waiting {
            since,
            registry: held,
        };
        self.put(
            &key,
            &serde_json::to_vec(&w).map_err(|e| DeskError::Local(e.to_string()))?,
        )?;
        Ok(true)
    }
}

/// The desk's verdict on one bundle, kept in the store.
#[derive(Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) accepted: bool,
    pub(crate) genuine: bool,
    pub(crate) intact: bool,
    pub(crate) problems: Vec<Problem>,
    pub(crate) desk_problems: Vec<String>,
    pub(crate) bundle_id: Option<String>,
    pub(crate) device_key_id: Option<String>,
    pub(crate) sequence: Option<u64>,
    /// What the bundle is for (`share_with_omct`, `litigation`,
    /// `publication`): a publication holds working copies only, so nothing
    /// in it is an original to rely on as evidence.
    pub(crate) purpose: Option<String>,
    /// The format version it was written in.
    pub(crate) format: Option<String>,
    pub(crate) supersedes: Option<Option<Supersedes>>,
    pub(crate) manifest_sha256: Option<String>,
    /// The desk's id of the case it was filed under, when accepted.
    #[serde(default)]
    pub(crate) case: Option<ItemId>,
}

/// What opening one bundle found.
#[derive(Debug)]
pub struct Opened {
    /// The file opened.
    pub file: PathBuf,
    /// The desk's id of the case it was filed under (see
    /// [`Desk::cases`]), when it was accepted.
    pub case: Option<ItemId>,
    /// The reader's report.
    pub report: Report,
    /// Problems only the desk can see (a reused sequence number).
    pub desk_problems: Vec<String>,
    /// At an officer's desk: signed by a device OMCT's registry does not
    /// name yet. Not judged: opened again once the registry changes (or,
    /// for a device never approved, judged after a week).
    pub waiting: bool,
}

impl Opened {
    /// Genuine, and nothing wrong seen by the desk either.
    pub fn accepted(&self) -> bool {
        self.report.genuine() && self.desk_problems.is_empty()
    }
}

/// Passes the archive to the reader and, on the way, into the store's
/// encryption. A failure to write into the store (a full disk) is kept
/// apart: it is the desk's trouble, never a verdict on the bundle.
pub(crate) struct Tee<'w, R> {
    pub(crate) inner: R,
    pub(crate) out: Option<&'w mut PayloadWriter>,
    pub(crate) failed: Option<io::Error>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(out) = self.out.as_deref_mut() {
            if let Err(e) = out.write_all(&buf[..n]) {
                let stop = io::Error::other("the desk's store could not take the bundle");
                self.failed = Some(e);
                self.out = None;
                return Err(stop);
            }
        }
        Ok(n)
    }
}

/// A piece of the decrypted archive.
type Chunk = Vec<u8>;

/// The archive as the decrypting thread hands it over.
struct Chunks {
    rx: std::sync::mpsc::Receiver<io::Result<Chunk>>,
    current: Chunk,
    at: usize,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at < self.current.len() {
                let n = buf.len().min(self.current.len() - self.at);
                buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.current = c;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Decrypts `plain` on one thread (with the hash of the file as it
/// arrived, taken by the reader under it) and verifies it on this one
/// (every member's hash, the signature, the custody entries): the work of
/// a large bundle spread over two cores, each byte decrypted once.
fn verify_split<R: Read + Send>(
    mut plain: R,
    identities: &[temoin_bundle::PayloadIdentity],
    trusted: &[DevicePublicKey],
) -> Report {
    const CHUNK: usize = 1024 * 1024;
    let (to_reader, from_decryption) = std::sync::mpsc::sync_channel::<io::Result<Chunk>>(8);
    std::thread::scope(|s| {
        s.spawn(move || loop {
            // Filled whole before it is handed on: the decryption answers
            // a read with one of its 64 KiB chunks, and a megabyte per
            // hand-over keeps the channel and allocations few.
            let mut buf = Vec::with_capacity(CHUNK);
            let mut failed = None;
            while buf.len() < CHUNK {
                match (&mut plain)
                    .take((CHUNK - buf.len()) as u64)
                    .read_to_end(&mut buf)
                {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let n = buf.len();
            // The reader stopped (the bundle is refused): nothing more is
            // needed.
            if n > 0 && to_reader.send(Ok(buf)).is_err() {
                break;
            }
            if let Some(e) = failed {
                let _ = to_reader.send(Err(e));
                break;
            }
            if n < CHUNK {
                break;
            }
        });
        read_plain(
            Chunks {
                rx: from_decryption,
                current: Vec::new(),
                at: 0,
            },
            identities,
            &ReadOptions {
                trusted_devices: trusted,
                out_dir: None,
            },
        )
    })
}

/// Keeps apart a failure to read the file itself (a disk or a USB stick
/// that fails), which is the desk's trouble and never a verdict on the
/// bundle.
struct Watched<R> {
    inner: R,
    failed: Option<io::ErrorKind>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = Some(e.kind());
            }
        })
    }
}

/// What the inbox shows of the case in a manifest, from its records as
/// received. A record the model would refuse (a device's bug, or a hostile
/// approved device) gives a plain placeholder, never an error.
pub(crate) fn summary_of(m: &Manifest) -> CaseSummary {
    let case = m
        .items
        .iter()
        .find(|i| i.kind == "case" && i.id == m.case_id)
        .map(|i| &i.record);
    let text = |key: &str| case.and_then(|c| c.get(key)).and_then(|v| v.as_str());
    let title = text("title")
        .map(str::trim)
        .filter(|t| temoin_vault::record::check_short("title", t).is_ok())
        .unwrap_or("(no title)")
        .to_owned();
    let country = text("country")
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .map(str::to_owned);
    let urgent = case
        .and_then(|c| c.get("urgent"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut violations: Vec<String> = m
        .items
        .iter()
        .filter(|i| i.kind == "violation")
        .filter_map(|i| i.record.get("kind").and_then(|k| k.as_str()))
        .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(str::to_owned)
        .collect();
    violations.sort();
    violations.dedup();
    violations.truncate(64);
    CaseSummary {
        title,
        country,
        urgent,
        violations,
        files_follow: m.part == Some(temoin_bundle::Part::Text),
    }
}

impl Desk {
    /// Opens every bundle in `inbox/` (or the one given): decrypts with
    /// OMCT's identity, verifies against the devices the desk approved,
    /// flags a reused sequence number or a revoked device, and keeps each
    /// accepted bundle in the store, as it arrived, under its case. An
    /// accepted bundle's
    /// encrypted file leaves `inbox/` once its import is durable; a flagged
    /// one stays there (ciphertext) with its verdict in the store. A file
    /// opened before is skipped.
    pub fn open(&mut self, only: Option<&Path>) -> Result<Vec<Opened>, DeskError> {
        self.migrate_opened()?;
        let dir = &self.dir().to_owned();
        let files: Vec<PathBuf> = match only {
            Some(f) => vec![f.to_owned()],
            None => {
                let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("inbox"))?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("age"))
                    .collect();
                v.sort();
                v
            }
        };
        let mut out = Vec::new();
        for file in files {
            let base = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("bundle");
            let name = base.strip_suffix(".tar.age").unwrap_or(base).to_owned();
            if let Some(bytes) = self.get(&format!("{VERDICTS}{name}"))? {
                // Accepted, but a crash came before the inbox's name went:
                // when it is still a name of the file the store keeps, it
                // goes now (an operator clearing the inbox must never reach
                // the case). Any other file under that name stays.
                let verdict = serde_json::from_slice::<Verdict>(&bytes).ok();
                let accepted = verdict
                    .as_ref()
                    .is_some_and(|v| v.accepted && v.case.is_some());
                if accepted && only.is_none() && self.is_a_stored_file(&file) {
                    let _ = std::fs::remove_file(&file);
                }
                // Figures: the store keeps them, not the file; an accepted
                // one whose figures (or later ones) are kept goes too.
                let figures_kept = match verdict {
                    Some(v)
                        if v.accepted
                            && v.purpose.as_deref()
                                == Some(temoin_bundle::Purpose::AnonymisedStatistics.code()) =>
                    {
                        match (v.device_key_id, v.sequence) {
                            (Some(d), Some(n)) => self.holds_figures_of(&d, n)?,
                            _ => false,
                        }
                    }
                    _ => false,
                };
                if figures_kept && only.is_none() {
                    let _ = std::fs::remove_file(&file);
                }
                continue;
            }
            if self.still_waiting(&name)? {
                continue;
            }
            out.push(self.open_one(&file, &name, only.is_none())?);
        }
        Ok(out)
    }

    /// Whether `file` is another name of a payload file of the store.
    fn is_a_stored_file(&self, file: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(m) = std::fs::symlink_metadata(file) else {
            return false;
        };
        if !m.is_file() || m.nlink() < 2 {
            return false;
        }
        let Ok(blobs) = std::fs::read_dir(self.dir().join("store").join("blobs")) else {
            return false;
        };
        blobs.flatten().any(|e| {
            e.metadata()
                .is_ok_and(|b| b.dev() == m.dev() && b.ino() == m.ino())
        })
    }

    fn open_one(&mut self, file: &Path, name: &str, from_inbox: bool) -> Result<Opened, DeskError> {
        let identities = self.identities()?;
        let mut devices = self.registry()?;
        // Only keys the desk approved itself; the server's list is a hint.
        let trusted: Vec<DevicePublicKey> = devices
            .approved
            .values()
            .filter_map(|a| DevicePublicKey::from_minisign(&a.public_key).ok())
            .collect();
        let mut desk_problems = Vec::new();
        // Staged in the store first, and checked from there: what is
        // verified is what the store keeps, as it arrived (sealed to OMCT's
        // key), even if the file changes under the desk (a hostile stick).
        // A file in the inbox is the desk's own: linked, not copied.
        let no_room = |e: VaultError| {
            DeskError::Local(format!(
                "{} could not be taken into the desk's store ({}); nothing was decided about it: open it again once there is room",
                file.display(),
                store_error(e)
            ))
        };
        let staging = self
            .vault()
            .stage_as_arrived(file, from_inbox)
            .map_err(no_room)?;
        let mut input = Watched {
            inner: staging,
            failed: None,
        };
        let report = match decrypt_bundle(&mut input, &identities) {
            Ok(plain) => verify_split(plain, &identities, &trusted),
            // Not for OMCT's keys, or not a bundle at all: a verdict too,
            // so that one bad file does not stop the others.
            Err(e) => {
                desk_problems.push(format!("the file cannot be opened: {e}"));
                Report::default()
            }
        };
        let unreadable = |kind: String| {
            DeskError::Local(format!(
                "{} could not be read to its end ({kind}); nothing was decided about it: open it again",
                file.display()
            ))
        };
        // Not a bundle that checks out: the rest of the file (a hostile
        // stick's endless one) is hashed for the verdict, never copied.
        if !report.genuine() {
            input.inner.discard();
        }
        if input.inner.store_failed() {
            return Err(input.inner.finish().err().map_or_else(
                || DeskError::Local("the desk's store could not take the bundle".into()),
                no_room,
            ));
        }
        if let Some(kind) = input.failed {
            return Err(unreadable(kind.to_string()));
        }
        // The hash of every byte of the file (what the acknowledgement
        // names), whatever the decryption left unread.
        let staged = input.inner.finish().map_err(|e| match e {
            VaultError::Io(e) => unreadable(e.kind().to_string()),
            e => no_room(e),
        })?;
        let sha256 = staged.facts().sha256.clone();
        if let (Some(m), Some(manifest_sha)) = (&report.manifest, &report.manifest_sha256) {
            desk_problems.extend(check_against_registry(
                &mut devices,
                &report,
                m,
                manifest_sha,
            ));
            if m.bundle_id != name && from_inbox {
                desk_problems
                    .push("the bundle's id is not the one the server stored it under".into());
            }
        }
        // At an officer's desk, a bundle intact under its own key from a
        // device OMCT's registry does not name yet (it enrolled since OMCT's
        // desk last published it) is not judged now: a verdict would make
        // this desk skip it for good, and the server would then delete it.
        let unknown_signer = report
            .manifest
            .as_ref()
            .filter(|m| {
                // Whole and signed by its own key; the one thing wrong is
                // that the key is not (yet) a trusted one.
                report.signature_valid
                    && report
                        .problems
                        .iter()
                        .all(|p| p.code == temoin_bundle::ProblemCode::UnknownDevice)
                    && !devices.approved.contains_key(&m.device.key_id)
            })
            .map(|m| m.device.key_id.clone());
        if let Some(key_id) = unknown_signer {
            if self.wait_for_registry(name)? {
                return Ok(Opened {
                    file: file.to_owned(),
                    case: None,
                    report,
                    desk_problems: vec![format!(
                        "device {key_id} is not in OMCT's device registry yet: this bundle waits, and is opened again after a pull brings a newer registry"
                    )],
                    waiting: true,
                });
            }
        }
        let accepted = report.genuine() && desk_problems.is_empty();
        // Filed under its case before anything says it was opened: a crash
        // in between opens it again, and lands on the same items. Only
        // with some device approved: with none, the reader (which takes
        // whatever key it is not asked to doubt) would accept any
        // self-signed bundle.
        let figures_only = report
            .manifest
            .as_ref()
            .is_some_and(|m| m.purpose == temoin_bundle::Purpose::AnonymisedStatistics);
        let case = if accepted && !trusted.is_empty() {
            if figures_only {
                // Figures, no case: kept for the statistics; the bundle
                // itself is not kept (it holds nothing else).
                self.file_figures(&report)?;
                None
            } else {
                Some(self.file_received(&report, &devices, Some(sha256.clone()), staged)?)
            }
        } else {
            None
        };
        let verdict = Verdict {
            accepted,
            genuine: report.genuine(),
            intact: report.intact(),
            problems: report.problems.clone(),
            desk_problems: desk_problems.clone(),
            bundle_id: report.manifest.as_ref().map(|m| m.bundle_id.clone()),
            device_key_id: report.manifest.as_ref().map(|m| m.device.key_id.clone()),
            sequence: report.manifest.as_ref().map(|m| m.sequence),
            purpose: report
                .manifest
                .as_ref()
                .map(|m| m.purpose.code().to_owned()),
            format: report.manifest.as_ref().map(|m| m.format.clone()),
            supersedes: report.manifest.as_ref().map(|m| m.supersedes.clone()),
            manifest_sha256: report.manifest_sha256.clone(),
            case,
        };
        // The register, then the verdict that marks the file done: a crash
        // in between opens it again, never skips its number.
        self.save_registry(&devices)?;
        // Acknowledged at once, accepted or flagged with the reasons, for
        // the device (relayed at the next contact with the server, or given
        // as a file). Not when the server listed the bundle under another id
        // than its own: a copy under a made-up id must not put a "flagged"
        // in the device's hands for the real one.
        let misfiled = from_inbox
            && report
                .manifest
                .as_ref()
                .is_some_and(|m| m.bundle_id != name);
        // An officer's desk reads; OMCT's desk acknowledges.
        if !misfiled && !self.is_officer()? {
            let mut reasons = Vec::new();
            if !accepted {
                reasons.extend(report.problems.iter().map(|p| p.detail.clone()));
                reasons.extend(desk_problems.iter().cloned());
                if reasons.is_empty() {
                    reasons.push("the bundle was not accepted".into());
                }
            }
            acknowledge(
                self,
                Conclusion {
                    bundle_id: report
                        .manifest
                        .as_ref()
                        .map(|m| m.bundle_id.as_str())
                        .unwrap_or(name),
                    device_key_id: report
                        .manifest
                        .as_ref()
                        .map(|m| m.device.key_id.as_str())
                        .unwrap_or_default(),
                    sha256: &sha256,
                    manifest_sha256: report.manifest_sha256.as_deref().unwrap_or_default(),
                    reasons,
                },
            )?;
        }
        let bytes = serde_json::to_vec(&verdict).map_err(|e| DeskError::Local(e.to_string()))?;
        self.put(&format!("{VERDICTS}{name}"), &bytes)?;
        // The store holds it now; the encrypted copy in the inbox goes.
        if accepted && from_inbox {
            std::fs::remove_file(file)?;
            std::fs::File::open(self.dir().join("inbox"))?.sync_all()?;
        }
        self.remove(&format!("{WAITING}{name}"))?;
        Ok(Opened {
            waiting: false,
            file: file.to_owned(),
            case,
            report,
            desk_problems,
        })
    }

    /// Seals an accepted bundle in the store and files it under its case:
    /// the [`Received`] item (its id derived from the manifest's hash, so a
    /// bundle imported twice is stored once) and the case's [`Triage`] row
    /// (its id derived from the device and the sender's case id, so that an
    /// amended version lands under the same row and one device can never
    /// write into another's case). Returns the row's id.
    pub(crate) fn file_received(
        &mut self,
        report: &Report,
        devices: &Devices,
        file_sha256: Option<String>,
        staged: StagedPayload,
    ) -> Result<ItemId, DeskError> {
        let (Some(m), Some(manifest_sha256)) = (&report.manifest, &report.manifest_sha256) else {
            return Err(DeskError::Local(
                "an accepted bundle without a manifest".into(),
            ));
        };
        let label = devices
            .approved
            .get(&m.device.key_id)
            .map(|a| a.label.clone());
        let summary = summary_of(m);
        let received_at = now_rfc3339();
        let rid = self
            .vault()
            .derived_id(&format!("received/{manifest_sha256}"));
        let new_bundle = self.vault().kind_of(rid).is_none();
        if new_bundle {
            let facts = staged.facts().clone();
            // Fields the device wrote are kept only in a form a record
            // takes, so that a malformed one can never stop the desk from
            // filing a genuine bundle (the signed manifest keeps them as
            // they were).
            let short = |s: &str| {
                Some(s.to_owned())
                    .filter(|s| temoin_vault::record::check_short("field", s).is_ok())
                    .unwrap_or_else(|| "(not readable)".into())
            };
            let record = Received {
                bundle_id: short(&m.bundle_id),
                sequence: m.sequence,
                device_key_id: m.device.key_id.clone(),
                device_label: label.clone(),
                purpose: m.purpose.code().to_owned(),
                format: m.format.clone(),
                sealed_at: short(&m.created_at),
                received_at: received_at.clone(),
                case: m.case_id,
                supersedes: m.supersedes.as_ref().map(|s| short(&s.bundle_id)),
                manifest_sha256: manifest_sha256.clone(),
                file_sha256,
                sha256: facts.sha256,
                size: facts.size,
                as_arrived: staged.as_arrived(),
                files_verified: report.files_verified as u64,
                custody_verified: report.custody_verified as u64,
                withheld: m.withheld.len() as u64,
                summary: summary.clone(),
            };
            self.vault()
                .add_with_payload(rid, staged, &record)
                .map_err(store_error)?;
        }
        let tid = self
            .vault()
            .derived_id(&format!("triage/{}/{}", m.device.key_id, m.case_id));
        let existing = self.vault().get::<Triage>(tid).map_err(store_error)?;
        match existing {
            None => {
                let row = Triage {
                    device_key_id: m.device.key_id.clone(),
                    device_label: label,
                    case: m.case_id,
                    state: TriageState::New,
                    note: None,
                    bundles: vec![rid],
                    received_at,
                    summary,
                };
                self.vault().add_with_id(tid, &row).map_err(store_error)?;
            }
            Some(stored) if !stored.record.bundles.contains(&rid) => {
                let mut row = stored.record;
                // In the device's order (its sequence numbers), not the
                // order of arrival: a server that holds a version back and
                // delivers it after a later one cannot make it the latest.
                let mut versions = Vec::with_capacity(row.bundles.len() + 1);
                let mut latest_before: Option<Received> = None;
                for b in &row.bundles {
                    let r = self
                        .vault_ref()
                        .require::<Received>(*b)
                        .map_err(store_error)?;
                    versions.push((r.record.sequence, *b));
                    if row.bundles.last() == Some(b) {
                        latest_before = Some(r.record);
                    }
                }
                // The files of the urgent text the desk has been reading:
                // the same account, no new decision to make.
                let files_of_the_text = latest_before.is_some_and(|r| {
                    r.summary.files_follow
                        && m.supersedes
                            .as_ref()
                            .is_some_and(|s| s.bundle_id == r.bundle_id)
                });
                versions.push((m.sequence, rid));
                versions.sort();
                // The oldest versions leave the row (their items stay in the
                // store) past what a record may list.
                let keep = versions.len().min(temoin_vault::record::limits::LIST);
                row.bundles = versions[versions.len() - keep..]
                    .iter()
                    .map(|(_, b)| *b)
                    .collect();
                if row.bundles.last() == Some(&rid) {
                    row.received_at = received_at;
                    row.summary = summary;
                    row.device_label = label.or(row.device_label);
                    // A new version of a case someone had decided on needs
                    // reading again.
                    if row.state != TriageState::New && !files_of_the_text {
                        row.state = TriageState::New;
                        row.note = Some("a new version arrived".into());
                    }
                }
                self.vault().update(tid, &row).map_err(store_error)?;
            }
            Some(_) => {}
        }
        Ok(tid)
    }
}

/// What the desk's register says of a bundle's signer: an unknown device, a
/// sequence number already used by another bundle, a revoked device.
/// Records the sequence number of a genuine bundle.
pub(crate) fn check_against_registry(
    devices: &mut Devices,
    report: &Report,
    m: &Manifest,
    manifest_sha: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if !devices.approved.contains_key(&m.device.key_id) {
        problems.push(format!(
            "unknown device {}: the desk never approved this key, so this bundle is not accepted",
            m.device.key_id
        ));
    }
    // Sequence numbers count only for bundles that are genuine (so a forger
    // cannot spend a real device's numbers), under the key id the signature
    // proved. The same bundle delivered twice (same manifest) is not a
    // replay; another manifest with a number already used is.
    if report.genuine() {
        let seen = devices
            .sequences
            .entry(m.device.key_id.clone())
            .or_default();
        match seen.get(&m.sequence) {
            Some(other) if other != manifest_sha => problems.push(format!(
                "sequence number {} of device {} was already used by another bundle (manifest {other}): a replay or a copied device",
                m.sequence, m.device.key_id
            )),
            _ => {
                seen.insert(m.sequence, manifest_sha.to_owned());
            }
        }
    }
    // A device revoked (lost, seized) can still sign: what it sealed after
    // its revocation (a USB stick, say) is not taken on its word.
    if let Some(at) = devices.revoked.get(&m.device.key_id) {
        let parse = |t: &str| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        };
        let after = match (parse(&m.created_at), parse(at)) {
            (Some(sealed), Some(revoked)) => sealed >= revoked,
            _ => true,
        };
        if after {
            problems.push(format!(
                "device {} was revoked at {at}; this bundle says it was sealed at {}",
                m.device.key_id, m.created_at
            ));
        }
    }
    problems
}
