//! A testimony, under the interview and history headings of the Istanbul
//! Protocol.

use serde::{Deserialize, Serialize};

use super::*;
use crate::record::{
    check_date, check_list, check_long, check_short_opt, FieldError, ItemId, Kind, PartialDate,
    Record,
};

/// How, where and with whom an interview took place (Istanbul Protocol:
/// circumstances of the interview).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Interview {
    /// When the interview took place.
    #[serde(default)]
    pub date: Option<PartialDate>,
    /// Where it took place.
    #[serde(default)]
    pub place: Option<String>,
    /// Who conducted it.
    #[serde(default)]
    pub interviewer: Option<String>,
    /// Everyone else present (names or functions, e.g. "prison guard").
    #[serde(default)]
    pub people_present: Vec<String>,
    /// The interpreter, if any.
    #[serde(default)]
    pub interpreter: Option<String>,
    /// The language(s) of the interview.
    #[serde(default)]
    pub language: Option<String>,
    /// Privacy, safety and conditions of the interview: whether officials
    /// could see or hear, restraints, time allowed, interruptions.
    #[serde(default)]
    pub circumstances: Option<String>,
}

/// The history of detention and abuse, under the headings of the
/// Istanbul Protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Account {
    /// Background: the person's life, health and activities before the
    /// events (psychosocial history, pre-arrest).
    #[serde(default)]
    pub background: Option<String>,
    /// Circumstances of arrest and detention: when, by whom, how, what
    /// was said, whether family or a lawyer were told.
    #[serde(default)]
    pub arrest_and_detention: Option<String>,
    /// Places and conditions of detention, in order: transfers, cells,
    /// food, water, light, sanitation, contact with others.
    #[serde(default)]
    pub place_and_conditions: Option<String>,
    /// Methods of torture and ill-treatment alleged, coded.
    #[serde(default)]
    pub methods: Vec<Method>,
    /// Methods in the person's words: what, how often, how long, with what.
    #[serde(default)]
    pub methods_described: Option<String>,
    /// The perpetrators as the person describes them: number, uniforms,
    /// names, ranks, what they said.
    #[serde(default)]
    pub perpetrators_described: Option<String>,
    /// What happened after release (or transfer): treatment, threats,
    /// complaints made.
    #[serde(default)]
    pub after_release: Option<String>,
}

/// Physical and psychological complaints, acute and chronic (Istanbul
/// Protocol: symptoms and disabilities).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Complaints {
    /// Physical symptoms and injuries at the time of, and soon after, the
    /// abuse.
    #[serde(default)]
    pub physical_acute: Option<String>,
    /// Physical symptoms and disabilities that persist.
    #[serde(default)]
    pub physical_chronic: Option<String>,
    /// Psychological reactions at the time of, and soon after, the abuse.
    #[serde(default)]
    pub psychological_acute: Option<String>,
    /// Psychological symptoms that persist.
    #[serde(default)]
    pub psychological_chronic: Option<String>,
}

/// A testimony: one interview with one person, recorded under the
/// Istanbul Protocol headings, plus the account in the person's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Testimony {
    /// The case it belongs to.
    pub case_id: ItemId,
    /// The person who gave it (a [`Person`] record), if recorded.
    #[serde(default)]
    pub witness: Option<ItemId>,
    /// The circumstances of the interview.
    #[serde(default)]
    pub interview: Interview,
    /// The history of detention and abuse.
    #[serde(default)]
    pub account: Account,
    /// Physical and psychological complaints.
    #[serde(default)]
    pub complaints: Complaints,
    /// The testimony as told, in the person's words where possible.
    pub narrative: String,
}

impl Testimony {
    /// A new testimony in this case with this narrative and nothing else.
    pub fn new(case_id: ItemId, narrative: impl Into<String>) -> Testimony {
        Testimony {
            case_id,
            witness: None,
            interview: Interview::default(),
            account: Account::default(),
            complaints: Complaints::default(),
            narrative: narrative.into(),
        }
    }
}

impl Record for Testimony {
    const KIND: Kind = Kind::Testimony;
    const SCHEMA: u16 = 1;

    fn validate(&self) -> Result<(), FieldError> {
        let i = &self.interview;
        check_date("interview.date", &i.date)?;
        check_short_opt("interview.place", i.place.as_deref())?;
        check_short_opt("interview.interviewer", i.interviewer.as_deref())?;
        check_short_list("interview.people_present", &i.people_present)?;
        check_short_opt("interview.interpreter", i.interpreter.as_deref())?;
        check_short_opt("interview.language", i.language.as_deref())?;
        check_long_opt("interview.circumstances", &i.circumstances)?;

        let a = &self.account;
        check_long_opt("account.background", &a.background)?;
        check_long_opt("account.arrest_and_detention", &a.arrest_and_detention)?;
        check_long_opt("account.place_and_conditions", &a.place_and_conditions)?;
        check_list("account.methods", &a.methods)?;
        check_unique("account.methods", &a.methods)?;
        check_long_opt("account.methods_described", &a.methods_described)?;
        check_long_opt("account.perpetrators_described", &a.perpetrators_described)?;
        check_long_opt("account.after_release", &a.after_release)?;

        let c = &self.complaints;
        check_long_opt("complaints.physical_acute", &c.physical_acute)?;
        check_long_opt("complaints.physical_chronic", &c.physical_chronic)?;
        check_long_opt("complaints.psychological_acute", &c.psychological_acute)?;
        check_long_opt("complaints.psychological_chronic", &c.psychological_chronic)?;

        check_long("narrative", &self.narrative)
    }

    fn case_id(&self) -> Option<ItemId> {
        Some(self.case_id)
    }

    fn index_text(&self, out: &mut String) {
        push_text(out, &self.narrative);

        let a = &self.account;
        push_opt(out, &a.background);
        push_opt(out, &a.arrest_and_detention);
        push_opt(out, &a.place_and_conditions);
        push_opt(out, &a.methods_described);
        push_opt(out, &a.perpetrators_described);
        push_opt(out, &a.after_release);

        let c = &self.complaints;
        push_opt(out, &c.physical_acute);
        push_opt(out, &c.physical_chronic);
        push_opt(out, &c.psychological_acute);
        push_opt(out, &c.psychological_chronic);

        let i = &self.interview;
        push_opt(out, &i.place);
        push_opt(out, &i.interviewer);
        push_all(out, &i.people_present);
        push_opt(out, &i.interpreter);
        push_opt(out, &i.language);
        push_opt(out, &i.circumstances);
    }
}
