//! The custody head: a small file outside sled that records the last
//! committed custody entry (its sequence number and hash).
//!
//! Why: when sled 0.34 finds a damaged message in its log at recovery, it
//! treats it as the torn end of the log and silently drops everything after
//! it. Measured here (`vault/tests/bad_input.rs`): of 24 single-byte flips
//! across a small vault's log, 21 opened with items silently missing. With
//! the head, the vault notices that sled came back with less than was
//! acknowledged, and fails closed instead of showing a vault with holes.
//!
//! The file holds two fixed-size slots, written alternately and each sealed
//! under the vault key with a counter, so that a torn write of one leaves the
//! other intact. It is written (and fdatasync'd) after sled's commit and
//! before the write is acknowledged, so it never runs ahead of sled; sled may
//! run one commit ahead of it after a crash, which is fine.
//!
//! Since the state record (`crate::rollback`) the head also carries that
//! record's counter, so that a store put back from an older copy shows even
//! when only settings changed since (no custody entry). Heads written before
//! hold no counter (48 bytes of plaintext instead of 56) and still open.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use temoin_crypto::key::VaultKey;
use temoin_crypto::seal::Aad;

use crate::error::VaultError;

pub(crate) const FILE: &str = "custody.head";
const NAME: &str = "custody-head";
const PLAIN_V1: usize = 8 + 8 + 32;
const PLAIN: usize = PLAIN_V1 + 8;
const SEALED: usize = PLAIN + temoin_crypto::seal::OVERHEAD;
const SLOT: u64 = 128;

/// The last committed custody entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: [u8; 32],
    /// The state record's counter when this head was written; `None` in a
    /// head written before there was one.
    pub record: Option<u64>,
}

pub(crate) struct HeadFile {
    file: File,
    counter: u64,
    /// A slot held bytes that did not open (a write torn by a crash, or
    /// tampering), as read at open.
    pub torn: bool,
}

impl std::fmt::Debug for HeadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeadFile({})", self.counter)
    }
}

fn aad(vault_id: [u8; 16]) -> Aad<'static> {
    Aad::Named {
        vault_id,
        name: NAME,
    }
}

impl HeadFile {
    pub(crate) fn create(dir: &Path) -> std::io::Result<HeadFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dir.join(FILE))?;
        Ok(HeadFile {
            file,
            counter: 0,
            torn: false,
        })
    }

    /// Opens the file and reads the newest valid slot. `Ok(None)` if neither
    /// slot opens (a missing or destroyed file is the caller's to judge).
    pub(crate) fn open(
        dir: &Path,
        key: &VaultKey,
        vault_id: [u8; 16],
    ) -> std::io::Result<(HeadFile, Option<Head>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(FILE))?;
        let mut bytes = Vec::new();
        Read::by_ref(&mut file)
            .take(2 * SLOT)
            .read_to_end(&mut bytes)?;
        let mut best: Option<(u64, Head)> = None;
        let mut torn = false;
        for slot in 0..2usize {
            let start = slot * SLOT as usize;
            let end = (start + SLOT as usize).min(bytes.len());
            let written = bytes
                .get(start..end)
                .is_some_and(|b| b.iter().any(|&x| x != 0));
            // The current layout, else the one before the state record.
            let plain = [SEALED, PLAIN_V1 + temoin_crypto::seal::OVERHEAD]
                .iter()
                .filter_map(|len| bytes.get(start..start + len))
                .find_map(|sealed| key.open(&aad(vault_id), sealed).ok());
            let Some(plain) = plain else {
                torn |= written;
                continue;
            };
            let record = match plain.len() {
                PLAIN_V1 => None,
                PLAIN => Some(u64::from_be_bytes(
                    plain[48..56].try_into().unwrap_or_default(),
                )),
                _ => continue,
            };
            let counter = u64::from_be_bytes(plain[..8].try_into().unwrap_or_default());
            let seq = u64::from_be_bytes(plain[8..16].try_into().unwrap_or_default());
            let mut hash = [0u8; 32];
            hash.copy_from_slice(&plain[16..48]);
            if best.is_none_or(|(c, _)| counter > c) {
                best = Some((counter, Head { seq, hash, record }));
            }
        }
        let counter = best.map(|(c, _)| c).unwrap_or(0);
        Ok((
            HeadFile {
                file,
                counter,
                torn,
            },
            best.map(|(_, h)| h),
        ))
    }

    /// Records a new head durably.
    pub(crate) fn write(
        &mut self,
        key: &VaultKey,
        vault_id: [u8; 16],
        head: Head,
    ) -> Result<(), VaultError> {
        let counter = self.counter + 1;
        let mut plain = [0u8; PLAIN];
        plain[..8].copy_from_slice(&counter.to_be_bytes());
        plain[8..16].copy_from_slice(&head.seq.to_be_bytes());
        plain[16..48].copy_from_slice(&head.hash);
        let len = match head.record {
            Some(record) => {
                plain[48..].copy_from_slice(&record.to_be_bytes());
                PLAIN
            }
            None => PLAIN_V1,
        };
        let sealed = key.seal(&aad(vault_id), &plain[..len]);
        debug_assert!(sealed.len() as u64 <= SLOT);
        let slot = counter % 2;
        self.file.seek(SeekFrom::Start(slot * SLOT))?;
        self.file.write_all(&sealed)?;
        self.file.sync_data()?;
        self.counter = counter;
        // The slot written over was the older one; a torn slot is older
        // still, or was this one.
        self.torn = false;
        Ok(())
    }
}
