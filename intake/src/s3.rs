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
use object_store::aws::S3ConditionalPut;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as Key;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};
use sha2::{Digest, Sha256};

use crate::db::{col, db_error, opt_text, size, text};
use crate::error::{ApiError, ApiResult, SetupError};
use crate::upload::Lease;

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
    /// Whether an `http://` endpoint that is not on this machine is
    /// allowed (the operator said so: a private network).
    pub(crate) allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
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
        e => {
            // The kind only: the store's own message names the object's
            // key, which holds a bundle's id.
            let kind = match e {
                object_store::Error::Generic { .. } => "it failed or did not answer",
                object_store::Error::AlreadyExists { .. } => "the object exists",
                object_store::Error::Precondition { .. } => "a precondition failed",
                object_store::Error::NotModified { .. } => "not modified",
                object_store::Error::PermissionDenied { .. } => "permission denied",
                object_store::Error::Unauthenticated { .. } => "the access key was refused",
                _ => "another error",
            };
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "the server cannot reach its bundle store; try again later",
            )
            .because(format!("the bundle store: {kind}"))
        }
    }
}

/// Whether an endpoint URL names this machine.
fn loopback(endpoint: &str) -> bool {
    let host = endpoint
        .trim_start_matches("http://")
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An ETag as the store gave it; an empty one would shift every later
/// part's number when the list is read back.
fn etag(part: PartId) -> ApiResult<String> {
    if part.content_id.is_empty() || part.content_id.contains(['\n', '\r']) {
        return Err(store_error(object_store::Error::Generic {
            store: "S3",
            source: "a part's ETag is empty".into(),
        }));
    }
    Ok(part.content_id)
}

impl S3Store {
    /// A client for the bucket, and one request to check it answers.
    pub(crate) async fn open(settings: &S3Settings) -> Result<S3Store, SetupError> {
        let http = settings.endpoint.starts_with("http://");
        if http && !settings.allow_http && !loopback(&settings.endpoint) {
            // Whoever is on the path could answer for the bucket: forge
            // what is read back, or say a tail is gone.
            return Err(SetupError::Storage(
                "the endpoint is http:// on another machine: use https://, or set \
                 allow_http = true in [storage] if the network to it is private"
                    .into(),
            ));
        }
        let store = AmazonS3Builder::new()
            .with_endpoint(&settings.endpoint)
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_allow_http(http)
            // A bundle's object is written once: If-None-Match on its
            // single PUT (AWS, MinIO, Ceph, R2 and SeaweedFS honour it).
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(http)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            )
            // A store that is down fails a request within 15 s of retries
            // (a request that hangs, within its 60 s timeout), and the
            // device tries again later.
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

    /// Deletes a bundle's object if no bundle row names it: what an upload
    /// dropped after its object was written (a completion whose bundle row
    /// was never written) leaves.
    pub(crate) async fn delete_unrecorded(&self, pool: &sqlx::AnyPool, bundle_id: &str) {
        let recorded: Result<Option<String>, _> =
            sqlx::query_scalar("SELECT upload_id FROM bundles WHERE bundle_id = $1")
                .bind(bundle_id)
                .fetch_optional(pool)
                .await;
        if let Ok(None) = recorded {
            let _ = self.store.delete(&Self::bundle_key(bundle_id)).await;
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
        let got = match self.store.get(&Self::bundle_key(bundle_id)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "no such bundle",
                ))
            }
            Err(e) => return Err(store_error(e)),
        };
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

    /// Whether the row is whole: the parts all of [`PART`] bytes but a
    /// last one that ends the upload, and the tail (if any) after them.
    fn consistent(&self, length: u64) -> bool {
        let full = (self.parts.len() as u64).saturating_mul(PART as u64);
        let parts_ok = self.parts_bytes == full
            || (self.parts_bytes == length
                && self.parts_bytes > full.saturating_sub(PART as u64)
                && self.parts_bytes <= full);
        let single = self.multipart.is_none() && self.parts.is_empty();
        let parts_ok = parts_ok || (single && self.parts_bytes == length);
        let tail_ok = match &self.tail {
            Some(_) => self.received > self.parts_bytes,
            None => self.received == self.parts_bytes,
        };
        parts_ok && tail_ok && self.received <= length
    }

    /// Records the new state if the row is still as `before` left it (the
    /// same offset, parts and multipart upload); false if the upload is
    /// gone (terminated, expired, revoked) or another request moved it.
    async fn commit(&self, pool: &sqlx::AnyPool, id: &str, before: &Before) -> ApiResult<bool> {
        let n = sqlx::query(
            "UPDATE uploads SET multipart_id = $1, parts = $2, parts_bytes = $3, tail_key = $4, \
             received = $5, touched_at = $6 \
             WHERE upload_id = $7 AND received = $8 AND parts_bytes = $9 \
             AND COALESCE(multipart_id, '') = $10",
        )
        .bind(&self.multipart)
        .bind(self.parts.join("\n"))
        .bind(col(self.parts_bytes))
        .bind(&self.tail)
        .bind(col(self.received))
        .bind(crate::state::now_unix())
        .bind(id)
        .bind(col(before.received))
        .bind(col(before.parts_bytes))
        .bind(before.multipart.clone().unwrap_or_default())
        .execute(pool)
        .await
        .map_err(db_error)?
        .rows_affected();
        Ok(n == 1)
    }
}

/// The row as a change found it, to commit the change only over it.
#[derive(Debug)]
struct Before {
    received: u64,
    parts_bytes: u64,
    multipart: Option<String>,
}

impl Stored {
    fn before(&self) -> Before {
        Before {
            received: self.received,
            parts_bytes: self.parts_bytes,
            multipart: self.multipart.clone(),
        }
    }
}

/// One upload's PATCH into the store. The caller holds the upload's lock,
/// checked the offset, and passes the body's frames.
pub(crate) struct Receiver<'a> {
    store: &'a S3Store,
    /// The upload's lock, checked still held before every write to the
    /// store: a request whose lock went (its database session died) must
    /// not write beside the one that holds it now.
    lease: &'a mut Lease,
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
        lease: &'a mut Lease,
        pool: &'a sqlx::AnyPool,
        id: &'a str,
        bundle_id: &'a str,
        length: u64,
        hold: bool,
    ) -> ApiResult<Option<Receiver<'a>>> {
        let Some(state) = Stored::load(pool, id).await? else {
            return Ok(None);
        };
        // A row that does not add up (bytes counted that no part or tail
        // holds: an upload begun on the local store, a restored backup) is
        // never continued: the upload starts again.
        if !state.consistent(length) {
            return Ok(None);
        }
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
            lease,
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

    /// The multipart upload, made (and recorded) when first needed; `None`
    /// if the upload went meanwhile.
    async fn multipart(&mut self) -> ApiResult<Option<String>> {
        if let Some(m) = &self.state.multipart {
            return Ok(Some(m.clone()));
        }
        self.lease.alive().await?;
        let m = self
            .store
            .store
            .create_multipart(&S3Store::bundle_key(self.bundle_id))
            .await
            .map_err(store_error)?;
        let before = self.state.before();
        self.state.multipart = Some(m.clone());
        if !self.state.commit(self.pool, self.id, &before).await? {
            return Ok(None);
        }
        Ok(Some(m))
    }

    /// Stores part `index` of multipart upload `m`, the lock checked
    /// first; its ETag.
    async fn store_part(&mut self, m: &str, index: usize, part: Bytes) -> ApiResult<String> {
        self.lease.alive().await?;
        etag(
            self.store
                .store
                .put_part(
                    &S3Store::bundle_key(self.bundle_id),
                    &m.to_owned(),
                    index,
                    PutPayload::from(part),
                )
                .await
                .map_err(store_error)?,
        )
    }

    async fn put_part(&mut self, part: Bytes) -> ApiResult<bool> {
        let Some(m) = self.multipart().await? else {
            return Ok(false);
        };
        let index = self.state.parts.len() + self.held.len();
        let len = part.len() as u64;
        let etag = self.store_part(&m, index, part).await?;
        self.held.push(etag);
        if self.hold {
            return Ok(true);
        }
        // The part holds the old tail's bytes and the body's first ones:
        // recorded, the offset is the parts' end, and the tail unneeded.
        let before = self.state.before();
        self.state.parts.append(&mut self.held);
        self.state.parts_bytes += len;
        self.state.received = self.state.parts_bytes;
        if let Some(old) = self.state.tail.take() {
            self.stale_tails.push(old);
        }
        if !self.state.commit(self.pool, self.id, &before).await? {
            // Another request may have moved the row on: its tail may be
            // the one this request read, so nothing is deleted.
            self.stale_tails.clear();
            return Ok(false);
        }
        self.delete_stale().await;
        Ok(true)
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
        let before = self.state.before();
        let held_bytes = (self.held.len() * PART) as u64;
        self.state.parts.append(&mut self.held);
        self.state.parts_bytes += held_bytes;
        let rest = self.buf.split().freeze();
        let end = self.state.parts_bytes + rest.len() as u64;
        // Nothing new: the row stands as it is (an empty body, or a body
        // that ended exactly at a part it recorded).
        let complete_with_tail = end == self.length && !rest.is_empty();
        if held_bytes == 0 && end == before.received && !complete_with_tail {
            self.delete_stale().await;
            return Ok(Some(end));
        }
        if let Some(old) = self.state.tail.take() {
            self.stale_tails.push(old);
        }
        if rest.is_empty() {
            // Nothing after the parts.
        } else if end == self.length && self.state.multipart.is_none() {
            // The whole bundle passed through this request: one object,
            // written only if its key is free (If-None-Match), so that
            // nothing, not even a request that lost its lock, ever writes
            // over a bundle once stored.
            self.lease.alive().await?;
            let put = self
                .store
                .store
                .put_opts(
                    &S3Store::bundle_key(self.bundle_id),
                    PutPayload::from(rest.clone()),
                    PutOptions {
                        mode: PutMode::Create,
                        ..PutOptions::default()
                    },
                )
                .await;
            match put {
                Ok(_) => {}
                Err(object_store::Error::AlreadyExists { .. }) => {
                    // This request's own earlier PUT, whose recording was
                    // cut (a crash, a dropped request): the same bytes are
                    // there. Anything else is never written over.
                    let there = self
                        .store
                        .store
                        .get(&S3Store::bundle_key(self.bundle_id))
                        .await
                        .map_err(store_error)?
                        .bytes()
                        .await
                        .map_err(store_error)?;
                    if there != rest {
                        return Err(ApiError::new(
                            axum::http::StatusCode::CONFLICT,
                            "a bundle with this id is already stored",
                        ));
                    }
                }
                Err(e) => return Err(store_error(e)),
            }
            self.state.parts_bytes = end;
        } else if end == self.length {
            let len = rest.len() as u64;
            let index = self.state.parts.len();
            let Some(m) = self.multipart().await? else {
                return Ok(None);
            };
            let etag = self.store_part(&m, index, rest).await?;
            self.state.parts.push(etag);
            self.state.parts_bytes += len;
        } else {
            let key = S3Store::new_tail_key(self.id);
            self.lease.alive().await?;
            self.store
                .store
                .put(&Key::from(key.as_str()), PutPayload::from(rest))
                .await
                .map_err(store_error)?;
            self.state.tail = Some(key);
        }
        self.state.received = end;
        // The multipart upload may have been made by this call: compare
        // with the row as it is now.
        let before = Before {
            multipart: if before.multipart.is_none() && self.state.multipart.is_some() {
                self.state.multipart.clone()
            } else {
                before.multipart
            },
            ..before
        };
        if !self.state.commit(self.pool, self.id, &before).await? {
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
    lease: &mut Lease,
    pool: &sqlx::AnyPool,
    id: &str,
    bundle_id: &str,
    length: u64,
) -> ApiResult<String> {
    let key = S3Store::bundle_key(bundle_id);
    // The row went (terminated, expired, revoked) while this request
    // waited: no receipt.
    let state = Stored::load(pool, id).await?.ok_or_else(gone)?;
    if state.received != length || !state.consistent(length) {
        return Err(gone());
    }
    if state.tail.is_some() {
        // A PATCH cut short left the last bytes as a tail: they become
        // the last part (or the whole object).
        let r = Receiver::start(store, lease, pool, id, bundle_id, length, false)
            .await?
            .ok_or_else(gone)?;
        r.keep().await?.ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "the upload changed meanwhile; try again",
            )
        })?;
    }
    let state = Stored::load(pool, id).await?.ok_or_else(gone)?;
    if state.tail.is_some() || state.parts_bytes != length {
        return Err(gone());
    }
    match &state.multipart {
        Some(m) => {
            let parts = state
                .parts
                .iter()
                .map(|e| PartId {
                    content_id: e.clone(),
                })
                .collect();
            lease.alive().await?;
            if let Err(e) = store.store.complete_multipart(&key, m, parts).await {
                // Completed by an earlier attempt whose answer was lost?
                match store.store.head(&key).await {
                    Ok(meta) if meta.size == length => {}
                    _ => return Err(store_error(e)),
                }
            }
        }
        None if length == 0 => {
            // No byte ever came: the empty object, once.
            lease.alive().await?;
            match store
                .store
                .put_opts(
                    &key,
                    PutPayload::default(),
                    PutOptions {
                        mode: PutMode::Create,
                        ..PutOptions::default()
                    },
                )
                .await
            {
                Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        // Stored whole by one PUT.
        None => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_counts_as_loopback() {
        for yes in [
            "http://127.0.0.1:8333",
            "http://localhost:9000/",
            "http://[::1]:8333",
            "http://127.0.0.2",
        ] {
            assert!(loopback(yes), "{yes}");
        }
        for no in [
            "http://10.0.0.5:9000",
            "http://s3.example.org",
            "http://127.0.0.1.example.org:80",
            "http://localhost.example.org",
        ] {
            assert!(!loopback(no), "{no}");
        }
    }

    #[tokio::test]
    async fn plain_http_to_another_machine_is_refused_unless_allowed() {
        let settings = S3Settings {
            endpoint: "http://192.0.2.1:9000".into(),
            bucket: "b".into(),
            region: "us-east-1".into(),
            access_key_id: "k".into(),
            secret_access_key: "s".into(),
            allow_http: false,
        };
        match S3Store::open(&settings).await {
            Err(SetupError::Storage(why)) => assert!(why.contains("allow_http"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_row_that_does_not_add_up_is_not_continued() {
        let part = PART as u64;
        let row = |parts: usize, parts_bytes: u64, tail: bool, received: u64| Stored {
            multipart: (parts > 0).then(|| "m".to_owned()),
            parts: vec!["\"e\"".to_owned(); parts],
            parts_bytes,
            tail: tail.then(|| "t".to_owned()),
            received,
        };
        let length = 20 * 1024 * 1024;
        assert!(row(0, 0, false, 0).consistent(length));
        assert!(row(1, part, false, part).consistent(length));
        assert!(row(1, part, true, part + 5).consistent(length));
        assert!(row(3, length, false, length).consistent(length));
        // Bytes counted that nothing holds (begun on the local store).
        assert!(!row(0, 0, false, 4096).consistent(length));
        // More bytes than its parts can hold.
        assert!(!row(1, 12 * 1024 * 1024, false, 12 * 1024 * 1024).consistent(length));
        // A tail named but no byte after the parts.
        assert!(!row(1, part, true, part).consistent(length));
    }
}
