//! A drafted document as PDF, through `krilla` (the PDF writer of Typst):
//! each line's text is shaped by krilla (HarfBuzz's rules, so Arabic
//! letters join), runs of Arabic go right to left, and the fonts are
//! embedded (a subset of DejaVu Sans, which covers Latin and Arabic), so
//! any reader shows the document as written, with no font of its own.
//! Like the DOCX, the file carries no author, no device and no time.
//!
//! Lines are broken here, by hand: krilla draws a line, it does not lay
//! out paragraphs, and the layout engines that do (parley) bring a
//! system-font stack the document must not depend on. The breaker is the
//! simplest that serves: words measured by their glyphs' advances, filled
//! greedily; each line then put in visual order by `unicode-bidi`
//! (right to left as a whole in an Arabic document, with runs of Latin and
//! digits inside it left to right).

use std::io::Write;
use std::ops::Range;

use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};

use crate::{Block, Document, DossierError};

/// DejaVu Sans (Bitstream Vera licence, `fonts/LICENSE`).
static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A4, in points.
const PAGE: (f32, f32) = (595.0, 842.0);
/// The margin on every side.
const MARGIN: f32 = 56.0;
/// The width of a line.
const WIDTH: f32 = PAGE.0 - 2.0 * MARGIN;
/// The most characters a line holds, whatever their width: a line of
/// characters that take no room (zero-width spaces, marks) would otherwise
/// grow without end, and be shaped again at every character.
const MOST_CHARACTERS: usize = 300;

/// `text` as it is set: control characters (which the bidi algorithm can
/// take for paragraph ends, dropping the rest of the line) become spaces,
/// and the characters that force or embed a direction are taken out, so
/// that a record cannot turn the text after it around (its source tag, a
/// date). Each line's direction comes from its letters alone.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

/// How a line is set.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    Title,
    Heading,
    Body,
    Small,
    SmallBold,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 16.0,
            Style::Heading => 13.0,
            Style::Body => 10.5,
            Style::Small | Style::SmallBold => 8.5,
        }
    }

    fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Heading | Style::SmallBold)
    }
}

/// One line, in logical order, at its baseline.
struct Line {
    y: f32,
    text: String,
    style: Style,
}

/// The two faces, for measuring: shaped as krilla shapes them when it
/// draws (the same rustybuzz), so a line's runs sit edge to edge.
struct Faces<'a> {
    regular: rustybuzz::Face<'a>,
    bold: rustybuzz::Face<'a>,
}

impl Faces<'_> {
    /// The advance of `text` set in `style`, in points, shaped right to
    /// left or left to right as `rtl` says, or as its own letters say.
    fn shaped(&self, text: &str, style: Style, rtl: Option<bool>) -> f32 {
        let face = if style.bold() {
            &self.bold
        } else {
            &self.regular
        };
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        match rtl {
            Some(true) => buffer.set_direction(Direction::RightToLeft),
            Some(false) => buffer.set_direction(Direction::LeftToRight),
            None => {}
        }
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 / face.units_per_em().max(1) as f32 * style.size()
    }

    /// The advance of a line's worth of text, for wrapping.
    fn width(&self, text: &str, style: Style) -> f32 {
        self.shaped(text, style, None)
    }

    /// The advance of a run drawn in the direction given.
    fn run_width(&self, text: &str, style: Style, rtl: bool) -> f32 {
        self.shaped(text, style, Some(rtl))
    }

    /// `text` broken into lines no wider than the line and of at most
    /// [`MOST_CHARACTERS`]; a word too long for a line is cut.
    fn wrap(&self, text: &str, style: Style) -> Vec<String> {
        let fits = |s: &str| s.chars().count() <= MOST_CHARACTERS && self.width(s, style) <= WIDTH;
        let mut lines = Vec::new();
        for paragraph in clean(text).split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if fits(&candidate) {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if fits(word) {
                    line = word.to_owned();
                    continue;
                }
                // A word alone too long for a line (a hash, a long id): cut
                // by the width of each character, each shaped once.
                let mut piece = String::new();
                let (mut wide, mut count) = (0.0, 0);
                for c in word.chars() {
                    let w = self.width(c.encode_utf8(&mut [0; 4]), style);
                    if count > 0 && (wide + w > WIDTH || count == MOST_CHARACTERS) {
                        lines.push(std::mem::take(&mut piece));
                        (wide, count) = (0.0, 0);
                    }
                    piece.push(c);
                    wide += w;
                    count += 1;
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }
}

/// The lines of `doc`, page by page.
fn layout(doc: &Document, faces: &Faces<'_>) -> Vec<Vec<Line>> {
    let mut pages: Vec<Vec<Line>> = Vec::new();
    let mut page: Vec<Line> = Vec::new();
    let mut y = MARGIN;
    let mut set = |text: &str, style: Style, before: f32| {
        y += before;
        for text in faces.wrap(text, style) {
            let height = style.size() * 1.4;
            if y + height > PAGE.1 - MARGIN {
                pages.push(std::mem::take(&mut page));
                y = MARGIN;
            }
            y += height;
            page.push(Line { y, text, style });
        }
    };
    let tagged = |text: &str, source: &Option<usize>| match source.and_then(|i| doc.sources.get(i))
    {
        Some(s) => format!("{text} [{}]", s.tag),
        None => text.to_owned(),
    };
    for block in &doc.blocks {
        match block {
            Block::Title(text) => set(text, Style::Title, 0.0),
            Block::Heading(text) => set(text, Style::Heading, 10.0),
            Block::Para { text, source } => set(&tagged(text, source), Style::Body, 4.0),
            Block::Item { text, source } => {
                set(&format!("• {}", tagged(text, source)), Style::Body, 2.0)
            }
            Block::Note(text) => set(text, Style::Small, 4.0),
            // A table as one block of lines a row: the first cell in bold,
            // then each other cell after its column's name. A page is too
            // narrow for the annex index's seven columns and a SHA-256.
            Block::Table { header, rows } => {
                for row in rows {
                    let mut cells = row.iter().zip(header);
                    if let Some((first, name)) = cells.next() {
                        set(&format!("{name}: {first}"), Style::SmallBold, 6.0);
                    }
                    for (cell, name) in cells {
                        set(&format!("{name}: {cell}"), Style::Small, 0.0);
                    }
                }
            }
        }
    }
    pages.push(page);
    pages
}

/// The runs of `text` in visual order, each with its direction.
fn visual_runs(text: &str, rtl: bool) -> Vec<(Range<usize>, bool)> {
    let base = if rtl { Level::rtl() } else { Level::ltr() };
    let info = BidiInfo::new(text, Some(base));
    let Some(paragraph) = info.paragraphs.first() else {
        return Vec::new();
    };
    let (levels, runs) = info.visual_runs(paragraph, paragraph.range.clone());
    runs.into_iter()
        .map(|r| {
            let rtl = levels.get(r.start).is_some_and(|l| l.is_rtl());
            (r, rtl)
        })
        .collect()
}

/// Writes `doc` as PDF to `out`.
pub fn write<W: Write>(doc: &Document, mut out: W) -> Result<(), DossierError> {
    let unreadable = || DossierError::Write("the document's fonts cannot be read".into());
    let faces = Faces {
        regular: rustybuzz::Face::from_slice(REGULAR, 0).ok_or_else(unreadable)?,
        bold: rustybuzz::Face::from_slice(BOLD, 0).ok_or_else(unreadable)?,
    };
    let fonts = (
        Font::new(REGULAR.into(), 0).ok_or_else(unreadable)?,
        Font::new(BOLD.into(), 0).ok_or_else(unreadable)?,
    );
    // No XMP packet: the document's language is all its metadata says.
    let mut pdf = krilla::Document::new_with(krilla::SerializeSettings {
        xmp_metadata: false,
        ..Default::default()
    });
    pdf.set_metadata(
        Metadata::new()
            .language(doc.language.to_owned())
            .text_direction(if doc.rtl {
                krilla::metadata::TextDirection::RightToLeft
            } else {
                krilla::metadata::TextDirection::LeftToRight
            }),
    );
    let settings = PageSettings::from_wh(PAGE.0, PAGE.1)
        .ok_or_else(|| DossierError::Write("the page size".into()))?;
    for lines in layout(doc, &faces) {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        for line in &lines {
            let font = if line.style.bold() {
                &fonts.1
            } else {
                &fonts.0
            };
            let runs = visual_runs(&line.text, doc.rtl);
            let widths: Vec<f32> = runs
                .iter()
                .map(|(r, rtl)| faces.run_width(&line.text[r.clone()], line.style, *rtl))
                .collect();
            let total: f32 = widths.iter().sum();
            let mut x = if doc.rtl {
                PAGE.0 - MARGIN - total
            } else {
                MARGIN
            };
            for ((range, rtl), w) in runs.iter().zip(widths) {
                surface.draw_text(
                    Point::from_xy(x, line.y),
                    font.clone(),
                    line.style.size(),
                    &line.text[range.clone()],
                    false,
                    if *rtl {
                        TextDirection::RightToLeft
                    } else {
                        TextDirection::LeftToRight
                    },
                );
                x += w;
            }
        }
        surface.finish();
        page.finish();
    }
    let bytes = pdf
        .finish()
        .map_err(|e| DossierError::Write(format!("{e:?}")))?;
    out.write_all(&bytes)
        .map_err(|e| DossierError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> Faces<'static> {
        Faces {
            regular: rustybuzz::Face::from_slice(REGULAR, 0).expect("the font"),
            bold: rustybuzz::Face::from_slice(BOLD, 0).expect("the font"),
        }
    }

    #[test]
    fn long_words_are_cut_and_lines_stay_within_the_page() {
        let f = faces();
        let hash = "0123456789abcdef".repeat(20);
        let lines = f.wrap(&format!("SHA-256: {hash} end"), Style::Body);
        assert!(lines.len() > 2, "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            format!("SHA-256:{hash}end")
        );
        for l in &lines {
            assert!(f.width(l, Style::Body) <= WIDTH, "{l}");
        }
    }

    #[test]
    fn characters_that_take_no_room_still_end_a_line() {
        let f = faces();
        // One word of 20,000 zero-width spaces, then many words of them:
        // lines of at most MOST_CHARACTERS, each character shaped once
        // when a word is cut.
        let zw = "\u{200B}".repeat(20_000);
        let words = vec!["\u{200B}"; 5_000].join(" ");
        for text in [zw, words] {
            let lines = f.wrap(&text, Style::Body);
            assert!(lines.iter().all(|l| l.chars().count() <= MOST_CHARACTERS));
            assert!(lines.len() >= 16, "{}", lines.len());
        }
    }

    #[test]
    fn separators_and_direction_overrides_change_nothing_after_them() {
        let f = faces();
        // U+001C ends a paragraph for the bidi algorithm: the tag after it
        // must stay; U+202E would turn the tag around.
        let lines = f.wrap("beaten\u{1C} at night \u{202E}[V12]", Style::Body);
        assert_eq!(lines, vec!["beaten at night [V12]".to_owned()]);
        let runs = visual_runs(&lines[0], false);
        assert_eq!(runs.len(), 1);
        assert!(!runs[0].1);
    }

    #[test]
    fn arabic_is_shaped_with_the_fonts_glyphs_right_to_left() {
        let f = faces();
        for face in [&f.regular, &f.bold] {
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str("نداء عاجل");
            buffer.guess_segment_properties();
            assert_eq!(buffer.direction(), Direction::RightToLeft);
            let shaped = rustybuzz::shape(face, &[], buffer);
            assert!(
                shaped.glyph_infos().iter().all(|g| g.glyph_id != 0),
                "a letter the font lacks"
            );
        }
        // In an Arabic line, a Latin name is a run of its own, left to
        // right, and the line reads right to left.
        let runs = visual_runs("نداء عاجل Karim Mansour الشخص", true);
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert!(runs[0].1 && !runs[1].1 && runs[2].1);
    }
}
