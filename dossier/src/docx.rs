//! A drafted document as DOCX (Office Open XML), through `docx-rs`: headings,
//! paragraphs with their source tags, lists and tables a lawyer can edit.
//! Arabic documents are right to left (`w:bidi` on every paragraph and
//! table). The file carries no author, no device and no time of its own.

use std::io::{Seek, Write};

use docx_rs::{Docx, Paragraph, Run, RunFonts, Table, TableCell, TableRow};

use crate::{Block, Document, DossierError};

/// Twentieths of a point: A4.
const A4: (u32, u32) = (11906, 16838);
/// The width of the text between the default margins, in twentieths of a
/// point.
const TEXT_WIDTH: usize = 10000;

fn para(doc: &Document, text: &str) -> Paragraph {
    let mut p = Paragraph::new().add_run(Run::new().add_text(text));
    if doc.rtl {
        p.property = p.property.bidi(true);
    }
    p
}

fn with_tag(doc: &Document, mut p: Paragraph, source: Option<usize>) -> Paragraph {
    if let Some(s) = source.and_then(|i| doc.sources.get(i)) {
        p = p.add_run(
            Run::new()
                .add_text(format!(" [{}]", s.tag))
                .size(16)
                .color("6B6B6B"),
        );
    }
    p
}

/// Writes `doc` as DOCX to `out`.
pub fn write<W: Write + Seek>(doc: &Document, out: W) -> Result<(), DossierError> {
    // Fonts that cover Latin and Arabic on Windows, macOS and Linux
    // (LibreOffice substitutes its own when they are missing).
    let mut d = Docx::new()
        .page_size(A4.0, A4.1)
        .default_size(22)
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"));
    for block in &doc.blocks {
        match block {
            Block::Title(text) => {
                let mut p = Paragraph::new().add_run(Run::new().add_text(text).bold().size(32));
                if doc.rtl {
                    p.property = p.property.bidi(true);
                }
                d = d.add_paragraph(p.outline_lvl(0));
            }
            Block::Heading(text) => {
                let mut p = Paragraph::new().add_run(Run::new().add_text(text).bold().size(26));
                if doc.rtl {
                    p.property = p.property.bidi(true);
                }
                d = d.add_paragraph(p.outline_lvl(1).keep_next(true));
            }
            Block::Para { text, source } => {
                d = d.add_paragraph(with_tag(doc, para(doc, text), *source));
            }
            Block::Item { text, source } => {
                d = d.add_paragraph(with_tag(doc, para(doc, &format!("• {text}")), *source));
            }
            Block::Note(text) => {
                let mut p = Paragraph::new().add_run(Run::new().add_text(text).italic());
                if doc.rtl {
                    p.property = p.property.bidi(true);
                }
                d = d.add_paragraph(p);
            }
            Block::Table { header, rows } => {
                let row = |cells: &[String], bold: bool| {
                    TableRow::new(
                        cells
                            .iter()
                            .map(|c| {
                                let run = Run::new().add_text(c).size(18);
                                let run = if bold { run.bold() } else { run };
                                let mut p = Paragraph::new().add_run(run);
                                if doc.rtl {
                                    p.property = p.property.bidi(true);
                                }
                                TableCell::new().add_paragraph(p)
                            })
                            .collect(),
                    )
                };
                let mut all = vec![row(header, true)];
                all.extend(rows.iter().map(|r| row(r, false)));
                // A grid, so that readers (and python-docx) find the
                // columns: the annex index's hash gets the widest.
                let n = header.len().max(1);
                let grid = if n == 7 {
                    vec![800, 1700, 1100, 2300, 1200, 1300, 1600]
                } else {
                    vec![TEXT_WIDTH / n; n]
                };
                d = d.add_table(Table::new(all).set_grid(grid));
                d = d.add_paragraph(Paragraph::new());
            }
        }
    }
    d.build()
        .pack(out)
        .map_err(|e| DossierError::Write(e.to_string()))
}
