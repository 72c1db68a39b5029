//! Entry points for the fuzz targets in `fuzz/`: every parser of bytes that
//! come from disk. Not part of the API; each returns whether the input
//! parsed, and must never panic or allocate without bound.

use crate::record::Kind;

/// The key-slot file.
pub fn keyslots(bytes: &[u8]) -> bool {
    crate::keyslot::SlotFile::parse(bytes).is_ok()
}

/// A decrypted index snapshot.
pub fn snapshot(bytes: &[u8]) -> bool {
    crate::snapshot::decode(bytes).is_some()
}

/// A decrypted record of each kind.
pub fn record(bytes: &[u8]) -> usize {
    let mut text = String::new();
    Kind::ALL
        .into_iter()
        .filter(|k| crate::vault::decode_check(*k, bytes, &mut text))
        .count()
}

/// A decrypted backup stream, restored into a fresh folder that is removed
/// afterwards (a backup file can come from anywhere a person kept it).
pub fn backup(bytes: &[u8]) -> bool {
    let mut name = [0u8; 8];
    temoin_crypto::random_bytes(&mut name);
    let dir = std::env::temp_dir().join(format!("temoin-fuzz-restore-{}", hex::encode(name)));
    let ok = crate::backup::restore(bytes, &dir).is_ok();
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

/// The newest slot table of the key-slot file in `dir`, as JSON: for tests
/// that read the file as an examiner would.
pub fn slot_table(dir: &std::path::Path) -> serde_json::Value {
    crate::keyslot::SlotFile::read(dir)
        .ok()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// Writes `table` as the key-slot file's table (both copies, with their
/// checksums), unchecked: for tests that edit the file as someone with the
/// disk could.
pub fn write_slot_table(dir: &std::path::Path, table: &serde_json::Value) -> bool {
    crate::keyslot::write_table(dir, &table.to_string()).is_ok()
}
