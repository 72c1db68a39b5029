//! Fuzzes the bundle reader over the archive inside a bundle: paths,
//! headers, the manifest, SHA256SUMS and custody lines. Seeded with the
//! decrypted good test vector (scripts/fuzz.sh).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let identity = temoin_bundle::PayloadIdentity::generate();
    let _ = temoin_bundle::read::read_plain(
        data,
        std::slice::from_ref(&identity),
        &temoin_bundle::ReadOptions::default(),
    );
});
