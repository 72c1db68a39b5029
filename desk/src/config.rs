//! The desk's settings, the devices it knows, and rotating OMCT's key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use temoin_bundle::PayloadIdentity;
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::recipients::{RecipientList, RECIPIENT_LIST_V1};
use temoin_proto::SignedList;
use temoin_sync::client::Endpoint;

use crate::error::DeskError;

/// The desk's settings.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeskConfig {
    /// The intake server.
    pub endpoint: Endpoint,
    /// The desk's access token to the server.
    pub desk_token: String,
    /// The recipient list as last published.
    pub recipients: SignedList,
    /// The other officers' desks this desk added (OMCT's desk, which holds
    /// the root key): their recipients are in the recipient list.
    #[serde(default)]
    pub officers: Vec<Officer>,
    /// For an officer's desk: who it is at OMCT's desk, and OMCT's root key
    /// (its token is `desk_token`).
    #[serde(default)]
    pub officer_of: Option<OfficerOf>,
}

/// Another officer's desk, as OMCT's desk added it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Officer {
    /// Its id at the server.
    pub officer_id: String,
    /// Who or where.
    pub label: String,
    /// Its age recipient: devices seal every bundle to it too.
    pub recipient: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
}

/// What an officer's desk knows of OMCT's desk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfficerOf {
    /// Its id at the server.
    pub officer_id: String,
    /// OMCT's root public key (minisign base64): the recipient list and
    /// the device registry are taken only with its signature.
    pub root_key: String,
    /// When the device registry it holds was signed (RFC 3339).
    #[serde(default)]
    pub registry_issued_at: Option<String>,
}

impl DeskConfig {
    /// The recipient list as last published, read back.
    pub fn listed(&self) -> Result<RecipientList, DeskError> {
        serde_json::from_str(&self.recipients.list)
            .map_err(|_| DeskError::Local("the desk's recipient list is damaged".into()))
    }
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
    /// Its age recipient, for what the desk seals to it, bound to its key
    /// by its proof (none for a device approved before devices had one).
    #[serde(default)]
    pub recipient: Option<String>,
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

/// Signs a recipient list, naming the desk's acknowledgement key and the
/// server's receipt keys devices accept (none: the one each learned at
/// enrollment), with the root key.
pub fn sign_recipients(
    root: &DeviceKey,
    recipients: &[String],
    desk_key: Option<&str>,
    receipt_keys: &[String],
) -> SignedList {
    let list = RecipientList {
        v: RECIPIENT_LIST_V1.into(),
        issued_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        recipients: recipients.to_vec(),
        desk_key: desk_key.map(str::to_owned),
        receipt_keys: receipt_keys.to_vec(),
    };
    let text = serde_json::to_string(&list).unwrap_or_default();
    let signature = root.sign(SigningPurpose::RecipientList, text.as_bytes());
    SignedList {
        list: text,
        signature,
    }
}

impl crate::Desk {
    /// Rotates OMCT's key: makes a new age identity, keeps it before the
    /// old ones (which stay, so bundles sealed to them still open), and
    /// publishes a recipient list naming the new one (and the other
    /// officers' desks), signed with the root key. Devices take it at their next sync. Returns the new
    /// recipient.
    pub async fn rotate(&mut self) -> Result<String, DeskError> {
        self.only_omct_desk("rotate OMCT's key")?;
        let mut c = self.config()?;
        let root = self.root_key()?;
        let identity = PayloadIdentity::generate();
        let recipient = identity.recipient().to_string();
        let desk = self.desk_key()?.public().to_minisign_base64();
        // The officers' desks stay on the list: a rotation is OMCT's key.
        let mut all = vec![recipient.clone()];
        all.extend(c.officers.iter().map(|o| o.recipient.clone()));
        let list = sign_recipients(&root, &all, Some(&desk), &c.listed()?.receipt_keys);
        // The new key is in the store before anyone can seal to it.
        self.add_identity(&identity)?;
        self.publish_and_keep(&mut c, &root, list).await?;
        Ok(recipient)
    }

    /// Names the intake server's receipt keys devices accept, in a
    /// recipient list signed with the root key and published (the same
    /// recipients and desk key): how OMCT rotates the server's receipt
    /// key. Each device takes it at its next sync, before it sends
    /// anything. Once keys are named, devices never go back to the one
    /// they learned at enrollment, so at least one is needed. Returns the
    /// keys as named (canonical form).
    pub async fn set_receipt_keys(&mut self, keys: &[String]) -> Result<Vec<String>, DeskError> {
        self.only_omct_desk("name the server's receipt keys")?;
        if keys.is_empty() {
            return Err(DeskError::Local(
                "name at least one receipt key (as `temoin-intake receipt-key` prints it)".into(),
            ));
        }
        let mut named: Vec<String> = Vec::with_capacity(keys.len());
        for k in keys {
            let key = temoin_crypto::sign::DevicePublicKey::from_minisign(k).map_err(|_| {
                DeskError::Local(
                    "that is not a receipt key: give the public key `temoin-intake receipt-key` prints"
                        .into(),
                )
            })?;
            let key = key.to_minisign_base64();
            if !named.contains(&key) {
                named.push(key);
            }
        }
        let mut c = self.config()?;
        let current = c.listed()?;
        let root = self.root_key()?;
        let desk = self.desk_key()?.public().to_minisign_base64();
        let list = sign_recipients(&root, &current.recipients, Some(&desk), &named);
        self.publish_and_keep(&mut c, &root, list).await?;
        Ok(named)
    }

    /// Publishes a signed recipient list on the server, then keeps it as
    /// the current one.
    pub(crate) async fn publish_and_keep(
        &mut self,
        c: &mut DeskConfig,
        root: &DeviceKey,
        list: SignedList,
    ) -> Result<(), DeskError> {
        crate::conn::publish(&c.endpoint, &c.desk_token, root, &list).await?;
        c.recipients = list;
        self.save_config(c)
    }
}
