//! Fuzzes the basic facts read from audio, video and PDF files at intake
//! (Symphonia's container readers and lopdf, behind Témoin's bounds).
//! Seeded with the real files in vault/tests/fixtures.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_vault::fuzzing::av(data);
});
