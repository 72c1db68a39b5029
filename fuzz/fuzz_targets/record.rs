//! Fuzzes the vault's parser of record bytes read from disk.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_vault::fuzzing::record(data);
});
