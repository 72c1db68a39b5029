//! Helpers shared by the vault's integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

/// Opens the vault's sled store directly, waiting for the lock that sled
/// releases from background threads a moment after a vault is dropped.
pub fn open_sled(path: &Path) -> sled::Db {
    let mut tries = 0;
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(_) if tries < 250 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}
