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

use crate::db::{col, db_error};
use crate::error::{ApiError, ApiResult};
use crate::server::Server;
use crate::state::now_rfc3339;
use crate::storage::Store;
use crate::upload::{discard, discard_tails, lease, load_upload, release, Lease, Upload};

/// Stores a complete upload and signs its receipt. Safe to run again after
/// a crash at any point: the upload's row says "complete" (received =
/// length) before anything moves, the bytes are hashed from wherever they
/// are (the upload file, or the store if a first attempt moved them), and
/// the bundle's row is written and the upload's dropped in one
/// transaction, after the bytes are in the store.
pub(crate) async fn finish(
    s: &Server,
    held: &mut Lease,
    id: &str,
    u: &mut Upload,
) -> ApiResult<()> {
    let stored_by: Option<String> =
        sqlx::query_scalar("SELECT upload_id FROM bundles WHERE bundle_id = $1")
            .bind(&u.bundle_id)
            .fetch_optional(&s.db.pool)
            .await
            .map_err(db_error)?;
    match stored_by {
        Some(other) if other != id => {
            // Another upload (a replay that raced this one) finished this
            // bundle id first: never overwrite a stored bundle.
            let mut tx = s.db.write().await?;
            let released = release(&mut tx, id, None).await?;
            tx.commit().await.map_err(db_error)?;
            if let Some(r) = released {
                discard(s, &r).await;
            }
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "a bundle with this id is already stored",
            ));
        }
        // Finished by another request meanwhile.
        Some(_) => {
            u.done = true;
            return Ok(());
        }
        None => {}
    }
    let sha = match &s.store {
        Store::Local(local) => {
            let part = s.part_path(id);
            let source = if part.exists() {
                part.clone()
            } else {
                local.path(&u.bundle_id)
            };
            let known = crate::upload::running_hash(s, id, u.length).await;
            let sha = if let Some(sha) = known {
                sha
            } else {
                tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                    let mut f = std::fs::File::open(&source)?;
                    let mut h = Sha256::new();
                    std::io::copy(&mut f, &mut h)?;
                    Ok(hex::encode(h.finalize()))
                })
                .await
                .map_err(|_| ApiError::internal())?
                .map_err(ApiError::io)?
            };
            if part.exists() {
                local.put(&u.bundle_id, &part).map_err(ApiError::io)?;
            }
            sha
        }
        Store::S3(bucket) => {
            match crate::s3::assemble(bucket, held, &s.db.pool, id, &u.bundle_id, u.length).await {
                Ok(sha) => sha,
                // What the row names is not in the store (or the row does
                // not add up): the upload starts again.
                Err(e) if e.status() == StatusCode::NOT_FOUND => {
                    let mut tx = s.db.write().await?;
                    let released = release(&mut tx, id, None).await?;
                    tx.commit().await.map_err(db_error)?;
                    if let Some(r) = released {
                        discard(s, &r).await;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    };
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
    let signed = serde_json::to_string(&SignedList {
        list: text,
        signature,
    })
    .map_err(|_| ApiError::internal())?;
    let mut tx = s.db.write().await?;
    // The upload's row goes first: if it went while this finish ran
    // (revoked, expired, terminated), nothing is recorded and no receipt is
    // given, whatever was hashed. With PostgreSQL the row's lock orders
    // this against a revocation.
    let Some(r) = release(&mut tx, id, None).await? else {
        drop(tx);
        let by: Option<String> =
            sqlx::query_scalar("SELECT upload_id FROM bundles WHERE bundle_id = $1")
                .bind(&u.bundle_id)
                .fetch_optional(&s.db.pool)
                .await
                .map_err(db_error)?;
        if by.as_deref() == Some(id) {
            // Finished by another request meanwhile.
            u.done = true;
            return Ok(());
        }
        if by.is_none() {
            // Bytes stored for an upload that is no more: no row will
            // ever name them.
            match &s.store {
                Store::Local(local) => {
                    let _ = std::fs::remove_file(local.path(&u.bundle_id));
                }
                Store::S3(bucket) => bucket.delete_unrecorded(&s.db.pool, &u.bundle_id).await,
            }
        }
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"));
    };
    let inserted = sqlx::query(
        "INSERT INTO bundles (bundle_id, device_key_id, upload_id, size, sha256, received_at, \
         receipt) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (bundle_id) DO NOTHING",
    )
    .bind(&u.bundle_id)
    .bind(&u.device_key_id)
    .bind(id)
    .bind(col(u.length))
    .bind(&sha)
    .bind(&receipt.received_at)
    .bind(&signed)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if inserted == 0 {
        // Another upload stored this bundle id first (the transaction is
        // dropped: this upload's row stays, and a later finish refuses it).
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a bundle with this id is already stored",
        ));
    }
    sqlx::query("UPDATE usage SET stored_bytes = stored_bytes + $1 WHERE id = 1")
        .bind(col(r.length))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    // The multipart upload is complete: only tails can be left.
    discard_tails(s, &r).await;
    s.uploads.lock().await.remove(id);
    u.done = true;
    Ok(())
}

/// An upload whose bytes are all in but whose finishing was interrupted
/// (a crash) is finished now.
pub(crate) async fn settle(s: &Server, id: &str, u: &mut Upload) -> ApiResult<()> {
    if !u.done && u.offset == u.length {
        let mut held = lease(s, id).await?;
        finish(s, &mut held, id, u).await?;
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
    // Signed with the key the server holds now: after a rotation
    // (docs/deploy.md, section 7), a device that had not fetched the
    // receipt of a bundle stored before it takes it from the new key, the
    // only one OMCT may still name. Only a receipt this key or a previous
    // one ([receipt] previous_keys) signed, and that says what the
    // bundle's row says for this upload, is signed again: a row written
    // behind the server's back gets nothing signed.
    let row: (String, i64, String, String, String) = sqlx::query_as(
        "SELECT device_key_id, size, sha256, received_at, receipt FROM bundles \
         WHERE bundle_id = $1 AND upload_id = $2",
    )
    .bind(&u.bundle_id)
    .bind(&id)
    .fetch_optional(&s.db.pool)
    .await
    .map_err(db_error)?
    .ok_or_else(ApiError::internal)?;
    let (device_key_id, size, sha256, received_at, stored) = row;
    let size = u64::try_from(size).map_err(|_| ApiError::internal())?;
    let mine = device_key_id == u.device_key_id && size == u.length;
    let text = serde_json::to_string(&Receipt {
        v: RECEIPT_V1.into(),
        bundle_id: u.bundle_id.clone(),
        device_key_id,
        sha256,
        size,
        received_at,
    })
    .map_err(|_| ApiError::internal())?;
    let stored: SignedList = serde_json::from_str(&stored).map_err(|_| ApiError::internal())?;
    let current = s.receipt_key.public();
    let signed_here = std::iter::once(&current)
        .chain(&s.previous_receipt_keys)
        .any(|k| {
            k.verify(
                SigningPurpose::Receipt,
                stored.list.as_bytes(),
                &stored.signature,
            )
            .is_ok()
        });
    if !(mine && signed_here && stored.list == text) {
        return Err(ApiError::internal().because(
            "a stored receipt that no key of this server signed, or that does not match its bundle",
        ));
    }
    let signature = s.receipt_key.sign(SigningPurpose::Receipt, text.as_bytes());
    Ok(Json(SignedList {
        list: text,
        signature,
    })
    .into_response())
}

/// The desk's signed acknowledgement of a finished upload's bundle, as the
/// desk sent it: `200` with it, or `204` while the desk has not sent one.
pub(crate) async fn acknowledgement(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let u = load_upload(&s, &headers, &id).await?;
    if !u.done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the upload is not complete",
        ));
    }
    let ack: Option<Option<String>> =
        sqlx::query_scalar("SELECT desk_ack FROM bundles WHERE bundle_id = $1")
            .bind(&u.bundle_id)
            .fetch_optional(&s.db.pool)
            .await
            .map_err(db_error)?;
    match ack.flatten() {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(text) => {
            let signed: SignedList =
                serde_json::from_str(&text).map_err(|_| ApiError::internal())?;
            Ok(Json(signed).into_response())
        }
    }
}
