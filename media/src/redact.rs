//! Working copies: the original with its metadata stripped, or with regions
//! blacked out, for sharing with people who must not identify a victim or
//! locate the person who took the photo.
//!
//! Stripping is lossless where the format allows it: for JPEG every
//! metadata segment (EXIF, XMP, IPTC, comments, vendor segments, embedded
//! previews) is dropped and the compressed image data is copied untouched;
//! for PNG every metadata chunk (text, compressed text, EXIF, time, and any
//! chunk not needed to draw the image) is dropped and the rest copied. The
//! decoded pixels are then exactly the original's. Other image formats are
//! decoded and re-encoded as PNG, which carries no metadata. Written here
//! rather than with a library because no maintained Rust crate strips JPEG
//! and PNG metadata without re-encoding; the marker and chunk walks are
//! small, bounded, and fuzzed (`fuzz/fuzz_targets/media.rs`).
//!
//! Black boxes need the pixels: the image is decoded (with limits on size
//! and memory), the rectangles are filled, and the result is written as PNG,
//! so that no pixel outside the rectangles changes (re-encoding as JPEG
//! would alter them all).

use std::io::Cursor;

pub use temoin_model::region::{Operation, Region};

/// Largest width or height decoded.
pub const MAX_DIMENSION: u32 = 20_000;
/// Largest original a working copy or a preview is made from.
pub const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;
/// Most memory a decode may allocate.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Why an image could not be processed. Says nothing of its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Not an image Témoin can process.
    #[error("this file is not an image Témoin can process ({0})")]
    Unsupported(String),
    /// Truncated or malformed.
    #[error("the image is damaged or truncated ({0})")]
    Malformed(&'static str),
    /// Over the size or memory limits.
    #[error(
        "the image is too large to process (at most {MAX_DIMENSION} pixels a side and \
         {} MiB of memory)",
        MAX_DECODE_BYTES / (1024 * 1024)
    )]
    TooLarge,
    /// The file is larger than working copies are made for.
    #[error("the file is too large for a working copy (at most {} MiB)", MAX_IMAGE_BYTES / (1024 * 1024))]
    FileTooLarge,
    /// A rectangle lies outside the image or is empty.
    #[error("a region is empty or lies outside the image ({width}x{height})")]
    BadRegion {
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
    },
}

/// How a region is hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Cover {
    /// Filled with black: nothing of the region survives. The default, and
    /// the one to use when a person must not be identified.
    #[default]
    Black,
    /// Blurred, for a softer look where context matters. A plain Gaussian
    /// blur can be partly undone (deblurring recovers faces and text from a
    /// light one), so the region is first averaged into blocks about a sixth
    /// of its longer side, which destroys the detail below that scale, and
    /// only then smoothed. Still weaker than black: the blocks keep colours
    /// and rough shapes.
    Blur,
}

/// Decodes an image with limits on dimensions and memory, the decoder
/// behind `catch_unwind` as the audio and PDF readers are: a decoder bug on
/// hostile bytes is an error for this file, not a crash of the app.
pub fn decode_limited(bytes: &[u8]) -> Result<image::DynamicImage, MediaError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_inner(bytes)))
        .unwrap_or(Err(MediaError::Malformed("the image decoder failed on it")))
}

#[cfg(test)]
thread_local! {
    /// Makes the decoder panic, as a decoder bug on hostile bytes would.
    pub(crate) static DECODER_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn decode_inner(bytes: &[u8]) -> Result<image::DynamicImage, MediaError> {
    #[cfg(test)]
    if DECODER_PANICS.get() {
        panic!("a decoder bug");
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| MediaError::Malformed("unreadable header"))?;
    if reader.format().is_none() {
        return Err(MediaError::Unsupported("unknown image format".into()));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooLarge,
        image::ImageError::Unsupported(_) => MediaError::Unsupported("unsupported variant".into()),
        _ => MediaError::Malformed("it does not decode"),
    })
}

/// Strips metadata. Returns the new bytes and their media type.
pub fn strip(bytes: &[u8]) -> Result<(Vec<u8>, &'static str), MediaError> {
    if bytes.starts_with(&[0xff, 0xd8]) {
        return Ok((strip_jpeg(bytes)?, "image/jpeg"));
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok((strip_png(bytes)?, "image/png"));
    }
    let image = decode_limited(bytes)?;
    Ok((encode_png(&image)?, "image/png"))
}

/// Fills rectangles with black and writes the result as PNG (which also
/// leaves all metadata behind).
pub fn black_out(bytes: &[u8], regions: &[Region]) -> Result<Vec<u8>, MediaError> {
    cover(bytes, regions, Cover::Black)
}

/// Hides rectangles (black or blurred) and writes the result as PNG (which
/// also leaves all metadata behind). Images with 16 bits a channel keep them.
/// Regions are in the pixels as stored; the result is turned upright as the
/// EXIF orientation says.
pub fn cover(bytes: &[u8], regions: &[Region], how: Cover) -> Result<Vec<u8>, MediaError> {
    let image = decode_limited(bytes)?;
    let (width, height) = (image.width(), image.height());
    for r in regions {
        let fits = r.w > 0
            && r.h > 0
            && r.x.checked_add(r.w).is_some_and(|e| e <= width)
            && r.y.checked_add(r.h).is_some_and(|e| e <= height);
        if !fits {
            return Err(MediaError::BadRegion { width, height });
        }
    }
    let sixteen_bits = matches!(
        image.color(),
        image::ColorType::L16
            | image::ColorType::La16
            | image::ColorType::Rgb16
            | image::ColorType::Rgba16
    );
    let mut out = if sixteen_bits {
        let mut rgba = image.to_rgba16();
        regions.iter().for_each(|r| cover_region(&mut rgba, r, how));
        image::DynamicImage::ImageRgba16(rgba)
    } else {
        let mut rgba = image.to_rgba8();
        regions.iter().for_each(|r| cover_region(&mut rgba, r, how));
        image::DynamicImage::ImageRgba8(rgba)
    };
    // The PNG carries no orientation tag, so its pixels are turned upright,
    // as viewers showed the original.
    if let Some(o) = orientation(bytes) {
        out.apply_orientation(o);
    }
    encode_png(&out)
}

/// The EXIF orientation of an image, if it has one other than upright.
fn orientation(bytes: &[u8]) -> Option<image::metadata::Orientation> {
    let o = crate::exif::read(bytes).orientation?;
    image::metadata::Orientation::from_exif(u8::try_from(o).ok()?)
        .filter(|o| *o != image::metadata::Orientation::NoTransforms)
}

/// Hides one region (already checked to lie inside the image).
fn cover_region<S>(image: &mut image::ImageBuffer<image::Rgba<S>, Vec<S>>, r: &Region, how: Cover)
where
    S: image::Primitive + 'static,
    image::Rgba<S>: image::Pixel<Subpixel = S>,
{
    match how {
        Cover::Black => {
            let black = image::Rgba([
                S::DEFAULT_MIN_VALUE,
                S::DEFAULT_MIN_VALUE,
                S::DEFAULT_MIN_VALUE,
                S::DEFAULT_MAX_VALUE,
            ]);
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    image.put_pixel(x, y, black);
                }
            }
        }
        Cover::Blur => {
            let block = (r.w.max(r.h) / 6).max(4);
            // Average each block: the detail inside a block is gone for good.
            let mut by = r.y;
            while by < r.y + r.h {
                let bh = block.min(r.y + r.h - by);
                let mut bx = r.x;
                while bx < r.x + r.w {
                    let bw = block.min(r.x + r.w - bx);
                    let mut sum = [0f64; 4];
                    for y in by..by + bh {
                        for x in bx..bx + bw {
                            for (s, c) in sum.iter_mut().zip(image.get_pixel(x, y).0) {
                                *s += c.to_f64().unwrap_or(0.0);
                            }
                        }
                    }
                    let n = f64::from(bw * bh);
                    let mean = sum.map(|s| {
                        <S as num_traits::NumCast>::from((s / n).round())
                            .unwrap_or(S::DEFAULT_MIN_VALUE)
                    });
                    for y in by..by + bh {
                        for x in bx..bx + bw {
                            image.put_pixel(x, y, image::Rgba(mean));
                        }
                    }
                    bx += bw;
                }
                by += bh;
            }
            // Then smooth the blocks, from the region's own pixels only.
            let region = image::imageops::crop_imm(image, r.x, r.y, r.w, r.h).to_image();
            let smooth = image::imageops::blur(&region, block as f32 / 2.0);
            image::imageops::replace(image, &smooth, i64::from(r.x), i64::from(r.y));
        }
    }
}

/// A small JPEG preview, at most `max` pixels a side.
/// Turned upright as the EXIF orientation says (as viewers show the
/// original); never enlarged.
pub fn thumbnail(bytes: &[u8], max: u32) -> Result<Vec<u8>, MediaError> {
    let mut image = decode_limited(bytes)?;
    if image.width() > max || image.height() > max {
        image = image.thumbnail(max, max);
    }
    if let Some(o) = orientation(bytes) {
        image.apply_orientation(o);
    }
    let small = image.to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(|_| MediaError::Malformed("the preview could not be encoded"))?;
    Ok(out.into_inner())
}

fn encode_png(image: &image::DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|_| MediaError::Malformed("the result could not be encoded"))?;
    Ok(out.into_inner())
}

/// Whether a JPEG segment is kept. `marker` is the byte after 0xFF;
/// `payload` the segment's bytes after its length.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        // APP0: JFIF (resolution only; its thumbnail is cleared below).
        0xe0 => payload.starts_with(b"JFIF\0"),
        // APP2: colour profile only (not FlashPix or multi-picture data,
        // which can hold further images).
        0xe2 => payload.starts_with(b"ICC_PROFILE\0"),
        // APP14: Adobe colour transform, needed to decode some files.
        0xee => payload.starts_with(b"Adobe"),
        // Every other APPn (EXIF, XMP, IPTC, vendor data) and comments.
        0xe1 | 0xe3..=0xed | 0xef | 0xfe => false,
        // Tables, frame and scan headers, restart intervals: the image.
        _ => true,
    }
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    if marker == 0xe0 && payload.len() >= 14 {
        // A JFIF header, with any embedded thumbnail dropped.
        let mut jfif = payload[..14].to_vec();
        jfif[12] = 0;
        jfif[13] = 0;
        out.extend_from_slice(&[0xff, marker]);
        out.extend_from_slice(&((jfif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&jfif);
        return;
    }
    out.extend_from_slice(&[0xff, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Reads the segment starting at `pos` (which holds 0xFF then the marker).
/// Returns the marker, payload, and position after the segment.
fn read_segment(bytes: &[u8], pos: usize) -> Result<(u8, &[u8], usize), MediaError> {
    let truncated = MediaError::Malformed("the JPEG is truncated");
    let marker = *bytes.get(pos + 1).ok_or(truncated.clone())?;
    let len_bytes = bytes.get(pos + 2..pos + 4).ok_or(truncated.clone())?;
    let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
    if len < 2 {
        return Err(MediaError::Malformed("a JPEG segment has a bad length"));
    }
    let end = pos + 2 + len;
    let payload = bytes.get(pos + 4..end).ok_or(truncated)?;
    Ok((marker, payload, end))
}

/// Strips a JPEG's metadata without touching its compressed image data.
pub fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, MediaError> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return Err(MediaError::Unsupported("not a JPEG".into()));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xff, 0xd8]);
    let mut pos = 2;
    let mut in_scan = false;
    loop {
        if in_scan {
            // Entropy-coded data runs until a 0xFF that is not stuffing
            // (0xFF00) or a restart marker (0xFFD0-0xFFD7).
            let start = pos;
            loop {
                let at = memchr::memchr(0xff, &bytes[pos..])
                    .map(|i| pos + i)
                    .ok_or(MediaError::Malformed("the JPEG is truncated"))?;
                match bytes.get(at + 1) {
                    None => return Err(MediaError::Malformed("the JPEG is truncated")),
                    Some(0x00) | Some(0xd0..=0xd7) => pos = at + 2,
                    Some(0xff) => pos = at + 1,
                    Some(_) => {
                        out.extend_from_slice(&bytes[start..at]);
                        pos = at;
                        break;
                    }
                }
            }
            in_scan = false;
        }
        // Skip fill bytes before a marker.
        while bytes.get(pos) == Some(&0xff) && bytes.get(pos + 1) == Some(&0xff) {
            pos += 1;
        }
        if bytes.get(pos) != Some(&0xff) {
            return Err(if pos >= bytes.len() {
                MediaError::Malformed("the JPEG is truncated")
            } else {
                MediaError::Malformed("the JPEG's structure is damaged")
            });
        }
        let marker = *bytes
            .get(pos + 1)
            .ok_or(MediaError::Malformed("the JPEG is truncated"))?;
        match marker {
            // End of image: anything after it (vendor trailers, appended
            // files) is dropped.
            0xd9 => {
                out.extend_from_slice(&[0xff, 0xd9]);
                return Ok(out);
            }
            0xd8 => return Err(MediaError::Malformed("the JPEG's structure is damaged")),
            // Standalone markers.
            0x01 | 0xd0..=0xd7 => {
                out.extend_from_slice(&[0xff, marker]);
                pos += 2;
            }
            _ => {
                let (marker, payload, next) = read_segment(bytes, pos)?;
                if keep_jpeg_segment(marker, payload) {
                    push_segment(&mut out, marker, payload);
                }
                pos = next;
                in_scan = marker == 0xda;
            }
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks needed to draw a PNG (and APNG) correctly; everything else goes.
const PNG_KEEP: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
];

/// Strips a PNG's metadata chunks; checks every chunk's CRC on the way.
pub fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, MediaError> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(MediaError::Unsupported("not a PNG".into()));
    }
    let truncated = MediaError::Malformed("the PNG is truncated");
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let header = bytes.get(pos..pos + 8).ok_or(truncated.clone())?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if len > 0x7fff_ffff {
            return Err(MediaError::Malformed("a PNG chunk has a bad length"));
        }
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(len))
            .ok_or(truncated.clone())?;
        let chunk = bytes.get(pos..end).ok_or(truncated.clone())?;
        let crc = u32::from_be_bytes(chunk[8 + len..].try_into().map_err(|_| truncated.clone())?);
        if crc32(&chunk[4..8 + len]) != crc {
            return Err(MediaError::Malformed("a PNG chunk fails its checksum"));
        }
        if PNG_KEEP.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
        pos = end;
        if &kind == b"IEND" {
            // Anything after IEND is dropped.
            return Ok(out);
        }
    }
}

/// CRC-32 as PNG uses it (ISO 3309), table-driven.
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (n, slot) in t.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    c ^ 0xffff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_that_panics_is_an_error_for_that_file() {
        let png = sample(image::ImageFormat::Png);
        DECODER_PANICS.set(true);
        let decoded = decode_limited(&png).map(|_| ());
        let preview = thumbnail(&png, 64).map(|_| ());
        let meta = crate::exif::read(&png);
        DECODER_PANICS.set(false);
        assert_eq!(
            decoded,
            Err(MediaError::Malformed("the image decoder failed on it"))
        );
        assert!(preview.is_err());
        assert!(
            meta.problem
                .as_deref()
                .is_some_and(|p| p.contains("failed")),
            "{:?}",
            meta.problem
        );
        assert!(decode_limited(&png).is_ok());
    }

    fn sample(format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, format)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn sixteen_bit_images_keep_their_precision_outside_the_regions() {
        let img: image::ImageBuffer<image::Rgba<u16>, Vec<u16>> =
            image::ImageBuffer::from_fn(40, 30, |x, y| {
                image::Rgba([(x * 1601) as u16 | 1, (y * 2003) as u16 | 3, 12345, 65535])
            });
        let mut png = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba16(img.clone())
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let region = Region {
            x: 5,
            y: 5,
            w: 10,
            h: 10,
        };
        for how in [Cover::Black, Cover::Blur] {
            let out = cover(png.get_ref(), &[region], how).unwrap();
            let after = decode_limited(&out).unwrap();
            assert_eq!(after.color(), image::ColorType::Rgba16);
            let after = after.to_rgba16();
            assert_eq!(after.get_pixel(30, 20), img.get_pixel(30, 20));
            assert_ne!(after.get_pixel(7, 7), img.get_pixel(7, 7));
        }
    }

    fn with_jpeg_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        push_segment(&mut out, marker, payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn jpeg_metadata_goes_and_pixels_stay() {
        let plain = sample(image::ImageFormat::Jpeg);
        let tagged = with_jpeg_segment(&plain, 0xe1, b"Exif\0\0GPS secret place");
        let tagged = with_jpeg_segment(&tagged, 0xfe, b"a comment naming someone");
        let mut tagged = tagged;
        tagged.extend_from_slice(b"trailing vendor data");
        let stripped = strip_jpeg(&tagged).unwrap();
        assert!(memchr::memmem::find(&stripped, b"secret").is_none());
        assert!(memchr::memmem::find(&stripped, b"naming").is_none());
        assert!(memchr::memmem::find(&stripped, b"trailing").is_none());
        let a = decode_limited(&tagged).unwrap().to_rgb8();
        let b = decode_limited(&stripped).unwrap().to_rgb8();
        assert_eq!(a, b);
    }

    #[test]
    fn jpeg_cut_in_half_is_a_clear_error() {
        let plain = sample(image::ImageFormat::Jpeg);
        let err = strip_jpeg(&plain[..plain.len() / 2]).unwrap_err();
        assert_eq!(err, MediaError::Malformed("the JPEG is truncated"));
        for len in 0..plain.len() {
            let _ = strip_jpeg(&plain[..len]);
        }
    }

    #[test]
    fn png_metadata_goes_and_pixels_stay() {
        let plain = sample(image::ImageFormat::Png);
        // Insert a tEXt chunk after IHDR (8 + 25 bytes).
        let mut chunk = Vec::new();
        let data = b"Comment\0secret place";
        chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
        chunk.extend_from_slice(b"tEXt");
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
        let mut tagged = plain[..33].to_vec();
        tagged.extend_from_slice(&chunk);
        tagged.extend_from_slice(&plain[33..]);
        let stripped = strip_png(&tagged).unwrap();
        assert!(memchr::memmem::find(&stripped, b"secret").is_none());
        assert_eq!(
            decode_limited(&tagged).unwrap().to_rgb8(),
            decode_limited(&stripped).unwrap().to_rgb8()
        );
        // A bad checksum is refused.
        let mut bad = tagged.clone();
        bad[40] ^= 1;
        assert!(strip_png(&bad).is_err());
        for len in 0..tagged.len() {
            let _ = strip_png(&tagged[..len]);
        }
    }

    #[test]
    fn black_out_changes_only_the_regions() {
        let png = sample(image::ImageFormat::Png);
        let region = Region {
            x: 10,
            y: 5,
            w: 20,
            h: 10,
        };
        let out = black_out(&png, &[region]).unwrap();
        let before = decode_limited(&png).unwrap().to_rgba8();
        let after = decode_limited(&out).unwrap().to_rgba8();
        for (x, y, p) in after.enumerate_pixels() {
            let inside = (10..30).contains(&x) && (5..15).contains(&y);
            if inside {
                assert_eq!(p.0, [0, 0, 0, 255]);
            } else {
                assert_eq!(p, before.get_pixel(x, y), "({x},{y})");
            }
        }
        assert!(matches!(
            black_out(
                &png,
                &[Region {
                    x: 60,
                    y: 0,
                    w: 10,
                    h: 1
                }]
            ),
            Err(MediaError::BadRegion { .. })
        ));
        assert!(black_out(
            &png,
            &[Region {
                x: 0,
                y: 0,
                w: 0,
                h: 1
            }]
        )
        .is_err());
    }

    #[test]
    fn crc_matches_the_png_reference_value() {
        // The CRC of "IEND" with no data, as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn a_decompression_bomb_header_is_refused_by_limits() {
        // A PNG whose header claims 100,000 x 100,000 pixels.
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut png = PNG_SIGNATURE.to_vec();
        let mut chunk = (ihdr.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"IHDR");
        chunk.extend_from_slice(&ihdr);
        chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
        png.extend_from_slice(&chunk);
        assert_eq!(decode_limited(&png).unwrap_err(), MediaError::TooLarge);
        assert!(thumbnail(&png, 256).is_err());
    }
}
