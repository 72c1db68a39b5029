//! Process hygiene, in a process of its own (each integration test file is
//! one): after `harden_process`, no core dump and not dumpable.

#[cfg(target_os = "linux")]
#[test]
fn after_hardening_the_process_dumps_no_core_and_cannot_be_traced() {
    use rustix::process::{dumpable_behavior, getrlimit, DumpableBehavior, Resource};
    assert_eq!(
        dumpable_behavior().expect("prctl"),
        DumpableBehavior::Dumpable,
        "a fresh test process is dumpable"
    );
    temoin_crypto::hygiene::harden_process().expect("harden");
    assert_eq!(
        dumpable_behavior().expect("prctl"),
        DumpableBehavior::NotDumpable
    );
    let core = getrlimit(Resource::Core);
    assert_eq!((core.current, core.maximum), (Some(0), Some(0)));
}
