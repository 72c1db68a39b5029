//! Bundles in S3-compatible object storage, through `object_store`'s S3
//! client, for servers that run as several instances (or on a disk too
//! small for every bundle).
//!
//! A tus upload is an S3 multipart upload to the bundle's own key. Tus
//! PATCHes come in any size and S3 parts must be at least 5 MiB (all but
//! the last), so the server cuts its own parts of exactly [`PART`] bytes
//! from whatever arrives, and keeps the bytes after the last part (the
//! tail) as an object of its own under a key never written twice, until
//! the next PATCH or the end, as tusd's S3 store does. Unlike tusd, every
//! fact about the upload (the multipart id, each part's ETag, the tail's
//! key, the offset) is a column of the upload's row in the database
//! (migration 0009), written in one transaction after the bytes it counts
//! are stored. So any instance continues any upload, a crash loses at most
//! what was not yet answered, and nothing is deleted before what replaces
//! it is written.
//!
//! The finished object is read back and hashed before the receipt is
//! signed: the receipt is over what the store holds, whichever instance
//! received which part.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as Key;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};
use sha2::{Digest, Sha256};

use crate::db::{col, db_error, opt_text, size, text};
use crate::error::{ApiError, ApiResult, SetupError};

/// The size of every part but the last: above S3's 5 MiB minimum, and the
/// size of our own client's PATCHes, so that its uploads need no tail.
pub(crate) const PART: usize = 8 * 1024 * 1024;

/// Where the bucket is and how to sign requests to it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct S3Settings {
    /// The endpoint URL (`https://s3.example.org`, or
    /// `http://127.0.0.1:8333` for a store on the same machine).
    pub(crate) endpoint: String,
    /// The bucket, which must exist.
    pub(crate) bucket: String,
    /// The region (most S3-compatible stores accept any).
    pub(crate) region: String,
    /// The access key id.
    pub(crate) access_key_id: String,
    /// The secret access key.
    pub(crate) secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// The bucket.
#[derive(Debug, Clone)]
pub(crate) struct S3Store {
    store: Arc<AmazonS3>,
}

/// A store failure as an answer: the client tries again later, and nothing
/// of the request is said.
fn store_error(e: object_store::Error) -> ApiError {
    match e {
        object_store::Error::NotFound { .. } => ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "this upload's bytes are no longer on the server: start the upload again",
        ),
        _ => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot reach its bundle store; try again later",
        ),
    }
}

impl S3Store {
    /// A client for the bucket, and one request to check it answers.
    pub(crate) async fn open(settings: &S3Settings) -> Result<S3Store, SetupError> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&settings.endpoint)
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_allow_http(settings.endpoint.starts_with("http://"))
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(settings.endpoint.starts_with("http://"))
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(120)),
            )
            // A store that is down fails a request within seconds, and the
            // device tries again later; never a PATCH held for minutes.
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
            })
            .build()
            .map_err(|_| SetupError::Storage("the [storage] S3 settings are not valid".into()))?;
        let s = S3Store {
            store: Arc::new(store),
        };
        match s.store.head(&Key::from("bundles/.reachable")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(s),
            Err(object_store::Error::PermissionDenied { .. })
            | Err(object_store::Error::Unauthenticated { .. }) => Err(SetupError::Storage(
                "the bucket refused the access key: check access_key_id and the secret".into(),
            )),
            Err(_) => Err(SetupError::Storage(
                "the S3 endpoint did not answer, or the bucket does not exist".into(),
            )),
        }
    }

    fn bundle_key(bundle_id: &str) -> Key {
        Key::from(format!("bundles/{bundle_id}.tar.age"))
    }

    fn tail_prefix(upload_id: &str) -> Key {
        Key::from(format!("uploads/{upload_id}"))
    }

    fn new_tail_key(upload_id: &str) -> String {
        format!("uploads/{upload_id}/{}.tail", uuid::Uuid::new_v4().simple())
    }

    /// A stored bundle's bytes, as a stream.
    pub(crate) async fn read(
        &self,
        bundle_id: &str,
    ) -> ApiResult<impl futures_util::Stream<Item = std::io::Result<Bytes>> + use<>> {
        let got = self
            .store
            .get(&Self::bundle_key(bundle_id))
            .await
            .map_err(store_error)?;
        Ok(got
            .into_stream()
            .map(|r| r.map_err(|_| std::io::Error::other("the bundle store failed"))))
    }

    /// Deletes a stored bundle (one already gone is not an error).
    pub(crate) async fn delete(&self, bundle_id: &str) -> ApiResult<()> {
        match self.store.delete(&Self::bundle_key(bundle_id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Drops what an upload left in the store: its multipart upload and
    /// its tails. Best effort: what is left is found by
    /// [`S3Store::collect_orphans`] or the bucket's lifecycle rule.
    pub(crate) async fn discard(&self, upload_id: &str, bundle_id: &str, multipart: Option<&str>) {
        if let Some(m) = multipart {
            let _ = self
                .store
                .abort_multipart(&Self::bundle_key(bundle_id), &m.to_owned())
                .await;
        }
        self.delete_tails(upload_id).await;
    }

    async fn delete_tails(&self, upload_id: &str) {
        let prefix = Self::tail_prefix(upload_id);
        let keys: Vec<Key> = self
            .store
            .list(Some(&prefix))
            .filter_map(|m| async move { m.ok().map(|m| m.location) })
            .collect()
            .await;
        for k in keys {
            let _ = self.store.delete(&k).await;
        }
    }

    /// Tails of uploads that no row names any more (a crash between
    /// writing a tail and recording it), older than `idle`.
    pub(crate) async fn collect_orphans(&self, pool: &sqlx::AnyPool, idle: Duration) {
        let before = std::time::SystemTime::now().checked_sub(idle);
        let mut listing = self.store.list(Some(&Key::from("uploads")));
        let mut seen = std::collections::BTreeSet::new();
        while let Some(Ok(meta)) = listing.next().await {
            let old = before.is_some_and(|b| std::time::SystemTime::from(meta.last_modified) < b);
            let Some(upload) = meta.location.parts().nth(1) else {
                continue;
            };
            let upload = upload.as_ref().to_owned();
            if !old || crate::upload::valid_upload_id(&upload).is_err() {
                continue;
            }
            if !seen.insert(upload.clone()) {
                continue;
            }
            let named: Result<Option<String>, _> =
                sqlx::query_scalar("SELECT upload_id FROM uploads WHERE upload_id = $1")
                    .bind(&upload)
                    .fetch_optional(pool)
                    .await;
            if let Ok(None) = named {
                self.delete_tails(&upload).await;
            }
        }
    }
}

/// An upload's bytes in the store, as its row records them.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// The S3 multipart upload, once its first part is needed.
    pub(crate) multipart: Option<String>,
    /// The parts' ETags, in order; every one [`PART`] bytes but the last.
    parts: Vec<String>,
    /// The bytes in those parts.
    parts_bytes: u64,
    /// The tail's key: the bytes after the parts, up to the offset.
    tail: Option<String>,
    /// The offset: `parts_bytes` and the tail's size.
    received: u64,
}

impl Stored {
    /// The row of upload `id`; `None` if it is gone.
    pub(crate) async fn load(
        db: impl sqlx::Executor<'_, Database = sqlx::Any>,
        id: &str,
    ) -> ApiResult<Option<Stored>> {
        let Some(row) = sqlx::query(
            "SELECT multipart_id, parts, parts_bytes, tail_key, received FROM uploads \
             WHERE upload_id = $1",
        )
        .bind(id)
        .fetch_optional(db)
        .await
        .map_err(db_error)?
        else {
            return Ok(None);
        };
        let parts = text(&row, "parts")?;
        Ok(Some(Stored {
            multipart: opt_text(&row, "multipart_id")?,
            parts: parts.lines().map(str::to_owned).collect(),
            parts_bytes: size(&row, "parts_bytes")?,
            tail: opt_text(&row, "tail_key")?,
            received: size(&row, "received")?,
        }))
    }

    /// Records the new state if the row is still as `before` left it; false
    /// if the upload is gone (terminated, expired, revoked).
    async fn commit(&self, pool: &sqlx::AnyPool, id: &str, before: (u64, u64)) -> ApiResult<bool> {
        let n = sqlx::query(
            "UPDATE uploads SET multipart_id = $1, parts = $2, parts_bytes = $3, tail_key = $4, \
             received = $5, touched_at = $6 \
             WHERE upload_id = $7 AND received = $8 AND parts_bytes = $9",
        )
        .bind(&self.multipart)
        .bind(self.parts.join("\n"))
        .bind(col(self.parts_bytes))
        .bind(&self.tail)
        .bind(col(self.received))
        .bind(crate::state::now_unix())
        .bind(id)
        .bind(col(before.0))
        .bind(col(before.1))
        .execute(pool)
        .await
        .map_err(db_error)?
        .rows_affected();
        Ok(n == 1)
    }
}

/// One upload's PATCH into the store. The caller holds the upload's lock,
/// checked the offset, and passes the body's frames.
pub(crate) struct Receiver<'a> {
    store: &'a S3Store,
    pool: &'a sqlx::AnyPool,
    id: &'a str,
    bundle_id: &'a str,
    length: u64,
    state: Stored,
    /// Bytes after the last part: the tail read back, then the body.
    buf: BytesMut,
    /// With a checksum the body is all or nothing: its parts are stored as
    /// they fill, but recorded only once the whole body matched.
    hold: bool,
    held: Vec<String>,
    /// A tail replaced by a part or a newer tail, deleted once the row no
    /// longer names it.
    stale_tails: Vec<String>,
}

impl std::fmt::Debug for Receiver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("id", &self.id).finish()
    }
}

impl<'a> Receiver<'a> {
    /// Reads upload `id`'s state and tail; `None` if the upload is gone
    /// or its tail is no longer in the store.
    pub(crate) async fn start(
        store: &'a S3Store,
        pool: &'a sqlx::AnyPool,
        id: &'a str,
        bundle_id: &'a str,
        length: u64,
        hold: bool,
    ) -> ApiResult<Option<Receiver<'a>>> {
        let Some(state) = Stored::load(pool, id).await? else {
            return Ok(None);
        };
        let mut buf = BytesMut::new();
        if let Some(key) = &state.tail {
            let tail = match store.store.get(&Key::from(key.as_str())).await {
                Ok(got) => got.bytes().await.map_err(store_error)?,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(store_error(e)),
            };
            if state.parts_bytes + tail.len() as u64 != state.received {
                return Ok(None);
            }
            buf.extend_from_slice(&tail);
        }
        Ok(Some(Receiver {
            store,
            pool,
            id,
            bundle_id,
            length,
            state,
            buf,
            hold,
            held: Vec::new(),
            stale_tails: Vec::new(),
        }))
    }

    /// The bytes a body may still bring.
    pub(crate) fn room(&self) -> u64 {
        self.length - self.state.received
    }

    /// Takes some of the body: every full part is stored (and, without a
    /// checksum, recorded) as soon as it fills.
    pub(crate) async fn take(&mut self, data: &[u8]) -> ApiResult<bool> {
        self.buf.extend_from_slice(data);
        while self.buf.len() >= PART {
            let part = self.buf.split_to(PART).freeze();
            if !self.put_part(part).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn put_part(&mut self, part: Bytes) -> ApiResult<bool> {
        let key = S3Store::bundle_key(self.bundle_id);
        if self.state.multipart.is_none() {
            let m = self
                .store
                .store
                .create_multipart(&key)
                .await
                .map_err(store_error)?;
            let before = (self.state.received, self.state.parts_bytes);
            self.state.multipart = Some(m);
            if !self.state.commit(self.pool, self.id, before).await? {
                return Ok(false);
            }
        }
        let m = self.state.multipart.clone().unwrap_or_default();
        let index = self.state.parts.len() + self.held.len();
        let len = part.len() as u64;
        let etag = self
            .store
            .store
            .put_part(&key, &m, index, PutPayload::from(part))
            .await
            .map_err(store_error)?
            .content_id;
        self.held.push(etag);
        if self.hold {
            return Ok(true);
        }
        // The part holds the old tail's bytes and the body's first ones:
        // recorded, the offset is the parts' end, and the tail unneeded.
        let before = (self.state.received, self.state.parts_bytes);
        self.state.parts.append(&mut self.held);
        self.state.parts_bytes += len;
        self.state.received = self.state.parts_bytes;
        if let Some(old) = self.state.tail.take() {
            self.stale_tails.push(old);
        }
        let ok = self.state.commit(self.pool, self.id, before).await?;
        self.delete_stale().await;
        Ok(ok)
    }

    async fn delete_stale(&mut self) {
        for k in std::mem::take(&mut self.stale_tails) {
            let _ = self.store.store.delete(&Key::from(k)).await;
        }
    }

    /// Records the body taken so far (after a cut, what arrived): parts
    /// held for a checksum, then the rest as a new tail, or as the last
    /// part (or the whole object) when the upload is complete. The new
    /// offset, or `None` if the upload went meanwhile.
    pub(crate) async fn keep(mut self) -> ApiResult<Option<u64>> {
        let before = (self.state.received, self.state.parts_bytes);
        let held_bytes = (self.held.len() * PART) as u64;
        self.state.parts.append(&mut self.held);
        self.state.parts_bytes += held_bytes;
        let rest = self.buf.split().freeze();
        let end = self.state.parts_bytes + rest.len() as u64;
        // Nothing new: the row stands as it is (an empty body, or a body
        // that ended exactly at a part it recorded).
        let complete_with_tail = end == self.length && !rest.is_empty();
        if held_bytes == 0 && end == before.0 && !complete_with_tail {
            self.delete_stale().await;
            return Ok(Some(end));
        }
        if let Some(old) = self.state.tail.take() {
            self.stale_tails.push(old);
        }
        if rest.is_empty() {
            // Nothing after the parts.
        } else if end == self.length && self.state.multipart.is_none() {
            // The whole bundle passed through this request: one object.
            // Never over a bundle another upload stored (the bundle's id
            // is taken by one upload only, but a key is never trusted to
            // be free on that ground alone).
            let taken: Option<String> =
                sqlx::query_scalar("SELECT upload_id FROM bundles WHERE bundle_id = $1")
                    .bind(self.bundle_id)
                    .fetch_optional(self.pool)
                    .await
                    .map_err(db_error)?;
            if taken.is_some() {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "a bundle with this id is already stored",
                ));
            }
            self.store
                .store
                .put(&S3Store::bundle_key(self.bundle_id), PutPayload::from(rest))
                .await
                .map_err(store_error)?;
            self.state.parts_bytes = end;
        } else if end == self.length {
            let len = rest.len() as u64;
            let index = self.state.parts.len();
            let m = self.state.multipart.clone().unwrap_or_default();
            let etag = self
                .store
                .store
                .put_part(
                    &S3Store::bundle_key(self.bundle_id),
                    &m,
                    index,
                    PutPayload::from(rest),
                )
                .await
                .map_err(store_error)?
                .content_id;
            self.state.parts.push(etag);
            self.state.parts_bytes += len;
        } else {
            let key = S3Store::new_tail_key(self.id);
            self.store
                .store
                .put(&Key::from(key.as_str()), PutPayload::from(rest))
                .await
                .map_err(store_error)?;
            self.state.tail = Some(key);
        }
        self.state.received = end;
        if !self.state.commit(self.pool, self.id, before).await? {
            return Ok(None);
        }
        self.delete_stale().await;
        Ok(Some(end))
    }
}

/// Puts a complete upload's object together (the tail as the last part,
/// then the multipart upload completed) and hashes what the store holds.
/// Safe to run again: a completion whose answer was lost is recognised by
/// the object's size.
pub(crate) async fn assemble(
    store: &S3Store,
    pool: &sqlx::AnyPool,
    id: &str,
    bundle_id: &str,
    length: u64,
) -> ApiResult<String> {
    let key = S3Store::bundle_key(bundle_id);
    if let Some(state) = Stored::load(pool, id).await? {
        if state.received != length {
            return Err(ApiError::internal());
        }
        if state.tail.is_some() {
            // A PATCH cut short left the last bytes as a tail.
            let r = Receiver::start(store, pool, id, bundle_id, length, false)
                .await?
                .ok_or_else(gone)?;
            r.keep().await?.ok_or_else(gone)?;
        }
        let state = Stored::load(pool, id).await?.ok_or_else(gone)?;
        if let Some(m) = &state.multipart {
            let parts = state
                .parts
                .iter()
                .map(|e| PartId {
                    content_id: e.clone(),
                })
                .collect();
            if let Err(e) = store.store.complete_multipart(&key, m, parts).await {
                // Completed by an earlier attempt whose answer was lost?
                match store.store.head(&key).await {
                    Ok(meta) if meta.size == length => {}
                    _ => return Err(store_error(e)),
                }
            }
        }
    }
    let got = store.store.get(&key).await.map_err(store_error)?;
    let mut stream = got.into_stream();
    let mut h = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(store_error)?;
        n += chunk.len() as u64;
        h.update(&chunk);
    }
    if n != length {
        // Never a receipt for bytes the store does not hold.
        return Err(ApiError::internal());
    }
    Ok(hex::encode(h.finalize()))
}

fn gone() -> ApiError {
    store_error(object_store::Error::NotFound {
        path: String::new(),
        source: "the upload's bytes".into(),
    })
}
