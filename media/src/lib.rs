//! Pure functions over the bytes of evidence.
//!
//! Capture metadata from an image's EXIF block ([`exif`]), basic facts of
//! audio, video and PDF ([`facts`]), the media type of bytes ([`sniff`]), and
//! working copies: metadata stripped losslessly, regions covered, upright
//! previews ([`redact`]). Every codec Témoin uses (image, kamadak-exif,
//! symphonia, lopdf, infer) is linked here and nowhere else, so that the
//! intake server and the bundle reader never carry them.
//!
//! Everything here reads hostile bytes: decoders run with limits on
//! dimensions and memory, third-party parsers behind `catch_unwind`, and
//! every problem is a value or a short note that names no content. This
//! crate does no I/O beyond the reader it is given, holds no key, and must
//! never depend on a store, the network or a user interface.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod exif;
pub mod facts;
pub mod redact;
pub mod sniff;

pub use redact::{Cover, MediaError};
pub use sniff::sniff_media_type;
