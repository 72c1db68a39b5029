//! The case model: who did what to whom, where and when, as told by whom,
//! shown by what, and with whose consent.
//!
//! The shape follows the events model of Ball et al. ("A Definition of
//! Database Design Standards for Human Rights Agencies", AAAS and
//! HURIDOCS, 1994) and the HURIDOCS Events Standard Formats (2001):
//! entities (cases, people, places, perpetrators), roles (a person is a
//! victim in one act and a witness in another) and links (an act joins
//! victims, perpetrators and a place) are kept apart. The testimony
//! follows the interview and history headings of the Istanbul Protocol
//! (2022 edition).
//!
//! Every categorical field is a coded controlled vocabulary (an enum whose
//! stable code is the snake_case string stored on disk), informed by the
//! HURIDOCS Micro-thesauri, so that records from the 200 organisations of the
//! SOS-Torture Network can be counted together. Labels are translated in the
//! UI; the codes never change meaning. `docs/case-model.md` maps each field to
//! the standard it serves.
//!
//! Validation errors name the field (as a dotted path such as
//! `account.background`) and the problem, never the content.

#[macro_use]
mod vocabulary;
mod act;
// The case record itself, beside the people, acts and consents that hang
// off it: one concept a file, named after the record.
#[allow(clippy::module_inception)]
mod case;
pub(crate) mod check;
mod consent;
mod evidence;
mod person;
mod programme;
mod testimony;
#[cfg(test)]
mod tests;

pub use act::*;
pub use case::*;
use check::*;
pub use consent::*;
pub use evidence::*;
pub use person::*;
pub use programme::*;
pub use testimony::*;
pub use vocabulary::*;
