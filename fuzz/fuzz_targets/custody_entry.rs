//! Fuzzes the parser of custody_entry bytes read from disk.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_model::custody::CustodyEntry::decode(data);
});
