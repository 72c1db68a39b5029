//! Opening what devices sent: decrypted with OMCT's identity, verified
//! against the devices the desk knows, replays and revoked devices flagged.

use std::path::{Path, PathBuf};

use serde::Serialize;
use temoin_bundle::{read_bundle, Problem, ReadOptions, Report, Supersedes};
use temoin_crypto::sign::DevicePublicKey;

use sha2::{Digest, Sha256};

use crate::ack::{acknowledge, Conclusion};
use crate::error::DeskError;
use crate::file::write_durably;
use crate::store::Desk;

/// `verification.json`: the desk's verdict on one bundle.
#[derive(Serialize)]
struct Verdict<'a> {
    accepted: bool,
    genuine: bool,
    intact: bool,
    problems: &'a [Problem],
    desk_problems: &'a [String],
    bundle_id: Option<&'a str>,
    device_key_id: Option<&'a str>,
    sequence: Option<u64>,
    /// What the bundle is for (`share_with_omct`, `litigation`,
    /// `publication`): a publication holds working copies only, so nothing
    /// in it is an original to rely on as evidence.
    purpose: Option<&'a str>,
    /// The format version it was written in.
    format: Option<&'a str>,
    supersedes: Option<&'a Option<Supersedes>>,
    manifest_sha256: Option<&'a str>,
}

/// What opening one bundle found.
#[derive(Debug)]
pub struct Opened {
    /// The file opened.
    pub file: PathBuf,
    /// Where it was unpacked.
    pub out: PathBuf,
    /// The reader's report.
    pub report: Report,
    /// Problems only the desk can see (a reused sequence number).
    pub desk_problems: Vec<String>,
}

impl Opened {
    /// Genuine, and nothing wrong seen by the desk either.
    pub fn accepted(&self) -> bool {
        self.report.genuine() && self.desk_problems.is_empty()
    }
}

impl Desk {
    /// Opens every bundle in `inbox/` (or the one given): decrypts with OMCT's
    /// identity, verifies against the enrolled devices' keys, flags a reused
    /// sequence number, and unpacks into `opened/<bundle id>/` with
    /// `verification.json`. A bundle already opened is skipped.
    pub fn open(&mut self, only: Option<&Path>) -> Result<Vec<Opened>, DeskError> {
        let dir = &self.dir().to_owned();
        let identities = self.identities()?;
        // Decrypted case material: for the desk's owner only, also in a
        // folder made before this was enforced.
        crate::file::private_dir(&dir.join("opened"))?;
        let mut devices = self.registry()?;
        // Only keys the desk approved itself; the server's list is a hint.
        let trusted: Vec<DevicePublicKey> = devices
            .approved
            .values()
            .filter_map(|a| DevicePublicKey::from_minisign(&a.public_key).ok())
            .collect();
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
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("bundle")
                .trim_end_matches(".tar.age")
                .to_owned();
            let target = dir.join("opened").join(&name);
            // Opened before: its verdict is on disk. A folder without one is
            // what an interrupted run left; it is done again from the start.
            if target.join("verification.json").is_file() {
                continue;
            }
            if target.exists() {
                std::fs::remove_dir_all(&target)?;
            }
            let input = std::fs::File::open(&file)?;
            // Unpacked only when signed by a device the desk approved: with
            // none approved yet, the reader (which unpacks whatever a key it
            // is not asked to doubt signed) would take any self-signed
            // bundle, a forger's included, and leave it in the clear.
            let out_dir = (!trusted.is_empty()).then_some(target.as_path());
            let read = read_bundle(
                std::io::BufReader::new(input),
                &identities,
                &ReadOptions {
                    trusted_devices: &trusted,
                    out_dir,
                },
            );
            let mut desk_problems = Vec::new();
            let report = match read {
                Ok(r) => r,
                // Not for OMCT's keys, or not a bundle at all: a verdict too,
                // so that one bad file does not stop the others.
                Err(e) => {
                    desk_problems.push(format!("the file cannot be opened: {e}"));
                    Report::default()
                }
            };
            if let (Some(m), Some(manifest_sha)) = (&report.manifest, &report.manifest_sha256) {
                if !devices.approved.contains_key(&m.device.key_id) {
                    desk_problems.push(format!(
                    "unknown device {}: the desk never approved this key, so this bundle is not accepted",
                    m.device.key_id
                ));
                }
                // Sequence numbers count only for bundles that are genuine (so a
                // forger cannot spend a real device's numbers), under the key
                // id the signature proved. The same bundle delivered twice (same
                // manifest) is not a replay; another manifest with a number
                // already used is.
                if report.genuine() {
                    let seen = devices
                        .sequences
                        .entry(m.device.key_id.clone())
                        .or_default();
                    match seen.get(&m.sequence) {
                    Some(other) if other != manifest_sha => desk_problems.push(format!(
                        "sequence number {} of device {} was already used by another bundle (manifest {other}): a replay or a copied device",
                        m.sequence, m.device.key_id
                    )),
                    _ => {
                        seen.insert(m.sequence, manifest_sha.clone());
                    }
                }
                }
                // A device revoked (lost, seized) can still sign: what it
                // sealed after its revocation (a USB stick, say) is not taken
                // on its word.
                if let Some(at) = devices.revoked.get(&m.device.key_id) {
                    let parse = |t: &str| {
                        time::OffsetDateTime::parse(
                            t,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    };
                    let after = match (parse(&m.created_at), parse(at)) {
                        (Some(sealed), Some(revoked)) => sealed >= revoked,
                        _ => true,
                    };
                    if after {
                        desk_problems.push(format!(
                            "device {} was revoked at {at}; this bundle says it was sealed at {}",
                            m.device.key_id, m.created_at
                        ));
                    }
                }
                if m.bundle_id != name && only.is_none() {
                    desk_problems
                        .push("the bundle's id is not the one the server stored it under".into());
                }
            }
            let verdict = Verdict {
                accepted: report.genuine() && desk_problems.is_empty(),
                genuine: report.genuine(),
                intact: report.intact(),
                problems: &report.problems,
                desk_problems: &desk_problems,
                bundle_id: report.manifest.as_ref().map(|m| m.bundle_id.as_str()),
                device_key_id: report.manifest.as_ref().map(|m| m.device.key_id.as_str()),
                sequence: report.manifest.as_ref().map(|m| m.sequence),
                purpose: report.manifest.as_ref().map(|m| m.purpose.code()),
                format: report.manifest.as_ref().map(|m| m.format.as_str()),
                supersedes: report.manifest.as_ref().map(|m| &m.supersedes),
                manifest_sha256: report.manifest_sha256.as_deref(),
            };
            // The register first, then the verdict that marks the bundle done:
            // a crash in between opens it again, never skips its number.
            self.save_registry(&devices)?;
            // Acknowledged at once, accepted or flagged with the reasons, for
            // the device (relayed at the next contact with the server, or
            // given as a file). Not when the server listed the bundle under
            // another id than its own: a copy under a made-up id must not put a
            // "flagged" in the device's hands for the real one.
            let misfiled = only.is_none()
                && report
                    .manifest
                    .as_ref()
                    .is_some_and(|m| m.bundle_id != name);
            let accepted = report.genuine() && desk_problems.is_empty();
            let mut reasons = Vec::new();
            if !accepted {
                reasons.extend(report.problems.iter().map(|p| p.detail.clone()));
                reasons.extend(desk_problems.iter().cloned());
                if reasons.is_empty() {
                    reasons.push("the bundle was not accepted".into());
                }
            }
            let sha256 = {
                let mut h = Sha256::new();
                std::io::copy(&mut std::fs::File::open(&file)?, &mut h)?;
                hex::encode(h.finalize())
            };
            if !misfiled {
                acknowledge(
                    self,
                    &target,
                    Conclusion {
                        bundle_id: report
                            .manifest
                            .as_ref()
                            .map(|m| m.bundle_id.as_str())
                            .unwrap_or(&name),
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
            std::fs::create_dir_all(&target)?;
            write_durably(
                &target.join("verification.json"),
                &serde_json::to_vec_pretty(&verdict).unwrap_or_default(),
            )?;
            out.push(Opened {
                file,
                out: target,
                report,
                desk_problems,
            });
        }
        Ok(out)
    }
}
