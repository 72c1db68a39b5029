//! Work that runs while the vault is unlocked, without being asked: the
//! outbox (it tries whenever the network allows) and the idle lock.

use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Manager};
use tauri_specta::Event;
use tokio::sync::Notify;

use crate::events::OutboxChanged;
use crate::session::Access;
use crate::session::Shared;

/// Wakes the outbox loop early (after a submission, a retry, enrollment).
#[derive(Debug, Default)]
pub struct Wake(pub Arc<Notify>);

/// How long the outbox waits between rounds when nothing wakes it. Each
/// submission's own back-off still applies.
const ROUND: Duration = Duration::from_secs(30);

pub fn wake_outbox(app: &AppHandle) {
    if let Some(w) = app.try_state::<Wake>() {
        w.0.notify_one();
    }
}

/// Starts the outbox for the vault just opened; it stops by itself when
/// the vault is locked. With a demo server configured and no enrollment
/// yet, enrolls first.
pub fn after_unlock(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let session: Shared = Arc::clone(app.state::<Shared>().inner());
        let wake = Arc::clone(&app.state::<Wake>().0);
        let generation = session.generation();
        if let Some(demo) = session.demo.clone() {
            let enrolled = session
                .read(|v| Ok(temoin_sync::outbox::enrollment(v)?.is_some()))
                .unwrap_or(true);
            if !enrolled {
                let _ = session.enroll(&demo.code, None).await;
            }
        }
        let access = Access {
            session: &session,
            generation,
        };
        let changed = || {
            let _ = OutboxChanged {}.emit(&app);
        };
        while session.generation() == generation && session.is_unlocked() {
            // Not enrolled, offline, server down: all are normal here; the
            // submissions carry their own state and reasons.
            let _ = temoin_sync::outbox::run_watched(&access, false, &changed).await;
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(ROUND) => {}
            }
        }
    });
}

/// Locks the vault after the idle time the person chose.
pub fn start_idle_timer(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let session: Shared = Arc::clone(app.state::<Shared>().inner());
            let minutes = session.auto_lock_minutes();
            if minutes == 0 || !session.anything_open() {
                continue;
            }
            if session.idle_seconds() >= u64::from(minutes) * 60 {
                let s = Arc::clone(&session);
                let _ = tauri::async_runtime::spawn_blocking(move || s.lock()).await;
                crate::events::locked(&app, "idle");
            }
        }
    });
}
