//! The desk folder: its settings, the devices it knows, making it, and
//! rotating OMCT's key.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use temoin_bundle::PayloadIdentity;
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::recipients::{RecipientList, RECIPIENT_LIST_V1};
use temoin_proto::SignedList;
use temoin_sync::client::Endpoint;

use crate::conn::publish;
use crate::error::DeskError;
use crate::file::{load, private_write};

/// The desk's settings.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeskConfig {
    /// The intake server.
    pub endpoint: Endpoint,
    /// The desk's access token to the server.
    pub desk_token: String,
    /// The recipient list as last published.
    pub recipients: SignedList,
}

// The desk token is a bearer secret: never in `Debug` output.
impl std::fmt::Debug for DeskConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskConfig")
            .field("endpoint", &self.endpoint)
            .field("desk_token", &"<redacted>")
            .field("recipients", &self.recipients)
            .finish()
    }
}

/// The desk's device registry: the devices it approved itself, the
/// enrollment codes it issued that no device has used yet, and what it saw.
/// The server's device list is only a hint: a key enters `approved` only
/// with a proof keyed by a code's secret, which the server never saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Devices {
    /// Devices the desk approved, by key id.
    #[serde(default)]
    pub approved: BTreeMap<String, Approved>,
    /// Codes issued and not yet used, by the SHA-256 (hex) of their token.
    #[serde(default)]
    pub pending: BTreeMap<String, Pending>,
    /// Keys the server lists that the desk never approved (key id to
    /// public key): their bundles are flagged "unknown device".
    #[serde(default)]
    pub unknown: BTreeMap<String, String>,
    /// Sequence numbers seen in genuine bundles, by key id, with the
    /// SHA-256 of the manifest that used each.
    #[serde(default)]
    pub sequences: BTreeMap<String, BTreeMap<u64, String>>,
    /// When each revoked device was revoked (RFC 3339), by key id: recorded
    /// here first, whatever the server does.
    #[serde(default)]
    pub revoked: BTreeMap<String, String>,
    /// What the desk noticed in the server's lists that a person should
    /// know (another key listed under an approved id), newest last.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A device the desk approved.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Approved {
    /// Its signing key (minisign base64): the key id names this key and no
    /// other, whatever the server lists later.
    pub public_key: String,
    /// The label its code was issued for.
    pub label: String,
    /// When the desk approved it (RFC 3339).
    pub approved_at: String,
}

/// An enrollment code issued and not yet used.
#[derive(Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The label it was issued for.
    pub label: String,
    /// The code's secret (hex), which keys the device's proof.
    pub secret: String,
    /// When it stops working (Unix time).
    pub expires_at: i64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("label", &self.label)
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Signs a recipient list, naming the desk's acknowledgement key, with the
/// root key.
pub fn sign_recipients(
    root: &DeviceKey,
    recipients: &[String],
    desk_key: Option<&str>,
) -> SignedList {
    let list = RecipientList {
        v: RECIPIENT_LIST_V1.into(),
        issued_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        recipients: recipients.to_vec(),
        desk_key: desk_key.map(str::to_owned),
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
    crate::file::private_dir(dir)?;
    crate::file::private_dir(&dir.join("inbox"))?;
    crate::file::private_dir(&dir.join("opened"))?;
    let identity = PayloadIdentity::generate();
    let root = DeviceKey::generate();
    private_write(
        &dir.join("omct.key"),
        identity.key_file_for_export().as_bytes(),
    )?;
    private_write(&dir.join("root.key"), root.secret_for_sealing().as_ref())?;
    let recipient = identity.recipient().to_string();
    let desk = crate::ack::desk_key(dir)?.public().to_minisign_base64();
    let list = sign_recipients(&root, std::slice::from_ref(&recipient), Some(&desk));
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
    private_write(
        &dir.join("devices.json"),
        &serde_json::to_vec_pretty(&Devices::default()).unwrap_or_default(),
    )?;
    Ok(recipient)
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
    let desk = crate::ack::desk_key(dir)?.public().to_minisign_base64();
    let list = sign_recipients(&root, std::slice::from_ref(&recipient), Some(&desk));
    // The new key is on disk before anyone can seal to it.
    private_write(
        &key_path,
        format!("{}\n{}", identity.key_file_for_export().as_str(), old).as_bytes(),
    )?;
    publish_and_keep(dir, &mut c, &root, list).await?;
    Ok(recipient)
}

/// Publishes a signed recipient list on the server, then keeps it in
/// `desk.json` as the current one.
pub(crate) async fn publish_and_keep(
    dir: &Path,
    c: &mut DeskConfig,
    root: &DeviceKey,
    list: SignedList,
) -> Result<(), DeskError> {
    publish(&c.endpoint, &c.desk_token, root, &list).await?;
    c.recipients = list;
    private_write(
        &dir.join("desk.json"),
        &serde_json::to_vec_pretty(c).unwrap_or_default(),
    )
}
