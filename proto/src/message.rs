//! Messages between OMCT's desk and a device about a case: an
//! acknowledgement in words, a question ("please record consent for
//! publication"), the news that an urgent appeal went out, the defender's
//! answer. Each is signed by its writer (the desk key the root-signed
//! recipient list names, or the device key the desk approved), then sealed
//! with age to the reader (the device's own recipient, sent at enrollment
//! and bound by its proof; or OMCT's recipients). The intake server keeps
//! and relays the sealed bytes: it sees which device, when and how large,
//! never a word.

use serde::{Deserialize, Serialize};

/// The message format's tag.
pub const MESSAGE_V1: &str = "temoin/message/v1";

/// Longest text of a message, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Largest sealed message the server keeps, in bytes of base64.
pub const MAX_SEALED_BYTES: usize = 64 * 1024;

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// The desk says, in words, that it has the case.
    Acknowledgement,
    /// The desk asks for something (a consent, a detail, a document).
    Question,
    /// The desk tells what it did (an urgent appeal went out).
    News,
    /// The defender answers.
    Answer,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Acknowledgement,
        MessageKind::Question,
        MessageKind::News,
        MessageKind::Answer,
    ];

    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Acknowledgement => "acknowledgement",
            MessageKind::Question => "question",
            MessageKind::News => "news",
            MessageKind::Answer => "answer",
        }
    }
}

/// A message as its writer signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Always [`MESSAGE_V1`].
    pub v: String,
    /// A random id (UUID v4), the same as its envelope's.
    pub id: String,
    /// Whether the desk wrote it (else the device did).
    pub from_desk: bool,
    /// The device of the conversation: the writer, or the reader.
    pub device_key_id: String,
    /// The case it is about: the defender's id of it.
    pub case_id: String,
    /// The bundle it is about, if one.
    #[serde(default)]
    pub bundle_id: Option<String>,
    /// What it is.
    pub kind: MessageKind,
    /// The words.
    pub text: String,
    /// The message it answers, if any.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// When it was written (RFC 3339 UTC).
    pub sent_at: String,
}

/// A sealed message as the server keeps and relays it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The message's id.
    pub id: String,
    /// The device of the conversation (the server fills it in for what a
    /// device sends; the desk names it for what it sends).
    #[serde(default)]
    pub device_key_id: String,
    /// The age-encrypted signed message, base64.
    pub sealed: String,
}

/// Whether a message id has the form of a UUID (36 characters of hex
/// digits and dashes), as every id the server keeps must.
pub fn valid_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_kinds() {
        assert!(valid_id("7a3c1f0e-0000-4000-8000-000000000001"));
        assert!(!valid_id("7a3c1f0e-0000-4000-8000-00000000000"));
        assert!(!valid_id("../../etc/passwd-0000-4000-8000-0000"));
        for k in MessageKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap_or_default(),
                format!("\"{}\"", k.code())
            );
        }
    }
}
