//! Messages between the desk and the devices about their cases: written
//! here (signed with the desk key, sealed to the device's own age
//! recipient, which its enrollment proof bound to its key), relayed by the
//! server, and read here from the devices (sealed to OMCT's keys, signed by
//! a device the desk approved). Both kinds are kept in the store and
//! recorded in its custody log under the received case.

use serde::{Deserialize, Serialize};
use temoin_bundle::PayloadRecipient;
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_proto::message::{Envelope, Message, MessageKind, MESSAGE_V1};
use temoin_sync::message::{check_text, now_rfc3339, open, seal, MessageStatus};
use temoin_vault::desk_records::Received;
use temoin_vault::{ItemId, Kind};

use crate::conn::Conn;
use crate::error::DeskError;
use crate::store::{store_error, Desk};

/// Each message, by the desk's id of its case and its own id.
const MESSAGES: &str = "desk/message/";
/// Envelopes waiting for the server, by the desk's id of the case and the
/// message's id (the message's own key under [`MESSAGES`]).
const QUEUE: &str = "desk/message-queue/";

/// A message as the desk keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskMessage {
    /// The message.
    pub message: Message,
    /// The signed message (JSON of the text and its signature), verbatim.
    pub signed: String,
    /// Where it stands: queued or sent (written here), or received.
    pub status: MessageStatus,
    /// When the desk stored it.
    pub stored_at: String,
}

/// What one exchange of messages with the server did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageExchange {
    /// Messages handed to the server for the devices.
    pub sent: usize,
    /// Messages from devices received and verified.
    pub received: Vec<String>,
    /// Relayed messages that did not verify, refused.
    pub refused: usize,
}

fn local(e: impl std::fmt::Display) -> DeskError {
    DeskError::Local(e.to_string())
}

impl Desk {
    fn save_message(&mut self, case: ItemId, m: &DeskMessage) -> Result<(), DeskError> {
        let bytes = serde_json::to_vec(m).map_err(local)?;
        self.put(&format!("{MESSAGES}{case}/{}", m.message.id), &bytes)
    }

    /// The messages of a received case, oldest first.
    pub fn messages(&self, case: ItemId) -> Result<Vec<DeskMessage>, DeskError> {
        let mut out = Vec::new();
        for key in self.names(&format!("{MESSAGES}{case}/"))? {
            if let Some(bytes) = self.get(&key)? {
                out.push(
                    serde_json::from_slice::<DeskMessage>(&bytes)
                        .map_err(|_| DeskError::Local("a stored message is damaged".into()))?,
                );
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

    /// Writes a message to the device that sent a received case: signed
    /// with the desk key, sealed to that device alone, recorded in the
    /// custody log, and queued for the server ([`Desk::relay_messages`]).
    pub fn write_message(
        &mut self,
        case: ItemId,
        kind: MessageKind,
        text: &str,
        in_reply_to: Option<&str>,
    ) -> Result<DeskMessage, DeskError> {
        self.only_omct_desk("write to devices")?;
        check_text(text).map_err(DeskError::Local)?;
        let row = self.triage_row(case)?;
        let devices = self.registry()?;
        if devices.revoked.contains_key(&row.device_key_id) {
            return Err(DeskError::Local(format!(
                "device {} was revoked: no message goes to it",
                row.device_key_id
            )));
        }
        let device = devices.approved.get(&row.device_key_id).ok_or_else(|| {
            DeskError::Local(format!(
                "device {} is not approved at this desk",
                row.device_key_id
            ))
        })?;
        let recipient: PayloadRecipient = device
            .recipient
            .as_deref()
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| {
                DeskError::Local(format!(
                    "device {} gave no key of its own to seal messages to when it enrolled (an older version): it must enroll again to receive messages",
                    row.device_key_id
                ))
            })?;
        if let Some(r) = in_reply_to {
            if !self.messages(case)?.iter().any(|m| m.message.id == r) {
                return Err(DeskError::Local(format!("the case has no message {r}")));
            }
        }
        let bundle_id = match row.bundles.last() {
            Some(b) => Some(
                self.vault_ref()
                    .require::<Received>(*b)
                    .map_err(store_error)?
                    .record
                    .bundle_id,
            ),
            None => None,
        };
        let message = Message {
            v: MESSAGE_V1.into(),
            id: uuid::Uuid::new_v4().to_string(),
            from_desk: true,
            device_key_id: row.device_key_id.clone(),
            case_id: row.case.to_string(),
            bundle_id,
            kind,
            text: text.to_owned(),
            in_reply_to: in_reply_to.map(str::to_owned),
            sent_at: now_rfc3339(),
        };
        let key = self.desk_key()?;
        let (signed, envelope) = seal(
            &message,
            |b| key.sign(SigningPurpose::DeskMessage, b),
            std::slice::from_ref(&recipient),
        )
        .map_err(local)?;
        let signed = serde_json::to_string(&signed).map_err(local)?;
        let stored = DeskMessage {
            message,
            signed: signed.clone(),
            status: MessageStatus::Queued,
            stored_at: now_rfc3339(),
        };
        self.save_message(case, &stored)?;
        let bytes = serde_json::to_vec(&envelope).map_err(local)?;
        self.put(&format!("{QUEUE}{case}/{}", stored.message.id), &bytes)?;
        self.vault()
            .record_message(case, Kind::Triage, true, &signed)
            .map_err(store_error)?;
        Ok(stored)
    }

    /// Hands the server the messages waiting for it, then takes what the
    /// devices sent: each opened with OMCT's keys, verified with the key of
    /// the device the desk approved, filed under its case, recorded in the
    /// custody log, and only then dropped from the server.
    pub async fn exchange_messages(&mut self) -> Result<MessageExchange, DeskError> {
        let c = self.config()?;
        let conn = Conn::new(&c)?;
        let mut report = MessageExchange::default();
        for name in self.names(QUEUE)? {
            let Some(bytes) = self.get(&name)? else {
                continue;
            };
            let envelope: Envelope = serde_json::from_slice(&bytes).map_err(local)?;
            conn.send(reqwest::Method::POST, "/v1/desk/messages", Some(&envelope))
                .await?;
            self.remove(&name)?;
            report.sent += 1;
            // Its copy under the case: sent now.
            let key = format!("{MESSAGES}{}", name.trim_start_matches(QUEUE));
            if let Some(b) = self.get(&key)? {
                let mut m: DeskMessage = serde_json::from_slice(&b).map_err(local)?;
                m.status = MessageStatus::Sent;
                let bytes = serde_json::to_vec(&m).map_err(local)?;
                self.put(&key, &bytes)?;
            }
        }
        let identities = self.identities()?;
        let devices = self.registry()?;
        let waiting: Vec<Envelope> = conn.json("/v1/desk/messages").await?;
        for envelope in waiting {
            // A revoked device (lost, seized) can still sign: nothing it
            // writes is taken as the defender's word.
            let writer = devices
                .approved
                .get(&envelope.device_key_id)
                .filter(|_| !devices.revoked.contains_key(&envelope.device_key_id))
                .and_then(|a| DevicePublicKey::from_minisign(&a.public_key).ok());
            let opened = writer
                .ok_or_else(|| "from a device this desk never approved, or revoked".to_owned())
                .and_then(|key| {
                    open(&envelope, &identities, &key, SigningPurpose::DeviceMessage)
                        .map_err(|e| e.to_string())
                })
                .and_then(|(m, s)| {
                    if m.from_desk || m.device_key_id != envelope.device_key_id {
                        Err("not from the device it came under".to_owned())
                    } else {
                        Ok((m, s))
                    }
                });
            match opened {
                Ok((message, signed)) => {
                    let case = self.vault().derived_id(&format!(
                        "triage/{}/{}",
                        message.device_key_id, message.case_id
                    ));
                    if self.vault_ref().kind_of(case) != Some(Kind::Triage) {
                        report.refused += 1;
                        self.warn(format!(
                            "a message from device {} about a case this desk never received was refused",
                            message.device_key_id
                        ))?;
                    } else if self
                        .get(&format!("{MESSAGES}{case}/{}", message.id))?
                        .is_none()
                    {
                        let signed = serde_json::to_string(&signed).map_err(local)?;
                        let id = message.id.clone();
                        self.save_message(
                            case,
                            &DeskMessage {
                                message,
                                signed: signed.clone(),
                                status: MessageStatus::Received,
                                stored_at: now_rfc3339(),
                            },
                        )?;
                        self.vault()
                            .record_message(case, Kind::Triage, false, &signed)
                            .map_err(store_error)?;
                        report.received.push(id);
                    }
                }
                Err(why) => {
                    report.refused += 1;
                    self.warn(format!(
                        "a message relayed by the server was refused ({why})"
                    ))?;
                }
            }
            if temoin_proto::message::valid_id(&envelope.id) {
                conn.send(
                    reqwest::Method::DELETE,
                    &format!("/v1/desk/messages/{}", envelope.id),
                    None::<&()>,
                )
                .await?;
            }
        }
        Ok(report)
    }
}
