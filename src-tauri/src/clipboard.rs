//! Text copied from the app leaves the clipboard after a short time, at
//! lock and when the window closes, unless something else was copied
//! meanwhile. Only a SHA-256 of the copied text is kept, to tell.

use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

/// How long copied text stays on the clipboard.
pub const SECONDS: u64 = 30;

/// The hash of the last text copied from the app, while it may still be on
/// the clipboard.
#[derive(Debug, Default)]
pub struct Copied(Mutex<Option<[u8; 32]>>);

/// The time copied text stays. A debug build run by the end-to-end tests
/// (`TEMOIN_E2E=1`) may shorten it with `TEMOIN_E2E_CLIPBOARD_SECONDS`, so
/// the test can watch it go; release builds have no such switch.
fn delay() -> Duration {
    #[cfg(debug_assertions)]
    if std::env::var_os("TEMOIN_E2E").is_some() {
        if let Some(s) = std::env::var("TEMOIN_E2E_CLIPBOARD_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            return Duration::from_secs(s);
        }
    }
    Duration::from_secs(SECONDS)
}

fn digest_of_clipboard(app: &AppHandle) -> Option<[u8; 32]> {
    let text = Zeroizing::new(app.clipboard().read_text().ok()?);
    Some(Sha256::digest(text.as_bytes()).into())
}

/// The person copied or cut text in the window: note it, and clear it
/// after [`delay`] if it is still there.
pub async fn copied(app: AppHandle) {
    // The copy lands on the clipboard just after the DOM event.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let Some(hash) = digest_of_clipboard(&app) else {
        return;
    };
    if let Some(state) = app.try_state::<Copied>() {
        if let Ok(mut last) = state.0.lock() {
            *last = Some(hash);
        }
    }
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(delay()).await;
        clear_if(&app, hash);
    });
}

/// Clears the clipboard now if it still holds what was last copied from
/// the app (at lock, and when the window closes).
pub fn clear_now(app: &AppHandle) {
    let last = app
        .try_state::<Copied>()
        .and_then(|state| state.0.lock().ok().and_then(|mut l| l.take()));
    if let Some(hash) = last {
        clear_if(app, hash);
    }
}

fn clear_if(app: &AppHandle, hash: [u8; 32]) {
    if digest_of_clipboard(app) == Some(hash) {
        let _ = app.clipboard().write_text(String::new());
    }
    if let Some(state) = app.try_state::<Copied>() {
        if let Ok(mut last) = state.0.lock() {
            if *last == Some(hash) {
                *last = None;
            }
        }
    }
}
