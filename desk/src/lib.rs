//! OMCT's desk: the age identity bundles are sealed to, the root key that
//! signs the recipient list devices fetch, enrollment tokens, and pulling
//! and opening what devices sent.
//!
//! A desk folder (`desk init --dir DIR`) holds:
//!
//! | path | what |
//! | --- | --- |
//! | `store/` | the desk's encrypted store (a vault, sealed with the desk's passphrase): OMCT's age identities, the root key, the desk's signing key, the server's URL, pin and desk token, the recipient list, the device registry (codes issued and their secrets, devices approved, revocations, sequence numbers seen), the signed acknowledgements, the verdict on every file opened, and every received case: each accepted bundle's whole archive as the payload of a `Received` item, each case's `Triage` row with its history |
//! | `.lock` | held by the command (or window) that has the desk open, or is making it |
//! | `inbox/` | bundles pulled and not yet opened, and flagged ones (ciphertext) |
//!
//! Every command unlocks the store first ([`Desk::unlock`]); one command
//! at a time holds it. This crate must never write a key or a decrypted
//! byte of a received case outside the store, except where an officer
//! exports a case to a folder on purpose ([`Desk::export_case`], recorded
//! in the store's custody log), and never take a device key on the intake
//! server's word alone. Folders an earlier version unpacked bundles into
//! (`opened/`) are imported into the store once and removed. It links the
//! bundle reader, never the media codecs' writers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ack;
mod cases;
mod config;
mod conn;
mod dossier;
mod error;
mod figures;
mod file;
mod message;
mod officer;
mod open;
mod pull;
mod received;
mod registry;
mod store;

pub use cases::{CaseRow, CaseView, ItemChange, TriageChange, Version};
pub use config::{sign_recipients, Approved, DeskConfig, Devices, Officer, OfficerOf, Pending};
pub use error::DeskError;
pub use message::{DeskMessage, MessageExchange};
pub use officer::OfficerRow;
pub use open::Opened;
pub use registry::{gaps, DeviceRow, IssuedCode};
pub use store::Desk;
pub use temoin_proto::message::MessageKind;
pub use temoin_sync::message::MessageStatus;
pub use temoin_vault::desk_records::{CaseSummary, Received, Triage, TriageState};
pub use temoin_vault::{ItemId, KdfChoice, Passphrase};
