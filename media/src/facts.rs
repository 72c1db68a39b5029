//! Basic facts about evidence that is not an image: the duration, picture
//! size and sound format of audio and video (from Symphonia's container
//! readers), and the page count and document information of a PDF (from
//! lopdf). Like image metadata they are recorded sealed at intake and never
//! stop it: a file the libraries cannot read is still stored as received,
//! with a short note (no content) saying why nothing was read.
//!
//! Bounds: containers are read through a seekable decrypting stream, so an
//! index at the end of a large video is reached without holding the file in
//! memory, and only headers and indexes are parsed (no frame is decoded).
//! PDFs are parsed in memory only up to [`MAX_PDF_BYTES`], with every
//! compressed stream limited to [`MAX_PDF_STREAM_BYTES`] when inflated.
//! Both libraries are third-party parsers fed hostile bytes, so each call is
//! also isolated with `catch_unwind`: a parser bug becomes a note, not a
//! crash of the app.

use std::io::{Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};

use symphonia::core::codecs::CodecParameters;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, StandardTag};
use symphonia::core::units::{Duration, TimeBase};

use temoin_model::capture::CaptureMetadata;

/// Largest PDF whose structure is read (larger ones are stored as received).
pub const MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;
/// Largest size any one compressed PDF stream may inflate to while reading.
pub const MAX_PDF_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// Longest text value kept from a tag or a document field.
const MAX_TEXT: usize = 200;

/// Whether facts are read from a file of this media type.
pub fn is_audio_or_video(media_type: &str) -> bool {
    media_type.starts_with("audio/") || media_type.starts_with("video/")
}

/// A seekable source of known length for Symphonia.
struct Source<R> {
    inner: R,
    len: u64,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Source<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for Source<R> {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Reads the facts of an audio or video file of `len` bytes. Never fails:
/// problems are noted in [`CaptureMetadata::problem`].
pub fn read_av<R: Read + Seek + Send + Sync>(input: R, len: u64) -> CaptureMetadata {
    match catch_unwind(AssertUnwindSafe(|| read_av_inner(input, len))) {
        Ok(Ok(meta)) => meta,
        Ok(Err(note)) => CaptureMetadata {
            problem: Some(note.into()),
            ..CaptureMetadata::default()
        },
        Err(_) => CaptureMetadata {
            problem: Some("the media reader failed on this file; nothing was read from it".into()),
            ..CaptureMetadata::default()
        },
    }
}

fn read_av_inner<R: Read + Seek + Send + Sync>(
    input: R,
    len: u64,
) -> Result<CaptureMetadata, &'static str> {
    let source = Source { inner: input, len };
    let stream = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|_| "the container is not one this version reads; it is stored as received")?;
    let mut meta = CaptureMetadata {
        format: Some(format.format_info().long_name.to_owned()),
        ..CaptureMetadata::default()
    };
    let seconds = |base: Option<TimeBase>, duration: Option<Duration>| -> Option<f64> {
        let t = base?.calc_duration(duration?)?.as_secs_f64();
        (t.is_finite() && t >= 0.0).then_some(t)
    };
    // The container's own length when it states one (Matroska does), else
    // the longest track's.
    let info = format.media_info();
    meta.duration_seconds = seconds(info.time_base, info.duration);
    for track in format.tracks() {
        if info.duration.is_none() {
            if let Some(t) = seconds(track.time_base, track.duration) {
                meta.duration_seconds = Some(meta.duration_seconds.unwrap_or(0.0).max(t));
            }
        }
        match &track.codec_params {
            Some(CodecParameters::Audio(audio)) => {
                meta.sample_rate = meta.sample_rate.or(audio.sample_rate);
                meta.channels = meta
                    .channels
                    .or(audio.channels.as_ref().map(|c| c.count() as u32));
            }
            Some(CodecParameters::Video(video)) if meta.width.is_none() => {
                meta.width = video.width.map(u32::from);
                meta.height = video.height.map(u32::from);
            }
            _ => {}
        }
    }
    if let Some(revision) = format.metadata().skip_to_latest() {
        for tag in &revision.media.tags {
            match &tag.std {
                Some(StandardTag::RecordingDate(v)) => meta.taken_at = Some(clean(v)),
                Some(StandardTag::EncodingDate(v)) if meta.taken_at.is_none() => {
                    meta.taken_at = Some(clean(v))
                }
                Some(StandardTag::Encoder(v)) => meta.software = Some(clean(v)),
                Some(StandardTag::Artist(v)) => meta.author = Some(clean(v)),
                Some(StandardTag::TrackTitle(v)) => meta.title = Some(clean(v)),
                _ => {}
            }
        }
    }
    Ok(meta)
}

/// Reads the facts of a PDF held in memory. Never fails: problems are noted
/// in [`CaptureMetadata::problem`].
pub fn read_pdf(bytes: &[u8]) -> CaptureMetadata {
    match catch_unwind(AssertUnwindSafe(|| read_pdf_inner(bytes))) {
        Ok(Ok(meta)) => meta,
        Ok(Err(note)) => CaptureMetadata {
            format: Some("PDF".into()),
            problem: Some(note.into()),
            ..CaptureMetadata::default()
        },
        Err(_) => CaptureMetadata {
            format: Some("PDF".into()),
            problem: Some("the PDF reader failed on this file; nothing was read from it".into()),
            ..CaptureMetadata::default()
        },
    }
}

fn read_pdf_inner(bytes: &[u8]) -> Result<CaptureMetadata, &'static str> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(MAX_PDF_STREAM_BYTES),
        ..Default::default()
    };
    let doc = lopdf::Document::load_mem_with_options(bytes, options)
        .map_err(|_| "the PDF is malformed or encrypted; nothing was read from it")?;
    let mut meta = CaptureMetadata {
        format: Some(format!("PDF {}", clean(&doc.version))),
        pages: u32::try_from(doc.get_pages().len()).ok(),
        ..CaptureMetadata::default()
    };
    let info = doc
        .trailer
        .get_deref(b"Info", &doc)
        .and_then(|o| o.as_dict())
        .ok();
    if let Some(info) = info {
        let field = |key: &[u8]| -> Option<String> {
            let object = info.get_deref(key, &doc).ok()?;
            let text = lopdf::decode_text_string(object).ok()?;
            let text = clean(&text);
            (!text.is_empty()).then_some(text)
        };
        meta.author = field(b"Author");
        meta.title = field(b"Title");
        meta.taken_at = field(b"CreationDate");
        meta.software = match (field(b"Creator"), field(b"Producer")) {
            (Some(c), Some(p)) if c != p => Some(format!("{c} ({p})")),
            (Some(c), _) => Some(c),
            (None, p) => p,
        };
    }
    meta.has_xmp = memchr::memmem::find(bytes, b"http://ns.adobe.com/xap/1.0/").is_some();
    Ok(meta)
}

/// A tag's text, trimmed, without control characters, at most
/// [`MAX_TEXT`] characters.
fn clean(text: &str) -> String {
    text.trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A WAV file written by hand from its specification: 8 kHz, mono,
    /// 16-bit, `seconds` long.
    fn wav(seconds: u32) -> Vec<u8> {
        let data_len = 8000 * 2 * seconds;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&8000u32.to_le_bytes());
        out.extend_from_slice(&16000u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.resize(out.len() + data_len as usize, 0);
        out
    }

    #[test]
    fn a_wav_file_gives_its_duration_and_format() {
        let bytes = wav(3);
        let meta = read_av(Cursor::new(&bytes), bytes.len() as u64);
        assert_eq!(meta.problem, None);
        assert_eq!(meta.duration_seconds, Some(3.0));
        assert_eq!(meta.sample_rate, Some(8000));
        assert_eq!(meta.channels, Some(1));
    }

    #[test]
    fn garbage_and_truncation_give_a_note_not_a_failure() {
        let full = wav(1);
        for bytes in [&b""[..], b"RIFF", &full[..30], b"\x1aE\xdf\xa3garbage"] {
            let meta = read_av(Cursor::new(bytes), bytes.len() as u64);
            assert_eq!(meta.duration_seconds, None);
            assert!(meta.problem.is_some(), "{bytes:?}");
        }
        for bytes in [
            &b""[..],
            b"%PDF-1.7\n",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog",
        ] {
            let meta = read_pdf(bytes);
            assert_eq!(meta.pages, None);
            assert!(meta.problem.is_some());
        }
    }
}
