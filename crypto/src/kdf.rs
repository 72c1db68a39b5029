//! Argon2id from a passphrase to a key-encryption key.
//!
//! The parameters are stored next to each unlock slot and are untrusted when
//! read back: [`KdfParams::check`] refuses anything below [`KdfParams::FLOOR`]
//! (a downgrade that would make offline guessing cheap) or above
//! [`KdfParams::CEILING`] (values that would exhaust memory or hang the
//! unlock screen). New vaults get [`KdfParams::calibrate`]d parameters that cost
//! roughly half a second to a second on the machine that creates them.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};

use crate::Passphrase;

/// Length of a KDF salt in bytes.
pub const SALT_LEN: usize = 16;

/// Argon2id cost parameters, as stored with an unlock slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

/// Why KDF parameters or a derivation were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfError {
    /// The stored parameters are weaker than Témoin accepts: someone may have
    /// tampered with the vault to make passphrase guessing cheaper.
    #[error(
        "the vault's key-derivation settings are below the safe minimum \
         (memory {m_kib} KiB, {t_cost} passes, {p_cost} lanes); refusing to use them. \
         If you did not change them, the vault files may have been tampered with"
    )]
    BelowFloor {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t_cost: u32,
        /// Lanes.
        p_cost: u32,
    },
    /// The stored parameters are absurd (they would exhaust memory or take
    /// hours): the vault files are corrupt or were tampered with.
    #[error(
        "the vault's key-derivation settings are out of range \
         (memory {m_kib} KiB, {t_cost} passes, {p_cost} lanes); the vault files are corrupt or were tampered with"
    )]
    AboveCeiling {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t_cost: u32,
        /// Lanes.
        p_cost: u32,
    },
    /// The salt has the wrong length.
    #[error("the key-derivation salt is malformed")]
    BadSalt,
    /// Argon2 itself failed (for example, memory could not be allocated).
    #[error("key derivation failed; close other programs to free memory and try again")]
    Derivation,
}

impl KdfParams {
    /// The weakest parameters ever accepted: OWASP's minimum for Argon2id
    /// (19 MiB, 2 passes, 1 lane). Used for tests and as the downgrade guard.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// The strongest parameters ever accepted: 1 GiB, 32 passes, 8 lanes
    /// (four times the memory and twice the passes calibration ever picks).
    /// Beyond that a stored value is corrupt or hostile, not cautious: it
    /// would exhaust an old laptop's memory or hang the unlock screen.
    pub const CEILING: KdfParams = KdfParams {
        m_kib: 1024 * 1024,
        t_cost: 32,
        p_cost: 8,
    };

    /// Memory used by calibrated parameters on a machine fast enough:
    /// 256 MiB. Slower machines get less, never under 64 MiB.
    pub const CALIBRATED_M_KIB: u32 = 256 * 1024;
    const CALIBRATED_MIN_M_KIB: u32 = 64 * 1024;

    /// Refuses parameters below the floor or above the ceiling.
    pub fn check(&self) -> Result<(), KdfError> {
        let Self {
            m_kib,
            t_cost,
            p_cost,
        } = *self;
        if m_kib > Self::CEILING.m_kib
            || t_cost > Self::CEILING.t_cost
            || p_cost > Self::CEILING.p_cost
        {
            return Err(KdfError::AboveCeiling {
                m_kib,
                t_cost,
                p_cost,
            });
        }
        if m_kib < Self::FLOOR.m_kib || t_cost < Self::FLOOR.t_cost || p_cost < Self::FLOOR.p_cost {
            return Err(KdfError::BelowFloor {
                m_kib,
                t_cost,
                p_cost,
            });
        }
        // Argon2 needs at least 8 KiB per lane; the floor already ensures it
        // for the lanes we accept, but keep the invariant explicit.
        if m_kib < 8 * p_cost {
            return Err(KdfError::BelowFloor {
                m_kib,
                t_cost,
                p_cost,
            });
        }
        Ok(())
    }

    /// Picks parameters that cost about `target` on this machine: 256 MiB of
    /// memory and as many passes as fit (at least two). On a machine too slow
    /// for two passes over 256 MiB within `target`, memory is halved, down to
    /// 64 MiB, before passes are cut.
    ///
    /// Runs the KDF a few times; it takes about as long as `target`.
    pub fn calibrate(target: Duration) -> Result<KdfParams, KdfError> {
        let salt = [0u8; SALT_LEN];
        let pass = Passphrase::from("calibration");
        let mut m_kib = Self::CALIBRATED_M_KIB;
        loop {
            let probe = KdfParams {
                m_kib,
                t_cost: 1,
                p_cost: 1,
            };
            // One pass, measured three times, keeping the fastest: the first
            // run also pays for page faults, and a busy machine adds noise.
            let mut per_pass = Duration::MAX;
            for _ in 0..3 {
                let start = Instant::now();
                derive_unchecked(&pass, &salt, probe)?;
                per_pass = per_pass.min(start.elapsed());
            }
            let fits = target.as_secs_f64() / per_pass.as_secs_f64().max(1e-6);
            if fits < f64::from(Self::FLOOR.t_cost) && m_kib / 2 >= Self::CALIBRATED_MIN_M_KIB {
                m_kib /= 2;
                continue;
            }
            return Ok(KdfParams {
                m_kib,
                // At least the target: the passes are rounded up.
                t_cost: (fits.ceil() as u32).clamp(Self::FLOOR.t_cost, 16),
                p_cost: 1,
            });
        }
    }
}

/// A key derived from a passphrase, used only to wrap and unwrap the vault
/// key. Zeroized on drop.
pub struct KeyEncryptionKey(
    pub(crate) SecretBox<[u8; 32]>,
    #[allow(dead_code)] // held for its drop
    crate::locked::PageLock,
);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

/// Derives a key-encryption key, after checking the parameters.
pub fn derive(
    passphrase: &Passphrase,
    salt: &[u8],
    params: KdfParams,
) -> Result<KeyEncryptionKey, KdfError> {
    params.check()?;
    derive_unchecked(passphrase, salt, params)
}

fn derive_unchecked(
    passphrase: &Passphrase,
    salt: &[u8],
    params: KdfParams,
) -> Result<KeyEncryptionKey, KdfError> {
    if salt.len() != SALT_LEN {
        return Err(KdfError::BadSalt);
    }
    let argon_params = argon2::Params::new(params.m_kib, params.t_cost, params.p_cost, Some(32))
        .map_err(|_| KdfError::Derivation)?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = Box::new([0u8; 32]);
    // Locked before the key is written into it (the box does not move).
    let lock = crate::locked::PageLock::new(&out[..]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|_| KdfError::Derivation)?;
    Ok(KeyEncryptionKey(SecretBox::new(out), lock))
}

impl KeyEncryptionKey {
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// SHA-256 of the key, in hex, so that tests can compare a derivation with
    /// the reference implementation without the key leaving this crate.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn fingerprint_for_tests(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.bytes()))
    }
}

/// A fresh random salt.
pub fn new_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    crate::random_bytes(&mut salt);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceiling_are_themselves_accepted() {
        KdfParams::FLOOR.check().unwrap();
        KdfParams::CEILING.check().unwrap();
    }

    #[test]
    fn downgrades_are_refused() {
        for weak in [
            KdfParams {
                m_kib: 8,
                ..KdfParams::FLOOR
            },
            KdfParams {
                t_cost: 1,
                ..KdfParams::FLOOR
            },
            KdfParams {
                p_cost: 0,
                ..KdfParams::FLOOR
            },
        ] {
            assert!(
                matches!(weak.check(), Err(KdfError::BelowFloor { .. })),
                "{weak:?}"
            );
            let err = derive(&Passphrase::from("x"), &[0; SALT_LEN], weak).unwrap_err();
            assert!(matches!(err, KdfError::BelowFloor { .. }));
        }
    }

    #[test]
    fn absurd_values_are_refused() {
        for absurd in [
            KdfParams {
                m_kib: u32::MAX,
                ..KdfParams::FLOOR
            },
            KdfParams {
                t_cost: 1_000_000,
                ..KdfParams::FLOOR
            },
            KdfParams {
                p_cost: 255,
                ..KdfParams::FLOOR
            },
        ] {
            assert!(
                matches!(absurd.check(), Err(KdfError::AboveCeiling { .. })),
                "{absurd:?}"
            );
        }
    }

    #[test]
    fn derivation_depends_on_passphrase_salt_and_params() {
        let salt = [7u8; SALT_LEN];
        let a = derive(&"one".into(), &salt, KdfParams::FLOOR).unwrap();
        let a2 = derive(&"one".into(), &salt, KdfParams::FLOOR).unwrap();
        let b = derive(&"two".into(), &salt, KdfParams::FLOOR).unwrap();
        let c = derive(&"one".into(), &[8u8; SALT_LEN], KdfParams::FLOOR).unwrap();
        let d = derive(
            &"one".into(),
            &salt,
            KdfParams {
                t_cost: 3,
                ..KdfParams::FLOOR
            },
        )
        .unwrap();
        assert_eq!(a.bytes(), a2.bytes());
        assert_ne!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), c.bytes());
        assert_ne!(a.bytes(), d.bytes());
    }

    #[test]
    fn bad_salt_is_refused() {
        assert_eq!(
            derive(&"x".into(), &[0; 3], KdfParams::FLOOR).unwrap_err(),
            KdfError::BadSalt
        );
    }
}

#[cfg(test)]
mod calibration {
    use super::*;

    #[test]
    fn calibrated_parameters_are_within_bounds() {
        let target = Duration::from_millis(300);
        let p = KdfParams::calibrate(target).unwrap();
        p.check().unwrap();
        assert!(p.m_kib >= 64 * 1024 && p.m_kib <= KdfParams::CALIBRATED_M_KIB);
        assert!(p.t_cost >= KdfParams::FLOOR.t_cost);
    }
}
