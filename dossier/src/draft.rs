//! Drafting: the consent gate, then the document of each kind.

use std::collections::{BTreeMap, BTreeSet};

use temoin_model::case::{
    Access, DetentionStatus, Evidence, Person, ProceedingOutcome, Role, UrgentReason,
    ViolationType, Vulnerability,
};
use temoin_model::record::{ItemId, PartialDate};

use crate::text::{field, label, t, Language};
use crate::{Annex, Block, CaseFile, Document, DossierError, Kind, Rec, Source};

/// How the document may name each person.
struct Gate {
    /// The name to print, by person: their own (or pseudonym, in an appeal)
    /// or a letter.
    names: BTreeMap<ItemId, String>,
    /// People whose consent does not reach: what is about them alone is
    /// left out.
    out: BTreeSet<ItemId>,
    /// Drafting notes.
    notes: Vec<String>,
    /// The names (whole, other names, and each word of three letters or
    /// more) of the people not named, longest first, and what replaces them
    /// in free text.
    hidden: Vec<(Vec<String>, String)>,
}

impl Gate {
    fn new(kind: Kind, f: &CaseFile, lang: Language) -> Result<Gate, DossierError> {
        let scope = kind.scope();
        let consents: Vec<_> = f.consents.iter().map(|c| &c.record).collect();
        let covered = consents.iter().any(|c| c.covers(scope));
        let withdrawn = consents.iter().any(|c| {
            c.given_by.is_none()
                && c.scopes.contains(&scope)
                && c.withdrawal.as_ref().is_some_and(|w| w.withdraws(scope))
        });
        if !covered || withdrawn {
            return Err(DossierError::NoConsent {
                scope: scope.code(),
            });
        }
        let year = f.case.record.events_year();
        let scope_words = t(lang, &format!("dossier.scope.{}", scope.code()), &[]);
        let mut g = Gate {
            names: BTreeMap::new(),
            out: BTreeSet::new(),
            notes: Vec::new(),
            hidden: Vec::new(),
        };
        let mut letter = b'A';
        // Letters in the order the document meets people: victims of the
        // violations, the detained, the case's participants, then the rest.
        let mut order: Vec<ItemId> = Vec::new();
        let mut meet = |id: ItemId| {
            if !order.contains(&id) {
                order.push(id);
            }
        };
        f.violations
            .iter()
            .flat_map(|v| v.record.victims.iter().copied())
            .for_each(&mut meet);
        f.detentions
            .iter()
            .map(|d| d.record.person)
            .for_each(&mut meet);
        f.case
            .record
            .participants
            .iter()
            .map(|p| p.person)
            .for_each(&mut meet);
        f.people.iter().map(|p| p.id).for_each(&mut meet);
        let people: Vec<&Rec<Person>> = order
            .iter()
            .filter_map(|id| f.people.iter().find(|p| p.id == *id))
            .collect();
        for p in people {
            let child = p.record.was_a_child(year);
            let own: Vec<_> = consents
                .iter()
                .filter(|c| c.given_by == Some(p.id))
                .collect();
            let consents_ok = own.is_empty() || own.iter().any(|c| c.covers_own(scope, child));
            let named = consents_ok && !(kind == Kind::Appeal && child);
            if named {
                let name = if kind == Kind::Appeal {
                    p.record.public_name().to_owned()
                } else {
                    p.record.name.clone()
                };
                g.names.insert(p.id, name);
                continue;
            }
            let who = t(
                lang,
                "dossier.person_letter",
                &[("letter", &char::from(letter).to_string())],
            );
            letter = if letter < b'Z' { letter + 1 } else { b'A' };
            if consents_ok {
                // A child, in an appeal: the account goes, never the name.
                g.notes
                    .push(t(lang, "dossier.notes.child", &[("who", &who)]));
            } else {
                g.out.insert(p.id);
                g.notes.push(t(
                    lang,
                    "dossier.notes.left_out",
                    &[("who", &who), ("scope", &scope_words)],
                ));
            }
            // What free text says of them by name goes too.
            let mut words: Vec<String> = vec![p.record.name.clone()];
            words.extend(p.record.other_names.iter().cloned());
            for n in [&p.record.name].into_iter().chain(&p.record.other_names) {
                words.extend(
                    n.split_whitespace()
                        .filter(|w| w.chars().count() >= 3)
                        .map(str::to_owned),
                );
            }
            words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
            g.hidden.push((words, who.clone()));
            g.names.insert(p.id, who);
        }
        for (kind, reason) in &f.withheld {
            g.notes.push(t(
                lang,
                "dossier.notes.withheld",
                &[("kind", kind), ("reason", reason)],
            ));
        }
        // Exact addresses: coordinates, or a street number in a locality.
        for p in &f.places {
            let exact = p
                .record
                .coordinates
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
                || p.record
                    .locality
                    .as_deref()
                    .is_some_and(|l| l.chars().any(|c| c.is_ascii_digit()));
            if exact {
                g.notes.push(t(
                    lang,
                    "dossier.notes.address",
                    &[("what", &p.record.name)],
                ));
            }
        }
        Ok(g)
    }

    /// Free text with the names of the people not named replaced by their
    /// letter, whatever the case of the letters.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (words, who) in &self.hidden {
            for w in words {
                out = replace_ignoring_case(&out, w, who);
            }
        }
        out
    }

    fn name(&self, lang: Language, id: &ItemId) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| t(lang, "person.unknown", &[]))
    }
}

/// A document under construction.
struct Out {
    lang: Language,
    doc: Document,
    tags: BTreeMap<ItemId, usize>,
}

impl Out {
    fn source(&mut self, prefix: &str, kind: &'static str, id: ItemId, revision: u32) -> usize {
        if let Some(i) = self.tags.get(&id) {
            return *i;
        }
        let n = self
            .doc
            .sources
            .iter()
            .filter(|s| s.tag.starts_with(prefix))
            .count()
            + 1;
        self.doc.sources.push(Source {
            tag: format!("{prefix}{n}"),
            kind,
            id,
            revision,
        });
        let i = self.doc.sources.len() - 1;
        self.tags.insert(id, i);
        i
    }
    fn heading(&mut self, key: &str) {
        let text = t(self.lang, key, &[]);
        self.doc.blocks.push(Block::Heading(text));
    }
    fn para(&mut self, text: String, source: Option<usize>) {
        if !text.trim().is_empty() {
            self.doc.blocks.push(Block::Para { text, source });
        }
    }
    fn note(&mut self, text: String) {
        self.doc.blocks.push(Block::Note(text));
    }
}

/// `text` with every occurrence of `word` (compared in lower case) replaced.
fn replace_ignoring_case(text: &str, word: &str, by: &str) -> String {
    if word.is_empty() {
        return text.to_owned();
    }
    let needle: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<Vec<char>> = chars.iter().map(|c| c.to_lowercase().collect()).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < chars.len() {
        // Match `needle` against the lower-cased characters from i.
        let mut k = 0;
        let mut j = i;
        while k < needle.len() {
            let Some(l) = lower.get(j) else { break };
            if needle.get(k..k + l.len()) != Some(l.as_slice()) {
                break;
            }
            k += l.len();
            j += 1;
        }
        if k == needle.len() && j > i {
            out.push_str(by);
            i = j;
            continue 'outer;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn date(d: &Option<PartialDate>) -> String {
    d.as_ref().map(|d| d.0.clone()).unwrap_or_default()
}

/// "label: value" pieces joined, leaving out what is empty.
fn facts(parts: &[(String, String)]) -> String {
    parts
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One dated fact of the case, for the chronology.
struct Fact {
    when: String,
    text: String,
    source: usize,
}

/// The facts of the case in chronological order (undated last): the
/// violations, the detentions, and the domestic steps of proceedings.
fn chronology(f: &CaseFile, g: &Gate, out: &mut Out, with_proceedings: bool) -> Vec<Fact> {
    let lang = out.lang;
    let place_name = |id: &Option<ItemId>| {
        id.and_then(|p| f.places.iter().find(|x| x.id == p))
            .map(|p| p.record.name.clone())
            .unwrap_or_default()
    };
    let mut list = Vec::new();
    for v in &f.violations {
        let r = &v.record;
        let victims: Vec<String> = r.victims.iter().map(|p| g.name(lang, p)).collect();
        let methods: Vec<String> = r
            .methods
            .iter()
            .map(|m| label(lang, "method", m.code()))
            .collect();
        let when = [date(&r.start), date(&r.end)]
            .into_iter()
            .filter(|d| !d.is_empty())
            .collect::<Vec<_>>()
            .join(" – ");
        let mut text = format!("{}. ", label(lang, "violation_type", r.kind.code()));
        text.push_str(&facts(&[
            (field(lang, "violation", "start"), when.clone()),
            (field(lang, "violation", "victims"), victims.join(", ")),
            (field(lang, "violation", "place"), place_name(&r.place)),
            (field(lang, "violation", "methods"), methods.join(", ")),
        ]));
        if let Some(d) = r.description.as_deref().filter(|d| !d.trim().is_empty()) {
            text.push_str(". ");
            text.push_str(d.trim());
        }
        let source = out.source("V", "violation", v.id, v.revision);
        list.push(Fact {
            when: date(&r.start),
            text,
            source,
        });
    }
    for d in &f.detentions {
        if g.out.contains(&d.record.person) {
            continue;
        }
        let r = &d.record;
        let access = |a: Access| label(lang, "access", a.code());
        let mut text = format!(
            "{}: {}. ",
            g.name(lang, &r.person),
            label(lang, "detention_status", r.status.code())
        );
        text.push_str(&facts(&[
            (
                field(lang, "detention", "arrested_on"),
                date(&r.arrested_on),
            ),
            (
                field(lang, "detention", "released_on"),
                date(&r.released_on),
            ),
            (field(lang, "detention", "place"), place_name(&r.place)),
            (
                field(lang, "detention", "institution"),
                r.institution
                    .map(|i| label(lang, "institution", i.code()))
                    .unwrap_or_default(),
            ),
            (
                field(lang, "detention", "authority"),
                r.authority.clone().unwrap_or_default(),
            ),
            (field(lang, "detention", "charges"), r.charges.join(", ")),
            (
                field(lang, "detention", "provisions"),
                r.provisions.join(", "),
            ),
            (field(lang, "detention", "lawyer"), access(r.lawyer)),
            (field(lang, "detention", "family"), access(r.family)),
            (field(lang, "detention", "doctor"), access(r.doctor)),
            (
                field(lang, "detention", "health"),
                r.health.clone().unwrap_or_default(),
            ),
            (
                field(lang, "detention", "conditions"),
                r.conditions.clone().unwrap_or_default(),
            ),
        ]));
        let source = out.source("D", "detention", d.id, d.revision);
        list.push(Fact {
            when: date(&r.arrested_on),
            text,
            source,
        });
    }
    if with_proceedings {
        for p in f
            .proceedings
            .iter()
            .filter(|p| !p.record.stage.is_international())
        {
            let text = proceeding_text(lang, g, p);
            let source = out.source("P", "proceeding", p.id, p.revision);
            list.push(Fact {
                when: date(&p.record.date),
                text,
                source,
            });
        }
    }
    // Undated facts last; dates compare as text, which orders partial
    // dates of the same form correctly.
    list.sort_by(|a, b| (a.when.is_empty(), &a.when).cmp(&(b.when.is_empty(), &b.when)));
    list
}

fn proceeding_text(lang: Language, g: &Gate, p: &Rec<temoin_model::case::Proceeding>) -> String {
    let r = &p.record;
    let people: Vec<String> = r.people.iter().map(|x| g.name(lang, x)).collect();
    let mut text = format!("{}. ", label(lang, "proceeding_stage", r.stage.code()));
    text.push_str(&facts(&[
        (field(lang, "proceeding", "date"), date(&r.date)),
        (
            field(lang, "proceeding", "body"),
            r.body.clone().unwrap_or_default(),
        ),
        (
            field(lang, "proceeding", "reference"),
            r.reference.clone().unwrap_or_default(),
        ),
        (field(lang, "proceeding", "people"), people.join(", ")),
        (
            field(lang, "proceeding", "outcome"),
            label(lang, "proceeding_outcome", r.outcome.code()),
        ),
        (
            field(lang, "proceeding", "outcome_note"),
            r.outcome_note.clone().unwrap_or_default(),
        ),
    ]));
    text
}

fn country(f: &CaseFile, lang: Language) -> String {
    f.case
        .record
        .country
        .as_deref()
        .and_then(|c| crate::country::name(c, lang))
        .unwrap_or_else(|| t(lang, "dossier.unknown_country", &[]))
}

/// The people the appeal is about: the victims of the violations, the
/// people detained, and the case's victims and defenders, in that order.
fn subjects(f: &CaseFile, g: &Gate) -> Vec<ItemId> {
    let mut out: Vec<ItemId> = Vec::new();
    let mut push = |id: ItemId| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    for v in &f.violations {
        v.record.victims.iter().copied().for_each(&mut push);
    }
    for d in &f.detentions {
        if !g.out.contains(&d.record.person) {
            push(d.record.person);
        }
    }
    for p in &f.case.record.participants {
        if matches!(p.role, Role::Victim | Role::Defender) {
            push(p.person);
        }
    }
    out
}

fn annex_rows(lang: Language, out: &mut Out, items: &[&crate::EvidenceItem]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, e) in items.iter().enumerate() {
        let r: &Evidence = &e.rec.record;
        let number = i + 1;
        let ext = extension(&r.media_type);
        let file_name = e
            .file
            .clone()
            .unwrap_or_else(|| format!("annex-{number:02}.{ext}"));
        let capture = r
            .capture
            .as_ref()
            .map(|c| {
                let mut parts = Vec::new();
                if let Some(at) = &c.taken_at {
                    parts.push(at.clone());
                }
                let device = [c.make.as_deref(), c.model.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !device.is_empty() {
                    parts.push(device);
                }
                if let Some(gps) = &c.gps {
                    parts.push(format!("{:.5}, {:.5}", gps.latitude, gps.longitude));
                }
                parts.join("; ")
            })
            .or_else(|| r.captured_at.clone())
            .unwrap_or_default();
        let source = out.source("E", "evidence", e.rec.id, e.rec.revision);
        let tag = out.doc.sources[source].tag.clone();
        let what = r
            .description
            .clone()
            .or_else(|| r.original_name.clone())
            .unwrap_or_default();
        rows.push(vec![
            t(
                lang,
                "dossier.annex.label",
                &[("number", &number.to_string())],
            ),
            format!("{what} [{tag}]"),
            file_name.clone(),
            r.sha256.clone(),
            format!("{}, {} B", r.media_type, r.size),
            capture,
            e.custody.clone(),
        ]);
        out.doc.annexes.push(Annex {
            number,
            id: e.rec.id,
            sha256: r.sha256.clone(),
            media_type: r.media_type.clone(),
            file_name,
        });
    }
    rows
}

fn annex_table(lang: Language, out: &mut Out, items: &[&crate::EvidenceItem]) {
    if items.is_empty() {
        out.para(t(lang, "dossier.annex.none", &[]), None);
        return;
    }
    let rows = annex_rows(lang, out, items);
    out.doc.blocks.push(Block::Table {
        header: vec![
            t(lang, "dossier.annex.label", &[("number", "")])
                .trim()
                .to_owned(),
            field(lang, "evidence", "description"),
            t(lang, "dossier.annex.file", &[]),
            t(lang, "dossier.annex.sha256", &[]),
            t(lang, "dossier.annex.type", &[]),
            t(lang, "dossier.annex.capture", &[]),
            t(lang, "dossier.annex.custody", &[]),
        ],
        rows,
    });
}

/// The file extension of a media type, for an annex's file name.
fn extension(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/tiff" => "tif",
        "image/heic" => "heic",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/mp4" => "m4a",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// Drafts a document of `kind` from `f`, in `lang`.
pub fn draft(kind: Kind, f: &CaseFile, lang: Language) -> Result<Document, DossierError> {
    let g = Gate::new(kind, f, lang)?;
    let mut out = Out {
        lang,
        doc: Document {
            rtl: lang.rtl(),
            language: lang.code(),
            ..Document::default()
        },
        tags: BTreeMap::new(),
    };
    match kind {
        Kind::Appeal => appeal(f, &g, &mut out),
        Kind::Cat | Kind::Hrc => complaint(kind, f, &g, &mut out),
        Kind::Assistance => assistance(f, &g, &mut out)?,
    }
    // Free text (a summary, a description, a health note) may name the
    // people the document must not: their names go, wherever they are.
    for b in &mut out.doc.blocks {
        match b {
            Block::Title(x) | Block::Heading(x) | Block::Note(x) => *x = g.scrub(x),
            Block::Para { text, .. } | Block::Item { text, .. } => *text = g.scrub(text),
            Block::Table { header, rows } => {
                for c in header.iter_mut().chain(rows.iter_mut().flatten()) {
                    *c = g.scrub(c);
                }
            }
        }
    }
    // The drafting notes, then the sources.
    out.heading("dossier.notes.heading");
    if g.notes.is_empty() {
        out.note(t(lang, "dossier.notes.none", &[]));
    }
    for n in &g.notes {
        out.note(n.clone());
    }
    out.heading("dossier.sources.heading");
    out.note(t(lang, "dossier.sources.hint", &[]));
    let lines: Vec<String> = out
        .doc
        .sources
        .iter()
        .map(|s| {
            t(
                lang,
                "dossier.sources.line",
                &[
                    ("tag", &s.tag),
                    ("kind", s.kind),
                    ("id", &s.id.to_string()),
                    ("revision", &s.revision.to_string()),
                ],
            )
        })
        .collect();
    for l in lines {
        out.doc.blocks.push(Block::Item {
            text: l,
            source: None,
        });
    }
    Ok(out.doc)
}

fn appeal(f: &CaseFile, g: &Gate, out: &mut Out) {
    let lang = out.lang;
    let c = &f.case.record;
    let country = country(f, lang);
    let subjects = subjects(f, g);
    let names: Vec<String> = subjects.iter().map(|p| g.name(lang, p)).collect();
    let name = if names.is_empty() {
        t(lang, "dossier.the_victims", &[])
    } else {
        names.join(", ")
    };
    let act = f
        .violations
        .iter()
        .min_by_key(|v| (v.record.start.is_none(), date(&v.record.start)))
        .map(|v| label(lang, "violation_type", v.record.kind.code()))
        .or_else(|| {
            f.detentions
                .first()
                .map(|d| label(lang, "detention_status", d.record.status.code()))
        })
        .unwrap_or_else(|| c.title.clone());
    out.doc
        .blocks
        .push(Block::Title(t(lang, "dossier.appeal.heading", &[])));
    let case_src = out.source("C", "case", f.case.id, f.case.revision);
    out.doc.blocks.push(Block::Heading(t(
        lang,
        "dossier.appeal.title",
        &[("country", &country), ("act", &act), ("name", &name)],
    )));

    out.heading("dossier.appeal.situation");
    if let Some(r) = c.urgent_reason {
        out.para(label(lang, "urgent_reason", r.code()), Some(case_src));
    }
    out.para(c.urgent_note.clone().unwrap_or_default(), Some(case_src));
    out.para(c.summary.clone().unwrap_or_default(), Some(case_src));

    out.heading("dossier.appeal.facts");
    for fact in chronology(f, g, out, true) {
        out.para(fact.text, Some(fact.source));
    }

    out.heading("dossier.appeal.requests");
    out.para(
        t(
            lang,
            "dossier.appeal.requests_intro",
            &[("country", &country)],
        ),
        None,
    );
    let detentions: Vec<_> = f
        .detentions
        .iter()
        .filter(|d| !g.out.contains(&d.record.person))
        .collect();
    let held = |pred: &dyn Fn(&temoin_model::case::Detention) -> bool| -> String {
        detentions
            .iter()
            .filter(|d| pred(&d.record))
            .map(|d| g.name(lang, &d.record.person))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut requests: Vec<(String, Option<usize>)> = Vec::new();
    requests.push((
        t(lang, "dossier.request.integrity", &[("name", &name)]),
        None,
    ));
    let hidden = held(&|d| {
        matches!(
            d.status,
            DetentionStatus::Incommunicado | DetentionStatus::Disappeared
        )
    });
    if !hidden.is_empty() {
        requests.push((
            t(lang, "dossier.request.whereabouts", &[("name", &hidden)]),
            None,
        ));
    }
    let denied = held(&|d| {
        d.released_on.is_none()
            && [d.lawyer, d.family, d.doctor]
                .iter()
                .any(|a| matches!(a, Access::Denied | Access::Restricted))
    });
    if !denied.is_empty() {
        requests.push((
            t(lang, "dossier.request.safeguards", &[("name", &denied)]),
            None,
        ));
    }
    let sick = held(&|d| {
        d.released_on.is_none() && d.health.as_deref().is_some_and(|h| !h.trim().is_empty())
    });
    if !sick.is_empty() && c.urgent_reason == Some(UrgentReason::HealthEmergency) {
        requests.push((t(lang, "dossier.request.health", &[("name", &sick)]), None));
    }
    let kinds: BTreeSet<ViolationType> = f.violations.iter().map(|v| v.record.kind).collect();
    if kinds.contains(&ViolationType::ArbitraryDetention) {
        let who = held(&|d| d.released_on.is_none());
        let who = if who.is_empty() { name.clone() } else { who };
        requests.push((t(lang, "dossier.request.release", &[("name", &who)]), None));
    }
    if kinds.contains(&ViolationType::Torture) || kinds.contains(&ViolationType::IllTreatment) {
        requests.push((t(lang, "dossier.request.investigate", &[]), None));
    }
    let defender = c.urgent_reason == Some(UrgentReason::DefenderAtRisk)
        || kinds.contains(&ViolationType::ThreatsToDefenders)
        || c.participants.iter().any(|p| p.role == Role::Defender)
        || f.people.iter().any(|p| {
            p.record
                .vulnerabilities
                .contains(&Vulnerability::HumanRightsDefender)
        });
    if defender {
        requests.push((t(lang, "dossier.request.defenders", &[]), None));
    }
    requests.push((t(lang, "dossier.request.reparation", &[]), None));
    for (text, source) in requests {
        out.doc.blocks.push(Block::Item { text, source });
    }

    out.heading("dossier.appeal.addresses");
    out.note(t(lang, "dossier.appeal.addresses_hint", &[]));
    let mut seen = BTreeSet::new();
    let mut addresses = Vec::new();
    for d in &detentions {
        if let Some(a) = d.record.authority.as_deref() {
            addresses.push((a.to_owned(), out.source("D", "detention", d.id, d.revision)));
        }
    }
    for p in &f.places {
        if let Some(a) = p.record.authority.as_deref() {
            addresses.push((a.to_owned(), out.source("L", "place", p.id, p.revision)));
        }
    }
    for p in f
        .proceedings
        .iter()
        .filter(|p| !p.record.stage.is_international())
    {
        if let Some(b) = p.record.body.as_deref() {
            addresses.push((
                b.to_owned(),
                out.source("P", "proceeding", p.id, p.revision),
            ));
        }
    }
    for (a, source) in addresses {
        if seen.insert(a.trim().to_lowercase()) {
            out.doc.blocks.push(Block::Item {
                text: a,
                source: Some(source),
            });
        }
    }
}

/// The articles a complaint may invoke for what was recorded: a
/// suggestion for the lawyer, from the treaty's text.
fn articles(kind: Kind, f: &CaseFile) -> Vec<(ViolationType, &'static str)> {
    let kinds: BTreeSet<ViolationType> = f.violations.iter().map(|v| v.record.kind).collect();
    let mut out = Vec::new();
    for k in kinds {
        let list = match (kind, k) {
            (Kind::Cat, ViolationType::Torture) => "1, 2 (1), 11, 12, 13, 14",
            (Kind::Cat, ViolationType::IllTreatment) => "16, read with 11, 12, 13, 14",
            (Kind::Cat, ViolationType::EnforcedDisappearance) => "1, 2, 11, 12, 13, 14, 16",
            (Kind::Cat, ViolationType::ArbitraryDetention) => "2 (1), 11, 16",
            (Kind::Cat, _) => "16",
            (_, ViolationType::Torture | ViolationType::IllTreatment) => "7, read with 2 (3)",
            (_, ViolationType::EnforcedDisappearance) => "6, 7, 9, 16, read with 2 (3)",
            (_, ViolationType::ArbitraryDetention) => "9, 10, 14",
            (_, ViolationType::SummaryExecution) => "6, read with 2 (3)",
            (_, ViolationType::ThreatsToDefenders) => "9, 17, 19, 21, 22",
            (_, _) => "2 (3)",
        };
        out.push((k, list));
    }
    out
}

fn complaint(kind: Kind, f: &CaseFile, g: &Gate, out: &mut Out) {
    let lang = out.lang;
    let c = &f.case.record;
    let heading = if kind == Kind::Cat {
        "dossier.cat.heading"
    } else {
        "dossier.hrc.heading"
    };
    out.doc.blocks.push(Block::Title(t(lang, heading, &[])));
    out.note(t(lang, "dossier.complaint.draft_note", &[]));
    let case_src = out.source("C", "case", f.case.id, f.case.revision);

    out.heading("dossier.complaint.author");
    for id in subjects(f, g) {
        if g.out.contains(&id) {
            continue;
        }
        let Some(p) = f.people.iter().find(|p| p.id == id) else {
            continue;
        };
        let r: &Person = &p.record;
        let text = facts(&[
            (field(lang, "person", "name"), g.name(lang, &id)),
            (
                field(lang, "person", "gender"),
                r.gender
                    .map(|x| label(lang, "gender", x.code()))
                    .unwrap_or_default(),
            ),
            (
                field(lang, "person", "birth_year"),
                r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            ),
            (
                field(lang, "person", "nationality"),
                r.nationality
                    .as_deref()
                    .and_then(|n| crate::country::name(n, lang))
                    .unwrap_or_default(),
            ),
            (
                field(lang, "person", "occupation"),
                r.occupation.clone().unwrap_or_default(),
            ),
        ]);
        let source = out.source("H", "person", p.id, p.revision);
        out.para(text, Some(source));
    }

    out.heading("dossier.complaint.state");
    out.para(country(f, lang), Some(case_src));

    out.heading("dossier.complaint.facts");
    out.para(c.summary.clone().unwrap_or_default(), Some(case_src));
    for fact in chronology(f, g, out, false) {
        out.para(fact.text, Some(fact.source));
    }

    out.heading("dossier.complaint.articles");
    out.note(t(lang, "dossier.complaint.articles_hint", &[]));
    for (k, list) in articles(kind, f) {
        let source = f
            .violations
            .iter()
            .find(|v| v.record.kind == k)
            .map(|v| out.source("V", "violation", v.id, v.revision));
        out.doc.blocks.push(Block::Item {
            text: format!("{}: {list}", label(lang, "violation_type", k.code())),
            source,
        });
    }

    let mut domestic: Vec<_> = f
        .proceedings
        .iter()
        .filter(|p| !p.record.stage.is_international())
        .collect();
    domestic.sort_by_key(|p| (p.record.date.is_none(), date(&p.record.date)));
    out.heading("dossier.complaint.remedies");
    if domestic.is_empty() {
        out.note(t(lang, "dossier.complaint.no_remedies", &[]));
    }
    for p in domestic {
        let text = proceeding_text(lang, g, p);
        let source = out.source("P", "proceeding", p.id, p.revision);
        out.para(text, Some(source));
    }
    let international: Vec<_> = f
        .proceedings
        .iter()
        .filter(|p| p.record.stage.is_international())
        .collect();
    out.heading("dossier.complaint.other_procedures");
    if international.is_empty() {
        out.note(t(lang, "dossier.complaint.no_procedures", &[]));
    }
    for p in international {
        let text = proceeding_text(lang, g, p);
        let source = out.source("P", "proceeding", p.id, p.revision);
        out.para(text, Some(source));
    }

    out.heading("dossier.complaint.sought");
    out.para(t(lang, "dossier.complaint.sought_text", &[]), None);
    for p in f.proceedings.iter().filter(|p| {
        p.record.stage == temoin_model::case::ProceedingStage::Reparation
            && p.record.outcome != ProceedingOutcome::Upheld
    }) {
        let text = proceeding_text(lang, g, p);
        let source = out.source("P", "proceeding", p.id, p.revision);
        out.para(text, Some(source));
    }

    out.heading("dossier.complaint.annexes");
    // The originals, in the order they were collected: a litigator annexes
    // the evidentiary copy, never a working copy.
    let mut originals: Vec<&crate::EvidenceItem> = f
        .evidence
        .iter()
        .filter(|e| e.rec.record.derived_from.is_none())
        .collect();
    originals.sort_by_key(|e| e.rec.id);
    annex_table(lang, out, &originals);
}

fn assistance(f: &CaseFile, g: &Gate, out: &mut Out) -> Result<(), DossierError> {
    let lang = out.lang;
    let requests: Vec<_> = f
        .assistance
        .iter()
        .filter(|a| !a.record.beneficiary.is_some_and(|b| g.out.contains(&b)))
        .collect();
    if requests.is_empty() {
        return Err(DossierError::NoAssistance);
    }
    out.doc
        .blocks
        .push(Block::Title(t(lang, "dossier.assistance.heading", &[])));
    let case_src = out.source("C", "case", f.case.id, f.case.revision);
    out.heading("dossier.assistance.situation");
    out.para(country(f, lang), Some(case_src));
    out.para(
        f.case.record.summary.clone().unwrap_or_default(),
        Some(case_src),
    );
    for fact in chronology(f, g, out, false) {
        out.para(fact.text, Some(fact.source));
    }
    let mut supporting: Vec<&crate::EvidenceItem> = Vec::new();
    out.heading("dossier.assistance.request");
    for a in requests {
        let r = &a.record;
        let needs: Vec<String> = r
            .needs
            .iter()
            .map(|n| label(lang, "follow_up_kind", n.code()))
            .collect();
        let amount = match (&r.amount, &r.currency) {
            (Some(a), Some(c)) => format!("{a} {c}"),
            _ => String::new(),
        };
        let payments: Vec<String> = r
            .payments
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}{}",
                    p.on.0,
                    p.amount,
                    r.currency.as_deref().unwrap_or(""),
                    p.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        let text = facts(&[
            (
                field(lang, "assistance", "beneficiary"),
                r.beneficiary.map(|b| g.name(lang, &b)).unwrap_or_default(),
            ),
            (field(lang, "assistance", "needs"), needs.join(", ")),
            (
                field(lang, "assistance", "requested_on"),
                date(&r.requested_on),
            ),
            (field(lang, "assistance", "amount"), amount),
            (
                field(lang, "assistance", "other_support"),
                r.other_support.clone().unwrap_or_default(),
            ),
            (
                field(lang, "assistance", "decision"),
                label(lang, "assistance_decision", r.decision.code()),
            ),
            (field(lang, "assistance", "decided_on"), date(&r.decided_on)),
            (field(lang, "assistance", "payments"), payments.join(", ")),
            (
                field(lang, "assistance", "outcome"),
                r.outcome.clone().unwrap_or_default(),
            ),
        ]);
        let source = out.source("A", "assistance", a.id, a.revision);
        out.para(text, Some(source));
        out.para(r.description.clone().unwrap_or_default(), Some(source));
        for id in &r.supporting {
            if let Some(e) = f.evidence.iter().find(|e| e.rec.id == *id) {
                if !supporting.iter().any(|s| s.rec.id == *id) {
                    supporting.push(e);
                }
            }
        }
    }
    out.heading("dossier.assistance.supporting");
    annex_table(lang, out, &supporting);
    Ok(())
}
