//! Routing, and serving over TLS.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::desk::*;
use crate::enroll::{enroll, recipients};
use crate::error::SetupError;
use crate::guard::{Guard, MAX_CONNECTIONS};
use crate::message::*;
use crate::officer::*;
use crate::receipt::{acknowledgement, receipt};
use crate::server::Server;
use crate::settings::ServeSettings;
use crate::upload::{create, head_upload, options, patch, terminate};

/// Builds the router.
pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .route("/v1/recipients", get(recipients))
        .route("/v1/uploads", post(create).options(options))
        .route(
            "/v1/uploads/{id}",
            axum::routing::head(head_upload)
                .patch(patch)
                .delete(terminate),
        )
        .route("/v1/uploads/{id}/receipt", get(receipt))
        .route("/v1/uploads/{id}/acknowledgement", get(acknowledgement))
        .route("/v1/messages", post(device_send).get(device_fetch))
        .route("/v1/messages/{id}", axum::routing::delete(device_done))
        .route(
            "/v1/desk/messages",
            post(desk_send).get(desk_fetch_messages),
        )
        .route("/v1/desk/messages/{id}", axum::routing::delete(desk_done))
        .route("/v1/desk/tokens", post(desk_token))
        .route("/v1/desk/recipients", axum::routing::put(desk_recipients))
        .route("/v1/desk/devices", get(desk_devices))
        .route("/v1/desk/devices/{key_id}/revoke", post(desk_revoke))
        .route("/v1/desk/bundles", get(desk_list))
        .route("/v1/desk/bundles/{id}", get(desk_fetch))
        .route("/v1/desk/bundles/{id}/ack", post(desk_ack))
        .route(
            "/v1/desk/officers",
            post(desk_add_officer).get(desk_officers),
        )
        .route(
            "/v1/desk/officers/{id}",
            axum::routing::delete(desk_remove_officer),
        )
        .route("/v1/desk/registry", axum::routing::put(desk_put_registry))
        .route("/v1/officer/registry", get(officer_registry))
        .route("/v1/officer/bundles", get(officer_list))
        .route("/v1/officer/bundles/{id}", get(officer_fetch))
        .route("/v1/officer/bundles/{id}/fetched", post(officer_fetched))
        .route(
            "/v1/desk/bundles/{id}/acknowledgement",
            axum::routing::put(desk_acknowledgement),
        )
        .layer(axum::middleware::from_fn(log_failures))
        .with_state(server)
}

/// Writes a line to standard error (the journal, under systemd) for every
/// answer that says the server failed (5xx): the status, the method, the
/// route as declared (`/v1/uploads/{id}`, never the id) and what failed,
/// by kind. Nothing else of the request is logged: no address (the server
/// sees none worth keeping), no id, no header.
async fn log_failures(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let answer = next.run(request).await;
    if answer.status().is_server_error() {
        let cause = answer
            .extensions()
            .get::<crate::error::Cause>()
            .map_or("no detail", |c| c.0.as_str());
        // Never a panic (eprintln! panics if it cannot write, and the
        // disk that is full may be where standard error goes).
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "temoin-intake: {} {method} {}: {cause}",
            answer.status().as_u16(),
            route.as_deref().unwrap_or("(no route)")
        );
    }
    answer
}

/// How long a request's head may take to arrive, and an HTTP/1.1
/// connection may stay idle between two requests.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The HTTPS listener the server answers on. With the HTTP/2 flow-control
/// windows hyper starts from, one large upload from curl (which speaks
/// HTTP/2 when the server offers it, as browsers and tus-js-client do) got
/// a third of what a bare sink took: the sender stalled each time the
/// handler was busy writing to disk, and curl (7.88) spins while its window
/// is shut, taking the CPU the server needs. With 2 MiB per stream and
/// 4 MiB per connection, curl still used 3.5 s of CPU per GiB sent and the
/// upload took twice as long as with 8 MiB and 16 MiB (`bench-upload`,
/// "CPU per run"). The connection's window bounds what one connection can
/// make the server buffer. `bench-upload`'s sink listens the same way.
///
/// At most `max_connections` at once ([`crate::MAX_CONNECTIONS`] for the
/// server); each must bring its first request within [`HEADER_TIMEOUT`]
/// of its TLS handshake (which has 10 s), or it is closed: before a first
/// request, hyper's own timeouts do not run.
pub fn bind_tls(
    listen: SocketAddr,
    tls: axum_server::tls_rustls::RustlsConfig,
    max_connections: usize,
) -> axum_server::Server<SocketAddr, Guard<axum_server::tls_rustls::RustlsAcceptor>> {
    let mut server = axum_server::bind_rustls(listen, tls)
        .first_request_timeout(HEADER_TIMEOUT)
        .map(|tls| Guard::new(tls, max_connections));
    // A request's head must arrive within HEADER_TIMEOUT, and an idle
    // connection goes after as long: axum-server turns hyper's 30 s off,
    // and without it a client that sends half a request head (or nothing
    // after its last request) holds a connection, and its memory, for
    // ever. A head is one packet; over Tor it takes a second or two.
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_TIMEOUT);
    server
        .http_builder()
        .http2()
        // A peer that vanished (a laptop closed, a route gone) is found by
        // a ping unanswered, not at the next write.
        .keep_alive_interval(std::time::Duration::from_secs(60))
        .keep_alive_timeout(std::time::Duration::from_secs(30))
        .initial_stream_window_size(8 * 1024 * 1024)
        .initial_connection_window_size(16 * 1024 * 1024)
        .max_frame_size(256 * 1024)
        // A device sends one upload at a time; 200 streams (hyper's
        // default) would let one connection hold 200 PATCHes' buffers.
        .max_concurrent_streams(16);
    server
}

/// Takes the lock that makes this process the only server on the SQLite
/// file `db`, or says that another holds it.
///
/// On SQLite, an upload's lock is a mutex in the process: two servers on
/// one database would each take their own, and two PATCHes of one upload
/// could then write the same bytes of its file at once, one of them
/// hashed and the other stored. The receipt would name bytes the store
/// does not hold. A fleet shares its locks through PostgreSQL
/// (`Db::lock_upload`) and takes none of these.
///
/// The lock is `DB.serve-lock` beside the database, opened read-only (a
/// lock needs no more), so that a file made by a run as another user
/// does not keep the service out.
fn only_server_of(db: &Path) -> Result<std::fs::File, SetupError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".serve-lock");
    let path = std::path::PathBuf::from(name);
    let failed = |why| SetupError::Lock {
        path: path.clone(),
        why,
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(failed)?;
            std::fs::File::open(&path).map_err(failed)?
        }
        Err(e) => return Err(failed(e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SetupError::AlreadyServed(db.to_owned())),
        Err(std::fs::TryLockError::Error(why)) => Err(failed(why)),
    }
}

/// Serves the server folder `dir` over TLS on `listen` until the process
/// ends. Calls `ready` with the address bound (useful with port 0).
pub async fn serve(
    dir: &Path,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr) + Send,
) -> Result<(), SetupError> {
    serve_with(&ServeSettings::for_dir(dir, listen), ready).await
}

/// Serves what `settings` describe until the process ends. Calls `ready`
/// with the address bound.
pub async fn serve_with(
    settings: &ServeSettings,
    ready: impl FnOnce(SocketAddr) + Send,
) -> Result<(), SetupError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Taken before the state is opened (a second server must not migrate
    // or import under the first), and held until the server stops.
    let _only_one = match crate::server::sqlite_file(settings)? {
        Some(db) => Some(only_server_of(&db)?),
        None => None,
    };
    let server = Arc::new(Server::open_with(settings).await?);
    for (what, path) in [
        ("TLS certificate", &settings.tls_cert),
        ("TLS key", &settings.tls_key),
    ] {
        // Said by name here: the TLS library's own error does not say
        // which file.
        std::fs::metadata(path).map_err(|why| SetupError::Unreadable {
            what,
            path: path.clone(),
            why,
        })?;
    }
    let tls =
        axum_server::tls_rustls::RustlsConfig::from_pem_file(&settings.tls_cert, &settings.tls_key)
            .await
            .map_err(|_| SetupError::Tls)?;
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    let gc = server.clone();
    // Hourly, or often enough that an idle upload goes within half its
    // allowed idle time past it.
    let every = (gc.config.upload_idle_secs / 2).clamp(1, 3600);
    tokio::spawn(async move {
        loop {
            collect_garbage(&gc).await;
            tokio::time::sleep(std::time::Duration::from_secs(every)).await;
        }
    });
    let app = router(server);
    let bound = tokio::spawn(async move { h2.listening().await });
    let serving = bind_tls(settings.listen, tls, MAX_CONNECTIONS)
        .handle(handle)
        .serve(app.into_make_service());
    let run = tokio::spawn(serving);
    let addr = bound.await.ok().flatten().ok_or(SetupError::Listen)?;
    ready(addr);
    run.await
        .map_err(|_| SetupError::Stopped("the server task ended".into()))?
        .map_err(|e| SetupError::Stopped(e.to_string()))
}
