//! OMCT's desk: the age identity bundles are sealed to, the root key that
//! signs the recipient list devices fetch, enrollment tokens, and pulling
//! and opening what devices sent.
//!
//! A desk folder (`desk init --dir DIR`) holds:
//!
//! | path | what |
//! | --- | --- |
//! | `omct.key` | OMCT's age identity (mode 0600); can be moved to an offline machine that only runs `desk open` |
//! | `root.key` | the root signing key (mode 0600) |
//! | `desk.json` | the server's URL and pin, the desk token, the current recipient list |
//! | `devices.json` | enrolled devices' keys, and the sequence numbers seen from each |
//! | `inbox/` | bundles pulled and not yet opened |
//! | `opened/<bundle id>/` | each bundle unpacked, with `verification.json` |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_crypto::sign::{DeviceKey, DevicePublicKey, SigningPurpose};
use temoin_vault::bundle::{read_bundle, PayloadIdentity, ReadOptions, Report};

use crate::client::{Endpoint, RecipientList, SyncError};
use crate::server::{write_durably, write_private, SignedList};

/// The desk's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeskConfig {
    /// The intake server.
    pub endpoint: Endpoint,
    /// The desk's access token to the server.
    pub desk_token: String,
    /// The recipient list as last published.
    pub recipients: SignedList,
}

/// What the desk knows of devices.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Devices {
    /// Public keys (minisign base64) by key id, as the server enrolled them.
    pub keys: BTreeMap<String, String>,
    /// Sequence numbers seen in genuine bundles, by key id, with the
    /// SHA-256 of the manifest that used each.
    pub sequences: BTreeMap<String, BTreeMap<u64, String>>,
    /// When each revoked device was revoked (RFC 3339), by key id.
    #[serde(default)]
    pub revoked: BTreeMap<String, String>,
}

/// Why the desk could not do something.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// A local file.
    #[error("{0}")]
    Local(String),
    /// The server.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<std::io::Error> for DeskError {
    fn from(e: std::io::Error) -> Self {
        DeskError::Local(format!("input/output error: {e}"))
    }
}

fn private_write(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    Ok(write_private(path, bytes)?)
}

fn load<T: for<'a> Deserialize<'a>>(path: &Path) -> Result<T, DeskError> {
    let bytes = std::fs::read(path).map_err(|_| {
        DeskError::Local(format!(
            "{} is missing: is this a desk folder (`temoin desk init`)?",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|_| DeskError::Local(format!("{} is malformed", path.display())))
}

fn http(endpoint: &Endpoint) -> Result<reqwest::Client, DeskError> {
    let mut b = reqwest::Client::builder()
        .use_preconfigured_tls(crate::pin::client_config(&endpoint.pin))
        .connect_timeout(Duration::from_secs(20))
        .read_timeout(Duration::from_secs(120))
        .https_only(true);
    if let Some(p) = &endpoint.proxy {
        b = b.proxy(
            reqwest::Proxy::all(p)
                .map_err(|_| DeskError::Local("the proxy is not valid".into()))?,
        );
    }
    b.build()
        .map_err(|_| DeskError::Local("the connection settings are not usable".into()))
}

async fn check(r: reqwest::Response) -> Result<reqwest::Response, DeskError> {
    if r.status().is_success() {
        return Ok(r);
    }
    let status = r.status();
    let why = r
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| format!("the server answered {status}"));
    Err(DeskError::Sync(SyncError::Refused(why)))
}

/// The desk's connection to the intake server: its address and token.
struct Conn {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Conn {
    fn new(c: &DeskConfig) -> Result<Conn, DeskError> {
        Ok(Conn {
            client: http(&c.endpoint)?,
            base: c.endpoint.url.trim_end_matches('/').to_owned(),
            token: c.desk_token.clone(),
        })
    }

    /// Sends a desk request; an error answer becomes the server's reason.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response, DeskError> {
        let mut rq = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        check(rq.send().await.map_err(net)?).await
    }

    async fn json<T: for<'a> Deserialize<'a>>(&self, path: &str) -> Result<T, DeskError> {
        self.send(reqwest::Method::GET, path, None)
            .await?
            .json()
            .await
            .map_err(net)
    }
}

fn net(e: reqwest::Error) -> DeskError {
    DeskError::Sync(SyncError::Transient(if e.is_connect() {
        "cannot connect to the intake server (or its certificate is not the pinned one)".into()
    } else {
        "the connection to the intake server failed".into()
    }))
}

/// Signs a recipient list with the root key.
pub fn sign_recipients(root: &DeviceKey, recipients: &[String]) -> SignedList {
    let list = RecipientList {
        v: "temoin/recipient-list/v1".into(),
        issued_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        recipients: recipients.to_vec(),
    };
    let text = serde_json::to_string(&list).unwrap_or_default();
    let signature = root.sign(SigningPurpose::RecipientList, text.as_bytes());
    SignedList {
        list: text,
        signature,
    }
}

/// Creates a desk folder: OMCT's age identity, the root key, and the signed
/// recipient list, which it publishes on the server.
pub async fn init(dir: &Path, endpoint: Endpoint, desk_token: &str) -> Result<String, DeskError> {
    if dir.join("desk.json").exists() {
        return Err(DeskError::Local(
            "this folder is already a desk; nothing was changed".into(),
        ));
    }
    std::fs::create_dir_all(dir.join("inbox"))?;
    std::fs::create_dir_all(dir.join("opened"))?;
    let identity = PayloadIdentity::generate();
    let root = DeviceKey::generate();
    private_write(
        &dir.join("omct.key"),
        identity.key_file_for_export().as_bytes(),
    )?;
    private_write(&dir.join("root.key"), root.secret_for_sealing().as_ref())?;
    let recipient = identity.recipient().to_string();
    let list = sign_recipients(&root, std::slice::from_ref(&recipient));
    publish(&endpoint, desk_token, &root, &list).await?;
    let config = DeskConfig {
        endpoint,
        desk_token: desk_token.to_owned(),
        recipients: list,
    };
    private_write(
        &dir.join("desk.json"),
        &serde_json::to_vec_pretty(&config).unwrap_or_default(),
    )?;
    write_durably(
        &dir.join("devices.json"),
        &serde_json::to_vec_pretty(&Devices::default()).unwrap_or_default(),
    )?;
    Ok(recipient)
}

async fn publish(
    endpoint: &Endpoint,
    token: &str,
    root: &DeviceKey,
    list: &SignedList,
) -> Result<(), DeskError> {
    let r = http(endpoint)?
        .put(format!(
            "{}/v1/desk/recipients",
            endpoint.url.trim_end_matches('/')
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({ "root_key": root.public().to_minisign_base64(), "list": list }))
        .send()
        .await
        .map_err(net)?;
    check(r).await?;
    Ok(())
}

/// Rotates OMCT's key: makes a new age identity, adds it to `omct.key`
/// (the old ones stay, so bundles sealed to them still open), and publishes
/// a recipient list naming only the new one, signed with the root key.
/// Devices take it at their next sync. Returns the new recipient.
pub async fn rotate(dir: &Path) -> Result<String, DeskError> {
    let mut c: DeskConfig = load(&dir.join("desk.json"))?;
    let root = DeviceKey::from_sealed(
        &std::fs::read(dir.join("root.key"))
            .map_err(|_| DeskError::Local("root.key is missing from the desk folder".into()))?,
    )
    .map_err(|_| DeskError::Local("root.key is damaged".into()))?;
    let key_path = dir.join("omct.key");
    let old = std::fs::read_to_string(&key_path)
        .map_err(|_| DeskError::Local("omct.key is missing from the desk folder".into()))?;
    let identity = PayloadIdentity::generate();
    let recipient = identity.recipient().to_string();
    let list = sign_recipients(&root, std::slice::from_ref(&recipient));
    // The new key is on disk before anyone can seal to it.
    private_write(
        &key_path,
        format!("{}\n{}", identity.key_file_for_export().as_str(), old).as_bytes(),
    )?;
    publish(&c.endpoint, &c.desk_token, &root, &list).await?;
    c.recipients = list;
    private_write(
        &dir.join("desk.json"),
        &serde_json::to_vec_pretty(&c).unwrap_or_default(),
    )?;
    Ok(recipient)
}

/// Asks the server for a one-time enrollment token for a device.
pub async fn enrollment_token(
    dir: &Path,
    label: &str,
    valid_hours: u32,
) -> Result<String, DeskError> {
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let body = serde_json::json!({ "label": label, "valid_hours": valid_hours });
    let r = Conn::new(&c)?
        .send(reqwest::Method::POST, "/v1/desk/tokens", Some(body))
        .await?;
    let v: serde_json::Value = r.json().await.map_err(net)?;
    v.get("token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| DeskError::Local("the server's answer has no token".into()))
}

/// Revokes a device on the server.
pub async fn revoke(dir: &Path, key_id: &str) -> Result<(), DeskError> {
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let path = format!("/v1/desk/devices/{key_id}/revoke");
    Conn::new(&c)?
        .send(reqwest::Method::POST, &path, None)
        .await?;
    Ok(())
}

/// Fetches every bundle not yet pulled into `inbox/`, checks each arrived
/// whole (SHA-256 as the server recorded it), then acknowledges it. Also
/// refreshes the enrolled devices' keys. Returns the bundle ids pulled.
pub async fn pull(dir: &Path) -> Result<Vec<String>, DeskError> {
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let conn = Conn::new(&c)?;
    let devices_path = dir.join("devices.json");
    let mut devices: Devices = load(&devices_path)?;
    let list: Vec<serde_json::Value> = conn.json("/v1/desk/devices").await?;
    for d in list {
        if let (Some(id), Some(key)) = (d["key_id"].as_str(), d["public_key"].as_str()) {
            devices.keys.insert(id.to_owned(), key.to_owned());
            if let Some(at) = d["revoked_at"].as_str() {
                devices.revoked.insert(id.to_owned(), at.to_owned());
            }
        }
    }
    write_durably(
        &devices_path,
        &serde_json::to_vec_pretty(&devices).unwrap_or_default(),
    )?;
    let bundles: Vec<serde_json::Value> = conn.json("/v1/desk/bundles").await?;
    let mut pulled = Vec::new();
    for b in bundles {
        let (Some(id), Some(sha)) = (b["bundle_id"].as_str(), b["sha256"].as_str()) else {
            continue;
        };
        if uuid::Uuid::parse_str(id).is_err() {
            continue;
        }
        let target = dir.join("inbox").join(format!("{id}.tar.age"));
        if !target.exists() {
            let mut r = conn
                .send(
                    reqwest::Method::GET,
                    &format!("/v1/desk/bundles/{id}"),
                    None,
                )
                .await?;
            let part = target.with_extension("part");
            let mut f = std::fs::File::create(&part)?;
            let mut h = Sha256::new();
            while let Some(chunk) = r.chunk().await.map_err(net)? {
                use std::io::Write;
                h.update(&chunk);
                f.write_all(&chunk)?;
            }
            f.sync_all()?;
            if hex::encode(h.finalize()) != sha {
                let _ = std::fs::remove_file(&part);
                return Err(DeskError::Local(format!(
                    "bundle {id} arrived damaged (its hash is not what the server recorded); pull again"
                )));
            }
            std::fs::rename(&part, &target)?;
            std::fs::File::open(dir.join("inbox"))?.sync_all()?;
        }
        conn.send(
            reqwest::Method::POST,
            &format!("/v1/desk/bundles/{id}/ack"),
            None,
        )
        .await?;
        pulled.push(id.to_owned());
    }
    Ok(pulled)
}

/// What opening one bundle found.
#[derive(Debug)]
pub struct Opened {
    /// The file opened.
    pub file: PathBuf,
    /// Where it was unpacked.
    pub out: PathBuf,
    /// The reader's report.
    pub report: Report,
    /// Problems only the desk can see (a reused sequence number).
    pub desk_problems: Vec<String>,
}

impl Opened {
    /// Genuine, and nothing wrong seen by the desk either.
    pub fn accepted(&self) -> bool {
        self.report.genuine() && self.desk_problems.is_empty()
    }
}

/// Opens every bundle in `inbox/` (or the one given): decrypts with OMCT's
/// identity, verifies against the enrolled devices' keys, flags a reused
/// sequence number, and unpacks into `opened/<bundle id>/` with
/// `verification.json`. A bundle already opened is skipped.
pub fn open(dir: &Path, only: Option<&Path>) -> Result<Vec<Opened>, DeskError> {
    let identities = PayloadIdentity::from_identity_file(
        &std::fs::read_to_string(dir.join("omct.key"))
            .map_err(|_| DeskError::Local("omct.key is missing from the desk folder".into()))?,
    )
    .map_err(|_| DeskError::Local("omct.key is not an age identity file".into()))?;
    let devices_path = dir.join("devices.json");
    let mut devices: Devices = load(&devices_path)?;
    let trusted: Vec<DevicePublicKey> = devices
        .keys
        .values()
        .filter_map(|k| DevicePublicKey::from_minisign(k).ok())
        .collect();
    let files: Vec<PathBuf> = match only {
        Some(f) => vec![f.to_owned()],
        None => {
            let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("inbox"))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("age"))
                .collect();
            v.sort();
            v
        }
    };
    let mut out = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("bundle")
            .trim_end_matches(".tar.age")
            .to_owned();
        let target = dir.join("opened").join(&name);
        // Opened before: its verdict is on disk. A folder without one is
        // what an interrupted run left; it is done again from the start.
        if target.join("verification.json").is_file() {
            continue;
        }
        if target.exists() {
            std::fs::remove_dir_all(&target)?;
        }
        let input = std::fs::File::open(&file)?;
        let read = read_bundle(
            std::io::BufReader::new(input),
            &identities,
            &ReadOptions {
                trusted_devices: &trusted,
                out_dir: Some(&target),
            },
        );
        let mut desk_problems = Vec::new();
        let report = match read {
            Ok(r) => r,
            // Not for OMCT's keys, or not a bundle at all: a verdict too,
            // so that one bad file does not stop the others.
            Err(e) => {
                desk_problems.push(format!("the file cannot be opened: {e}"));
                Report::default()
            }
        };
        if let (Some(m), Some(manifest_sha)) = (&report.manifest, &report.manifest_sha256) {
            // Sequence numbers count only for bundles that are genuine (so a
            // forger cannot spend a real device's numbers), under the key
            // id the signature proved. The same bundle delivered twice (same
            // manifest) is not a replay; another manifest with a number
            // already used is.
            if report.genuine() {
                let seen = devices
                    .sequences
                    .entry(m.device.key_id.clone())
                    .or_default();
                match seen.get(&m.sequence) {
                    Some(other) if other != manifest_sha => desk_problems.push(format!(
                        "sequence number {} of device {} was already used by another bundle (manifest {other}): a replay or a copied device",
                        m.sequence, m.device.key_id
                    )),
                    _ => {
                        seen.insert(m.sequence, manifest_sha.clone());
                    }
                }
            }
            // A device revoked (lost, seized) can still sign: what it
            // sealed after its revocation (a USB stick, say) is not taken
            // on its word.
            if let Some(at) = devices.revoked.get(&m.device.key_id) {
                let parse = |t: &str| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                };
                let after = match (parse(&m.created_at), parse(at)) {
                    (Some(sealed), Some(revoked)) => sealed >= revoked,
                    _ => true,
                };
                if after {
                    desk_problems.push(format!(
                        "device {} was revoked at {at}; this bundle says it was sealed at {}",
                        m.device.key_id, m.created_at
                    ));
                }
            }
            if m.bundle_id != name && only.is_none() {
                desk_problems
                    .push("the bundle's id is not the one the server stored it under".into());
            }
        }
        let verdict = serde_json::json!({
            "accepted": report.genuine() && desk_problems.is_empty(),
            "genuine": report.genuine(),
            "intact": report.intact(),
            "problems": report.problems,
            "desk_problems": desk_problems,
            "bundle_id": report.manifest.as_ref().map(|m| &m.bundle_id),
            "device_key_id": report.manifest.as_ref().map(|m| &m.device.key_id),
            "sequence": report.manifest.as_ref().map(|m| m.sequence),
            "supersedes": report.manifest.as_ref().map(|m| &m.supersedes),
            "manifest_sha256": report.manifest_sha256,
        });
        // The register first, then the verdict that marks the bundle done:
        // a crash in between opens it again, never skips its number.
        write_durably(
            &devices_path,
            &serde_json::to_vec_pretty(&devices).unwrap_or_default(),
        )?;
        std::fs::create_dir_all(&target)?;
        write_durably(
            &target.join("verification.json"),
            &serde_json::to_vec_pretty(&verdict).unwrap_or_default(),
        )?;
        out.push(Opened {
            file,
            out: target,
            report,
            desk_problems,
        });
    }
    Ok(out)
}
