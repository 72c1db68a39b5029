//! The in-memory search index, loaded at unlock and dropped (zeroized) at lock.
//!
//! Written here rather than with a search library because the index must
//! never touch the disk in the clear, and the usual engines (tantivy and the
//! like) are built around plaintext on-disk segments. (It reaches the disk
//! only sealed, in the index snapshot; see `snapshot.rs`.) The design is deliberately simple: every
//! item's searchable text, normalised (lower case, diacritics removed, so
//! that "Détention" matches "detention" and Arabic matches with or without
//! vowel marks), is appended to large fixed-capacity segments, and a query is
//! a SIMD substring scan (`memchr::memmem`) over them. Substring matching
//! also suits names in many scripts and spellings, where word tokenisers
//! stumble. Segments never reallocate, so no stray copy of the plaintext is
//! left behind in freed memory; they are zeroized when dropped.

use std::collections::HashMap;

use memchr::memmem;
use zeroize::Zeroizing;

use crate::record::{ItemId, Kind};

/// Capacity of one text segment.
const SEGMENT: usize = 4 * 1024 * 1024;

/// One hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The item found.
    pub id: ItemId,
    /// Its kind.
    pub kind: Kind,
    /// The case it belongs to (itself for a case).
    pub case: Option<ItemId>,
}

struct Doc {
    segment: u32,
    start: u32,
    end: u32,
    hit: Hit,
    live: bool,
}

#[derive(Default)]
pub(crate) struct SearchIndex {
    segments: Vec<Zeroizing<Vec<u8>>>,
    docs: Vec<Doc>,
    by_item: HashMap<ItemId, usize>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SearchIndex({} documents)", self.docs.len())
    }
}

/// Lower-cases and strips combining marks. ASCII takes a fast path.
pub(crate) fn normalize_into(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase() as u8);
            continue;
        }
        let mut buf = [0u8; 4];
        unicode_normalization::char::decompose_canonical(c, |d| {
            if unicode_normalization::char::is_combining_mark(d) {
                return;
            }
            for l in d.to_lowercase() {
                out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
            }
        });
    }
}

impl SearchIndex {
    /// Adds or replaces an item's text.
    pub(crate) fn put(&mut self, hit: Hit, text: &str) {
        let mut norm = Zeroizing::new(Vec::with_capacity(text.len() + 8));
        normalize_into(text, &mut norm);
        // NUL is the document separator: keep it out of documents.
        norm.retain(|&b| b != 0);
        self.put_normalized(hit, &norm);
    }

    /// Adds or replaces an item's already normalised text (from a snapshot).
    pub(crate) fn put_normalized(&mut self, hit: Hit, norm: &[u8]) {
        if let Some(&old) = self.by_item.get(&hit.id) {
            self.docs[old].live = false;
        }
        let need = norm.len() + 1;
        let fits = self
            .segments
            .last()
            .is_some_and(|s| s.capacity() - s.len() >= need);
        if !fits {
            self.segments
                .push(Zeroizing::new(Vec::with_capacity(SEGMENT.max(need))));
        }
        let segment_index = self.segments.len() - 1;
        let seg = &mut self.segments[segment_index];
        let start = seg.len();
        seg.extend_from_slice(norm);
        // A NUL separates documents so that no match spans two of them;
        // normalised text never contains one that a query could match.
        seg.push(0);
        self.docs.push(Doc {
            segment: segment_index as u32,
            start: start as u32,
            end: (start + need) as u32,
            hit,
            live: true,
        });
        self.by_item.insert(hit.id, self.docs.len() - 1);
    }

    /// Every live document and its normalised text (for a snapshot).
    pub(crate) fn live_docs(&self) -> impl Iterator<Item = (Hit, &[u8])> + '_ {
        self.docs.iter().filter(|d| d.live).map(|d| {
            let seg = &self.segments[d.segment as usize];
            (d.hit, &seg[d.start as usize..d.end as usize - 1])
        })
    }

    pub(crate) fn remove(&mut self, id: ItemId) {
        if let Some(i) = self.by_item.remove(&id) {
            self.docs[i].live = false;
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_item.len()
    }

    /// Items whose text contains every word of `query` (after
    /// normalisation), in the order they were indexed, at most `limit`.
    pub(crate) fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let mut norm = Zeroizing::new(Vec::new());
        normalize_into(query, &mut norm);
        let mut terms: Vec<&[u8]> = norm
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        // The longest term is usually the rarest: scan for it, then check the
        // others only inside the documents it found.
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        let first = memmem::Finder::new(terms[0]);
        let rest: Vec<memmem::Finder<'_>> = terms[1..].iter().map(memmem::Finder::new).collect();

        let mut hits = Vec::new();
        // Docs are stored in (segment, start) order: walk them alongside.
        let mut doc_cursor = 0usize;
        for (seg_index, seg) in self.segments.iter().enumerate() {
            let mut pos = 0usize;
            while let Some(found) = first.find(&seg[pos..]) {
                let at = pos + found;
                // Find the document containing `at`.
                let Some(d) = self.doc_at(&mut doc_cursor, seg_index as u32, at as u32) else {
                    break;
                };
                let doc = &self.docs[d];
                if doc.live {
                    let text = &seg[doc.start as usize..doc.end as usize];
                    if rest.iter().all(|f| f.find(text).is_some()) {
                        hits.push(doc.hit);
                        if hits.len() >= limit {
                            return hits;
                        }
                    }
                }
                // Skip to the next document.
                pos = doc.end as usize;
                if pos >= seg.len() {
                    break;
                }
            }
        }
        hits
    }

    /// Advances `cursor` to the document that holds byte `at` of segment
    /// `segment`. Documents are sorted, and callers only move forward.
    fn doc_at(&self, cursor: &mut usize, segment: u32, at: u32) -> Option<usize> {
        while *cursor < self.docs.len() {
            let d = &self.docs[*cursor];
            if (d.segment, d.end) > (segment, at) && (d.segment, d.start) <= (segment, at) {
                return Some(*cursor);
            }
            if (d.segment, d.start) > (segment, at) {
                return None;
            }
            *cursor += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: Kind) -> Hit {
        Hit {
            id: ItemId::random(),
            kind,
            case: None,
        }
    }

    #[test]
    fn finds_by_every_word_ignoring_case_and_accents() {
        let mut ix = SearchIndex::default();
        let a = hit(Kind::Case);
        let b = hit(Kind::Testimony);
        ix.put(a, "Détention arbitraire à Tunis");
        ix.put(b, "Interview in Tunis about the police station");
        assert_eq!(ix.search("detention", 10), vec![a]);
        assert_eq!(ix.search("TUNIS", 10), vec![a, b]);
        assert_eq!(ix.search("tunis police", 10), vec![b]);
        assert_eq!(ix.search("tunis   détention", 10), vec![a]);
        assert!(ix.search("nowhere", 10).is_empty());
        assert!(ix.search("   ", 10).is_empty());
        assert_eq!(ix.search("tunis", 1).len(), 1);
    }

    #[test]
    fn live_docs_round_trip_through_put_normalized() {
        let mut ix = SearchIndex::default();
        let a = hit(Kind::Case);
        let b = hit(Kind::Case);
        ix.put(a, "Première");
        ix.put(b, "second");
        ix.remove(b.id);
        let mut again = SearchIndex::default();
        for (h, text) in ix.live_docs() {
            again.put_normalized(h, text);
        }
        assert_eq!(again.search("premiere", 10), vec![a]);
        assert!(again.search("second", 10).is_empty());
    }

    #[test]
    fn words_do_not_match_across_documents() {
        let mut ix = SearchIndex::default();
        ix.put(hit(Kind::Case), "abc");
        ix.put(hit(Kind::Case), "def");
        assert!(ix.search("cdef", 10).is_empty());
        assert!(ix.search("abc def", 10).is_empty());
    }

    #[test]
    fn replacing_and_removing() {
        let mut ix = SearchIndex::default();
        let a = hit(Kind::Case);
        ix.put(a, "old title");
        ix.put(a, "new title");
        assert!(ix.search("old", 10).is_empty());
        assert_eq!(ix.search("title", 10), vec![a]);
        ix.remove(a.id);
        assert!(ix.search("title", 10).is_empty());
        assert_eq!(ix.len(), 0);
    }

    #[test]
    fn arabic_matches_with_or_without_vowel_marks() {
        let mut ix = SearchIndex::default();
        let a = hit(Kind::Person);
        ix.put(a, "مُحَمَّد");
        assert_eq!(ix.search("محمد", 10), vec![a]);
    }

    #[test]
    fn many_documents_across_segments() {
        let mut ix = SearchIndex::default();
        let long = "x".repeat(1_000_000);
        let mut ids = Vec::new();
        for i in 0..12 {
            let h = hit(Kind::Case);
            ix.put(h, &format!("{long} marker{i}"));
            ids.push(h);
        }
        assert!(ix.segments.len() > 1);
        assert_eq!(ix.search("marker7", 10), vec![ids[7]]);
        assert_eq!(ix.search("marker", 100).len(), 12);
    }
}
