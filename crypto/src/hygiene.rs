//! Process hygiene for the programs that hold keys (the app and the CLI).
//!
//! Keys and passphrases are zeroized when dropped, but while a vault is open
//! they are in memory. A crash must not write that memory to a core file,
//! and another process of the same user must not be able to attach a
//! debugger or read `/proc/<pid>/mem`. Both are settings of the process,
//! made once at start.

/// Disables core dumps (`RLIMIT_CORE` 0, soft and hard) and makes the
/// process non-dumpable (`PR_SET_DUMPABLE` 0: no ptrace attach by the
/// same user, `/proc/<pid>/mem` and friends owned by root). Linux only;
/// elsewhere it does nothing. Returns the first error, having tried both.
pub fn harden_process() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit,
        };
        let core = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        let dumpable = set_dumpable_behavior(DumpableBehavior::NotDumpable);
        core.and(dumpable).map_err(std::io::Error::from)?;
    }
    Ok(())
}

/// Where the computer may write the memory of a running Témoin (keys, open
/// records) to disk, where it would outlive the process and even a wipe.
/// The program cannot prevent it; the person can, once told.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoryRisks {
    /// Swap areas that are neither encrypted (dm-crypt, LUKS, below any
    /// LVM) nor in memory (zram), by the name `/proc/swaps` gives.
    pub unencrypted_swap: Vec<String>,
    /// Swap areas whose encryption could not be determined.
    pub unknown_swap: Vec<String>,
    /// Encrypted or in-memory swap areas.
    pub safe_swap: Vec<String>,
    /// Hibernation is set up (a resume device): it writes all of memory to
    /// disk, and whether that disk is encrypted is another question.
    pub hibernation: bool,
}

/// [`MemoryRisks`] of this computer (Linux; elsewhere, nothing is known).
pub fn memory_risks() -> MemoryRisks {
    memory_risks_at(std::path::Path::new("/"))
}

/// [`memory_risks`] with `/proc`, `/sys` and `/dev` under `root` (tests).
pub fn memory_risks_at(root: &std::path::Path) -> MemoryRisks {
    let mut out = MemoryRisks::default();
    let swaps = std::fs::read_to_string(root.join("proc/swaps")).unwrap_or_default();
    for line in swaps.lines().skip(1) {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(kind)) = (fields.next(), fields.next()) else {
            continue;
        };
        // /proc/swaps escapes spaces in names as \040.
        let name = name.replace("\\040", " ");
        let block = if kind == "partition" {
            device_name(root, &name)
        } else {
            backing_device(root, &name)
        };
        match block {
            Some(b) if b.starts_with("zram") || encrypted(root, &b, 0) => out.safe_swap.push(name),
            Some(_) => out.unencrypted_swap.push(name),
            None => out.unknown_swap.push(name),
        }
    }
    let resume = std::fs::read_to_string(root.join("sys/power/resume")).unwrap_or_default();
    let cmdline = std::fs::read_to_string(root.join("proc/cmdline")).unwrap_or_default();
    let can = std::fs::read_to_string(root.join("sys/power/state"))
        .unwrap_or_default()
        .split_whitespace()
        .any(|s| s == "disk");
    let configured = (!resume.trim().is_empty() && resume.trim() != "0:0")
        || cmdline
            .split_whitespace()
            .any(|a| a.starts_with("resume=") && a.len() > "resume=".len());
    out.hibernation = can && configured;
    out
}

/// The kernel's name of a block device given by path (`/dev/dm-1`,
/// `/dev/mapper/x`, `/dev/sda2`).
fn device_name(root: &std::path::Path, path: &str) -> Option<String> {
    let rel = path.strip_prefix('/')?;
    let real = std::fs::canonicalize(root.join(rel)).unwrap_or_else(|_| root.join(rel));
    let name = real.file_name()?.to_str()?.to_owned();
    root.join("sys/class/block")
        .join(&name)
        .exists()
        .then_some(name)
}

/// The kernel's name of the block device holding a swap file.
fn backing_device(root: &std::path::Path, path: &str) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let rel = path.strip_prefix('/')?;
        let dev = std::fs::metadata(root.join(rel)).ok()?.dev();
        let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
        let link =
            std::fs::canonicalize(root.join(format!("sys/dev/block/{major}:{minor}"))).ok()?;
        Some(link.file_name()?.to_str()?.to_owned())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (root, path);
        None
    }
}

/// Whether block device `name` is dm-crypt, or sits on one (LVM on LUKS, a
/// partition of an encrypted device), looking down its slaves.
fn encrypted(root: &std::path::Path, name: &str, depth: u8) -> bool {
    if depth > 8 {
        return false;
    }
    let dev = root.join("sys/class/block").join(name);
    let uuid = std::fs::read_to_string(dev.join("dm/uuid")).unwrap_or_default();
    if uuid.starts_with("CRYPT-") {
        return true;
    }
    let slaves: Vec<String> = std::fs::read_dir(dev.join("slaves"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    if !slaves.is_empty() {
        return slaves.iter().all(|s| encrypted(root, s, depth + 1));
    }
    // A partition: its disk's holder chain is not below it; a partition of
    // a plain disk is plain.
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &std::path::Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn plain_encrypted_lvm_on_luks_and_zram_swap_are_told_apart() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path();
        write(
            root,
            "proc/swaps",
            "Filename\tType\tSize\tUsed\tPriority\n\
             /dev/sda3 partition 1000 0 -2\n\
             /dev/dm-1 partition 1000 0 -3\n\
             /dev/dm-2 partition 1000 0 -4\n\
             /dev/zram0 partition 1000 0 100\n\
             /dev/gone partition 1000 0 -5\n",
        );
        std::fs::create_dir_all(root.join("sys/class/block/sda3"))
            .unwrap_or_else(|e| panic!("{e}"));
        write(
            root,
            "sys/class/block/dm-1/dm/uuid",
            "CRYPT-LUKS2-abc-swap\n",
        );
        // LVM on LUKS: dm-2 (LVM) sits on dm-0 (crypt).
        write(root, "sys/class/block/dm-2/dm/uuid", "LVM-xyz\n");
        std::fs::create_dir_all(root.join("sys/class/block/dm-2/slaves/dm-0"))
            .unwrap_or_else(|e| panic!("{e}"));
        write(
            root,
            "sys/class/block/dm-0/dm/uuid",
            "CRYPT-LUKS2-def-root\n",
        );
        std::fs::create_dir_all(root.join("sys/class/block/zram0"))
            .unwrap_or_else(|e| panic!("{e}"));
        write(root, "sys/power/state", "freeze mem disk\n");
        write(root, "sys/power/resume", "8:3\n");
        let r = memory_risks_at(root);
        assert_eq!(r.unencrypted_swap, ["/dev/sda3"]);
        assert_eq!(r.safe_swap, ["/dev/dm-1", "/dev/dm-2", "/dev/zram0"]);
        assert_eq!(r.unknown_swap, ["/dev/gone"]);
        assert!(r.hibernation);
        write(root, "sys/power/resume", "0:0\n");
        assert!(!memory_risks_at(root).hibernation);
    }
}
