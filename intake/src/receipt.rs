//! Finishing an upload: the bytes hashed where they lie, moved into the
//! store, and a receipt signed, in an order a crash cannot break.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};
use temoin_crypto::sign::SigningPurpose;
use temoin_proto::receipt::{Receipt, RECEIPT_V1};
use temoin_proto::SignedList;

use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::{now_rfc3339, write_durably, StoredBundle, Upload};
use crate::upload::{load_upload, upload_lock};

/// Stores a complete upload and signs its receipt. Safe to run again after
/// a crash at any point: the upload's record says "complete" (offset =
/// length) before anything moves, the bytes are hashed from wherever they
/// are (the upload file, or the store if a first attempt moved them), and
/// the state naming the bundle is saved before the upload's record goes.
pub(crate) async fn finish(s: &Server, id: &str, u: &mut Upload) -> ApiResult<()> {
    let (part, meta) = s.upload_paths(id);
    write_durably(
        &meta,
        &serde_json::to_vec(&*u).map_err(|_| ApiError::internal())?,
    )
    .map_err(ApiError::io)?;
    {
        let state = s.state.lock().await;
        if let Some(b) = state.bundles.get(&u.bundle_id) {
            if b.upload_id != id {
                // Another upload (another device's, or a race) finished
                // this bundle id first: never overwrite a stored bundle.
                drop(state);
                let _ = std::fs::remove_file(&part);
                let _ = std::fs::remove_file(&meta);
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "a bundle with this id is already stored",
                ));
            }
        }
    }
    let source = if part.exists() {
        part.clone()
    } else {
        s.storage.path(&u.bundle_id)
    };
    let sha = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut f = std::fs::File::open(&source)?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h)?;
        Ok(hex::encode(h.finalize()))
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(ApiError::io)?;
    if part.exists() {
        s.storage.put(&u.bundle_id, &part).map_err(ApiError::io)?;
    }
    let receipt = Receipt {
        v: RECEIPT_V1.into(),
        bundle_id: u.bundle_id.clone(),
        device_key_id: u.device_key_id.clone(),
        sha256: sha.clone(),
        size: u.length,
        received_at: now_rfc3339(),
    };
    let text = serde_json::to_string(&receipt).map_err(|_| ApiError::internal())?;
    let signature = s.receipt_key.sign(SigningPurpose::Receipt, text.as_bytes());
    s.change(|state| {
        state.bundles.insert(
            u.bundle_id.clone(),
            StoredBundle {
                device_key_id: u.device_key_id.clone(),
                size: u.length,
                sha256: sha,
                received_at: receipt.received_at.clone(),
                upload_id: id.to_owned(),
                receipt: SignedList {
                    list: text,
                    signature,
                },
                acknowledged_at: None,
            },
        );
        Ok(())
    })
    .await?;
    let _ = std::fs::remove_file(&meta);
    s.uploads.lock().await.remove(id);
    u.done = true;
    Ok(())
}

/// An upload whose bytes are all in but whose finishing was interrupted
/// (a crash) is finished now.
pub(crate) async fn settle(s: &Server, id: &str, u: &mut Upload) -> ApiResult<()> {
    if !u.done && u.offset == u.length {
        let lock = upload_lock(s, id).await;
        let _guard = lock.lock().await;
        finish(s, id, u).await?;
    }
    Ok(())
}

pub(crate) async fn receipt(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut u = load_upload(&s, &headers, &id).await?;
    settle(&s, &id, &mut u).await?;
    if !u.done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the upload is not complete",
        ));
    }
    let state = s.state.lock().await;
    let b = state
        .bundles
        .get(&u.bundle_id)
        .ok_or_else(ApiError::internal)?;
    Ok(Json(&b.receipt).into_response())
}
