//! The sealed bundle: one case, as a tar archive inside an age file, signed
//! by the device. The one format for a submission to OMCT, a file for a
//! litigator and a USB hand-carry. `docs/FORMAT.md` specifies it.
//!
//! Writing streams: the manifest is built from the records (the evidence
//! hashes are known from intake), signed, and written first; each evidence
//! payload is then decrypted from the vault and re-encrypted into the bundle
//! chunk by chunk, its hash checked on the way. No plaintext touches the
//! disk. Reading streams too, and checks everything it can without trusting
//! the bundle: the signature, the recipients, every file's hash against the
//! manifest and `SHA256SUMS`, the custody entries, and every path.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_crypto::payload;
pub use temoin_crypto::payload::{PayloadIdentity, PayloadRecipient};
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};

use crate::case::{
    Case, Consent, ConsentScope, Evidence, FollowUp, Perpetrator, Person, Place, Testimony,
    Violation,
};
use crate::custody::{Action, BundleNote, CustodyBody, CustodyEntry, Event};
use crate::error::VaultError;
use crate::record::{ItemId, Kind, Record};
use crate::vault::Vault;

/// The format tag, first field of every manifest.
pub const FORMAT: &str = "temoin-bundle/1";
/// Paths of the fixed members, in the order they are written.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's minisign signature.
pub const SIGNATURE: &str = "manifest.json.minisig";
/// Checksums in the format `sha256sum -c` reads.
pub const SUMS: &str = "SHA256SUMS";
/// Custody entries, one JSON object a line.
pub const CUSTODY: &str = "custody.jsonl";
/// A summary for people.
pub const README: &str = "README.html";
/// The folder of evidence files.
pub const EVIDENCE_DIR: &str = "evidence/";

/// Largest manifest a reader accepts.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Largest custody file a reader accepts.
pub const MAX_CUSTODY_BYTES: u64 = 64 * 1024 * 1024;
/// Largest README a reader accepts.
pub const MAX_README_BYTES: u64 = 16 * 1024 * 1024;
/// Largest signature or checksum file a reader accepts.
pub const MAX_SMALL_BYTES: u64 = 4 * 1024 * 1024;
/// Most files a bundle may hold.
pub const MAX_FILES: usize = 100_000;

/// What a bundle is for. Only items whose consent covers it go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Handed over to OMCT.
    ShareWithOmct,
    /// Given to a litigator for proceedings.
    Litigation,
}

impl Purpose {
    /// The consent scope it needs.
    pub fn scope(self) -> ConsentScope {
        match self {
            Purpose::ShareWithOmct => ConsentScope::ShareWithOmct,
            Purpose::Litigation => ConsentScope::Litigation,
        }
    }

    /// The code used in manifests and custody entries.
    pub fn code(self) -> &'static str {
        match self {
            Purpose::ShareWithOmct => "share_with_omct",
            Purpose::Litigation => "litigation",
        }
    }
}

/// A bundle that this one replaces (a case amended after delivery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedes {
    /// The earlier bundle's id.
    pub bundle_id: String,
    /// Its sequence number.
    pub sequence: u64,
    /// The SHA-256 of its manifest.
    pub manifest_sha256: String,
}

/// The signer, as the manifest names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The minisign key id (16 upper-case hex digits).
    pub key_id: String,
    /// The public key, minisign base64. A reader must not trust it on its
    /// own word: it is compared with a key known from elsewhere.
    pub public_key: String,
}

/// One record in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The item's id.
    pub id: ItemId,
    /// Its kind (`case`, `testimony`, ...).
    pub kind: String,
    /// The revision sent.
    pub revision: u32,
    /// The record, as the case model defines it.
    pub record: serde_json::Value,
    /// Whether fields about a withheld person were blanked (set to null)
    /// in this copy of the record: the names and notes in the consent of a
    /// person who did not consent to this purpose, the notes on such a
    /// person's role in the case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

/// One file in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its path in the archive.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// The evidence item it is the payload of, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemId>,
}

/// An item left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    /// The item's id.
    pub id: ItemId,
    /// Its kind.
    pub kind: String,
    /// Why, in words.
    pub reason: String,
}

/// The signed description of a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// A random id (UUID v4).
    pub bundle_id: String,
    /// When it was sealed, RFC 3339 UTC.
    pub created_at: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The signing device.
    pub device: DeviceInfo,
    /// The device's sequence number: one more for every bundle it seals.
    pub sequence: u64,
    /// Fingerprints of the age recipients it is encrypted to
    /// (`sha256:` + hex of the `age1...` string).
    pub recipients: Vec<String>,
    /// The bundle this one replaces, if any.
    #[serde(default)]
    pub supersedes: Option<Supersedes>,
    /// The case's id.
    pub case_id: ItemId,
    /// Every record sent: the case first, then the rest by kind and id.
    pub items: Vec<ItemRecord>,
    /// Every file of the archive but the manifest, its signature and
    /// `SHA256SUMS`.
    pub files: Vec<FileEntry>,
    /// Items of the case left out.
    pub withheld: Vec<Withheld>,
}

/// What [`Vault::export_bundle`] did.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// The manifest as signed.
    pub manifest: Manifest,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: String,
    /// Bytes written (the age file).
    pub bytes: u64,
}

/// How to export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// What for.
    pub purpose: Purpose,
    /// Who can open it. At least one.
    pub recipients: Vec<PayloadRecipient>,
    /// The bundle it replaces, if any.
    pub supersedes: Option<Supersedes>,
}

/// A bundle being written: the items chosen, the files to stream.
struct Plan {
    items: Vec<ItemRecord>,
    evidence: Vec<(ItemId, Evidence)>,
    withheld: Vec<Withheld>,
    custody: Vec<CustodyEntry>,
}

/// The file name extension for a media type, so a litigator's viewer opens
/// the file (the original name is in the record, not on the archive path).
fn extension(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/tiff" => "tif",
        "image/bmp" => "bmp",
        "image/heif" => "heic",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/x-wav" => "wav",
        "audio/m4a" => "m4a",
        "audio/x-flac" => "flac",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "text/plain" => "txt",
        _ => "bin",
    }
}

fn to_value<R: Record>(record: &R) -> Result<serde_json::Value, VaultError> {
    serde_json::to_value(record).map_err(|_| VaultError::Store("a record did not serialise".into()))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Vault {
    /// Chooses what of `case` goes into a bundle for `purpose`.
    ///
    /// The rule (docs/FORMAT.md, "What goes in"): the case's material goes in
    /// only if some consent of the case covers the purpose now and no
    /// consent given for the whole case (no person linked) has withdrawn it. A person who gave consent of their own goes in (with
    /// the testimonies they gave) only if that consent covers the purpose.
    /// Consents always go in: they are the grounds for the rest.
    fn plan_bundle(&self, case_id: ItemId, purpose: Purpose) -> Result<Plan, VaultError> {
        let scope = purpose.scope();
        let case = self.require::<Case>(case_id)?;
        let consents: Vec<_> = self
            .list_in_case(case_id, Kind::Consent)
            .into_iter()
            .map(|id| self.require::<Consent>(id))
            .collect::<Result<_, _>>()?;
        // A consent given for the whole case (no person linked) that was
        // withdrawn stops the case; a person's own withdrawal withholds
        // what is theirs (below).
        let withdrawn = consents.iter().any(|c| {
            c.record.given_by.is_none()
                && c.record.scopes.contains(&scope)
                && c.record
                    .withdrawal
                    .as_ref()
                    .is_some_and(|w| w.withdraws(scope))
        });
        let covered = consents.iter().any(|c| c.record.covers(scope));
        if !covered || withdrawn {
            return Err(VaultError::NoConsent {
                scope: scope.code(),
            });
        }
        // People who consented for themselves, and whether it covers this.
        let mut own_consent: BTreeMap<ItemId, bool> = BTreeMap::new();
        for c in &consents {
            if let Some(p) = c.record.given_by {
                let e = own_consent.entry(p).or_insert(false);
                *e |= c.record.covers(scope);
            }
        }
        let person_ok = |p: &ItemId| own_consent.get(p).copied().unwrap_or(true);
        let not_covered = |what: &str| {
            format!(
                "{what} gave consent that does not cover {} (not granted, or withdrawn)",
                scope.code()
            )
        };

        let mut items = vec![ItemRecord {
            id: case_id,
            kind: Kind::Case.name().to_owned(),
            revision: case.revision,
            record: to_value(&case.record)?,
            redacted: false,
        }];
        let mut withheld = Vec::new();
        let mut people: BTreeSet<ItemId> =
            case.record.participants.iter().map(|p| p.person).collect();
        let mut places: BTreeSet<ItemId> = BTreeSet::new();
        let mut evidence = Vec::new();

        fn push<R: Record>(
            items: &mut Vec<ItemRecord>,
            s: &crate::vault::Stored<R>,
        ) -> Result<(), VaultError> {
            items.push(ItemRecord {
                id: s.id,
                kind: R::KIND.name().to_owned(),
                revision: s.revision,
                record: to_value(&s.record)?,
                redacted: false,
            });
            Ok(())
        }
        for c in &consents {
            push(&mut items, c)?;
            people.extend(c.record.given_by);
        }
        for id in sorted(self.list_in_case(case_id, Kind::Testimony)) {
            let t = self.require::<Testimony>(id)?;
            match t.record.witness {
                Some(w) if !person_ok(&w) => withheld.push(Withheld {
                    id,
                    kind: Kind::Testimony.name().to_owned(),
                    reason: not_covered("the witness"),
                }),
                _ => {
                    people.extend(t.record.witness);
                    push(&mut items, &t)?;
                }
            }
        }
        for id in sorted(self.list_in_case(case_id, Kind::Violation)) {
            let v = self.require::<Violation>(id)?;
            people.extend(v.record.victims.iter().copied());
            places.extend(v.record.place);
            push(&mut items, &v)?;
        }
        for id in sorted(self.list_in_case(case_id, Kind::Perpetrator)) {
            push(&mut items, &self.require::<Perpetrator>(id)?)?;
        }
        for id in sorted(self.list_in_case(case_id, Kind::FollowUp)) {
            push(&mut items, &self.require::<FollowUp>(id)?)?;
        }
        places.extend(self.list_in_case(case_id, Kind::Place));
        for id in places {
            if let Some(p) = self.get::<Place>(id)? {
                push(&mut items, &p)?;
            }
        }
        for id in people {
            let Some(p) = self.get::<Person>(id)? else {
                continue;
            };
            if person_ok(&id) {
                push(&mut items, &p)?;
            } else {
                withheld.push(Withheld {
                    id,
                    kind: Kind::Person.name().to_owned(),
                    reason: not_covered("the person"),
                });
            }
        }
        for id in sorted(self.list_in_case(case_id, Kind::Evidence)) {
            let e = self.require::<Evidence>(id)?;
            push(&mut items, &e)?;
            evidence.push((id, e.record));
        }

        // What the records sent say about a withheld person goes too: their
        // own consent keeps its scopes, dates and method (the grounds for
        // leaving them out) but not their name, the interpreter or the
        // notes; the case keeps their role but not the note on it.
        let withheld_people: BTreeSet<ItemId> = withheld
            .iter()
            .filter(|w| w.kind == Kind::Person.name())
            .map(|w| w.id)
            .collect();
        let blank = |v: &mut serde_json::Value, field: &str| {
            if let Some(f) = v.get_mut(field) {
                *f = serde_json::Value::Null;
            }
        };
        let is_withheld = |v: &serde_json::Value, field: &str| {
            v.get(field)
                .and_then(|p| p.as_str())
                .and_then(|p| p.parse::<ItemId>().ok())
                .is_some_and(|p| withheld_people.contains(&p))
        };
        for item in &mut items {
            if item.kind == Kind::Consent.name() && is_withheld(&item.record, "given_by") {
                for field in ["given_by_name", "interpreter", "note"] {
                    blank(&mut item.record, field);
                }
                if let Some(w) = item.record.get_mut("withdrawal").filter(|w| w.is_object()) {
                    blank(w, "note");
                }
                item.redacted = true;
            }
            if item.kind == Kind::Case.name() {
                if let Some(list) = item
                    .record
                    .get_mut("participants")
                    .and_then(|p| p.as_array_mut())
                {
                    for p in list {
                        if is_withheld(p, "person") {
                            blank(p, "note");
                            item.redacted = true;
                        }
                    }
                }
            }
        }

        let sent: BTreeSet<ItemId> = items.iter().map(|i| i.id).collect();
        let custody = self
            .custody()?
            .into_iter()
            .filter(|e| e.body.item.is_some_and(|i| sent.contains(&i)))
            .collect();
        Ok(Plan {
            items,
            evidence,
            withheld,
            custody,
        })
    }

    /// Seals `case` into a bundle written to `out`: a tar archive inside an
    /// age file to `options.recipients`, with a manifest signed by this
    /// device. The export is recorded in the custody log (with the
    /// manifest's hash, the bundle's id and sequence number, and the
    /// recipients) before anything is written, so no bundle ever leaves
    /// unrecorded; the sequence number is never reused, even if writing then
    /// fails.
    pub fn export_bundle<W: Write>(
        &mut self,
        case_id: ItemId,
        options: &ExportOptions,
        out: W,
    ) -> Result<ExportSummary, VaultError> {
        if options.recipients.is_empty() {
            return Err(
                crate::record::FieldError::new("recipients", "at least one is needed").into(),
            );
        }
        let plan = self.plan_bundle(case_id, options.purpose)?;
        let sequence = self.next_bundle_sequence()?;
        let device = self.device_public_key();

        let custody_bytes = custody_lines(&plan.custody);
        let mut files = vec![FileEntry {
            path: CUSTODY.to_owned(),
            size: custody_bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&custody_bytes)),
            media_type: "application/x-ndjson".to_owned(),
            item: None,
        }];
        for (id, e) in &plan.evidence {
            files.push(FileEntry {
                path: format!("{EVIDENCE_DIR}{id}.{}", extension(&e.media_type)),
                size: e.size,
                sha256: e.sha256.clone(),
                media_type: e.media_type.clone(),
                item: Some(*id),
            });
        }
        let mut manifest = Manifest {
            format: FORMAT.to_owned(),
            bundle_id: uuid::Uuid::new_v4().to_string(),
            created_at: now_rfc3339(),
            purpose: options.purpose,
            device: DeviceInfo {
                key_id: device.id_hex(),
                public_key: device.to_minisign_base64(),
            },
            sequence,
            recipients: options.recipients.iter().map(|r| r.fingerprint()).collect(),
            supersedes: options.supersedes.clone(),
            case_id,
            items: plan.items,
            files,
            withheld: plan.withheld,
        };
        let readme = readme_html(&manifest);
        manifest.files.insert(
            1,
            FileEntry {
                path: README.to_owned(),
                size: readme.len() as u64,
                sha256: hex::encode(Sha256::digest(readme.as_bytes())),
                media_type: "text/html".to_owned(),
                item: None,
            },
        );
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|_| VaultError::Store("the manifest did not serialise".into()))?;
        let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));
        let signature = self.sign_manifest(&manifest_bytes);
        let mut sums = format!("{manifest_sha256}  {MANIFEST}\n");
        for f in &manifest.files {
            sums.push_str(&format!("{}  {}\n", f.sha256, f.path));
        }

        self.record_bundle(case_id, &manifest, &manifest_sha256)?;

        let counter = CountingWriter {
            inner: out,
            count: 0,
        };
        let sealed = payload::encrypt_to(&options.recipients, counter).map_err(|e| match e {
            payload::PayloadError::Io(io) => VaultError::from(io),
            _ => VaultError::Store("the recipients could not be used".into()),
        })?;
        let mut tar = tar::Builder::new(sealed);
        let mtime = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        let add = |tar: &mut tar::Builder<_>, path: &str, size: u64, data: &mut dyn Read| {
            let mut header = tar::Header::new_ustar();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, path, data)
        };
        add(
            &mut tar,
            MANIFEST,
            manifest_bytes.len() as u64,
            &mut &manifest_bytes[..],
        )?;
        add(
            &mut tar,
            SIGNATURE,
            signature.len() as u64,
            &mut signature.as_bytes(),
        )?;
        add(&mut tar, SUMS, sums.len() as u64, &mut sums.as_bytes())?;
        add(
            &mut tar,
            CUSTODY,
            custody_bytes.len() as u64,
            &mut &custody_bytes[..],
        )?;
        add(
            &mut tar,
            README,
            readme.len() as u64,
            &mut readme.as_bytes(),
        )?;
        for ((id, e), f) in plan.evidence.iter().zip(&manifest.files[2..]) {
            let mut source = self.open_payload_checked(*id, e)?;
            add(&mut tar, &f.path, e.size, &mut source).map_err(|io| {
                if payload::is_damage(&io) {
                    VaultError::PayloadDamaged { id: *id }
                } else {
                    io.into()
                }
            })?;
            source.finish()?;
        }
        let sealed = tar.into_inner()?;
        let counter = sealed.finish()?;
        Ok(ExportSummary {
            manifest,
            manifest_sha256,
            bytes: counter.count,
        })
    }

    /// [`Vault::export_bundle`] into a new file: written as `PATH.part`,
    /// synced, then renamed, so `path` only ever holds a whole bundle.
    /// Refuses to overwrite.
    pub fn export_bundle_to_file(
        &mut self,
        case_id: ItemId,
        options: &ExportOptions,
        path: &Path,
    ) -> Result<ExportSummary, VaultError> {
        crate::store::write_new_file(path, |file| {
            let mut w = io::BufWriter::new(file);
            let summary = self.export_bundle(case_id, options, &mut w)?;
            Ok((summary, w.into_inner().map_err(|e| e.into_error())?))
        })
    }

    /// Reserves the next bundle sequence number and records the export, in
    /// one durable commit.
    fn record_bundle(
        &mut self,
        case_id: ItemId,
        manifest: &Manifest,
        manifest_sha256: &str,
    ) -> Result<(), VaultError> {
        self.append_custody_with_sequence(
            manifest.sequence,
            Action::ExportBundle,
            Event {
                item: Some(case_id),
                kind: Some(Kind::Case),
                case: Some(case_id),
                sha256: Some(manifest_sha256.to_owned()),
                bundle: Some(BundleNote {
                    id: manifest.bundle_id.clone(),
                    sequence: manifest.sequence,
                    purpose: manifest.purpose.code().to_owned(),
                    recipients: manifest.recipients.clone(),
                }),
                ..Event::default()
            },
        )
    }
}

fn sorted(mut ids: Vec<ItemId>) -> Vec<ItemId> {
    ids.sort();
    ids
}

/// The custody entries as JSON lines: the exact signed body (as a string,
/// so its bytes survive), the signature, and the sequence number.
fn custody_lines(entries: &[CustodyEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let line = serde_json::json!({
            "seq": e.body.seq,
            "body": String::from_utf8_lossy(&e.body_bytes),
            "signature": e.signature,
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Counts bytes written.
struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Escapes text for HTML. Written here because it is five characters and
/// a crate would add nothing but a dependency.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page for a person opening the bundle: what it holds, what was left
/// out, and how to check it with standard tools. No script, no remote
/// content.
fn readme_html(m: &Manifest) -> String {
    let title = m
        .items
        .first()
        .and_then(|i| i.record.get("title"))
        .and_then(|t| t.as_str())
        .unwrap_or("(untitled)");
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!(
        "<title>Témoin bundle: {}</title></head><body>\n",
        esc(title)
    ));
    h.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    h.push_str(&format!(
        "<p>Bundle {} (sequence {} of device {}), sealed {} for {}.</p>\n",
        esc(&m.bundle_id),
        m.sequence,
        esc(&m.device.key_id),
        esc(&m.created_at),
        esc(m.purpose.code())
    ));
    if let Some(s) = &m.supersedes {
        h.push_str(&format!(
            "<p>It replaces bundle {} (sequence {}).</p>\n",
            esc(&s.bundle_id),
            s.sequence
        ));
    }
    h.push_str("<h2>Records</h2>\n<ul>\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &m.items {
        *counts.entry(i.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in counts {
        h.push_str(&format!("<li>{}: {n}</li>\n", esc(kind)));
    }
    h.push_str("</ul>\n<p>The records themselves are in <code>manifest.json</code>.</p>\n");
    h.push_str("<h2>Files</h2>\n<table>\n<tr><th>File</th><th>Type</th><th>Bytes</th><th>SHA-256</th><th>Description</th></tr>\n");
    for f in &m.files {
        let description = f
            .item
            .and_then(|id| m.items.iter().find(|i| i.id == id))
            .and_then(|i| i.record.get("description"))
            .and_then(|d| d.as_str())
            .unwrap_or("");
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            esc(&f.path),
            esc(&f.media_type),
            f.size,
            esc(&f.sha256),
            esc(description)
        ));
    }
    h.push_str("</table>\n");
    if !m.withheld.is_empty() {
        h.push_str("<h2>Left out</h2>\n<ul>\n");
        for w in &m.withheld {
            h.push_str(&format!(
                "<li>{} {}: {}</li>\n",
                esc(&w.kind),
                esc(&w.id.to_string()),
                esc(&w.reason)
            ));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(&format!(
        "<h2>Checking it</h2>\n<pre>minisign -Vm manifest.json -P {}\nsha256sum -c SHA256SUMS</pre>\n\
         <p>Take the device's public key from a source you trust (the sender, or OMCT), not from this \
         bundle. <code>temoin verify</code> also checks the custody entries.</p>\n</body></html>\n",
        esc(&m.device.public_key)
    ));
    h
}

// ---------------------------------------------------------------------------
// Reading

/// Why a bundle could not be read at all (as opposed to read and found
/// wanting, which is a [`Report`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not an age file, or its header is damaged.
    #[error("this is not a sealed bundle (not an age file, or its header is damaged)")]
    NotABundle,
    /// None of the identities given can open it.
    #[error("the bundle is not addressed to this key: none of the identities given can open it")]
    NotForThisKey,
    /// The output folder is not empty or cannot be made.
    #[error("the output folder must be new or empty")]
    OutputNotEmpty,
    /// Reading or writing failed.
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
}

/// One thing found wrong with a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable code (see docs/FORMAT.md, "Verification").
    pub code: &'static str,
    /// What, in words, naming paths and ids but never content.
    pub detail: String,
}

/// What reading a bundle found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The manifest, if one was read.
    pub manifest: Option<Manifest>,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: Option<String>,
    /// Whether the manifest's signature verified with its stated key.
    pub signature_valid: bool,
    /// Whether that key is one the reader trusts (`None`: no trusted key was
    /// given, so authenticity is not established).
    pub signer_trusted: Option<bool>,
    /// Files whose hash was checked and held.
    pub files_verified: usize,
    /// Custody entries whose signature verified.
    pub custody_verified: usize,
    /// Everything wrong. Empty means everything checked held.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether the bundle is intact and consistent (its signature, hashes,
    /// paths and custody entries all hold). Authenticity also needs
    /// [`Report::signer_trusted`].
    pub fn intact(&self) -> bool {
        self.problems.is_empty() && self.manifest.is_some() && self.signature_valid
    }

    /// Intact, and signed by a key the reader trusts.
    pub fn genuine(&self) -> bool {
        self.intact() && self.signer_trusted == Some(true)
    }

    fn problem(&mut self, code: &'static str, detail: impl Into<String>) {
        self.problems.push(Problem {
            code,
            detail: detail.into(),
        });
    }
}

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
    let plain = PayloadIdentity::decrypt_any(identities, input).map_err(|e| match e {
        payload::PayloadError::NoMatchingKey => BundleError::NotForThisKey,
        payload::PayloadError::Io(io) => BundleError::Io(io),
        _ => BundleError::NotABundle,
    })?;
    Ok(read_plain(plain, identities, options))
}

/// Reads the archive inside a bundle (already decrypted).
pub(crate) fn read_plain<R: Read>(
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
                            self.report
                                .problem("malformed", "there is data after the end of the archive");
                            return;
                        }
                        trailing += n as u64;
                        if trailing > 1024 * 1024 {
                            self.report
                                .problem("malformed", "there is data after the end of the archive");
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.report.problem("damaged", damage_detail(&e));
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
                self.report
                    .problem("damaged", "the archive inside the bundle cannot be read");
                return false;
            }
        };
        for (index, entry) in entries.enumerate() {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.report.problem("damaged", damage_detail(&e));
                    return false;
                }
            };
            if index >= MAX_FILES + 5 {
                self.report.problem(
                    "too_many_files",
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
                    "unsafe_path",
                    format!("the archive holds a file whose path is not allowed in a bundle: {shown:?}; it was not unpacked"),
                );
                continue;
            }
            if entry.header().entry_type() != tar::EntryType::Regular {
                self.report.problem(
                    "unsafe_path",
                    format!(
                        "{shown} is not a regular file (a link or folder); it was not unpacked"
                    ),
                );
                continue;
            }
            if !self.seen.insert(shown.clone()) {
                self.report.problem(
                    "duplicate_file",
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
                        "malformed",
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
                                "unknown_file",
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
                self.report.problem("damaged", damage_detail(&e));
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
        self.report
            .manifest
            .as_ref()?
            .files
            .iter()
            .find(|f| f.path == path)
    }

    fn read_small(&mut self, entry: &mut impl Read, name: &str) -> io::Result<Option<String>> {
        match read_limited(entry, MAX_SMALL_BYTES)? {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(s) => Ok(Some(s)),
                Err(_) => {
                    self.report
                        .problem("malformed", format!("{name} is not text"));
                    Ok(None)
                }
            },
            None => {
                self.report.problem(
                    "oversized",
                    format!("{name} is larger than a bundle allows"),
                );
                Ok(None)
            }
        }
    }

    fn read_manifest(&mut self, entry: &mut impl Read) -> io::Result<()> {
        let Some(bytes) = read_limited(entry, MAX_MANIFEST_BYTES)? else {
            self.report
                .problem("oversized", "the manifest is larger than a bundle allows");
            return Ok(());
        };
        let sha = hex::encode(Sha256::digest(&bytes));
        self.hashes.insert(MANIFEST.to_owned(), sha.clone());
        self.report.manifest_sha256 = Some(sha);
        match serde_json::from_slice::<Manifest>(&bytes) {
            Ok(m) if m.format == FORMAT => {
                if m.files.len() > MAX_FILES {
                    self.report.problem(
                        "too_many_files",
                        "the manifest lists more files than a bundle may",
                    );
                } else {
                    for f in &m.files {
                        if !safe_member_path(f.path.as_bytes()) || f.path == MANIFEST {
                            self.report.problem(
                                "unsafe_path",
                                format!(
                                    "the manifest lists a path not allowed in a bundle: {:?}",
                                    f.path.chars().take(120).collect::<String>()
                                ),
                            );
                        }
                    }
                    self.report.manifest = Some(m);
                }
            }
            Ok(m) => self.report.problem(
                "unknown_format",
                format!(
                    "the manifest is of format {:?}, which this version does not read",
                    m.format.chars().take(40).collect::<String>()
                ),
            ),
            Err(_) => self
                .report
                .problem("malformed", "the manifest is not a valid bundle manifest"),
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
                "oversized",
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
                    "hash_mismatch",
                    format!("{path} does not match the manifest: it was altered; it was not kept"),
                );
                if let Some(t) = &target {
                    let _ = std::fs::remove_file(t);
                }
            }
            None => self.report.problem(
                "unknown_file",
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
                    .problem("malformed", "the bundle has no manifest");
            }
            return;
        };
        // The signature, with the key the manifest names.
        let key = DevicePublicKey::from_minisign(&manifest.device.public_key);
        match (&key, &self.signature) {
            (_, None) => self
                .report
                .problem("not_signed", "the manifest is not signed"),
            (Err(_), _) => self.report.problem(
                "bad_signature",
                "the manifest names a device key that is not valid",
            ),
            (Ok(k), Some(sig)) => {
                if k.id_hex() != manifest.device.key_id {
                    self.report.problem(
                        "bad_signature",
                        "the manifest's device key id does not match its key",
                    );
                }
                match k.verify(SigningPurpose::BundleManifest, &bytes, sig) {
                    Ok(()) => self.report.signature_valid = true,
                    Err(e) => self.report.problem(
                        "bad_signature",
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
                        "unknown_device",
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
                "recipient_not_bound",
                "the bundle opens with this key, but its signed manifest does not list it among the recipients: it was re-encrypted by someone else",
            );
        }
        // Every listed file arrived.
        for f in &manifest.files {
            if !self.hashes.contains_key(&f.path)
                && !self
                    .report
                    .problems
                    .iter()
                    .any(|p| p.detail.starts_with(&f.path))
            {
                self.report.problem(
                    "missing_file",
                    format!(
                        "{} is listed in the manifest but is not in the archive",
                        f.path
                    ),
                );
            }
        }
        self.check_sums(&manifest);
        self.check_custody(&manifest, key.ok());
    }

    fn check_sums(&mut self, manifest: &Manifest) {
        let Some(sums) = self.sums.take() else {
            self.report
                .problem("missing_file", format!("{SUMS} is missing"));
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
                        "malformed",
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
                    "malformed",
                    format!("{SUMS} lists {path:?}, which the manifest does not"),
                );
            } else if self.hashes.get(path).is_some_and(|h| h != hash) {
                self.report.problem(
                    "hash_mismatch",
                    format!("{SUMS} gives another hash for {path}"),
                );
            }
        }
        for path in expected {
            if !listed.contains_key(path) {
                self.report
                    .problem("malformed", format!("{SUMS} does not list {path}"));
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
                    "custody_malformed",
                    format!("custody line {} is malformed", n + 1),
                );
                return;
            };
            let Ok(body) = serde_json::from_str::<CustodyBody>(&line.body) else {
                self.report.problem(
                    "custody_malformed",
                    format!("custody entry {} is malformed", line.seq),
                );
                return;
            };
            if body.seq != line.seq || body.device != manifest.device.key_id {
                self.report.problem(
                    "custody_malformed",
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
                    "custody_bad_signature",
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
                        "custody_malformed",
                        format!("custody entry {} is out of order", body.seq),
                    );
                } else if body.seq == p + 1 && body.prev != hex::encode(hash) {
                    self.report.problem(
                        "custody_broken_link",
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
                    "custody_missing",
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
                        "custody_missing",
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

fn damage_detail(e: &io::Error) -> String {
    if payload::is_damage(e) {
        "the bundle is damaged or was altered after it was sealed (the encryption's integrity check failed), or it is cut short; nothing after that point was read".to_owned()
    } else {
        format!("the archive cannot be read: {}", e.kind())
    }
}
