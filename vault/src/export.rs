//! Exporting a case as a sealed bundle: which items go in for a purpose
//! (consent planning), the custody record of the export, and the streaming
//! of each payload from the vault into `temoin-bundle`'s writer, its hash
//! checked on the way. No plaintext touches the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use temoin_bundle::{
    BundleWriter, DeviceInfo, Draft, ItemRecord, Manifest, Part, Purpose, Supersedes, Withheld,
    WriteError,
};
use temoin_crypto::payload::{self, PayloadRecipient};
use temoin_model::case::{
    Assistance, Case, Consent, Detention, Evidence, FollowUp, Perpetrator, Person, Place,
    Proceeding, Testimony, Violation,
};
use temoin_model::custody::{Action, BundleNote, CustodyEntry, Event};
use temoin_model::record::{ItemId, Kind, Record};

use crate::error::{ExportError, VaultError};
use crate::vault::Vault;

mod figures;
mod publication;

pub use figures::FiguresOptions;

/// What [`Vault::export_bundle`] did.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// The manifest as signed.
    pub manifest: Manifest,
    /// SHA-256 of the manifest bytes.
    pub manifest_sha256: String,
    /// Bytes written (the age file).
    pub bytes: u64,
}

/// How to export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// What for.
    pub purpose: Purpose,
    /// Who can open it. At least one.
    pub recipients: Vec<PayloadRecipient>,
    /// The bundle it replaces, if any.
    pub supersedes: Option<Supersedes>,
    /// The part of the case to seal, when not the whole: [`Part::Text`],
    /// the records without any evidence file, sent ahead of an urgent
    /// case's files.
    pub part: Option<Part>,
}

/// A bundle being written: the items chosen, the files to stream.
struct Plan {
    items: Vec<ItemRecord>,
    evidence: Vec<(ItemId, Evidence)>,
    withheld: Vec<Withheld>,
    custody: Vec<CustodyEntry>,
}

fn to_value<R: Record>(record: &R) -> Result<serde_json::Value, VaultError> {
    serde_json::to_value(record).map_err(|_| VaultError::Store("a record did not serialise".into()))
}

impl Vault {
    /// How many items of `case` a bundle for OMCT leaves out now, for want
    /// of consent covering it (what forgetting the case would lose).
    pub(crate) fn withheld_from_omct(&self, case_id: ItemId) -> Result<usize, ExportError> {
        Ok(self
            .plan_bundle(case_id, Purpose::ShareWithOmct)?
            .withheld
            .len())
    }

    /// Whether a bundle of `case` for `purpose` would carry evidence files
    /// (what an urgent case's text is sent ahead of).
    pub fn bundle_carries_files(
        &self,
        case_id: ItemId,
        purpose: Purpose,
    ) -> Result<bool, ExportError> {
        Ok(!self.plan_bundle(case_id, purpose)?.evidence.is_empty())
    }

    /// Chooses what of `case` goes into a bundle for `purpose`.
    ///
    /// The rule (docs/FORMAT.md, "What goes in"): the case's material goes in
    /// only if some consent of the case covers the purpose now and no
    /// consent given for the whole case (no person linked) has withdrawn it. A person who gave consent of their own goes in (with
    /// the testimonies they gave) only if that consent covers the purpose.
    /// Consents always go in: they are the grounds for the rest. A purpose
    /// that carries no originals (publication) takes working copies only
    /// (`publication`).
    fn plan_bundle(&self, case_id: ItemId, purpose: Purpose) -> Result<Plan, ExportError> {
        let scope = purpose.scope();
        let case = self.require::<Case>(case_id)?;
        let consents: Vec<_> = self
            .list_in_case(case_id, Kind::Consent)
            .into_iter()
            .map(|id| self.require::<Consent>(id))
            .collect::<Result<_, _>>()?;
        // A consent given for the whole case (no person linked) that was
        // withdrawn stops the case; a person's own withdrawal withholds
        // what is theirs (below).
        let withdrawn = consents.iter().any(|c| {
            c.record.given_by.is_none()
                && c.record.scopes.contains(&scope)
                && c.record
                    .withdrawal
                    .as_ref()
                    .is_some_and(|w| w.withdraws(scope))
        });
        // Covered: by a consent for the whole case, or by a person's own
        // consent that holds (a child's, with a guardian's and their
        // assent); one that does not hold opens nothing.
        let events_year = case.record.events_year();
        let was_a_child = |id: ItemId| -> Result<bool, VaultError> {
            Ok(self
                .get::<Person>(id)?
                .is_some_and(|p| p.record.was_a_child(events_year)))
        };
        let mut covered = false;
        for c in &consents {
            covered |= match c.record.given_by {
                None => c.record.covers(scope),
                Some(p) => c.record.covers_own(scope, was_a_child(p)?),
            };
        }
        if !covered || withdrawn {
            return Err(ExportError::NoConsent {
                scope: scope.code(),
            });
        }
        // People who consented for themselves, and whether it covers this
        // (a child's, only with a guardian's consent and their assent).
        let mut own_consent: BTreeMap<ItemId, bool> = BTreeMap::new();
        let mut children: BTreeSet<ItemId> = BTreeSet::new();
        for c in &consents {
            if let Some(p) = c.record.given_by {
                let child = was_a_child(p)?;
                if child {
                    children.insert(p);
                }
                let e = own_consent.entry(p).or_insert(false);
                *e |= c.record.covers_own(scope, child);
            }
        }
        let person_ok = |p: &ItemId| own_consent.get(p).copied().unwrap_or(true);
        let not_covered = |what: &str| {
            format!(
                "{what} gave consent that does not cover {} (not granted, or withdrawn)",
                scope.code()
            )
        };
        let person_not_covered = |id: &ItemId| {
            if children.contains(id) {
                format!(
                    "the person was a child, and no consent of theirs covers {} with both a \
                     guardian's consent and the child's own assent recorded",
                    scope.code()
                )
            } else {
                not_covered("the person")
            }
        };

        let mut items = vec![ItemRecord {
            id: case_id,
            kind: Kind::Case.name().to_owned(),
            revision: case.revision,
            record: to_value(&case.record)?,
            redacted: false,
        }];
        let mut withheld = Vec::new();
        let mut people: BTreeSet<ItemId> =
            case.record.participants.iter().map(|p| p.person).collect();
        let mut places: BTreeSet<ItemId> = BTreeSet::new();
        let mut evidence = Vec::new();

        fn push<R: Record>(
            items: &mut Vec<ItemRecord>,
            s: &crate::vault::Stored<R>,
        ) -> Result<(), VaultError> {
            items.push(ItemRecord {
                id: s.id,
                kind: R::KIND.name().to_owned(),
                revision: s.revision,
                record: to_value(&s.record)?,
                redacted: false,
            });
            Ok(())
        }
        for c in &consents {
            push(&mut items, c)?;
            people.extend(c.record.given_by);
        }
        for id in sorted(self.list_in_case(case_id, Kind::Testimony)) {
            let t = self.require::<Testimony>(id)?;
            match t.record.witness {
                Some(w) if !person_ok(&w) => withheld.push(Withheld {
                    id,
                    kind: Kind::Testimony.name().to_owned(),
                    reason: not_covered("the witness"),
                }),
                _ => {
                    people.extend(t.record.witness);
                    push(&mut items, &t)?;
                }
            }
        }
        for id in sorted(self.list_in_case(case_id, Kind::Violation)) {
            let v = self.require::<Violation>(id)?;
            people.extend(v.record.victims.iter().copied());
            places.extend(v.record.place);
            push(&mut items, &v)?;
        }
        for id in sorted(self.list_in_case(case_id, Kind::Perpetrator)) {
            push(&mut items, &self.require::<Perpetrator>(id)?)?;
        }
        for id in sorted(self.list_in_case(case_id, Kind::FollowUp)) {
            push(&mut items, &self.require::<FollowUp>(id)?)?;
        }
        // The programmes' records: a detention and an assistance request
        // are about one person and go only with that person (below); a
        // step of proceedings goes as a violation does, its people each on
        // their own consent.
        let detentions: Vec<_> = sorted(self.list_in_case(case_id, Kind::Detention))
            .into_iter()
            .map(|id| self.require::<Detention>(id))
            .collect::<Result<_, _>>()?;
        for d in &detentions {
            people.insert(d.record.person);
            places.extend(d.record.place);
        }
        let proceedings: Vec<_> = sorted(self.list_in_case(case_id, Kind::Proceeding))
            .into_iter()
            .map(|id| self.require::<Proceeding>(id))
            .collect::<Result<_, _>>()?;
        for p in &proceedings {
            people.extend(p.record.people.iter().copied());
        }
        let assistance: Vec<_> = sorted(self.list_in_case(case_id, Kind::Assistance))
            .into_iter()
            .map(|id| self.require::<Assistance>(id))
            .collect::<Result<_, _>>()?;
        if purpose == Purpose::Publication {
            // What a person needs and what OMCT paid is never published.
            withheld.extend(assistance.iter().map(|a| Withheld {
                id: a.id,
                kind: Kind::Assistance.name().to_owned(),
                reason: "an assistance request is never published".to_owned(),
            }));
        } else {
            people.extend(assistance.iter().filter_map(|a| a.record.beneficiary));
        }
        places.extend(self.list_in_case(case_id, Kind::Place));
        for id in places {
            if let Some(p) = self.get::<Place>(id)? {
                push(&mut items, &p)?;
            }
        }
        for id in people {
            let Some(p) = self.get::<Person>(id)? else {
                continue;
            };
            if !person_ok(&id) {
                withheld.push(Withheld {
                    id,
                    kind: Kind::Person.name().to_owned(),
                    reason: person_not_covered(&id),
                });
            } else if purpose == Purpose::Publication && p.record.was_a_child(events_year) {
                // Whatever the consent says: a guardian's consent to publish
                // covers the account, never the child's identity.
                withheld.push(Withheld {
                    id,
                    kind: Kind::Person.name().to_owned(),
                    reason: "a child's identity never goes into a publication (marked a child, \
                             or under 18 at the time of the events by the year of birth)"
                        .to_owned(),
                });
            } else {
                push(&mut items, &p)?;
            }
        }
        // A detention or an assistance request goes only with its person.
        let person_withheld = |p: &ItemId, withheld: &[Withheld]| {
            withheld
                .iter()
                .any(|w| w.id == *p && w.kind == Kind::Person.name())
        };
        for d in &detentions {
            if person_withheld(&d.record.person, &withheld) {
                withheld.push(Withheld {
                    id: d.id,
                    kind: Kind::Detention.name().to_owned(),
                    reason: "it is about a person left out of this bundle".to_owned(),
                });
            } else {
                push(&mut items, d)?;
            }
        }
        // A step of proceedings about a detention left out stays out too
        // (its file number would name the person).
        for p in &proceedings {
            let about_withheld = p.record.detention.is_some_and(|d| {
                withheld
                    .iter()
                    .any(|w| w.id == d && w.kind == Kind::Detention.name())
            });
            let all_withheld = !p.record.people.is_empty()
                && p.record
                    .people
                    .iter()
                    .all(|x| person_withheld(x, &withheld));
            if all_withheld {
                withheld.push(Withheld {
                    id: p.id,
                    kind: Kind::Proceeding.name().to_owned(),
                    reason: "it is about people left out of this bundle".to_owned(),
                });
            } else if about_withheld {
                withheld.push(Withheld {
                    id: p.id,
                    kind: Kind::Proceeding.name().to_owned(),
                    reason: "it is about a detention left out of this bundle".to_owned(),
                });
            } else {
                push(&mut items, p)?;
            }
        }
        if purpose != Purpose::Publication {
            for a in &assistance {
                if a.record
                    .beneficiary
                    .is_some_and(|b| person_withheld(&b, &withheld))
                {
                    withheld.push(Withheld {
                        id: a.id,
                        kind: Kind::Assistance.name().to_owned(),
                        reason: "it is about a person left out of this bundle".to_owned(),
                    });
                } else {
                    push(&mut items, a)?;
                }
            }
        }
        // Evidence that backs only requests left out is theirs (a medical
        // certificate): it stays out with them.
        let sent_requests: BTreeSet<ItemId> = items
            .iter()
            .filter(|i| i.kind == Kind::Assistance.name())
            .map(|i| i.id)
            .collect();
        let backs = |id: ItemId, sent: bool| {
            assistance
                .iter()
                .any(|a| sent_requests.contains(&a.id) == sent && a.record.supporting.contains(&id))
        };
        for id in sorted(self.list_in_case(case_id, Kind::Evidence)) {
            if backs(id, false) && !backs(id, true) {
                withheld.push(Withheld {
                    id,
                    kind: Kind::Evidence.name().to_owned(),
                    reason: "it backs only a request left out of this bundle".to_owned(),
                });
                continue;
            }
            let e = self.require::<Evidence>(id)?;
            push(&mut items, &e)?;
            evidence.push((id, e.record));
        }
        if !purpose.carries_originals() {
            publication::keep_working_copies(&mut items, &mut evidence, &mut withheld);
        }

        // What the records sent say about a withheld person goes too: their
        // own consent keeps its scopes, dates and method (the grounds for
        // leaving them out) but not their name, the interpreter or the
        // notes; the case keeps their role but not the note on it.
        let withheld_people: BTreeSet<ItemId> = withheld
            .iter()
            .filter(|w| w.kind == Kind::Person.name())
            .map(|w| w.id)
            .collect();
        let blank = |v: &mut serde_json::Value, field: &str| {
            if let Some(f) = v.get_mut(field) {
                *f = serde_json::Value::Null;
            }
        };
        let is_withheld = |v: &serde_json::Value, field: &str| {
            v.get(field)
                .and_then(|p| p.as_str())
                .and_then(|p| p.parse::<ItemId>().ok())
                .is_some_and(|p| withheld_people.contains(&p))
        };
        for item in &mut items {
            if item.kind == Kind::Consent.name() && is_withheld(&item.record, "given_by") {
                for field in ["given_by_name", "guardian", "interpreter", "note"] {
                    blank(&mut item.record, field);
                }
                if let Some(w) = item.record.get_mut("withdrawal").filter(|w| w.is_object()) {
                    blank(w, "note");
                }
                item.redacted = true;
            }
            if item.kind == Kind::Case.name() {
                if let Some(list) = item
                    .record
                    .get_mut("participants")
                    .and_then(|p| p.as_array_mut())
                {
                    for p in list {
                        if is_withheld(p, "person") {
                            blank(p, "note");
                            item.redacted = true;
                        }
                    }
                }
            }
        }

        let sent: BTreeSet<ItemId> = items.iter().map(|i| i.id).collect();
        let custody = self
            .custody()?
            .into_iter()
            .filter(|e| e.body.item.is_some_and(|i| sent.contains(&i)))
            .collect();
        Ok(Plan {
            items,
            evidence,
            withheld,
            custody,
        })
    }

    /// Seals `case` into a bundle written to `out`: a tar archive inside an
    /// age file to `options.recipients`, with a manifest signed by this
    /// device. The export is recorded in the custody log (with the
    /// manifest's hash, the bundle's id and sequence number, and the
    /// recipients) before anything is written, so no bundle ever leaves
    /// unrecorded; the sequence number is never reused, even if writing then
    /// fails.
    pub fn export_bundle<W: Write>(
        &mut self,
        case_id: ItemId,
        options: &ExportOptions,
        out: W,
    ) -> Result<ExportSummary, ExportError> {
        if options.recipients.is_empty() {
            return Err(
                crate::record::FieldError::new("recipients", "at least one is needed").into(),
            );
        }
        let out = crate::file::StopOnWipe::new(out, &self.slots_dir);
        let mut plan = self.plan_bundle(case_id, options.purpose)?;
        if options.part == Some(Part::Text) {
            // The records go, the evidence records with their hashes among
            // them; the files follow in the next bundle.
            plan.evidence.clear();
        }
        let sequence = self.next_bundle_sequence()?;
        let device = self.device_public_key();

        let draft = Draft::new(
            Manifest {
                format: temoin_bundle::format_for(options.purpose, options.part).to_owned(),
                bundle_id: uuid::Uuid::new_v4().to_string(),
                created_at: now_rfc3339(),
                purpose: options.purpose,
                device: DeviceInfo {
                    key_id: device.id_hex(),
                    public_key: device.to_minisign_base64(),
                },
                sequence,
                recipients: options.recipients.iter().map(|r| r.fingerprint()).collect(),
                supersedes: options.supersedes.clone(),
                case_id,
                items: plan.items,
                files: Vec::new(),
                withheld: plan.withheld,
                part: options.part,
                figures: None,
            },
            &plan.custody,
            &plan.evidence,
        );
        let manifest_bytes = draft.manifest_bytes();
        let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));
        let signature = self.sign_manifest(&manifest_bytes);

        self.record_bundle(case_id, &draft.manifest, &manifest_sha256)?;

        let mut writer = BundleWriter::start(
            out,
            &options.recipients,
            &draft,
            &manifest_bytes,
            &signature,
        )
        .map_err(|e| match e {
            WriteError::Io(io) => VaultError::from(io),
            _ => VaultError::Store("the recipients could not be used".into()),
        })?;
        for ((id, _), f) in plan.evidence.iter().zip(draft.evidence()) {
            let mut source = self.payload_reader::<Evidence>(*id)?;
            writer.append(f, &mut source).map_err(|io| {
                if payload::is_damage(&io) || io.kind() == std::io::ErrorKind::InvalidData {
                    VaultError::PayloadDamaged { id: *id }
                } else {
                    io.into()
                }
            })?;
            source.finish()?;
        }
        let bytes = writer.finish()?;
        let manifest = draft.manifest;
        Ok(ExportSummary {
            manifest,
            manifest_sha256,
            bytes,
        })
    }

    /// [`Vault::export_bundle`] into a new file: written as `PATH.part`,
    /// synced, then renamed, so `path` only ever holds a whole bundle.
    /// Refuses to overwrite.
    pub fn export_bundle_to_file(
        &mut self,
        case_id: ItemId,
        options: &ExportOptions,
        path: &Path,
    ) -> Result<ExportSummary, ExportError> {
        crate::file::write_new_file(path, |file| {
            let mut w = io::BufWriter::new(file);
            let summary = self.export_bundle(case_id, options, &mut w)?;
            Ok((summary, w.into_inner().map_err(|e| e.into_error())?))
        })
    }

    /// Reserves the next bundle sequence number and records the export, in
    /// one durable commit.
    fn record_bundle(
        &mut self,
        case_id: ItemId,
        manifest: &Manifest,
        manifest_sha256: &str,
    ) -> Result<(), VaultError> {
        self.append_custody_with_sequence(
            manifest.sequence,
            Action::ExportBundle,
            Event {
                item: Some(case_id),
                kind: Some(Kind::Case),
                case: Some(case_id),
                sha256: Some(manifest_sha256.to_owned()),
                bundle: Some(BundleNote {
                    id: manifest.bundle_id.clone(),
                    sequence: manifest.sequence,
                    purpose: manifest.purpose.code().to_owned(),
                    recipients: manifest.recipients.clone(),
                    part: manifest.part.map(|p| p.code().to_owned()),
                }),
                ..Event::default()
            },
        )
    }
}

fn sorted(mut ids: Vec<ItemId>) -> Vec<ItemId> {
    ids.sort();
    ids
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
