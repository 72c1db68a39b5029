//! OMCT's intake server: enrollment, resumable uploads of sealed bundles
//! (tus 1.0: core, creation, checksum, termination), signed receipts, and
//! the desk's endpoints. It stores ciphertext only and never holds a key
//! that opens a bundle.
//!
//! Everything lives in one folder (`intake init --dir DIR`):
//!
//! | path | what |
//! | --- | --- |
//! | `config.json` | limits, retention, the desk token's hash |
//! | `tls/cert.pem`, `tls/key.pem` | its own TLS certificate and key (pinned by devices) |
//! | `receipt.key` | the Ed25519 key that signs receipts (mode 0600) |
//! | `state.json` | devices, enrollment tokens, the recipient list |
//! | `uploads/` | uploads in progress: `ID.part` and `ID.json` |
//! | `store/` | finished bundles, through [`Storage`] |
//!
//! A write is acknowledged only after it is on disk: a PATCH's bytes are
//! fsync'd before the new offset is returned, a finished bundle is
//! fsync'd in the store before its receipt exists, and state changes are
//! written to a new file, fsync'd and renamed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_crypto::sign::{DeviceKey, DevicePublicKey, SigningPurpose};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::tus;

/// Settings kept in `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Largest bundle accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Most uploads a device may start in an hour.
    pub max_uploads_per_hour: u32,
    /// Most bytes kept in all (finished and in progress).
    pub quota_bytes: u64,
    /// Days a bundle is kept after the desk acknowledges it (0: deleted at
    /// once).
    pub retention_days: u32,
    /// SHA-256 (hex) of the desk's access token.
    pub desk_token_sha256: String,
}

/// A device as the server knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Its minisign public key (base64).
    pub public_key: String,
    /// A label given with the enrollment token.
    pub label: String,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// SHA-256 (hex) of its access token.
    pub access_token_sha256: String,
    /// Unix times of the uploads it started in the last hour.
    #[serde(default)]
    pub recent_uploads: Vec<i64>,
}

/// An enrollment token the desk issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    /// A label for the device it is meant for.
    pub label: String,
    /// When it stops working (Unix time).
    pub expires_at: i64,
    /// Whether a device used it.
    pub used: bool,
}

/// The server's mutable state, kept in `state.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerState {
    /// Devices by key id.
    pub devices: BTreeMap<String, DeviceRecord>,
    /// Enrollment tokens by their SHA-256 (hex).
    pub tokens: BTreeMap<String, TokenRecord>,
    /// The recipient list signed by the desk's root key, as published.
    pub recipients: Option<SignedList>,
    /// The desk's root public key (minisign base64), set with the first
    /// recipient list and never replaced through the network.
    pub root_key: Option<String>,
    /// Bundles stored, by bundle id.
    pub bundles: BTreeMap<String, StoredBundle>,
}

/// A list and its signature.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedList {
    /// The list's exact bytes (JSON), as signed.
    pub list: String,
    /// The minisign signature.
    pub signature: String,
}

/// A finished bundle.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredBundle {
    /// The device that sent it.
    pub device_key_id: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the ciphertext.
    pub sha256: String,
    /// When it was finished (RFC 3339).
    pub received_at: String,
    /// The upload it came through.
    pub upload_id: String,
    /// The signed receipt.
    pub receipt: SignedList,
    /// When the desk acknowledged it, if it did.
    pub acknowledged_at: Option<String>,
}

/// An upload in progress, kept in `uploads/ID.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Upload {
    device_key_id: String,
    bundle_id: String,
    length: u64,
    offset: u64,
    created_at: i64,
    done: bool,
}

/// Where finished bundles are kept. A local folder here; an S3-compatible
/// object store can implement the same four operations later.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Moves a finished, fsync'd file into the store under `bundle_id`,
    /// durably.
    fn put(&self, bundle_id: &str, from: &Path) -> std::io::Result<()>;
    /// The path to read a stored bundle from.
    fn path(&self, bundle_id: &str) -> PathBuf;
    /// Deletes a stored bundle.
    fn delete(&self, bundle_id: &str) -> std::io::Result<()>;
    /// Bytes stored.
    fn used_bytes(&self) -> std::io::Result<u64>;
}

/// Bundles as files in a folder.
#[derive(Debug)]
pub struct LocalStorage {
    dir: PathBuf,
}

impl Storage for LocalStorage {
    fn put(&self, bundle_id: &str, from: &Path) -> std::io::Result<()> {
        std::fs::rename(from, self.path(bundle_id))?;
        std::fs::File::open(&self.dir)?.sync_all()
    }
    fn path(&self, bundle_id: &str) -> PathBuf {
        self.dir.join(format!("{bundle_id}.tar.age"))
    }
    fn delete(&self, bundle_id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(bundle_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
    fn used_bytes(&self) -> std::io::Result<u64> {
        let mut total = 0;
        for e in std::fs::read_dir(&self.dir)? {
            total += e?.metadata()?.len();
        }
        Ok(total)
    }
}

/// What `init` made.
#[derive(Debug)]
pub struct InitOutcome {
    /// The certificate's pin, for enrollment.
    pub pin: String,
    /// The desk's access token (shown once).
    pub desk_token: String,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    temoin_crypto::random_bytes(&mut b);
    hex::encode(b)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Writes a file durably: a new file, fsync'd, renamed over the old one,
/// the folder fsync'd.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_durably_mode(path, bytes, 0o644)
}

/// [`write_durably`] for a secret: the new file is created readable by its
/// owner only, before a byte is written to it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_durably_mode(path, bytes, 0o600)
}

fn write_durably_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Creates a server folder: TLS certificate and key for `names` (host names
/// or IP addresses devices will use), the receipt key, the desk token.
pub fn init(
    dir: &Path,
    names: &[String],
    config: Option<Config>,
) -> anyhow_like::Result<InitOutcome> {
    if dir.join("config.json").exists() {
        return Err(anyhow_like::msg(
            "this folder already holds an intake server; nothing was changed",
        ));
    }
    for sub in ["tls", "uploads", "store"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let mut sans = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    sans.extend(names.iter().cloned());
    let key =
        rcgen::KeyPair::generate().map_err(|_| anyhow_like::msg("could not make a TLS key"))?;
    let params = rcgen::CertificateParams::new(sans)
        .map_err(|_| anyhow_like::msg("a server name is not a valid DNS name or IP address"))?;
    let cert = params
        .self_signed(&key)
        .map_err(|_| anyhow_like::msg("could not make the TLS certificate"))?;
    let pin = crate::pin::pin_of(cert.der());
    write_durably(&dir.join("tls/cert.pem"), cert.pem().as_bytes())?;
    write_private(&dir.join("tls/key.pem"), key.serialize_pem().as_bytes())?;
    let receipt_key = DeviceKey::generate();
    write_private(
        &dir.join("receipt.key"),
        receipt_key.secret_for_sealing().as_ref(),
    )?;
    let desk_token = random_token();
    let mut config = config.unwrap_or(Config {
        max_upload_bytes: 4 * 1024 * 1024 * 1024,
        max_uploads_per_hour: 60,
        quota_bytes: 200 * 1024 * 1024 * 1024,
        retention_days: 0,
        desk_token_sha256: String::new(),
    });
    config.desk_token_sha256 = sha256_hex(&desk_token);
    write_durably(
        &dir.join("state.json"),
        &serde_json::to_vec_pretty(&ServerState::default())?,
    )?;
    write_durably(&dir.join("pin.txt"), format!("{pin}\n").as_bytes())?;
    write_durably(
        &dir.join("config.json"),
        &serde_json::to_vec_pretty(&config)?,
    )?;
    Ok(InitOutcome { pin, desk_token })
}

/// Small error plumbing for the server's setup functions.
pub mod anyhow_like {
    /// A setup error in words.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Error(pub String);
    /// Result of setup.
    pub type Result<T> = std::result::Result<T, Error>;
    /// An error from words.
    pub fn msg(m: &str) -> Error {
        Error(m.to_owned())
    }
    impl From<std::io::Error> for Error {
        fn from(e: std::io::Error) -> Self {
            Error(format!("input/output error: {e}"))
        }
    }
    impl From<serde_json::Error> for Error {
        fn from(e: serde_json::Error) -> Self {
            Error(format!("a server file is malformed: {e}"))
        }
    }
}

/// The running server's shared parts.
#[derive(Debug)]
pub struct Server {
    dir: PathBuf,
    config: Config,
    receipt_key: DeviceKey,
    storage: Box<dyn Storage>,
    state: Mutex<ServerState>,
    /// One lock per upload, so two PATCHes to one upload never interleave.
    uploads: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
}

impl Server {
    /// Opens a server folder made by [`init`].
    pub fn open(dir: &Path) -> anyhow_like::Result<Server> {
        let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json")).map_err(|_| {
            anyhow_like::msg("this folder is not an intake server folder (no config.json): run `temoin intake init` first")
        })?)?;
        let state: ServerState = serde_json::from_slice(&std::fs::read(dir.join("state.json"))?)?;
        let receipt_key = DeviceKey::from_sealed(&std::fs::read(dir.join("receipt.key"))?)
            .map_err(|_| anyhow_like::msg("receipt.key is damaged"))?;
        // Unfinished writes of state files from a crash are dropped.
        let _ = std::fs::remove_file(dir.join("state.tmp"));
        Ok(Server {
            dir: dir.to_owned(),
            config,
            receipt_key,
            storage: Box::new(LocalStorage {
                dir: dir.join("store"),
            }),
            state: Mutex::new(state),
            uploads: Mutex::new(BTreeMap::new()),
        })
    }

    /// The receipt key's public half (minisign base64).
    pub fn receipt_public_key(&self) -> String {
        self.receipt_key.public().to_minisign_base64()
    }

    async fn save(&self, state: &ServerState) -> Result<(), ApiError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|_| ApiError::internal())?;
        let path = self.dir.join("state.json");
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(ApiError::io)
    }

    fn upload_paths(&self, id: &str) -> (PathBuf, PathBuf) {
        let base = self.dir.join("uploads");
        (
            base.join(format!("{id}.part")),
            base.join(format!("{id}.json")),
        )
    }
}

/// An error answer: a status and a reason a person can act on.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: String,
}

impl ApiError {
    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
    fn bad(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }
    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed; try again later",
        )
    }
    fn io(e: std::io::Error) -> Self {
        if e.raw_os_error() == Some(28) {
            Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server's disk is full; try again later",
            )
        } else {
            Self::internal()
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(serde_json::json!({ "error": self.reason })),
        )
            .into_response();
        r.headers_mut()
            .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> ApiResult<Option<&'a str>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::bad(format!("{name} is not plain text"))),
    }
}

fn bearer(headers: &HeaderMap) -> ApiResult<String> {
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

fn check_tus(headers: &HeaderMap) -> ApiResult<()> {
    match header(headers, "Tus-Resumable")? {
        Some(tus::VERSION) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "this server speaks tus 1.0.0 only",
        )),
        None => Err(ApiError::bad("Tus-Resumable: 1.0.0 is required")),
    }
}

/// The device behind an access token, if it is enrolled and not revoked.
fn device_of(state: &ServerState, token: &str) -> ApiResult<String> {
    let hash = sha256_hex(token);
    let (id, d) = state
        .devices
        .iter()
        .find(|(_, d)| d.access_token_sha256 == hash)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this device is not enrolled with this server",
            )
        })?;
    if d.revoked_at.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this device was revoked by OMCT; contact your OMCT contact person",
        ));
    }
    Ok(id.clone())
}

fn check_desk(server: &Server, headers: &HeaderMap) -> ApiResult<()> {
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

fn tus_headers(r: &mut Response) {
    r.headers_mut()
        .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
    r.headers_mut()
        .insert("Cache-Control", HeaderValue::from_static("no-store"));
}

/// Builds the router.
pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .route("/v1/recipients", get(recipients))
        .route("/v1/uploads", post(create).options(options))
        .route(
            "/v1/uploads/{id}",
            axum::routing::head(head_upload)
                .patch(patch)
                .delete(terminate),
        )
        .route("/v1/uploads/{id}/receipt", get(receipt))
        .route("/v1/desk/tokens", post(desk_token))
        .route("/v1/desk/recipients", axum::routing::put(desk_recipients))
        .route("/v1/desk/devices", get(desk_devices))
        .route("/v1/desk/devices/{key_id}/revoke", post(desk_revoke))
        .route("/v1/desk/bundles", get(desk_list))
        .route("/v1/desk/bundles/{id}", get(desk_fetch))
        .route("/v1/desk/bundles/{id}/ack", post(desk_ack))
        .with_state(server)
}

#[derive(Deserialize)]
struct EnrollRequest {
    token: String,
    public_key: String,
}

async fn enroll(State(s): State<Arc<Server>>, body: axum::body::Bytes) -> ApiResult<Response> {
    let req: EnrollRequest = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad("the enrollment request must be JSON with token and public_key")
    })?;
    let key = DevicePublicKey::from_minisign(&req.public_key)
        .map_err(|_| ApiError::bad("public_key is not a device public key"))?;
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
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
    s.save(&state).await?;
    *guard = state;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "device_key_id": key_id,
            "access_token": access,
            "receipt_key": s.receipt_public_key(),
            "root_key": guard.root_key,
        })),
    )
        .into_response())
}

async fn recipients(State(s): State<Arc<Server>>) -> ApiResult<Response> {
    let state = s.state.lock().await;
    match &state.recipients {
        Some(list) => Ok(Json(list).into_response()),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OMCT has not published its recipient list yet; try again later",
        )),
    }
}

async fn options() -> Response {
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

async fn create(State(s): State<Arc<Server>>, headers: HeaderMap) -> ApiResult<Response> {
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
        let mut r = StatusCode::CREATED.into_response();
        tus_headers(&mut r);
        r.headers_mut().insert(
            "Location",
            HeaderValue::from_str(&format!("/v1/uploads/{}", b.upload_id))
                .map_err(|_| ApiError::internal())?,
        );
        return Ok(r);
    }
    if let Some((existing, owner)) = find_upload(&s, &bundle_id)? {
        if owner != device {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "another device is already sending a bundle with this id",
            ));
        }
        let mut r = StatusCode::CREATED.into_response();
        tus_headers(&mut r);
        r.headers_mut().insert(
            "Location",
            HeaderValue::from_str(&format!("/v1/uploads/{existing}"))
                .map_err(|_| ApiError::internal())?,
        );
        return Ok(r);
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
    let mut r = StatusCode::CREATED.into_response();
    tus_headers(&mut r);
    r.headers_mut().insert(
        "Location",
        HeaderValue::from_str(&format!("/v1/uploads/{id}")).map_err(|_| ApiError::internal())?,
    );
    Ok(r)
}

/// The unfinished upload of `bundle_id`, if any: its id and its device.
fn find_upload(s: &Server, bundle_id: &str) -> ApiResult<Option<(String, String)>> {
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
fn reserved_bytes(dir: &Path) -> u64 {
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

fn valid_upload_id(id: &str) -> ApiResult<()> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "no such upload"))
    }
}

/// Loads an upload and checks it belongs to the caller's device. A
/// finished upload's record lives in the state's bundles.
async fn load_upload(s: &Server, headers: &HeaderMap, id: &str) -> ApiResult<Upload> {
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

async fn head_upload(
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

async fn upload_lock(s: &Server, id: &str) -> Arc<Mutex<()>> {
    s.uploads
        .lock()
        .await
        .entry(id.to_owned())
        .or_insert_with(|| Arc::new(Mutex::new(())))
        .clone()
}

async fn patch(
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

/// The receipt a server signs for a stored bundle.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    /// Always `temoin/receipt/v1`.
    pub v: String,
    /// The bundle's id.
    pub bundle_id: String,
    /// The sending device's key id.
    pub device_key_id: String,
    /// SHA-256 (hex) of the ciphertext stored.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was stored (RFC 3339).
    pub received_at: String,
}

/// Stores a complete upload and signs its receipt. Safe to run again after
/// a crash at any point: the upload's record says "complete" (offset =
/// length) before anything moves, the bytes are hashed from wherever they
/// are (the upload file, or the store if a first attempt moved them), and
/// the state naming the bundle is saved before the upload's record goes.
async fn finish(s: &Server, id: &str, u: &mut Upload) -> ApiResult<()> {
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
        v: "temoin/receipt/v1".into(),
        bundle_id: u.bundle_id.clone(),
        device_key_id: u.device_key_id.clone(),
        sha256: sha.clone(),
        size: u.length,
        received_at: now_rfc3339(),
    };
    let text = serde_json::to_string(&receipt).map_err(|_| ApiError::internal())?;
    let signature = s.receipt_key.sign(SigningPurpose::Receipt, text.as_bytes());
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
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
    s.save(&state).await?;
    *guard = state;
    drop(guard);
    let _ = std::fs::remove_file(&meta);
    s.uploads.lock().await.remove(id);
    u.done = true;
    Ok(())
}

/// An upload whose bytes are all in but whose finishing was interrupted
/// (a crash) is finished now.
async fn settle(s: &Server, id: &str, u: &mut Upload) -> ApiResult<()> {
    if !u.done && u.offset == u.length {
        let lock = upload_lock(s, id).await;
        let _guard = lock.lock().await;
        finish(s, id, u).await?;
    }
    Ok(())
}

async fn receipt(
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

async fn terminate(
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

#[derive(Deserialize)]
struct TokenRequest {
    label: String,
    #[serde(default = "default_hours")]
    valid_hours: u32,
}

fn default_hours() -> u32 {
    72
}

async fn desk_token(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: TokenRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::bad("expected JSON with label"))?;
    let token = random_token();
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
    state.tokens.insert(
        sha256_hex(&token),
        TokenRecord {
            label: req.label.chars().take(100).collect(),
            expires_at: now_unix() + i64::from(req.valid_hours.min(24 * 30)) * 3600,
            used: false,
        },
    );
    s.save(&state).await?;
    *guard = state;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "token": token })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct RecipientsRequest {
    root_key: String,
    list: SignedList,
}

async fn desk_recipients(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let req: RecipientsRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("expected JSON with root_key and list"))?;
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
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
    s.save(&state).await?;
    *guard = state;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn desk_devices(State(s): State<Arc<Server>>, headers: HeaderMap) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let state = s.state.lock().await;
    let list: Vec<_> = state
        .devices
        .iter()
        .map(|(id, d)| {
            serde_json::json!({
                "key_id": id, "public_key": d.public_key, "label": d.label,
                "enrolled_at": d.enrolled_at, "revoked_at": d.revoked_at,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn desk_revoke(
    State(s): State<Arc<Server>>,
    UrlPath(key_id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
    let d = state
        .devices
        .get_mut(&key_id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such device"))?;
    d.revoked_at.get_or_insert_with(now_rfc3339);
    s.save(&state).await?;
    *guard = state;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn desk_list(State(s): State<Arc<Server>>, headers: HeaderMap) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    let state = s.state.lock().await;
    let list: Vec<_> = state
        .bundles
        .iter()
        .filter(|(_, b)| b.acknowledged_at.is_none())
        .map(|(id, b)| {
            serde_json::json!({
                "bundle_id": id, "device_key_id": b.device_key_id,
                "device_public_key": state.devices.get(&b.device_key_id).map(|d| &d.public_key),
                "size": b.size, "sha256": b.sha256, "received_at": b.received_at,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

fn valid_bundle_id(id: &str) -> ApiResult<()> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "no such bundle"))
}

async fn desk_fetch(
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

async fn desk_ack(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_desk(&s, &headers)?;
    valid_bundle_id(&id)?;
    // Changes are made on a copy, saved, and only then made current: a
    // failed save leaves the served state as it was on disk.
    let mut guard = s.state.lock().await;
    let mut state = guard.clone();
    let b = state
        .bundles
        .get_mut(&id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such bundle"))?;
    b.acknowledged_at.get_or_insert_with(now_rfc3339);
    s.save(&state).await?;
    *guard = state;
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

/// Serves over TLS on `listen` until the process ends. Calls `ready` with
/// the address bound (useful with port 0).
pub async fn serve(
    dir: &Path,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow_like::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = Arc::new(Server::open(dir)?);
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
        dir.join("tls/cert.pem"),
        dir.join("tls/key.pem"),
    )
    .await
    .map_err(|_| anyhow_like::msg("the TLS certificate or key cannot be read"))?;
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    let gc = server.clone();
    tokio::spawn(async move {
        loop {
            collect_garbage(&gc).await;
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    let app = router(server);
    let bound = tokio::spawn(async move { h2.listening().await });
    let serving = axum_server::bind_rustls(listen, tls)
        .handle(handle)
        .serve(app.into_make_service());
    let run = tokio::spawn(serving);
    let addr = bound
        .await
        .ok()
        .flatten()
        .ok_or_else(|| anyhow_like::msg("could not listen on that address"))?;
    ready(addr);
    run.await
        .map_err(|_| anyhow_like::msg("the server stopped"))?
        .map_err(|e| anyhow_like::Error(format!("the server stopped: {e}")))
}
