//! Messages between OMCT's desk and devices, relayed sealed: a device
//! sends to the desk and fetches what the desk sent it; the desk sends to a
//! device and fetches what devices sent. Each is deleted once its reader
//! says it has it. The server checks only the form (an id, base64 of sane
//! size) and who may read what: the seal and the writer's signature are
//! checked by the reader.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_proto::message::{valid_id, Envelope, MAX_SEALED_BYTES};

use crate::auth::{bearer, check_desk, device_of};
use crate::db::{db_error, text};
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::now_unix;

/// Most messages waiting for one reader: a device that never fetches (or a
/// desk that never does) cannot fill the database.
const MAX_WAITING: i64 = 1000;

fn envelope(body: &[u8]) -> ApiResult<Envelope> {
    if body.len() > MAX_SEALED_BYTES + 1024 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a message is at most 64 KiB sealed",
        ));
    }
    let e: Envelope = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad("expected JSON with id and sealed"))?;
    if !valid_id(&e.id) {
        return Err(ApiError::bad("the message id must be a UUID"));
    }
    let base64 = e
        .sealed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if e.sealed.is_empty() || e.sealed.len() > MAX_SEALED_BYTES || !base64 {
        return Err(ApiError::bad("sealed must be base64 of at most 64 KiB"));
    }
    Ok(e)
}

/// Keeps a message for its reader, unless it already has one with this id
/// (a retry: answered the same) or too many are waiting.
async fn keep(s: &Server, e: &Envelope, device: &str, to_desk: bool) -> ApiResult<Response> {
    let mut tx = s.db.write().await?;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE to_desk = $1 AND device_key_id = $2",
    )
    .bind(i64::from(to_desk))
    .bind(device)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    if waiting >= MAX_WAITING {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many messages are waiting for their reader; try again later",
        ));
    }
    let existing: Option<String> = sqlx::query_scalar("SELECT sealed FROM messages WHERE id = $1")
        .bind(&e.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
    match existing {
        Some(sealed) if sealed == e.sealed => return Ok(StatusCode::NO_CONTENT.into_response()),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another message has this id",
            ))
        }
        None => {}
    }
    sqlx::query(
        "INSERT INTO messages (id, device_key_id, to_desk, sealed, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&e.id)
    .bind(device)
    .bind(i64::from(to_desk))
    .bind(&e.sealed)
    .bind(now_unix())
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(StatusCode::CREATED.into_response())
}

/// The messages waiting for a reader, oldest first.
async fn waiting(s: &Server, to_desk: bool, device: Option<&str>) -> ApiResult<Vec<Envelope>> {
    let rows = match device {
        Some(d) => {
            sqlx::query(
                "SELECT id, device_key_id, sealed FROM messages \
             WHERE to_desk = $1 AND device_key_id = $2 ORDER BY created_at, id LIMIT 200",
            )
            .bind(i64::from(to_desk))
            .bind(d)
            .fetch_all(&s.db.pool)
            .await
        }
        None => {
            sqlx::query(
                "SELECT id, device_key_id, sealed FROM messages \
             WHERE to_desk = $1 ORDER BY created_at, id LIMIT 200",
            )
            .bind(i64::from(to_desk))
            .fetch_all(&s.db.pool)
            .await
        }
    }
    .map_err(db_error)?;
    rows.iter()
        .map(|r| {
            Ok(Envelope {
                id: text(r, "id")?,
                device_key_id: text(r, "device_key_id")?,
                sealed: text(r, "sealed")?,
            })
        })
        .collect()
}

/// Deletes a message its reader has.
async fn done(s: &Server, id: &str, to_desk: bool, device: Option<&str>) -> ApiResult<Response> {
    if !valid_id(id) {
        return Err(ApiError::bad("the message id must be a UUID"));
    }
    let q = match device {
        Some(d) => sqlx::query(
            "DELETE FROM messages WHERE id = $1 AND to_desk = $2 AND device_key_id = $3",
        )
        .bind(id)
        .bind(i64::from(to_desk))
        .bind(d),
        None => sqlx::query("DELETE FROM messages WHERE id = $1 AND to_desk = $2")
            .bind(id)
            .bind(i64::from(to_desk)),
    };
    q.execute(&s.db.pool).await.map_err(db_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/messages`: a device sends the desk a message.
pub(crate) async fn device_send(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let device = device_of(&s.db.pool, &bearer(&headers)?).await?;
    let e = envelope(&body)?;
    keep(&s, &e, &device, true).await
}

/// `GET /v1/messages`: what the desk sent this device.
pub(crate) async fn device_fetch(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let device = device_of(&s.db.pool, &bearer(&headers)?).await?;
    Ok(Json(waiting(&s, false, Some(&device)).await?).into_response())
}

/// `DELETE /v1/messages/{id}`: the device has it.
pub(crate) async fn device_done(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let device = device_of(&s.db.pool, &bearer(&headers)?).await?;
    done(&s, &id, false, Some(&device)).await
}

/// `POST /v1/desk/messages`: the desk sends a device a message.
pub(crate) async fn desk_send(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let e = envelope(&body)?;
    let known: Option<String> = sqlx::query_scalar("SELECT key_id FROM devices WHERE key_id = $1")
        .bind(&e.device_key_id)
        .fetch_optional(&s.db.pool)
        .await
        .map_err(db_error)?;
    if known.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such device"));
    }
    keep(&s, &e, &e.device_key_id, false).await
}

/// `GET /v1/desk/messages`: what devices sent the desk.
pub(crate) async fn desk_fetch_messages(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    Ok(Json(waiting(&s, true, None).await?).into_response())
}

/// `DELETE /v1/desk/messages/{id}`: the desk has it.
pub(crate) async fn desk_done(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    done(&s, &id, true, None).await
}
