//! Fuzzes the enrollment code parser a device runs on whatever a person
//! pastes: never a panic, and a code that parses encodes back to one that
//! parses to the same thing. Raw bytes are also tried as a code's body
//! behind the prefix, so the parser past the checksum is reached.
#![no_main]

use temoin_proto::code::{EnrollmentCode, PREFIX};

fn round_trip(c: &EnrollmentCode) {
    let text = c.encode().expect("a parsed code encodes");
    assert_eq!(EnrollmentCode::parse(&text).as_ref(), Ok(c));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = EnrollmentCode::parse(text) {
            round_trip(&c);
        }
    }
    // The bytes as a body with a valid checksum.
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(PREFIX.as_bytes());
    h.update(data);
    let mut body = data.to_vec();
    body.extend_from_slice(&h.finalize()[..4]);
    let text = format!("{PREFIX}-{}", data_encoding::BASE32_NOPAD.encode(&body));
    if let Ok(c) = EnrollmentCode::parse(&text) {
        round_trip(&c);
    }
});
