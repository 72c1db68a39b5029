//! What the desk asks of the server: enrollment tokens, revocations, and
//! pulling bundles into the inbox.

use std::path::Path;

use sha2::{Digest, Sha256};
use temoin_proto::desk::{BundleListing, DeviceListing, TokenAnswer, TokenRequest};

use crate::config::{DeskConfig, Devices};
use crate::conn::{net, Conn};
use crate::error::DeskError;
use crate::file::{load, write_durably};

/// Asks the server for a one-time enrollment token for a device.
pub async fn enrollment_token(
    dir: &Path,
    label: &str,
    valid_hours: u32,
) -> Result<String, DeskError> {
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let body = TokenRequest {
        label: label.to_owned(),
        valid_hours,
    };
    let r = Conn::new(&c)?
        .send(reqwest::Method::POST, "/v1/desk/tokens", Some(&body))
        .await?;
    let answer: TokenAnswer = r
        .json()
        .await
        .map_err(|_| DeskError::Local("the server's answer has no token".into()))?;
    Ok(answer.token)
}

/// Revokes a device on the server.
pub async fn revoke(dir: &Path, key_id: &str) -> Result<(), DeskError> {
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let path = format!("/v1/desk/devices/{key_id}/revoke");
    Conn::new(&c)?
        .send(reqwest::Method::POST, &path, None::<&()>)
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
    let list: Vec<DeviceListing> = conn.json("/v1/desk/devices").await?;
    for d in list {
        if let Some(at) = d.revoked_at {
            devices.revoked.insert(d.key_id.clone(), at);
        }
        devices.keys.insert(d.key_id, d.public_key);
    }
    write_durably(
        &devices_path,
        &serde_json::to_vec_pretty(&devices).unwrap_or_default(),
    )?;
    let bundles: Vec<BundleListing> = conn.json("/v1/desk/bundles").await?;
    let mut pulled = Vec::new();
    for b in bundles {
        let (id, sha) = (b.bundle_id.as_str(), b.sha256.as_str());
        if uuid::Uuid::parse_str(id).is_err() {
            continue;
        }
        let target = dir.join("inbox").join(format!("{id}.tar.age"));
        if !target.exists() {
            let mut r = conn
                .send(
                    reqwest::Method::GET,
                    &format!("/v1/desk/bundles/{id}"),
                    None::<&()>,
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
            None::<&()>,
        )
        .await?;
        pulled.push(id.to_owned());
    }
    Ok(pulled)
}
