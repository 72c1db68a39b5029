//! Validation and search-text helpers shared by the records.

use std::collections::BTreeSet;

use crate::record::{check_list, check_long, check_short, FieldError, PartialDate};

pub(crate) fn check_long_opt(
    field: &'static str,
    value: &Option<String>,
) -> Result<(), FieldError> {
    match value {
        Some(v) => check_long(field, v),
        None => Ok(()),
    }
}

/// A list of short texts: bounded length, each entry non-blank and short.
pub(crate) fn check_short_list(field: &'static str, list: &[String]) -> Result<(), FieldError> {
    check_list(field, list)?;
    list.iter().try_for_each(|v| check_short(field, v))
}

/// A list with no entry twice. Repeats would count one victim, method or
/// scope twice.
pub(crate) fn check_unique<T: Ord>(field: &'static str, list: &[T]) -> Result<(), FieldError> {
    let mut seen = BTreeSet::new();
    if list.iter().all(|v| seen.insert(v)) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "lists the same entry more than once",
        ))
    }
}

/// ISO 3166-1 alpha-2. Only the form is checked: a code list would need
/// updating as countries change, and the form is what makes counting work.
pub(crate) fn check_country(field: &'static str, value: &Option<String>) -> Result<(), FieldError> {
    match value {
        Some(c) if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) => {
            Err(FieldError::new(
                field,
                "is not a two-letter country code (ISO 3166-1 alpha-2 in capitals, such as TN)",
            ))
        }
        _ => Ok(()),
    }
}

/// Checks that `start` does not come after `end`. Partial dates are
/// compared at the precision both have (`2023-05` against `2023` compares
/// years only), so a range is never rejected for precision it lacks. The
/// dates must already have been checked.
pub(crate) fn check_order(
    field: &'static str,
    start: Option<&PartialDate>,
    end: Option<&PartialDate>,
    problem: &'static str,
) -> Result<(), FieldError> {
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(());
    };
    let n = start.0.len().min(end.0.len());
    match (start.0.get(..n), end.0.get(..n)) {
        (Some(s), Some(e)) if s > e => Err(FieldError::new(field, problem)),
        _ => Ok(()),
    }
}

pub(crate) const ENDS_BEFORE_START: &str = "is before the start date";

pub(crate) fn check_sha256(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "is not a SHA-256 digest (64 lower-case hexadecimal digits)",
        ))
    }
}

/// `type/subtype`, each an RFC 6838 restricted name (at most 127
/// characters, starting with a letter or digit). No parameters.
pub(crate) fn check_media_type(field: &'static str, value: &str) -> Result<(), FieldError> {
    let restricted_name = |s: &str| {
        s.len() <= 127
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match value.split_once('/') {
        Some((t, s)) if restricted_name(t) && restricted_name(s) => Ok(()),
        _ => Err(FieldError::new(
            field,
            "is not a media type of the form type/subtype (such as image/jpeg)",
        )),
    }
}

pub(crate) fn push_text(out: &mut String, text: &str) {
    if !text.trim().is_empty() {
        out.push_str(text);
        out.push('\n');
    }
}

pub(crate) fn push_opt(out: &mut String, text: &Option<String>) {
    if let Some(t) = text {
        push_text(out, t);
    }
}

pub(crate) fn push_all(out: &mut String, texts: &[String]) {
    for t in texts {
        push_text(out, t);
    }
}
