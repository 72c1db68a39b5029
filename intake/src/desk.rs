//! The desk's endpoints: enrollment tokens, the recipient list, the device
//! list, and fetching and acknowledging bundles; and the clean-up of
//! acknowledged bundles.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_proto::desk::{BundleListing, DeviceListing, TokenAnswer, TokenRequest};
use temoin_proto::recipients::PublishRecipients;

use crate::auth::check_desk;
use crate::db::{db_error, opt_text, size, text};
use crate::enroll::published;
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_rfc3339, now_unix, random_token, sha256_hex};
use crate::upload::{expire_idle, release, valid_upload_id};

pub(crate) async fn desk_token(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: TokenRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad("expected JSON with label"))?;
    // The desk's own token (it sends the hash), or one made here.
    let (hash, token) = match req.token_sha256 {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (h.to_ascii_lowercase(), None)
        }
        Some(_) => return Err(ApiError::bad("token_sha256 must be 64 hex digits")),
        None => {
            let t = random_token();
            (sha256_hex(&t), Some(t))
        }
    };
    sqlx::query(
        "INSERT INTO enrollment_tokens (token_sha256, label, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(&hash)
    .bind(req.label.chars().take(100).collect::<String>())
    .bind(now_unix() + i64::from(req.valid_hours.min(24 * 30)) * 3600)
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?;
    Ok((StatusCode::CREATED, Json(TokenAnswer { token })).into_response())
}

pub(crate) async fn desk_recipients(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: PublishRecipients = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("expected JSON with root_key and list"))?;
    let key = DevicePublicKey::from_minisign(&req.root_key)
        .map_err(|_| ApiError::bad("root_key is not a valid key"))?;
    key.verify(
        SigningPurpose::RecipientList,
        req.list.list.as_bytes(),
        &req.list.signature,
    )
    .map_err(|_| {
        ApiError::bad("the recipient list's signature does not verify with the root key")
    })?;
    let list = serde_json::to_string(&req.list).map_err(|_| ApiError::internal())?;
    let mut tx = s.db.write().await?;
    // The first list sets the root key; no later one can change it.
    sqlx::query(
        "INSERT INTO published (name, body) VALUES ('root_key', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&req.root_key)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    if published(&mut tx, "root_key").await?.as_deref() != Some(req.root_key.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the root key cannot be changed through the network",
        ));
    }
    sqlx::query(
        "INSERT INTO published (name, body) VALUES ('recipients', $1) \
         ON CONFLICT (name) DO UPDATE SET body = excluded.body",
    )
    .bind(&list)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn desk_devices(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let rows = sqlx::query(
        "SELECT key_id, public_key, label, enrolled_at, revoked_at, token_sha256, proof, \
         recipient FROM devices ORDER BY key_id",
    )
    .fetch_all(&s.db.pool)
    .await
    .map_err(db_error)?;
    let list = rows
        .iter()
        .map(|r| {
            Ok(DeviceListing {
                key_id: text(r, "key_id")?,
                public_key: text(r, "public_key")?,
                label: text(r, "label")?,
                enrolled_at: text(r, "enrolled_at")?,
                revoked_at: opt_text(r, "revoked_at")?,
                token_sha256: opt_text(r, "token_sha256")?,
                proof: opt_text(r, "proof")?,
                recipient: opt_text(r, "recipient")?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(list).into_response())
}

pub(crate) async fn desk_revoke(
    State(s): State<Arc<Server>>,
    UrlPath(key_id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let mut tx = s.db.write().await?;
    let n =
        sqlx::query("UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2")
            .bind(now_rfc3339())
            .bind(&key_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
    if n == 0 {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such device"));
    }
    // Its unfinished uploads go, and their reservations with them.
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT upload_id FROM uploads WHERE device_key_id = $1")
            .bind(&key_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
    let mut released = Vec::new();
    for id in &ids {
        released.extend(release(&mut tx, id, None).await?);
    }
    tx.commit().await.map_err(db_error)?;
    for r in &released {
        crate::upload::discard(&s, r).await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn desk_list(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let rows = sqlx::query(
        "SELECT b.bundle_id, b.device_key_id, d.public_key, b.size, b.sha256, b.received_at \
         FROM bundles b LEFT JOIN devices d ON d.key_id = b.device_key_id \
         WHERE b.acknowledged_at IS NULL ORDER BY b.bundle_id",
    )
    .fetch_all(&s.db.pool)
    .await
    .map_err(db_error)?;
    Ok(Json(bundle_listings(&rows)?).into_response())
}

/// Rows of bundles (with their device's public key) as the desk and the
/// officers list them.
pub(crate) fn bundle_listings(rows: &[sqlx::any::AnyRow]) -> ApiResult<Vec<BundleListing>> {
    rows.iter()
        .map(|r| {
            Ok(BundleListing {
                bundle_id: text(r, "bundle_id")?,
                device_key_id: text(r, "device_key_id")?,
                device_public_key: opt_text(r, "public_key")?,
                size: size(r, "size")?,
                sha256: text(r, "sha256")?,
                received_at: text(r, "received_at")?,
            })
        })
        .collect()
}

pub(crate) fn valid_bundle_id(id: &str) -> ApiResult<()> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such bundle"))
}

pub(crate) async fn desk_fetch(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    valid_bundle_id(&id)?;
    fetch_stored(&s, &id).await
}

/// A stored bundle's bytes, streamed.
pub(crate) async fn fetch_stored(s: &Server, id: &str) -> ApiResult<Response> {
    let here: Option<String> = sqlx::query_scalar(
        "SELECT bundle_id FROM bundles WHERE bundle_id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&s.db.pool)
    .await
    .map_err(db_error)?;
    if here.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such bundle"));
    }
    let stream = s.store.read(id).await?;
    Response::builder()
        .header("Content-Type", "application/octet-stream")
        .body(Body::from_stream(stream))
        .map_err(|_| ApiError::internal())
}

pub(crate) async fn desk_ack(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    valid_bundle_id(&id)?;
    let n = sqlx::query(
        "UPDATE bundles SET acknowledged_at = COALESCE(acknowledged_at, $1) WHERE bundle_id = $2",
    )
    .bind(now_unix())
    .bind(&id)
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such bundle"));
    }
    // Deleted only once the acknowledgement is recorded, and only when
    // every officer has it too (else the last officer's fetch deletes it);
    // if this fails, the hourly clean-up deletes it.
    if s.config.retention_days == 0 && crate::officer::done_with(&s, &id).await? {
        let _ = delete_stored(&s, &id).await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The desk's signed acknowledgement of a bundle, kept for its device to
/// fetch. The server checks only that it is a signed document of sane
/// size: the device verifies it with the desk's key.
pub(crate) async fn desk_acknowledgement(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    valid_bundle_id(&id)?;
    if body.len() > 64 * 1024 {
        return Err(ApiError::bad("an acknowledgement is at most 64 KiB"));
    }
    let signed: temoin_proto::SignedList = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("expected JSON with list and signature"))?;
    let text = serde_json::to_string(&signed).map_err(|_| ApiError::internal())?;
    let n = sqlx::query("UPDATE bundles SET desk_ack = $1 WHERE bundle_id = $2")
        .bind(&text)
        .bind(&id)
        .execute(&s.db.pool)
        .await
        .map_err(db_error)?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such bundle"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes a stored bundle's bytes, then records it and frees its bytes
/// in the quota (the row stays, so that a replay is still answered).
pub(crate) async fn delete_stored(s: &Server, id: &str) -> ApiResult<()> {
    s.store.delete(id).await?;
    let mut tx = s.db.write().await?;
    let freed: Option<i64> = sqlx::query_scalar(
        "UPDATE bundles SET deleted_at = $1 WHERE bundle_id = $2 AND deleted_at IS NULL \
         RETURNING size",
    )
    .bind(now_unix())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    if let Some(freed) = freed {
        sqlx::query("UPDATE usage SET stored_bytes = stored_bytes - $1 WHERE id = 1")
            .bind(freed)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

/// The periodic clean-up: acknowledged bundles older than the retention
/// period are deleted, uploads idle too long are dropped, and upload files
/// no row names (left by a failed creation) are removed.
pub async fn collect_garbage(s: &Server) {
    let horizon = now_unix() - i64::from(s.config.retention_days) * 86_400;
    let q = format!(
        "SELECT bundle_id FROM bundles WHERE acknowledged_at IS NOT NULL \
         AND acknowledged_at <= $1 AND deleted_at IS NULL AND {}",
        crate::officer::EVERY_OFFICER_HAS_IT
    );
    let old: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
        .bind(horizon)
        .fetch_all(&s.db.pool)
        .await
        .unwrap_or_default();
    for id in old {
        let _ = delete_stored(s, &id).await;
    }
    let _ = expire_idle(s).await;
    // Per-upload locks no request holds (the map is only where requests
    // meet; the lock that counts across instances is the database's).
    s.uploads
        .lock()
        .await
        .retain(|_, m| std::sync::Arc::strong_count(m) > 1);
    if let crate::storage::Store::S3(bucket) = &s.store {
        bucket
            .collect_orphans(
                &s.db.pool,
                std::time::Duration::from_secs(s.config.upload_idle_secs),
            )
            .await;
        return;
    }
    let before = std::time::SystemTime::now()
        .checked_sub(std::time::Duration::from_secs(s.config.upload_idle_secs))
        .unwrap_or(std::time::UNIX_EPOCH);
    let Ok(entries) = std::fs::read_dir(s.dir.join("uploads")) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let Some(id) = p.file_stem().and_then(|x| x.to_str()).map(str::to_owned) else {
            continue;
        };
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < before);
        if !stale || valid_upload_id(&id).is_err() {
            continue;
        }
        let named: Result<Option<String>, _> =
            sqlx::query_scalar("SELECT upload_id FROM uploads WHERE upload_id = $1")
                .bind(&id)
                .fetch_optional(&s.db.pool)
                .await;
        if let Ok(None) = named {
            let _ = std::fs::remove_file(&p);
        }
    }
}
