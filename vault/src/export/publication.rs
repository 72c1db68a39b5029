//! What a publication bundle keeps of a case's evidence: working copies
//! only, with nothing in their records that locates or identifies
//! (docs/FORMAT.md, "Purposes"). Published, an original could say where it
//! was taken and by whom, in its bytes or in its capture metadata, so no
//! original goes, and an original without a working copy stays behind,
//! listed in `withheld` like what consent keeps out.

use std::collections::{BTreeMap, BTreeSet};

use temoin_bundle::{ItemRecord, Withheld};
use temoin_model::capture::CaptureMetadata;
use temoin_model::case::Evidence;
use temoin_model::record::{ItemId, Kind};

/// Fields of an evidence record a person fills in that can locate or
/// identify: the file name it arrived with, when it was taken, who
/// collected it, where it came from. Set to null in a publication.
const PERSONAL_FIELDS: [&str; 4] = ["original_name", "captured_at", "collected_by", "source"];

/// Whether what a file's own metadata said at intake (read from its bytes)
/// could locate or identify: a position, a capture time, the device, an
/// author, or an XMP packet (which often holds all of those). A working
/// copy's metadata is stripped, so this finds nothing; if it ever does, the
/// bytes still carry it and the copy stays behind.
fn capture_reveals(c: &CaptureMetadata) -> bool {
    c.gps.is_some()
        || c.taken_at.is_some()
        || c.make.is_some()
        || c.model.is_some()
        || c.author.is_some()
        || c.has_xmp
}

/// Keeps, of the evidence chosen for a bundle, the working copies whose
/// files reveal nothing (above), and blanks in their records the fields a
/// person filled in that could. Every original, and every working copy that
/// still reveals something, leaves `items` and `evidence` and is listed in
/// `withheld`, with its working copies named when it has some.
pub(super) fn keep_working_copies(
    items: &mut Vec<ItemRecord>,
    evidence: &mut Vec<(ItemId, Evidence)>,
    withheld: &mut Vec<Withheld>,
) {
    let mut copies: BTreeMap<ItemId, Vec<ItemId>> = BTreeMap::new();
    let mut dropped: BTreeSet<ItemId> = BTreeSet::new();
    let mut kept = Vec::with_capacity(evidence.len());
    for (id, e) in evidence.drain(..) {
        match &e.derived_from {
            None => {
                dropped.insert(id);
            }
            Some(_) if e.capture.as_ref().is_some_and(capture_reveals) => {
                dropped.insert(id);
                withheld.push(Withheld {
                    id,
                    kind: Kind::Evidence.name().to_owned(),
                    reason: "a working copy whose file still carries metadata that can locate \
                             or identify (a position, a time, a device or an author): a \
                             publication carries none"
                        .to_owned(),
                });
            }
            Some(d) => {
                copies.entry(d.original).or_default().push(id);
                kept.push((id, e));
            }
        }
    }
    for (id, _) in &kept {
        if let Some(item) = items.iter_mut().find(|i| i.id == *id) {
            blank_personal_fields(item);
        }
    }
    *evidence = kept;
    items.retain(|i| {
        if !dropped.contains(&i.id) || i.kind != Kind::Evidence.name() {
            return true;
        }
        let is_original = i.record.get("derived_from").is_none_or(|d| d.is_null());
        if is_original {
            let reason = match copies.get(&i.id) {
                Some(c) => format!(
                    "an original: a publication carries its working cop{} ({}) instead",
                    if c.len() == 1 { "y" } else { "ies" },
                    c.iter()
                        .map(ItemId::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "an original with no working copy: a publication carries working \
                         copies only (make a redacted copy to publish it)"
                    .to_owned(),
            };
            withheld.push(Withheld {
                id: i.id,
                kind: Kind::Evidence.name().to_owned(),
                reason,
            });
        }
        false
    });
}

/// Sets to null, in a working copy's record as sent, the fields a person
/// filled in that can locate or identify, and the capture facts that could
/// (`capture_reveals`, with the software and title); marks the record
/// redacted if any held something.
fn blank_personal_fields(item: &mut ItemRecord) {
    let mut blanked = false;
    let mut blank = |v: &mut serde_json::Value, field: &str| {
        if let Some(f) = v.get_mut(field).filter(|f| !f.is_null()) {
            *f = serde_json::Value::Null;
            blanked = true;
        }
    };
    for field in PERSONAL_FIELDS {
        blank(&mut item.record, field);
    }
    if let Some(c) = item.record.get_mut("capture").filter(|c| c.is_object()) {
        for field in [
            "gps", "taken_at", "make", "model", "software", "author", "title",
        ] {
            blank(c, field);
        }
    }
    item.redacted |= blanked;
}
