//! Entry points for the fuzz targets in `fuzz/`: every parser of bytes that
//! come from disk. Not part of the API; each returns whether the input
//! parsed, and must never panic or allocate without bound.

use crate::record::Kind;

/// The key-slot file.
pub fn keyslots(bytes: &[u8]) -> bool {
    crate::keyslot::SlotFile::parse(bytes).is_ok()
}

/// A decrypted custody entry.
pub fn custody_entry(bytes: &[u8]) -> bool {
    crate::custody::CustodyEntry::decode(bytes).is_some()
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

/// An image's capture metadata and its metadata stripping (the bytes of an
/// evidence file, as received from anyone).
pub fn media(bytes: &[u8]) -> bool {
    let _ = crate::capture::read(bytes);
    crate::redact::strip(bytes).is_ok()
}

/// The basic facts of audio, video and PDF files (as received from anyone).
pub fn av(bytes: &[u8]) -> bool {
    let facts = crate::media::read_av(std::io::Cursor::new(bytes), bytes.len() as u64);
    let pdf = crate::media::read_pdf(bytes);
    facts.problem.is_none() || pdf.problem.is_none()
}

/// The archive inside a bundle, as a desk or litigator reads it after
/// decryption (the age layer is the age crate's, fuzzed upstream).
pub fn bundle(bytes: &[u8]) -> bool {
    let identity = crate::bundle::PayloadIdentity::generate();
    crate::bundle::read_plain(
        bytes,
        std::slice::from_ref(&identity),
        &crate::bundle::ReadOptions::default(),
    )
    .intact()
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
