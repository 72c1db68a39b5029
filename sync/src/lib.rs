//! Témoin's handover to OMCT: the outbox of submissions, resumable uploads
//! (tus 1.0 over HTTPS with a pinned certificate, optionally through
//! SOCKS5/Tor), OMCT's intake server, and OMCT's desk.
//!
//! What this crate must never do: hold or send plaintext of a case (it
//! handles sealed bundles, encrypted to OMCT before they reach it); mark a
//! submission delivered without a receipt that verifies and names the exact
//! bytes sent; trust a certificate authority instead of the pinned
//! certificate; accept an upload before its bytes are on disk.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "net")]
pub mod client;
#[cfg(feature = "net")]
pub mod desk;
#[cfg(feature = "net")]
pub mod outbox;
#[cfg(feature = "net")]
pub mod pin;
#[cfg(feature = "net")]
pub mod server;
pub mod tus;
