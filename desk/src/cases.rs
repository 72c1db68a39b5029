//! The received cases in the desk's store: the inbox, a case read whole,
//! its triage, its evidence, and its export to a folder (a deliberate act,
//! recorded in the desk's custody log).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};
use temoin_bundle::{
    copy_member, read_plain, Manifest, ReadOptions, Report, MANIFEST, MAX_MANIFEST_BYTES,
};
use temoin_crypto::sign::DevicePublicKey;
use temoin_vault::desk_records::{Received, Triage, TriageState};
use temoin_vault::{ItemId, Kind, OriginalUse, VaultError};

use crate::error::DeskError;
use crate::store::{store_error, Desk};

/// One row of the inbox: a received case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseRow {
    /// The desk's id of the case.
    pub id: ItemId,
    /// The defender's id of the case.
    pub case_id: ItemId,
    /// Its title.
    pub title: String,
    /// Its country (ISO 3166-1 alpha-2), if given.
    pub country: Option<String>,
    /// Whether the defender marked it urgent.
    pub urgent: bool,
    /// The codes of its violations.
    pub violations: Vec<String>,
    /// Its latest version is an urgent case's text: the evidence files
    /// follow.
    pub files_follow: bool,
    /// Where the desk's work on it stands.
    pub state: TriageState,
    /// When its latest version was opened.
    pub received_at: String,
    /// The device that sent it.
    pub device_key_id: String,
    /// That device's label at the desk.
    pub device_label: Option<String>,
    /// How many versions arrived.
    pub versions: usize,
}

impl CaseRow {
    fn new(id: ItemId, t: &Triage) -> CaseRow {
        CaseRow {
            id,
            case_id: t.case,
            title: t.summary.title.clone(),
            country: t.summary.country.clone(),
            urgent: t.summary.urgent,
            violations: t.summary.violations.clone(),
            files_follow: t.summary.files_follow,
            state: t.state,
            received_at: t.received_at.clone(),
            device_key_id: t.device_key_id.clone(),
            device_label: t.device_label.clone(),
            versions: t.bundles.len(),
        }
    }
}

/// One change of a case's triage state.
#[derive(Clone, Debug, Serialize)]
pub struct TriageChange {
    /// The state it went to.
    pub state: TriageState,
    /// Why, in the officer's words (or the desk's, for a new version).
    pub note: Option<String>,
    /// The revision of the row.
    pub revision: u32,
}

/// One version of a case, as received.
#[derive(Clone, Debug, Serialize)]
pub struct Version {
    /// The desk's id of the received bundle.
    pub id: ItemId,
    /// What the desk recorded of it.
    pub received: Received,
}

/// How an item differs from the version before.
#[derive(Clone, Debug, Serialize)]
pub struct ItemChange {
    /// The item's id (the sender's).
    pub id: ItemId,
    /// Its kind.
    pub kind: String,
    /// `added`, `changed` or `removed`.
    pub change: &'static str,
}

/// A received case read whole.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    /// Its row in the inbox.
    pub row: CaseRow,
    /// Its triage, oldest first.
    pub history: Vec<TriageChange>,
    /// The versions received, oldest first.
    pub versions: Vec<Version>,
    /// The latest version's signed manifest: every record the defender
    /// sent (the case, people and their roles, testimonies, consents,
    /// violations, places, perpetrators, follow-up), its files with their
    /// hashes, and what was withheld and why.
    pub manifest: Manifest,
    /// What changed since the version before, if there is one.
    pub changed: Vec<ItemChange>,
    /// The messages with the device about it, oldest first.
    pub messages: Vec<crate::DeskMessage>,
}

fn not_found(id: ItemId) -> DeskError {
    DeskError::Local(format!(
        "the desk has no received case {id}: see `desk cases`"
    ))
}

impl Desk {
    /// Every received case, urgent first, then the most recently received.
    pub fn cases(&self) -> Result<Vec<CaseRow>, DeskError> {
        let store = self.vault_ref();
        let mut rows = Vec::new();
        for id in store.list(Kind::Triage) {
            if let Some(t) = store.get::<Triage>(id).map_err(store_error)? {
                rows.push(CaseRow::new(id, &t.record));
            }
        }
        rows.sort_by(|a, b| {
            b.urgent
                .cmp(&a.urgent)
                .then_with(|| b.received_at.cmp(&a.received_at))
                .then_with(|| a.id.to_string().cmp(&b.id.to_string()))
        });
        Ok(rows)
    }

    /// The received cases whose text (title, country, violations, device
    /// label, triage note) matches `query`.
    pub fn search_cases(&self, query: &str) -> Result<Vec<CaseRow>, DeskError> {
        let hits: std::collections::BTreeSet<ItemId> = self
            .vault_ref()
            .search(query, 10_000)
            .into_iter()
            .map(|h| h.id)
            .collect();
        Ok(self
            .cases()?
            .into_iter()
            .filter(|r| hits.contains(&r.id))
            .collect())
    }

    pub(crate) fn triage_row(&self, id: ItemId) -> Result<Triage, DeskError> {
        match self.vault_ref().get::<Triage>(id) {
            Ok(Some(t)) => Ok(t.record),
            Ok(None) | Err(VaultError::WrongKind { .. }) => Err(not_found(id)),
            Err(e) => Err(store_error(e)),
        }
    }

    /// A received case read whole: its versions, its triage, and every
    /// record of its latest version.
    pub fn case(&self, id: ItemId) -> Result<CaseView, DeskError> {
        let row = self.triage_row(id)?;
        let store = self.vault_ref();
        let history = store
            .history::<Triage>(id)
            .map_err(store_error)?
            .into_iter()
            .map(|s| TriageChange {
                state: s.record.state,
                note: s.record.note,
                revision: s.revision,
            })
            .collect();
        let mut versions = Vec::new();
        for b in &row.bundles {
            let r = store.require::<Received>(*b).map_err(store_error)?;
            versions.push(Version {
                id: *b,
                received: r.record,
            });
        }
        let latest = versions.last().ok_or_else(|| not_found(id))?;
        let manifest = self.manifest_of(latest.id, &latest.received)?;
        // Against the version before, or, past the text of an urgent case
        // (the same records, without files), the whole version before it.
        let earlier = &versions[..versions.len() - 1];
        let before = earlier
            .iter()
            .rev()
            .find(|v| !v.received.summary.files_follow)
            .or(earlier.last());
        let changed = match before {
            Some(before) => diff(&self.manifest_of(before.id, &before.received)?, &manifest),
            None => Vec::new(),
        };
        Ok(CaseView {
            row: CaseRow::new(id, &row),
            history,
            versions,
            manifest,
            changed,
            messages: self.messages(id)?,
        })
    }

    /// The signed manifest of a received bundle, read from the store and
    /// checked against the hash recorded when it was accepted.
    fn manifest_of(&self, id: ItemId, r: &Received) -> Result<Manifest, DeskError> {
        let mut bytes = Vec::new();
        self.archive(id, r, false, |archive| {
            copy_member(
                archive,
                MANIFEST,
                (&mut bytes).take_limit(MAX_MANIFEST_BYTES),
            )
        })?
        .0
        .map_err(|_| damaged(id))?;
        if hex::encode(Sha256::digest(&bytes)) != r.manifest_sha256 {
            return Err(damaged(id));
        }
        serde_json::from_slice(&bytes).map_err(|_| damaged(id))
    }

    /// Runs `read` on the archive of received bundle `id` as it is read
    /// from the store: decrypted with OMCT's keys when the bundle is kept
    /// as it arrived, else with the store's own (an earlier version's
    /// import). With `whole`, the rest of it is read after `read` returns,
    /// and the second value says whether all of it was intact and matched
    /// the hash recorded when it was accepted. Nothing is written anywhere.
    fn archive<T>(
        &self,
        id: ItemId,
        r: &Received,
        whole: bool,
        read: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<(T, bool), DeskError> {
        let mut stored = self
            .vault_ref()
            .payload_reader::<Received>(id)
            .map_err(store_error)?;
        let (out, mut intact) = if r.as_arrived {
            let identities = self.identities()?;
            let mut plain =
                temoin_bundle::decrypt_bundle(&mut stored, &identities).map_err(|_| damaged(id))?;
            let out = read(&mut plain);
            // The age stream's last chunk is authenticated at its end.
            (out, !whole || io::copy(&mut plain, &mut io::sink()).is_ok())
        } else {
            (read(&mut stored), true)
        };
        if whole {
            intact =
                intact && io::copy(&mut stored, &mut io::sink()).is_ok() && stored.finish().is_ok();
        }
        Ok((out, intact))
    }

    /// A received case's latest version: the bundle's id in the store, what
    /// the desk recorded of it, and its signed manifest.
    pub(crate) fn latest(&self, id: ItemId) -> Result<(ItemId, Received, Manifest), DeskError> {
        let row = self.triage_row(id)?;
        let rid = *row.bundles.last().ok_or_else(|| not_found(id))?;
        let received = self
            .vault_ref()
            .require::<Received>(rid)
            .map_err(store_error)?
            .record;
        let manifest = self.manifest_of(rid, &received)?;
        Ok((rid, received, manifest))
    }

    /// Moves a case to another triage state, recorded as a new revision of
    /// its row and in the custody log.
    pub fn triage(
        &mut self,
        id: ItemId,
        state: TriageState,
        note: Option<String>,
    ) -> Result<CaseRow, DeskError> {
        let mut row = self.triage_row(id)?;
        if !row.state.may_become(state) {
            return Err(DeskError::Local(format!(
                "a case that is {} cannot become {} (the order is new, in_review, then accepted, declined or needs_information, then closed)",
                row.state.code(),
                state.code()
            )));
        }
        row.state = state;
        row.note = note.filter(|n| !n.trim().is_empty());
        self.vault().update(id, &row).map_err(|e| match e {
            VaultError::Invalid(f) => DeskError::Local(format!("the note: {f}")),
            e => store_error(e),
        })?;
        Ok(CaseRow::new(id, &row))
    }

    /// Writes the file at `path` of a received case's latest version (an
    /// evidence file, say) into `out`, checked against the signed manifest,
    /// and records the view in the custody log. Nothing is written to disk
    /// by the desk: `out` is the caller's (a window's memory, a pipe). The
    /// bytes stream into `out` before the hash can be checked: on an error,
    /// discard what it received.
    pub fn read_file<W: Write>(
        &mut self,
        id: ItemId,
        path: &str,
        out: W,
    ) -> Result<u64, DeskError> {
        self.read_file_for(id, path, out, OriginalUse::View)
    }

    /// [`Desk::read_file`], recorded in custody as `use_` (a view, or an
    /// export when the caller writes the bytes to a file).
    pub(crate) fn read_file_for<W: Write>(
        &mut self,
        id: ItemId,
        path: &str,
        out: W,
        use_: OriginalUse,
    ) -> Result<u64, DeskError> {
        let (rid, received, manifest) = self.latest(id)?;
        let entry = manifest
            .files
            .iter()
            .find(|f| f.path == path)
            .ok_or_else(|| DeskError::Local(format!("the case has no file {path}")))?
            .clone();
        let mut hashing = HashingWriter {
            inner: out,
            hasher: Sha256::new(),
        };
        let size = self
            .archive(rid, &received, false, |archive| {
                copy_member(archive, path, &mut hashing)
            })?
            .0
            .map_err(|_| damaged(rid))?;
        if size != Some(entry.size) || hex::encode(hashing.hasher.finalize()) != entry.sha256 {
            return Err(DeskError::Local(format!(
                "{path} in the desk's store does not match its signed hash: the store is damaged; restore it from a backup"
            )));
        }
        self.vault()
            .record_payload_use(rid, Kind::Received, &entry.sha256, use_)
            .map_err(store_error)?;
        Ok(entry.size)
    }

    /// Verifies a received case's latest version again from the store, as
    /// it was verified when it arrived: the signature with the key of the
    /// device that sent it, every file's hash, the sender's custody
    /// entries. Nothing is written anywhere; the store's payload is also
    /// checked whole against the hash recorded when it was sealed.
    pub fn verify_case(&self, id: ItemId) -> Result<Report, DeskError> {
        let (rid, _, report, intact) = self.read_again(id, None)?;
        if !intact {
            return Err(damaged(rid));
        }
        Ok(report)
    }

    /// Verifies case `id`'s latest version again from the store, with the
    /// key of the device that sent it, unpacking it into `out` when given.
    /// Returns the bundle's id and record in the store, the report, and whether the
    /// stored payload was whole and matched its record.
    fn read_again(
        &self,
        id: ItemId,
        out: Option<&Path>,
    ) -> Result<(ItemId, Received, Report, bool), DeskError> {
        let (rid, received, manifest) = self.latest(id)?;
        let key = DevicePublicKey::from_minisign(&manifest.device.public_key)
            .ok()
            .filter(|k| k.id_hex() == received.device_key_id)
            .ok_or_else(|| damaged(rid))?;
        let identities = self.identities()?;
        let (report, intact) = self.archive(rid, &received, true, |archive| {
            read_plain(
                archive,
                &identities,
                &ReadOptions {
                    trusted_devices: std::slice::from_ref(&key),
                    out_dir: out,
                },
            )
        })?;
        Ok((rid, received, report, intact))
    }

    /// Writes a received case's latest version to the folder `out` (new or
    /// empty) as the bundle's own files (manifest, signature, `SHA256SUMS`,
    /// evidence, the sender's custody entries, README) with
    /// `verification.json`, verified again on the way, so that `minisign`
    /// and `sha256sum` check it with no Témoin at hand. Decrypted material
    /// leaves the store only this way, and the export is recorded in the
    /// desk's custody log.
    pub fn export_case(&mut self, id: ItemId, out: &Path) -> Result<Report, DeskError> {
        let fresh = match std::fs::read_dir(out) {
            Ok(mut d) => d.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e.into()),
        };
        if !fresh {
            return Err(DeskError::Local(format!(
                "{} is not empty: export into a new folder",
                out.display()
            )));
        }
        crate::file::private_dir(out)?;
        let (rid, received, report, intact) = match self.read_again(id, Some(out)) {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_dir_all(out);
                return Err(e);
            }
        };
        if !intact || !report.genuine() {
            let _ = std::fs::remove_dir_all(out);
            return Err(DeskError::Local(
                "the case in the desk's store no longer verifies (it is damaged); nothing was exported: restore the store from a backup".into(),
            ));
        }
        let text =
            serde_json::to_vec_pretty(&report).map_err(|e| DeskError::Local(e.to_string()))?;
        let path = out.join("verification.json");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::File::open(out)?.sync_all()?;
        self.vault()
            .record_payload_use(rid, Kind::Received, &received.sha256, OriginalUse::Export)
            .map_err(store_error)?;
        Ok(report)
    }
}

impl Desk {
    /// Every received case's latest version, as the statistics count it
    /// ([`temoin_vault::stats::cells`]): its case record, people, consents
    /// and violations as the defender sent them. A record that does not
    /// read as the model's is left out.
    pub fn stats_records(&self) -> Result<Vec<temoin_vault::stats::CaseRecords>, DeskError> {
        let mut out = Vec::new();
        for row in self.cases()? {
            let (_, _, m) = self.latest(row.id)?;
            out.push(crate::figures::records_of(&m));
        }
        Ok(out)
    }
}

fn damaged(id: ItemId) -> DeskError {
    DeskError::Local(format!(
        "received bundle {id} in the desk's store is damaged: restore the store from a backup"
    ))
}

/// The items added, changed or removed between two versions of a case.
fn diff(before: &Manifest, after: &Manifest) -> Vec<ItemChange> {
    let old: BTreeMap<ItemId, &temoin_bundle::ItemRecord> =
        before.items.iter().map(|i| (i.id, i)).collect();
    let new: BTreeMap<ItemId, &temoin_bundle::ItemRecord> =
        after.items.iter().map(|i| (i.id, i)).collect();
    let mut out = Vec::new();
    for (id, i) in &new {
        match old.get(id) {
            None => out.push(ItemChange {
                id: *id,
                kind: i.kind.clone(),
                change: "added",
            }),
            Some(o) if o.record != i.record || o.revision != i.revision => out.push(ItemChange {
                id: *id,
                kind: i.kind.clone(),
                change: "changed",
            }),
            Some(_) => {}
        }
    }
    for (id, o) in &old {
        if !new.contains_key(id) {
            out.push(ItemChange {
                id: *id,
                kind: o.kind.clone(),
                change: "removed",
            });
        }
    }
    out
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A writer that refuses more than a limit (a manifest is bounded).
trait TakeLimit: Sized {
    fn take_limit(self, limit: u64) -> Limited<Self>;
}

impl<W: Write> TakeLimit for W {
    fn take_limit(self, limit: u64) -> Limited<W> {
        Limited {
            inner: self,
            left: limit,
        }
    }
}

struct Limited<W> {
    inner: W,
    left: u64,
}

impl<W: Write> Write for Limited<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(std::io::Error::other("larger than a bundle allows"));
        }
        let n = self.inner.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
