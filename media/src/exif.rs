//! Capture metadata read from an image's EXIF block at intake.
//!
//! Reading is bounded: only images are examined, the EXIF reader gets the
//! bytes already in memory, and every problem becomes a short note without
//! content ("the EXIF block is malformed"), never an error that stops intake.

use temoin_model::capture::{CaptureMetadata, GpsPosition};

/// Longest text value kept from a tag.
const MAX_TEXT: usize = 200;

/// Reads capture metadata from an image's bytes. Never fails: problems are
/// noted in [`CaptureMetadata::problem`]. The image and EXIF parsers run
/// behind `catch_unwind`: a parser bug on hostile bytes is a note.
pub fn read(bytes: &[u8]) -> CaptureMetadata {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_inner(bytes))).unwrap_or_else(
        |_| CaptureMetadata {
            problem: Some("the image reader failed on this file; nothing was read from it".into()),
            ..CaptureMetadata::default()
        },
    )
}

fn read_inner(bytes: &[u8]) -> CaptureMetadata {
    #[cfg(test)]
    if crate::redact::DECODER_PANICS.get() {
        panic!("a parser bug");
    }
    let mut meta = CaptureMetadata {
        has_xmp: memchr::memmem::find(bytes, b"http://ns.adobe.com/xap/1.0/").is_some()
            || memchr::memmem::find(bytes, b"XML:com.adobe.xmp").is_some(),
        ..CaptureMetadata::default()
    };
    if let Ok(size) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ())
        .and_then(|r| r.into_dimensions().map_err(|_| ()))
    {
        meta.width = Some(size.0);
        meta.height = Some(size.1);
    }
    let exif = match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return meta,
        Err(_) => {
            meta.problem = Some("the EXIF block is malformed; nothing was read from it".into());
            return meta;
        }
    };
    let text = |tag: exif::Tag| -> Option<String> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        match &field.value {
            exif::Value::Ascii(parts) => {
                let joined: Vec<u8> = parts.iter().flatten().copied().collect();
                let s: String = String::from_utf8_lossy(&joined)
                    .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_TEXT)
                    .collect();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    // Each time with its own offset tag, when the device wrote one.
    meta.taken_at = match text(exif::Tag::DateTimeOriginal) {
        Some(t) => Some((t, text(exif::Tag::OffsetTimeOriginal))),
        None => text(exif::Tag::DateTime).map(|t| (t, text(exif::Tag::OffsetTime))),
    }
    .map(|(t, offset)| match offset {
        Some(offset) => format!("{t} {offset}"),
        None => t,
    });
    meta.make = text(exif::Tag::Make);
    meta.model = text(exif::Tag::Model);
    meta.software = text(exif::Tag::Software);
    meta.orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o));
    meta.gps = gps(&exif);
    meta
}

fn gps(exif: &exif::Exif) -> Option<GpsPosition> {
    let degrees = |tag: exif::Tag| -> Option<f64> {
        match &exif.get_field(tag, exif::In::PRIMARY)?.value {
            exif::Value::Rational(v) if v.len() >= 3 => {
                let part = |r: &exif::Rational| (r.denom != 0).then(|| r.to_f64());
                Some(part(&v[0])? + part(&v[1])? / 60.0 + part(&v[2])? / 3600.0)
            }
            _ => None,
        }
    };
    let reference = |tag: exif::Tag| -> Option<u8> {
        match &exif.get_field(tag, exif::In::PRIMARY)?.value {
            exif::Value::Ascii(parts) => parts.first()?.first().copied(),
            _ => None,
        }
    };
    let mut latitude = degrees(exif::Tag::GPSLatitude)?;
    let mut longitude = degrees(exif::Tag::GPSLongitude)?;
    if reference(exif::Tag::GPSLatitudeRef) == Some(b'S') {
        latitude = -latitude;
    }
    if reference(exif::Tag::GPSLongitudeRef) == Some(b'W') {
        longitude = -longitude;
    }
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let altitude = match &exif
        .get_field(exif::Tag::GPSAltitude, exif::In::PRIMARY)
        .map(|f| &f.value)
    {
        Some(exif::Value::Rational(v)) if !v.is_empty() && v[0].denom != 0 => {
            let below = exif
                .get_field(exif::Tag::GPSAltitudeRef, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
                == Some(1);
            Some(if below { -v[0].to_f64() } else { v[0].to_f64() })
        }
        _ => None,
    };
    Some(GpsPosition {
        latitude,
        longitude,
        altitude,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_images_and_garbage_give_empty_metadata() {
        for bytes in [
            &b""[..],
            b"%PDF-1.7",
            &[0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, b'E'],
        ] {
            let m = read(bytes);
            assert_eq!(m.gps, None);
            assert_eq!(m.make, None);
        }
    }
}
