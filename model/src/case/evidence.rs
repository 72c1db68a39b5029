//! An evidence item: the description of a payload kept outside the record
//! store, and how a working copy derives from its original.

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{
    check_date, check_short_opt, check_tags, FieldError, ItemId, Kind, PartialDate, Record,
};

/// An evidence item: the description of a payload kept, byte for byte, in
/// the vault's blob folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Evidence {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// What it shows.
    #[serde(default)]
    pub description: Option<String>,
    /// The file name it arrived with.
    #[serde(default)]
    pub original_name: Option<String>,
    /// The media type, `type/subtype` (`image/jpeg`).
    pub media_type: String,
    /// The size of the original, in bytes.
    pub size: u64,
    /// The SHA-256 of the original bytes: 64 lower-case hex digits.
    pub sha256: String,
    /// When it was captured, as the capture metadata or the person says
    /// (free form, e.g. an EXIF date with its offset).
    #[serde(default)]
    pub captured_at: Option<String>,
    /// Who collected it.
    #[serde(default)]
    pub collected_by: Option<String>,
    /// When it was collected.
    #[serde(default)]
    pub collected_on: Option<PartialDate>,
    /// Where it came from (the person, a hospital, a court file, a URL).
    #[serde(default)]
    pub source: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the file's own metadata says about its capture, read at intake.
    #[serde(default)]
    pub capture: Option<crate::capture::CaptureMetadata>,
    /// For a working copy: the original it was made from, and how.
    #[serde(default)]
    pub derived_from: Option<Derivation>,
}

/// How a working copy was made from an original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Derivation {
    /// The original evidence item.
    pub original: ItemId,
    /// The original's SHA-256, linking the copy to it whatever happens to
    /// the original later.
    pub original_sha256: String,
    /// What was done, in order.
    pub operations: Vec<crate::region::Operation>,
}

/// The file name extension for a media type, so a litigator's viewer opens
/// the file: a bundle's evidence path and a document's annex are named by
/// it (the original name is in the record, never on a path).
pub fn file_extension(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/tiff" => "tif",
        "image/bmp" => "bmp",
        "image/heif" | "image/heic" => "heic",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/x-wav" | "audio/wav" => "wav",
        "audio/m4a" | "audio/mp4" => "m4a",
        "audio/x-flac" => "flac",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "text/plain" => "txt",
        _ => "bin",
    }
}

impl Evidence {
    /// A new evidence record for this case. The payload facts (media type,
    /// size, SHA-256) are filled in by the vault at intake.
    pub fn new(case_id: ItemId) -> Evidence {
        Evidence {
            case_id,
            description: None,
            original_name: None,
            media_type: String::new(),
            size: 0,
            sha256: String::new(),
            captured_at: None,
            collected_by: None,
            collected_on: None,
            source: None,
            tags: Vec::new(),
            capture: None,
            derived_from: None,
        }
    }
}

impl Record for Evidence {
    const KIND: Kind = Kind::Evidence;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        check_long_opt("description", &self.description)?;
        check_short_opt("original_name", self.original_name.as_deref())?;
        check_media_type("media_type", &self.media_type)?;
        check_sha256("sha256", &self.sha256)?;
        check_short_opt("captured_at", self.captured_at.as_deref())?;
        check_short_opt("collected_by", self.collected_by.as_deref())?;
        check_date("collected_on", &self.collected_on)?;
        check_short_opt("source", self.source.as_deref())?;
        check_tags("tags", &self.tags)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn same_fixed_facts(&self, previous: &Self) -> bool {
        self.sha256 == previous.sha256
            && self.size == previous.size
            && self.media_type == previous.media_type
            && self.case_id == previous.case_id
            && self.capture == previous.capture
            && self.derived_from == previous.derived_from
    }

    fn payload(&self) -> Option<(&str, u64)> {
        Some((&self.sha256, self.size))
    }

    fn index_text(&self, out: &mut String) {
        push_opt(out, &self.description);
        push_opt(out, &self.original_name);
        push_opt(out, &self.source);
        push_all(out, &self.tags);
    }
}
