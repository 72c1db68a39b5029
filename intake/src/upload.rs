//! tus uploads: creation, offsets, PATCHes and termination.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use temoin_proto::tus;
use tokio::sync::Mutex;

use crate::auth::{bearer, check_tus, device_of, header, tus_headers};
use crate::db::{col, db_error, size, text};
use crate::error::{ApiError, ApiResult};
use crate::receipt::{finish, settle};
use crate::s3::{Receiver, S3Store};
use crate::server::Server;
use crate::state::now_unix;
use crate::storage::Store;

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
    let device = device_of(&s.db.pool, &token).await?;
    match open_upload(&s, &device, &bundle_id, length).await? {
        Opened::New(id) | Opened::Existing(id) => created(&id),
        Opened::Full => {
            // Uploads left idle may hold what this one needs.
            if expire_idle(&s).await? > 0 {
                if let Opened::New(id) | Opened::Existing(id) =
                    open_upload(&s, &device, &bundle_id, length).await?
                {
                    return created(&id);
                }
            }
            Err(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server has no room for this bundle now; it will be retried later",
            ))
        }
        Opened::DeviceFull => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "this device has too many unfinished uploads on the server; they will be \
             finished or expire, and this one will be retried later",
        )),
    }
}

/// What opening an upload came to.
enum Opened {
    /// A new upload, with its id.
    New(String),
    /// The bundle is already stored or on its way from this device: the
    /// same upload (idempotent; a replay never makes a second copy).
    Existing(String),
    /// The quota has no room for it.
    Full,
    /// The device's reservations would pass its cap.
    DeviceFull,
}

/// An upload's row, or the bundle it became, for `bundle_id`: its id, if
/// `device` sent it.
async fn existing(
    db: &mut sqlx::AnyConnection,
    device: &str,
    bundle_id: &str,
) -> ApiResult<Option<String>> {
    let queries = [
        (
            "SELECT device_key_id, upload_id FROM bundles WHERE bundle_id = $1",
            "another device already sent a bundle with this id",
        ),
        (
            "SELECT device_key_id, upload_id FROM uploads WHERE bundle_id = $1",
            "another device is already sending a bundle with this id",
        ),
    ];
    for (sql, refusal) in queries {
        if let Some(row) = sqlx::query(sql)
            .bind(bundle_id)
            .fetch_optional(&mut *db)
            .await
            .map_err(db_error)?
        {
            if text(&row, "device_key_id")? != device {
                return Err(ApiError::new(StatusCode::CONFLICT, refusal));
            }
            return Ok(Some(text(&row, "upload_id")?));
        }
    }
    Ok(None)
}

/// Opens an upload in one transaction: the hourly limit, the device's cap
/// and the quota are taken, and the row written, or nothing is.
async fn open_upload(s: &Server, device: &str, bundle_id: &str, length: u64) -> ApiResult<Opened> {
    let now = now_unix();
    let mut tx = s.db.write().await?;
    if let Some(id) = existing(&mut tx, device, bundle_id).await? {
        return Ok(Opened::Existing(id));
    }
    // The hourly limit, in a fixed window per device. This update also
    // locks the device's row, so that its creations are counted one after
    // the other.
    let counted = sqlx::query(
        "UPDATE devices SET \
           window_uploads = CASE WHEN window_start <= $2 THEN 1 ELSE window_uploads + 1 END, \
           window_start = CASE WHEN window_start <= $2 THEN $3 ELSE window_start END \
         WHERE key_id = $1 AND (window_start <= $2 OR window_uploads < $4)",
    )
    .bind(device)
    .bind(now - 3600)
    .bind(now)
    .bind(i64::from(s.config.max_uploads_per_hour))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if counted == 0 {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many uploads from this device in the last hour; it will be retried later",
        ));
    }
    let held: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(length), 0) AS BIGINT) FROM uploads WHERE device_key_id = $1",
    )
    .bind(device)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    if col(length).saturating_add(held) > col(s.config.max_reserved_bytes_per_device) {
        return Ok(Opened::DeviceFull);
    }
    let waiting: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM bundles \
         WHERE device_key_id = $1 AND acknowledged_at IS NULL AND deleted_at IS NULL",
    )
    .bind(device)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    if col(length).saturating_add(held).saturating_add(waiting)
        > col(s.config.max_stored_bytes_per_device)
    {
        return Ok(Opened::DeviceFull);
    }
    let reserved = sqlx::query(
        "UPDATE usage SET reserved_bytes = reserved_bytes + $1 \
         WHERE id = 1 AND stored_bytes + reserved_bytes + $1 <= $2",
    )
    .bind(col(length))
    .bind(col(s.config.quota_bytes))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if reserved == 0 {
        return Ok(Opened::Full);
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let inserted = sqlx::query(
        "INSERT INTO uploads (upload_id, device_key_id, bundle_id, length, received, \
         created_at, touched_at) VALUES ($1, $2, $3, $4, 0, $5, $5) \
         ON CONFLICT (bundle_id) DO NOTHING",
    )
    .bind(&id)
    .bind(device)
    .bind(bundle_id)
    .bind(col(length))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if inserted == 0 {
        // Another instance opened it between our look and our insert.
        drop(tx);
        let mut conn = s.db.pool.acquire().await.map_err(db_error)?;
        return existing(&mut conn, device, bundle_id)
            .await?
            .map(Opened::Existing)
            .ok_or_else(ApiError::internal);
    }
    if let Store::Local(_) = s.store {
        std::fs::File::create(s.part_path(&id))
            .and_then(|f| f.sync_all())
            .map_err(ApiError::io)?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(Opened::New(id))
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

pub(crate) fn valid_upload_id(id: &str) -> ApiResult<()> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"))
    }
}

/// An upload as a request sees it.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) device_key_id: String,
    pub(crate) bundle_id: String,
    pub(crate) length: u64,
    /// Bytes stored and synced (the tus offset).
    pub(crate) offset: u64,
    /// Whether its bundle is stored and its receipt signed.
    pub(crate) done: bool,
}

/// Loads an upload and checks it belongs to the caller's device. A
/// finished upload's record is its bundle's.
pub(crate) async fn load_upload(s: &Server, headers: &HeaderMap, id: &str) -> ApiResult<Upload> {
    valid_upload_id(id)?;
    let token = bearer(headers)?;
    let device = device_of(&s.db.pool, &token).await?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "no such upload");
    // Uploads first, then bundles: a finish moves a row from the one to the
    // other in one transaction, so one of the two looks finds it.
    let u = match sqlx::query(
        "SELECT device_key_id, bundle_id, length, received FROM uploads WHERE upload_id = $1",
    )
    .bind(id)
    .fetch_optional(&s.db.pool)
    .await
    .map_err(db_error)?
    {
        Some(row) => Upload {
            device_key_id: text(&row, "device_key_id")?,
            bundle_id: text(&row, "bundle_id")?,
            length: size(&row, "length")?,
            offset: size(&row, "received")?,
            done: false,
        },
        None => {
            let row = sqlx::query(
                "SELECT device_key_id, bundle_id, size FROM bundles WHERE upload_id = $1",
            )
            .bind(id)
            .fetch_optional(&s.db.pool)
            .await
            .map_err(db_error)?
            .ok_or_else(not_found)?;
            let length = size(&row, "size")?;
            Upload {
                device_key_id: text(&row, "device_key_id")?,
                bundle_id: text(&row, "bundle_id")?,
                length,
                offset: length,
                done: true,
            }
        }
    };
    if u.device_key_id != device {
        return Err(not_found());
    }
    Ok(u)
}

/// Records a PATCH's new offset, and that the upload was active; false if
/// the upload is gone (terminated, expired, or its device revoked) or was
/// moved on by another request.
pub(crate) async fn record_offset(s: &Server, id: &str, from: u64, to: u64) -> ApiResult<bool> {
    let n = sqlx::query(
        "UPDATE uploads SET received = $1, touched_at = $2 WHERE upload_id = $3 AND received = $4",
    )
    .bind(col(to))
    .bind(now_unix())
    .bind(id)
    .bind(col(from))
    .execute(&s.db.pool)
    .await
    .map_err(db_error)?
    .rows_affected();
    Ok(n == 1)
}

/// What [`release`] dropped: enough to discard the upload's bytes.
#[derive(Debug)]
pub(crate) struct Released {
    pub(crate) length: u64,
    upload_id: String,
    bundle_id: String,
    multipart: Option<String>,
}

/// Drops an upload's row in `tx` and releases its reservation; what it
/// dropped, if it was there. The caller discards its bytes
/// ([`discard`]) once `tx` is committed.
pub(crate) async fn release(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    idle_before: Option<i64>,
) -> ApiResult<Option<Released>> {
    let row = sqlx::query(
        "DELETE FROM uploads WHERE upload_id = $1 AND touched_at < $2 \
         RETURNING length, bundle_id, multipart_id",
    )
    .bind(id)
    .bind(idle_before.unwrap_or(i64::MAX))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let length = size(&row, "length")?;
    sqlx::query("UPDATE usage SET reserved_bytes = reserved_bytes - $1 WHERE id = 1")
        .bind(col(length))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    Ok(Some(Released {
        length,
        upload_id: id.to_owned(),
        bundle_id: text(&row, "bundle_id")?,
        multipart: crate::db::opt_text(&row, "multipart_id")?,
    }))
}

/// Removes the bytes of an upload [`release`] dropped (best effort: the
/// periodic clean-up finds what is left).
pub(crate) async fn discard(s: &Server, r: &Released) {
    match &s.store {
        Store::Local(_) => {
            let _ = tokio::fs::remove_file(s.part_path(&r.upload_id)).await;
        }
        Store::S3(bucket) => {
            bucket
                .discard(&r.upload_id, &r.bundle_id, r.multipart.as_deref())
                .await;
            // An object written whole, or a completed multipart upload,
            // that no bundle row names (the upload dropped before its row
            // was written): ciphertext no one would ever fetch or delete.
            bucket.delete_unrecorded(&s.db.pool, &r.bundle_id).await;
        }
    }
    s.uploads.lock().await.remove(&r.upload_id);
    s.running.lock().await.remove(&r.upload_id);
}

/// After an upload's bundle is stored: removes the tails it may have left
/// in a bucket (its multipart upload is complete, not to be aborted).
pub(crate) async fn discard_tails(s: &Server, r: &Released) {
    if let Store::S3(bucket) = &s.store {
        bucket.discard(&r.upload_id, &r.bundle_id, None).await;
    }
}

/// Drops uploads that had no byte for longer than the configured time,
/// releasing their reservations; how many went.
pub(crate) async fn expire_idle(s: &Server) -> ApiResult<usize> {
    let before =
        now_unix().saturating_sub(i64::try_from(s.config.upload_idle_secs).unwrap_or(i64::MAX));
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT upload_id FROM uploads WHERE touched_at < $1")
            .bind(before)
            .fetch_all(&s.db.pool)
            .await
            .map_err(db_error)?;
    let mut gone = 0;
    for id in ids {
        // An upload a request is writing now is not idle; one whose lock
        // cannot be had at once is left for the next round.
        let Ok(Ok(_lease)) =
            tokio::time::timeout(std::time::Duration::from_secs(2), lease(s, &id)).await
        else {
            continue;
        };
        let mut tx = s.db.write().await?;
        if let Some(r) = release(&mut tx, &id, Some(before)).await? {
            tx.commit().await.map_err(db_error)?;
            discard(s, &r).await;
            gone += 1;
        }
    }
    Ok(gone)
}

pub(crate) async fn head_upload(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    let mut u = load_upload(&s, &headers, &id).await?;
    if !u.done && matches!(s.store, Store::Local(_)) {
        // (In a bucket, the offset is what the row says, and a missing
        // tail is found by the next PATCH: no lock to wait for.)
        let _lease = lease(&s, &id).await?;
        drop_if_bytes_gone(&s, &id, u.offset).await?;
    }
    settle(&s, &id, &mut u).await?;
    let mut r = StatusCode::OK.into_response();
    tus_headers(&mut r);
    let h = r.headers_mut();
    h.insert("Upload-Offset", HeaderValue::from(u.offset));
    h.insert("Upload-Length", HeaderValue::from(u.length));
    Ok(r)
}

/// An upload whose bytes up to its recorded offset are no longer on disk
/// (a server folder restored from a backup without `uploads/`, a disk
/// fault) is dropped, its reservation released, and the client told to
/// start again (404, which tus clients answer with a new upload): never
/// zeros in the bytes' place, never a row that answers 500 forever. The
/// caller holds the upload's lock.
async fn drop_if_bytes_gone(s: &Server, id: &str, offset: u64) -> ApiResult<()> {
    if !matches!(s.store, Store::Local(_)) {
        // In a bucket, a missing tail is found when it is read.
        return Ok(());
    }
    let part = s.part_path(id);
    let present = match tokio::fs::metadata(&part).await {
        Ok(m) => m.len() >= offset,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(ApiError::io(e)),
    };
    if present {
        return Ok(());
    }
    drop_upload(s, id).await
}

/// Drops an upload whose bytes are gone, and tells the client to start
/// again (404, which tus clients answer with a new upload): never zeros
/// in the bytes' place, never a row that answers 500 forever.
async fn drop_upload(s: &Server, id: &str) -> ApiResult<()> {
    let mut tx = s.db.write().await?;
    let r = release(&mut tx, id, None).await?;
    tx.commit().await.map_err(db_error)?;
    if let Some(r) = r {
        discard(s, &r).await;
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "this upload's bytes are no longer on the server: start the upload again",
    ))
}

/// An upload's lock, held by one request at a time: in this process, and
/// with PostgreSQL in every instance of the server ([`Db::lock_upload`]).
#[derive(Debug)]
pub(crate) struct Lease {
    _db: Option<sqlx::Transaction<'static, sqlx::Any>>,
    _here: tokio::sync::OwnedMutexGuard<()>,
}

impl Lease {
    /// Checks that the lock is still held: with PostgreSQL, that the
    /// session holding it is alive (a session that died released it, and
    /// another request may hold it now). Called before each write to the
    /// bucket.
    pub(crate) async fn alive(&mut self) -> ApiResult<()> {
        if let Some(tx) = self._db.as_mut() {
            sqlx::query("SELECT 1 AS held")
                .execute(&mut **tx)
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the server lost this upload's lock; try again",
                    )
                })?;
        }
        Ok(())
    }
}

pub(crate) async fn lease(s: &Server, id: &str) -> ApiResult<Lease> {
    let mutex = s
        .uploads
        .lock()
        .await
        .entry(id.to_owned())
        .or_insert_with(|| Arc::new(Mutex::new(())))
        .clone();
    // Waited for as long as PostgreSQL's lock is (`Db::lock_upload`): a
    // PATCH that waits holds its body's buffers (HTTP/2 windows), and one
    // that never ends (a body trickling a byte a minute) must not pile
    // others up behind it for ever.
    let here = tokio::time::timeout(LOCK_WAIT, mutex.lock_owned())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::LOCKED,
                "another request is writing this upload; try again",
            )
        })?;
    Ok(Lease {
        _db: s.db.lock_upload(id).await?,
        _here: here,
    })
}

/// How long a request waits for an upload's lock before it is answered
/// 423 (the device asks where the upload stands, and goes on).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

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
    // The rest runs in a task of its own: over HTTP/2 a request whose
    // stream is reset is dropped where it waits, and a PATCH dropped half
    // way would release the upload's lock while its last write is still
    // going, and never record the bytes it kept. The task holds the lock
    // until every write is done and counted.
    tokio::spawn(patch_locked(s, id, headers, offset, checksum, body))
        .await
        .map_err(|_| ApiError::internal())?
}

async fn patch_locked(
    s: Arc<Server>,
    id: String,
    headers: HeaderMap,
    offset: u64,
    checksum: Option<[u8; 32]>,
    body: Body,
) -> ApiResult<Response> {
    let mut held = lease(&s, &id).await?;
    let mut u = load_upload(&s, &headers, &id).await?;
    if !u.done && u.offset == u.length {
        finish(&s, &mut held, &id, &mut u).await?;
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
    let (offset, cut) = match &s.store {
        Store::Local(_) => receive_local(&s, &id, &u, body, checksum).await?,
        Store::S3(bucket) => receive_s3(&s, bucket, &mut held, &id, &u, body, checksum).await?,
    };
    u.offset = offset;
    if u.offset == u.length {
        finish(&s, &mut held, &id, &mut u).await?;
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

/// How long a PATCH's body may go without a byte before it is taken as
/// cut: a device that trickles a byte now and then must not hold the
/// upload's lock (and the memory of its buffer) for ever.
const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// What a PATCH's body brought next.
enum Piece {
    /// Some of its bytes.
    Data(bytes::Bytes),
    /// Its end.
    End,
    /// The connection dropped, or nothing came for [`BODY_IDLE`].
    Cut,
}

async fn next_piece(body: &mut Body) -> Piece {
    loop {
        match tokio::time::timeout(BODY_IDLE, body.frame()).await {
            Err(_) | Ok(Some(Err(_))) => return Piece::Cut,
            Ok(None) => return Piece::End,
            Ok(Some(Ok(frame))) => {
                // Trailers and other frames carry no bytes of the upload.
                if let Ok(data) = frame.into_data() {
                    return Piece::Data(data);
                }
            }
        }
    }
}

/// A PATCH's body into the upload's file in `uploads/`: the new offset,
/// and whether the body was cut short.
///
/// The request's task receives (TLS, HTTP/2) and hashes each frame as it
/// arrives, and hands the body in 1 MiB pieces to a thread of its own that
/// writes them ([`crate::pieces`]): on one task, writing held the reading
/// back and the sender waited. The hashing stays here because a frame just
/// decrypted is still in the core's cache: on the writing thread, each
/// piece came back from memory for the hash, which then ran at about
/// 1.2 GB/s instead of 1.9.
/// On `bench-upload`'s two cores, curl's one large PATCH to a sink that
/// hashes took 1.8 to 2.4 s per GiB with the hash there, and 1.4 to 1.7 s
/// with it here.
async fn receive_local(
    s: &Server,
    id: &str,
    u: &Upload,
    body: Body,
    checksum: Option<[u8; 32]>,
) -> ApiResult<(u64, bool)> {
    drop_if_bytes_gone(s, id, u.offset).await?;
    let part = s.part_path(id);
    let offset = u.offset;
    let room = u.length - u.offset;
    let opened = part.clone();
    let mut writer = tokio::task::spawn_blocking(move || {
        crate::pieces::PieceWriter::open(&opened, offset, room)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(ApiError::io)?;
    // The body's hash, for its checksum (only if it has one), and the hash
    // of the whole upload so far, carried from PATCH to PATCH so that the
    // finished file need not be read back to sign its receipt.
    let mut hasher = checksum.map(|_| Sha256::new());
    let mut running = take_running(s, id, u.offset).await;
    let mut received = 0u64;
    let mut last_frame = 0u64;
    let mut body = body;
    let mut cut = false;
    let mut too_long = false;
    loop {
        match next_piece(&mut body).await {
            Piece::End => break,
            Piece::Cut => {
                cut = true;
                break;
            }
            Piece::Data(data) => {
                last_frame = data.len() as u64;
                received += last_frame;
                if received > room {
                    too_long = true;
                    break;
                }
                if let Some(h) = hasher.as_mut() {
                    h.update(&data);
                }
                if let Some(h) = running.as_mut() {
                    h.update(&data);
                }
                writer.take(&data).await;
                if writer.failed() {
                    break;
                }
            }
        }
    }
    // The bytes taken before a body went past the upload's length are
    // written, then cut off below with the rest. The writer must have
    // written every byte it was given and no other: the running hash,
    // which the receipt will name, covers those.
    let taken = if too_long {
        received - last_frame
    } else {
        received
    };
    let written = writer.finish().await.and_then(|w| {
        if w.end == offset + taken {
            Ok(w.file)
        } else {
            Err(std::io::Error::other(
                "the writer's end is not the bytes taken",
            ))
        }
    });
    let file = match written {
        Ok(f) => f,
        Err(e) => {
            // Nothing of this PATCH is counted: neither is it left on a
            // disk that may be full.
            let _ = tokio::task::spawn_blocking(move || {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&part)
                    .and_then(|f| f.set_len(offset))
            })
            .await;
            return Err(ApiError::io(e));
        }
    };
    // A body with a checksum is all or nothing; without one, whatever
    // arrived before a connection dropped is kept, so a resume sends only
    // the rest. A body past the upload's length keeps nothing.
    let mismatch = match (checksum, hasher) {
        (Some(expected), Some(h)) if !cut && !too_long => {
            <[u8; 32]>::from(h.finalize()) != expected
        }
        _ => false,
    };
    let keep = if too_long || mismatch || (cut && checksum.is_some()) {
        0
    } else {
        received
    };
    let end = u.offset + keep;
    tokio::task::spawn_blocking(move || {
        file.set_len(end)?;
        file.sync_all()
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(ApiError::io)?;
    if too_long {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body goes past Upload-Length",
        ));
    }
    if mismatch {
        return Err(ApiError::new(
            StatusCode::from_u16(tus::CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
            "the body does not match Upload-Checksum; send it again",
        ));
    }
    if !record_offset(s, id, u.offset, end).await? {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"));
    }
    // The running hash covers exactly the bytes kept, or it is dropped
    // (and the finished file is read back instead).
    if let Some(h) = running {
        if keep == received {
            s.running.lock().await.insert(id.to_owned(), (end, h));
        }
    }
    Ok((end, cut))
}

/// The running hash of upload `id` if it covers exactly its first `offset`
/// bytes (a new one at offset 0); `None` otherwise (this process did not
/// see every byte: it restarted, or a PATCH failed half-way).
async fn take_running(s: &Server, id: &str, offset: u64) -> Option<Sha256> {
    let held = s.running.lock().await.remove(id);
    match held {
        Some((at, h)) if at == offset => Some(h),
        _ if offset == 0 => Some(Sha256::new()),
        _ => None,
    }
}

/// The SHA-256 of upload `id`'s `length` bytes, if this process hashed
/// every one of them as they came.
pub(crate) async fn running_hash(s: &Server, id: &str, length: u64) -> Option<String> {
    match s.running.lock().await.remove(id) {
        Some((at, h)) if at == length => Some(hex::encode(h.finalize())),
        _ => None,
    }
}

/// A PATCH's body into the bucket ([`crate::s3`]): the new offset, and
/// whether the body was cut short.
async fn receive_s3(
    s: &Server,
    bucket: &S3Store,
    lease: &mut Lease,
    id: &str,
    u: &Upload,
    body: Body,
    checksum: Option<[u8; 32]>,
) -> ApiResult<(u64, bool)> {
    match receive_into(s, bucket, lease, id, u, body, checksum).await {
        // The store no longer has what the row names (a multipart upload
        // aborted by a lifecycle rule, a tail gone): the upload starts
        // again, rather than answering 404 to every try until it expires.
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            drop_upload(s, id).await?;
            Err(e)
        }
        other => other,
    }
}

async fn receive_into(
    s: &Server,
    bucket: &S3Store,
    lease: &mut Lease,
    id: &str,
    u: &Upload,
    body: Body,
    checksum: Option<[u8; 32]>,
) -> ApiResult<(u64, bool)> {
    // The row changed under this request (terminated, expired, or moved on
    // by a request that took the lock this one lost): the client asks for
    // the offset again. Not 404, which would drop the upload.
    let gone = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "the upload changed meanwhile: ask for its offset again",
        )
    };
    let Some(mut r) = Receiver::start(
        bucket,
        lease,
        &s.db.pool,
        id,
        &u.bundle_id,
        u.length,
        checksum.is_some(),
    )
    .await?
    else {
        drop_upload(s, id).await?;
        return Err(gone());
    };
    let room = r.room();
    let mut received = 0u64;
    let mut hasher = Sha256::new();
    let mut body = body;
    let mut cut = false;
    loop {
        match next_piece(&mut body).await {
            Piece::End => break,
            Piece::Cut => {
                cut = true;
                break;
            }
            Piece::Data(data) => {
                received += data.len() as u64;
                if received > room {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the body goes past Upload-Length",
                    ));
                }
                hasher.update(&data);
                if !r.take(&data).await? {
                    return Err(gone());
                }
            }
        }
    }
    // As with a file: a body with a checksum is all or nothing; without
    // one, whatever arrived is kept.
    if let Some(expected) = checksum {
        if cut {
            return Ok((u.offset, true));
        }
        if <[u8; 32]>::from(hasher.finalize()) != expected {
            return Err(ApiError::new(
                StatusCode::from_u16(tus::CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
                "the body does not match Upload-Checksum; send it again",
            ));
        }
    }
    let offset = r.keep().await?.ok_or_else(gone)?;
    Ok((offset, cut))
}

pub(crate) async fn terminate(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_tus(&headers)?;
    load_upload(&s, &headers, &id).await?;
    let _lease = lease(&s, &id).await?;
    let u = load_upload(&s, &headers, &id).await?;
    if u.done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a complete upload cannot be terminated",
        ));
    }
    let mut tx = s.db.write().await?;
    let released = release(&mut tx, &id, None).await?;
    tx.commit().await.map_err(db_error)?;
    if let Some(released) = released {
        discard(&s, &released).await;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut r);
    Ok(r)
}
