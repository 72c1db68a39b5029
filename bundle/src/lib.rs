//! The sealed bundle: one case, as a tar archive inside an age file, signed
//! by the device. The one format for a submission to OMCT, a file for a
//! litigator and a USB hand-carry; `docs/FORMAT.md` specifies it.
//!
//! [`manifest`] holds the format's types and limits, [`write`] lays out and
//! streams a bundle from a signed manifest and payload streams, [`read`]
//! reads and checks one without trusting it, [`readme`] writes the page for
//! people. Writing and reading both stream: no plaintext touches the disk
//! unless a reader asks to unpack into a folder.
//!
//! This crate must never depend on a store (sled), on media codecs, on the
//! network or on a user interface: the desk and any other reader link it to
//! read bundles, and nothing else comes with it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod manifest;
pub mod read;
pub mod readme;
pub mod report;
pub mod write;

pub use manifest::*;
pub use read::{
    copy_member, decrypt_bundle, read_bundle, read_plain, safe_member_path, BundleError, Problem,
    ProblemCode, ReadOptions, Report,
};
pub use temoin_crypto::payload::{PayloadIdentity, PayloadRecipient};
pub use write::{BundleWriter, Draft, WriteError};
