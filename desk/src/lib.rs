//! OMCT's desk: the age identity bundles are sealed to, the root key that
//! signs the recipient list devices fetch, enrollment tokens, and pulling
//! and opening what devices sent.
//!
//! A desk folder (`desk init --dir DIR`) holds:
//!
//! | path | what |
//! | --- | --- |
//! | `omct.key` | OMCT's age identity (mode 0600); can be moved to an offline machine that only runs `desk open` |
//! | `root.key` | the root signing key (mode 0600) |
//! | `desk.json` | the server's URL and pin, the desk token, the current recipient list |
//! | `devices.json` | the desk's device registry (mode 0600): codes issued and their secrets, devices approved, revocations, the sequence numbers seen from each |
//! | `inbox/` | bundles pulled and not yet opened |
//! | `opened/<bundle id>/` | each bundle unpacked, with `verification.json` |
//!
//! This crate must never write a key or a decrypted bundle anywhere but the
//! desk folder, and never take a device key on the intake server's word
//! alone once the desk keeps its own registry. It links the bundle reader,
//! never the media codecs' writers.
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

pub use ack::{ack_file, relay_acks};
pub use config::{init, rotate, sign_recipients, Approved, DeskConfig, Devices, Pending};
pub use error::DeskError;
pub use open::{open, Opened};
pub use pull::pull;
pub use registry::{devices, enroll, gaps, revoke, warnings, DeviceRow, IssuedCode};
