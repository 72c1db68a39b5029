//! The wire between Témoin's devices, OMCT's intake server and OMCT's desk.
//!
//! Typed structs for every request and answer (enrollment, the recipient
//! list, receipts, the desk's listings, error bodies), the tus 1.0 header
//! values both ends parse ([`tus`]), the certificate pin ([`pin`]) and the
//! enrollment code ([`code`]). Both
//! ends serialise and parse the same types, so a field renamed on one side
//! fails to compile on the other.
//!
//! This crate must never depend on a store, a media codec, an HTTP stack or
//! a user interface: the intake server links it with nothing of the vault.
//! It parses hostile bytes (headers and bodies from the network), so every
//! parser is bounded and fuzzed.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ack;
pub mod code;
pub mod desk;
pub mod enroll;
pub mod error;
pub mod message;
pub mod pin;
pub mod receipt;
pub mod recipients;
pub mod signed;
pub mod tus;

pub use signed::SignedList;
