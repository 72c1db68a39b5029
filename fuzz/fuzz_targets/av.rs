//! Fuzzes the basic facts read from audio, video and PDF files at intake
//! (Symphonia's container readers and lopdf, behind Témoin's bounds).
//! Seeded with the real files in vault/tests/fixtures.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_media::facts::read_av(std::io::Cursor::new(data), data.len() as u64);
    let _ = temoin_media::facts::read_pdf(data);
});
