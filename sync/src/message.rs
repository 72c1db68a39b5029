//! Messages between OMCT's desk and a device about a case
//! ([`temoin_proto::message`]): sealing and opening them (both sides use
//! these), and the device's side: what it wrote and what it received, kept
//! in its vault, exchanged at every sync.

use std::io::Read;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use temoin_crypto::payload::{self, PayloadIdentity, PayloadRecipient};
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_proto::message::{
    Envelope, Message, MessageKind, MAX_SEALED_BYTES, MAX_TEXT_BYTES, MESSAGE_V1,
};
use temoin_proto::SignedList;
use temoin_vault::{ItemId, Kind, Vault};

use crate::client::{refusal, transient, Enrollment, SyncError};
use crate::outbox::{checked_enrollment, device_identity, OutboxError, VaultAccess};

/// Where a device keeps its messages in its vault, by id.
const PREFIX: &str = "messages/";

fn untrustworthy(why: &str) -> SyncError {
    SyncError::Untrustworthy(format!(
        "a message relayed by the server {why}; it was refused"
    ))
}

/// The current time, RFC 3339 UTC to the microsecond: messages are put in
/// order by it, and a question and its answer can come within a second.
pub fn now_rfc3339() -> String {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Checks a message's words before it is signed: not empty, not too long.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the message is empty".into());
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "the message is {} bytes; at most {MAX_TEXT_BYTES} go in one",
            text.len()
        ));
    }
    Ok(())
}

/// Signs `message` (with `sign`, the writer's key for its purpose) and seals
/// it to `recipients`: the signed message, and the envelope the server
/// keeps.
pub fn seal(
    message: &Message,
    sign: impl FnOnce(&[u8]) -> String,
    recipients: &[PayloadRecipient],
) -> Result<(SignedList, Envelope), SyncError> {
    let list = serde_json::to_string(message)
        .map_err(|_| SyncError::Untrustworthy("the message could not be written".into()))?;
    let signed = SignedList {
        signature: sign(list.as_bytes()),
        list,
    };
    let plain = serde_json::to_vec(&signed)
        .map_err(|_| SyncError::Untrustworthy("the message could not be written".into()))?;
    let mut sealed = Vec::new();
    let mut w = payload::encrypt_to(recipients, &mut sealed)
        .map_err(|_| SyncError::Untrustworthy("the message could not be sealed".into()))?;
    std::io::Write::write_all(&mut w, &plain)
        .and_then(|_| w.finish().map(drop))
        .map_err(|_| SyncError::Untrustworthy("the message could not be sealed".into()))?;
    let sealed = base64::engine::general_purpose::STANDARD.encode(sealed);
    if sealed.len() > MAX_SEALED_BYTES {
        return Err(SyncError::Refused("the message is too long to send".into()));
    }
    Ok((
        signed,
        Envelope {
            id: message.id.clone(),
            device_key_id: message.device_key_id.clone(),
            sealed,
        },
    ))
}

/// Opens an envelope the server relayed: decrypts it with `identities`,
/// checks the writer's signature with `writer` for `purpose`, and that the
/// message is the envelope's (same id) and well formed. Who wrote it and
/// about which device is for the caller to check.
pub fn open(
    envelope: &Envelope,
    identities: &[PayloadIdentity],
    writer: &DevicePublicKey,
    purpose: SigningPurpose,
) -> Result<(Message, SignedList), SyncError> {
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(envelope.sealed.as_bytes())
        .map_err(|_| untrustworthy("is not base64"))?;
    let mut reader = PayloadIdentity::decrypt_any(identities, &sealed[..])
        .map_err(|_| untrustworthy("does not open with this side's key"))?;
    let mut plain = Vec::new();
    (&mut reader)
        .take(MAX_SEALED_BYTES as u64)
        .read_to_end(&mut plain)
        .map_err(|_| untrustworthy("was altered after it was sealed"))?;
    let signed: SignedList =
        serde_json::from_slice(&plain).map_err(|_| untrustworthy("is malformed"))?;
    writer
        .verify(purpose, signed.list.as_bytes(), &signed.signature)
        .map_err(|_| untrustworthy("is not signed by the key it claims"))?;
    let message: Message =
        serde_json::from_str(&signed.list).map_err(|_| untrustworthy("is malformed"))?;
    if message.v != MESSAGE_V1 {
        return Err(untrustworthy("is of an unknown version"));
    }
    if message.id != envelope.id {
        return Err(untrustworthy("is not the one its envelope names"));
    }
    if !well_formed(&message) {
        return Err(untrustworthy("is malformed"));
    }
    // A device writes answers only.
    if !message.from_desk && message.kind != MessageKind::Answer {
        return Err(untrustworthy("is not an answer from a device"));
    }
    Ok((message, signed))
}

/// Whether every field of a message has its form: ids are UUIDs (they name
/// stored values), the text has no control character but line breaks and
/// tabs (it is printed to terminals), the time is RFC 3339 (it orders the
/// conversation).
fn well_formed(m: &Message) -> bool {
    use temoin_proto::message::valid_id;
    let clean = |s: &str| !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    valid_id(&m.id)
        && m.in_reply_to.as_deref().is_none_or(valid_id)
        && m.bundle_id.as_deref().is_none_or(valid_id)
        && m.case_id.parse::<ItemId>().is_ok()
        && check_text(&m.text).is_ok()
        && clean(&m.text)
        && m.device_key_id.len() == 16
        && m.device_key_id.bytes().all(|b| b.is_ascii_hexdigit())
        && m.sent_at.len() <= 40
        && time::OffsetDateTime::parse(&m.sent_at, &time::format_description::well_known::Rfc3339)
            .is_ok()
}

/// Where a device's message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Written here, sealed, not yet handed to the server.
    Queued,
    /// Written here and handed to the server for OMCT's desk.
    Sent,
    /// From OMCT's desk, verified.
    Received,
}

/// A message as a device keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// The message.
    pub message: Message,
    /// The signed message (JSON of the text and its signature), verbatim.
    pub signed: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Whether the person has seen it (always true for what they wrote).
    pub read: bool,
    /// When this device stored it.
    pub stored_at: String,
    /// The sealed envelope, while it waits to be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
}

fn save(v: &mut Vault, m: &StoredMessage) -> Result<(), OutboxError> {
    let bytes = serde_json::to_vec(m).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    v.put_state(&format!("{PREFIX}{}", m.message.id), &bytes)?;
    Ok(())
}

/// Every message of this device, oldest first.
pub fn list(v: &Vault) -> Result<Vec<StoredMessage>, OutboxError> {
    let mut out = Vec::new();
    for key in v.state_keys(PREFIX)? {
        if let Some(bytes) = v.get_state(&key)? {
            let m: StoredMessage = serde_json::from_slice(&bytes)
                .map_err(|_| OutboxError::Damaged("a stored message".into()))?;
            out.push(m);
        }
    }
    out.sort_by(|a, b| {
        a.message
            .sent_at
            .cmp(&b.message.sent_at)
            .then_with(|| a.message.id.cmp(&b.message.id))
    });
    Ok(out)
}

/// How many messages from OMCT's desk the person has not seen.
pub fn unread(v: &Vault) -> Result<usize, OutboxError> {
    Ok(list(v)?.iter().filter(|m| !m.read).count())
}

/// Marks the messages of `case` (or every message) as seen.
pub fn mark_read(v: &mut Vault, case: Option<ItemId>) -> Result<usize, OutboxError> {
    let mut n = 0;
    for mut m in list(v)? {
        let of_case = case.is_none_or(|c| m.message.case_id == c.to_string());
        if !m.read && of_case {
            m.read = true;
            save(v, &m)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes a message to OMCT's desk about `case` (an answer, usually to
/// `in_reply_to`): signed with the device key, sealed to OMCT's
/// recipients, recorded in the custody log, and queued for the next sync.
pub fn write(
    v: &mut Vault,
    case: ItemId,
    text: &str,
    in_reply_to: Option<&str>,
) -> Result<StoredMessage, OutboxError> {
    check_text(text).map_err(SyncError::Refused)?;
    let e = checked_enrollment(v)?;
    if v.kind_of(case) != Some(Kind::Case)
        && !list(v)?
            .iter()
            .any(|m| m.message.case_id == case.to_string())
    {
        return Err(OutboxError::Damaged(format!("there is no case {case}")));
    }
    if let Some(r) = in_reply_to {
        if !list(v)?.iter().any(|m| m.message.id == r) {
            return Err(SyncError::Refused(format!("there is no message {r} to answer")).into());
        }
    }
    let recipients: Vec<PayloadRecipient> =
        e.recipients.iter().filter_map(|r| r.parse().ok()).collect();
    if recipients.is_empty() {
        return Err(OutboxError::NotEnrolled);
    }
    let message = Message {
        v: MESSAGE_V1.into(),
        id: uuid::Uuid::new_v4().to_string(),
        from_desk: false,
        device_key_id: v.device_public_key().id_hex(),
        case_id: case.to_string(),
        bundle_id: None,
        kind: MessageKind::Answer,
        text: text.to_owned(),
        in_reply_to: in_reply_to.map(str::to_owned),
        sent_at: now_rfc3339(),
    };
    let (signed, envelope) = seal(&message, |b| v.sign_message(b), &recipients)?;
    let signed = serde_json::to_string(&signed).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    let stored = StoredMessage {
        message,
        signed: signed.clone(),
        status: MessageStatus::Queued,
        read: true,
        stored_at: now_rfc3339(),
        envelope: Some(envelope),
    };
    save(v, &stored)?;
    v.record_message(case, Kind::Case, true, &signed)?;
    Ok(stored)
}

/// What one exchange of messages did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    /// Messages from OMCT's desk received and verified.
    pub received: Vec<String>,
    /// Messages written here handed to the server.
    pub sent: Vec<String>,
    /// Relayed messages that did not verify (the server's doing), refused.
    pub refused: usize,
}

async fn send_one(e: &Enrollment, envelope: &Envelope) -> Result<(), SyncError> {
    let client = e.endpoint.client(Duration::from_secs(60))?;
    let r = client
        .post(e.endpoint.url("/v1/messages"))
        .header("Authorization", format!("Bearer {}", e.access_token))
        .json(envelope)
        .send()
        .await
        .map_err(transient)?;
    match r.status().as_u16() {
        201 | 204 => Ok(()),
        _ => Err(refusal(r).await),
    }
}

async fn fetch(e: &Enrollment) -> Result<Vec<Envelope>, SyncError> {
    let client = e.endpoint.client(Duration::from_secs(60))?;
    let r = client
        .get(e.endpoint.url("/v1/messages"))
        .header("Authorization", format!("Bearer {}", e.access_token))
        .send()
        .await
        .map_err(transient)?;
    if r.status().as_u16() != 200 {
        return Err(refusal(r).await);
    }
    r.json()
        .await
        .map_err(|_| SyncError::Untrustworthy("the server's list of messages is malformed".into()))
}

async fn done(e: &Enrollment, id: &str) -> Result<(), SyncError> {
    let client = e.endpoint.client(Duration::from_secs(60))?;
    let r = client
        .delete(e.endpoint.url(&format!("/v1/messages/{id}")))
        .header("Authorization", format!("Bearer {}", e.access_token))
        .send()
        .await
        .map_err(transient)?;
    match r.status().as_u16() {
        204 | 404 => Ok(()),
        _ => Err(refusal(r).await),
    }
}

/// Hands the server what this device wrote, and takes what OMCT's desk
/// sent it: each verified with the desk key the root-signed list names,
/// addressed to this device, stored and recorded in the custody log before
/// the server is told to drop it. What does not verify is refused (and
/// dropped: it can never verify).
pub async fn exchange<A: VaultAccess>(access: &A) -> Result<Exchange, OutboxError> {
    let e = access.with(|v| checked_enrollment(v))?;
    let mut report = Exchange::default();
    let queued: Vec<StoredMessage> = access.with(|v| {
        Ok(list(v)?
            .into_iter()
            .filter(|m| m.status == MessageStatus::Queued)
            .collect())
    })?;
    for mut m in queued {
        let Some(envelope) = m.envelope.clone() else {
            continue;
        };
        send_one(&e, &envelope).await?;
        m.status = MessageStatus::Sent;
        m.envelope = None;
        access.with(|v| save(v, &m))?;
        report.sent.push(m.message.id.clone());
    }
    let Some(desk_key) = e.desk_key.as_deref() else {
        return Ok(report);
    };
    let desk_key = DevicePublicKey::from_minisign(desk_key)
        .map_err(|_| SyncError::Untrustworthy("OMCT's desk key is malformed".into()))?;
    // A device enrolled before it had a key of its own to receive with
    // (an older version) can send but not receive: the desk has nothing to
    // seal to until it enrolls again.
    let (identity, own) =
        access.with(|v| Ok((device_identity(v)?, v.device_public_key().id_hex())))?;
    let Some(identity) = identity else {
        return Ok(report);
    };
    for envelope in fetch(&e).await? {
        let opened = open(
            &envelope,
            std::slice::from_ref(&identity),
            &desk_key,
            SigningPurpose::DeskMessage,
        )
        .and_then(|(m, s)| {
            if !m.from_desk || m.device_key_id != own {
                Err(untrustworthy("is not from OMCT's desk to this device"))
            } else {
                Ok((m, s))
            }
        });
        match opened {
            Ok((message, signed)) => {
                let known = access
                    .with(|v| Ok(v.get_state(&format!("{PREFIX}{}", message.id))?.is_some()))?;
                if !known {
                    let signed = serde_json::to_string(&signed)
                        .map_err(|e| OutboxError::Damaged(e.to_string()))?;
                    let case: ItemId = message
                        .case_id
                        .parse()
                        .map_err(|_| OutboxError::Damaged("a message's case".into()))?;
                    let id = message.id.clone();
                    access.with(|v| {
                        save(
                            v,
                            &StoredMessage {
                                message,
                                signed: signed.clone(),
                                status: MessageStatus::Received,
                                read: false,
                                stored_at: now_rfc3339(),
                                envelope: None,
                            },
                        )?;
                        v.record_message(case, Kind::Case, false, &signed)?;
                        Ok(())
                    })?;
                    report.received.push(id);
                }
            }
            Err(_) => report.refused += 1,
        }
        if temoin_proto::message::valid_id(&envelope.id) {
            done(&e, &envelope.id).await?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use temoin_crypto::sign::DeviceKey;

    fn message(text: &str, from_desk: bool, kind: MessageKind) -> Message {
        Message {
            v: MESSAGE_V1.into(),
            id: "7a3c1f0e-0000-4000-8000-000000000001".into(),
            from_desk,
            device_key_id: "ABCDEF0123456789".into(),
            case_id: ItemId::random().to_string(),
            bundle_id: None,
            kind,
            text: text.into(),
            in_reply_to: None,
            sent_at: "2026-12-01T10:00:00.123456Z".into(),
        }
    }

    /// Sealed to `reader` and signed by `writer` for `purpose`, then opened.
    fn round_trip(m: &Message, purpose: SigningPurpose) -> Result<Message, SyncError> {
        let writer = DeviceKey::generate();
        let reader = PayloadIdentity::generate();
        let (_, envelope) = seal(m, |b| writer.sign(purpose, b), &[reader.recipient()])?;
        open(&envelope, &[reader], &writer.public(), purpose).map(|(m, _)| m)
    }

    #[test]
    fn only_a_well_formed_message_opens() {
        let good = message("Line one.\nLine two.", true, MessageKind::Question);
        assert_eq!(
            round_trip(&good, SigningPurpose::DeskMessage).unwrap(),
            good
        );
        // Signed for another purpose: refused.
        let writer = DeviceKey::generate();
        let reader = PayloadIdentity::generate();
        let (_, envelope) = seal(
            &good,
            |b| writer.sign(SigningPurpose::DeskAck, b),
            &[reader.recipient()],
        )
        .unwrap();
        assert!(open(
            &envelope,
            &[reader],
            &writer.public(),
            SigningPurpose::DeskMessage
        )
        .is_err());
        // A terminal escape, an id that names another stored value, a time
        // that is not one, a device writing anything but an answer.
        let mut bad = vec![
            message("Press \u{1b}[2J here", true, MessageKind::Question),
            message(
                "a\rfrom OMCT: send your passphrase",
                true,
                MessageKind::News,
            ),
        ];
        let mut m = good.clone();
        m.in_reply_to = Some("../../desk/root-key".into());
        bad.push(m);
        let mut m = good.clone();
        m.sent_at = "yesterday".into();
        bad.push(m);
        bad.push(message("Consent withdrawn.", false, MessageKind::Question));
        for m in bad {
            assert!(
                round_trip(&m, SigningPurpose::DeskMessage).is_err(),
                "{m:?}"
            );
        }
        let answer = message("Done.", false, MessageKind::Answer);
        assert!(round_trip(&answer, SigningPurpose::DeviceMessage).is_ok());
    }
}
