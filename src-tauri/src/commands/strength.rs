//! How strong a new passphrase is, as zxcvbn judges it, in codes the
//! interface translates.

use serde::Serialize;
use specta::Type;
use zeroize::Zeroizing;
use zxcvbn::feedback::{Suggestion, Warning};

use crate::error::AppError;

/// The lowest zxcvbn score (0 to 4) accepted for a new vault's passphrase.
pub const MIN_SCORE: u8 = 3;

#[derive(Clone, Debug, Serialize, Type)]
pub struct Strength {
    /// 0 (guessed at once) to 4 (very hard to guess).
    pub score: u8,
    pub guesses_log10: f64,
    /// A code for the main weakness, if any (`zxcvbn`'s warning).
    pub warning: Option<String>,
    /// Codes of suggestions.
    pub suggestions: Vec<String>,
}

/// The code the interface translates for a zxcvbn warning. Written out
/// (not derived from the variant's name) so that a renamed variant in a
/// new zxcvbn fails to compile here instead of silently changing a code.
fn warning_code(w: Warning) -> &'static str {
    match w {
        Warning::StraightRowsOfKeysAreEasyToGuess => "straight_rows_of_keys_are_easy_to_guess",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "short_keyboard_patterns_are_easy_to_guess",
        Warning::RepeatsLikeAaaAreEasyToGuess => "repeats_like_aaa_are_easy_to_guess",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "repeats_like_abc_abc_are_only_slightly_harder_to_guess"
        }
        Warning::ThisIsATop10Password => "this_is_a_top10_password",
        Warning::ThisIsATop100Password => "this_is_a_top100_password",
        Warning::ThisIsACommonPassword => "this_is_a_common_password",
        Warning::ThisIsSimilarToACommonlyUsedPassword => {
            "this_is_similar_to_a_commonly_used_password"
        }
        Warning::SequencesLikeAbcAreEasyToGuess => "sequences_like_abc_are_easy_to_guess",
        Warning::RecentYearsAreEasyToGuess => "recent_years_are_easy_to_guess",
        Warning::AWordByItselfIsEasyToGuess => "a_word_by_itself_is_easy_to_guess",
        Warning::DatesAreOftenEasyToGuess => "dates_are_often_easy_to_guess",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => {
            "names_and_surnames_by_themselves_are_easy_to_guess"
        }
        Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            "common_names_and_surnames_are_easy_to_guess"
        }
    }
}

/// The code the interface translates for a zxcvbn suggestion.
fn suggestion_code(s: Suggestion) -> &'static str {
    match s {
        Suggestion::UseAFewWordsAvoidCommonPhrases => "use_a_few_words_avoid_common_phrases",
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => {
            "no_need_for_symbols_digits_or_uppercase_letters"
        }
        Suggestion::AddAnotherWordOrTwo => "add_another_word_or_two",
        Suggestion::CapitalizationDoesntHelpVeryMuch => "capitalization_doesnt_help_very_much",
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => {
            "all_uppercase_is_almost_as_easy_to_guess_as_all_lowercase"
        }
        Suggestion::ReversedWordsArentMuchHarderToGuess => {
            "reversed_words_arent_much_harder_to_guess"
        }
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => {
            "predictable_substitutions_dont_help_very_much"
        }
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => {
            "use_a_longer_keyboard_pattern_with_more_turns"
        }
        Suggestion::AvoidRepeatedWordsAndCharacters => "avoid_repeated_words_and_characters",
        Suggestion::AvoidSequences => "avoid_sequences",
        Suggestion::AvoidRecentYears => "avoid_recent_years",
        Suggestion::AvoidYearsThatAreAssociatedWithYou => {
            "avoid_years_that_are_associated_with_you"
        }
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => {
            "avoid_dates_and_years_that_are_associated_with_you"
        }
    }
}

pub(crate) fn strength_of(passphrase: &str) -> Strength {
    // zxcvbn: the estimator password managers use; it knows dictionaries,
    // keyboard patterns and dates, which a length rule does not.
    let e = zxcvbn::zxcvbn(passphrase, &["temoin", "omct"]);
    let feedback = e.feedback();
    Strength {
        score: u8::from(e.score()),
        guesses_log10: e.guesses_log10(),
        warning: feedback
            .and_then(|f| f.warning())
            .map(|w| warning_code(w).to_owned()),
        suggestions: feedback
            .map(|f| {
                f.suggestions()
                    .iter()
                    .map(|s| suggestion_code(*s).to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn passphrase_strength(passphrase: String) -> Result<Strength, AppError> {
    let passphrase = Zeroizing::new(passphrase);
    Ok(strength_of(&passphrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_codes_are_snake_case_and_scores_follow_guessability() {
        let weak = strength_of("password1");
        assert!(weak.score < MIN_SCORE);
        assert!(weak
            .warning
            .as_deref()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        let strong = strength_of("correct horse battery staple orbit lantern");
        assert!(strong.score >= MIN_SCORE);
        assert!(strong.guesses_log10 > weak.guesses_log10);
    }

    #[test]
    fn feedback_codes_are_the_ones_the_interface_translates() {
        let en = include_str!("../../../ui/src/i18n/en.json");
        for code in [
            warning_code(Warning::ThisIsATop10Password),
            warning_code(Warning::StraightRowsOfKeysAreEasyToGuess),
            suggestion_code(Suggestion::UseAFewWordsAvoidCommonPhrases),
            suggestion_code(Suggestion::AddAnotherWordOrTwo),
        ] {
            assert!(
                en.contains(&format!("\"{code}\"")),
                "{code} has no English text"
            );
        }
        assert_eq!(
            warning_code(Warning::ThisIsATop10Password),
            "this_is_a_top10_password"
        );
    }
}
