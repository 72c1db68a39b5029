//! The words of a document, in the interface's four languages: the same
//! translation files the app shows (`ui/src/i18n`), so that a field, a code
//! and a heading read the same on screen and on paper, and a missing
//! translation fails the interface's own test.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// A language a document can be drafted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Arabic (right to left).
    Ar,
}

impl Language {
    /// Every language.
    pub const ALL: [Language; 4] = [Language::En, Language::Fr, Language::Es, Language::Ar];

    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Ar => "ar",
        }
    }

    /// The language of a code (`en`, `fr`, `es`, `ar`).
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Whether it is written right to left.
    pub fn rtl(self) -> bool {
        self == Language::Ar
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../../ui/src/i18n/en.json"),
            Language::Fr => include_str!("../../ui/src/i18n/fr.json"),
            Language::Es => include_str!("../../ui/src/i18n/es.json"),
            Language::Ar => include_str!("../../ui/src/i18n/ar.json"),
        }
    }
}

type Table = HashMap<String, String>;

fn flatten(prefix: &str, v: &Value, out: &mut Table) {
    match v {
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        _ => {}
    }
}

fn table(lang: Language) -> &'static Table {
    static TABLES: OnceLock<HashMap<Language, Table>> = OnceLock::new();
    let all = TABLES.get_or_init(|| {
        Language::ALL
            .into_iter()
            .map(|l| {
                let mut t = Table::new();
                // The files are the app's own, checked by its tests; one
                // that does not parse leaves every key to English.
                if let Ok(v) = serde_json::from_str::<Value>(l.source()) {
                    flatten("", &v, &mut t);
                }
                (l, t)
            })
            .collect()
    });
    &all[&lang]
}

/// The text of `key` in `lang` (English when missing, the key itself when
/// English lacks it too), with each `{{name}}` replaced.
pub fn t(lang: Language, key: &str, vars: &[(&str, &str)]) -> String {
    let raw = table(lang)
        .get(key)
        .or_else(|| table(Language::En).get(key))
        .cloned()
        .unwrap_or_else(|| key.to_owned());
    let mut out = raw;
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

/// The label of a vocabulary code (`vocab.LIST.CODE`).
pub fn label(lang: Language, list: &str, code: &str) -> String {
    t(lang, &format!("vocab.{list}.{code}"), &[])
}

/// The label of a record's field (`field.KIND.FIELD`).
pub fn field(lang: Language, kind: &str, name: &str) -> String {
    t(lang, &format!("field.{kind}.{name}"), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field label the drafting asks for exists in English (a
    /// missing one would print its key, `field.KIND.NAME`, in a document).
    #[test]
    fn every_field_label_the_drafting_uses_exists() {
        let source = include_str!("draft.rs");
        let mut asked = 0;
        for piece in source.split("field(lang, ").skip(1) {
            let mut quoted = piece.split('"').skip(1).step_by(2);
            let (Some(kind), Some(name)) = (quoted.next(), quoted.next()) else {
                continue;
            };
            let key = format!("field.{kind}.{name}");
            assert!(
                table(Language::En).contains_key(&key),
                "{key} is not in ui/src/i18n/en.json"
            );
            asked += 1;
        }
        assert!(asked > 20, "{asked}");
    }

    #[test]
    fn every_language_has_the_dossier_words_and_fills_placeholders() {
        for lang in Language::ALL {
            let title = t(
                lang,
                "dossier.appeal.title",
                &[("country", "X"), ("act", "Y"), ("name", "Z")],
            );
            assert!(
                title.contains('X') && title.contains('Y') && title.contains('Z'),
                "{title}"
            );
            assert!(!title.contains("{{"), "{title}");
            assert_ne!(
                label(lang, "violation_type", "torture"),
                "vocab.violation_type.torture"
            );
        }
        assert_eq!(label(Language::Fr, "access", "denied"), "Refusé");
        assert_eq!(t(Language::Ar, "no.such.key", &[]), "no.such.key");
    }
}
