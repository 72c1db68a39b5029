//! The documents OMCT's programmes need, drafted from a case's records: an
//! urgent appeal, an individual complaint skeleton for the Committee
//! against Torture (article 22) or the Human Rights Committee with its
//! annex index, and an assistance request.
//!
//! The same code drafts on the device (from the vault) and at OMCT's desk
//! (from a received bundle): both hand over a [`CaseFile`] of typed
//! records. A consent gate runs first, by kind of document ([`Kind::scope`]):
//! a person whose consent does not reach is pseudonymised ("Person B"),
//! what is about them alone is left out, a child is never named in an
//! appeal, exact addresses are flagged, and the drafting notes list all of
//! it. Every paragraph ends with the tag of the record it came from, and
//! the document's last section maps each tag to the record's id and
//! revision.
//!
//! Documents are written as DOCX ([`docx::write`]), which a lawyer edits,
//! and as PDF ([`pdf::write`]), Arabic shaped right to left, fonts embedded.

pub mod country;
pub mod docx;
mod draft;
pub mod pdf;
pub mod text;

use temoin_model::case::{
    Assistance, Case, Consent, ConsentScope, Detention, Evidence, Perpetrator, Person, Place,
    Proceeding, Violation,
};
use temoin_model::record::{ItemId, Kind as RecordKind};

pub use draft::draft;
pub use text::Language;

/// What a dossier is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An urgent appeal (the Observatory, SOS Defenders): public.
    Appeal,
    /// An individual complaint to the Committee against Torture (article 22).
    Cat,
    /// An individual communication to the Human Rights Committee.
    Hrc,
    /// A request for assistance (the Victims Fund, emergency assistance).
    Assistance,
}

impl Kind {
    /// The consent a document of this kind needs.
    pub fn scope(self) -> ConsentScope {
        match self {
            Kind::Appeal => ConsentScope::Publication,
            Kind::Cat | Kind::Hrc => ConsentScope::Litigation,
            Kind::Assistance => ConsentScope::ShareWithOmct,
        }
    }

    /// The kind of a code (`appeal`, `cat`, `hrc`, `assistance`).
    pub fn from_code(code: &str) -> Option<Kind> {
        match code {
            "appeal" => Some(Kind::Appeal),
            "cat" => Some(Kind::Cat),
            "hrc" => Some(Kind::Hrc),
            "assistance" => Some(Kind::Assistance),
            _ => None,
        }
    }
}

/// A record with its id and revision (what a paragraph's tag names).
#[derive(Clone, Debug)]
pub struct Rec<T> {
    /// The item's id.
    pub id: ItemId,
    /// Its revision.
    pub revision: u32,
    /// The record.
    pub record: T,
}

/// An evidence item that can become an annex, with its custody in words.
#[derive(Clone, Debug)]
pub struct EvidenceItem {
    /// The item.
    pub rec: Rec<Evidence>,
    /// Its custody, summed up: how many entries, the first and the last.
    pub custody: String,
}

/// A case's records, as a document is drafted from them.
#[derive(Clone, Debug)]
pub struct CaseFile {
    /// The case.
    pub case: Rec<Case>,
    /// The people its records name.
    pub people: Vec<Rec<Person>>,
    /// Its consents.
    pub consents: Vec<Rec<Consent>>,
    /// Its violations.
    pub violations: Vec<Rec<Violation>>,
    /// Its places (and those its records name).
    pub places: Vec<Rec<Place>>,
    /// Its alleged perpetrators.
    pub perpetrators: Vec<Rec<Perpetrator>>,
    /// Its detentions.
    pub detentions: Vec<Rec<Detention>>,
    /// Its steps of proceedings.
    pub proceedings: Vec<Rec<Proceeding>>,
    /// Its assistance requests.
    pub assistance: Vec<Rec<Assistance>>,
    /// Its evidence.
    pub evidence: Vec<EvidenceItem>,
    /// What the source left out, as (kind, reason): a received bundle's
    /// withheld items.
    pub withheld: Vec<(String, String)>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    /// No consent of the case covers what the document is for.
    #[error(
        "no consent of this case covers {scope} (granted and not withdrawn): a document that \
         needs it cannot be drafted"
    )]
    NoConsent {
        /// The scope's code.
        scope: &'static str,
    },
    /// An assistance request was asked for, and the case has none that can go.
    #[error("the case has no assistance request that can go into a document")]
    NoAssistance,
    /// A record of the source does not read as the model's.
    #[error("a {kind} record does not read as a Témoin record of this version")]
    Unreadable {
        /// The kind's name.
        kind: String,
    },
    /// Writing the file failed.
    #[error("the document could not be written: {0}")]
    Write(String),
}

impl CaseFile {
    /// The case file of `items`, as a bundle's manifest lists them: (kind
    /// name, id, revision, record). Kinds a document does not use are
    /// skipped; a record of a used kind that does not read is an error.
    pub fn from_items<'a>(
        case_id: ItemId,
        items: impl IntoIterator<Item = (&'a str, ItemId, u32, &'a serde_json::Value)>,
    ) -> Result<CaseFile, DossierError> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: &str,
            id: ItemId,
            revision: u32,
            v: &serde_json::Value,
        ) -> Result<Rec<T>, DossierError> {
            Ok(Rec {
                id,
                revision,
                record: serde_json::from_value(v.clone()).map_err(|_| {
                    DossierError::Unreadable {
                        kind: kind.to_owned(),
                    }
                })?,
            })
        }
        let mut case = None;
        let mut f = CaseFile {
            case: Rec {
                id: case_id,
                revision: 0,
                record: Case::new(""),
            },
            people: Vec::new(),
            consents: Vec::new(),
            violations: Vec::new(),
            places: Vec::new(),
            perpetrators: Vec::new(),
            detentions: Vec::new(),
            proceedings: Vec::new(),
            assistance: Vec::new(),
            evidence: Vec::new(),
            withheld: Vec::new(),
        };
        let name = |k: RecordKind| k.name();
        for (kind, id, revision, v) in items {
            match kind {
                k if k == name(RecordKind::Case) && id == case_id => {
                    case = Some(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Person) => f.people.push(read(kind, id, revision, v)?),
                k if k == name(RecordKind::Consent) => {
                    f.consents.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Violation) => {
                    f.violations.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Place) => f.places.push(read(kind, id, revision, v)?),
                k if k == name(RecordKind::Perpetrator) => {
                    f.perpetrators.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Detention) => {
                    f.detentions.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Proceeding) => {
                    f.proceedings.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Assistance) => {
                    f.assistance.push(read(kind, id, revision, v)?)
                }
                k if k == name(RecordKind::Evidence) => f.evidence.push(EvidenceItem {
                    rec: read(kind, id, revision, v)?,
                    custody: String::new(),
                }),
                _ => {}
            }
        }
        f.case = case.ok_or_else(|| DossierError::Unreadable {
            kind: name(RecordKind::Case).to_owned(),
        })?;
        Ok(f)
    }
}

/// A drafted document: blocks of text, each paragraph with its source.
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// Right to left (Arabic).
    pub rtl: bool,
    /// The language's code, for the file's metadata.
    pub language: &'static str,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
    /// The records the paragraphs came from, by tag.
    pub sources: Vec<Source>,
    /// The annexes, numbered from 1.
    pub annexes: Vec<Annex>,
    /// The drafting notes (also at the document's end): who was left out
    /// or pseudonymised, what is flagged.
    pub notes: Vec<String>,
}

/// One block of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// The document's title.
    Title(String),
    /// A section heading.
    Heading(String),
    /// A paragraph, with the index of its source in [`Document::sources`].
    Para {
        /// The text.
        text: String,
        /// Its source.
        source: Option<usize>,
    },
    /// A list item.
    Item {
        /// The text.
        text: String,
        /// Its source.
        source: Option<usize>,
    },
    /// A note to the drafter, in italics.
    Note(String),
    /// A table: a header row and rows.
    Table {
        /// The header.
        header: Vec<String>,
        /// The rows.
        rows: Vec<Vec<String>>,
    },
}

/// The record a paragraph came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The tag at the paragraph's end (`V1`, `D2`).
    pub tag: String,
    /// The kind's name.
    pub kind: &'static str,
    /// The item's id.
    pub id: ItemId,
    /// Its revision.
    pub revision: u32,
}

/// An annex: an evidence item, numbered.
#[derive(Clone, Debug, PartialEq)]
pub struct Annex {
    /// From 1.
    pub number: usize,
    /// The evidence item.
    pub id: ItemId,
    /// Its SHA-256, as recorded.
    pub sha256: String,
    /// Its media type.
    pub media_type: String,
    /// The file name the annex is exported under (`annex-01.jpg`: a number
    /// and an extension from a fixed table, nothing of its content).
    pub file_name: String,
}
