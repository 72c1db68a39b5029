//! Several officers (Geneva, Brussels, Tunis), each with a desk of their
//! own: their own passphrase, age identity and signing key. OMCT's desk,
//! the one holding the root key, adds an officer's recipient to the
//! root-signed recipient list (devices then seal every bundle to every
//! officer, so each opens every bundle with their own key) and publishes
//! the devices it approved as a root-signed registry, which an officer's
//! desk takes instead of approving devices itself. The intake server keeps
//! each bundle until OMCT's desk acknowledged it and every officer fetched
//! it. Triage, notes and messages stay with each desk for now:
//! `docs/desk-operations.md` plans how they would be shared.

use serde::Serialize;
use sha2::{Digest, Sha256};
use temoin_bundle::PayloadRecipient;
use temoin_crypto::sign::{DevicePublicKey, SigningPurpose};
use temoin_proto::desk::{
    BundleListing, DeviceRegistry, OfficerCode, OfficerRequest, RegisteredDevice,
    DEVICE_REGISTRY_V1, OFFICER_CODE_V1,
};
use temoin_proto::SignedList;
use temoin_sync::client::Endpoint;

use crate::config::{sign_recipients, Approved, DeskConfig, Officer, OfficerOf};
use crate::conn::Conn;
use crate::error::DeskError;
use crate::registry::now_rfc3339;
use crate::store::Desk;

/// The SHA-256 of the registry last published, so that a pull publishes
/// only a changed one.
const REGISTRY_PUBLISHED: &str = "desk/registry-published";

/// An officer as `desk officer list` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OfficerRow {
    /// Its id at the server.
    pub officer_id: String,
    /// Who or where.
    pub label: String,
    /// Its age recipient.
    pub recipient: String,
    /// When it was added.
    pub added_at: String,
}

fn local(m: impl Into<String>) -> DeskError {
    DeskError::Local(m.into())
}

/// Checks an officer code against the server before an officer's desk
/// keeps it: OMCT's recipient list verifies with the code's root key and
/// names `mine`, and the officer's token is taken. Returns the settings.
pub(crate) async fn check_code(code: &OfficerCode, mine: &str) -> Result<DeskConfig, DeskError> {
    if code.v != OFFICER_CODE_V1 || uuid::Uuid::parse_str(&code.officer_id).is_err() {
        return Err(local("this is not an officer code"));
    }
    let pin = temoin_proto::pin::parse_pin(&code.pin)
        .ok_or_else(|| local("the officer code's pin is not valid"))?;
    DevicePublicKey::from_minisign(&code.root_key)
        .map_err(|_| local("the officer code's root key is not valid"))?;
    let endpoint = Endpoint {
        url: code.server.clone(),
        pin,
        proxy: None,
        timeout_secs: None,
    };
    let mut config = DeskConfig {
        endpoint,
        desk_token: code.token.clone(),
        recipients: SignedList {
            list: String::new(),
            signature: String::new(),
        },
        officers: Vec::new(),
        officer_of: Some(OfficerOf {
            officer_id: code.officer_id.clone(),
            root_key: code.root_key.clone(),
            // The registry published with the code is the oldest taken.
            registry_issued_at: code.registry_issued_at.clone(),
        }),
    };
    let conn = Conn::new(&config)?;
    let list: SignedList = conn.json("/v1/recipients").await?;
    let verified = temoin_sync::client::verify_recipients(&list, &code.root_key)?;
    if !verified.recipients.iter().any(|r| r == mine) {
        return Err(local(
            "OMCT's recipient list does not name this officer's key yet: OMCT's desk adds it with `desk officer add`",
        ));
    }
    // The token works (an officer's listing answers it).
    let _: Vec<temoin_proto::desk::BundleListing> = conn.json("/v1/officer/bundles").await?;
    config.recipients = list;
    Ok(config)
}

impl Desk {
    /// Adds another officer's desk: its recipient goes on the recipient
    /// list (signed with the root key and published; devices take it at
    /// their next sync), a token of its own is registered on the server
    /// (its hash only), and the device registry is published for it.
    /// Returns the officer code to hand to that officer, as a file.
    pub async fn add_officer(
        &mut self,
        label: &str,
        recipient: &str,
    ) -> Result<OfficerCode, DeskError> {
        self.only_omct_desk("add officers")?;
        let recipient = recipient.trim();
        recipient
            .parse::<PayloadRecipient>()
            .map_err(|_| local("the officer's recipient is not an age recipient (age1...)"))?;
        let label: String = label
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        let mut c = self.config()?;
        if self
            .identities()?
            .iter()
            .any(|i| i.recipient().to_string() == recipient)
            || c.officers.iter().any(|o| o.recipient == recipient)
        {
            return Err(local("this recipient is already on the list"));
        }
        let officer_id = uuid::Uuid::new_v4().to_string();
        let mut token = [0u8; 32];
        temoin_crypto::random_bytes(&mut token);
        let token = hex::encode(token);
        let conn = Conn::new(&c)?;
        if let Err(e) = conn
            .send(
                reqwest::Method::POST,
                "/v1/desk/officers",
                Some(&OfficerRequest {
                    officer_id: officer_id.clone(),
                    label: label.clone(),
                    token_sha256: hex::encode(Sha256::digest(token.as_bytes())),
                }),
            )
            .await
        {
            // The server may have taken it before the answer was lost: an
            // officer nobody knows of would hold every bundle there.
            let _ = conn
                .send(
                    reqwest::Method::DELETE,
                    &format!("/v1/desk/officers/{officer_id}"),
                    None::<&()>,
                )
                .await;
            return Err(e);
        }
        // Kept before anything else can fail, so that `desk officer list`
        // shows it and `desk officer remove` can undo it.
        c.officers.push(Officer {
            officer_id: officer_id.clone(),
            label,
            recipient: recipient.to_owned(),
            added_at: now_rfc3339(),
        });
        self.save_config(&c)?;
        self.publish_list(&mut c).await?;
        let issued = self.publish_registry_now().await?;
        Ok(OfficerCode {
            v: OFFICER_CODE_V1.into(),
            server: c.endpoint.url.clone(),
            pin: c.endpoint.pin.clone(),
            officer_id,
            token,
            root_key: self.root_public()?,
            registry_issued_at: Some(issued),
        })
    }

    /// Removes an officer's desk: its token stops working, and the next
    /// recipient list no longer names it (bundles sealed before stay
    /// readable to it; rotating OMCT's key does not change that).
    pub async fn remove_officer(&mut self, officer_id: &str) -> Result<(), DeskError> {
        self.only_omct_desk("remove officers")?;
        let mut c = self.config()?;
        let known = c.officers.iter().any(|o| o.officer_id == officer_id);
        // The server first: until it ends the token, the officer still
        // fetches, and bundles still wait for them.
        match Conn::new(&c)?
            .send(
                reqwest::Method::DELETE,
                &format!("/v1/desk/officers/{officer_id}"),
                None::<&()>,
            )
            .await
        {
            Ok(_) => {}
            // Already gone there: what matters is that it is gone.
            Err(DeskError::Sync(temoin_sync::client::SyncError::Refused(m)))
                if m.contains("no such officer") && known => {}
            Err(DeskError::Sync(temoin_sync::client::SyncError::Refused(m)))
                if m.contains("no such officer") =>
            {
                return Err(local(format!(
                    "neither this desk nor the server knows an officer {officer_id}: see `desk officer list`"
                )))
            }
            Err(e) => return Err(e),
        }
        if known {
            c.officers.retain(|o| o.officer_id != officer_id);
            self.publish_list(&mut c).await?;
        }
        Ok(())
    }

    /// The officers' desks this desk added.
    pub fn officers(&self) -> Result<Vec<OfficerRow>, DeskError> {
        Ok(self
            .config()?
            .officers
            .into_iter()
            .map(|o| OfficerRow {
                officer_id: o.officer_id,
                label: o.label,
                recipient: o.recipient,
                added_at: o.added_at,
            })
            .collect())
    }

    /// Signs and publishes the recipient list: OMCT's newest key first,
    /// then every officer's, naming the desk key.
    async fn publish_list(&mut self, c: &mut DeskConfig) -> Result<(), DeskError> {
        let root = self.root_key()?;
        let own = self
            .identities()?
            .first()
            .map(|i| i.recipient().to_string())
            .ok_or_else(|| local("the desk's store holds no OMCT key"))?;
        let mut all = vec![own];
        all.extend(c.officers.iter().map(|o| o.recipient.clone()));
        let desk = self.desk_key()?.public().to_minisign_base64();
        let list = sign_recipients(&root, &all, Some(&desk), &c.listed()?.receipt_keys);
        self.publish_and_keep(c, &root, list).await
    }

    /// The device registry as OMCT's desk signs it.
    fn signed_registry(&self) -> Result<(SignedList, String, String), DeskError> {
        let d = self.registry()?;
        let registry = DeviceRegistry {
            v: DEVICE_REGISTRY_V1.into(),
            // To the nanosecond: two registries signed in the same second
            // must still be told apart by their order.
            issued_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            devices: d
                .approved
                .iter()
                .map(|(id, a)| RegisteredDevice {
                    key_id: id.clone(),
                    public_key: a.public_key.clone(),
                    label: a.label.clone(),
                    recipient: a.recipient.clone(),
                    revoked_at: d.revoked.get(id).cloned(),
                })
                .collect(),
        };
        // What changes the registry, without its time: a pull publishes
        // only when a device was approved or revoked.
        let content = serde_json::to_vec(&registry.devices).map_err(|e| local(e.to_string()))?;
        let text = serde_json::to_string(&registry).map_err(|e| local(e.to_string()))?;
        let signature = self
            .root_key()?
            .sign(SigningPurpose::DeviceRegistry, text.as_bytes());
        Ok((
            SignedList {
                list: text,
                signature,
            },
            hex::encode(Sha256::digest(&content)),
            registry.issued_at,
        ))
    }

    /// Publishes the device registry for the officers' desks if it changed
    /// since the last time (and there are officers to read it).
    pub(crate) async fn publish_registry(&mut self) -> Result<(), DeskError> {
        if self.config()?.officers.is_empty() {
            return Ok(());
        }
        let (_, sha, _) = self.signed_registry()?;
        if self.get(REGISTRY_PUBLISHED)?.as_deref().map(|b| &b[..]) == Some(sha.as_bytes()) {
            return Ok(());
        }
        self.publish_registry_now().await.map(|_| ())
    }

    /// Publishes the device registry now; returns when it was signed.
    async fn publish_registry_now(&mut self) -> Result<String, DeskError> {
        let (signed, sha, issued) = self.signed_registry()?;
        let c = self.config()?;
        Conn::new(&c)?
            .send(reqwest::Method::PUT, "/v1/desk/registry", Some(&signed))
            .await?;
        self.put(REGISTRY_PUBLISHED, sha.as_bytes())?;
        Ok(issued)
    }

    /// An officer's pull: OMCT's device registry (taken only with the root
    /// signature, and never older than the one held), then every bundle
    /// this officer has not fetched.
    pub(crate) async fn officer_pull(&mut self) -> Result<Vec<String>, DeskError> {
        let mut c = self.config()?;
        let conn = Conn::new(&c)?;
        let signed: SignedList = conn.json("/v1/officer/registry").await?;
        self.take_registry(&mut c, &signed)?;
        let bundles: Vec<BundleListing> = conn.json("/v1/officer/bundles").await?;
        // The server may let go of a bundle only once this desk judged it
        // (opened and accepted or flagged), never when it merely arrived: a
        // bundle still waiting for the registry stays on the server.
        for b in &bundles {
            if uuid::Uuid::parse_str(&b.bundle_id).is_ok()
                && self
                    .get(&format!("{}{}", crate::open::VERDICTS, b.bundle_id))?
                    .is_some()
            {
                conn.send(
                    reqwest::Method::POST,
                    &format!("/v1/officer/bundles/{}/fetched", b.bundle_id),
                    None::<&()>,
                )
                .await?;
            }
        }
        self.fetch_bundles(&conn, "/v1/officer/bundles", bundles, None)
            .await
    }

    /// Takes a signed device registry at an officer's desk: approved and
    /// revoked devices become exactly what OMCT's desk signed. Refused if
    /// it does not verify with the root key, or is older than the one held
    /// (a server replaying an old one to bring back a revoked device).
    pub(crate) fn take_registry(
        &mut self,
        c: &mut DeskConfig,
        signed: &SignedList,
    ) -> Result<(), DeskError> {
        let Some(of) = c.officer_of.as_mut() else {
            return Err(local("only an officer's desk takes OMCT's device registry"));
        };
        let untrustworthy =
            |m: &str| DeskError::Sync(temoin_sync::client::SyncError::Untrustworthy(m.to_owned()));
        DevicePublicKey::from_minisign(&of.root_key)
            .map_err(|_| local("OMCT's root key is not valid"))?
            .verify(
                SigningPurpose::DeviceRegistry,
                signed.list.as_bytes(),
                &signed.signature,
            )
            .map_err(|_| {
                untrustworthy(
                    "the device registry does not verify with OMCT's root key: nothing was taken",
                )
            })?;
        let registry: DeviceRegistry = serde_json::from_str(&signed.list)
            .map_err(|_| untrustworthy("the device registry is malformed"))?;
        let issued = time::OffsetDateTime::parse(
            &registry.issued_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| untrustworthy("the device registry is malformed"))?;
        if registry.v != DEVICE_REGISTRY_V1 {
            return Err(untrustworthy("the device registry is malformed"));
        }
        if let Some(held) = of.registry_issued_at.as_deref().and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        }) {
            if issued < held {
                return Err(untrustworthy(
                    "the server gave an older device registry than the one this desk holds: nothing was taken",
                ));
            }
        }
        let mut d = self.registry()?;
        d.approved.clear();
        d.revoked.clear();
        for r in registry.devices {
            let Ok(key) = DevicePublicKey::from_minisign(&r.public_key) else {
                continue;
            };
            if key.id_hex() != r.key_id {
                continue;
            }
            if let Some(at) = r.revoked_at.clone() {
                d.revoked.insert(r.key_id.clone(), at);
            }
            d.approved.insert(
                r.key_id,
                Approved {
                    public_key: r.public_key,
                    label: r.label,
                    approved_at: registry.issued_at.clone(),
                    recipient: r.recipient,
                },
            );
        }
        self.save_registry(&d)?;
        of.registry_issued_at = Some(registry.issued_at);
        self.save_config(c)
    }
}
