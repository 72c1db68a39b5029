//! Errors: answers to a request ([`ApiError`], a status and a reason a
//! person can act on) and failures to set up or start a server
//! ([`SetupError`]).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use temoin_proto::error::ErrorAnswer;
use temoin_proto::tus;

/// Why a server folder could not be made, opened or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// `init` on a folder that already holds a server.
    #[error("this folder already holds an intake server; nothing was changed")]
    Exists,
    /// `serve` on a folder that is not a server folder.
    #[error("this folder is not an intake server folder (no config.json): run `temoin-intake init` first")]
    NotAServerFolder,
    /// The configuration file could not be read, or says something
    /// wrong: `why` names the line, column and field.
    #[error("the configuration file {}: {why}", path.display())]
    ConfigFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and where.
        why: String,
    },
    /// `serve` was given neither a server folder nor a configuration file.
    #[error("no server folder: pass --dir DIR or --config FILE")]
    NoServerFolder,
    /// The bundle store is not a folder beside the server folder's
    /// `uploads/`.
    #[error("the bundle store {} must be an existing folder on the same filesystem as {} (finished uploads are moved there, not copied)", store.display(), uploads.display())]
    StoreNotBeside {
        /// The store's folder.
        store: std::path::PathBuf,
        /// The uploads' folder.
        uploads: std::path::PathBuf,
    },
    /// Another server process already serves this SQLite database.
    #[error("another temoin-intake already serves {}: with SQLite, one server per database (several servers need PostgreSQL; see docs/deploy.md, section 10)", .0.display())]
    AlreadyServed(std::path::PathBuf),
    /// The lock that keeps a second server off an SQLite database could
    /// not be made or taken.
    #[error("cannot take the server lock {}: {why}", path.display())]
    Lock {
        /// The lock file.
        path: std::path::PathBuf,
        /// Why.
        why: std::io::Error,
    },
    /// A file the server needs cannot be read.
    #[error("cannot read the {what} {}: {why}", path.display())]
    Unreadable {
        /// Which file ("TLS certificate", "receipt key").
        what: &'static str,
        /// Where it was looked for.
        path: std::path::PathBuf,
        /// Why.
        why: std::io::Error,
    },
    /// A name given for the certificate is not a DNS name or IP address.
    #[error("a server name is not a valid DNS name or IP address")]
    BadName,
    /// The TLS key or certificate could not be made or read.
    #[error("the TLS certificate or key cannot be made or read")]
    Tls,
    /// `receipt-key --new` was given a file that exists.
    #[error("{} already exists; nothing was changed (a new receipt key goes in a new file)", .0.display())]
    KeyFileExists(std::path::PathBuf),
    /// `[receipt] previous_keys` names something that is not a public key.
    #[error("[receipt] previous_keys names something that is not a public key: give each as `temoin-intake receipt-key --file F` prints it")]
    PreviousReceiptKey,
    /// A receipt key file does not hold a key.
    #[error("the receipt key {} is damaged: it holds no key (restore it from a backup)", .0.display())]
    ReceiptKey(std::path::PathBuf),
    /// A server file is not what it should be.
    #[error("a server file is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The state's database could not be opened or brought up to date.
    #[error("the state's database: {0}")]
    Database(String),
    /// The bundle store (an S3 bucket) could not be opened.
    #[error("the bundle store: {0}")]
    Storage(String),
    /// Could not listen on the address.
    #[error("could not listen on that address")]
    Listen,
    /// The server stopped with an error.
    #[error("the server stopped: {0}")]
    Stopped(String),
    /// Reading or writing the folder failed.
    #[error("input/output error: {0}")]
    Io(#[from] std::io::Error),
}

/// An error answer: a status and a reason a person can act on.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: String,
    /// For the server's log, on a failure of the server's own: what
    /// failed, by kind only (never a path, a key, a query or a value).
    cause: Option<String>,
}

/// What failed, carried from an [`ApiError`] to the log line of its
/// answer (see `serve::log_failures`).
#[derive(Clone, Debug)]
pub(crate) struct Cause(pub(crate) String);

impl ApiError {
    pub(crate) fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            cause: None,
        }
    }
    /// The same answer, with what failed for the log.
    pub(crate) fn because(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }
    /// The answer's status.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
    pub(crate) fn bad(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed; try again later",
        )
    }
    pub(crate) fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot reach its database; try again later",
        )
    }
    pub(crate) fn io(e: std::io::Error) -> Self {
        let cause = format!("the disk: {}", e.kind());
        if e.raw_os_error() == Some(28) {
            Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server's disk is full; try again later",
            )
            .because(cause)
        } else {
            Self::internal().because(cause)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(ErrorAnswer { error: self.reason })).into_response();
        if let Some(c) = self.cause {
            r.extensions_mut().insert(Cause(c));
        }
        r.headers_mut()
            .insert("Tus-Resumable", HeaderValue::from_static(tus::VERSION));
        r
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
