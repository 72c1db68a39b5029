//! Several officers at OMCT's desk: OMCT's desk (the desk token) adds and
//! removes officers and keeps the device registry it signed for them; each
//! officer's desk (its own token) lists and fetches every bundle received
//! since it was added, and says when it has one. A bundle is deleted only
//! once the desk acknowledged it and every officer fetched it, so no desk
//! misses a case the devices sealed to it. The server never reads a
//! bundle or the registry: the registry is signed with OMCT's root key,
//! which officers' desks check.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_proto::desk::{OfficerListing, OfficerRequest};

use crate::auth::{bearer, check_desk};
use crate::db::{db_error, text};
use crate::desk::{bundle_listings, delete_stored, fetch_stored, valid_bundle_id};
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_unix, sha256_hex};

/// The device registry's name in `published`.
const REGISTRY: &str = "device-registry";

/// The most a signed registry may weigh.
const MAX_REGISTRY_BYTES: usize = 1024 * 1024;

/// The SQL condition, on a row of `bundles`, that every officer still
/// at the desk has fetched it.
pub(crate) const EVERY_OFFICER_HAS_IT: &str = "NOT EXISTS (SELECT 1 FROM officers o \
     WHERE o.removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM officer_fetches f \
     WHERE f.bundle_id = bundles.bundle_id AND f.officer_id = o.officer_id))";

/// The officer a request's token names.
async fn officer(s: &Server, headers: &HeaderMap) -> ApiResult<String> {
    let token = bearer(headers)?;
    let id: Option<String> = sqlx::query_scalar(
        "SELECT officer_id FROM officers WHERE token_sha256 = $1 AND removed_at IS NULL",
    )
    .bind(sha256_hex(&token))
    .fetch_optional(&s.db.pool)
    .await
    .map_err(db_error)?;
    id.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not an officer's token"))
}

/// `POST /v1/desk/officers`: adds an officer. The bundles already here were
/// not sealed to them: they are counted as fetched, so that they neither
/// see them nor hold their deletion.
pub(crate) async fn desk_add_officer(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: OfficerRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("expected JSON with officer_id, label, token_sha256"))?;
    if uuid::Uuid::parse_str(&req.officer_id).is_err() {
        return Err(ApiError::bad("officer_id must be a UUID"));
    }
    if req.token_sha256.len() != 64 || !req.token_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad("token_sha256 must be 64 hex digits"));
    }
    let now = now_unix();
    let mut tx = s.db.write().await?;
    let added = sqlx::query(
        "INSERT INTO officers (officer_id, label, token_sha256, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (officer_id) DO NOTHING",
    )
    .bind(&req.officer_id)
    .bind(req.label.chars().take(100).collect::<String>())
    .bind(req.token_sha256.to_ascii_lowercase())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if added == 1 {
        sqlx::query(
            "INSERT INTO officer_fetches (bundle_id, officer_id, fetched_at) \
             SELECT bundle_id, $1, $2 FROM bundles WHERE deleted_at IS NULL",
        )
        .bind(&req.officer_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(StatusCode::CREATED.into_response())
}

/// `GET /v1/desk/officers`: the officers still at the desk.
pub(crate) async fn desk_officers(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let rows = sqlx::query(
        "SELECT officer_id, label, added_at FROM officers WHERE removed_at IS NULL \
         ORDER BY added_at, officer_id",
    )
    .fetch_all(&s.db.pool)
    .await
    .map_err(db_error)?;
    let list = rows
        .iter()
        .map(|r| {
            use sqlx::Row;
            Ok(OfficerListing {
                officer_id: text(r, "officer_id")?,
                label: text(r, "label")?,
                added_at: r.try_get("added_at").map_err(db_error)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(list).into_response())
}

/// `DELETE /v1/desk/officers/{id}`: the officer's token stops working and
/// no bundle waits for them any more.
pub(crate) async fn desk_remove_officer(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let n = sqlx::query(
        "UPDATE officers SET removed_at = $1 WHERE officer_id = $2 AND removed_at IS NULL",
    )
    .bind(now_unix())
    .bind(&id)
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such officer"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /v1/desk/registry`: the device registry as the desk signed it.
/// The server checks its shape and size only.
pub(crate) async fn desk_put_registry(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    if body.len() > MAX_REGISTRY_BYTES {
        return Err(ApiError::bad("a device registry is at most 1 MiB"));
    }
    let signed: temoin_proto::SignedList = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("expected JSON with list and signature"))?;
    let text = serde_json::to_string(&signed).map_err(|_| ApiError::internal())?;
    sqlx::query(
        "INSERT INTO published (name, body) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET body = excluded.body",
    )
    .bind(REGISTRY)
    .bind(&text)
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/officer/registry`: the signed device registry.
pub(crate) async fn officer_registry(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    officer(&s, &headers).await?;
    let body: Option<String> = sqlx::query_scalar("SELECT body FROM published WHERE name = $1")
        .bind(REGISTRY)
        .fetch_optional(&s.db.pool)
        .await
        .map_err(db_error)?;
    let body = body.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "OMCT's desk has not published its device registry yet",
        )
    })?;
    Response::builder()
        .header("Content-Type", "application/json")
        .body(axum::body::Body::from(body))
        .map_err(|_| ApiError::internal())
}

/// `GET /v1/officer/bundles`: the bundles this officer has not fetched.
pub(crate) async fn officer_list(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let me = officer(&s, &headers).await?;
    let rows = sqlx::query(
        "SELECT b.bundle_id, b.device_key_id, d.public_key, b.size, b.sha256, b.received_at \
         FROM bundles b LEFT JOIN devices d ON d.key_id = b.device_key_id \
         WHERE b.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM officer_fetches f \
         WHERE f.bundle_id = b.bundle_id AND f.officer_id = $1) ORDER BY b.bundle_id",
    )
    .bind(&me)
    .fetch_all(&s.db.pool)
    .await
    .map_err(db_error)?;
    Ok(Json(bundle_listings(&rows)?).into_response())
}

/// `GET /v1/officer/bundles/{id}`: a bundle's bytes.
pub(crate) async fn officer_fetch(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    officer(&s, &headers).await?;
    valid_bundle_id(&id)?;
    fetch_stored(&s, &id).await
}

/// `POST /v1/officer/bundles/{id}/fetched`: this officer has the bundle
/// (checked whole on their side). Deleted at once if the desk acknowledged
/// it, every officer has it and nothing is to be kept.
pub(crate) async fn officer_fetched(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let me = officer(&s, &headers).await?;
    valid_bundle_id(&id)?;
    let known: Option<String> =
        sqlx::query_scalar("SELECT bundle_id FROM bundles WHERE bundle_id = $1")
            .bind(&id)
            .fetch_optional(&s.db.pool)
            .await
            .map_err(db_error)?;
    if known.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such bundle"));
    }
    sqlx::query(
        "INSERT INTO officer_fetches (bundle_id, officer_id, fetched_at) VALUES ($1, $2, $3) \
         ON CONFLICT (bundle_id, officer_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&me)
    .bind(now_unix())
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?;
    if s.config.retention_days == 0 && done_with(&s, &id).await? {
        let _ = delete_stored(&s, &id).await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether a bundle was acknowledged by the desk and fetched by every
/// officer still at it.
pub(crate) async fn done_with(s: &Server, id: &str) -> ApiResult<bool> {
    let q = format!(
        "SELECT bundle_id FROM bundles WHERE bundle_id = $1 AND acknowledged_at IS NOT NULL \
         AND deleted_at IS NULL AND {EVERY_OFFICER_HAS_IT}"
    );
    let row: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await
        .map_err(db_error)?;
    Ok(row.is_some())
}
