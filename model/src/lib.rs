//! The case model of Témoin, as plain data.
//!
//! Records ([`record`]) and the case model built on them ([`case`]): cases,
//! people and their roles, testimonies under the Istanbul Protocol's
//! headings, evidence descriptions, consents with their scopes and
//! withdrawals, violations, places, perpetrators and follow-up needs, each a
//! coded controlled vocabulary where it is categorical. Beside them, the
//! capture facts of an original ([`capture`]), the regions and operations
//! that make a working copy ([`region`]), and the custody log's entries
//! with their hash chain ([`custody`]).
//!
//! This crate does no I/O and holds no secret: it validates and describes.
//! It must never depend on a store (sled), a media codec, the network or a
//! user interface; the vault, the bundle format, the desk and the app all
//! read the same types from here. Validation errors name the field, never
//! the content.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod case;
pub mod custody;
pub mod desk;
pub mod record;
pub mod region;
pub mod stats;

pub use record::{ItemId, Kind, PartialDate, Record};
