//! Country names in the document's language, from CLDR (through ICU4X's
//! compiled data): what a title such as "Tunisia: ..." needs, in every
//! language, without a hand-kept list.

use icu_experimental::displaynames::{DisplayNamesOptions, RegionDisplayNames};
use icu_locale_core::subtags::Region;
use icu_locale_core::Locale;

use crate::text::Language;

/// The name of the country with ISO 3166-1 alpha-2 code `code` in `lang`,
/// if CLDR knows it.
pub fn name(code: &str, lang: Language) -> Option<String> {
    let region: Region = code.parse().ok()?;
    let locale: Locale = lang.code().parse().ok()?;
    let names = RegionDisplayNames::try_new(locale.into(), DisplayNamesOptions::default()).ok()?;
    names.of(region).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_each_language() {
        assert_eq!(name("TN", Language::En).as_deref(), Some("Tunisia"));
        assert_eq!(name("TN", Language::Fr).as_deref(), Some("Tunisie"));
        assert_eq!(name("MX", Language::Es).as_deref(), Some("México"));
        assert_eq!(name("EG", Language::Ar).as_deref(), Some("مصر"));
        assert_eq!(name("ZZZ", Language::En), None);
        assert_eq!(name("", Language::En), None);
    }
}
