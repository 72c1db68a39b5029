//! Fuzzes the tus header parsers the intake server runs on every request
//! (Upload-Offset and Upload-Length, Upload-Checksum, Upload-Metadata):
//! never a panic, and what parses formats back to the same meaning.
#![no_main]

use temoin_proto::tus;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = tus::parse_u64("Upload-Offset", text) {
        assert_eq!(n.to_string().parse::<u64>().ok(), Some(n));
    }
    if let Ok(d) = tus::parse_checksum(text) {
        assert_eq!(tus::parse_checksum(&tus::format_checksum(&d)), Ok(d));
    }
    if let Ok(m) = tus::parse_metadata(text) {
        let pairs: Vec<(&str, &[u8])> = m.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        let again = tus::format_metadata(&pairs);
        // Formatting writes "key " even for an empty value, so it can come
        // out a little longer than the input and over the length limit.
        if again.len() <= 4096 {
            assert_eq!(tus::parse_metadata(&again).ok(), Some(m));
        }
    }
});
