//! Fuzzes image decoding as intake and the working copies use it: the
//! limited decode, the preview, and covering a region (each behind the
//! media crate's limits and `catch_unwind`).
#![no_main]

use temoin_media::redact::{cover, decode_limited, thumbnail, Region};
use temoin_media::Cover;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The preview and the cover are run on images of up to 4 megapixels:
    // larger ones are within the decoder's limits but would spend the
    // fuzzer's memory budget on copies rather than on finding bugs.
    let decoded = decode_limited(data).ok();
    if let Some(image) =
        decoded.filter(|i| u64::from(i.width()) * u64::from(i.height()) <= 4 << 20)
    {
        let _ = thumbnail(data, 256);
        let region = Region {
            x: 0,
            y: 0,
            w: image.width().clamp(1, 8),
            h: image.height().clamp(1, 8),
        };
        let _ = cover(data, &[region], Cover::Blur);
    }
});
