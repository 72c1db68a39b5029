//! The desk's acknowledgements: signed with the desk key (`desk.key`,
//! named in the root-signed recipient list) as soon as a bundle is opened,
//! queued in `acks/`, relayed through the server to the device at the next
//! contact, and written as a file for a bundle that came on a USB stick.

use std::path::{Path, PathBuf};

use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::ack::{DeskAck, Verdict, DESK_ACK_V1};
use temoin_proto::recipients::RecipientList;
use temoin_proto::SignedList;

use crate::config::{publish_and_keep, sign_recipients, DeskConfig};
use crate::conn::Conn;
use crate::error::DeskError;
use crate::file::{load, private_write, write_durably};
use crate::registry::{now_rfc3339, root_key};

/// The desk's signing key, made (and kept readable by its owner only) the
/// first time it is needed: a desk made before acknowledgements has none
/// until then, and publishes it at its next contact with the server.
pub(crate) fn desk_key(dir: &Path) -> Result<DeviceKey, DeskError> {
    let path = dir.join("desk.key");
    match std::fs::read(&path) {
        Ok(bytes) => DeviceKey::from_sealed(&bytes)
            .map_err(|_| DeskError::Local("desk.key is damaged".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = DeviceKey::generate();
            private_write(&path, key.secret_for_sealing().as_ref())?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes sure the published recipient list names the desk key; if not (a
/// desk made before acknowledgements), signs the same recipients again with
/// it and publishes the list.
pub(crate) async fn publish_desk_key(dir: &Path) -> Result<(), DeskError> {
    let mut c: DeskConfig = load(&dir.join("desk.json"))?;
    let desk = desk_key(dir)?.public().to_minisign_base64();
    let current: RecipientList = serde_json::from_str(&c.recipients.list)
        .map_err(|_| DeskError::Local("desk.json's recipient list is damaged".into()))?;
    if current.desk_key.as_deref() == Some(desk.as_str()) {
        return Ok(());
    }
    let root = root_key(dir)?;
    let list = sign_recipients(&root, &current.recipients, Some(&desk));
    publish_and_keep(dir, &mut c, &root, list).await
}

/// What the desk concluded about one bundle, to acknowledge.
pub(crate) struct Conclusion<'a> {
    pub(crate) bundle_id: &'a str,
    pub(crate) device_key_id: &'a str,
    pub(crate) sha256: &'a str,
    pub(crate) manifest_sha256: &'a str,
    pub(crate) reasons: Vec<String>,
}

/// Signs the acknowledgement of a bundle just opened, writes it beside the
/// bundle (`opened/ID/acknowledgement.json`) and queues it for the server.
pub(crate) fn acknowledge(dir: &Path, out: &Path, c: Conclusion<'_>) -> Result<(), DeskError> {
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
    let signature = desk_key(dir)?.sign(SigningPurpose::DeskAck, text.as_bytes());
    let signed = serde_json::to_vec_pretty(&SignedList {
        list: text,
        signature,
    })
    .map_err(|e| DeskError::Local(e.to_string()))?;
    std::fs::create_dir_all(out)?;
    write_durably(&out.join("acknowledgement.json"), &signed)?;
    if uuid::Uuid::parse_str(c.bundle_id).is_ok() {
        let queue = dir.join("acks");
        std::fs::create_dir_all(&queue)?;
        write_durably(&queue.join(format!("{}.json", c.bundle_id)), &signed)?;
    }
    Ok(())
}

/// Hands every queued acknowledgement to the server, for the device that
/// sent the bundle; returns how many went. One the server does not know
/// (a bundle that came on a USB stick) leaves the queue too: it travels as
/// a file.
pub async fn relay_acks(dir: &Path) -> Result<usize, DeskError> {
    let queue = dir.join("acks");
    let Ok(entries) = std::fs::read_dir(&queue) else {
        return Ok(0);
    };
    let c: DeskConfig = load(&dir.join("desk.json"))?;
    let conn = Conn::new(&c)?;
    let mut sent = 0;
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for file in files {
        let Some(id) = file
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| uuid::Uuid::parse_str(s).is_ok())
            .map(str::to_owned)
        else {
            continue;
        };
        let signed: SignedList = load(&file)?;
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
        std::fs::remove_file(&file)?;
    }
    Ok(sent)
}

/// Writes a bundle's acknowledgement to `out` (which must not exist), for
/// a device that handed the bundle over on a USB stick
/// (`temoin ack import`).
pub fn ack_file(dir: &Path, bundle_id: &str, out: &Path) -> Result<(), DeskError> {
    if uuid::Uuid::parse_str(bundle_id).is_err() {
        return Err(DeskError::Local("that is not a bundle id".into()));
    }
    // Under its id when it came through the server; under its file's name
    // when it was opened from a file: found by the id it acknowledges.
    let named = dir
        .join("opened")
        .join(bundle_id)
        .join("acknowledgement.json");
    let mut found = std::fs::read(&named).ok();
    if found.is_none() {
        for entry in std::fs::read_dir(dir.join("opened"))?.flatten() {
            let path = entry.path().join("acknowledgement.json");
            let Ok(signed) = load::<SignedList>(&path) else {
                continue;
            };
            let Ok(ack) = serde_json::from_str::<DeskAck>(&signed.list) else {
                continue;
            };
            if ack.bundle_id == bundle_id {
                found = std::fs::read(&path).ok();
                break;
            }
        }
    }
    let bytes = found.ok_or_else(|| {
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
