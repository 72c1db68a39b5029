//! The device's side of the wire: enrollment, the recipient list, and
//! resumable uploads (tus 1.0) of sealed bundles with verified receipts.
//! HTTPS with reqwest over rustls, trusting only the pinned certificate;
//! optionally through a SOCKS5 proxy (Tor: `socks5h://127.0.0.1:9050`, so
//! that names are resolved by the proxy).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};

use temoin_proto::ack::{DeskAck, DESK_ACK_V1};
use temoin_proto::code::{device_proof, EnrollmentCode};
use temoin_proto::enroll::{EnrollAnswer, EnrollRequest};
use temoin_proto::error::ErrorAnswer;
pub use temoin_proto::receipt::Receipt;
use temoin_proto::receipt::RECEIPT_V1;
pub use temoin_proto::recipients::RecipientList;
use temoin_proto::recipients::RECIPIENT_LIST_V1;
use temoin_proto::tus;
pub use temoin_proto::SignedList;

/// Bytes sent in the first PATCH of an attempt, and the least in any but
/// the last. Each PATCH is answered once the server has its bytes on disk,
/// and a connection cut mid-chunk re-sends at most one chunk (less to a
/// server that keeps a cut body's bytes, as ours does).
pub const CHUNK: usize = 8 * 1024 * 1024;

/// The most bytes sent in one PATCH. On a fast link a chunk grows toward
/// this (see [`next_chunk`]).
pub const MAX_CHUNK: usize = 64 * 1024 * 1024;

/// The size of the next chunk, after one of `chunk` bytes took `took` from
/// its first byte to its confirmation.
///
/// A chunk costs a round trip and a flush to disk on the server: on
/// loopback, 8 MiB chunks spent a third of the upload's time in them
/// (`bench-upload`). A chunk that took under a second doubles, up to
/// [`MAX_CHUNK`]; one that took over four halves, down to [`CHUNK`]. So a
/// chunk stays about one to four seconds of sending: what a cut costs on a
/// fast link, and never more than 8 MiB on a slow one (Tor, a poor mobile
/// network), where chunks do not grow.
pub fn next_chunk(chunk: usize, took: Duration) -> usize {
    if took < Duration::from_secs(1) {
        (chunk * 2).min(MAX_CHUNK)
    } else if took > Duration::from_secs(4) {
        (chunk / 2).max(CHUNK)
    } else {
        chunk
    }
}

/// What went wrong talking to the server, sorted by what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The network or the server is not answering well; try again later.
    #[error("{0}")]
    Transient(String),
    /// The server refused for a reason a person must act on (revoked,
    /// too large, bad token); retrying will not help.
    #[error("{0}")]
    Refused(String),
    /// The server answered something that does not hold up (a receipt that
    /// does not verify, a hash that differs): never marked delivered.
    #[error("{0}")]
    Untrustworthy(String),
    /// A local file could not be read.
    #[error("cannot read the bundle file: {0}")]
    Local(#[from] std::io::Error),
    /// The upload stopped between two chunks to let an urgent bundle go
    /// first; it resumes where it stopped.
    #[error("paused for an urgent bundle")]
    Paused,
}

/// How to reach the server.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL (`https://host:port`).
    pub url: String,
    /// The pinned certificate (`sha256:...`).
    pub pin: String,
    /// A SOCKS5 proxy URL, if any.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Seconds to wait for the server to answer before giving up on an
    /// attempt (default 120; over Tor, answers can be slow).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

impl Endpoint {
    pub(crate) fn client(&self, timeout: Duration) -> Result<reqwest::Client, SyncError> {
        let timeout = self
            .timeout_secs
            .map(Duration::from_secs)
            .unwrap_or(timeout);
        let mut b = reqwest::Client::builder()
            .use_preconfigured_tls(crate::pin::client_config(&self.pin))
            .connect_timeout(timeout.min(Duration::from_secs(20)))
            .read_timeout(timeout)
            .https_only(true);
        if let Some(p) = &self.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p)
                    .map_err(|_| SyncError::Refused("the proxy address is not valid".into()))?,
            );
        }
        b.build()
            .map_err(|_| SyncError::Refused("the connection settings are not usable".into()))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }
}

/// Why a server address, pin or proxy a person gave was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The pin is not `sha256:` and 64 hex digits.
    #[error("the pin must be sha256: followed by 64 hex digits, as OMCT gave it")]
    BadPin,
    /// The address is not an `https://` address.
    #[error("the server address must start with https://")]
    NotHttps,
    /// The proxy is not a SOCKS5 address.
    #[error("the proxy must be a SOCKS5 address such as socks5h://127.0.0.1:9050 (Tor)")]
    BadProxy,
}

impl Endpoint {
    /// The server as a person gave it, checked: an `https://` address, the
    /// pin OMCT gave, and, if any, a SOCKS5 proxy (Tor's kind). The app and
    /// the command line both enroll through this.
    pub fn checked(url: &str, pin: &str, proxy: Option<&str>) -> Result<Endpoint, EndpointError> {
        let pin = crate::pin::parse_pin(pin).ok_or(EndpointError::BadPin)?;
        if !url.starts_with("https://") {
            return Err(EndpointError::NotHttps);
        }
        check_proxy(proxy)?;
        Ok(Endpoint {
            url: url.to_owned(),
            pin,
            proxy: proxy.map(str::to_owned),
            timeout_secs: None,
        })
    }
}

/// Only SOCKS5 proxies (Tor's kind) are accepted; an empty setting is none.
pub fn check_proxy(proxy: Option<&str>) -> Result<(), EndpointError> {
    match proxy {
        Some(p) if !(p.starts_with("socks5://") || p.starts_with("socks5h://")) => {
            Err(EndpointError::BadProxy)
        }
        _ => Ok(()),
    }
}

/// What enrollment gives the device.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enrollment {
    /// The server.
    pub endpoint: Endpoint,
    /// The device's access token.
    pub access_token: String,
    /// The server's receipt key (minisign base64).
    pub receipt_key: String,
    /// OMCT's root key (minisign base64), which signs the recipient list.
    pub root_key: String,
    /// The recipients bundles are sealed to (`age1...`), from the last
    /// verified list.
    pub recipients: Vec<String>,
    /// When that list was issued (RFC 3339): an older list is never taken,
    /// so a server cannot roll devices back to a key OMCT retired.
    #[serde(default)]
    pub recipients_issued_at: Option<String>,
    /// The root key fingerprint the enrollment code named (hex): the root
    /// key was checked against it. None for a device enrolled before
    /// codes, which must enroll again.
    #[serde(default)]
    pub root_fingerprint: Option<String>,
    /// OMCT's desk key (minisign base64), which signs acknowledgements,
    /// from the last verified list. None until the desk published one.
    #[serde(default)]
    pub desk_key: Option<String>,
    /// The receipt keys the last verified list that named any names
    /// (minisign base64): when there are some, receipts are accepted from
    /// these and no other, `receipt_key` included; when none, from
    /// `receipt_key` alone.
    #[serde(default)]
    pub receipt_keys: Vec<String>,
}

impl Enrollment {
    /// The keys a receipt may be signed with: those OMCT's lists named
    /// last, or the one learned at enrollment while no list named any.
    pub fn accepted_receipt_keys(&self) -> Vec<&str> {
        if self.receipt_keys.is_empty() {
            vec![self.receipt_key.as_str()]
        } else {
            self.receipt_keys.iter().map(String::as_str).collect()
        }
    }

    /// Takes what a verified list says, if it is newer than the one held;
    /// returns whether anything changed. An older list changes nothing, so
    /// a server cannot roll a device back to keys OMCT retired. A list as
    /// old as the one held is the same list (the desk signs each to the
    /// nanosecond): what it says is taken again, so that a device updated
    /// after it took the list, with a version that did not keep the
    /// receipt keys, learns them. A list that names no desk key or no
    /// receipt key leaves those held as they are (a desk of an older
    /// version signs such lists): once named, the enrollment's receipt key
    /// is never believed again.
    pub fn take_list(&mut self, list: VerifiedList) -> bool {
        let same_or_newer = match (
            issued(&list.issued_at),
            self.recipients_issued_at.as_deref().map(issued),
        ) {
            (Some(candidate), Some(Some(held))) => candidate >= held,
            (Some(_), None) => true,
            _ => false,
        };
        if !same_or_newer {
            return false;
        }
        let before = self.clone();
        self.recipients = list.recipients;
        self.recipients_issued_at = Some(list.issued_at);
        if list.desk_key.is_some() {
            self.desk_key = list.desk_key;
        }
        if !list.receipt_keys.is_empty() {
            self.receipt_keys = list.receipt_keys;
        }
        *self != before
    }
}

// The access token is a bearer secret: never in `Debug` output.
impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("endpoint", &self.endpoint)
            .field("access_token", &"<redacted>")
            .field("receipt_key", &self.receipt_key)
            .field("root_key", &self.root_key)
            .field("recipients", &self.recipients)
            .field("recipients_issued_at", &self.recipients_issued_at)
            .field("root_fingerprint", &self.root_fingerprint)
            .field("desk_key", &self.desk_key)
            .field("receipt_keys", &self.receipt_keys)
            .finish()
    }
}

/// A recipient list that verified with the root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedList {
    /// The recipients to seal to.
    pub recipients: Vec<String>,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// The desk key it names, if any.
    pub desk_key: Option<String>,
    /// The receipt keys it names (canonical minisign base64), if any.
    pub receipt_keys: Vec<String>,
}

/// What a device says when the server's root key is not the one its code
/// names.
pub const ROOT_MISMATCH: &str = "this server's OMCT key does not match your enrollment code: send nothing, and contact OMCT another way";

/// Whether a connection failed because the server's certificate is not
/// the pinned one: a `rustls` certificate error somewhere in the chain of
/// causes. An I/O error hides the error it wraps (its `source` is that
/// error's source), so the chain goes through `get_ref` there.
pub fn certificate_refused(e: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        if matches!(
            err.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_))
        ) {
            return true;
        }
        cause = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

pub(crate) fn transient(e: reqwest::Error) -> SyncError {
    if certificate_refused(&e) {
        SyncError::Untrustworthy(
            "the server's certificate is not the pinned one: this may not be OMCT's server".into(),
        )
    } else if e.is_timeout() {
        SyncError::Transient("the server did not answer in time".into())
    } else if e.is_connect() {
        SyncError::Transient(
            "cannot connect to the server (no network, or the server is down)".into(),
        )
    } else {
        SyncError::Transient("the connection failed".into())
    }
}

/// The error a server gave, in its words when it gave some.
pub(crate) async fn refusal(r: reqwest::Response) -> SyncError {
    let status = r.status();
    let reason = r
        .json::<ErrorAnswer>()
        .await
        .map(|a| a.error)
        .unwrap_or_else(|_| format!("the server answered {status}"));
    // The server's own words, marked as such: a server taken over must not
    // be able to pass instructions off as the app's (to enroll again with a
    // code of its own, say).
    let reason: String = reason
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let reason = format!("the server says: {reason}");
    if status.is_server_error() || matches!(status.as_u16(), 409 | 423 | 429) {
        SyncError::Transient(reason)
    } else {
        SyncError::Refused(reason)
    }
}

/// Verifies a signed recipient list with the root key.
pub fn verify_recipients(list: &SignedList, root_key: &str) -> Result<VerifiedList, SyncError> {
    let key = DevicePublicKey::from_minisign(root_key)
        .map_err(|_| SyncError::Untrustworthy("OMCT's root key is not valid".into()))?;
    key.verify(
        SigningPurpose::RecipientList,
        list.list.as_bytes(),
        &list.signature,
    )
    .map_err(|_| {
        SyncError::Untrustworthy("OMCT's recipient list does not verify with its root key".into())
    })?;
    let parsed: RecipientList = serde_json::from_str(&list.list)
        .map_err(|_| SyncError::Untrustworthy("OMCT's recipient list is malformed".into()))?;
    if parsed.v != RECIPIENT_LIST_V1
        || parsed.recipients.is_empty()
        || issued(&parsed.issued_at).is_none()
    {
        return Err(SyncError::Untrustworthy(
            "OMCT's recipient list is malformed".into(),
        ));
    }
    if let Some(k) = &parsed.desk_key {
        DevicePublicKey::from_minisign(k).map_err(|_| {
            SyncError::Untrustworthy("OMCT's recipient list names a malformed desk key".into())
        })?;
    }
    // Every key in the canonical form receipts are checked with, so that a
    // list naming a key with a comment line still names that key.
    let receipt_keys = parsed
        .receipt_keys
        .iter()
        .map(|k| DevicePublicKey::from_minisign(k).map(|k| k.to_minisign_base64()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            SyncError::Untrustworthy("OMCT's recipient list names a malformed receipt key".into())
        })?;
    Ok(VerifiedList {
        recipients: parsed.recipients,
        issued_at: parsed.issued_at,
        desk_key: parsed.desk_key,
        receipt_keys,
    })
}

fn issued(t: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
}

/// Enrolls this device with an enrollment code: registers its public key
/// and its proof to the desk with the code's token at the first of the
/// code's servers that answers, takes OMCT's root key only if its
/// fingerprint is the code's, then fetches and verifies the recipient list
/// with it.
pub async fn enroll_with_code(
    code: &EnrollmentCode,
    device_public_key: &str,
    device_recipient: &str,
    proxy: Option<&str>,
) -> Result<Enrollment, SyncError> {
    let proof = device_proof(&code.secret, device_public_key, device_recipient);
    let mut last = SyncError::Transient("the enrollment code names no server".into());
    for url in &code.servers {
        let endpoint = Endpoint::checked(url, &code.pin, proxy)
            .map_err(|e| SyncError::Refused(e.to_string()))?;
        match enroll(
            endpoint,
            &code.token,
            device_public_key,
            Some(device_recipient),
            Some(proof.clone()),
            &code.root_fingerprint,
        )
        .await
        {
            Err(e @ SyncError::Transient(_)) => last = e,
            other => return other,
        }
    }
    Err(last)
}

/// Enrolls at one server: registers the public key with the token (and
/// the device's age recipient and proof for the desk), checks the root key
/// against the fingerprint the code gave, then fetches and verifies the
/// recipient list.
pub async fn enroll(
    endpoint: Endpoint,
    token: &str,
    device_public_key: &str,
    device_recipient: Option<&str>,
    proof: Option<String>,
    root_fingerprint: &[u8; 16],
) -> Result<Enrollment, SyncError> {
    let client = endpoint.client(Duration::from_secs(60))?;
    let r = client
        .post(endpoint.url("/v1/enroll"))
        .json(&EnrollRequest {
            token: token.to_owned(),
            public_key: device_public_key.to_owned(),
            proof,
            recipient: device_recipient.map(str::to_owned),
        })
        .send()
        .await
        .map_err(transient)?;
    if !r.status().is_success() {
        return Err(refusal(r).await);
    }
    let a: EnrollAnswer = r.json().await.map_err(|_| {
        SyncError::Untrustworthy("the server's answer to enrollment is malformed".into())
    })?;
    let root_key = a.root_key.ok_or_else(|| {
        SyncError::Refused(
            "OMCT has not set up its keys on this server yet; try again later".into(),
        )
    })?;
    // Compared in its canonical form: comment lines or extra text around
    // the key change nothing about the key, so they must not change its
    // fingerprint either.
    let root_key = DevicePublicKey::from_minisign(&root_key)
        .map_err(|_| SyncError::Untrustworthy(ROOT_MISMATCH.into()))?
        .to_minisign_base64();
    if &temoin_proto::code::root_fingerprint(&root_key) != root_fingerprint {
        return Err(SyncError::Untrustworthy(ROOT_MISMATCH.into()));
    }
    let mut e = Enrollment {
        endpoint,
        access_token: a.access_token,
        receipt_key: a.receipt_key,
        root_key,
        recipients: Vec::new(),
        recipients_issued_at: None,
        root_fingerprint: Some(hex::encode(root_fingerprint)),
        desk_key: None,
        receipt_keys: Vec::new(),
    };
    let list = fetch_recipients(&e).await?;
    e.take_list(list);
    Ok(e)
}

/// Fetches and verifies the current recipient list.
pub async fn fetch_recipients(e: &Enrollment) -> Result<VerifiedList, SyncError> {
    let client = e.endpoint.client(Duration::from_secs(60))?;
    let r = client
        .get(e.endpoint.url("/v1/recipients"))
        .send()
        .await
        .map_err(transient)?;
    if !r.status().is_success() {
        return Err(refusal(r).await);
    }
    let list: SignedList = r
        .json()
        .await
        .map_err(|_| SyncError::Untrustworthy("the recipient list is malformed".into()))?;
    verify_recipients(&list, &e.root_key)
}

/// Where an upload stands, kept by the caller between attempts.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct UploadProgress {
    /// The upload's URL path on the server, once created.
    pub location: Option<String>,
    /// Bytes the server has confirmed.
    pub offset: u64,
    /// Bytes sent in all attempts (to measure what resuming re-sends).
    pub bytes_sent: u64,
}

/// A verified delivery.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The receipt, parsed.
    pub receipt: Receipt,
    /// The signed receipt as the server gave it (JSON of `list` and
    /// `signature`).
    pub signed: String,
}

/// Uploads `file` (a sealed bundle of `size` bytes with SHA-256
/// `sha256`), resuming from `progress`, which is updated as the server
/// confirms bytes (`on_progress` is called after each confirmed chunk so
/// the caller can store it). Returns only with a receipt that verifies
/// and names this bundle, these bytes and this device.
pub async fn upload(
    e: &Enrollment,
    bundle_id: &str,
    device_key_id: &str,
    file: &Path,
    sha256: &str,
    progress: &mut UploadProgress,
    on_progress: &mut (dyn FnMut(&UploadProgress) + Send),
) -> Result<Delivery, SyncError> {
    upload_or_pause(
        e,
        bundle_id,
        device_key_id,
        file,
        sha256,
        progress,
        on_progress,
        &|| false,
    )
    .await
}

/// [`upload`], stopping with [`SyncError::Paused`] between two chunks when
/// `pause` says so (an urgent bundle is waiting).
#[allow(clippy::too_many_arguments)]
pub async fn upload_or_pause(
    e: &Enrollment,
    bundle_id: &str,
    device_key_id: &str,
    file: &Path,
    sha256: &str,
    progress: &mut UploadProgress,
    on_progress: &mut (dyn FnMut(&UploadProgress) + Send),
    pause: &(dyn Fn() -> bool + Sync),
) -> Result<Delivery, SyncError> {
    let client = e.endpoint.client(Duration::from_secs(120))?;
    let size = std::fs::metadata(file)?.len();
    let auth = format!("Bearer {}", e.access_token);
    let location = send(
        &client,
        &e.endpoint,
        &auth,
        bundle_id,
        file,
        progress,
        on_progress,
        pause,
    )
    .await?;
    // The receipt: fetched, verified, and checked against what we sent.
    let r = client
        .get(e.endpoint.url(&format!("{location}/receipt")))
        .header("Authorization", &auth)
        .send()
        .await
        .map_err(transient)?;
    if !r.status().is_success() {
        return Err(refusal(r).await);
    }
    let signed: SignedList = r
        .json()
        .await
        .map_err(|_| SyncError::Untrustworthy("the receipt is malformed".into()))?;
    let receipt = verify_receipt(
        &signed,
        &e.accepted_receipt_keys(),
        bundle_id,
        device_key_id,
        sha256,
        size,
    )?;
    Ok(Delivery {
        receipt,
        signed: serde_json::to_string(&signed).unwrap_or_default(),
    })
}

/// The `Upload-Offset` a server answered.
fn upload_offset(r: &reqwest::Response) -> Result<u64, SyncError> {
    r.headers()
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| tus::parse_u64("Upload-Offset", v).ok())
        .ok_or_else(|| {
            SyncError::Transient("the server's answer has no valid Upload-Offset".into())
        })
}

/// The upload path of a `Location` header: a path on the server, or an
/// absolute URL on the same origin as `endpoint` (as some tus servers
/// answer).
fn location_path(endpoint: &Endpoint, value: &str) -> Option<String> {
    let origin = endpoint.url.trim_end_matches('/');
    let path = value.strip_prefix(origin).unwrap_or(value);
    (path.starts_with('/') && path.len() < 200 && !path.contains("..")).then(|| path.to_owned())
}

/// Sends `file` with tus 1.0 (creation, then PATCHes of [`CHUNK`] bytes
/// and more on a fast link, see [`next_chunk`]), resuming from `progress`. Works with any tus server; returns the
/// upload's path once the server has every byte.
///
/// The PATCHes carry no `Upload-Checksum`. Every byte already travels in
/// TLS records that are authenticated to the pinned server, and the signed
/// receipt is checked against the whole bundle's SHA-256 (see
/// [`verify_receipt`]). A checksum per chunk would add one SHA-256 pass on
/// the device and one on the server for every byte (a third of the CPU an
/// upload took in `bench-upload`) and guard nothing more. It would also
/// make a cut chunk all or nothing, where without one the server keeps
/// what arrived and the resume sends only the rest.
pub async fn send_tus(
    endpoint: &Endpoint,
    authorization: &str,
    bundle_id: &str,
    file: &Path,
    progress: &mut UploadProgress,
) -> Result<String, SyncError> {
    let client = endpoint.client(Duration::from_secs(120))?;
    send(
        &client,
        endpoint,
        authorization,
        bundle_id,
        file,
        progress,
        &mut |_| {},
        &|| false,
    )
    .await
}

// The arguments are the upload's own (where, what, how far, whom to
// tell, when to stop): a struct to carry them would only rename them.
#[allow(clippy::too_many_arguments)]
async fn send(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    auth: &str,
    bundle_id: &str,
    file: &Path,
    progress: &mut UploadProgress,
    on_progress: &mut (dyn FnMut(&UploadProgress) + Send),
    pause: &(dyn Fn() -> bool + Sync),
) -> Result<String, SyncError> {
    let size = std::fs::metadata(file)?.len();
    // Where the server stands: ask, or create the upload.
    let location = match &progress.location {
        Some(l) => {
            let r = client
                .head(endpoint.url(l))
                .header("Tus-Resumable", tus::VERSION)
                .header("Authorization", auth)
                .send()
                .await
                .map_err(transient)?;
            if r.status().as_u16() == 404 {
                // The server lost it (or it was terminated): start over.
                progress.location = None;
                progress.offset = 0;
                return Err(SyncError::Transient(
                    "the server no longer has the upload; it will start again".into(),
                ));
            }
            if !r.status().is_success() {
                return Err(refusal(r).await);
            }
            let offset = upload_offset(&r)?;
            if offset > size {
                return Err(SyncError::Untrustworthy(
                    "the server claims more bytes than the bundle has".into(),
                ));
            }
            progress.offset = offset;
            l.clone()
        }
        None => {
            let r = client
                .post(endpoint.url("/v1/uploads"))
                .header("Tus-Resumable", tus::VERSION)
                .header("Authorization", auth)
                .header("Upload-Length", size.to_string())
                .header(
                    "Upload-Metadata",
                    tus::format_metadata(&[("bundle_id", bundle_id.as_bytes())]),
                )
                .send()
                .await
                .map_err(transient)?;
            if r.status().as_u16() != 201 {
                return Err(refusal(r).await);
            }
            let l = r
                .headers()
                .get("Location")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| location_path(endpoint, v))
                .ok_or_else(|| {
                    SyncError::Transient("the server's answer has no valid Location".into())
                })?;
            progress.location = Some(l.clone());
            progress.offset = 0;
            on_progress(progress);
            // A replay of a finished upload: ask where it stands.
            let r = client
                .head(endpoint.url(&l))
                .header("Tus-Resumable", tus::VERSION)
                .header("Authorization", auth)
                .send()
                .await
                .map_err(transient)?;
            if let Ok(o) = upload_offset(&r) {
                if o <= size {
                    progress.offset = o;
                }
            }
            l
        }
    };
    let mut chunk = CHUNK;
    let mut retries = 0;
    while progress.offset < size {
        let len = chunk.min((size - progress.offset) as usize);
        // Streamed from the file as it is sent: no chunk held in memory,
        // and the reading overlaps the sending. What the stream gave the
        // connection is counted, sent or cut.
        let given = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let unread = std::sync::Arc::new(std::sync::Mutex::new(None));
        let body = file_range(
            file,
            progress.offset,
            len as u64,
            given.clone(),
            unread.clone(),
        )
        .await?;
        let started = std::time::Instant::now();
        let r = client
            .patch(endpoint.url(&location))
            .header("Tus-Resumable", tus::VERSION)
            .header("Authorization", auth)
            .header("Content-Type", tus::OFFSET_CONTENT_TYPE)
            .header("Upload-Offset", progress.offset.to_string())
            .header("Content-Length", len.to_string())
            .body(body)
            .send()
            .await;
        progress.bytes_sent += given.load(std::sync::atomic::Ordering::SeqCst);
        // The bundle could not be read (a disk error, a file cut short):
        // the device's own trouble, not the network's, and no retry helps.
        if let Some(e) = unread.lock().ok().and_then(|mut e| e.take()) {
            return Err(SyncError::Local(e));
        }
        // A PATCH that failed, met another offset (409) or found the upload
        // busy (423): a PATCH cut earlier may have still been storing what
        // it got when the server was asked where it stood, and kept those
        // bytes; a server that answers 409 before reading the body may also
        // close the connection under it. Ask where the server stands and go
        // on from there, three times in a row at most: a try that moved
        // the upload forward counts as none.
        let again = matches!(&r, Ok(r) if matches!(r.status().as_u16(), 409 | 423));
        if (again || r.is_err()) && retries < 3 {
            retries += 1;
            if let Ok(offset) = head_offset(client, endpoint, &location, auth, size).await {
                if offset < progress.offset {
                    // Bytes it confirmed as stored are gone from the same
                    // upload: no tus server does that, and following it
                    // would send the bundle again and again.
                    return Err(SyncError::Untrustworthy(
                        "the server went back on bytes it had confirmed".into(),
                    ));
                }
                if offset > progress.offset {
                    retries = 0;
                }
                progress.offset = offset;
                chunk = CHUNK;
                on_progress(progress);
                if pause() {
                    return Err(SyncError::Paused);
                }
                continue;
            }
        }
        let r = r.map_err(transient)?;
        if r.status().as_u16() != 204 {
            return Err(refusal(r).await);
        }
        let confirmed = upload_offset(&r)?;
        if confirmed != progress.offset + len as u64 {
            return Err(SyncError::Transient(
                "the server confirmed a different offset; resuming".into(),
            ));
        }
        progress.offset = confirmed;
        chunk = next_chunk(chunk, started.elapsed());
        on_progress(progress);
        if progress.offset < size && pause() {
            return Err(SyncError::Paused);
        }
    }
    Ok(location)
}

/// Where the server stands on the upload at `location` (HEAD), if it
/// answers one that fits a bundle of `size` bytes.
async fn head_offset(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    location: &str,
    auth: &str,
    size: u64,
) -> Result<u64, SyncError> {
    let h = client
        .head(endpoint.url(location))
        .header("Tus-Resumable", tus::VERSION)
        .header("Authorization", auth)
        .send()
        .await
        .map_err(transient)?;
    if !h.status().is_success() {
        return Err(refusal(h).await);
    }
    let offset = upload_offset(&h)?;
    if offset > size {
        return Err(SyncError::Untrustworthy(
            "the server claims more bytes than the bundle has".into(),
        ));
    }
    Ok(offset)
}

/// `len` bytes of `file` from `offset`, as a request body read in pieces
/// of 1 MiB; `given` counts the bytes handed to the connection, and
/// `unread` gets the error if the file could not be read.
async fn file_range(
    file: &Path,
    offset: u64,
    len: u64,
    given: std::sync::Arc<std::sync::atomic::AtomicU64>,
    unread: std::sync::Arc<std::sync::Mutex<Option<std::io::Error>>>,
) -> Result<reqwest::Body, SyncError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(file).await?;
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    let pieces = futures_util::stream::try_unfold((f, len), move |(mut f, left)| {
        let (given, unread) = (given.clone(), unread.clone());
        async move {
            if left == 0 {
                return Ok(None);
            }
            let mut piece = vec![0u8; (1024 * 1024).min(left as usize)];
            let read = match f.read(&mut piece).await {
                // The bundle is shorter than when the upload began.
                Ok(0) => Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
                other => other,
            };
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    let kind = e.kind();
                    if let Ok(mut slot) = unread.lock() {
                        *slot = Some(e);
                    }
                    return Err(std::io::Error::from(kind));
                }
            };
            piece.truncate(n);
            given.fetch_add(n as u64, std::sync::atomic::Ordering::SeqCst);
            Ok(Some((piece, (f, left - n as u64))))
        }
    });
    Ok(reqwest::Body::wrap_stream(pieces))
}

/// Reads a stored receipt (one [`verify_receipt`] accepted at delivery)
/// for display; `None` if it is not a receipt.
pub fn read_receipt(signed: &str) -> Option<Receipt> {
    let signed: SignedList = serde_json::from_str(signed).ok()?;
    serde_json::from_str(&signed.list).ok()
}

/// Checks a receipt's signature with one of `receipt_keys` and that it
/// names what was sent.
pub fn verify_receipt(
    signed: &SignedList,
    receipt_keys: &[&str],
    bundle_id: &str,
    device_key_id: &str,
    sha256: &str,
    size: u64,
) -> Result<Receipt, SyncError> {
    let mut keys = Vec::with_capacity(receipt_keys.len());
    for k in receipt_keys {
        keys.push(DevicePublicKey::from_minisign(k).map_err(|_| {
            SyncError::Untrustworthy("the server's receipt key is not valid".into())
        })?);
    }
    let signed_by_one = keys.iter().any(|key| {
        key.verify(
            SigningPurpose::Receipt,
            signed.list.as_bytes(),
            &signed.signature,
        )
        .is_ok()
    });
    if !signed_by_one {
        return Err(SyncError::Untrustworthy(
            "the receipt's signature does not verify with a receipt key OMCT named: not marked delivered".into(),
        ));
    }
    let receipt: Receipt = serde_json::from_str(&signed.list)
        .map_err(|_| SyncError::Untrustworthy("the receipt is malformed".into()))?;
    if receipt.v != RECEIPT_V1
        || receipt.bundle_id != bundle_id
        || receipt.device_key_id != device_key_id
        || receipt.sha256 != sha256
        || receipt.size != size
    {
        return Err(SyncError::Untrustworthy(
            "the receipt does not match what was sent (another bundle, or other bytes): not marked delivered".into(),
        ));
    }
    Ok(receipt)
}

/// Verifies a desk acknowledgement with the desk key and checks it is about
/// this bundle (its id, the ciphertext's SHA-256 and, when known, its
/// manifest's). The server that relays it cannot make one that passes.
pub fn verify_ack(
    signed: &SignedList,
    desk_key: &str,
    bundle_id: &str,
    sha256: &str,
    manifest_sha256: Option<&str>,
) -> Result<DeskAck, SyncError> {
    let bad = |why: &str| SyncError::Untrustworthy(format!("OMCT's acknowledgement {why}"));
    let key = DevicePublicKey::from_minisign(desk_key).map_err(|_| bad("key is malformed"))?;
    key.verify(
        SigningPurpose::DeskAck,
        signed.list.as_bytes(),
        &signed.signature,
    )
    .map_err(|_| bad("does not verify with OMCT's desk key"))?;
    let ack: DeskAck = serde_json::from_str(&signed.list).map_err(|_| bad("is malformed"))?;
    if ack.v != DESK_ACK_V1 {
        return Err(bad("is of an unknown version"));
    }
    if ack.bundle_id != bundle_id
        || ack.sha256 != sha256
        || manifest_sha256.is_some_and(|m| m != ack.manifest_sha256)
    {
        return Err(bad("is about another bundle"));
    }
    Ok(ack)
}

/// The desk's acknowledgement of an upload's bundle, as the server relays
/// it: `None` while there is none yet. Not verified here: see
/// [`verify_ack`].
pub async fn fetch_ack(e: &Enrollment, location: &str) -> Result<Option<SignedList>, SyncError> {
    let client = e.endpoint.client(Duration::from_secs(60))?;
    let r = client
        .get(e.endpoint.url(&format!("{location}/acknowledgement")))
        .header("Authorization", format!("Bearer {}", e.access_token))
        .send()
        .await
        .map_err(transient)?;
    match r.status().as_u16() {
        204 => Ok(None),
        200 => r.json().await.map(Some).map_err(|_| {
            SyncError::Untrustworthy("the server relayed a malformed acknowledgement".into())
        }),
        _ => Err(refusal(r).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_grow_on_a_fast_link_and_stay_small_on_a_slow_one() {
        let fast = Duration::from_millis(50);
        let mut chunk = CHUNK;
        let mut sizes = vec![];
        for _ in 0..5 {
            chunk = next_chunk(chunk, fast);
            sizes.push(chunk / (1024 * 1024));
        }
        assert_eq!(sizes, [16, 32, 64, 64, 64]);
        // Tor: 8 MiB took a minute; the chunk never grows.
        assert_eq!(next_chunk(CHUNK, Duration::from_secs(60)), CHUNK);
        // The link slowed down: back toward 8 MiB, not below.
        assert_eq!(next_chunk(MAX_CHUNK, Duration::from_secs(10)), 32 << 20);
        assert_eq!(next_chunk(16 << 20, Duration::from_secs(10)), CHUNK);
        assert_eq!(next_chunk(32 << 20, Duration::from_secs(2)), 32 << 20);
    }

    fn signed_receipt(key: &temoin_crypto::sign::DeviceKey) -> SignedList {
        let text = serde_json::to_string(&Receipt {
            v: RECEIPT_V1.into(),
            bundle_id: "b".into(),
            device_key_id: "d".into(),
            sha256: "00".into(),
            size: 7,
            received_at: "2026-12-05T00:00:00Z".into(),
        })
        .unwrap_or_default();
        SignedList {
            signature: key.sign(SigningPurpose::Receipt, text.as_bytes()),
            list: text,
        }
    }

    #[test]
    fn a_receipt_verifies_with_any_named_key_and_no_other() {
        use temoin_crypto::sign::DeviceKey;
        let (old, new, other) = (
            DeviceKey::generate(),
            DeviceKey::generate(),
            DeviceKey::generate(),
        );
        let public = |k: &DeviceKey| k.public().to_minisign_base64();
        let (old_p, new_p) = (public(&old), public(&new));
        let both = [old_p.as_str(), new_p.as_str()];
        for key in [&old, &new] {
            let r = verify_receipt(&signed_receipt(key), &both, "b", "d", "00", 7);
            assert!(r.is_ok(), "{r:?}");
        }
        let r = verify_receipt(&signed_receipt(&other), &both, "b", "d", "00", 7);
        assert!(matches!(r, Err(SyncError::Untrustworthy(_))), "{r:?}");
        let r = verify_receipt(&signed_receipt(&old), &[new_p.as_str()], "b", "d", "00", 7);
        assert!(matches!(r, Err(SyncError::Untrustworthy(_))), "{r:?}");
        let r = verify_receipt(&signed_receipt(&old), &[], "b", "d", "00", 7);
        assert!(
            matches!(r, Err(SyncError::Untrustworthy(_))),
            "no key, no receipt: {r:?}"
        );
    }

    fn list_naming(
        root: &temoin_crypto::sign::DeviceKey,
        receipt_keys: &[&str],
        at: &str,
    ) -> SignedList {
        let text = serde_json::to_string(&RecipientList {
            v: RECIPIENT_LIST_V1.into(),
            issued_at: at.into(),
            recipients: vec!["age1example".into()],
            desk_key: None,
            receipt_keys: receipt_keys.iter().map(|k| (*k).to_owned()).collect(),
        })
        .unwrap_or_default();
        SignedList {
            signature: root.sign(SigningPurpose::RecipientList, text.as_bytes()),
            list: text,
        }
    }

    #[test]
    fn the_receipt_keys_come_from_a_newer_list_only() {
        use temoin_crypto::sign::DeviceKey;
        let root = DeviceKey::generate();
        let root_p = root.public().to_minisign_base64();
        let enrolled = DeviceKey::generate().public().to_minisign_base64();
        let rotated = DeviceKey::generate().public().to_minisign_base64();
        let mut e = Enrollment {
            endpoint: Endpoint {
                url: "https://127.0.0.1:9".into(),
                pin: String::new(),
                proxy: None,
                timeout_secs: None,
            },
            access_token: String::new(),
            receipt_key: enrolled.clone(),
            root_key: root_p.clone(),
            recipients: vec![],
            recipients_issued_at: None,
            root_fingerprint: None,
            desk_key: None,
            receipt_keys: vec![],
        };
        let first = verify_recipients(&list_naming(&root, &[], "2026-12-01T00:00:00Z"), &root_p);
        assert!(e.take_list(first.unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(e.accepted_receipt_keys(), vec![enrolled.as_str()]);
        let named = list_naming(&root, &[&rotated], "2026-12-02T00:00:00Z");
        assert!(e.take_list(verify_recipients(&named, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(e.accepted_receipt_keys(), vec![rotated.as_str()]);
        // The same list again changes nothing.
        assert!(!e.take_list(verify_recipients(&named, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        // A list replayed from before the rotation does not bring the
        // enrollment's key back, nor does a newer one that names no
        // receipt key (from a desk of an older version).
        let older = list_naming(&root, &[], "2026-12-01T12:00:00Z");
        assert!(!e.take_list(verify_recipients(&older, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(e.accepted_receipt_keys(), vec![rotated.as_str()]);
        let silent = list_naming(&root, &[], "2026-12-02T12:00:00Z");
        assert!(e.take_list(verify_recipients(&silent, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(e.accepted_receipt_keys(), vec![rotated.as_str()]);
        // A device that took the naming list with a version that did not
        // keep receipt keys (its enrollment saved without them) learns
        // them from that same list once updated.
        let mut updated_late = e.clone();
        updated_late.receipt_keys.clear();
        updated_late.recipients_issued_at = Some("2026-12-02T00:00:00Z".into());
        assert!(updated_late
            .take_list(verify_recipients(&named, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(updated_late.accepted_receipt_keys(), vec![rotated.as_str()]);
        // A newer list that names no desk key leaves the one held.
        e.desk_key = Some("the desk key held".into());
        let later = list_naming(&root, &[], "2026-12-04T00:00:00Z");
        assert!(e.take_list(verify_recipients(&later, &root_p).unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!(e.desk_key.as_deref(), Some("the desk key held"));
        // A list naming something that is not a key is refused whole.
        let bad = list_naming(&root, &["not a key"], "2026-12-03T00:00:00Z");
        assert!(matches!(
            verify_recipients(&bad, &root_p),
            Err(SyncError::Untrustworthy(_))
        ));
    }
}
