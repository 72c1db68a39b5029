//! Model test: random sequences of create, edit, delete, lock/unlock and
//! passphrase changes, run against the vault and against a plain in-memory
//! model. After every reopen the vault must equal the model: the same items,
//! the same latest records, the same histories, a custody log that verifies,
//! and a search index that finds what the model says it should.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use temoin_vault::case::{Case, Testimony};
use temoin_vault::{ItemId, KdfChoice, Kind, Passphrase, Vault};

#[derive(Clone, Debug)]
enum Op {
    NewCase(String),
    EditCase(usize, String),
    NewTestimony(usize, String),
    EditTestimony(usize, String),
    Delete(usize),
    Reopen,
    ChangePassphrase,
}

fn word() -> impl Strategy<Value = String> {
    // Accents and Arabic on purpose: the index normalises them.
    prop::sample::select(vec![
        "détention",
        "police",
        "prison",
        "témoin",
        "سجن",
        "Tunis",
        "garde",
        "visite",
    ])
    .prop_map(str::to_owned)
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..4).prop_map(|w| w.join(" "))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => text().prop_map(Op::NewCase),
        2 => (any::<usize>(), text()).prop_map(|(i, t)| Op::EditCase(i, t)),
        3 => (any::<usize>(), text()).prop_map(|(i, t)| Op::NewTestimony(i, t)),
        2 => (any::<usize>(), text()).prop_map(|(i, t)| Op::EditTestimony(i, t)),
        1 => any::<usize>().prop_map(Op::Delete),
        2 => Just(Op::Reopen),
        1 => Just(Op::ChangePassphrase),
    ]
}

#[derive(Clone, Debug, Default)]
struct Model {
    cases: BTreeMap<ItemId, Vec<Case>>,
    testimonies: BTreeMap<ItemId, Vec<Testimony>>,
}

fn pick<T>(map: &BTreeMap<ItemId, T>, i: usize) -> Option<ItemId> {
    if map.is_empty() {
        None
    } else {
        map.keys().nth(i % map.len()).copied()
    }
}

fn check(vault: &Vault, model: &Model) {
    let mut cases = vault.list(Kind::Case);
    cases.sort();
    assert_eq!(cases, model.cases.keys().copied().collect::<Vec<_>>());
    let mut testimonies = vault.list(Kind::Testimony);
    testimonies.sort();
    assert_eq!(
        testimonies,
        model.testimonies.keys().copied().collect::<Vec<_>>()
    );
    for (id, history) in &model.cases {
        let stored = vault.history::<Case>(*id).unwrap();
        let records: Vec<Case> = stored.into_iter().map(|s| s.record).collect();
        assert_eq!(&records, history);
    }
    for (id, history) in &model.testimonies {
        let stored = vault.history::<Testimony>(*id).unwrap();
        let records: Vec<Testimony> = stored.into_iter().map(|s| s.record).collect();
        assert_eq!(&records, history);
        assert_eq!(
            vault.require::<Testimony>(*id).unwrap().record,
            *history.last().unwrap()
        );
    }
    // Search agrees with a naive scan of the model.
    for probe in ["police", "détention", "DETENTION", "سجن", "tunis garde"] {
        let mut expected: Vec<ItemId> = model
            .cases
            .iter()
            .filter(|(_, h)| contains_all(&h.last().unwrap().title, probe))
            .map(|(id, _)| *id)
            .chain(
                model
                    .testimonies
                    .iter()
                    .filter(|(_, h)| contains_all(&h.last().unwrap().narrative, probe))
                    .map(|(id, _)| *id),
            )
            .collect();
        expected.sort();
        let mut found: Vec<ItemId> = vault.search(probe, 10_000).iter().map(|h| h.id).collect();
        found.sort();
        assert_eq!(found, expected, "search {probe:?}");
    }
    let report = vault.verify().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// What the index promises, written naively: every word, lower-cased and
/// without accents, appears.
fn contains_all(text: &str, query: &str) -> bool {
    let fold = |s: &str| s.to_lowercase().replace('é', "e");
    let text = fold(text);
    query.split_whitespace().all(|w| text.contains(&fold(w)))
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("v");
    let mut passphrase = "first passphrase".to_owned();
    let mut vault = Vault::create(
        &vdir,
        &Passphrase::from(passphrase.as_str()),
        KdfChoice::Minimum,
    )
    .unwrap();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::NewCase(title) => {
                let case = Case::new(title);
                let id = vault.add(&case).unwrap();
                model.cases.insert(id, vec![case]);
            }
            Op::EditCase(i, title) => {
                if let Some(id) = pick(&model.cases, i) {
                    let mut case = model.cases[&id].last().unwrap().clone();
                    case.title = title;
                    let rev = vault.update(id, &case).unwrap();
                    let history = model.cases.get_mut(&id).unwrap();
                    history.push(case);
                    assert_eq!(rev as usize, history.len() - 1);
                }
            }
            Op::NewTestimony(i, narrative) => {
                if let Some(case) = pick(&model.cases, i) {
                    let t = Testimony::new(case, narrative);
                    let id = vault.add(&t).unwrap();
                    model.testimonies.insert(id, vec![t]);
                }
            }
            Op::EditTestimony(i, narrative) => {
                if let Some(id) = pick(&model.testimonies, i) {
                    let mut t = model.testimonies[&id].last().unwrap().clone();
                    t.narrative = narrative;
                    vault.update(id, &t).unwrap();
                    model.testimonies.get_mut(&id).unwrap().push(t);
                }
            }
            Op::Delete(i) => {
                let all: Vec<ItemId> = model
                    .cases
                    .keys()
                    .chain(model.testimonies.keys())
                    .copied()
                    .collect();
                if !all.is_empty() {
                    let id = all[i % all.len()];
                    assert!(vault.delete(id).unwrap());
                    if model.cases.remove(&id).is_some() {
                        model
                            .testimonies
                            .retain(|_, h| h.last().unwrap().case_id != id);
                    }
                    model.testimonies.remove(&id);
                }
            }
            Op::Reopen => {
                vault.lock();
                vault = Vault::unlock(&vdir, &Passphrase::from(passphrase.as_str())).unwrap();
                check(&vault, &model);
            }
            Op::ChangePassphrase => {
                let new = format!("{passphrase}+");
                vault
                    .change_passphrase(
                        &Passphrase::from(passphrase.as_str()),
                        &Passphrase::from(new.as_str()),
                        KdfChoice::Minimum,
                    )
                    .unwrap();
                passphrase = new;
            }
        }
    }
    vault.lock();
    let vault = Vault::unlock(&vdir, &Passphrase::from(passphrase.as_str())).unwrap();
    check(&vault, &model);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn the_vault_equals_the_model_after_every_reopen(ops in prop::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
