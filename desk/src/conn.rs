//! The desk's connection to the intake server: the pinned HTTPS client,
//! the desk token, and the server's reasons when it refuses.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use temoin_crypto::sign::DeviceKey;
use temoin_proto::error::ErrorAnswer;
use temoin_proto::recipients::PublishRecipients;
use temoin_proto::SignedList;
use temoin_sync::client::{Endpoint, SyncError};

use crate::config::DeskConfig;
use crate::error::DeskError;

pub(crate) fn http(endpoint: &Endpoint) -> Result<reqwest::Client, DeskError> {
    let mut b = reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(&endpoint.pin))
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

pub(crate) async fn check(r: reqwest::Response) -> Result<reqwest::Response, DeskError> {
    if r.status().is_success() {
        return Ok(r);
    }
    let status = r.status();
    let why = r
        .json::<ErrorAnswer>()
        .await
        .map(|a| a.error)
        .unwrap_or_else(|_| format!("the server answered {status}"));
    // The server's own words, shown on the desk's terminal: no control
    // characters, bounded.
    let why: String = why.chars().filter(|c| !c.is_control()).take(300).collect();
    Err(DeskError::Sync(SyncError::Refused(why)))
}

/// The desk's connection to the intake server: its address and token.
pub(crate) struct Conn {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Conn {
    pub(crate) fn new(c: &DeskConfig) -> Result<Conn, DeskError> {
        Ok(Conn {
            client: http(&c.endpoint)?,
            base: c.endpoint.url.trim_end_matches('/').to_owned(),
            token: c.desk_token.clone(),
        })
    }

    /// Sends a desk request; an error answer becomes the server's reason.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<reqwest::Response, DeskError> {
        let mut rq = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rq = rq.json(b);
        }
        check(rq.send().await.map_err(net)?).await
    }

    pub(crate) async fn json<T: for<'a> Deserialize<'a>>(
        &self,
        path: &str,
    ) -> Result<T, DeskError> {
        self.send(reqwest::Method::GET, path, None::<&()>)
            .await?
            .json()
            .await
            .map_err(net)
    }
}

pub(crate) fn net(e: reqwest::Error) -> DeskError {
    DeskError::Sync(if temoin_sync::client::certificate_refused(&e) {
        SyncError::Untrustworthy(
            "the intake server's certificate is not the pinned one: this may not be OMCT's server"
                .into(),
        )
    } else if e.is_connect() {
        SyncError::Transient("cannot connect to the intake server".into())
    } else {
        SyncError::Transient("the connection to the intake server failed".into())
    })
}

pub(crate) async fn publish(
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
        .json(&PublishRecipients {
            root_key: root.public().to_minisign_base64(),
            list: list.clone(),
        })
        .send()
        .await
        .map_err(net)?;
    check(r).await?;
    Ok(())
}
