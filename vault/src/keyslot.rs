//! The key-slot file (`keyslots.json`): the vault's id and its unlock slots.
//!
//! It holds no secret in the clear: each slot is the vault key wrapped under a
//! key derived from something a person has (today a passphrase), with the
//! KDF parameters needed to derive it. More kinds of slot (duress, recovery)
//! are added as new `kind` values; readers skip kinds they do not know and
//! keep them when rewriting, so adding one needs no migration.
//!
//! The file never moves and never grows: it is [`FILE_LEN`] bytes holding
//! two copies of the slot table, each in its own fixed half, each with a
//! generation number and the SHA-256 of its table. A change writes the new
//! table over the older copy in place and syncs, then over the other copy
//! and syncs: a crash leaves at least one whole copy (the reader takes the
//! newest whole one), and once both writes are done no earlier version of
//! any slot is left in the file or, on a file system that writes in place,
//! in the blocks it used. (A new file renamed over the old one, as earlier
//! versions did, leaves every earlier version of the wrapped vault key in
//! freed blocks, for an examiner to carve.) The whole file is still one
//! JSON document, `[copy, copy]` padded with spaces, for people reading it.
//! A file of the earlier format (one JSON table) is read, and rewritten in
//! the new format in place at the next change.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use temoin_crypto::kdf::{self, KdfParams, SALT_LEN};
use temoin_crypto::key::VaultKey;
use temoin_crypto::seal::Aad;
use temoin_crypto::Passphrase;

use crate::error::OpenError;
use crate::file::sync_dir;

pub(crate) const FILE: &str = "keyslots.json";
pub(crate) const FORMAT: &str = "temoin-vault";
pub(crate) const VERSION: u32 = 1;
/// The key-slot file of the earlier format is tiny; anything bigger is not
/// ours.
const MAX_FILE: u64 = 1024 * 1024;
/// The room of each copy of the slot table.
const COPY: usize = 32 * 1024;
/// The key-slot file's length: two copies.
pub(crate) const FILE_LEN: u64 = 2 * COPY as u64;

/// One copy of the slot table, as it lies in its half of the file.
#[derive(Serialize, Deserialize)]
struct Copy<'a> {
    generation: u64,
    sha256: String,
    #[serde(borrow)]
    table: &'a serde_json::value::RawValue,
}

pub(crate) const PASSPHRASE: &str = "passphrase";

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct SlotFile {
    pub format: String,
    pub version: u32,
    #[serde(with = "hex_16")]
    pub vault_id: [u8; 16],
    pub slots: Vec<Slot>,
    /// Wrong passphrases in a row after which the vault wipes itself, if
    /// the person chose a limit (`crate::attempts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_limit: Option<u32>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct Slot {
    #[serde(with = "hex_16")]
    pub id: [u8; 16],
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfSpec>,
    pub wrapped_key: String,
    /// Fields of slot kinds this version does not know, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct KdfSpec {
    pub algorithm: String,
    #[serde(flatten)]
    pub params: KdfParams,
    pub salt: String,
}

mod hex_16 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(s).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("expected 16 bytes"))
    }
}

/// Writes a slot table's text over the older copy in place, syncs, then
/// over the other copy, and syncs (see the module's documentation).
pub(crate) fn write_table(dir: &Path, table: &str) -> Result<(), OpenError> {
    use std::io::{Seek, SeekFrom};
    // A wipe has begun: the slots it destroyed must not come back from a
    // change that was still deriving its key.
    if dir.join(crate::wipe::MARKER).exists() {
        return Err(OpenError::NotRecordable("the vault is being wiped".into()));
    }
    let path = dir.join(FILE);
    let current = std::fs::read(&path).ok();
    let newest = current.as_deref().and_then(newest_copy);
    let generation = newest
        .map_or(Some(1), |(g, _, _)| g.checked_add(1))
        .ok_or_else(|| damaged("has a generation number at its end"))?;
    // A file of the earlier format too long to lie in the first half is
    // replaced once the old way (it was written that way); from then on,
    // in place.
    if newest.is_none() && current.as_ref().is_some_and(|c| c.len() + 1 > COPY) {
        let tmp = dir.join(format!("{FILE}.{}.tmp", hex::encode(kdf::new_salt())));
        let copy = copy_text(generation, table)?;
        let mut bytes = half(&copy, 0);
        bytes.extend(half(&copy, 1));
        let result = (|| -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return Ok(result?);
    }
    let copy = copy_text(generation, table)?;
    // The older copy first (or the second half, over a file of the
    // earlier format, which lies at the start of the first).
    let first = match newest {
        Some((_, 1, _)) => 0,
        _ => 1,
    };
    let existed = current.is_some();
    let mut options = std::fs::OpenOptions::new();
    // Created only for a new vault: a file that went away (a wipe) is
    // never made again here.
    options.write(true).create(!existed).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&path)?;
    for which in [first, 1 - first] {
        f.seek(SeekFrom::Start((which * COPY) as u64))?;
        f.write_all(&half(&copy, which))?;
        f.sync_all()?;
    }
    drop(f);
    if !existed {
        sync_dir(dir)?;
    }
    Ok(())
}

/// The generation of the newest copy in the key-slot file in `dir` (0 for
/// a file of the earlier format or none).
pub(crate) fn generation(dir: &Path) -> u64 {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| newest_copy(&b).map(|(g, _, _)| g))
        .unwrap_or(0)
}

/// After an unlock: if the two copies differ (a change cut short by a
/// crash between its two writes) or one is torn, writes the newest table
/// over both, so that no earlier version of a slot (an old passphrase's
/// wrapped key) stays in the file until the next change.
pub(crate) fn settle(dir: &Path) -> Result<(), OpenError> {
    let Ok(bytes) = std::fs::read(dir.join(FILE)) else {
        return Ok(());
    };
    let Some((_, _, table)) = newest_copy(&bytes) else {
        return Ok(());
    };
    let (a, b) = bytes.split_at(COPY);
    // Both halves whole and the same table: nothing to do.
    if a[1..COPY - 1] == b[..COPY - 2] && newest_copy(&bytes).is_some() && whole(a, b) {
        return Ok(());
    }
    let table = String::from_utf8(table.to_vec()).map_err(|_| damaged("is malformed"))?;
    write_table(dir, &table)
}

/// Whether both halves have their frame (`[`..`,` and ..`]\n`).
fn whole(a: &[u8], b: &[u8]) -> bool {
    a.first() == Some(&b'[') && a.last() == Some(&b',') && b.ends_with(b"]\n")
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One copy of a table as it is written: generation, checksum, table.
fn copy_text(generation: u64, table: &str) -> Result<String, OpenError> {
    let sha256 = sha256_hex(table.as_bytes());
    let copy = format!(r#"{{"generation":{generation},"sha256":"{sha256}","table":{table}}}"#);
    if copy.len() + 2 > COPY {
        return Err(damaged("would hold more slots than it has room for"));
    }
    Ok(copy)
}

/// Half `which` (0 or 1) of the file, holding `copy`.
fn half(copy: &str, which: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(COPY);
    if which == 0 {
        out.push(b'[');
    }
    out.extend_from_slice(copy.as_bytes());
    let tail: &[u8] = if which == 0 { b"," } else { b"]\n" };
    out.resize(COPY - tail.len(), b' ');
    out.extend_from_slice(tail);
    out
}

/// The newest whole copy in a file of the two-copy format: its
/// generation, its half (0 or 1) and its table's bytes.
fn newest_copy(bytes: &[u8]) -> Option<(u64, usize, &[u8])> {
    if bytes.len() as u64 != FILE_LEN {
        return None;
    }
    let mut best: Option<(u64, usize, &[u8])> = None;
    for which in 0..2 {
        let half = &bytes[which * COPY..(which + 1) * COPY];
        let inner = if which == 0 {
            half.strip_prefix(b"[").and_then(|h| h.strip_suffix(b","))
        } else {
            half.strip_suffix(b"]\n")
        };
        let Some(inner) = inner else { continue };
        let end = inner.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
        let Ok(copy) = serde_json::from_slice::<Copy<'_>>(&inner[..end]) else {
            continue;
        };
        let table = copy.table.get().as_bytes();
        if sha256_hex(table) != copy.sha256 {
            continue;
        }
        if best.is_none_or(|(g, _, _)| copy.generation > g) {
            // The table's bytes, found again in the file's own bytes (the
            // raw value borrows from them).
            let start = table.as_ptr() as usize - bytes.as_ptr() as usize;
            best = Some((copy.generation, which, &bytes[start..start + table.len()]));
        }
    }
    best
}

fn damaged(what: &str) -> OpenError {
    OpenError::Damaged {
        what: format!("the key-slot file {what}"),
    }
}

impl SlotFile {
    pub(crate) fn read(dir: &Path) -> Result<SlotFile, OpenError> {
        let path = dir.join(FILE);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::NotAVault(dir.to_owned()))
            }
            Err(e) => return Err(e.into()),
        };
        if meta.len() > MAX_FILE {
            return Err(damaged("is too large"));
        }
        let bytes = std::fs::read(&path)?;
        Self::parse(&bytes)
    }

    /// Parses the file's bytes: the newest whole copy of the two, or a file
    /// of the earlier format.
    pub(crate) fn parse(bytes: &[u8]) -> Result<SlotFile, OpenError> {
        match newest_copy(bytes) {
            Some((_, _, table)) => Self::parse_table(table),
            None if bytes.first() == Some(&b'{') => {
                // The earlier format: one table. The first JSON value only:
                // a change to the new format cut short leaves the second
                // copy written after it.
                let mut values = serde_json::Deserializer::from_slice(bytes)
                    .into_iter::<&serde_json::value::RawValue>();
                match values.next() {
                    Some(Ok(table)) => Self::parse_table(table.get().as_bytes()),
                    _ => Err(damaged("is malformed")),
                }
            }
            None => Err(damaged("is malformed")),
        }
    }

    /// Parses and checks one slot table (format, version, costs).
    fn parse_table(bytes: &[u8]) -> Result<SlotFile, OpenError> {
        let file: SlotFile = serde_json::from_slice(bytes).map_err(|_| damaged("is malformed"))?;
        if file.format != FORMAT {
            return Err(damaged("is not a Témoin key-slot file"));
        }
        if file.version > VERSION {
            return Err(OpenError::TooNew(file.version));
        }
        // Every passphrase slot (the real one, the dummy, a duress slot)
        // has one cost, and nothing in the file is authenticated but each
        // slot's own cost (a changed one derives another key): a slot whose
        // cost differs from the others was edited, for example so that the
        // next passphrase change copies a cheaper cost.
        let mut costs = file
            .slots
            .iter()
            .filter(|s| s.kind == PASSPHRASE)
            .filter_map(|s| s.kdf.as_ref().map(|k| k.params));
        if let Some(first) = costs.next() {
            if costs.any(|c| c != first) {
                return Err(damaged("has passphrase slots of different costs"));
            }
        }
        Ok(file)
    }

    /// Writes the table over the older copy in place, syncs, then over the
    /// other copy, and syncs (see the module's documentation).
    pub(crate) fn write(&self, dir: &Path) -> Result<(), OpenError> {
        let table = serde_json::to_string(self).map_err(|_| damaged("could not be encoded"))?;
        write_table(dir, &table)
    }

    /// The bytes of a key-slot file holding this table alone (both copies,
    /// at `generation`), as a settled file of a vault would be.
    pub(crate) fn file_bytes(&self, generation: u64) -> Result<Vec<u8>, OpenError> {
        let table = serde_json::to_string(self).map_err(|_| damaged("could not be encoded"))?;
        let copy = copy_text(generation.max(1), &table)?;
        let mut out = half(&copy, 0);
        out.extend(half(&copy, 1));
        Ok(out)
    }

    pub(crate) fn slot_aad<'a>(&self, slot: &'a Slot) -> Aad<'a> {
        Aad::Slot {
            vault_id: self.vault_id,
            slot_id: slot.id,
            kind: &slot.kind,
        }
    }

    /// Tries every passphrase slot and returns the vault key the first one
    /// that opens wraps, with that slot's index.
    ///
    /// Every slot's parameters are checked before any derivation, so a
    /// tampered slot cannot make us run a weak or absurd derivation. The
    /// passphrase is then derived once for each distinct (salt, parameters)
    /// among the slots, always all of them, whichever slot opens: the time
    /// an unlock takes does not say which slot opened, or whether one did.
    /// (Slots made by this version share one salt and one set of
    /// parameters, so that is one derivation.)
    pub(crate) fn unlock(&self, passphrase: &Passphrase) -> Result<(VaultKey, usize), OpenError> {
        self.unlock_all(passphrase)?
            .into_iter()
            .next()
            .ok_or(OpenError::WrongPassphrase)
    }

    /// Every passphrase slot `passphrase` opens, in order, with the same
    /// derivations as [`SlotFile::unlock`] (one per salt and cost, every
    /// slot tried).
    pub(crate) fn unlock_all(
        &self,
        passphrase: &Passphrase,
    ) -> Result<Vec<(VaultKey, usize)>, OpenError> {
        let mut checked = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.kind != PASSPHRASE {
                continue;
            }
            let spec = slot
                .kdf
                .as_ref()
                .ok_or_else(|| damaged("has a slot without KDF"))?;
            if spec.algorithm != "argon2id" {
                return Err(damaged("names an unknown KDF"));
            }
            spec.params.check()?;
            let salt = hex::decode(&spec.salt).map_err(|_| damaged("has a malformed salt"))?;
            if salt.len() != SALT_LEN {
                return Err(damaged("has a malformed salt"));
            }
            let wrapped = B64
                .decode(&slot.wrapped_key)
                .map_err(|_| damaged("has a malformed key"))?;
            checked.push((i, salt, spec.params, wrapped));
        }
        if checked.is_empty() {
            return Err(damaged("has no passphrase slot"));
        }
        let mut keks: Vec<(Vec<u8>, KdfParams, kdf::KeyEncryptionKey)> = Vec::new();
        for (_, salt, params, _) in &checked {
            if !keks.iter().any(|(s, p, _)| s == salt && p == params) {
                keks.push((
                    salt.clone(),
                    *params,
                    kdf::derive(passphrase, salt, *params)?,
                ));
            }
        }
        let mut found = Vec::new();
        for (i, salt, params, wrapped) in &checked {
            let Some((_, _, kek)) = keks.iter().find(|(s, p, _)| s == salt && p == params) else {
                continue;
            };
            // Every slot is tried, as the derivations were.
            if let Ok(key) = VaultKey::unwrap(kek, &self.slot_aad(&self.slots[*i]), wrapped) {
                found.push((key, *i));
            }
        }
        Ok(found)
    }

    pub(crate) fn dummy_slot(salt: &[u8], params: KdfParams) -> Slot {
        let mut id = [0u8; 16];
        temoin_crypto::random_bytes(&mut id);
        let mut noise = [0u8; 72];
        temoin_crypto::random_bytes(&mut noise);
        Self::dummy_slot_with(id, &noise, salt, params)
    }

    /// A dummy slot of the given id and noise (which must look random).
    pub(crate) fn dummy_slot_with(
        id: [u8; 16],
        noise: &[u8; 72],
        salt: &[u8],
        params: KdfParams,
    ) -> Slot {
        Slot {
            id,
            kind: PASSPHRASE.to_owned(),
            kdf: Some(KdfSpec {
                algorithm: "argon2id".into(),
                params,
                salt: hex::encode(salt),
            }),
            wrapped_key: B64.encode(noise),
            extra: BTreeMap::new(),
        }
    }

    /// A passphrase slot wrapping `key`, with the given salt (the vault's
    /// shared one: see [`SlotFile::unlock`]).
    pub(crate) fn passphrase_slot_salted(
        &self,
        key: &VaultKey,
        passphrase: &Passphrase,
        params: KdfParams,
        salt: &[u8],
    ) -> Result<Slot, OpenError> {
        if passphrase.is_empty() {
            return Err(OpenError::EmptyPassphrase);
        }
        let kek = kdf::derive(passphrase, salt, params)?;
        let mut id = [0u8; 16];
        temoin_crypto::random_bytes(&mut id);
        let mut slot = Slot {
            id,
            kind: PASSPHRASE.to_owned(),
            kdf: Some(KdfSpec {
                algorithm: "argon2id".into(),
                params,
                salt: hex::encode(salt),
            }),
            wrapped_key: String::new(),
            extra: BTreeMap::new(),
        };
        slot.wrapped_key = B64.encode(key.wrap(&kek, &self.slot_aad(&slot)));
        Ok(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: u8, wrapped: &str) -> SlotFile {
        SlotFile {
            format: FORMAT.into(),
            version: VERSION,
            vault_id: [id; 16],
            slots: vec![Slot {
                id: [1; 16],
                kind: "other".into(),
                kdf: None,
                wrapped_key: wrapped.into(),
                extra: BTreeMap::new(),
            }],
            attempt_limit: None,
        }
    }

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn contains(hay: &[u8], needle: &str) -> bool {
        hay.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn a_change_leaves_one_fixed_size_file_with_no_earlier_version() {
        let dir = ok(tempfile::tempdir());
        ok(table(1, "FIRSTWRAPPEDKEY").write(dir.path()));
        let path = dir.path().join(FILE);
        let ino = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            ok(std::fs::metadata(p)).ino()
        };
        let before = ino(&path);
        ok(table(1, "SECONDWRAPPEDKEY").write(dir.path()));
        let bytes = ok(std::fs::read(&path));
        assert_eq!(bytes.len() as u64, FILE_LEN);
        assert_eq!(ino(&path), before, "written in place, not replaced");
        assert!(!contains(&bytes, "FIRSTWRAPPEDKEY"));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "SECONDWRAPPEDKEY"
        );
        // One JSON document, for people reading it.
        let doc: serde_json::Value = ok(serde_json::from_slice(&bytes));
        assert_eq!(doc.as_array().map(Vec::len), Some(2));
        // Only this file in the folder: no temporary file.
        assert_eq!(ok(std::fs::read_dir(dir.path())).count(), 1);
    }

    #[test]
    fn a_torn_write_leaves_the_other_copy() {
        let dir = ok(tempfile::tempdir());
        ok(table(1, "OLDKEY").write(dir.path()));
        ok(table(1, "NEWKEY").write(dir.path()));
        let path = dir.path().join(FILE);
        let good = ok(std::fs::read(&path));
        for half in 0..2 {
            // A crash in the middle of writing one half.
            let mut torn = good.clone();
            let at = half * COPY + 40;
            torn[at..at + 100].fill(0);
            ok(std::fs::write(&path, &torn));
            assert_eq!(
                ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
                "NEWKEY"
            );
        }
        // A changed byte in a table is caught by its checksum.
        let mut edited = good.clone();
        let i = ok(std::str::from_utf8(&edited))
            .find("NEWKEY")
            .unwrap_or_else(|| panic!("no key"));
        edited[i] = b'X';
        ok(std::fs::write(&path, &edited));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "NEWKEY"
        );
        // Both halves torn: damage, never a guess.
        let mut both = good;
        both[40..140].fill(0);
        both[COPY + 40..COPY + 140].fill(0);
        ok(std::fs::write(&path, &both));
        assert!(matches!(
            SlotFile::read(dir.path()),
            Err(OpenError::Damaged { .. })
        ));
    }

    /// A change cut short between its two writes: the halves hold two
    /// tables. The newer whole one is read; with the newer torn, the older;
    /// and the next unlock settles the file so the older is gone.
    #[test]
    fn a_change_cut_short_is_read_right_and_settled() {
        let dir = ok(tempfile::tempdir());
        ok(table(1, "OLDKEY").write(dir.path()));
        let path = dir.path().join(FILE);
        let old = ok(std::fs::read(&path));
        let new_table = ok(serde_json::to_string(&table(1, "NEWKEY")));
        // The new table written over the second half only (generation 2).
        let mut cut = old.clone();
        cut[COPY..].copy_from_slice(&half(&ok(copy_text(2, &new_table)), 1));
        ok(std::fs::write(&path, &cut));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "NEWKEY"
        );
        // The same with the new half torn: the old table, whole.
        let mut torn = cut.clone();
        torn[COPY + 10..COPY + 60].fill(0);
        ok(std::fs::write(&path, &torn));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "OLDKEY"
        );
        // Settled: both halves the new table, the old key gone.
        ok(std::fs::write(&path, &cut));
        ok(settle(dir.path()));
        let settled = ok(std::fs::read(&path));
        assert!(!contains(&settled, "OLDKEY"));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "NEWKEY"
        );
        // A settled file is left alone.
        ok(settle(dir.path()));
        assert_eq!(ok(std::fs::read(&path)), settled);
        // A planted generation at the end of the range is refused, not
        // wrapped round.
        let max = ok(copy_text(u64::MAX, &new_table));
        let mut planted = half(&max, 0);
        planted.extend(half(&max, 1));
        ok(std::fs::write(&path, &planted));
        assert!(table(1, "X").write(dir.path()).is_err());
    }

    #[test]
    fn a_file_of_the_earlier_format_is_read_and_rewritten_in_place() {
        let dir = ok(tempfile::tempdir());
        let path = dir.path().join(FILE);
        let legacy = ok(serde_json::to_vec_pretty(&table(1, "LEGACYKEY")));
        ok(std::fs::write(&path, &legacy));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "LEGACYKEY"
        );
        // A conversion cut short after the second half: the new table.
        let mut t = ok(SlotFile::read(dir.path()));
        t.slots[0].wrapped_key = "CONVERTEDKEY".into();
        ok(t.write(dir.path()));
        let full = ok(std::fs::read(&path));
        let mut cut = legacy.clone();
        cut.resize(COPY, 0);
        cut.extend_from_slice(&full[COPY..]);
        ok(std::fs::write(&path, &cut));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "CONVERTEDKEY"
        );
        // Cut short before: the earlier table, whole.
        let mut early = legacy;
        early.extend_from_slice(&full[COPY..COPY + 500]);
        ok(std::fs::write(&path, &early));
        assert_eq!(
            ok(SlotFile::read(dir.path())).slots[0].wrapped_key,
            "LEGACYKEY"
        );
        ok(std::fs::write(&path, &full));
        assert!(!contains(&full, "LEGACYKEY"));
    }
}
