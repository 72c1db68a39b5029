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

use crate::case::{Case, Consent, ConsentScope, Perpetrator, Person, Place, Role, Violation};
use crate::record::{ItemId, PartialDate};

/// Cells with fewer victims than this are written `<5`.
pub const SMALLEST_SHOWN: usize = 5;

/// One case's records, as the counting needs them.
#[derive(Clone, Debug, Default)]
pub struct CaseRecords {
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
                    let mut r = CaseRecords::default();
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
    }
}
