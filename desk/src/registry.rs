//! The desk's own device registry: enrollment codes issued, devices
//! approved on a proof only a holder of the code can make, revocations
//! recorded here first, and the sequence numbers each device used, with
//! the gaps between them.

use serde::Serialize;
use temoin_crypto::sign::DevicePublicKey;
use temoin_proto::code::{check_device_proof, fingerprint_words, root_fingerprint, EnrollmentCode};
use temoin_proto::desk::{DeviceListing, TokenRequest};

use crate::config::{Approved, Devices, Pending};
use crate::conn::Conn;
use crate::error::DeskError;
use crate::store::Desk;

/// An enrollment code the desk issued.
#[derive(Clone, Serialize)]
pub struct IssuedCode {
    /// The code, one line.
    pub code: String,
    /// The label it was issued for.
    pub label: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// OMCT's root key fingerprint (hex), which the code carries.
    pub root_fingerprint: String,
    /// The fingerprint's first 66 bits as six words, to read over the phone.
    pub root_words: String,
}

impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("code", &"<redacted>")
            .field("label", &self.label)
            .field("expires_at", &self.expires_at)
            .field("root_fingerprint", &self.root_fingerprint)
            .finish()
    }
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Desk {
    /// Issues an enrollment code for a device: the desk makes the token (the
    /// server gets only its hash now, and the token when the device uses it)
    /// and a secret the server never gets, and records both before the code
    /// exists.
    pub async fn enroll(&mut self, label: &str, valid_hours: u32) -> Result<IssuedCode, DeskError> {
        self.only_omct_desk("issue enrollment codes")?;
        let c = self.config()?;
        let fingerprint = root_fingerprint(&self.root_public()?);
        let mut token = [0u8; 32];
        let mut secret = [0u8; 32];
        temoin_crypto::random_bytes(&mut token);
        temoin_crypto::random_bytes(&mut secret);
        let token = hex::encode(token);
        let token_sha256 = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(token.as_bytes()))
        };
        let valid_hours = valid_hours.clamp(1, 24 * 30);
        let expires =
            time::OffsetDateTime::now_utc() + time::Duration::hours(i64::from(valid_hours));
        let code = EnrollmentCode {
            servers: vec![c.endpoint.url.clone()],
            pin: c.endpoint.pin.clone(),
            token,
            secret,
            root_fingerprint: fingerprint,
        }
        .encode()
        .map_err(|e| DeskError::Local(e.to_string()))?;
        let mut devices = self.registry()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // Kept an hour past expiry, as long as a proof is still taken.
        devices.pending.retain(|_, p| p.expires_at + 3600 > now);
        devices.pending.insert(
            token_sha256.clone(),
            Pending {
                label: label.to_owned(),
                secret: hex::encode(secret),
                expires_at: expires.unix_timestamp(),
            },
        );
        self.save_registry(&devices)?;
        Conn::new(&c)?
            .send(
                reqwest::Method::POST,
                "/v1/desk/tokens",
                Some(&TokenRequest {
                    label: label.to_owned(),
                    valid_hours,
                    token_sha256: Some(token_sha256),
                }),
            )
            .await?;
        Ok(IssuedCode {
            code,
            label: label.to_owned(),
            expires_at: expires
                .replace_nanosecond(0)
                .unwrap_or(expires)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            root_fingerprint: hex::encode(fingerprint),
            root_words: fingerprint_words(&fingerprint),
        })
    }
}

/// Takes the server's device list as a hint: a listed key with a valid
/// proof for a code the desk issued is approved; a key the desk approved
/// keeps its key whatever is listed under its id; anything else is
/// "unknown". A revocation the server reports is recorded too (it can only
/// make the desk stricter). Returns what it noticed that a person should
/// know (a server listing another key under an approved id).
pub(crate) fn take_listing(devices: &mut Devices, list: Vec<DeviceListing>) -> Vec<String> {
    let mut notes = Vec::new();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for d in list {
        // Key ids are 16 hex digits; anything else (control characters for
        // the desk's terminal, say) is not taken.
        if d.key_id.len() != 16 || !d.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        // A revocation the server reports can only make the desk stricter:
        // taken if it is a real time not in the future, and only if it is
        // earlier than what the desk has (a server cannot postpone one).
        if let Some(at) = d.revoked_at.as_deref().and_then(past_time) {
            revoke_at(devices, &d.key_id, at);
        }
        if let Some(a) = devices.approved.get(&d.key_id) {
            if a.public_key != d.public_key {
                notes.push(format!(
                    "the server lists another key under device {}; the desk keeps the key it approved",
                    d.key_id
                ));
            }
            continue;
        }
        let key_matches_id = DevicePublicKey::from_minisign(&d.public_key)
            .map(|k| k.id_hex() == d.key_id)
            .unwrap_or(false);
        // The recipient must be an age recipient (or absent, when the proof
        // was made over none): the desk will seal to it.
        let recipient = d.recipient.clone().unwrap_or_default();
        let recipient_ok =
            recipient.is_empty() || recipient.parse::<temoin_bundle::PayloadRecipient>().is_ok();
        let proven = key_matches_id
            && recipient_ok
            && d.token_sha256
                .as_ref()
                .and_then(|t| devices.pending.get(t).map(|p| (t.clone(), p.clone())))
                .filter(|(_, p)| p.expires_at + 3600 > now)
                .and_then(|(t, p)| {
                    let secret: [u8; 32] = hex::decode(&p.secret).ok()?.try_into().ok()?;
                    let proof = d.proof.as_deref()?;
                    check_device_proof(&secret, &d.public_key, &recipient, proof).then_some((t, p))
                })
                .map(|(t, p)| {
                    devices.pending.remove(&t);
                    devices.approved.insert(
                        d.key_id.clone(),
                        Approved {
                            public_key: d.public_key.clone(),
                            label: p.label,
                            approved_at: now_rfc3339(),
                            recipient: (!recipient.is_empty()).then(|| recipient.clone()),
                        },
                    );
                })
                .is_some();
        if proven {
            devices.unknown.remove(&d.key_id);
        } else {
            devices.unknown.insert(d.key_id, d.public_key);
        }
    }
    for n in &notes {
        if !devices.warnings.contains(n) {
            devices.warnings.push(n.clone());
        }
    }
    let excess = devices.warnings.len().saturating_sub(100);
    devices.warnings.drain(..excess);
    notes
}

/// A time a server gave, if it parses and is not in the future (a few
/// minutes of clock difference allowed).
fn past_time(t: &str) -> Option<time::OffsetDateTime> {
    let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    (at <= time::OffsetDateTime::now_utc() + time::Duration::minutes(5)).then_some(at)
}

/// Records a revocation at `at`, keeping the earlier of it and any
/// recorded before.
fn revoke_at(devices: &mut Devices, key_id: &str, at: time::OffsetDateTime) {
    let text = at
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let earlier = devices
        .revoked
        .get(key_id)
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_some_and(|known| known <= at);
    if !earlier {
        devices.revoked.insert(key_id.to_owned(), text);
    }
}

/// One device as `desk devices` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeviceRow {
    /// Its key id.
    pub key_id: String,
    /// The label its code was issued for ("" for an unknown device).
    pub label: String,
    /// Its age recipient, as its proof bound it (approved devices only).
    pub recipient: Option<String>,
    /// `approved`, `revoked` or `unknown` (listed by the server, never
    /// approved by the desk).
    pub status: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// The highest sequence number seen in its genuine bundles.
    pub last_sequence: Option<u64>,
    /// Numbers below that never seen: bundles lost, withheld, or still on
    /// their way (a USB stick).
    pub gaps: Vec<u64>,
    /// The fingerprint of its signing key as six words, for the officer and
    /// the defender to compare over the phone (approved devices only).
    pub words: Option<String>,
}

/// Numbers from 1 to the highest seen that were not seen.
pub fn gaps(seen: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let seen: std::collections::BTreeSet<u64> = seen.into_iter().collect();
    let Some(&last) = seen.last() else {
        return Vec::new();
    };
    // A forged number near u64::MAX cannot come from a genuine bundle, but
    // the list is bounded all the same.
    (1..last)
        .filter(|n| !seen.contains(n))
        .take(10_000)
        .collect()
}

impl Desk {
    /// Every device the desk approved or was told of, with its sequence
    /// numbers and gaps.
    pub fn devices(&self) -> Result<Vec<DeviceRow>, DeskError> {
        let d = self.registry()?;
        let row = |key_id: &String,
                   label: &str,
                   recipient: Option<String>,
                   public_key: Option<&str>,
                   known: bool| {
            let seen = d.sequences.get(key_id);
            let revoked_at = d.revoked.get(key_id).cloned();
            DeviceRow {
                key_id: key_id.clone(),
                label: label.to_owned(),
                recipient,
                status: match (known, &revoked_at) {
                    (false, _) => "unknown",
                    (true, Some(_)) => "revoked",
                    (true, None) => "approved",
                }
                .into(),
                revoked_at,
                last_sequence: seen.and_then(|s| s.keys().next_back().copied()),
                gaps: seen.map(|s| gaps(s.keys().copied())).unwrap_or_default(),
                words: public_key.map(|k| fingerprint_words(&root_fingerprint(k))),
            }
        };
        let mut rows: Vec<DeviceRow> = d
            .approved
            .iter()
            .map(|(id, a)| row(id, &a.label, a.recipient.clone(), Some(&a.public_key), true))
            .collect();
        rows.extend(
            d.unknown
                .keys()
                .filter(|id| !d.approved.contains_key(*id))
                .map(|id| row(id, "", None, None, false)),
        );
        Ok(rows)
    }

    /// OMCT's root key fingerprint (hex) and its first 66 bits as six
    /// words: what an enrollment code carries and the defender's app shows.
    pub fn root_words(&self) -> Result<(String, String), DeskError> {
        let fp = root_fingerprint(&self.root_public()?);
        Ok((hex::encode(fp), fingerprint_words(&fp)))
    }

    /// What the desk noticed that a person should know (a damaged download,
    /// another key listed under an approved id), oldest first.
    pub fn warnings(&self) -> Result<Vec<String>, DeskError> {
        Ok(self.registry()?.warnings)
    }

    /// Revokes a device: recorded at the desk first (its bundles sealed after
    /// now are flagged whatever the server does), then asked of the server.
    pub async fn revoke(&mut self, key_id: &str) -> Result<(), DeskError> {
        self.only_omct_desk("revoke devices")?;
        let c = self.config()?;
        let mut d = self.registry()?;
        if !d.approved.contains_key(key_id) && !d.unknown.contains_key(key_id) {
            return Err(DeskError::Local(format!(
                "the desk knows no device {key_id}: see `desk devices`"
            )));
        }
        revoke_at(&mut d, key_id, time::OffsetDateTime::now_utc());
        self.save_registry(&d)?;
        let path = format!("/v1/desk/devices/{key_id}/revoke");
        Conn::new(&c)?
        .send(reqwest::Method::POST, &path, None::<&()>)
        .await
        .map_err(|e| {
            DeskError::Local(format!(
                "the revocation is recorded at the desk, but the server was not told ({e}); run it again"
            ))
        })?;
        // The officers' desks learn it at their next pull.
        self.publish_registry().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use temoin_bundle::PayloadIdentity;
    use temoin_crypto::sign::DeviceKey;

    const RECIPIENT: &str = "age1r584hshyapefjelarh0v02hhzxxerzdktncf844wwz5h4l5h4gfs3gpyle";

    #[test]
    fn gaps_are_the_numbers_missing_below_the_last() {
        assert_eq!(gaps([1, 2, 4, 7]), vec![3, 5, 6]);
        assert_eq!(gaps([2]), vec![1]);
        assert!(gaps([1, 2, 3]).is_empty());
        assert!(gaps([]).is_empty());
        assert_eq!(gaps([u64::MAX]).len(), 10_000);
    }

    fn listing(key: &DeviceKey, token: &str, proof: Option<String>) -> DeviceListing {
        DeviceListing {
            key_id: key.public().id_hex(),
            public_key: key.public().to_minisign_base64(),
            label: "server's label".into(),
            enrolled_at: "2026-01-01T00:00:00Z".into(),
            revoked_at: None,
            token_sha256: Some(token.into()),
            proof,
            recipient: Some(RECIPIENT.into()),
        }
    }

    #[test]
    fn a_server_cannot_postpone_or_forge_a_revocation_time() {
        let key = DeviceKey::generate();
        let id = key.public().id_hex();
        let mut d = Devices::default();
        let mut l = listing(&key, "t", None);
        l.revoked_at = Some("9999-12-31T23:59:59Z".into());
        take_listing(&mut d, vec![l.clone()]);
        assert!(d.revoked.is_empty(), "a time in the future is not taken");
        revoke_at(&mut d, &id, time::OffsetDateTime::now_utc());
        let at = d.revoked[&id].clone();
        // A later time from the server does not move it.
        l.revoked_at = Some("2999-01-01T00:00:00Z".into());
        take_listing(&mut d, vec![l.clone()]);
        assert_eq!(d.revoked[&id], at);
        // An earlier one does (stricter).
        l.revoked_at = Some("2020-01-01T00:00:00Z".into());
        take_listing(&mut d, vec![l.clone()]);
        assert_eq!(d.revoked[&id], "2020-01-01T00:00:00Z");
        // A key id that is not 16 hex digits is not taken at all.
        l.key_id = "\u{1b}[2J".into();
        take_listing(&mut d, vec![l]);
        assert!(!d.unknown.contains_key("\u{1b}[2J"));
    }

    #[test]
    fn only_a_proof_keyed_by_the_codes_secret_approves_a_key() {
        let secret = [9u8; 32];
        let mut d = Devices::default();
        d.pending.insert(
            "t1".into(),
            Pending {
                label: "partner".into(),
                secret: hex::encode(secret),
                expires_at: i64::MAX / 2,
            },
        );
        let device = DeviceKey::generate();
        let server = DeviceKey::generate();
        let pk = |k: &DeviceKey| k.public().to_minisign_base64();
        // The server's own key, with the device's proof, or a made-up one.
        let stolen = temoin_proto::code::device_proof(&secret, &pk(&device), RECIPIENT);
        take_listing(&mut d, vec![listing(&server, "t1", Some(stolen.clone()))]);
        take_listing(&mut d, vec![listing(&server, "t1", Some("00".repeat(32)))]);
        take_listing(&mut d, vec![listing(&server, "t1", None)]);
        assert!(d.approved.is_empty());
        assert!(d.unknown.contains_key(&server.public().id_hex()));
        // The device's key and proof with the server's recipient in place
        // of the device's: the desk would seal to the server.
        let mut swapped = listing(&device, "t1", Some(stolen.clone()));
        swapped.recipient = Some(PayloadIdentity::generate().recipient().to_string());
        take_listing(&mut d, vec![swapped]);
        assert!(d.approved.is_empty());
        // The device's key with its proof.
        take_listing(&mut d, vec![listing(&device, "t1", Some(stolen))]);
        let id = device.public().id_hex();
        assert_eq!(d.approved[&id].label, "partner");
        assert_eq!(d.approved[&id].recipient.as_deref(), Some(RECIPIENT));
        assert!(d.pending.is_empty(), "a code approves one key only");
        // Later, the server points the id at another key: kept as approved.
        let mut other = listing(&server, "t1", None);
        other.key_id = id.clone();
        let notes = take_listing(&mut d, vec![other]);
        assert_eq!(d.approved[&id].public_key, pk(&device));
        assert_eq!(notes.len(), 1);
    }
}
