//! The desk's acknowledgements: signed with the desk key (in the desk's
//! store, named in the root-signed recipient list) as soon as a bundle is
//! opened, queued in the store, relayed through the server to the device at the next
//! contact, and written as a file for a bundle that came on a USB stick.

use std::path::Path;

use temoin_crypto::sign::SigningPurpose;
use temoin_proto::ack::{DeskAck, Verdict, DESK_ACK_V1};
use temoin_proto::SignedList;

use crate::config::sign_recipients;
use crate::conn::Conn;
use crate::error::DeskError;
use crate::registry::now_rfc3339;
use crate::store::{Desk, ACK_QUEUE};

/// Makes sure the published recipient list names the desk key; if not (a
/// desk made before acknowledgements), signs the same recipients again with
/// it and publishes the list.
pub(crate) async fn publish_desk_key(desk: &mut Desk) -> Result<(), DeskError> {
    let mut c = desk.config()?;
    let key = desk.desk_key()?.public().to_minisign_base64();
    let current = c.listed()?;
    if current.desk_key.as_deref() == Some(key.as_str()) {
        return Ok(());
    }
    let root = desk.root_key()?;
    let list = sign_recipients(
        &root,
        &current.recipients,
        Some(&key),
        &current.receipt_keys,
    );
    desk.publish_and_keep(&mut c, &root, list).await
}

/// What the desk concluded about one bundle, to acknowledge.
pub(crate) struct Conclusion<'a> {
    pub(crate) bundle_id: &'a str,
    pub(crate) device_key_id: &'a str,
    pub(crate) sha256: &'a str,
    pub(crate) manifest_sha256: &'a str,
    pub(crate) reasons: Vec<String>,
}

/// Where each signed acknowledgement is kept, by bundle id, for a device
/// that handed its bundle over on a USB stick ([`Desk::ack_file`]).
pub(crate) const ACKS: &str = "desk/ack/";

/// Signs the acknowledgement of a bundle just opened, keeps it in the store
/// and queues it for the server.
pub(crate) fn acknowledge(desk: &mut Desk, c: Conclusion<'_>) -> Result<(), DeskError> {
    let ack = DeskAck {
        v: DESK_ACK_V1.into(),
        bundle_id: c.bundle_id.to_owned(),
        device_key_id: c.device_key_id.to_owned(),
        sha256: c.sha256.to_owned(),
        manifest_sha256: c.manifest_sha256.to_owned(),
        verdict: if c.reasons.is_empty() {
            Verdict::Accepted
        } else {
            Verdict::Flagged
        },
        reasons: c.reasons,
        acknowledged_at: now_rfc3339(),
    };
    let text = serde_json::to_string(&ack).map_err(|e| DeskError::Local(e.to_string()))?;
    let signature = desk
        .desk_key()?
        .sign(SigningPurpose::DeskAck, text.as_bytes());
    let signed = serde_json::to_vec_pretty(&SignedList {
        list: text,
        signature,
    })
    .map_err(|e| DeskError::Local(e.to_string()))?;
    if uuid::Uuid::parse_str(c.bundle_id).is_ok() {
        desk.put(&format!("{ACKS}{}", c.bundle_id), &signed)?;
        desk.put(&format!("{ACK_QUEUE}{}", c.bundle_id), &signed)?;
    }
    Ok(())
}

impl Desk {
    /// Hands every queued acknowledgement to the server, for the device
    /// that sent the bundle; returns how many went. One the server does not
    /// know (a bundle that came on a USB stick) leaves the queue too: it
    /// travels as a file.
    pub async fn relay_acks(&mut self) -> Result<usize, DeskError> {
        let queued = self.names(ACK_QUEUE)?;
        if queued.is_empty() {
            return Ok(0);
        }
        let c = self.config()?;
        let conn = Conn::new(&c)?;
        let mut sent = 0;
        for name in queued {
            let id = name.trim_start_matches(ACK_QUEUE).to_owned();
            let bytes = self.get(&name)?.unwrap_or_default();
            let Ok(signed) = serde_json::from_slice::<SignedList>(&bytes) else {
                self.remove(&name)?;
                continue;
            };
            if uuid::Uuid::parse_str(&id).is_ok() {
                match conn
                    .send(
                        reqwest::Method::PUT,
                        &format!("/v1/desk/bundles/{id}/acknowledgement"),
                        Some(&signed),
                    )
                    .await
                {
                    Ok(_) => sent += 1,
                    Err(DeskError::Sync(temoin_sync::client::SyncError::Refused(why)))
                        if why.contains("no such bundle") => {}
                    Err(e) => return Err(e),
                }
            }
            self.remove(&name)?;
        }
        Ok(sent)
    }

    /// Writes a bundle's acknowledgement to `out` (which must not exist),
    /// for a device that handed the bundle over on a USB stick (`temoin ack
    /// import`).
    pub fn ack_file(&self, bundle_id: &str, out: &Path) -> Result<(), DeskError> {
        if uuid::Uuid::parse_str(bundle_id).is_err() {
            return Err(DeskError::Local("that is not a bundle id".into()));
        }
        let bytes = self.get(&format!("{ACKS}{bundle_id}"))?.ok_or_else(|| {
            DeskError::Local(format!(
                "bundle {bundle_id} has not been opened at this desk: open it first"
            ))
        })?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(out)
            .map_err(|e| DeskError::Local(format!("cannot create {}: {e}", out.display())))?;
        std::io::Write::write_all(&mut f, &bytes)?;
        f.sync_all()?;
        Ok(())
    }
}
