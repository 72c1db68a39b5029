//! Capture metadata: what an original says about when, where and with what
//! it was taken (EXIF for images, basic facts for audio, video and PDF), as
//! plain data. `temoin-media` reads it from the bytes; the vault stores it
//! sealed in the evidence record.

use serde::{Deserialize, Serialize};

/// A position, in decimal degrees (WGS 84, as EXIF records it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GpsPosition {
    /// Latitude, positive north.
    pub latitude: f64,
    /// Longitude, positive east.
    pub longitude: f64,
    /// Altitude in metres, if recorded.
    #[serde(default)]
    pub altitude: Option<f64>,
}

/// What an image's metadata says about its capture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaptureMetadata {
    /// When it was taken, as recorded (`2024:03:05 14:22:10`, with the
    /// offset when the device recorded one).
    #[serde(default)]
    pub taken_at: Option<String>,
    /// Where.
    #[serde(default)]
    pub gps: Option<GpsPosition>,
    /// The device's maker.
    #[serde(default)]
    pub make: Option<String>,
    /// The device's model.
    #[serde(default)]
    pub model: Option<String>,
    /// The software that wrote the file.
    #[serde(default)]
    pub software: Option<String>,
    /// The EXIF orientation (1–8), which viewers apply when showing it.
    #[serde(default)]
    pub orientation: Option<u16>,
    /// Pixel width, from the image header.
    #[serde(default)]
    pub width: Option<u32>,
    /// Pixel height, from the image header.
    #[serde(default)]
    pub height: Option<u32>,
    /// Whether an XMP packet is present (often holding more of the above).
    #[serde(default)]
    pub has_xmp: bool,
    /// The container or document format, as the reader names it
    /// ("QuickTime / MP4", "PDF 1.7"); images leave it empty.
    #[serde(default)]
    pub format: Option<String>,
    /// Length of audio or video, in seconds.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Audio sample rate, in hertz.
    #[serde(default)]
    pub sample_rate: Option<u32>,
    /// Audio channels.
    #[serde(default)]
    pub channels: Option<u32>,
    /// Pages of a document.
    #[serde(default)]
    pub pages: Option<u32>,
    /// The author a document or recording names (which may identify someone).
    #[serde(default)]
    pub author: Option<String>,
    /// The title a document or recording gives itself.
    #[serde(default)]
    pub title: Option<String>,
    /// Why some metadata could not be read, if it could not (no content).
    #[serde(default)]
    pub problem: Option<String>,
}
