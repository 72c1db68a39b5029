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
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_rfc3339, now_unix, random_token, sha256_hex, TokenRecord};

pub(crate) async fn desk_token(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: TokenRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad("expected JSON with label"))?;
    let token = random_token();
    s.change(|state| {
        state.tokens.insert(
            sha256_hex(&token),
            TokenRecord {
                label: req.label.chars().take(100).collect(),
                expires_at: now_unix() + i64::from(req.valid_hours.min(24 * 30)) * 3600,
                used: false,
            },
        );
        Ok(())
    })
    .await?;
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
    s.change(|state| {
        let root = state.root_key.clone().unwrap_or(req.root_key.clone());
        if root != req.root_key {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "the root key cannot be changed through the network",
            ));
        }
        let key = DevicePublicKey::from_minisign(&root)
            .map_err(|_| ApiError::bad("root_key is not a valid key"))?;
        key.verify(
            SigningPurpose::RecipientList,
            req.list.list.as_bytes(),
            &req.list.signature,
        )
        .map_err(|_| {
            ApiError::bad("the recipient list's signature does not verify with the root key")
        })?;
        state.root_key = Some(root);
        state.recipients = Some(req.list);
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn desk_devices(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let state = s.state.lock().await;
    let list: Vec<_> = state
        .devices
        .iter()
        .map(|(id, d)| DeviceListing {
            key_id: id.clone(),
            public_key: d.public_key.clone(),
            label: d.label.clone(),
            enrolled_at: d.enrolled_at.clone(),
            revoked_at: d.revoked_at.clone(),
        })
        .collect();
    Ok(Json(list).into_response())
}

pub(crate) async fn desk_revoke(
    State(s): State<Arc<Server>>,
    UrlPath(key_id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    s.change(|state| {
        let d = state
            .devices
            .get_mut(&key_id)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such device"))?;
        d.revoked_at.get_or_insert_with(now_rfc3339);
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn desk_list(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let state = s.state.lock().await;
    let list: Vec<_> = state
        .bundles
        .iter()
        .filter(|(_, b)| b.acknowledged_at.is_none())
        .map(|(id, b)| BundleListing {
            bundle_id: id.clone(),
            device_key_id: b.device_key_id.clone(),
            device_public_key: state
                .devices
                .get(&b.device_key_id)
                .map(|d| d.public_key.clone()),
            size: b.size,
            sha256: b.sha256.clone(),
            received_at: b.received_at.clone(),
        })
        .collect();
    Ok(Json(list).into_response())
}

fn valid_bundle_id(id: &str) -> ApiResult<()> {
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
    if !s.state.lock().await.bundles.contains_key(&id) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such bundle"));
    }
    let file = tokio::fs::File::open(s.storage.path(&id))
        .await
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such bundle"))?;
    let stream = tokio_util_stream(file);
    Response::builder()
        .header("Content-Type", "application/octet-stream")
        .body(Body::from_stream(stream))
        .map_err(|_| ApiError::internal())
}

/// A file as a stream of chunks, for a response body.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

pub(crate) async fn desk_ack(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    valid_bundle_id(&id)?;
    s.change(|state| {
        let b = state
            .bundles
            .get_mut(&id)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such bundle"))?;
        b.acknowledged_at.get_or_insert_with(now_rfc3339);
        Ok(())
    })
    .await?;
    // Deleted only once the acknowledgement is recorded; if this fails,
    // the hourly clean-up deletes it.
    if s.config.retention_days == 0 {
        let _ = s.storage.delete(&id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes acknowledged bundles older than the retention period.
pub async fn collect_garbage(s: &Server) {
    let horizon =
        time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(s.config.retention_days));
    let state = s.state.lock().await;
    for (id, b) in &state.bundles {
        let old = b
            .acknowledged_at
            .as_deref()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .is_some_and(|t| t < horizon);
        if old {
            let _ = s.storage.delete(id);
        }
    }
}
