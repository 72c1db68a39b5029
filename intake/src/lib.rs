//! OMCT's intake server: enrollment, resumable uploads of sealed bundles
//! (tus 1.0: core, creation, checksum, termination), signed receipts, and
//! the desk's endpoints.
//!
//! Everything lives in one folder (`temoin-intake init --dir DIR`):
//!
//! | path | what |
//! | --- | --- |
//! | `config.json` | limits, retention, the desk token's hash |
//! | `tls/cert.pem`, `tls/key.pem` | its own TLS certificate and key (pinned by devices) |
//! | `receipt.key` | the Ed25519 key that signs receipts (mode 0600) |
//! | `state.db` | the state, in SQLite (unless `config.json` names a PostgreSQL database): devices, enrollment tokens, the recipient list, uploads in progress, bundles and their receipts |
//! | `uploads/` | the bytes of uploads in progress: `ID.part` (in the bucket instead, with S3) |
//! | `store/` | finished bundles (unless the settings name an S3 bucket: `s3.rs`) |
//!
//! `serve --config FILE` can put the TLS files, the receipt key, the
//! database and the store elsewhere, and set the limits over those of
//! `config.json` ([`settings`]; `docs/deploy.md` for administrators).
//!
//! A write is acknowledged only after it is on disk: a PATCH's bytes are
//! fsync'd (or stored in the bucket) before the new offset is returned, a
//! finished bundle is fsync'd in the store (or read back from the bucket
//! and hashed) before its receipt exists, and each state change is one
//! committed database transaction.
//!
//! With PostgreSQL and an S3 bucket, several instances run behind a load
//! balancer and any of them continues any upload (the note of `s3.rs`;
//! `docs/deploy.md`, section 10).
//!
//! The server holds ciphertext only. It must never hold a key that opens a
//! bundle, and never link the vault, the bundle reader or the media codecs
//! (the build checks it: `make lint`); it speaks to devices and the desk
//! through `temoin-proto`'s types only.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
pub mod command;
mod config;
mod db;
mod desk;
mod enroll;
mod error;
pub mod guard;
mod legacy;
mod limit;
mod message;
mod officer;
mod pieces;
mod receipt;
mod s3;
mod serve;
mod server;
pub mod settings;
mod state;
mod storage;
mod upload;

pub use config::{init, new_receipt_key, receipt_public_key, Config, InitOutcome};
pub use desk::collect_garbage;
pub use error::{ApiError, SetupError};
pub use guard::MAX_CONNECTIONS;
pub use pieces::{PieceWriter, Written};
pub use serve::{bind_tls, router, serve, serve_with, HEADER_TIMEOUT};
pub use server::Server;
pub use settings::{ConfigFile, S3Place, ServeFlags, ServeSettings};
pub use storage::LocalStorage;
