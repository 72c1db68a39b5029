//! The custody log, as the interface shows it.

use serde::Serialize;
use specta::Type;
use tauri::State;
use temoin_vault::ItemId;

use crate::error::AppError;

use super::*;
use crate::session::{blocking, Shared};

#[derive(Clone, Debug, Serialize, Type)]
pub struct CustodyRow {
    pub seq: u32,
    pub time: String,
    pub action: String,
    pub item: Option<ItemId>,
    pub revision: Option<u32>,
    pub sha256: Option<String>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct CustodyView {
    /// Whether the whole chain verifies (order, links, signatures).
    pub verified: bool,
    pub problems: Vec<String>,
    pub entries: Vec<CustodyRow>,
}

#[tauri::command]
#[specta::specta]
pub async fn custody_log(
    session: State<'_, Shared>,
    case_id: Option<String>,
    item: Option<String>,
) -> Result<CustodyView, AppError> {
    let case_id = case_id.as_deref().map(parse_id).transpose()?;
    let item = item.as_deref().map(parse_id).transpose()?;
    blocking(&session, move |s| {
        s.read(|v| {
            let (_, problems) = v.verify_custody()?;
            let entries = v
                .custody()?
                .into_iter()
                .filter(|e| {
                    let b = &e.body;
                    let about = |id| b.item == Some(id) || b.source == Some(id);
                    item.is_none_or(about) && case_id.is_none_or(|c| b.case == Some(c) || about(c))
                })
                .map(|e| {
                    let b = e.body;
                    CustodyRow {
                        seq: b.seq as u32,
                        time: b.time.clone(),
                        action: b.action.code().to_owned(),
                        item: b.item,
                        revision: b.revision,
                        sha256: b.sha256.clone(),
                        detail: b.bundle.as_ref().map(|n| format!("bundle {}", n.id)),
                    }
                })
                .collect();
            Ok(CustodyView {
                verified: problems.is_empty(),
                problems: problems.iter().map(|p| p.to_string()).collect(),
                entries,
            })
        })
    })
    .await
}
