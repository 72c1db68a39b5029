//! Key bytes kept out of swap where the operating system allows it
//! (`mlock`, through the `region` crate, so that this crate stays free of
//! `unsafe`).
//!
//! `mlock` is not counted: unlocking a page unlocks it for every key that
//! shares it. Keys are small and many share a page, so the pages are
//! counted here, and a page is unlocked only when the last key on it is
//! dropped (after its bytes were zeroized). Where the limit on locked
//! memory (`RLIMIT_MEMLOCK`) is reached or the system refuses, the key
//! works all the same, unlocked, and [`status`] says so.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Locked pages, by address: how many keys hold each, and its lock.
static PAGES: Mutex<BTreeMap<usize, (usize, region::LockGuard)>> = Mutex::new(BTreeMap::new());
/// Pages the system refused to lock.
static REFUSED: AtomicU64 = AtomicU64::new(0);

/// Holds the pages under `[address, address + len)` locked while it lives.
pub(crate) struct PageLock {
    pages: Vec<usize>,
}

impl std::fmt::Debug for PageLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageLock({} pages)", self.pages.len())
    }
}

impl PageLock {
    /// Locks the pages that hold `bytes` (which must not move while the
    /// lock lives: a boxed key, a string that is never grown).
    pub(crate) fn new(bytes: &[u8]) -> PageLock {
        let mut pages = Vec::new();
        if bytes.is_empty() {
            return PageLock { pages };
        }
        let size = region::page::size();
        let start = bytes.as_ptr() as usize;
        let first = start - start % size;
        let end = start + bytes.len() - 1;
        let mut held = PAGES.lock().unwrap_or_else(|e| e.into_inner());
        let mut page = first;
        while page <= end {
            match held.get_mut(&page) {
                Some((count, _)) => {
                    *count += 1;
                    pages.push(page);
                }
                None => match region::lock(page as *const u8, size) {
                    Ok(guard) => {
                        held.insert(page, (1, guard));
                        pages.push(page);
                    }
                    Err(_) => {
                        REFUSED.fetch_add(1, Ordering::Relaxed);
                    }
                },
            }
            page += size;
        }
        PageLock { pages }
    }
}

impl Drop for PageLock {
    fn drop(&mut self) {
        let mut held = PAGES.lock().unwrap_or_else(|e| e.into_inner());
        for page in &self.pages {
            if let Some((count, _)) = held.get_mut(page) {
                *count -= 1;
                if *count == 0 {
                    // Dropping the guard unlocks the page.
                    held.remove(page);
                }
            }
        }
    }
}

/// Whether keys are being kept out of swap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LockStatus {
    /// Pages holding keys, locked in memory now.
    pub locked_pages: u64,
    /// Times the system refused to lock a page (limit reached, or not
    /// allowed): those keys could be written to swap.
    pub refused: u64,
}

/// How key locking has fared in this process.
pub fn status() -> LockStatus {
    let held = PAGES.lock().unwrap_or_else(|e| e.into_inner());
    LockStatus {
        locked_pages: held.len() as u64,
        refused: REFUSED.load(Ordering::Relaxed),
    }
}

/// Whether this system lets a key be locked in memory now: a key is made,
/// and the count of refusals looked at.
pub fn can_lock_keys() -> bool {
    let refused = status().refused;
    let key = crate::key::VaultKey::generate();
    let ok = status().refused == refused && status().locked_pages > 0;
    drop(key);
    ok
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use crate::key::VaultKey;

    /// Locked memory of this process in kB, as the kernel counts it.
    fn vm_lck() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .expect("status")
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmLck")
    }

    /// Other tests of this binary make keys on other threads, which would
    /// change the count under this one: it runs alone, in a child process.
    #[test]
    fn a_key_is_locked_in_memory_until_the_last_key_on_its_page_goes() {
        const NAME: &str =
            "locked::tests::a_key_is_locked_in_memory_until_the_last_key_on_its_page_goes";
        if std::env::var_os("TEMOIN_LOCK_TEST_ALONE").is_none() {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args([NAME, "--exact", "--test-threads=1", "--nocapture"])
                .env("TEMOIN_LOCK_TEST_ALONE", "1")
                .output()
                .expect("run the test alone");
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{text}");
            assert!(
                text.contains("1 passed"),
                "the test did not run alone: {text}"
            );
            return;
        }
        let before = vm_lck();
        let a = VaultKey::generate();
        let b = VaultKey::generate();
        let status = super::status();
        assert_eq!(status.refused, 0, "the system refused to lock a key");
        assert!(vm_lck() > before, "no key was locked in memory");
        assert!(status.locked_pages >= 1);
        drop(a);
        // `b` may share `a`'s page: it must still be locked.
        assert!(vm_lck() > before, "dropping one key unlocked another");
        drop(b);
        assert_eq!(vm_lck(), before, "a page stayed locked after its keys");
    }
}
