//! Enrollment, and the recipient list devices fetch.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_crypto::sign::DevicePublicKey;
use temoin_proto::enroll::{EnrollAnswer, EnrollRequest};

use temoin_proto::SignedList;

use crate::db::db_error;
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_rfc3339, now_unix, random_token, sha256_hex};

pub(crate) async fn enroll(
    State(s): State<Arc<Server>>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let req: EnrollRequest = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad("the enrollment request must be JSON with token and public_key")
    })?;
    let key = DevicePublicKey::from_minisign(&req.public_key)
        .map_err(|_| ApiError::bad("public_key is not a device public key"))?;
    let now = now_unix();
    let hash = sha256_hex(&req.token);
    let key_id = key.id_hex();
    let mut tx = s.db.write().await?;
    // Spent here, in the transaction: a refusal below rolls it back.
    let label: Option<String> = sqlx::query_scalar(
        "UPDATE enrollment_tokens SET used_at = $1 \
         WHERE token_sha256 = $2 AND used_at IS NULL AND expires_at >= $1 RETURNING label",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    let Some(label) = label else {
        // Nothing to keep: the transaction ends before the count's own.
        drop(tx);
        // Only failed attempts count against the limit, so that junk
        // cannot keep a device with a real token out.
        let max = s.config.max_enrollments_per_minute;
        if !crate::limit::admit(&s.db, "enroll", now, max).await? {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many enrollment attempts right now; try again in a minute",
            ));
        }
        let known: Option<i64> =
            sqlx::query_scalar("SELECT expires_at FROM enrollment_tokens WHERE token_sha256 = $1")
                .bind(&hash)
                .fetch_optional(&s.db.pool)
                .await
                .map_err(db_error)?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            if known.is_some() {
                "this enrollment token was already used or has expired: ask OMCT for a new one"
            } else {
                "this enrollment token is not valid: ask OMCT for a new one"
            },
        ));
    };
    let revoked: Option<Option<String>> =
        sqlx::query_scalar("SELECT revoked_at FROM devices WHERE key_id = $1")
            .bind(&key_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
    if let Some(revoked) = revoked {
        // Enrolling again would hand a new access token to whoever holds a
        // token and the device's public key; the device must ask OMCT.
        let why = if revoked.is_some() {
            "this device was revoked; it cannot enroll again"
        } else {
            "this device is already enrolled; if it lost its enrollment, ask OMCT to revoke it and enroll a new vault"
        };
        return Err(ApiError::new(StatusCode::FORBIDDEN, why));
    }
    let access = random_token();
    let added = sqlx::query(
        "INSERT INTO devices (key_id, public_key, label, enrolled_at, access_token_sha256, \
         token_sha256, proof, recipient) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (key_id) DO NOTHING",
    )
    .bind(&key_id)
    .bind(key.to_minisign_base64())
    .bind(&label)
    .bind(now_rfc3339())
    .bind(sha256_hex(&access))
    .bind(&hash)
    .bind(
        req.proof
            .as_deref()
            .map(|p| p.chars().take(128).collect::<String>()),
    )
    // Bounded like the proof: the server relays it, the desk checks it.
    .bind(
        req.recipient
            .as_deref()
            .map(|r| r.chars().take(256).collect::<String>()),
    )
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if added == 0 {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this device is already enrolled",
        ));
    }
    let root_key = published(&mut tx, "root_key").await?;
    tx.commit().await.map_err(db_error)?;
    Ok((
        StatusCode::CREATED,
        Json(EnrollAnswer {
            device_key_id: key_id,
            access_token: access,
            receipt_key: s.receipt_public_key(),
            root_key,
        }),
    )
        .into_response())
}

pub(crate) async fn recipients(State(s): State<Arc<Server>>) -> ApiResult<Response> {
    let mut conn = s.db.pool.acquire().await.map_err(db_error)?;
    let list = published(&mut conn, "recipients").await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OMCT has not published its recipient list yet; try again later",
        )
    })?;
    let list: SignedList = serde_json::from_str(&list).map_err(|_| ApiError::internal())?;
    Ok(Json(list).into_response())
}

/// Something the desk published ("root_key", "recipients").
pub(crate) async fn published(
    db: &mut sqlx::AnyConnection,
    name: &str,
) -> ApiResult<Option<String>> {
    sqlx::query_scalar("SELECT body FROM published WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
        .map_err(db_error)
}
