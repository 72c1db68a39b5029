//! Pulling bundles into the inbox, and the server's device list with them
//! (as a hint for the desk's registry).

use sha2::{Digest, Sha256};
use temoin_proto::desk::{BundleListing, DeviceListing};

use crate::conn::{net, Conn};
use crate::error::DeskError;
use crate::registry::take_listing;
use crate::store::Desk;

impl Desk {
    /// Fetches every bundle not yet pulled into `inbox/`, checks each arrived
    /// whole (SHA-256 as the server recorded it), then acknowledges it. Also
    /// refreshes the enrolled devices' keys. Returns the bundle ids pulled.
    /// At an officer's desk: the device registry OMCT's desk signed, then
    /// every bundle this officer has not fetched.
    pub async fn pull(&mut self) -> Result<Vec<String>, DeskError> {
        if self.is_officer()? {
            return self.officer_pull().await;
        }
        // A desk made before acknowledgements publishes its key first; what
        // was opened since the last contact goes to the devices.
        crate::ack::publish_desk_key(self).await?;
        self.relay_acks().await?;
        let c = self.config()?;
        let conn = Conn::new(&c)?;
        let mut devices = self.registry()?;
        let list: Vec<DeviceListing> = conn.json("/v1/desk/devices").await?;
        take_listing(&mut devices, list);
        self.save_registry(&devices)?;
        // The other officers' desks learn the devices approved or revoked.
        self.publish_registry().await?;
        // Messages both ways, once the devices just approved are known: the
        // devices' answers land under their cases.
        let exchanged = self.exchange_messages().await?;
        self.last_exchange = exchanged;
        let bundles: Vec<BundleListing> = conn.json("/v1/desk/bundles").await?;
        self.fetch_bundles(&conn, "/v1/desk/bundles", bundles, Some("ack"))
            .await
    }

    /// Fetches every bundle of `bundles` (as `listing` listed them) that
    /// the inbox lacks and the desk has not judged, checks each arrived
    /// whole, then, given `done`, tells the server (`/{id}/{done}`: the
    /// desk's `ack`). Returns the ids taken.
    pub(crate) async fn fetch_bundles(
        &mut self,
        conn: &Conn,
        listing: &str,
        bundles: Vec<BundleListing>,
        done: Option<&str>,
    ) -> Result<Vec<String>, DeskError> {
        let dir = self.dir().to_owned();
        let mut pulled = Vec::new();
        for b in bundles {
            let (id, sha) = (b.bundle_id.as_str(), b.sha256.as_str());
            if uuid::Uuid::parse_str(id).is_err()
                || self
                    .get(&format!("{}{id}", crate::open::VERDICTS))?
                    .is_some()
            {
                continue;
            }
            let target = dir.join("inbox").join(format!("{id}.tar.age"));
            if !target.exists() {
                let mut r = conn
                    .send(
                        reqwest::Method::GET,
                        &format!("{listing}/{id}"),
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
                    // Not acknowledged (the server keeps it), and the others
                    // still come: one damaged bundle must not stop every pull.
                    let _ = std::fs::remove_file(&part);
                    let mut devices = self.registry()?;
                    devices.warnings.push(format!(
                    "bundle {id} arrived damaged (its hash is not what the server recorded); it was left on the server"
                ));
                    self.save_registry(&devices)?;
                    continue;
                }
                std::fs::rename(&part, &target)?;
                std::fs::File::open(dir.join("inbox"))?.sync_all()?;
            }
            if let Some(done) = done {
                conn.send(
                    reqwest::Method::POST,
                    &format!("{listing}/{id}/{done}"),
                    None::<&()>,
                )
                .await?;
            }
            pulled.push(id.to_owned());
        }
        Ok(pulled)
    }
}
