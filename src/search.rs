//! What the search box's text means, and the forgiving parts of patient
//! search the platform is not asked for: ID-number fragments next to a
//! name or birth date, and the pinyin forms of Chinese names by which the
//! local cache finds a patient. Pure.

use pinyin::{ToPinyin, ToPinyinMulti};
use serde_json::Value;

use crate::fhir::{is_cjk, str_field};
use crate::mask::ops::is_real_date;
use crate::view::PatientSummary;

/// Rows shown at most; more matches than this ask the doctor to narrow.
pub(crate) const SHOWN: usize = 20;

/// A search box entry: any of a name (characters or pinyin), a birth date
/// (or year), an identifier or a fragment of one, in any order
/// (`张伟 1965`, `zhang 2252`, `110105196503152252`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PatientQuery {
    pub(crate) name: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub(crate) birth: Option<String>,
    pub(crate) identifier: Option<String>,
}

impl PatientQuery {
    /// `None` when there is nothing to search for.
    pub(crate) fn parse(input: &str) -> Option<Self> {
        let mut query = PatientQuery::default();
        let mut words: Vec<&str> = Vec::new();
        for token in input
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
            .filter(|t| !t.is_empty())
        {
            if query.birth.is_none() {
                if let Some(date) = birth_date(token) {
                    query.birth = Some(date);
                    continue;
                }
            }
            let id_like = token.chars().any(|c| c.is_ascii_digit())
                && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if id_like && query.identifier.is_none() {
                query.identifier = Some(token.to_owned());
            } else {
                words.push(token);
            }
        }
        if !words.is_empty() {
            query.name = Some(words.join(" "));
        }
        (query != PatientQuery::default()).then_some(query)
    }

    /// The identifier goes to the platform only alone: next to a name or a
    /// birth date it may be a fragment, which FHIR's exact token search
    /// cannot match, so it narrows the platform's answer here instead.
    pub(crate) fn identifier_for_platform(&self) -> Option<&str> {
        self.identifier
            .as_deref()
            .filter(|_| self.name.is_none() && self.birth.is_none())
    }

    /// Whether the answer must be narrowed here (see
    /// [`Self::identifier_for_platform`]).
    pub(crate) fn narrows_locally(&self) -> bool {
        self.identifier.is_some() && self.identifier_for_platform().is_none()
    }

    /// Whether a search row fits the parts of the query the platform was
    /// not asked: an identifier containing the fragment *as the doctor sees
    /// it*. Digits masked for their tier never match, so a fragment cannot
    /// probe what the tier hides.
    pub(crate) fn keeps(&self, row: &PatientSummary) -> bool {
        let Some(fragment) = self
            .identifier
            .as_deref()
            .filter(|_| self.narrows_locally())
        else {
            return true;
        };
        let fragment = fragment.to_ascii_lowercase();
        row.identifiers
            .iter()
            .any(|i| i.value.to_ascii_lowercase().contains(&fragment))
    }

    /// Whether a cached patient was born when the query says (the cache
    /// finds by name or identifier; as on the platform, the birth date is
    /// compared whole).
    pub(crate) fn born_as_asked(&self, patient: &Value) -> bool {
        let birth_fits = self.birth.as_deref().is_none_or(|wanted| {
            str_field(patient, "birthDate").is_some_and(|b| {
                b.starts_with(wanted)
                    && (b.len() == wanted.len() || b.as_bytes()[wanted.len()] == b'-')
            })
        });
        birth_fits
    }
}

/// A birth date as typed (`1965-03-15`, `1965/3/15`, `1965.03.15`,
/// `19650315`, `1965-03`, `1965`) in FHIR's form; years 1900–2100 only, so
/// that an ID fragment such as `2252` stays one.
fn birth_date(token: &str) -> Option<String> {
    let year_ok = |y: u32| (1900..=2100).contains(&y);
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if token.len() == 8 && digits(token) {
        let (y, m, d) = (
            token[..4].parse().ok()?,
            token[4..6].parse().ok()?,
            token[6..].parse().ok()?,
        );
        return (year_ok(y) && is_real_date(y, m, d)).then(|| format!("{y:04}-{m:02}-{d:02}"));
    }
    let parts: Vec<&str> = token.split(['-', '/', '.']).collect();
    if !parts.iter().all(|p| digits(p)) || parts[0].len() != 4 {
        return None;
    }
    let numbers: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match numbers[..] {
        [y] if year_ok(y) => Some(format!("{y:04}")),
        [y, m] if year_ok(y) && (1..=12).contains(&m) && parts[1].len() <= 2 => {
            Some(format!("{y:04}-{m:02}"))
        }
        [y, m, d]
            if year_ok(y)
                && parts[1].len() <= 2
                && parts[2].len() <= 2
                && is_real_date(y, m, d) =>
        {
            Some(format!("{y:04}-{m:02}-{d:02}"))
        }
        _ => None,
    }
}

/// Readings tried per name at most: heteronyms multiply them.
const MAX_READINGS: usize = 8;

/// The pinyin forms a doctor may type for a name written in Chinese
/// characters: syllables joined (`zhangwei`) and initials (`zw`), for each
/// reading of its heteronyms (up to [`MAX_READINGS`]). Empty for a name
/// without Chinese characters. (Searches try their text without spaces
/// too, so `zhang wei` finds `zhangwei`.)
pub(crate) fn pinyin_forms(name: &str) -> Vec<String> {
    if !name.chars().any(is_cjk) {
        return Vec::new();
    }
    // Each character's readings; characters without one (a Latin letter, a
    // middle dot) stand for themselves.
    let mut readings: Vec<Vec<String>> = vec![Vec::new()];
    for c in name.chars().filter(|c| !c.is_whitespace() && *c != '·') {
        let options: Vec<String> = match c.to_pinyin_multi() {
            Some(multi) => multi.into_iter().map(|p| p.plain().to_owned()).collect(),
            None => match c.to_pinyin() {
                Some(p) => vec![p.plain().to_owned()],
                None => vec![c.to_lowercase().collect()],
            },
        };
        let mut next = Vec::new();
        'grow: for prefix in &readings {
            for option in &options {
                if next.len() == MAX_READINGS {
                    break 'grow;
                }
                let mut reading = prefix.clone();
                reading.push(option.clone());
                next.push(reading);
            }
        }
        readings = next;
    }
    let mut forms = Vec::new();
    for syllables in readings {
        forms.push(syllables.concat());
        forms.push(syllables.iter().filter_map(|s| s.chars().next()).collect());
    }
    forms.dedup();
    let mut seen = std::collections::HashSet::new();
    forms.retain(|f| seen.insert(f.clone()));
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(
        name: Option<&str>,
        birth: Option<&str>,
        identifier: Option<&str>,
    ) -> Option<PatientQuery> {
        Some(PatientQuery {
            name: name.map(str::to_owned),
            birth: birth.map(str::to_owned),
            identifier: identifier.map(str::to_owned),
        })
    }

    #[test]
    fn the_search_box_is_read_forgivingly() {
        let cases = [
            ("张伟", q(Some("张伟"), None, None)),
            ("  Portillo ", q(Some("Portillo"), None, None)),
            ("zhang wei", q(Some("zhang wei"), None, None)),
            (
                "11010519491231002X",
                q(None, None, Some("11010519491231002X")),
            ),
            ("MRN-00042", q(None, None, Some("MRN-00042"))),
            ("1949-12-31", q(None, Some("1949-12-31"), None)),
            ("1949/1/3", q(None, Some("1949-01-03"), None)),
            ("19491231", q(None, Some("1949-12-31"), None)),
            ("19490231", q(None, None, Some("19490231"))),
            ("张伟 1965", q(Some("张伟"), Some("1965"), None)),
            ("zhang，2252", q(Some("zhang"), None, Some("2252"))),
            (
                "1965-03 张 0315",
                q(Some("张"), Some("1965-03"), Some("0315")),
            ),
            ("   ", None),
        ];
        for (input, expected) in cases {
            assert_eq!(PatientQuery::parse(input), expected, "{input}");
        }
    }

    #[test]
    fn a_fragment_narrows_here_and_a_lone_identifier_goes_to_the_platform() {
        let lone = PatientQuery::parse("110105196503152252").unwrap();
        assert_eq!(lone.identifier_for_platform(), Some("110105196503152252"));
        assert!(!lone.narrows_locally());

        let fragment = PatientQuery::parse("张 2252").unwrap();
        assert_eq!(fragment.identifier_for_platform(), None);
        let row = |id: &str| PatientSummary {
            id: "p".into(),
            name: "张*".into(),
            gender: None,
            birth_date: None,
            identifiers: vec![crate::view::IdentifierView {
                kind: crate::view::IdentifierKind::ResidentId,
                system: None,
                value: id.into(),
            }],
        };
        let zhang = row("110105********2252");
        assert!(fragment.keeps(&zhang));
        assert!(!fragment.keeps(&row("110105********0000")));
        assert!(PatientQuery::parse("张").unwrap().keeps(&row("x")));
        // What the tier hides cannot be probed digit by digit.
        assert!(!PatientQuery::parse("张 0315").unwrap().keeps(&zhang));
        assert!(!PatientQuery::parse("张 5031522").unwrap().keeps(&zhang));
    }

    #[test]
    fn cached_patients_are_checked_against_the_birth_date() {
        let query = PatientQuery::parse("张 1965-03").unwrap();
        assert!(query.born_as_asked(&json!({ "birthDate": "1965-03-15" })));
        assert!(!query.born_as_asked(&json!({ "birthDate": "1965-04-15" })));
        assert!(!query.born_as_asked(&json!({})));
        assert!(!PatientQuery::parse("1965")
            .unwrap()
            .born_as_asked(&json!({ "birthDate": "19650" })));
    }

    #[test]
    fn chinese_names_have_their_pinyin_forms() {
        let forms = pinyin_forms("张伟");
        for wanted in ["zhangwei", "zw"] {
            assert!(forms.contains(&wanted.to_owned()), "{forms:?}");
        }
        // 单 is read shan as a surname: every reading is tried.
        assert!(
            pinyin_forms("单明").contains(&"shanming".to_owned()),
            "{:?}",
            pinyin_forms("单明")
        );
        assert!(pinyin_forms("Maria").is_empty());
        assert!(pinyin_forms("阿卜杜拉·买买提").len() <= MAX_READINGS * 2);
    }
}
