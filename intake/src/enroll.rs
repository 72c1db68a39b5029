//! Enrollment, and the recipient list devices fetch.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_crypto::sign::DevicePublicKey;
use temoin_proto::enroll::{EnrollAnswer, EnrollRequest};

use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_rfc3339, now_unix, random_token, sha256_hex, DeviceRecord};

pub(crate) async fn enroll(
    State(s): State<Arc<Server>>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let req: EnrollRequest = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad("the enrollment request must be JSON with token and public_key")
    })?;
    let key = DevicePublicKey::from_minisign(&req.public_key)
        .map_err(|_| ApiError::bad("public_key is not a device public key"))?;
    let (key_id, access, root_key) = s
        .change(|state| {
            let hash = sha256_hex(&req.token);
            let token = state.tokens.get_mut(&hash).ok_or_else(|| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "this enrollment token is not valid: ask OMCT for a new one",
                )
            })?;
            if token.used || token.expires_at < now_unix() {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "this enrollment token was already used or has expired: ask OMCT for a new one",
                ));
            }
            token.used = true;
            let label = token.label.clone();
            let access = random_token();
            let key_id = key.id_hex();
            if let Some(d) = state.devices.get(&key_id) {
                // Enrolling again would hand a new access token to whoever holds a
                // token and the device's public key; the device must ask OMCT.
                let why = if d.revoked_at.is_some() {
                    "this device was revoked; it cannot enroll again"
                } else {
                    "this device is already enrolled; if it lost its enrollment, ask OMCT to revoke it and enroll a new vault"
                };
                return Err(ApiError::new(StatusCode::FORBIDDEN, why));
            }
            state.devices.insert(
                key_id.clone(),
                DeviceRecord {
                    public_key: key.to_minisign_base64(),
                    label,
                    enrolled_at: now_rfc3339(),
                    revoked_at: None,
                    access_token_sha256: sha256_hex(&access),
                    recent_uploads: Vec::new(),
                },
            );
            Ok((key_id, access, state.root_key.clone()))
        })
        .await?;
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
    let state = s.state.lock().await;
    match &state.recipients {
        Some(list) => Ok(Json(list).into_response()),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OMCT has not published its recipient list yet; try again later",
        )),
    }
}
