//! The parts of the tus 1.0 resumable-upload protocol (core, creation,
//! checksum, termination) that both ends parse: header values. Written here
//! because the Rust tus crates are client-only or unmaintained; each parser
//! is small, bounded, and fuzzed (`fuzz/fuzz_targets/tus_headers.rs`).
//! Specification: <https://tus.io/protocols/resumable-upload>.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// The protocol version spoken.
pub const VERSION: &str = "1.0.0";
/// The extensions implemented.
pub const EXTENSIONS: &str = "creation,checksum,termination";
/// The checksum algorithms accepted.
pub const CHECKSUM_ALGORITHMS: &str = "sha256";
/// The content type of a PATCH body.
pub const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";
/// Status for a checksum that does not match (tus checksum extension).
pub const CHECKSUM_MISMATCH: u16 = 460;

/// Most metadata pairs accepted.
const MAX_METADATA_PAIRS: usize = 32;
/// Longest `Upload-Metadata` value accepted.
const MAX_METADATA_LEN: usize = 4096;

/// Why a header value was refused, in words for a 400 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeaderError(pub String);

fn bad(msg: impl Into<String>) -> HeaderError {
    HeaderError(msg.into())
}

/// Parses a non-negative integer header (`Upload-Offset`, `Upload-Length`):
/// decimal digits only, no sign, no spaces, at most 19 digits.
pub fn parse_u64(name: &str, value: &str) -> Result<u64, HeaderError> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("{name} must be a non-negative whole number")));
    }
    value
        .parse()
        .map_err(|_| bad(format!("{name} must be a non-negative whole number")))
}

/// Parses `Upload-Checksum`: `sha256 <base64 of the 32-byte digest>`.
pub fn parse_checksum(value: &str) -> Result<[u8; 32], HeaderError> {
    let (algorithm, digest) = value
        .split_once(' ')
        .ok_or_else(|| bad("Upload-Checksum must be an algorithm, a space and a base64 digest"))?;
    if algorithm != "sha256" {
        return Err(bad("Upload-Checksum: only sha256 is supported"));
    }
    let bytes = B64
        .decode(digest.trim())
        .map_err(|_| bad("Upload-Checksum: the digest is not valid base64"))?;
    bytes
        .try_into()
        .map_err(|_| bad("Upload-Checksum: a sha256 digest is 32 bytes"))
}

/// Formats `Upload-Checksum` for a digest.
pub fn format_checksum(digest: &[u8; 32]) -> String {
    format!("sha256 {}", B64.encode(digest))
}

/// Parses `Upload-Metadata`: comma-separated pairs of a key and a base64
/// value separated by a space (a key alone has an empty value). Keys are
/// printable ASCII without spaces or commas, and unique.
pub fn parse_metadata(value: &str) -> Result<BTreeMap<String, Vec<u8>>, HeaderError> {
    if value.len() > MAX_METADATA_LEN {
        return Err(bad("Upload-Metadata is too long"));
    }
    let mut out = BTreeMap::new();
    if value.trim().is_empty() {
        return Ok(out);
    }
    for pair in value.split(',') {
        let pair = pair.trim();
        let (key, encoded) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(bad(
                "Upload-Metadata: a key is empty or not printable ASCII",
            ));
        }
        let decoded = B64.decode(encoded).map_err(|_| {
            bad(format!(
                "Upload-Metadata: the value of {key:?} is not valid base64"
            ))
        })?;
        if out.insert(key.to_owned(), decoded).is_some() {
            return Err(bad(format!("Upload-Metadata: {key:?} is given twice")));
        }
        if out.len() > MAX_METADATA_PAIRS {
            return Err(bad("Upload-Metadata has too many pairs"));
        }
    }
    Ok(out)
}

/// Formats `Upload-Metadata`.
pub fn format_metadata(pairs: &[(&str, &[u8])]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", B64.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_u64("Upload-Offset", "0"), Ok(0));
        assert_eq!(parse_u64("Upload-Offset", "1234"), Ok(1234));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "0x10",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(parse_u64("Upload-Offset", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checksums_round_trip_and_refuse_others() {
        let d = [7u8; 32];
        assert_eq!(parse_checksum(&format_checksum(&d)), Ok(d));
        assert!(parse_checksum("md5 AAAA").is_err());
        assert!(parse_checksum("sha256 !!!").is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
        assert!(parse_checksum("sha256").is_err());
    }

    #[test]
    fn metadata_round_trips_and_refuses_garbage() {
        let m = parse_metadata(&format_metadata(&[("bundle_id", b"abc"), ("empty", b"")])).unwrap();
        assert_eq!(m["bundle_id"], b"abc");
        assert_eq!(m["empty"], b"");
        assert_eq!(parse_metadata("flag").unwrap()["flag"], b"");
        assert!(parse_metadata("a !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert!(parse_metadata(",").is_err());
        assert!(parse_metadata(&"a,".repeat(40)).is_err());
    }
}
