//! Figures for OMCT's work without identifying anyone: how many victims,
//! by country, quarter and a dimension (the violation, the victim's
//! vulnerability, the institution of those alleged responsible, whether it
//! happened in custody), counted only over the people whose consent covers
//! anonymised statistics, with every count under 5 written `<5`.
//!
//! The same function counts a defender's vault (`temoin stats`) and what
//! OMCT's desk received (`desk stats`), so both write one CSV layout:
//! `country,quarter,dimension,value,victims`. No totals are written: a
//! victim can stand in several values of one dimension (two violations, two
//! vulnerabilities), so the cells do not add up to anything, and no
//! suppressed count can be worked out from the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::case::{Case, Consent, ConsentScope, Perpetrator, Person, Place, Role, Violation};
use crate::record::{ItemId, PartialDate};

/// Cells with fewer victims than this are written `<5`.
pub const SMALLEST_SHOWN: usize = 5;

/// One case's records, as the counting needs them.
#[derive(Clone, Debug, Default)]
pub struct CaseRecords {
    /// The case's id (at the desk, the defender's), when known: what a
    /// case's figures are matched on when they arrive twice.
    pub case_id: Option<ItemId>,
    /// The case.
    pub case: Option<Case>,
    /// Its people, by id.
    pub people: HashMap<ItemId, Person>,
    /// Its consents.
    pub consents: Vec<Consent>,
    /// Its violations.
    pub violations: Vec<Violation>,
    /// Its alleged perpetrators, by id (for their institution).
    pub perpetrators: HashMap<ItemId, Perpetrator>,
    /// The places its violations name, by id (for the custodial context).
    pub places: HashMap<ItemId, Place>,
}

/// One cell: a number of victims for a country, a quarter and a value of a
/// dimension.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    /// ISO 3166-1 alpha-2, or `unknown`.
    pub country: String,
    /// `2024-Q1`, or `unknown`.
    pub quarter: String,
    /// `violation`, `vulnerability`, `institution` or `custodial_context`.
    pub dimension: &'static str,
    /// The code of the value.
    pub value: String,
}

/// The quarter of a partial date: `2024-Q2`, or `unknown` for a year alone.
fn quarter(date: Option<&PartialDate>) -> String {
    let Some(d) = date else {
        return "unknown".into();
    };
    let mut parts = d.0.split('-');
    match (
        parts.next(),
        parts.next().and_then(|m| m.parse::<u8>().ok()),
    ) {
        (Some(y), Some(m @ 1..=12)) if y.len() == 4 => format!("{y}-Q{}", (m - 1) / 3 + 1),
        _ => "unknown".into(),
    }
}

/// The people of a case who may be counted: the case's consents must
/// cover anonymised statistics (one granting it, no consent for the whole
/// case withdrawing it), and a person who consented for themselves counts
/// only if their own consent covers it (for a child, with a guardian's
/// consent and the child's assent recorded) — the rule a bundle follows
/// for its purpose.
pub fn countable(records: &CaseRecords) -> BTreeSet<ItemId> {
    let scope = ConsentScope::AnonymisedStatistics;
    let year = records.case.as_ref().map(Case::events_year);
    // A person whose record is missing (left out of a bundle) may have been
    // a child: their own consent, whose guardian a bundle blanks, opens
    // nothing.
    let was_a_child = |p: &ItemId| match records.people.get(p) {
        None => true,
        Some(q) => year.is_some_and(|y| q.was_a_child(y)),
    };
    // Covered by a consent for the whole case, or by someone's own consent
    // that holds (a child's one without a guardian and assent opens
    // nothing).
    let covered = records.consents.iter().any(|c| match c.given_by {
        None => c.covers(scope),
        Some(p) => c.covers_own(scope, was_a_child(&p)),
    });
    let withdrawn = records.consents.iter().any(|c| {
        c.given_by.is_none()
            && c.scopes.contains(&scope)
            && c.withdrawal.as_ref().is_some_and(|w| w.withdraws(scope))
    });
    if !covered || withdrawn {
        return BTreeSet::new();
    }
    let mut own: BTreeMap<ItemId, bool> = BTreeMap::new();
    for c in &records.consents {
        if let Some(p) = c.given_by {
            *own.entry(p).or_insert(false) |= c.covers_own(scope, was_a_child(&p));
        }
    }
    // A victim counts only with their person record: one left out of a
    // bundle (their consent did not reach) is not counted at the desk
    // either, and whether they were a child cannot be told without it.
    victims(records)
        .into_iter()
        .filter(|p| records.people.contains_key(p) && own.get(p).copied().unwrap_or(true))
        .collect()
}

/// The victims of a case: those of its violations, and the people it
/// names in the role of victim.
fn victims(records: &CaseRecords) -> BTreeSet<ItemId> {
    let mut out: BTreeSet<ItemId> = records
        .violations
        .iter()
        .flat_map(|v| v.victims.iter().copied())
        .collect();
    if let Some(case) = &records.case {
        out.extend(
            case.participants
                .iter()
                .filter(|p| p.role == Role::Victim)
                .map(|p| p.person),
        );
    }
    out
}

/// The victims in each cell, over every case given (a person in two cases
/// is one victim per cell).
pub fn cells<'a>(
    cases: impl IntoIterator<Item = &'a CaseRecords>,
) -> BTreeMap<Cell, BTreeSet<ItemId>> {
    let mut out: BTreeMap<Cell, BTreeSet<ItemId>> = BTreeMap::new();
    for r in cases {
        let Some(case) = &r.case else { continue };
        let ok = countable(r);
        if ok.is_empty() {
            continue;
        }
        let country = case.country.clone().unwrap_or_else(|| "unknown".into());
        let case_quarter = quarter(case.incident_start.as_ref());
        let mut first_quarter: BTreeMap<ItemId, String> = BTreeMap::new();
        for v in &r.violations {
            let q = match &v.start {
                Some(_) => quarter(v.start.as_ref()),
                None => case_quarter.clone(),
            };
            for p in v.victims.iter().filter(|p| ok.contains(p)) {
                out.entry(Cell {
                    country: country.clone(),
                    quarter: q.clone(),
                    dimension: "violation",
                    value: v.kind.code().to_owned(),
                })
                .or_default()
                .insert(*p);
                first_quarter.entry(*p).or_insert_with(|| q.clone());
                // The institutions of those alleged responsible for this
                // violation, one cell each, whoever the perpetrator is.
                let institutions: BTreeSet<&str> = v
                    .perpetrators
                    .iter()
                    .filter_map(|id| r.perpetrators.get(id))
                    .map(|x| x.institution.code())
                    .collect();
                for i in institutions {
                    out.entry(Cell {
                        country: country.clone(),
                        quarter: q.clone(),
                        dimension: "institution",
                        value: i.to_owned(),
                    })
                    .or_default()
                    .insert(*p);
                }
                // In custody or not, from the type of the place it names.
                let context = v
                    .place
                    .and_then(|id| r.places.get(&id))
                    .and_then(|place| place.kind.custodial_context());
                if let Some(c) = context {
                    out.entry(Cell {
                        country: country.clone(),
                        quarter: q.clone(),
                        dimension: "custodial_context",
                        value: c.code().to_owned(),
                    })
                    .or_default()
                    .insert(*p);
                }
            }
        }
        for p in &ok {
            let Some(person) = r.people.get(p) else {
                continue;
            };
            let q = first_quarter
                .get(p)
                .cloned()
                .unwrap_or_else(|| case_quarter.clone());
            for v in &person.vulnerabilities {
                out.entry(Cell {
                    country: country.clone(),
                    quarter: q.clone(),
                    dimension: "vulnerability",
                    value: v.code().to_owned(),
                })
                .or_default()
                .insert(*p);
            }
        }
    }
    out
}

/// The dimensions a cell can be of.
pub const DIMENSIONS: [&str; 4] = [
    "custodial_context",
    "institution",
    "violation",
    "vulnerability",
];

/// One cell of one case's figures as a statistics bundle carries it: the
/// victims by their (random) ids, so that OMCT's desk counts a person once
/// per cell whichever way their case arrived. No name, no place, no date
/// finer than the quarter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureCell {
    /// ISO 3166-1 alpha-2, or `unknown`.
    pub country: String,
    /// `2024-Q1`, or `unknown`.
    pub quarter: String,
    /// One of [`DIMENSIONS`].
    pub dimension: String,
    /// The code of the value.
    pub value: String,
    /// The ids of the victims counted in it.
    pub victims: Vec<ItemId>,
}

/// One case's figures: what a statistics bundle carries for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFigures {
    /// The case's id on the device (the one its full bundles carry).
    pub case_id: ItemId,
    /// Its cells.
    pub cells: Vec<FigureCell>,
}

impl FigureCell {
    /// The cell, if every field is of the form the format allows (a
    /// device's figures are not written into a CSV file unchecked: a comma
    /// or a line break in a value would shift or add rows).
    pub fn cell(&self) -> Option<Cell> {
        let dimension = DIMENSIONS.into_iter().find(|d| *d == self.dimension)?;
        Some(Cell {
            country: self.country.clone(),
            quarter: self.quarter.clone(),
            dimension,
            value: self.value.clone(),
        })
        .filter(well_formed)
    }
}

/// Whether a cell's fields are what the CSV layout allows: a country of
/// two upper-case letters, a quarter `YYYY-Qn`, each either `unknown`; a
/// value of lower-case letters, digits and `_`.
pub fn well_formed(c: &Cell) -> bool {
    let country = c.country == "unknown"
        || (c.country.len() == 2 && c.country.bytes().all(|b| b.is_ascii_uppercase()));
    let q = c.quarter.as_bytes();
    let quarter = c.quarter == "unknown"
        || (q.len() == 7
            && q[..4].iter().all(u8::is_ascii_digit)
            && &q[4..6] == b"-Q"
            && (b'1'..=b'4').contains(&q[6]));
    let value = !c.value.is_empty()
        && c.value.len() <= 64
        && c.value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    country && quarter && value
}

/// The figures of each case given that counts someone: what a statistics
/// bundle carries. Cases without an id are left out.
pub fn case_figures<'a>(cases: impl IntoIterator<Item = &'a CaseRecords>) -> Vec<CaseFigures> {
    cases
        .into_iter()
        .filter_map(|r| {
            let case_id = r.case_id?;
            let cells: Vec<FigureCell> = cells(std::iter::once(r))
                .into_iter()
                .map(|(c, v)| FigureCell {
                    country: c.country,
                    quarter: c.quarter,
                    dimension: c.dimension.to_owned(),
                    value: c.value,
                    victims: v.into_iter().collect(),
                })
                .collect();
            (!cells.is_empty()).then_some(CaseFigures { case_id, cells })
        })
        .collect()
}

/// One case's cells as one bundle gave them, for [`merge`].
#[derive(Clone, Debug)]
pub struct Source {
    /// The device that sealed it (its key id).
    pub device: String,
    /// The case's id on that device.
    pub case_id: ItemId,
    /// The bundle's sequence number on that device: the highest is the
    /// latest word on the case.
    pub sequence: u64,
    /// The case's cells.
    pub cells: BTreeMap<Cell, BTreeSet<ItemId>>,
}

impl Source {
    /// A case's cells from its records.
    pub fn from_records(
        device: &str,
        case_id: ItemId,
        sequence: u64,
        records: &CaseRecords,
    ) -> Source {
        Source {
            device: device.to_owned(),
            case_id,
            sequence,
            cells: cells(std::iter::once(records)),
        }
    }

    /// A case's cells from a statistics bundle's figures; a cell not of
    /// the allowed form is left out.
    pub fn from_figures(device: &str, sequence: u64, figures: &CaseFigures) -> Source {
        let mut out: BTreeMap<Cell, BTreeSet<ItemId>> = BTreeMap::new();
        for f in &figures.cells {
            if let Some(c) = f.cell() {
                out.entry(c).or_default().extend(f.victims.iter().copied());
            }
        }
        Source {
            device: device.to_owned(),
            case_id: figures.case_id,
            sequence,
            cells: out,
        }
    }
}

/// A device's figures as one bundle of figures gave them: every case of
/// the device that counted someone when it was sealed.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The device that sealed it (its key id).
    pub device: String,
    /// The bundle's sequence number on that device.
    pub sequence: u64,
    /// Its cases' figures.
    pub cases: Vec<CaseFigures>,
}

/// The cells over every case, each case counted once.
///
/// A bundle of figures is a device's whole word at the time it was sealed:
/// its cases that count someone, and by omission those that count no one
/// (a consent withdrawn, a case deleted). So, for each device, only its
/// latest bundle of figures counts, and for each case of the device, what
/// the device sealed last: the case's latest full bundle if it came after
/// those figures, otherwise the figures (and nothing when the figures leave
/// the case out). A case whose figures came first and whose full bundle
/// followed is counted once. Cells not of the allowed form are left out.
pub fn merge(
    full: impl IntoIterator<Item = Source>,
    snapshots: impl IntoIterator<Item = Snapshot>,
) -> BTreeMap<Cell, BTreeSet<ItemId>> {
    let mut latest: BTreeMap<(String, ItemId), Source> = BTreeMap::new();
    for s in full {
        let key = (s.device.clone(), s.case_id);
        match latest.get(&key) {
            Some(have) if have.sequence >= s.sequence => {}
            _ => {
                latest.insert(key, s);
            }
        }
    }
    let mut figures: BTreeMap<String, Snapshot> = BTreeMap::new();
    for s in snapshots {
        match figures.get(&s.device) {
            Some(have) if have.sequence >= s.sequence => {}
            _ => {
                figures.insert(s.device.clone(), s);
            }
        }
    }
    let mut counted: Vec<Source> = Vec::new();
    for ((device, _), s) in latest {
        match figures.get(&device) {
            // Sealed before the device's latest figures: they have the
            // last word on the case (even by leaving it out).
            Some(snapshot) if snapshot.sequence > s.sequence => {}
            _ => counted.push(s),
        }
    }
    let already: BTreeSet<(String, ItemId)> = counted
        .iter()
        .map(|s| (s.device.clone(), s.case_id))
        .collect();
    for snapshot in figures.values() {
        let mut seen = BTreeSet::new();
        for f in &snapshot.cases {
            // One entry a case (a reader refuses a bundle with two).
            if already.contains(&(snapshot.device.clone(), f.case_id)) || !seen.insert(f.case_id) {
                continue;
            }
            counted.push(Source::from_figures(&snapshot.device, snapshot.sequence, f));
        }
    }
    let mut out: BTreeMap<Cell, BTreeSet<ItemId>> = BTreeMap::new();
    for s in counted {
        for (c, v) in s.cells {
            if well_formed(&c) {
                out.entry(c).or_default().extend(v);
            }
        }
    }
    out
}

/// A count as it is written: the number, or `<5`.
pub fn shown(victims: usize) -> String {
    if victims < SMALLEST_SHOWN {
        format!("<{SMALLEST_SHOWN}")
    } else {
        victims.to_string()
    }
}

/// The CSV of the cells: a header, then one line a cell, in order.
/// Written by hand: every field is a code (country, quarter, dimension,
/// vocabulary code, a number or `<5`) that needs no quoting, which the
/// test checks.
pub fn csv(cells: &BTreeMap<Cell, BTreeSet<ItemId>>) -> String {
    let mut out = String::from("country,quarter,dimension,value,victims\n");
    for (c, v) in cells {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            c.country,
            c.quarter,
            c.dimension,
            c.value,
            shown(v.len())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{
        Institution, Involvement, Participant, PerpetratorKind, PlaceType, ViolationType,
        Vulnerability, Withdrawal,
    };
    use proptest::prelude::*;

    fn consent(case: ItemId, by: Option<ItemId>, scopes: Vec<ConsentScope>) -> Consent {
        let mut c = Consent::new(case, "x", PartialDate("2024-01-01".into()), scopes);
        c.given_by = by;
        c
    }

    #[test]
    fn quarters() {
        assert_eq!(quarter(Some(&PartialDate("2024-05-02".into()))), "2024-Q2");
        assert_eq!(quarter(Some(&PartialDate("2024-12".into()))), "2024-Q4");
        assert_eq!(quarter(Some(&PartialDate("2024".into()))), "unknown");
        assert_eq!(quarter(None), "unknown");
    }

    #[test]
    fn the_latest_word_of_a_device_on_a_case_counts_and_malformed_cells_do_not() {
        let (case, other) = (ItemId::random(), ItemId::random());
        let (a, b) = (ItemId::random(), ItemId::random());
        let cell = |value: &str| Cell {
            country: "TN".into(),
            quarter: "2024-Q1".into(),
            dimension: "violation",
            value: value.into(),
        };
        let full = |case_id, sequence, victims: &[ItemId]| Source {
            device: "d".into(),
            case_id,
            sequence,
            cells: BTreeMap::from([(cell("torture"), victims.iter().copied().collect())]),
        };
        let figures = |case_id, victims: &[ItemId]| CaseFigures {
            case_id,
            cells: vec![FigureCell {
                country: "TN".into(),
                quarter: "2024-Q1".into(),
                dimension: "violation".into(),
                value: "torture".into(),
                victims: victims.to_vec(),
            }],
        };
        let snapshot = |sequence, cases| Snapshot {
            device: "d".into(),
            sequence,
            cases,
        };
        let n =
            |m: &BTreeMap<Cell, BTreeSet<ItemId>>| m.get(&cell("torture")).map_or(0, |v| v.len());
        // Two people in a full bundle, one in the figures sealed after it.
        assert_eq!(
            n(&merge(
                [full(case, 1, &[a, b])],
                [snapshot(2, vec![figures(case, &[a])])]
            )),
            1
        );
        // The other way round: the full bundle is the later word.
        assert_eq!(
            n(&merge(
                [full(case, 3, &[a, b])],
                [snapshot(2, vec![figures(case, &[a])])]
            )),
            2
        );
        // Figures that leave a case out (its consent withdrawn, the case
        // deleted) say it counts no one, whatever an older bundle said.
        assert_eq!(
            n(&merge(
                [full(case, 1, &[a, b])],
                [snapshot(2, vec![figures(other, &[])])]
            )),
            0
        );
        // Only a device's latest figures count.
        assert_eq!(
            n(&merge(
                [],
                [
                    snapshot(5, vec![]),
                    snapshot(4, vec![figures(case, &[a, b])])
                ]
            )),
            0
        );
        // The same case id from another device is another case.
        let mut elsewhere = full(case, 1, &[b]);
        elsewhere.device = "e".into();
        assert_eq!(n(&merge([full(case, 2, &[a]), elsewhere], [])), 2);
        // A value that would break the CSV is not counted.
        let hostile = FigureCell {
            country: "TN".into(),
            quarter: "2024-Q1".into(),
            dimension: "violation".into(),
            value: "torture,9999\nXX".into(),
            victims: vec![a],
        };
        assert!(hostile.cell().is_none());
        for bad in [("T,", "2024-Q1"), ("TN", "2024-Q5"), ("tn", "2024-Q1")] {
            let c = Cell {
                country: bad.0.into(),
                quarter: bad.1.into(),
                ..cell("torture")
            };
            assert!(!well_formed(&c), "{bad:?}");
            assert!(merge(
                [Source {
                    cells: BTreeMap::from([(c, BTreeSet::from([a]))]),
                    ..full(case, 1, &[])
                }],
                []
            )
            .is_empty());
        }
        let religion = FigureCell {
            dimension: "religion".into(),
            ..hostile.clone()
        };
        assert!(religion.cell().is_none());
    }

    /// A random world: cases with people, some consenting for themselves
    /// (or not), some covered by a consent for the whole case, some of
    /// those withdrawn; violations naming some of the people and some of
    /// the case's perpetrators (two may share an institution).
    fn world() -> impl Strategy<Value = Vec<CaseRecords>> {
        let case = (
            1usize..12,
            prop::sample::select(vec!["TN", "EG", "MX"]),
            1u8..=12,
            prop::collection::vec((0u8..5, 0u8..3, any::<bool>()), 1..12),
            0u8..3,
        );
        prop::collection::vec(case, 1..10).prop_map(|cases| {
            cases
                .into_iter()
                .map(|(n_violations, country, month, people, whole)| {
                    let id = ItemId::random();
                    let mut c = Case::new("c");
                    c.country = Some(country.into());
                    c.incident_start = Some(PartialDate(format!("2024-{month:02}")));
                    let mut r = CaseRecords {
                        case_id: Some(id),
                        ..CaseRecords::default()
                    };
                    let ids: Vec<ItemId> = people.iter().map(|_| ItemId::random()).collect();
                    for ((own, vuln, victim_role), pid) in people.iter().zip(&ids) {
                        let mut p = Person::new("p");
                        if *vuln > 0 {
                            // A child (whose own consent needs a guardian and
                            // assent) or a woman.
                            p.vulnerabilities = vec![Vulnerability::ALL[*vuln as usize - 1]];
                        }
                        r.people.insert(*pid, p);
                        match own {
                            1 => r.consents.push(consent(
                                id,
                                Some(*pid),
                                vec![ConsentScope::AnonymisedStatistics],
                            )),
                            2 => r.consents.push(consent(
                                id,
                                Some(*pid),
                                vec![ConsentScope::ShareWithOmct],
                            )),
                            // A consent with a guardian's and the child's
                            // assent (only a child needs them).
                            3 => {
                                let mut c = consent(
                                    id,
                                    Some(*pid),
                                    vec![ConsentScope::AnonymisedStatistics],
                                );
                                c.guardian = Some("her mother".into());
                                c.child_assent = Some(true);
                                r.consents.push(c);
                            }
                            // Left out of the bundle: the desk has no
                            // record of them.
                            4 => {
                                r.people.remove(pid);
                            }
                            _ => {}
                        }
                        if *victim_role {
                            c.participants.push(Participant {
                                person: *pid,
                                role: Role::Victim,
                                note: None,
                            });
                        }
                    }
                    if whole > 0 {
                        let mut w = consent(id, None, vec![ConsentScope::AnonymisedStatistics]);
                        if whole == 2 {
                            w.withdrawal = Some(Withdrawal {
                                on: PartialDate("2024-02-01".into()),
                                scopes: vec![],
                                note: None,
                            });
                        }
                        r.consents.push(w);
                    }
                    let perpetrators: Vec<ItemId> = (0..3)
                        .map(|k| {
                            let pid = ItemId::random();
                            r.perpetrators.insert(
                                pid,
                                Perpetrator {
                                    case_id: id,
                                    kind: PerpetratorKind::ALL[0],
                                    name: None,
                                    unit: None,
                                    rank: None,
                                    institution: Institution::ALL[(k + usize::from(month)) % 2],
                                    involvement: Involvement::ALL[0],
                                    note: None,
                                },
                            );
                            pid
                        })
                        .collect();
                    // Three places of varied types; a violation names one,
                    // or none.
                    let places: Vec<ItemId> = (0..3)
                        .map(|k| {
                            let pid = ItemId::random();
                            let kind =
                                PlaceType::ALL[(k * 5 + usize::from(month)) % PlaceType::ALL.len()];
                            r.places.insert(
                                pid,
                                Place {
                                    case_id: Some(id),
                                    name: "p".into(),
                                    kind,
                                    authority: None,
                                    country: None,
                                    locality: None,
                                    coordinates: None,
                                    note: None,
                                },
                            );
                            pid
                        })
                        .collect();
                    for k in 0..n_violations {
                        r.violations.push(Violation {
                            case_id: id,
                            kind: ViolationType::ALL[k % ViolationType::ALL.len()],
                            methods: vec![],
                            victims: ids.iter().copied().skip(k % 3).step_by(1 + k % 2).collect(),
                            perpetrators: perpetrators.iter().copied().take(k % 4).collect(),
                            place: (k % 4 != 3).then(|| places[k % 3]),
                            start: None,
                            end: None,
                            description: None,
                        });
                    }
                    r.case = Some(c);
                    r
                })
                .collect()
        })
    }

    /// Whether person `p` of `r` may be counted, worked out from scratch.
    fn consented(r: &CaseRecords, p: ItemId) -> bool {
        let s = ConsentScope::AnonymisedStatistics;
        let child_ok = |c: &Consent| {
            let child = c
                .given_by
                .and_then(|g| r.people.get(&g))
                .is_some_and(|q| q.vulnerabilities.contains(&Vulnerability::Child));
            !child || (c.guardian.is_some() && c.child_assent == Some(true))
        };
        let case_ok = r.consents.iter().any(|c| c.covers(s) && child_ok(c))
            && !r
                .consents
                .iter()
                .any(|c| c.given_by.is_none() && c.scopes.contains(&s) && !c.covers(s));
        let Some(person) = r.people.get(&p) else {
            return false;
        };
        let child = person.vulnerabilities.contains(&Vulnerability::Child);
        let own: Vec<&Consent> = r
            .consents
            .iter()
            .filter(|c| c.given_by == Some(p))
            .collect();
        case_ok
            && (own.is_empty()
                || own.iter().any(|c| {
                    c.covers(s)
                        && (!child || (c.guardian.is_some() && c.child_assent == Some(true)))
                }))
    }

    proptest! {
        #[test]
        fn cells_count_only_consenting_victims_and_small_ones_are_hidden(cases in world()) {
            let cells = cells(&cases);
            // Brute force: every (case, violation, victim) and (case,
            // victim, vulnerability), consent checked from scratch.
            let mut expected: BTreeMap<Cell, BTreeSet<ItemId>> = BTreeMap::new();
            for r in &cases {
                let case = r.case.as_ref().unwrap();
                let q = quarter(case.incident_start.as_ref());
                let country = case.country.clone().unwrap();
                let mut all_victims = BTreeSet::new();
                for v in &r.violations {
                    for p in &v.victims {
                        all_victims.insert(*p);
                        if consented(r, *p) {
                            expected.entry(Cell { country: country.clone(), quarter: q.clone(), dimension: "violation", value: v.kind.code().into() }).or_default().insert(*p);
                            for x in &v.perpetrators {
                                let i = r.perpetrators[x].institution.code();
                                expected.entry(Cell { country: country.clone(), quarter: q.clone(), dimension: "institution", value: i.into() }).or_default().insert(*p);
                            }
                            // Custody worked out from the place's code alone.
                            if let Some(place) = v.place.map(|id| &r.places[&id]) {
                                let context = match place.kind.code() {
                                    "public_space" | "private_home" => Some("non_custodial"),
                                    "other" => None,
                                    _ => Some("custodial"),
                                };
                                if let Some(c) = context {
                                    expected.entry(Cell { country: country.clone(), quarter: q.clone(), dimension: "custodial_context", value: c.into() }).or_default().insert(*p);
                                }
                            }
                        }
                    }
                }
                for p in &case.participants {
                    if p.role == Role::Victim { all_victims.insert(p.person); }
                }
                for p in all_victims {
                    if !consented(r, p) { continue; }
                    for vu in &r.people[&p].vulnerabilities {
                        expected.entry(Cell { country: country.clone(), quarter: q.clone(), dimension: "vulnerability", value: vu.code().into() }).or_default().insert(p);
                    }
                }
            }
            prop_assert_eq!(&cells, &expected);
            // No one without consent in any cell.
            for victims in cells.values() {
                for p in victims {
                    let r = cases.iter().find(|r| r.people.contains_key(p)).unwrap();
                    prop_assert!(consented(r, *p));
                }
            }
            // No count under 5 is ever written.
            let text = csv(&cells);
            for line in text.lines().skip(1) {
                let fields: Vec<&str> = line.split(',').collect();
                prop_assert_eq!(fields.len(), 5);
                let n = fields[4];
                prop_assert!(n == "<5" || n.parse::<usize>().unwrap() >= SMALLEST_SHOWN, "{}", line);
                prop_assert!(fields.iter().all(|f| !f.contains('"') && !f.contains('\n')));
            }
        }

        /// A device's cases arriving at the desk as full bundles before or
        /// after its figures, or as figures alone, and cases counted by an
        /// old bundle but gone from the figures sealed since: each case is
        /// counted once, as the records the device holds count it.
        #[test]
        fn merged_figures_count_each_case_once(
            cases in world(),
            arrivals in prop::collection::vec(0u8..4, 10),
        ) {
            let how = |i: usize| arrivals[i % arrivals.len()];
            // At the figures' sealing, the cases of arrival 3 were gone.
            let kept: Vec<CaseRecords> = cases
                .iter()
                .enumerate()
                .filter(|(i, _)| how(*i) != 3)
                .map(|(_, r)| r.clone())
                .collect();
            // Through the format: serialised and read back.
            let sent = case_figures(&kept);
            let bytes = serde_json::to_vec(&sent).unwrap();
            let snapshot = Snapshot {
                device: "device".into(),
                sequence: 500,
                cases: serde_json::from_slice(&bytes).unwrap(),
            };
            let mut full = Vec::new();
            for (i, r) in cases.iter().enumerate() {
                let id = r.case_id.unwrap();
                let sequence = match how(i) {
                    0 | 3 => i as u64,
                    1 => 1000 + i as u64,
                    _ => continue,
                };
                full.push(Source::from_records("device", id, sequence, r));
            }
            prop_assert_eq!(merge(full, [snapshot]), cells(&kept));
        }
    }
}
