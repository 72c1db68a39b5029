//! The records of a case other than the case itself, consents and evidence
//! (which have commands of their own): added, replaced, shown and listed
//! as JSON, read from a file or standard input so that no value appears in
//! the process list or the shell's history.

use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use crate::cli::{Cli, RecordCommand, RecordKindArg};
use crate::{parse_id, print_json, unlock};
use temoin_vault::case::{
    Assistance, Case, Consent, Detention, FollowUp, Participant, Perpetrator, Person, Place,
    Proceeding, Testimony, Violation,
};
use temoin_vault::record::limits;
use temoin_vault::{ItemId, Kind, Record, Vault};

impl RecordKindArg {
    fn kind(self) -> Kind {
        match self {
            RecordKindArg::Person => Kind::Person,
            RecordKindArg::Testimony => Kind::Testimony,
            RecordKindArg::Violation => Kind::Violation,
            RecordKindArg::Place => Kind::Place,
            RecordKindArg::Perpetrator => Kind::Perpetrator,
            RecordKindArg::FollowUp => Kind::FollowUp,
            RecordKindArg::Consent => Kind::Consent,
            RecordKindArg::Detention => Kind::Detention,
            RecordKindArg::Proceeding => Kind::Proceeding,
            RecordKindArg::Assistance => Kind::Assistance,
        }
    }
}

/// The JSON of a record from FILE (`-`: standard input), at most the size
/// of a record.
fn read_json(file: &Path) -> Result<serde_json::Value> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    let limit = limits::RECORD as u64;
    let read = if file == Path::new("-") {
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("cannot read {}", file.display()))?
            .take(limit + 1)
            .read_to_end(&mut bytes)
    };
    read.with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{} is larger than a record may be ({} MiB)",
            file.display(),
            limit / (1024 * 1024)
        );
    }
    // The parser's message can quote the input: say where, not what.
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow!(
            "{} is not JSON ({:?} error at line {}, column {})",
            file.display(),
            e.classify(),
            e.line(),
            e.column()
        )
    })
}

/// The record of `value`, with its case set to `case` when its kind
/// belongs to a case. Names the field a value does not fit, not the value.
fn decode<R: Record + DeserializeOwned>(
    mut value: serde_json::Value,
    case: Option<ItemId>,
) -> Result<R> {
    if let (Some(case), Some(obj)) = (case, value.as_object_mut()) {
        if R::KIND != Kind::Person {
            obj.insert("case_id".into(), json!(case));
        }
    }
    serde_json::from_value(value).map_err(|e| {
        // serde_json's data errors can quote the value; keep only what
        // names the field or the expected form.
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or("");
        if text.starts_with("missing field") {
            anyhow!("the {} record lacks the field `{field}`", R::KIND.name())
        } else if text.starts_with("unknown variant") {
            anyhow!(
                "a code in the {} record is not one of its vocabulary's (see docs/case-model.md)",
                R::KIND.name()
            )
        } else {
            anyhow!(
                "the {} record does not have the shape docs/case-model.md gives it (a field of \
                 the wrong type, or an unknown one)",
                R::KIND.name()
            )
        }
    })
}

fn add_one<R: Record + DeserializeOwned>(
    v: &mut Vault,
    value: serde_json::Value,
    case: ItemId,
) -> Result<ItemId> {
    let r: R = decode(value, Some(case))?;
    Ok(v.add(&r)?)
}

fn replace_one<R: Record + DeserializeOwned>(
    v: &mut Vault,
    id: ItemId,
    value: serde_json::Value,
) -> Result<u32> {
    let case = v.require::<R>(id)?.record.case_id();
    let r: R = decode(value, case)?;
    Ok(v.update(id, &r)?)
}

fn show_one<R: Record + Serialize>(v: &Vault, id: ItemId) -> Result<serde_json::Value> {
    let s = v.require::<R>(id)?;
    Ok(json!({
        "id": s.id,
        "kind": R::KIND.name(),
        "revision": s.revision,
        "record": s.record,
    }))
}

macro_rules! by_kind {
    ($kind:expr, $f:ident, $($arg:expr),*) => {
        match $kind {
            Kind::Case => $f::<Case>($($arg),*),
            Kind::Person => $f::<Person>($($arg),*),
            Kind::Testimony => $f::<Testimony>($($arg),*),
            Kind::Violation => $f::<Violation>($($arg),*),
            Kind::Place => $f::<Place>($($arg),*),
            Kind::Perpetrator => $f::<Perpetrator>($($arg),*),
            Kind::FollowUp => $f::<FollowUp>($($arg),*),
            Kind::Consent => $f::<Consent>($($arg),*),
            Kind::Detention => $f::<Detention>($($arg),*),
            Kind::Proceeding => $f::<Proceeding>($($arg),*),
            Kind::Assistance => $f::<Assistance>($($arg),*),
            other => Err(anyhow!("{} records are not handled by `temoin record`", other.name())),
        }
    };
}

/// The kind of a stored item, for `show` and `replace`.
fn kind_of(v: &Vault, id: ItemId) -> Result<Kind> {
    v.kind_of(id)
        .ok_or_else(|| anyhow!("no item {id} in this vault"))
}

pub fn run(cli: &Cli, c: &RecordCommand) -> Result<()> {
    match c {
        RecordCommand::Add {
            case_id,
            kind,
            file,
            role,
        } => {
            let case = parse_id(case_id)?;
            let value = read_json(file)?;
            let mut v = unlock(cli)?;
            let mut record = v.require::<Case>(case)?.record;
            let kind = kind.kind();
            let id = by_kind!(kind, add_one, &mut v, value, case)?;
            if kind == Kind::Person {
                // A person joins the case in a role (victim unless told).
                let role = role.unwrap_or(temoin_vault::case::Role::Victim);
                record.participants.push(Participant {
                    person: id,
                    role,
                    note: None,
                });
                v.update(case, &record)?;
            } else if role.is_some() {
                bail!("--role is for a person only; the record was added without it ({id})");
            }
            if cli.json {
                print_json(&json!({ "id": id, "kind": kind.name() }))?;
            } else {
                println!("{id}");
            }
        }
        RecordCommand::Replace { id, file } => {
            let id = parse_id(id)?;
            let value = read_json(file)?;
            let mut v = unlock(cli)?;
            let kind = kind_of(&v, id)?;
            let revision = by_kind!(kind, replace_one, &mut v, id, value)?;
            if cli.json {
                print_json(&json!({ "id": id, "revision": revision }))?;
            } else {
                println!("{} {id} replaced (revision {revision}).", kind.name());
            }
        }
        RecordCommand::Show { id } => {
            let id = parse_id(id)?;
            let v = unlock(cli)?;
            let kind = kind_of(&v, id)?;
            print_json(&by_kind!(kind, show_one, &v, id)?)?;
        }
        RecordCommand::List { case_id, kind } => {
            let case = parse_id(case_id)?;
            let v = unlock(cli)?;
            v.require::<Case>(case)?;
            let kinds: Vec<Kind> = match kind {
                Some(k) => vec![k.kind()],
                None => vec![
                    Kind::Testimony,
                    Kind::Violation,
                    Kind::Place,
                    Kind::Perpetrator,
                    Kind::FollowUp,
                    Kind::Consent,
                    Kind::Detention,
                    Kind::Proceeding,
                    Kind::Assistance,
                ],
            };
            let mut rows = Vec::new();
            for k in kinds {
                let mut ids = if k == Kind::Person {
                    v.require::<Case>(case)?
                        .record
                        .participants
                        .iter()
                        .map(|p| p.person)
                        .collect()
                } else {
                    v.list_in_case(case, k)
                };
                ids.sort();
                ids.dedup();
                for id in ids {
                    rows.push(by_kind!(k, show_one, &v, id)?);
                }
            }
            if cli.json {
                print_json(&json!(rows))?;
            } else if rows.is_empty() {
                println!("No such records in this case.");
            } else {
                for r in rows {
                    println!(
                        "{}  {}  revision {}",
                        r["id"].as_str().unwrap_or(""),
                        r["kind"].as_str().unwrap_or(""),
                        r["revision"]
                    );
                }
            }
        }
    }
    Ok(())
}
