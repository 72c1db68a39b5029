//! Who is asking: a device's access token, the desk's token, and the tus
//! headers every request must carry.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use temoin_proto::tus;

use crate::db::{db_error, opt_text, text};
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::sha256_hex;

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> ApiResult<Option<&'a str>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::bad(format!("{name} is not plain text"))),
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> ApiResult<String> {
    let value = header(headers, "Authorization")?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "no access token: enroll the device first",
        )
    })?;
    value
        .strip_prefix("Bearer ")
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the Authorization header must be a Bearer token",
            )
        })
}

pub(crate) fn check_tus(headers: &HeaderMap) -> ApiResult<()> {
    match header(headers, "Tus-Resumable")? {
        Some(tus::VERSION) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "this server speaks tus 1.0.0 only",
        )),
        None => Err(ApiError::bad("Tus-Resumable: 1.0.0 is required")),
    }
}

/// The device behind an access token, if it is enrolled and not revoked
/// (a lookup by the token's hash, which the database indexes).
pub(crate) async fn device_of<'c, E>(db: E, token: &str) -> ApiResult<String>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT key_id, revoked_at FROM devices WHERE access_token_sha256 = $1")
        .bind(sha256_hex(token))
        .fetch_optional(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this device is not enrolled with this server",
            )
        })?;
    if opt_text(&row, "revoked_at")?.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this device was revoked by OMCT; contact your OMCT contact person",
        ));
    }
    text(&row, "key_id")
}

pub(crate) fn check_desk(server: &Server, headers: &HeaderMap) -> ApiResult<()> {
    let token = bearer(headers)?;
    if sha256_hex(&token) == server.config.desk_token_sha256 {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not the desk's token",
        ))
    }
}

pub(crate) fn tus_headers(r: &mut Response) {
    r.headers_mut()
        .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    r.headers_mut()
        .insert("Cache-Control", HeaderValue::from_static("no-store"));
}
