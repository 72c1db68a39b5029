//! The pin of the intake server's TLS certificate: what an enrollment code
//! carries and what a device compares the server's certificate with.

use sha2::{Digest, Sha256};

/// The pin of a certificate: `sha256:` and the hex SHA-256 of its DER.
pub fn pin_of(cert_der: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(cert_der)))
}

/// Checks the form of a pin given by a person.
pub fn parse_pin(pin: &str) -> Option<String> {
    let hex_part = pin.trim().strip_prefix("sha256:")?;
    (hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex_part.to_ascii_lowercase()))
}
