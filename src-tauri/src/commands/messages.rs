//! Messages with OMCT's desk about a case: what the desk wrote (verified
//! with its key when the outbox took them) and the person's answers.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;
use temoin_sync::message::{self, MessageStatus, StoredMessage};
use temoin_vault::ItemId;

use crate::error::AppError;
use crate::events::OutboxChanged;

use super::*;
use crate::session::{blocking, Shared};

/// One message, as the interface shows it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MessageView {
    pub id: String,
    pub case_id: String,
    /// Written by OMCT's desk (else by this device).
    pub from_desk: bool,
    /// `acknowledgement`, `question`, `news` or `answer`.
    pub kind: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    /// When it was written (RFC 3339).
    pub sent_at: String,
    /// `queued` (waiting for the next sync), `sent` or `received`.
    pub status: String,
    /// Whether the person has seen it.
    pub read: bool,
}

fn view(m: &StoredMessage) -> MessageView {
    MessageView {
        id: m.message.id.clone(),
        case_id: m.message.case_id.clone(),
        from_desk: m.message.from_desk,
        kind: m.message.kind.code().to_owned(),
        text: m.message.text.clone(),
        in_reply_to: m.message.in_reply_to.clone(),
        sent_at: m.message.sent_at.clone(),
        status: match m.status {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Received => "received",
        }
        .to_owned(),
        read: m.read,
    }
}

/// The messages of a case, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn messages_list(
    session: State<'_, Shared>,
    case_id: String,
) -> Result<Vec<MessageView>, AppError> {
    let case = parse_id(&case_id)?;
    blocking(&session, move |s| {
        s.read(|v| {
            Ok(message::list(v)?
                .iter()
                .filter(|m| m.message.case_id == case.to_string())
                .map(view)
                .collect())
        })
    })
    .await
}

/// How many messages from OMCT's desk the person has not seen, and in which
/// cases.
#[derive(Clone, Debug, Serialize, Type)]
pub struct UnreadMessages {
    pub count: u32,
    pub cases: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn messages_unread(session: State<'_, Shared>) -> Result<UnreadMessages, AppError> {
    blocking(&session, |s| {
        s.read(|v| {
            let unread: Vec<StoredMessage> =
                message::list(v)?.into_iter().filter(|m| !m.read).collect();
            let mut cases: Vec<String> = unread.iter().map(|m| m.message.case_id.clone()).collect();
            cases.sort();
            cases.dedup();
            Ok(UnreadMessages {
                count: u32::try_from(unread.len()).unwrap_or(u32::MAX),
                cases,
            })
        })
    })
    .await
}

/// Marks a case's messages as seen. Emits `outbox-changed` (the badge).
#[tauri::command]
#[specta::specta]
pub async fn messages_mark_read(
    app: AppHandle,
    session: State<'_, Shared>,
    case_id: String,
) -> Result<u32, AppError> {
    let case: ItemId = parse_id(&case_id)?;
    let n = blocking(&session, move |s| {
        s.write(|v| Ok(message::mark_read(v, Some(case))?))
    })
    .await?;
    if n > 0 {
        let _ = OutboxChanged {}.emit(&app);
    }
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Answers a message from OMCT's desk: signed with this device's key,
/// sealed to OMCT, recorded in the custody log, sent at the next sync (the
/// outbox is woken at once).
#[tauri::command]
#[specta::specta]
pub async fn message_answer(
    app: AppHandle,
    session: State<'_, Shared>,
    message_id: String,
    text: String,
) -> Result<MessageView, AppError> {
    session.touch();
    let m = blocking(&session, move |s| {
        s.write(|v| {
            let asked = message::list(v)?
                .into_iter()
                .find(|m| m.message.id == message_id)
                .ok_or_else(|| AppError::invalid("there is no such message"))?;
            let case = parse_id(&asked.message.case_id)?;
            Ok(view(&message::write(v, case, &text, Some(&message_id))?))
        })
    })
    .await?;
    let _ = OutboxChanged {}.emit(&app);
    crate::background::wake_outbox(&app);
    Ok(m)
}
