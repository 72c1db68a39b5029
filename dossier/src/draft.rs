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
    /// People whose consent does not reach, and children in an appeal: what
    /// is about them alone is left out.
    out: BTreeSet<ItemId>,
    /// Drafting notes.
    notes: Vec<String>,
    /// Words of names that must not appear (a hidden person's name, other
    /// names and each of their words of three letters or more; the real
    /// name of a person an appeal calls by a pseudonym), with what replaces
    /// each, longest first across everyone, so that "Samira" is replaced
    /// before "Sam".
    hidden: Vec<(String, String)>,
}

/// "A" to "Z", then "A2" to "Z2", and so on: never two people under one
/// letter.
fn letter(n: usize) -> String {
    let c = char::from(b'A' + (n % 26) as u8);
    match n / 26 {
        0 => c.to_string(),
        round => format!("{c}{}", round + 1),
    }
}

/// The words of a person's names that free text must not carry.
fn name_words(p: &Person) -> Vec<String> {
    let mut words: Vec<String> = vec![p.name.clone()];
    words.extend(p.other_names.iter().cloned());
    for n in [&p.name].into_iter().chain(&p.other_names) {
        words.extend(
            n.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_owned),
        );
    }
    words.retain(|w| !w.trim().is_empty());
    words
}

impl Gate {
    fn new(kind: Kind, f: &CaseFile, lang: Language) -> Result<Gate, DossierError> {
        let scope = kind.scope();
        let year = f.case.record.events_year();
        // A person whose record is not in the file (a received bundle left
        // them out) may have been a child: their own consent, whose
        // guardian a bundle blanks, opens nothing.
        let child = |id: ItemId| {
            f.people
                .iter()
                .find(|p| p.id == id)
                .is_none_or(|p| p.record.was_a_child(year))
        };
        let consents: Vec<_> = f.consents.iter().map(|c| &c.record).collect();
        // A consent for the whole case covers the case; a person's own
        // consent covers that person only, and a child's only with a
        // guardian's consent and the child's assent.
        let whole_case = consents
            .iter()
            .any(|c| c.given_by.is_none() && c.covers(scope));
        let withdrawn = consents.iter().any(|c| {
            c.given_by.is_none()
                && c.scopes.contains(&scope)
                && c.withdrawal.as_ref().is_some_and(|w| w.withdraws(scope))
        });
        let someone = consents
            .iter()
            .any(|c| c.given_by.is_some_and(|p| c.covers_own(scope, child(p))));
        if !(whole_case || someone) || withdrawn {
            return Err(DossierError::NoConsent {
                scope: scope.code(),
            });
        }
        let scope_words = t(lang, &format!("dossier.scope.{}", scope.code()), &[]);
        let mut g = Gate {
            names: BTreeMap::new(),
            out: BTreeSet::new(),
            notes: Vec::new(),
            hidden: Vec::new(),
        };
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
        let mut hidden_count = 0;
        for p in people {
            let is_child = p.record.was_a_child(year);
            let own: Vec<_> = consents
                .iter()
                .filter(|c| c.given_by == Some(p.id))
                .collect();
            // Their own consent decides; with none, a consent for the whole
            // case does (another person's consent never names them).
            let consents_ok = if own.is_empty() {
                whole_case
            } else {
                own.iter().any(|c| c.covers_own(scope, is_child))
            };
            let named = consents_ok && !(kind == Kind::Appeal && is_child);
            if named {
                let name = if kind == Kind::Appeal {
                    p.record.public_name().to_owned()
                } else {
                    p.record.name.clone()
                };
                if name != p.record.name {
                    // Called by a pseudonym: the real name must not sit
                    // beside it in free text.
                    for w in name_words(&p.record) {
                        g.hidden.push((w, name.clone()));
                    }
                }
                g.names.insert(p.id, name);
                continue;
            }
            let who = t(
                lang,
                "dossier.person_letter",
                &[("letter", &letter(hidden_count))],
            );
            hidden_count += 1;
            g.out.insert(p.id);
            if consents_ok {
                // A child, in an appeal: never named, nothing about them
                // alone (as a publication bundle withholds it).
                g.notes
                    .push(t(lang, "dossier.notes.child", &[("who", &who)]));
            } else {
                g.notes.push(t(
                    lang,
                    "dossier.notes.left_out",
                    &[("who", &who), ("scope", &scope_words)],
                ));
            }
            for w in name_words(&p.record) {
                g.hidden.push((w, who.clone()));
            }
            g.names.insert(p.id, who);
        }
        g.hidden
            .sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        let people_left_out = f
            .withheld
            .iter()
            .filter(|(kind, _)| kind == temoin_model::record::Kind::Person.name())
            .count();
        if people_left_out > 0 {
            g.notes.push(t(
                lang,
                "dossier.notes.unknown_names",
                &[("count", &people_left_out.to_string())],
            ));
        }
        for (kind, reason) in &f.withheld {
            g.notes.push(t(
                lang,
                "dossier.notes.withheld",
                &[("kind", kind), ("reason", reason)],
            ));
        }
        // Exact addresses: coordinates, or a street number in a place's
        // name, locality or authority.
        for p in &f.places {
            let r = &p.record;
            let number = |s: &Option<String>| {
                s.as_deref()
                    .is_some_and(|l| l.chars().any(|c| c.is_ascii_digit()))
            };
            let exact = r
                .coordinates
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
                || number(&r.locality)
                || number(&Some(r.name.clone()))
                || number(&r.authority);
            if exact {
                g.notes
                    .push(t(lang, "dossier.notes.address", &[("what", &r.name)]));
            }
        }
        Ok(g)
    }

    /// Free text with every hidden word replaced, whatever the case of the
    /// letters.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (w, by) in &self.hidden {
            out = replace_ignoring_case(&out, w, by);
        }
        out
    }

    fn name(&self, lang: Language, id: &ItemId) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| t(lang, "person.unknown", &[]))
    }

    /// Whether a step of proceedings is about someone left out: a
    /// detention of theirs, or only them.
    /// (A detention or a person not in the file, which a received bundle
    /// left out, counts as left out.)
    fn about_left_out(&self, f: &CaseFile, p: &temoin_model::case::Proceeding) -> bool {
        let detention_out = p.detention.is_some_and(|d| {
            f.detentions
                .iter()
                .find(|x| x.id == d)
                .is_none_or(|x| self.out.contains(&x.record.person))
        });
        let gone = |x: &ItemId| self.out.contains(x) || !self.names.contains_key(x);
        let all_out = !p.people.is_empty() && p.people.iter().all(gone);
        detention_out || all_out
    }
}

/// A document under construction.
struct Out {
    lang: Language,
    doc: Document,
    tags: BTreeMap<ItemId, usize>,
    /// Notes found while drafting (an annex that gives a position).
    flags: Vec<String>,
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

/// `text` with every occurrence of the whole word `word` (compared in lower
/// case) replaced.
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
        // Whole words only: "Ali" is not replaced inside "quality".
        let bounded = (i == 0 || !chars[i - 1].is_alphanumeric())
            && chars.get(j).is_none_or(|c| !c.is_alphanumeric());
        if k == needle.len() && j > i && bounded {
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
            .filter(|p| !p.record.stage.is_international() && !g.about_left_out(f, &p.record))
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
    let mut flags = Vec::new();
    for (i, e) in items.iter().enumerate() {
        let r: &Evidence = &e.rec.record;
        let number = i + 1;
        let ext = temoin_model::case::file_extension(&r.media_type);
        let file_name = format!("annex-{number:02}.{ext}");
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
                    flags.push(number);
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
        if flags.last() == Some(&number) {
            out.flags.push(t(
                lang,
                "dossier.notes.gps",
                &[("number", &number.to_string())],
            ));
        }
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
            t(lang, "dossier.annex.description", &[]),
            t(lang, "dossier.annex.file", &[]),
            t(lang, "dossier.annex.sha256", &[]),
            t(lang, "dossier.annex.type", &[]),
            t(lang, "dossier.annex.capture", &[]),
            t(lang, "dossier.annex.custody", &[]),
        ],
        rows,
    });
}

/// The annex index's columns that are never rewritten: file, SHA-256, type.
const ANNEX_VERBATIM: [usize; 3] = [2, 3, 4];

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
        flags: Vec::new(),
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
                for c in header.iter_mut() {
                    *c = g.scrub(c);
                }
                // The annex index's file name, SHA-256 and type are facts a
                // court checks, never names: left exactly as they are.
                for row in rows.iter_mut() {
                    for (k, c) in row.iter_mut().enumerate() {
                        if !ANNEX_VERBATIM.contains(&k) {
                            *c = g.scrub(c);
                        }
                    }
                }
            }
        }
    }
    // The drafting notes, then the sources.
    out.heading("dossier.notes.heading");
    if g.notes.is_empty() && out.flags.is_empty() {
        out.note(t(lang, "dossier.notes.none", &[]));
    }
    let flags = std::mem::take(&mut out.flags);
    for n in g.notes.iter().chain(&flags) {
        let n = g.scrub(n);
        out.doc.notes.push(n.clone());
        out.note(n);
    }
    // A public appeal's sources name the vault's items: for the drafter,
    // never for the public.
    out.heading(if kind == Kind::Appeal {
        "dossier.sources.heading_private"
    } else {
        "dossier.sources.heading"
    });
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
                .iter()
                .find(|d| !g.out.contains(&d.record.person))
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
        .filter(|p| !p.record.stage.is_international() && !g.about_left_out(f, &p.record))
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
        .filter(|p| !p.record.stage.is_international() && !g.about_left_out(f, &p.record))
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
        .filter(|p| p.record.stage.is_international() && !g.about_left_out(f, &p.record))
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
            && !g.about_left_out(f, &p.record)
    }) {
        let text = proceeding_text(lang, g, p);
        let source = out.source("P", "proceeding", p.id, p.revision);
        out.para(text, Some(source));
    }

    out.heading("dossier.complaint.annexes");
    // The originals, in the order they were collected: a litigator annexes
    // the evidentiary copy, never a working copy.
    // Not what backs the request of someone left out (a medical
    // certificate is theirs).
    let theirs: BTreeSet<ItemId> = f
        .assistance
        .iter()
        .filter(|a| a.record.beneficiary.is_some_and(|b| g.out.contains(&b)))
        .flat_map(|a| a.record.supporting.iter().copied())
        .collect();
    let mut originals: Vec<&crate::EvidenceItem> = f
        .evidence
        .iter()
        .filter(|e| e.rec.record.derived_from.is_none() && !theirs.contains(&e.rec.id))
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

#[cfg(test)]
mod tests {
    use super::*;
    use temoin_model::case::{Case, Consent, ConsentScope, Person, Place, PlaceType, Violation};

    fn rec<T>(record: T) -> Rec<T> {
        Rec {
            id: ItemId::random(),
            revision: 0,
            record,
        }
    }

    fn text(doc: &Document) -> String {
        doc.blocks
            .iter()
            .map(|b| match b {
                Block::Title(x) | Block::Heading(x) | Block::Note(x) => x.clone(),
                Block::Para { text, .. } | Block::Item { text, .. } => text.clone(),
                Block::Table { header, rows } => {
                    let mut all = header.join(" ");
                    for r in rows {
                        all.push(' ');
                        all.push_str(&r.join(" "));
                    }
                    all
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn consent(case: ItemId, by: Option<ItemId>, scopes: Vec<ConsentScope>) -> Rec<Consent> {
        let mut c = Consent::new(case, "x", PartialDate("2026-11-30".into()), scopes);
        c.given_by = by;
        rec(c)
    }

    /// A case with a consenting adult called by a pseudonym, a hidden
    /// person named in a place and a description, and what else the review
    /// of this code found.
    fn file() -> (CaseFile, ItemId, ItemId) {
        let mut case = Case::new("c");
        case.country = Some("TN".into());
        case.incident_start = Some(PartialDate("2026-11-23".into()));
        case.summary = Some("Officers took Karim from the Saidi family home.".into());
        let case = rec(case);
        let mut karim = Person::new("Karim Mansour");
        karim.pseudonym = Some("K.".into());
        let karim = rec(karim);
        let dalia = rec(Person::new("Dalia Saidi"));
        let place = rec(Place {
            case_id: Some(case.id),
            name: "Saidi family home".into(),
            kind: PlaceType::PrivateHome,
            authority: None,
            country: None,
            locality: Some("12 rue de Marseille".into()),
            coordinates: None,
            note: None,
        });
        let violation = rec(Violation {
            case_id: case.id,
            kind: ViolationType::Torture,
            methods: vec![],
            victims: vec![karim.id, dalia.id],
            perpetrators: vec![],
            place: Some(place.id),
            start: None,
            end: None,
            description: Some("DALIA saw it.".into()),
        });
        let (k, d) = (karim.id, dalia.id);
        let f = CaseFile {
            consents: vec![
                consent(case.id, Some(k), vec![ConsentScope::Publication]),
                consent(case.id, Some(d), vec![ConsentScope::ShareWithOmct]),
            ],
            case,
            people: vec![karim, dalia],
            violations: vec![violation],
            places: vec![place],
            perpetrators: vec![],
            detentions: vec![],
            proceedings: vec![],
            assistance: vec![],
            evidence: vec![],
            withheld: vec![(
                "person".into(),
                "the person gave consent that does not cover share_with_omct".into(),
            )],
        };
        (f, k, d)
    }

    #[test]
    fn no_name_the_gate_hides_survives_anywhere_in_an_appeal() {
        let (f, _, _) = file();
        let doc = draft(Kind::Appeal, &f, Language::En).unwrap();
        let all = text(&doc);
        // Karim is called K. everywhere, his real name nowhere beside it.
        assert!(
            all.contains("Tunisia: Torture against K., Person A"),
            "{all}"
        );
        assert!(!all.contains("Karim") && !all.contains("Mansour"), "{all}");
        // Dalia (no consent to publication) is Person A, in free text, in
        // a place's name, and in the notes that flag that place.
        assert!(
            !all.to_lowercase().contains("dalia") && !all.contains("Saidi"),
            "{all}"
        );
        assert!(all.contains("Person A saw it."), "{all}");
        assert!(
            all.contains("Person A family home gives an exact address"),
            "{all}"
        );
        // The bundle left a person out whose name is not known here.
        assert!(
            all.contains("left out 1 person(s), whose names are not known here"),
            "{all}"
        );
        // The sources of a public appeal are for the drafter only.
        assert!(all.contains("Sources (remove before sending)"), "{all}");
    }

    #[test]
    fn a_childs_own_consent_that_does_not_hold_opens_nothing() {
        let (mut f, k, d) = file();
        f.people[1].record.age_at_events = Some(15);
        // Only the child's own consent, to publication, with no guardian.
        f.consents = vec![consent(f.case.id, Some(d), vec![ConsentScope::Publication])];
        let e = draft(Kind::Appeal, &f, Language::En).unwrap_err();
        assert!(e.to_string().contains("covers publication"), "{e}");
        // With a guardian and her assent the case opens, she is still never
        // named in an appeal, and Karim, who gave no consent of his own
        // and is covered by no consent for the whole case, is not named
        // either.
        f.consents[0].record.guardian = Some("her mother".into());
        f.consents[0].record.child_assent = Some(true);
        let all = text(&draft(Kind::Appeal, &f, Language::En).unwrap());
        assert!(
            !all.contains("Dalia") && !all.contains("Karim") && !all.contains("K."),
            "{all}"
        );
        assert!(all.contains("a child, never named in an appeal"), "{all}");
        let _ = k;
    }

    /// At the desk, a person the bundle left out has no record: their own
    /// consent (a child's, perhaps, its guardian blanked) opens nothing,
    /// and a step of proceedings about only them stays out.
    #[test]
    fn a_consent_by_someone_not_in_the_file_opens_nothing() {
        let (mut f, k, _) = file();
        let gone = ItemId::random();
        f.consents = vec![consent(
            f.case.id,
            Some(gone),
            vec![ConsentScope::Litigation, ConsentScope::Publication],
        )];
        let e = draft(Kind::Cat, &f, Language::En).unwrap_err();
        assert!(e.to_string().contains("covers litigation"), "{e}");
        f.consents
            .push(consent(f.case.id, Some(k), vec![ConsentScope::Litigation]));
        f.proceedings = vec![rec(temoin_model::case::Proceeding {
            case_id: f.case.id,
            stage: temoin_model::case::ProceedingStage::Complaint,
            date: None,
            body: Some("Prosecutor".into()),
            reference: Some("their-file-number".into()),
            outcome: ProceedingOutcome::Pending,
            outcome_note: None,
            people: vec![gone],
            detention: None,
            note: None,
        })];
        let all = text(&draft(Kind::Cat, &f, Language::En).unwrap());
        assert!(all.contains("Karim Mansour"), "{all}");
        assert!(!all.contains("their-file-number"), "{all}");
    }

    #[test]
    fn letters_never_repeat_and_longer_names_go_first() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "A2");
        assert_eq!(letter(53), "B3");
        assert_eq!(
            replace_ignoring_case("İbrahim and SAMIRA met Sam", "samira", "Person B"),
            "İbrahim and Person B met Sam"
        );
        assert_eq!(replace_ignoring_case("", "x", "y"), "");
        assert_eq!(
            replace_ignoring_case("Ali's quality, ALI.", "ali", "Person C"),
            "Person C's quality, Person C."
        );
        assert_eq!(replace_ignoring_case("abc", "", "y"), "abc");
    }
}
