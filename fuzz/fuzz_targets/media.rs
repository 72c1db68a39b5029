//! Fuzzes capture-metadata reading (EXIF) and metadata stripping of images.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = temoin_media::exif::read(data);
    let _ = temoin_media::redact::strip(data);
});
