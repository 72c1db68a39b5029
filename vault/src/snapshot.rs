//! The index snapshot: the catalog and the normalised search text of every
//! item, sealed under the vault key in one file (`index.snapshot`), so that
//! unlock reads one file instead of decrypting every record.
//!
//! Why: a full scan of 100,000 records costs about a second on this kind of
//! machine (sled's iteration alone is 2–3 µs an entry), four times the unlock
//! budget. The snapshot is written when the vault is locked and names the
//! custody entry it is current to; at unlock, the custody entries after that
//! one (every create, edit and delete is one) say which items to reload. A
//! snapshot that is missing, damaged, or does not match the custody log is
//! ignored and the vault falls back to the full scan, so it is only ever a
//! cache. It is removed whenever an item is deleted, so that a deleted item's
//! text does not outlive it there.
//!
//! The format is private to this crate and versioned by its magic bytes:
//! `TMNX1`, custody seq (u64 BE), custody hash (32), item count (u32 BE) and
//! items (id 16, kind u16 BE, case flag u8, case id 16, latest revision
//! u32 BE), damaged count (u32 BE) and entries (id 16, kind u16 BE, 0 when
//! unknown), document count (u32 BE) and documents (id 16, kind u16 BE, case
//! flag u8, case id 16, text length u32 BE, normalised text).

use crate::record::{ItemId, Kind};
use crate::search::Hit;

pub(crate) const FILE: &str = "index.snapshot";
pub(crate) const NAME: &str = "index-snapshot";
const MAGIC: &[u8; 5] = b"TMNX1";

pub(crate) struct Snapshot<'a> {
    pub seq: u64,
    pub hash: [u8; 32],
    pub items: Vec<(ItemId, CatalogEntry)>,
    pub damaged: Vec<(ItemId, Option<Kind>)>,
    pub docs: Vec<(Hit, &'a [u8])>,
}

/// One item in the catalogue: what unlock needs to list and search it
/// without opening its records.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CatalogEntry {
    pub kind: Kind,
    pub case: Option<ItemId>,
    pub latest: u32,
}

/// The exact length [`encode`] will produce.
pub(crate) fn encoded_len(
    items: usize,
    damaged: usize,
    doc_text_lens: &mut dyn Iterator<Item = usize>,
) -> usize {
    let docs: usize = doc_text_lens.map(|len| 39 + len).sum();
    MAGIC.len() + 8 + 32 + 4 + items * 39 + 4 + damaged * 18 + 4 + docs
}

pub(crate) fn encode(
    seq: u64,
    hash: [u8; 32],
    items: &mut dyn Iterator<Item = (ItemId, CatalogEntry)>,
    damaged: &mut dyn Iterator<Item = (ItemId, Option<Kind>)>,
    docs: &mut dyn Iterator<Item = (Hit, &[u8])>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&hash);
    let count_at = |out: &mut Vec<u8>| {
        let at = out.len();
        out.extend_from_slice(&0u32.to_be_bytes());
        at
    };
    let set_count = |out: &mut Vec<u8>, at: usize, n: u32| {
        out[at..at + 4].copy_from_slice(&n.to_be_bytes());
    };
    let put_case = |out: &mut Vec<u8>, case: Option<ItemId>| match case {
        Some(c) => {
            out.push(1);
            out.extend_from_slice(c.as_bytes());
        }
        None => {
            out.push(0);
            out.extend_from_slice(&[0; 16]);
        }
    };

    let at = count_at(out);
    let mut n = 0u32;
    for (id, e) in items {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&e.kind.code().to_be_bytes());
        put_case(out, e.case);
        out.extend_from_slice(&e.latest.to_be_bytes());
        n += 1;
    }
    set_count(out, at, n);

    let at = count_at(out);
    let mut n = 0u32;
    for (id, kind) in damaged {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&kind.map(Kind::code).unwrap_or(0).to_be_bytes());
        n += 1;
    }
    set_count(out, at, n);

    let at = count_at(out);
    let mut n = 0u32;
    for (hit, text) in docs {
        out.extend_from_slice(hit.id.as_bytes());
        out.extend_from_slice(&hit.kind.code().to_be_bytes());
        put_case(out, hit.case);
        out.extend_from_slice(&(text.len() as u32).to_be_bytes());
        out.extend_from_slice(text);
        n += 1;
    }
    set_count(out, at, n);
}

/// A bounds-checked reader: every read returns `None` past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn id(&mut self) -> Option<ItemId> {
        Some(ItemId::from_bytes(self.take(16)?.try_into().ok()?))
    }
    fn case(&mut self) -> Option<Option<ItemId>> {
        let flag = self.u8()?;
        let id = self.id()?;
        match flag {
            0 => Some(None),
            1 => Some(Some(id)),
            _ => None,
        }
    }
    /// A count, refused if the rest of the input cannot hold that many
    /// entries of at least `min` bytes (so a bad count cannot make us
    /// allocate without bound).
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(min)? <= self.bytes.len() - self.at).then_some(n)
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Option<Snapshot<'_>> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(5)? != MAGIC {
        return None;
    }
    let seq = r.u64()?;
    let hash: [u8; 32] = r.take(32)?.try_into().ok()?;
    let n = r.count(39)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.id()?;
        let kind = Kind::from_code(r.u16()?)?;
        let case = r.case()?;
        let latest = r.u32()?;
        items.push((id, CatalogEntry { kind, case, latest }));
    }
    let n = r.count(18)?;
    let mut damaged = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.id()?;
        damaged.push((id, Kind::from_code(r.u16()?)));
    }
    let n = r.count(39)?;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.id()?;
        let kind = Kind::from_code(r.u16()?)?;
        let case = r.case()?;
        let len = r.u32()? as usize;
        let text = r.take(len)?;
        docs.push((Hit { id, kind, case }, text));
    }
    if r.at != bytes.len() {
        return None;
    }
    Some(Snapshot {
        seq,
        hash,
        items,
        damaged,
        docs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_truncation_is_refused() {
        let a = ItemId::random();
        let c = ItemId::random();
        let items = vec![
            (
                c,
                CatalogEntry {
                    kind: Kind::Case,
                    case: None,
                    latest: 3,
                },
            ),
            (
                a,
                CatalogEntry {
                    kind: Kind::Testimony,
                    case: Some(c),
                    latest: 0,
                },
            ),
        ];
        let damaged = vec![(ItemId::random(), None)];
        let docs = vec![
            (
                Hit {
                    id: c,
                    kind: Kind::Case,
                    case: Some(c),
                },
                &b"titre"[..],
            ),
            (
                Hit {
                    id: a,
                    kind: Kind::Testimony,
                    case: Some(c),
                },
                &b"narrative"[..],
            ),
        ];
        let mut out = Vec::new();
        encode(
            9,
            [7; 32],
            &mut items.clone().into_iter(),
            &mut damaged.clone().into_iter(),
            &mut docs.clone().into_iter(),
            &mut out,
        );
        assert_eq!(
            out.len(),
            encoded_len(2, 1, &mut docs.iter().map(|(_, t)| t.len()))
        );
        let s = decode(&out).unwrap();
        assert_eq!(s.seq, 9);
        assert_eq!(s.hash, [7; 32]);
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[1].1.case, Some(c));
        assert_eq!(s.damaged, damaged);
        assert_eq!(s.docs, docs);
        for len in 0..out.len() {
            assert!(decode(&out[..len]).is_none(), "{len}");
        }
        let mut longer = out.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        // An absurd count is refused without allocating for it.
        let mut absurd = out.clone();
        absurd[45..49].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&absurd).is_none());
    }
}
