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
