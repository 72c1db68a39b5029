//! Streaming encryption of large payloads in the age format.
//!
//! Evidence files, bundles and backups are age files (X25519 recipients,
//! ChaCha20-Poly1305 STREAM in 64 KiB chunks). Memory stays bounded whatever
//! the size, and any payload can be decrypted with the standard `age` or
//! `rage` tool given the identity, which matters in a disaster.

use std::io::{self, Read, Write};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

/// Why a payload could not be encrypted or decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is not an age file, or its header is damaged.
    #[error("the encrypted file's header is damaged or it is not an age file")]
    Header,
    /// None of the given identities can open it.
    #[error("the encrypted file is not addressed to this vault's key")]
    NoMatchingKey,
    /// The data failed authentication or ended early.
    #[error("the encrypted file is damaged or truncated")]
    Damaged,
    /// A stored identity or recipient string is malformed.
    #[error("a stored encryption key is malformed")]
    BadKey,
    /// Reading or writing failed.
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
}

/// An X25519 identity that payloads are encrypted to. Zeroized on drop (by
/// the `age` crate).
pub struct PayloadIdentity(age::x25519::Identity);

/// The public half of a [`PayloadIdentity`], or any age X25519 recipient
/// (`age1...`).
#[derive(Clone)]
pub struct PayloadRecipient(age::x25519::Recipient);

impl std::fmt::Debug for PayloadIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadIdentity(<redacted>)")
    }
}

impl std::fmt::Debug for PayloadRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayloadRecipient({})", self.0)
    }
}

impl std::fmt::Display for PayloadRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for PayloadRecipient {
    type Err = PayloadError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        age::x25519::Recipient::from_str(s.trim())
            .map(Self)
            .map_err(|_| PayloadError::BadKey)
    }
}

impl PayloadRecipient {
    /// A short, stable name for this recipient: `sha256:` and the hex
    /// SHA-256 of its `age1...` string. Bundles list their recipients this
    /// way, so a reader can check a bundle was sealed for its own key.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(self.0.to_string().as_bytes()))
        )
    }
}

impl PayloadIdentity {
    /// The identities in an age identity file (`age-keygen` output): one
    /// `AGE-SECRET-KEY-1...` a line, with `#` comments and blank lines.
    /// Fails if a line is neither, or if there is no identity at all.
    pub fn from_identity_file(text: &str) -> Result<Vec<Self>, PayloadError> {
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(Self::from_secret(line)?);
        }
        if out.is_empty() {
            return Err(PayloadError::BadKey);
        }
        Ok(out)
    }

    /// Opens an age stream addressed to any of `identities`.
    pub fn decrypt_any<R: Read>(
        identities: &[PayloadIdentity],
        input: R,
    ) -> Result<PayloadReader<R>, PayloadError> {
        let decryptor = age::Decryptor::new(input).map_err(map_decrypt_error)?;
        let reader = decryptor
            .decrypt(identities.iter().map(|i| &i.0 as &dyn age::Identity))
            .map_err(map_decrypt_error)?;
        Ok(PayloadReader(reader))
    }

    /// A new random identity.
    pub fn generate() -> Self {
        Self(age::x25519::Identity::generate())
    }

    /// The identity's secret string (`AGE-SECRET-KEY-1...`), to be sealed
    /// under the vault key and nowhere else.
    pub fn secret_for_sealing(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string().expose_secret().to_owned())
    }

    /// Parses a sealed identity back.
    pub fn from_secret(secret: &str) -> Result<Self, PayloadError> {
        age::x25519::Identity::from_str(secret.trim())
            .map(Self)
            .map_err(|_| PayloadError::BadKey)
    }

    /// The identity as an age key file, for a person who asked to export it
    /// (disaster recovery with the `age` tool).
    pub fn key_file_for_export(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# Témoin vault payload key. Anyone holding this file can read every evidence file of the vault.\n\
             # public key: {}\n{}\n",
            self.0.to_public(),
            self.0.to_string().expose_secret()
        ))
    }

    /// The public recipient.
    pub fn recipient(&self) -> PayloadRecipient {
        PayloadRecipient(self.0.to_public())
    }

    /// Opens an age stream addressed to this identity.
    pub fn decrypt<R: Read>(&self, input: R) -> Result<PayloadReader<R>, PayloadError> {
        let decryptor = age::Decryptor::new(input).map_err(map_decrypt_error)?;
        let reader = decryptor
            .decrypt(std::iter::once(&self.0 as &dyn age::Identity))
            .map_err(map_decrypt_error)?;
        Ok(PayloadReader(reader))
    }
}

fn map_decrypt_error(e: age::DecryptError) -> PayloadError {
    match e {
        age::DecryptError::NoMatchingKeys => PayloadError::NoMatchingKey,
        age::DecryptError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            PayloadError::Header
        }
        age::DecryptError::Io(io) => PayloadError::Io(io),
        age::DecryptError::InvalidHeader
        | age::DecryptError::UnknownFormat
        | age::DecryptError::InvalidMac => PayloadError::Header,
        _ => PayloadError::Damaged,
    }
}

/// Plaintext read from an age stream. A damaged or truncated stream yields an
/// `io::Error` of kind `InvalidData` or `UnexpectedEof` from `read`; see
/// [`is_damage`].
pub struct PayloadReader<R: Read>(age::stream::StreamReader<R>);

impl<R: Read> std::fmt::Debug for PayloadReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadReader")
    }
}

impl<R: Read> Read for PayloadReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// Seeking decrypts only the chunk that holds the new position, so a reader
/// of containers (which jump to an index at the end of a file) need not
/// decrypt everything in between.
impl<R: Read + io::Seek> io::Seek for PayloadReader<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

/// Whether an error from a [`PayloadReader`] means the ciphertext is damaged
/// (as opposed to the disk failing).
pub fn is_damage(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    )
}

/// Writes an age stream. Call [`PayloadWriter::finish`]: without it the last
/// chunk is never written and the file is truncated.
pub struct PayloadWriter<W: Write>(age::stream::StreamWriter<W>);

impl<W: Write> std::fmt::Debug for PayloadWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadWriter")
    }
}

impl<W: Write> Write for PayloadWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> PayloadWriter<W> {
    /// Writes the final chunk and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.0.finish()
    }
}

/// Starts an age stream to the given recipients.
pub fn encrypt_to<W: Write>(
    recipients: &[PayloadRecipient],
    output: W,
) -> Result<PayloadWriter<W>, PayloadError> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| &r.0 as &dyn age::Recipient))
            .map_err(|_| PayloadError::BadKey)?;
    Ok(PayloadWriter(encryptor.wrap_output(output)?))
}

/// Starts an age stream to a passphrase (age's scrypt recipient, as made by
/// `age -p`): for a backup that a person restores with only what they
/// remember. Fails on an empty passphrase.
pub fn encrypt_to_passphrase<W: Write>(
    passphrase: &crate::Passphrase,
    output: W,
) -> Result<PayloadWriter<W>, PayloadError> {
    if passphrase.is_empty() {
        return Err(PayloadError::BadKey);
    }
    let recipient = age::scrypt::Recipient::new(passphrase.to_secret());
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|_| PayloadError::BadKey)?;
    Ok(PayloadWriter(encryptor.wrap_output(output)?))
}

/// Opens an age stream made for a passphrase (by [`encrypt_to_passphrase`]
/// or `age -p`). A wrong passphrase is [`PayloadError::NoMatchingKey`].
pub fn decrypt_with_passphrase<R: Read>(
    passphrase: &crate::Passphrase,
    input: R,
) -> Result<PayloadReader<R>, PayloadError> {
    let identity = age::scrypt::Identity::new(passphrase.to_secret());
    let decryptor = age::Decryptor::new(input).map_err(map_decrypt_error)?;
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // A passphrase stanza that does not open is a wrong passphrase.
            age::DecryptError::DecryptionFailed => PayloadError::NoMatchingKey,
            other => map_decrypt_error(other),
        })?;
    Ok(PayloadReader(reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_stream_opens_with_that_passphrase_only() {
        let pass = crate::Passphrase::from("recovery words for the backup");
        let mut w = encrypt_to_passphrase(&pass, Vec::new()).unwrap();
        w.write_all(b"the vault's files").unwrap();
        let ct = w.finish().unwrap();
        let mut back = Vec::new();
        decrypt_with_passphrase(&pass, &ct[..])
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, b"the vault's files");
        assert!(matches!(
            decrypt_with_passphrase(&crate::Passphrase::from("other words"), &ct[..]),
            Err(PayloadError::NoMatchingKey)
        ));
        assert!(encrypt_to_passphrase(&crate::Passphrase::from(""), Vec::new()).is_err());
    }

    fn encrypt(id: &PayloadIdentity, data: &[u8]) -> Vec<u8> {
        let mut w = encrypt_to(&[id.recipient()], Vec::new()).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn round_trip_across_chunk_boundaries() {
        let id = PayloadIdentity::generate();
        for len in [0usize, 1, 65535, 65536, 65537, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let ct = encrypt(&id, &data);
            let mut back = Vec::new();
            id.decrypt(&ct[..]).unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "len {len}");
        }
    }

    #[test]
    fn identity_survives_sealing_as_text() {
        let id = PayloadIdentity::generate();
        let again = PayloadIdentity::from_secret(&id.secret_for_sealing()).unwrap();
        assert_eq!(id.recipient().to_string(), again.recipient().to_string());
        assert!(PayloadIdentity::from_secret("AGE-SECRET-KEY-1NOPE").is_err());
        assert!(format!("{id:?}").contains("redacted"));
    }

    #[test]
    fn damage_and_truncation_are_errors_not_data() {
        let id = PayloadIdentity::generate();
        let data = vec![7u8; 150_000];
        let ct = encrypt(&id, &data);
        // Flip a byte in the body, then truncate at the end and mid-chunk.
        let mut flipped = ct.clone();
        let last = flipped.len() - 100;
        flipped[last] ^= 0x01;
        for bad in [
            flipped,
            ct[..ct.len() - 1].to_vec(),
            ct[..ct.len() / 2].to_vec(),
        ] {
            let mut out = Vec::new();
            let err = id
                .decrypt(&bad[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap_err();
            assert!(is_damage(&err), "{err:?}");
        }
        assert!(matches!(id.decrypt(&ct[..10]), Err(PayloadError::Header)));
        assert!(matches!(
            PayloadIdentity::generate().decrypt(&ct[..]),
            Err(PayloadError::NoMatchingKey)
        ));
    }
}
