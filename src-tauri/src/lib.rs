//! The Témoin desktop app: a thin Tauri v2 shell over `temoin-vault` and
//! `temoin-sync`.
//!
//! It holds the open vault for the interface, runs long work (imports,
//! uploads) off the interface's thread with progress events, keeps the
//! outbox going while the vault is unlocked, and locks on idle. It must
//! never log or put into an error anything of a case, never load remote
//! content, and never keep anything of the vault after lock.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::Manager;
use tauri_specta::{collect_commands, collect_events};

pub mod background;
pub mod clipboard;
pub mod commands;
pub mod error;
pub mod events;
pub mod face;
pub mod hygiene;
pub mod region;
pub mod security;
pub mod session;

use session::{Demo, Session};

/// The commands and events, for Tauri and for the TypeScript bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    use commands::*;
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            app_state,
            set_language,
            passphrase_strength,
            vault_create,
            vault_unlock,
            vault_lock,
            touch,
            set_auto_lock,
            ping,
            vocabulary,
            case_list,
            case_get,
            case_save,
            record_save,
            record_delete,
            consent_withdraw,
            evidence_import,
            evidence_get,
            evidence_thumbnail,
            evidence_redact,
            custody_log,
            outbox_list,
            messages_list,
            messages_unread,
            messages_mark_read,
            message_answer,
            case_submit,
            outbox_retry,
            case_export,
            case_dossier,
            device_info,
            enroll,
            set_proxy,
            set_neutral,
            clipboard_copied,
            set_mode,
            desk_create,
            desk_unlock,
            desk_pull,
            desk_cases,
            desk_case,
            desk_verify,
            desk_file,
            desk_triage,
            desk_message,
            desk_export,
            desk_dossier,
            desk_devices,
            desk_enroll,
            desk_revoke,
            desk_stats,
            desk_stats_export,
            desk_media,
            security::panic_wipe,
            security::security_settings,
            security::set_attempt_limit,
            security::set_duress,
            security::remove_duress,
            security::backup_create,
            security::backup_restore,
            security::set_forget_after_delivery,
            security::case_forget,
        ])
        .events(collect_events![
            events::ImportProgress,
            events::ImportDone,
            events::OutboxChanged,
            events::Locked,
        ])
        // Sizes and offsets are below 2^53: plain numbers in TypeScript.
        .dangerously_cast_bigints_to_number()
}

/// The demo server given by `make run` through the environment.
fn demo_from_env() -> Option<Demo> {
    Some(Demo {
        server: std::env::var("TEMOIN_DEMO_SERVER").ok()?,
        code: std::env::var("TEMOIN_DEMO_CODE").ok()?,
    })
}

/// The app's compiled configuration. A debug build started with
/// `TEMOIN_E2E=1` also allows `eval` in the page, so that the end-to-end
/// test can load axe-core into it (a script given to WebDriver runs, but
/// one it builds from text is refused like any other); a release build has
/// no such switch.
fn context() -> tauri::Context<tauri::Wry> {
    #[allow(unused_mut)]
    let mut context = tauri::generate_context!();
    #[cfg(debug_assertions)]
    if std::env::var_os("TEMOIN_E2E").is_some() {
        use tauri::utils::config::{Csp, CspDirectiveSources};
        if let Some(Csp::DirectiveMap(map)) = context.config_mut().app.security.csp.as_mut() {
            map.entry("script-src".into())
                .or_insert_with(|| CspDirectiveSources::Inline("'self'".into()))
                .push("'unsafe-eval'");
        }
    }
    context
}

/// Starts the app.
pub fn run() {
    hygiene::harden();
    let builder = specta_builder();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            // TEMOIN_HOME puts the vault elsewhere (tests, a USB stick).
            let home = match std::env::var_os("TEMOIN_HOME") {
                Some(h) => PathBuf::from(h),
                None => app.path().app_data_dir()?,
            };
            // A panic wipe that a crash cut short is finished before the
            // first screen.
            let _ = temoin_vault::wipe::finish_interrupted_wipe(&home.join("vault"));
            let session = Session::new(home, demo_from_env());
            let settings = session.settings();
            if settings.neutral {
                face::apply(app.handle(), true, session.home(), &settings.language);
            }
            app.manage(Arc::new(session));
            app.manage(background::Wake::default());
            app.manage(clipboard::Copied::default());
            background::start_idle_timer(app.handle().clone());
            Ok(())
        })
        .on_page_load(|_webview, payload| {
            // For the start-time benchmark (scripts/bench-app.sh): one line
            // on stdout once the interface has loaded.
            if payload.event() == tauri::webview::PageLoadEvent::Finished
                && std::env::var_os("TEMOIN_BENCH_READY").is_some()
            {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = writeln!(out, "temoin-ready");
                let _ = out.flush();
            }
        })
        .on_window_event(|window, event| {
            // Closing the window locks the vault first, so its keys are
            // zeroized before the process ends.
            if let tauri::WindowEvent::CloseRequested { .. } = event {
                if let Some(s) = window.try_state::<session::Shared>() {
                    s.lock();
                }
                clipboard::clear_now(window.app_handle());
            }
        })
        .run(context());
    if let Err(e) = result {
        eprintln!("Témoin could not start: {e}");
        std::process::exit(1);
    }
}
