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
