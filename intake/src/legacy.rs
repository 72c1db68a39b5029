//! Servers made before the database kept their state in `state.json` and
//! their uploads in progress in `uploads/ID.json`. The first start with a
//! database moves them in, in one transaction, and then renames
//! `state.json` to `state.json.imported` (kept for the administrator: it
//! holds hashes and public keys only) and removes the upload records.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use temoin_proto::SignedList;

use crate::db::{col, Db};
use crate::error::SetupError;
use crate::storage::LocalStorage;

#[derive(Deserialize)]
struct OldState {
    #[serde(default)]
    devices: BTreeMap<String, OldDevice>,
    #[serde(default)]
    tokens: BTreeMap<String, OldToken>,
    recipients: Option<SignedList>,
    root_key: Option<String>,
    #[serde(default)]
    bundles: BTreeMap<String, OldBundle>,
}

#[derive(Deserialize)]
struct OldDevice {
    public_key: String,
    label: String,
    enrolled_at: String,
    revoked_at: Option<String>,
    access_token_sha256: String,
}

#[derive(Deserialize)]
struct OldToken {
    label: String,
    expires_at: i64,
    used: bool,
}

#[derive(Deserialize)]
struct OldBundle {
    device_key_id: String,
    size: u64,
    sha256: String,
    received_at: String,
    upload_id: String,
    receipt: SignedList,
    acknowledged_at: Option<String>,
}

#[derive(Deserialize)]
struct OldUpload {
    device_key_id: String,
    bundle_id: String,
    length: u64,
    offset: u64,
    created_at: i64,
}

fn unix_of(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn malformed(what: &str) -> SetupError {
    SetupError::Database(format!(
        "state.json could not be moved into the database ({what}); nothing was changed"
    ))
}

/// Moves an old `state.json` and `uploads/*.json` into the database, if
/// there are any.
pub(crate) async fn import(dir: &Path, db: &Db, store: &LocalStorage) -> Result<(), SetupError> {
    let path = dir.join("state.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let old: OldState = serde_json::from_slice(&bytes)?;
    let sql = |e: sqlx::Error| malformed(&format!("{e}"));
    let mut tx = db.pool.begin().await.map_err(sql)?;
    // An import whose commit landed but whose renames did not (a crash
    // between the two) is only finished.
    let done: Option<String> =
        sqlx::query_scalar("SELECT body FROM published WHERE name = 'state_json_imported'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(sql)?;
    if done.is_some() {
        drop(tx);
        return finish(dir);
    }
    let present: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM bundles)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(sql)?;
    if present > 0 {
        return Err(SetupError::Database(
            "both state.json and a database holding devices or bundles are here: \
             move one of them away"
                .into(),
        ));
    }
    for (key_id, d) in &old.devices {
        sqlx::query(
            "INSERT INTO devices (key_id, public_key, label, enrolled_at, revoked_at, \
             access_token_sha256) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key_id)
        .bind(&d.public_key)
        .bind(&d.label)
        .bind(&d.enrolled_at)
        .bind(&d.revoked_at)
        .bind(&d.access_token_sha256)
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    }
    for (hash, t) in &old.tokens {
        sqlx::query(
            "INSERT INTO enrollment_tokens (token_sha256, label, expires_at, used_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(&t.label)
        .bind(t.expires_at)
        .bind(t.used.then_some(t.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    }
    if let Some(root) = &old.root_key {
        publish(&mut tx, "root_key", root).await.map_err(sql)?;
    }
    if let Some(list) = &old.recipients {
        let body = serde_json::to_string(list)?;
        publish(&mut tx, "recipients", &body).await.map_err(sql)?;
    }
    let mut stored = 0u64;
    let now = crate::state::now_unix();
    for (bundle_id, b) in &old.bundles {
        // A bundle whose bytes are gone (acknowledged and cleaned up) is
        // kept as a record, so that a replay is still answered.
        let here = store.path(bundle_id).exists();
        if here {
            stored = stored.saturating_add(b.size);
        }
        sqlx::query(
            "INSERT INTO bundles (bundle_id, device_key_id, upload_id, size, sha256, \
             received_at, receipt, acknowledged_at, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(bundle_id)
        .bind(&b.device_key_id)
        .bind(&b.upload_id)
        .bind(col(b.size))
        .bind(&b.sha256)
        .bind(&b.received_at)
        .bind(serde_json::to_string(&b.receipt)?)
        .bind(
            b.acknowledged_at
                .as_deref()
                .map(|t| unix_of(t).unwrap_or(now)),
        )
        .bind((!here).then_some(now))
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    }
    let mut reserved = 0u64;
    let uploads = dir.join("uploads");
    if let Ok(entries) = std::fs::read_dir(&uploads) {
        for entry in entries {
            let p = entry?.path();
            let Some(id) = p
                .file_stem()
                .and_then(|x| x.to_str())
                .filter(|_| p.extension().and_then(|x| x.to_str()) == Some("json"))
                .map(str::to_owned)
            else {
                continue;
            };
            let u: OldUpload = serde_json::from_slice(&std::fs::read(&p)?)?;
            // A record left by a finish that had already saved its bundle.
            if old.bundles.contains_key(&u.bundle_id) {
                continue;
            }
            reserved = reserved.saturating_add(u.length);
            sqlx::query(
                "INSERT INTO uploads (upload_id, device_key_id, bundle_id, length, received, \
                 created_at, touched_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&u.device_key_id)
            .bind(&u.bundle_id)
            .bind(col(u.length))
            .bind(col(u.offset.min(u.length)))
            .bind(u.created_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        }
    }
    sqlx::query("UPDATE usage SET stored_bytes = $1, reserved_bytes = $2 WHERE id = 1")
        .bind(col(stored))
        .bind(col(reserved))
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
    publish(&mut tx, "state_json_imported", &crate::state::now_rfc3339())
        .await
        .map_err(sql)?;
    tx.commit().await.map_err(sql)?;
    finish(dir)
}

/// Puts the imported files aside: `state.json` renamed, the upload
/// records removed (their `.part` files stay: the uploads go on).
fn finish(dir: &Path) -> Result<(), SetupError> {
    std::fs::rename(dir.join("state.json"), dir.join("state.json.imported"))?;
    if let Ok(entries) = std::fs::read_dir(dir.join("uploads")) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().and_then(|x| x.to_str()) == Some("json") {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let _ = std::fs::remove_file(dir.join("state.tmp"));
    Ok(())
}

async fn publish(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    name: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO published (name, body) VALUES ($1, $2)")
        .bind(name)
        .bind(body)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}
