use secrecy::{ExposeSecret, SecretString};

/// A passphrase typed by a person. Never printed, never serialised; zeroized
/// when dropped.
pub struct Passphrase(
    SecretString,
    #[allow(dead_code)] // held for its drop
    crate::locked::PageLock,
);

impl Passphrase {
    /// Wraps a passphrase. Only a trailing line ending is the caller's to
    /// strip; everything else, spaces included, is part of the passphrase.
    pub fn new(text: String) -> Self {
        let secret = SecretString::from(text);
        let lock = crate::locked::PageLock::new(secret.expose_secret().as_bytes());
        Self(secret, lock)
    }

    /// A copy for the `age` crate's passphrase (scrypt) recipient and
    /// identity; zeroized when dropped, like this one.
    pub(crate) fn to_secret(&self) -> SecretString {
        SecretString::from(self.0.expose_secret().to_owned())
    }

    /// Whether the passphrase is empty (a person pressed Enter).
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    /// Its length in characters, for strength hints. Not a secret by itself,
    /// but callers should not log it either.
    pub fn char_count(&self) -> usize {
        self.0.expose_secret().chars().count()
    }

    /// Whether two passphrases are the same (when a person types a new one
    /// twice). Compares in time independent of where they differ.
    pub fn matches(&self, other: &Passphrase) -> bool {
        let (a, b) = (self.as_bytes(), other.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

impl From<String> for Passphrase {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for Passphrase {
    fn from(text: &str) -> Self {
        Self::new(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_passphrase() {
        let p = Passphrase::from("correct horse battery staple");
        assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
        assert_eq!(p.char_count(), 28);
        assert!(p.matches(&Passphrase::from("correct horse battery staple")));
        assert!(!p.matches(&Passphrase::from("correct horse battery stapl")));
        assert!(!p.matches(&Passphrase::from("correct horse battery staplE")));
    }
}
