//! The media type of some bytes, from their content alone (never from a
//! file name, which the sender chose).

/// The media type of some bytes, from their content alone.
pub fn sniff_media_type(sample: &[u8]) -> String {
    if let Some(t) = infer::get(sample) {
        return t.mime_type().to_owned();
    }
    if !sample.is_empty() && !sample.contains(&0) && looks_like_utf8(sample) {
        return "text/plain".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// UTF-8, allowing a sequence cut at the end of the sample.
fn looks_like_utf8(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > sample.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_bytes() {
        assert_eq!(
            sniff_media_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "image/png"
        );
        assert_eq!(
            sniff_media_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            "image/jpeg"
        );
        assert_eq!(sniff_media_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff_media_type("témoignage".as_bytes()), "text/plain");
        assert_eq!(sniff_media_type(b""), "application/octet-stream");
        assert_eq!(
            sniff_media_type(b"\x00\x01\x02garbage"),
            "application/octet-stream"
        );
    }
}
