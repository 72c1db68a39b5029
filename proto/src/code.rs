//! The enrollment code: everything a device needs to enroll, and to know
//! it reached OMCT and not whoever runs the server, in one line that OMCT's
//! desk makes and a defender pastes or types.
//!
//! ```text
//! TEMOIN1-AEAAC-AQDAQ-CQMBY-...   (base32, groups of five, any case; the whole
//!                                 code is in docs/test-vectors/enrollment-code/v1.json)
//! ```
//!
//! The bytes under the base32 (version 1):
//!
//! | bytes | what |
//! | --- | --- |
//! | 1 | version, 1 |
//! | 32 | the server certificate's pin (SHA-256 of its DER) |
//! | 16 | OMCT's root key fingerprint ([`root_fingerprint`]) |
//! | 32 | the token the server sees (sent to it as hex; it keeps its SHA-256) |
//! | 32 | the secret the server never sees: the device's proof to the desk is keyed with it ([`device_proof`]) |
//! | 1 | how many server addresses follow (1 to 8) |
//! | 1 + n, each | an address: its length, then its UTF-8 (`https://host:port`) |
//! | 4 | checksum: the first 4 bytes of SHA-256 over `TEMOIN1` and everything above |
//!
//! A code whose checksum does not match is refused as mistyped; a device
//! takes a root key only if its fingerprint is the code's.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The text every code starts with.
pub const PREFIX: &str = "TEMOIN1";
const VERSION: u8 = 1;
const MAX_SERVERS: usize = 8;

/// What an enrollment code carries.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// The intake server's addresses (`https://host:port`), tried in order.
    pub servers: Vec<String>,
    /// The server certificate's pin, `sha256:` and hex.
    pub pin: String,
    /// The one-time token the server sees (hex).
    pub token: String,
    /// The secret the server never sees.
    pub secret: [u8; 32],
    /// OMCT's root key fingerprint.
    pub root_fingerprint: [u8; 16],
}

// The token and the secret are secrets: never in `Debug` output.
impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCode")
            .field("servers", &self.servers)
            .field("pin", &self.pin)
            .field("token", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("root_fingerprint", &hex::encode(self.root_fingerprint))
            .finish()
    }
}

/// Why a code was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeError {
    /// Not a code at all.
    #[error("this is not a Témoin enrollment code (it should start with TEMOIN1-)")]
    NotACode,
    /// A character or the checksum is wrong.
    #[error("this enrollment code is mistyped (its checksum does not match): check it, or ask OMCT to send it again")]
    Mistyped,
    /// A code of a later version.
    #[error(
        "this enrollment code is of a newer kind than this version of Témoin reads: update Témoin"
    )]
    Version,
    /// The checksum matched but the content is not a valid code.
    #[error("this enrollment code is damaged: ask OMCT for a new one")]
    Malformed,
    /// Something to put in a code cannot go into one.
    #[error("an enrollment code cannot carry this: {0}")]
    Unfit(&'static str),
}

/// The fingerprint of OMCT's root key (its minisign base64 form): the
/// first 16 bytes of its SHA-256.
pub fn root_fingerprint(root_key: &str) -> [u8; 16] {
    let digest = Sha256::digest(root_key.trim().as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The first 66 bits of a fingerprint as six words (BIP-39's English list),
/// for reading over the phone.
pub fn fingerprint_words(fingerprint: &[u8; 16]) -> String {
    let words = bip39::Language::English.word_list();
    let bits = u128::from_be_bytes(*fingerprint);
    (0..6)
        .map(|i| words[((bits >> (128 - 11 * (i + 1))) & 0x7ff) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The device's proof to the desk that it holds the code: an HMAC-SHA256,
/// keyed with the code's secret, over `temoin/device-proof/v2\n`, its
/// signing key (minisign base64), a newline, and the age recipient the
/// desk seals its messages to that device with. The server relays it and
/// can neither make one for another key nor swap the recipient.
pub fn device_proof(secret: &[u8; 32], device_public_key: &str, device_recipient: &str) -> String {
    hex::encode(
        proof_mac(secret, device_public_key, device_recipient)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `proof` is [`device_proof`] for this key and recipient (in
/// constant time).
pub fn check_device_proof(
    secret: &[u8; 32],
    device_public_key: &str,
    device_recipient: &str,
    proof: &str,
) -> bool {
    match hex::decode(proof) {
        Ok(bytes) => proof_mac(secret, device_public_key, device_recipient)
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

fn proof_mac(secret: &[u8; 32], device_public_key: &str, device_recipient: &str) -> Hmac<Sha256> {
    // A 32-byte key is always accepted by HMAC.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"temoin/device-proof/v2\n");
    // Neither a key nor a recipient holds a newline, so the pair is read
    // back one way only.
    mac.update(device_public_key.trim().as_bytes());
    mac.update(b"\n");
    mac.update(device_recipient.trim().as_bytes());
    mac
}

fn checksum(body: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(PREFIX.as_bytes());
    h.update(body);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl EnrollmentCode {
    /// The code as text: `TEMOIN1-` and base32 in groups of five.
    pub fn encode(&self) -> Result<String, CodeError> {
        let pin = crate::pin::parse_pin(&self.pin)
            .and_then(|p| hex::decode(&p["sha256:".len()..]).ok())
            .ok_or(CodeError::Unfit("the pin is not a sha256: pin"))?;
        let token = hex::decode(&self.token)
            .ok()
            .filter(|t| t.len() == 32)
            .ok_or(CodeError::Unfit("the token is not 32 bytes of hex"))?;
        if self.servers.is_empty() || self.servers.len() > MAX_SERVERS {
            return Err(CodeError::Unfit("a code names 1 to 8 server addresses"));
        }
        let mut body = vec![VERSION];
        body.extend_from_slice(&pin);
        body.extend_from_slice(&self.root_fingerprint);
        body.extend_from_slice(&token);
        body.extend_from_slice(&self.secret);
        body.push(self.servers.len() as u8);
        for s in &self.servers {
            let len = u8::try_from(s.len())
                .map_err(|_| CodeError::Unfit("a server address is over 255 bytes"))?;
            body.push(len);
            body.extend_from_slice(s.as_bytes());
        }
        let sum = checksum(&body);
        body.extend_from_slice(&sum);
        let text = BASE32_NOPAD.encode(&body);
        let groups: Vec<&str> = text
            .as_bytes()
            .chunks(5)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        Ok(format!("{PREFIX}-{}", groups.join("-")))
    }

    /// Reads a code as a person pasted or typed it: any case, with or
    /// without the dashes, spaces and line breaks.
    pub fn parse(text: &str) -> Result<EnrollmentCode, CodeError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let rest = clean.strip_prefix(PREFIX).ok_or(CodeError::NotACode)?;
        let bytes = BASE32_NOPAD
            .decode(rest.as_bytes())
            .map_err(|_| CodeError::Mistyped)?;
        if bytes.len() < 5 {
            return Err(CodeError::Mistyped);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        if checksum(body) != sum {
            return Err(CodeError::Mistyped);
        }
        let mut r = Reader(body);
        if r.take(1)?[0] != VERSION {
            return Err(CodeError::Version);
        }
        let pin = format!("sha256:{}", hex::encode(r.take(32)?));
        let mut root_fingerprint = [0u8; 16];
        root_fingerprint.copy_from_slice(r.take(16)?);
        let token = hex::encode(r.take(32)?);
        let mut secret = [0u8; 32];
        secret.copy_from_slice(r.take(32)?);
        let n = r.take(1)?[0] as usize;
        if n == 0 || n > MAX_SERVERS {
            return Err(CodeError::Malformed);
        }
        let mut servers = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.take(1)?[0] as usize;
            let s = std::str::from_utf8(r.take(len)?).map_err(|_| CodeError::Malformed)?;
            if !s.starts_with("https://") {
                return Err(CodeError::Malformed);
            }
            servers.push(s.to_owned());
        }
        if !r.0.is_empty() {
            return Err(CodeError::Malformed);
        }
        Ok(EnrollmentCode {
            servers,
            pin,
            token,
            secret,
            root_fingerprint,
        })
    }
}

/// Takes bytes off the front of a code's body.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodeError> {
        if self.0.len() < n {
            return Err(CodeError::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EnrollmentCode {
        EnrollmentCode {
            servers: vec![
                "https://intake.example.org:8443".into(),
                "https://abc.onion".into(),
            ],
            pin: format!("sha256:{}", "ab".repeat(32)),
            token: "cd".repeat(32),
            secret: [7u8; 32],
            root_fingerprint: root_fingerprint("RWQexample"),
        }
    }

    #[test]
    fn a_code_reads_back_whatever_the_case_and_dashes() {
        let c = sample();
        let text = c.encode().unwrap();
        assert!(text.starts_with("TEMOIN1-"));
        assert!(!text.contains(char::is_whitespace));
        assert_eq!(EnrollmentCode::parse(&text).unwrap(), c);
        let sloppy = format!("  {}\n", text.to_lowercase().replace('-', " "));
        assert_eq!(EnrollmentCode::parse(&sloppy).unwrap(), c);
    }

    #[test]
    fn every_single_character_changed_is_refused_as_mistyped() {
        let text = sample().encode().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        for (i, ch) in text.char_indices().skip(PREFIX.len() + 1) {
            if ch == '-' {
                continue;
            }
            let other = alphabet.chars().find(|&a| a != ch).unwrap();
            let mut typo = text.clone();
            typo.replace_range(i..i + 1, &other.to_string());
            let e = EnrollmentCode::parse(&typo).unwrap_err();
            assert!(matches!(e, CodeError::Mistyped), "position {i}: {e:?}");
        }
        // Swapped neighbours, a dropped and a doubled character.
        let body = &text[PREFIX.len() + 1..];
        let swapped = format!("{PREFIX}-{}{}{}", &body[1..2], &body[0..1], &body[2..]);
        assert_eq!(EnrollmentCode::parse(&swapped), Err(CodeError::Mistyped));
        assert_eq!(
            EnrollmentCode::parse(&text[..text.len() - 1]),
            Err(CodeError::Mistyped)
        );
        assert_eq!(EnrollmentCode::parse("hello"), Err(CodeError::NotACode));
    }

    #[test]
    fn the_proof_binds_the_key_and_the_secret() {
        let p = device_proof(&[1; 32], "RWQkey", "age1me");
        assert!(check_device_proof(&[1; 32], "RWQkey", "age1me", &p));
        assert!(!check_device_proof(&[2; 32], "RWQkey", "age1me", &p));
        assert!(!check_device_proof(&[1; 32], "RWQother", "age1me", &p));
        assert!(!check_device_proof(&[1; 32], "RWQkey", "age1server", &p));
        assert!(!check_device_proof(&[1; 32], "RWQkey", "", &p));
        assert!(!check_device_proof(&[1; 32], "RWQkey", "age1me", "zz"));
    }

    /// `docs/test-vectors/enrollment-code/v1.json`: a code, what it
    /// carries, and a device proof, for anyone writing another reader.
    /// `TEMOIN_WRITE_VECTORS=1` writes the file again.
    #[test]
    fn the_documented_vector_reads_and_encodes() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/test-vectors/enrollment-code/v1.json"
        );
        let seq = |from: u8| -> [u8; 32] { std::array::from_fn(|i| from + i as u8) };
        let root_key = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
        let device_key = "RWTkXfX7kVGMYy1kW8AUTWzbiD2OLfsJwVTHK3C8DCmhI/Tx3VSOp7qH";
        let device_recipient = "age1r584hshyapefjelarh0v02hhzxxerzdktncf844wwz5h4l5h4gfs3gpyle";
        let c = EnrollmentCode {
            servers: vec!["https://intake.example.org:8443".into()],
            pin: format!("sha256:{}", hex::encode(seq(0))),
            token: hex::encode(seq(0x20)),
            secret: seq(0x40),
            root_fingerprint: root_fingerprint(root_key),
        };
        let vector = serde_json::json!({
            "code": c.encode().unwrap(),
            "servers": c.servers,
            "pin": c.pin,
            "token": c.token,
            "secret": hex::encode(c.secret),
            "root_key": root_key,
            "root_fingerprint": hex::encode(c.root_fingerprint),
            "root_words": fingerprint_words(&c.root_fingerprint),
            "device_public_key": device_key,
            "device_recipient": device_recipient,
            "device_proof": device_proof(&c.secret, device_key, device_recipient),
        });
        if std::env::var_os("TEMOIN_WRITE_VECTORS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(
            doc, vector,
            "the documented vector drifted: see the test's comment"
        );
        assert_eq!(
            EnrollmentCode::parse(doc["code"].as_str().unwrap()).unwrap(),
            c
        );
    }

    #[test]
    fn fingerprint_words_are_six_and_follow_the_fingerprint() {
        let a = fingerprint_words(&root_fingerprint("RWQa"));
        let b = fingerprint_words(&root_fingerprint("RWQb"));
        assert_eq!(a.split(' ').count(), 6);
        assert_ne!(a, b);
        // The words are the fingerprint's leading bits, 11 at a time.
        let first = bip39::Language::English.word_list()
            [0x7ff & (u16::from_be_bytes([0xff, 0xe0]) >> 5) as usize];
        assert_eq!(
            fingerprint_words(&[0xff; 16]).split(' ').next(),
            Some(first)
        );
    }
}
