//! tus uploads: creation, offsets, PATCHes and termination.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use temoin_proto::tus;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::auth::{bearer, check_tus, device_of, header, tus_headers};
use crate::error::{ApiError, ApiResult};
use crate::receipt::{finish, settle};
use crate::server::Server;
use crate::state::{now_unix, write_durably, Upload};

pub(crate) async fn options() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    let h = r.headers_mut();
    h.insert("Tus-Version", HeaderValue::from_static(tus::VERSION));
    h.insert("Tus-Extension", HeaderValue::from_static(tus::EXTENSIONS));
    h.insert(
        "Tus-Checksum-Algorithm",
        HeaderValue::from_static(tus::CHECKSUM_ALGORITHMS),
    );
    r
}

pub(crate) async fn create(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    let token = bearer(&headers)?;
    let length = match header(&headers, "Upload-Length")? {
        Some(v) => tus::parse_u64("Upload-Length", v).map_err(|e| ApiError::bad(e.0))?,
        None => {
            return Err(ApiError::bad(
                "Upload-Length is required (deferred length is not supported)",
            ))
        }
    };
    let metadata = tus::parse_metadata(header(&headers, "Upload-Metadata")?.unwrap_or(""))
        .map_err(|e| ApiError::bad(e.0))?;
    let bundle_id = metadata
        .get("bundle_id")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .ok_or_else(|| ApiError::bad("Upload-Metadata must carry bundle_id, the bundle's UUID"))?
        .to_string();
    if length > s.config.max_upload_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the bundle is larger than this server accepts ({} bytes)",
                s.config.max_upload_bytes
            ),
        ));
    }
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
    let device = device_of(&state, &token)?;
    // A bundle already received, or on its way: the same upload again
    // (idempotent; a replay never makes a second copy).
    if let Some(b) = state.bundles.get(&bundle_id) {
        if b.device_key_id != device {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another device already sent a bundle with this id",
            ));
        }
        return created(&b.upload_id);
    }
    if let Some((existing, owner)) = find_upload(&s, &bundle_id)? {
        if owner != device {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another device is already sending a bundle with this id",
            ));
        }
        return created(&existing);
    }
    let now = now_unix();
    let d = state
        .devices
        .get_mut(&device)
        .ok_or_else(ApiError::internal)?;
    d.recent_uploads.retain(|t| now - t < 3600);
    if d.recent_uploads.len() >= s.config.max_uploads_per_hour as usize {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many uploads from this device in the last hour; it will be retried later",
        ));
    }
    let used =
        s.storage.used_bytes().map_err(ApiError::io)? + reserved_bytes(&s.dir.join("uploads"));
    if used.saturating_add(length) > s.config.quota_bytes {
        return Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "the server has no room for this bundle now; it will be retried later",
        ));
    }
    d.recent_uploads.push(now);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (part, meta) = s.upload_paths(&id);
    std::fs::File::create(&part)
        .and_then(|f| f.sync_all())
        .map_err(ApiError::io)?;
    let upload = Upload {
        device_key_id: device,
        bundle_id,
        length,
        offset: 0,
        created_at: now,
        done: false,
    };
    write_durably(
        &meta,
        &serde_json::to_vec(&upload).map_err(|_| ApiError::internal())?,
    )
    .map_err(ApiError::io)?;
    s.save(&state).await?;
    *guard = state;
    created(&id)
}

/// `201 Created` with the upload's `Location`.
fn created(upload_id: &str) -> ApiResult<Response> {
    let mut r = StatusCode::CREATED.into_response();
    tus_headers(&mut r);
    r.headers_mut().insert(
        "Location",
        HeaderValue::from_str(&format!("/v1/uploads/{upload_id}"))
            .map_err(|_| ApiError::internal())?,
    );
    Ok(r)
}

/// The unfinished upload of `bundle_id`, if any: its id and its device.
pub(crate) fn find_upload(s: &Server, bundle_id: &str) -> ApiResult<Option<(String, String)>> {
    let dir = s.dir.join("uploads");
    for e in std::fs::read_dir(&dir).map_err(ApiError::io)? {
        let path = e.map_err(ApiError::io)?.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        if let Ok(u) =
            serde_json::from_slice::<Upload>(&std::fs::read(&path).map_err(ApiError::io)?)
        {
            if u.bundle_id == bundle_id {
                if let Some(id) = path.file_stem().and_then(|x| x.to_str()) {
                    return Ok(Some((id.to_owned(), u.device_key_id)));
                }
            }
        }
    }
    Ok(None)
}

/// Bytes promised to unfinished uploads (their declared lengths), so that
/// the quota holds for what they will take, not what they hold now.
pub(crate) fn reserved_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("json"))
                .filter_map(|p| std::fs::read(p).ok())
                .filter_map(|b| serde_json::from_slice::<Upload>(&b).ok())
                .map(|u| u.length)
                .fold(0u64, u64::saturating_add)
        })
        .unwrap_or(0)
}

pub(crate) fn valid_upload_id(id: &str) -> ApiResult<()> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"))
    }
}

/// Loads an upload and checks it belongs to the caller's device. A
/// finished upload's record lives in the state's bundles.
pub(crate) async fn load_upload(s: &Server, headers: &HeaderMap, id: &str) -> ApiResult<Upload> {
    valid_upload_id(id)?;
    let token = bearer(headers)?;
    let state = s.state.lock().await;
    let device = device_of(&state, &token)?;
    if let Some((bundle_id, b)) = state.bundles.iter().find(|(_, b)| b.upload_id == id) {
        if b.device_key_id != device {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"));
        }
        return Ok(Upload {
            device_key_id: device,
            bundle_id: bundle_id.clone(),
            length: b.size,
            offset: b.size,
            created_at: 0,
            done: true,
        });
    }
    drop(state);
    let (_, meta) = s.upload_paths(id);
    let bytes =
        std::fs::read(&meta).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such upload"))?;
    let u: Upload = serde_json::from_slice(&bytes).map_err(|_| ApiError::internal())?;
    if u.device_key_id != device {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"));
    }
    Ok(u)
}

pub(crate) async fn head_upload(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    let mut u = load_upload(&s, &headers, &id).await?;
    settle(&s, &id, &mut u).await?;
    let mut r = StatusCode::OK.into_response();
    tus_headers(&mut r);
    let h = r.headers_mut();
    h.insert("Upload-Offset", HeaderValue::from(u.offset));
    h.insert("Upload-Length", HeaderValue::from(u.length));
    Ok(r)
}

pub(crate) async fn upload_lock(s: &Server, id: &str) -> Arc<Mutex<()>> {
    s.uploads
        .lock()
        .await
        .entry(id.to_owned())
        .or_insert_with(|| Arc::new(Mutex::new(())))
        .clone()
}

pub(crate) async fn patch(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    if header(&headers, "Content-Type")? != Some(tus::OFFSET_CONTENT_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/offset+octet-stream",
        ));
    }
    let offset = match header(&headers, "Upload-Offset")? {
        Some(v) => tus::parse_u64("Upload-Offset", v).map_err(|e| ApiError::bad(e.0))?,
        None => return Err(ApiError::bad("Upload-Offset is required")),
    };
    let checksum = header(&headers, "Upload-Checksum")?
        .map(tus::parse_checksum)
        .transpose()
        .map_err(|e| ApiError::bad(e.0))?;
    // Authenticated (and the id checked) before a lock is made for it.
    load_upload(&s, &headers, &id).await?;
    let lock = upload_lock(&s, &id).await;
    let _guard = lock.lock().await;
    let mut u = load_upload(&s, &headers, &id).await?;
    if !u.done && u.offset == u.length {
        finish(&s, &id, &mut u).await?;
    }
    if u.done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this upload is already complete",
        ));
    }
    if offset != u.offset {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "Upload-Offset {offset} is not the upload's offset {}",
                u.offset
            ),
        ));
    }
    let (part, meta) = s.upload_paths(&id);
    let mut raw = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .await
        .map_err(ApiError::io)?;
    raw.set_len(u.offset).await.map_err(ApiError::io)?;
    use tokio::io::AsyncSeekExt;
    raw.seek(std::io::SeekFrom::Start(u.offset))
        .await
        .map_err(ApiError::io)?;
    // Bodies arrive in small frames, and each tokio file write is a trip to
    // a blocking thread, so they are gathered into 1 MiB writes.
    let mut file = tokio::io::BufWriter::with_capacity(1024 * 1024, raw);
    let room = u.length - u.offset;
    let mut received = 0u64;
    let mut hasher = Sha256::new();
    let mut body = body;
    let mut cut = false;
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    received += data.len() as u64;
                    if received > room {
                        file.flush().await.map_err(ApiError::io)?;
                        file.get_ref()
                            .set_len(u.offset)
                            .await
                            .map_err(ApiError::io)?;
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "the body goes past Upload-Length",
                        ));
                    }
                    hasher.update(&data);
                    file.write_all(&data).await.map_err(ApiError::io)?;
                }
            }
            Some(Err(_)) => {
                cut = true;
                break;
            }
        }
    }
    // A body with a checksum is all or nothing; without one, whatever
    // arrived before a connection dropped is kept, so a resume sends only
    // the rest.
    let keep = if cut && checksum.is_some() {
        0
    } else if let Some(expected) = checksum {
        if <[u8; 32]>::from(hasher.finalize()) != expected {
            file.flush().await.map_err(ApiError::io)?;
            file.get_ref()
                .set_len(u.offset)
                .await
                .map_err(ApiError::io)?;
            return Err(ApiError::new(
                StatusCode::from_u16(tus::CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
                "the body does not match Upload-Checksum; send it again",
            ));
        }
        received
    } else {
        received
    };
    file.flush().await.map_err(ApiError::io)?;
    let file = file.into_inner();
    file.set_len(u.offset + keep).await.map_err(ApiError::io)?;
    file.sync_all().await.map_err(ApiError::io)?;
    drop(file);
    u.offset += keep;
    if u.offset == u.length {
        finish(&s, &id, &mut u).await?;
    } else {
        write_durably(
            &meta,
            &serde_json::to_vec(&u).map_err(|_| ApiError::internal())?,
        )
        .map_err(ApiError::io)?;
    }
    if cut {
        return Err(ApiError::bad(
            "the connection closed before the body was complete",
        ));
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    r.headers_mut()
        .insert("Upload-Offset", HeaderValue::from(u.offset));
    Ok(r)
}

pub(crate) async fn terminate(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    load_upload(&s, &headers, &id).await?;
    let lock = upload_lock(&s, &id).await;
    let _guard = lock.lock().await;
    let u = load_upload(&s, &headers, &id).await?;
    if u.done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a complete upload cannot be terminated",
        ));
    }
    let (part, meta) = s.upload_paths(&id);
    let _ = std::fs::remove_file(part);
    let _ = std::fs::remove_file(meta);
    s.uploads.lock().await.remove(&id);
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    Ok(r)
}
