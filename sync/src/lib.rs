//! Témoin's handover to OMCT, the device's side: the outbox of submissions
//! and resumable uploads (tus 1.0 over HTTPS with a pinned certificate,
//! optionally through SOCKS5/Tor). OMCT's intake server is `temoin-intake`,
//! its desk `temoin-desk`; all three speak `temoin-proto`'s types.
//!
//! What this crate must never do: hold or send plaintext of a case (it
//! handles sealed bundles, encrypted to OMCT before they reach it); mark a
//! submission delivered without a receipt that verifies and names the exact
//! bytes sent; trust a certificate authority instead of the pinned
//! certificate; accept an upload before its bytes are on disk.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod message;
pub mod outbox;
pub mod pin;
pub use temoin_proto::tus;
