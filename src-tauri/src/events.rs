//! Events the app sends to the interface. Their names are the type names in
//! kebab case (`import-progress`, ...), as the generated bindings say.

use serde::{Deserialize, Serialize};
use specta::Type;
use temoin_vault::ItemId;

use crate::error::ErrorCode;

/// Bytes of one file of an import job read so far.
#[derive(Clone, Debug, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct ImportProgress {
    pub job: String,
    /// Which file of the job (from 0).
    pub index: u32,
    pub count: u32,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// A file of an import job that did not come in, and why.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct ImportFailure {
    pub index: u32,
    pub code: ErrorCode,
    pub message: String,
}

/// An import job finished.
#[derive(Clone, Debug, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct ImportDone {
    pub job: String,
    pub imported: Vec<ItemId>,
    pub failed: Vec<ImportFailure>,
}

/// A submission's stored state changed: read the outbox again.
#[derive(Clone, Debug, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct OutboxChanged {}

/// The vault was locked (`user`, `idle`): the interface must drop
/// everything it shows of it.
#[derive(Clone, Debug, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct Locked {
    pub reason: String,
}

/// Tells the interface the vault was locked (`reason`: `user`, `idle`,
/// `panic`), after clearing the clipboard of text copied from the app.
pub fn locked(app: &tauri::AppHandle, reason: &str) {
    use tauri_specta::Event;
    crate::clipboard::clear_now(app);
    let _ = Locked {
        reason: reason.into(),
    }
    .emit(app);
}
