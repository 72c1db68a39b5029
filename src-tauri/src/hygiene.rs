//! Process hygiene at start: no core dumps and no ptrace by other
//! processes of the same user, so a crash or a debugger cannot lift the
//! vault key or a passphrase out of memory.

/// Makes the process non-dumpable and sets its core size limit to zero.
#[cfg(target_os = "linux")]
pub fn harden() {
    // SAFETY: both calls take plain integers or a pointer to a local,
    // properly initialised struct, and change only this process's
    // attributes; there is no memory shared with Rust code.
    unsafe {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn harden() {}
