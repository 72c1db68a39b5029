//! Regions of an image and the operations that made a working copy from its
//! original, as plain data. `temoin-media` applies them to pixels.

use serde::{Deserialize, Serialize};

/// A rectangle in image pixels, from the top-left corner of the image as
/// stored (before any EXIF orientation is applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// What was done to make a working copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "op")]
#[non_exhaustive]
pub enum Operation {
    /// Metadata removed.
    StripMetadata,
    /// Rectangles filled with black.
    BlackOut {
        /// The rectangles.
        regions: Vec<Region>,
    },
    /// Rectangles pixelated into coarse blocks, then blurred.
    Blur {
        /// The rectangles.
        regions: Vec<Region>,
    },
}
