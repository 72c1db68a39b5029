//! OMCT's desk: the age identity bundles are sealed to, the root key that
//! signs the recipient list devices fetch, enrollment tokens, and pulling
//! and opening what devices sent.
//!
//! A desk folder (`desk init --dir DIR`) holds:
//!
//! | path | what |
//! | --- | --- |
//! | `store/` | the desk's encrypted store (a vault, sealed with the desk's passphrase): OMCT's age identities, the root key, the desk's signing key, the server's URL, pin and desk token, the recipient list, the device registry (codes issued and their secrets, devices approved, revocations, sequence numbers seen) and acknowledgements waiting for the server |
//! | `.lock` | held by the command (or window) that has the desk open, or is making it |
//! | `inbox/` | bundles pulled and not yet opened (ciphertext) |
//! | `opened/<bundle id>/` | each bundle unpacked, with `verification.json` and `acknowledgement.json` (owner-only folder) |
//!
//! Every command unlocks the store first ([`Desk::unlock`]); one command
//! at a time holds it. This crate must never write a key outside the store
//! nor a decrypted bundle anywhere but `opened/`, and never take a device
//! key on the intake server's word alone. It links the bundle reader, never
//! the media codecs' writers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ack;
mod config;
mod conn;
mod error;
mod file;
mod open;
mod pull;
mod registry;
mod store;

pub use config::{sign_recipients, Approved, DeskConfig, Devices, Pending};
pub use error::DeskError;
pub use open::Opened;
pub use registry::{gaps, DeviceRow, IssuedCode};
pub use store::Desk;
pub use temoin_vault::{KdfChoice, Passphrase};
