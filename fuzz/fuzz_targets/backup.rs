//! Fuzzes restoring a backup stream (the tar inside the age file): paths,
//! entry types, sizes, the list at the end. Every input restores into a
//! fresh temporary folder, removed afterwards.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_vault::fuzzing::backup(data);
});
