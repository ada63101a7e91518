//! Scrubs free text (notes, narratives, display strings such as
//! "Mrs. Babara724 Rice598") of what identifies the patient: the names,
//! identifiers, phone numbers, emails and addresses the record holds for
//! them, wherever they occur and however they are spaced, and any resident
//! ID, phone number, SSN or email found by its pattern, whoever it belongs
//! to.
//!
//! Each find becomes the masked form the operators in [`super::ops`] give
//! the same value in a structured field (张*, B*** R***, 138****5678), so
//! the reader sees the same thing in both places; addresses become
//! `[address]`.
//!
//! Invariants: the text is searched once, every finding is replaced at
//! most once (where findings overlap the longest wins), and masked output is
//! never searched again, so nothing is masked twice. All positions are
//! `char` boundaries: Chinese text is never cut inside a character.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder, RegexSet};
use serde_json::Value;

use super::ops::{
    is_chinese_name, mask_email, mask_given, mask_identifier, mask_name_text, mask_phone, MASK,
    NAME_DOTS,
};
use crate::fhir::{array, is_cjk, owned, str_field};

/// What replaces a known address line: the whole line goes, since no part of
/// a street address is safe on its own.
const ADDRESS: &str = "[address]";

/// Known values shorter than this (letters and digits) are not searched for:
/// a two-digit MRN or a three-letter name would mask unrelated text.
const MIN_IDENTIFIER_CHARS: usize = 5;
const MIN_PHONE_DIGITS: usize = 7;
const MIN_ADDRESS_CHARS: usize = 4;
/// Latin name parts of one letter are initials; searched alone they would
/// mask every "A" in the text.
const MIN_LATIN_PART_CHARS: usize = 2;
/// A Chinese given name is searched alone only from two characters: a
/// single character (伟, 明) is an ordinary word.
const MIN_CHINESE_GIVEN_CHARS: usize = 2;

/// One of the patient's names, as a FHIR `HumanName` carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Name {
    /// `HumanName.family`: the surname (张, 欧阳, Rice598, García López).
    pub(crate) family: Option<String>,
    /// `HumanName.given`, in order (["Babara724"], ["José", "Eduardo181"], ["伟"]).
    pub(crate) given: Vec<String>,
    /// `HumanName.text`, the name as written, when the record has it.
    pub(crate) text: Option<String>,
}

/// What the record knows about the patient, to be found in free text.
/// Values are taken as they are stored; the scrubber derives the spellings
/// to search for (name orders, other separators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) names: Vec<Name>,
    /// `Patient.identifier[].value`: resident ID, MRN, insurance, passport…
    pub(crate) identifiers: Vec<String>,
    pub(crate) phones: Vec<String>,
    pub(crate) emails: Vec<String>,
    /// `Address.line[]` and `Address.text`.
    pub(crate) address_lines: Vec<String>,
    /// `Patient.birthDate` (a full date; masked tiers see the year at most).
    pub(crate) birth_dates: Vec<String>,
}

impl Known {
    /// What a FHIR `Patient` resource says that could identify its patient
    /// in free text: names, identifiers, phone numbers, emails and address
    /// lines and texts, including those of the listed contacts
    /// (`Patient.contact`, the family members notes mention by name and
    /// number). Old names and addresses are included: notes written years
    /// ago use them.
    pub(crate) fn from_patient(patient: &Value) -> Known {
        let mut known = Known::default();
        let contacts: Vec<&Value> = array(patient, "contact").collect();
        let names = array(patient, "name").chain(contacts.iter().filter_map(|c| c.get("name")));
        for name in names {
            if is_phonetic(name) {
                // A pinyin rendering ("Li Na") is searched for whole, in
                // either order: its syllables alone ("Na", "Li") are
                // ordinary words in notes (sodium, litres).
                let family = str_field(name, "family").unwrap_or("").trim();
                let given = array(name, "given")
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ");
                let spellings = [
                    owned(name, "text"),
                    Some(format!("{family} {given}")),
                    Some(format!("{given} {family}")),
                ];
                for text in spellings.into_iter().flatten() {
                    let text = text.trim().to_owned();
                    if text.contains(' ') {
                        known.names.push(Name {
                            text: Some(text),
                            ..Name::default()
                        });
                    }
                }
                continue;
            }
            let parsed = Name {
                family: owned(name, "family"),
                given: array(name, "given")
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                text: owned(name, "text"),
            };
            if parsed != Name::default() {
                known.names.push(parsed);
            }
        }
        known.identifiers = array(patient, "identifier")
            .filter_map(|i| owned(i, "value"))
            .collect();
        let telecoms =
            array(patient, "telecom").chain(contacts.iter().flat_map(|c| array(c, "telecom")));
        for telecom in telecoms {
            let Some(value) = owned(telecom, "value") else {
                continue;
            };
            match str_field(telecom, "system") {
                Some("email") => known.emails.push(value),
                Some("url") => {}
                // phone, sms, fax, pager, other: numbers.
                _ => known.phones.push(value),
            }
        }
        let addresses =
            array(patient, "address").chain(contacts.iter().filter_map(|c| c.get("address")));
        for address in addresses {
            known.address_lines.extend(
                array(address, "line")
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .chain(owned(address, "text")),
            );
        }
        known
            .birth_dates
            .extend(owned(patient, "birthDate").filter(|d| d.len() == 10));
        known
    }
}

/// A name marked as the alphabetic or syllabic rendering of another (the
/// pinyin of a Chinese name).
fn is_phonetic(name: &Value) -> bool {
    array(name, "extension").any(|e| {
        str_field(e, "url").is_some_and(|u| u.ends_with("iso21090-EN-representation"))
            && matches!(str_field(e, "valueCode"), Some("ABC" | "SYL"))
    })
}

/// A FHIR date `YYYY-MM-DD` however a note writes it: 1958-03-14,
/// 1958/3/14, 1958.03.14, 19580314, 1958年3月14日.
fn birth_date_pattern(date: &str) -> Option<String> {
    let (year, rest) = date.split_once('-')?;
    let (month, day) = rest.split_once('-')?;
    let number = |part: &str| -> Option<String> {
        let n: u32 = part.parse().ok()?;
        Some(format!("0?{n}"))
    };
    if year.len() != 4 || !year.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        r"{year}\s*[-/.年]?\s*{}\s*[-/.月]?\s*{}\s*日?",
        number(month)?,
        number(day)?
    ))
}

/// The scrubbers of the patients opened lately, so that reopening a chart
/// does not build (and compile) its scrubber again. Keyed by a digest of
/// what is known about the patient: a change to their record is a new
/// scrubber. Held in memory only.
#[derive(Debug, Default)]
pub(crate) struct ScrubberCache(
    std::sync::Mutex<std::collections::VecDeque<([u8; 32], std::sync::Arc<Scrubber>)>>,
);

/// How many patients' scrubbers are kept.
const SCRUBBERS_KEPT: usize = 32;

impl ScrubberCache {
    pub(crate) fn get(&self, known: &Known) -> std::sync::Arc<Scrubber> {
        let digest = known.digest();
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = kept.iter().position(|(d, _)| *d == digest) {
            let entry = kept.remove(i).expect("found above");
            let scrubber = std::sync::Arc::clone(&entry.1);
            kept.push_front(entry);
            return scrubber;
        }
        let scrubber = std::sync::Arc::new(Scrubber::new(known));
        kept.push_front((digest, std::sync::Arc::clone(&scrubber)));
        kept.truncate(SCRUBBERS_KEPT);
        scrubber
    }
}

impl Known {
    /// SHA-256 over every known value, each length-prefixed.
    fn digest(&self) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        let mut hash = Sha256::new();
        let mut feed = |part: &str| {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        };
        for name in &self.names {
            feed(name.family.as_deref().unwrap_or(""));
            feed(name.text.as_deref().unwrap_or(""));
            name.given.iter().for_each(|g| feed(g));
            feed("\u{1}");
        }
        for (tag, values) in [
            ("i", &self.identifiers),
            ("p", &self.phones),
            ("e", &self.emails),
            ("a", &self.address_lines),
            ("b", &self.birth_dates),
        ] {
            feed(tag);
            values.iter().for_each(|v| feed(v));
        }
        hash.finalize().into()
    }
}

/// Finds and masks one patient's identifying details in free text. Build it
/// once per patient ([`Scrubber::new`]) and use it for every text of the
/// chart.
pub(crate) struct Scrubber {
    needles: Vec<Needle>,
    /// The needles' anchors in one automaton (cheap to build, unlike a
    /// regex): one pass over a text says which needles could occur in it,
    /// and for most texts (a lab name, a unit) that is none.
    anchors: Option<AhoCorasick>,
    /// The needle of each anchor.
    anchored: Vec<usize>,
}

// The needles are the patient's details: Debug must not print them.
impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("needles", &self.needles.len())
            .finish()
    }
}

/// A finding: the byte range it covers and what replaces it.
struct Finding {
    start: usize,
    end: usize,
    replacement: String,
}

/// One thing to search for: how to find it, what must surround it, and
/// how to mask what was found.
struct Needle {
    pattern: String,
    /// What a text must contain for this needle to be worth searching.
    trigger: Trigger,
    /// Compiled on first use: most of a patient's needles (their name
    /// written backwards, an old ID) never occur in any text, and compiling
    /// a regex costs far more than a search.
    matcher: OnceLock<Matcher>,
    /// Searched for as is if `pattern` does not compile.
    literal: String,
    edge: Edge,
    mask: Mask,
}

/// When a needle is searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trigger {
    /// The text holds this, ignoring ASCII case: a run of the value that
    /// every spelling the pattern allows keeps whole.
    Anchor(String),
    /// The text holds an ASCII digit (numbers: separators may fall anywhere).
    Digit,
    Always,
}

impl Trigger {
    fn for_value(literal: &str, edge: Edge) -> Trigger {
        if matches!(edge, Edge::Number) {
            return if literal.chars().any(|c| c.is_ascii_digit()) {
                Trigger::Digit
            } else {
                Trigger::Always
            };
        }
        // Spaces may come and go next to Chinese characters and apostrophes
        // vary, so only a run of ASCII letters and digits is kept whole;
        // failing that, one Chinese character.
        let longest = literal
            .split(|c: char| !c.is_ascii_alphanumeric())
            .max_by_key(|run| run.len())
            .unwrap_or("");
        if longest.len() >= 2 {
            Trigger::Anchor(longest.to_owned())
        } else if let Some(c) = literal.chars().find(|c| is_cjk(*c)) {
            Trigger::Anchor(c.to_string())
        } else {
            Trigger::Always
        }
    }
}

enum Matcher {
    Regex(Regex),
    /// Used only if a value is too large for the regex engine's limits:
    /// exact-case, exact-spacing search still finds it as stored.
    Literal(String),
}

/// What may stand right outside a finding.
#[derive(Clone, Copy)]
enum Edge {
    /// Not a Latin letter or digit on both sides of either edge: whole words
    /// for Latin text, anything for Chinese (which has no spaces).
    Word,
    /// Not an ASCII letter or digit, nor a decimal point followed by a
    /// digit: a number is found only whole, never inside a longer number, a
    /// code or a decimal value.
    Number,
}

#[derive(Clone, Copy)]
enum Mask {
    /// A Chinese name whose first `surname` characters are the surname.
    ChineseName {
        surname: usize,
    },
    /// A given name alone: every character.
    Given,
    /// A name as written, through [`mask_name_text`].
    NameText,
    Identifier,
    Phone,
    Email,
    Address,
    /// A birth date, however written: its year stays.
    BirthDate,
}

impl Mask {
    fn apply(self, found: &str) -> String {
        match self {
            Mask::ChineseName { surname } => {
                let mut seen = 0;
                found
                    .chars()
                    .map(|c| {
                        if c.is_whitespace() || NAME_DOTS.contains(&c) {
                            return c;
                        }
                        seen += 1;
                        if seen > surname {
                            MASK
                        } else {
                            c
                        }
                    })
                    .collect()
            }
            Mask::Given => mask_given(found),
            Mask::NameText => mask_name_text(found),
            Mask::Identifier => mask_identifier(found),
            Mask::Phone => mask_phone(found),
            Mask::Email => mask_email(found),
            Mask::Address => ADDRESS.to_owned(),
            Mask::BirthDate => {
                let year: String = found.chars().take(4).collect();
                format!("{year}-**-**")
            }
        }
    }
}

impl Needle {
    fn new(pattern: &str, literal: &str, edge: Edge, mask: Mask) -> Needle {
        Needle {
            pattern: pattern.to_owned(),
            trigger: Trigger::for_value(literal, edge),
            matcher: OnceLock::new(),
            literal: literal.to_owned(),
            edge,
            mask,
        }
    }

    fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| {
            RegexBuilder::new(&self.pattern)
                .case_insensitive(true)
                .build()
                .map_or_else(|_| Matcher::Literal(self.literal.clone()), Matcher::Regex)
        })
    }

    /// A pattern that is part of this file: tests build every one of them.
    fn constant(pattern: &str, edge: Edge, mask: Mask) -> Needle {
        let regex = Regex::new(pattern).expect("constant patterns are checked by the tests");
        Needle {
            pattern: pattern.to_owned(),
            trigger: Trigger::Always,
            matcher: OnceLock::from(Matcher::Regex(regex)),
            literal: String::new(),
            edge,
            mask,
        }
    }

    fn find_at(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        match self.matcher() {
            Matcher::Regex(regex) => regex.find_at(text, from).map(|m| (m.start(), m.end())),
            Matcher::Literal(literal) => text[from..]
                .find(literal.as_str())
                .map(|i| (from + i, from + i + literal.len())),
        }
    }

    /// Every finding of this needle in `text`. A match whose surroundings
    /// are wrong (a name inside a longer word, digits inside a longer
    /// number) is skipped, and the search goes on from its second
    /// character, so a good match overlapping it is still found.
    fn find_all(&self, text: &str, findings: &mut Vec<Finding>) {
        let mut from = 0;
        while from < text.len() {
            let Some((start, end)) = self.find_at(text, from) else {
                break;
            };
            if end > start && self.edge.holds(text, start, end) {
                findings.push(Finding {
                    start,
                    end,
                    replacement: self.mask.apply(&text[start..end]),
                });
                from = end;
            } else {
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
}

fn is_latin_word_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !is_cjk(c)
}

impl Edge {
    fn holds(self, text: &str, start: usize, end: usize) -> bool {
        let (before, found, after) = (&text[..start], &text[start..end], &text[end..]);
        match self {
            Edge::Word => {
                let joins = |outside: Option<char>, inside: Option<char>| {
                    outside.is_some_and(is_latin_word_char)
                        && inside.is_some_and(is_latin_word_char)
                };
                !joins(before.chars().next_back(), found.chars().next())
                    && !joins(after.chars().next(), found.chars().next_back())
            }
            Edge::Number => number_edge(before.chars().rev()) && number_edge(after.chars()),
        }
    }
}

/// Whether the characters outside a number (nearest first) end it.
fn number_edge(mut outside: impl Iterator<Item = char>) -> bool {
    match outside.next() {
        Some(c) if c.is_ascii_alphanumeric() => false,
        Some('.' | ',') => !outside.next().is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Numbers found by their shape, whoever they belong to. Each is found only
/// whole ([`Edge::Number`]), so dates (2023-01-05), lab values and LOINC
/// codes (2345-7, 8302-2) do not match. Any 15- or 18-digit number standing
/// alone is taken for a resident ID, valid checksum or not: a mistyped ID
/// still identifies. The price is that a SNOMED CT code of exactly 15 or 18
/// digits (extension codes such as 428251000124104) is masked too when it
/// appears in text; the coded value itself is not scrubbed.
/// All the detectors in one automaton, to pass over texts that hold none.
static ANY_DETECTOR: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(DETECTORS.iter().map(|n| n.pattern.as_str()))
        .expect("the detectors' own patterns form a set")
});

static DETECTORS: LazyLock<Vec<Needle>> = LazyLock::new(|| {
    vec![
        Needle::constant(
            r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+",
            Edge::Word,
            Mask::Email,
        ),
        Needle::constant(
            r"[0-9]{17}[0-9Xx]|[0-9]{15}",
            Edge::Number,
            Mask::Identifier,
        ),
        // Chinese mobile, optionally with its country code.
        Needle::constant(
            r"(?:(?:\+|00)86[\s\-]?|86[\s\-]?)?1[3-9][0-9](?:[\s\-]?[0-9]{4}){2}",
            Edge::Number,
            Mask::Phone,
        ),
        // Chinese landline: an area code set off by parentheses or a
        // separator (an unseparated 0-led run could be anything).
        Needle::constant(
            r"(?:\(0[0-9]{2,3}\)\s?|0[0-9]{2,3}[\s\-]|\+86[\s\-]?[0-9]{2,3}[\s\-])[0-9]{3,4}[\s\-]?[0-9]{4}",
            Edge::Number,
            Mask::Phone,
        ),
        // North American style: 555-327-5793, (555) 327-5793, 555.327.5793.
        Needle::constant(
            r"(?:\+1[\s\-]?)?(?:\([0-9]{3}\)\s?[0-9]{3}[\s.\-]|[0-9]{3}-[0-9]{3}-|[0-9]{3}\.[0-9]{3}\.)[0-9]{4}",
            Edge::Number,
            Mask::Phone,
        ),
        Needle::constant(
            r"[0-9]{3}-[0-9]{2}-[0-9]{4}",
            Edge::Number,
            Mask::Identifier,
        ),
    ]
});

impl Scrubber {
    pub(crate) fn new(known: &Known) -> Scrubber {
        let mut needles = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |pattern: String, literal: &str, edge: Edge, mask: Mask| {
            if seen.insert(pattern.clone()) {
                needles.push(Needle::new(&pattern, literal, edge, mask));
            }
        };

        for name in &known.names {
            for (pattern, literal, mask) in name_needles(name) {
                add(pattern, &literal, Edge::Word, mask);
            }
        }
        for value in &known.identifiers {
            let chars: Vec<char> = value.chars().filter(|c| c.is_alphanumeric()).collect();
            if chars.len() >= MIN_IDENTIFIER_CHARS {
                // Written elsewhere with other separators, or none:
                // 999-59-8520, 999 59 8520, 999598520.
                add(
                    spaced(&chars, r"[\s\-./]{0,2}"),
                    value.trim(),
                    Edge::Number,
                    Mask::Identifier,
                );
            }
        }
        for value in &known.birth_dates {
            if let Some(pattern) = birth_date_pattern(value) {
                add(pattern, value.trim(), Edge::Number, Mask::BirthDate);
            }
        }
        for value in &known.phones {
            if let Some(pattern) = phone_pattern(value) {
                add(pattern, value.trim(), Edge::Number, Mask::Phone);
            }
        }
        for value in &known.emails {
            let value = value.trim();
            if value.contains('@') {
                add(regex::escape(value), value, Edge::Word, Mask::Email);
            }
        }
        for value in &known.address_lines {
            let value = value.trim();
            let chars = value.chars().filter(|c| !c.is_whitespace()).count();
            if chars >= MIN_ADDRESS_CHARS {
                add(text_pattern(value), value, Edge::Word, Mask::Address);
            }
        }
        let (anchored, anchors): (Vec<usize>, Vec<&str>) = needles
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.trigger {
                Trigger::Anchor(anchor) => Some((i, anchor.as_str())),
                _ => None,
            })
            .unzip();
        let anchors = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(anchors)
            .ok();
        Scrubber {
            needles,
            anchors,
            anchored,
        }
    }

    /// `text` with the patient's details and every detected identifier,
    /// phone number and email masked; borrowed when nothing was found.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut findings = Vec::new();
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        let mut anchored = vec![false; self.needles.len()];
        match &self.anchors {
            Some(anchors) => {
                for found in anchors.find_overlapping_iter(text) {
                    anchored[self.anchored[found.pattern().as_usize()]] = true;
                }
            }
            None => anchored.fill(true),
        }
        for (needle, anchored) in self.needles.iter().zip(anchored) {
            let worth = match needle.trigger {
                Trigger::Anchor(_) => anchored,
                Trigger::Digit => has_digit,
                Trigger::Always => true,
            };
            if worth {
                needle.find_all(text, &mut findings);
            }
        }
        // Every detector needs a digit or an @, and most texts with digits
        // (doses, lab values) hold nothing any detector finds.
        if (has_digit || text.contains('@')) && ANY_DETECTOR.is_match(text) {
            for needle in DETECTORS.iter() {
                needle.find_all(text, &mut findings);
            }
        }
        if findings.is_empty() {
            return Cow::Borrowed(text);
        }
        // Longest first: "Babara724 Rice598" as one name rather than two,
        // a whole address line rather than the family name in its street.
        findings.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(a.start.cmp(&b.start))
        });
        let mut kept: Vec<Finding> = Vec::new();
        for finding in findings {
            if kept
                .iter()
                .all(|k| finding.end <= k.start || k.end <= finding.start)
            {
                kept.push(finding);
            }
        }
        kept.sort_by_key(|f| f.start);

        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for finding in &kept {
            out.push_str(&text[at..finding.start]);
            out.push_str(&finding.replacement);
            at = finding.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// `chars` escaped and joined by `between`.
fn spaced(chars: &[char], between: &str) -> String {
    chars
        .iter()
        .map(|c| regex::escape(c.encode_utf8(&mut [0; 4])))
        .collect::<Vec<_>>()
        .join(between)
}

/// A value as written, matched with any run of whitespace where it has
/// whitespace and either apostrophe (O'Keefe, O’Keefe). Next to a Chinese
/// character spaces are optional (张伟, 张 伟; 建国路88号, 建国路 88 号), since
/// Chinese writers space such text either way; any name dot stands for a
/// name dot.
fn text_pattern(value: &str) -> String {
    let mut pattern = String::new();
    let mut previous: Option<char> = None;
    for c in value.trim().chars() {
        if c.is_whitespace() {
            if previous.is_some_and(|p| !p.is_whitespace()) {
                pattern.push_str(r"\s+");
            }
            previous = Some(c);
            continue;
        }
        let spaceless = |c: char| is_cjk(c) || NAME_DOTS.contains(&c);
        if previous.is_some_and(|p| !p.is_whitespace() && (spaceless(p) || spaceless(c))) {
            pattern.push_str(r"\s*");
        }
        match c {
            '\'' | '’' => pattern.push_str("['’]"),
            c if NAME_DOTS.contains(&c) => pattern.push_str(r"[·・•‧.]"),
            c => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
        previous = Some(c);
    }
    pattern
}

/// The spellings of one name to search for, each with the literal used if
/// the pattern cannot be built and how to mask it.
///
/// Chinese: the full name (张伟, 张 伟, 欧阳娜娜) and the given name alone from
/// two characters (小明). The surname alone is never searched: 张, 王 or
/// 李 alone would mask every 张 in unrelated words (张力, 王牌), and the
/// policy keeps the surname anyway.
///
/// Latin: the full name in both orders with and without a comma, family
/// and first given name run together, and each part of two or more letters
/// alone, whole words, case-insensitive. Common words that are also the
/// patient's name (Hope, Mark) are masked too; that is the price of not
/// missing the name.
fn name_needles(name: &Name) -> Vec<(String, String, Mask)> {
    let family = name.family.as_deref().map(str::trim).unwrap_or_default();
    let given: Vec<&str> = name
        .given
        .iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .collect();
    let text = name.text.as_deref().map(str::trim).unwrap_or_default();
    let mut spellings: Vec<(String, Mask)> = Vec::new();

    let parts_chinese = given
        .iter()
        .chain([&family])
        .all(|p| p.is_empty() || is_chinese_name(p))
        && (!family.is_empty() || !given.is_empty());
    if parts_chinese {
        let given_joined: String = given.concat();
        let dotted = [given_joined.as_str(), family, text]
            .iter()
            .any(|part| part.contains(NAME_DOTS));
        if !family.is_empty() && !given_joined.is_empty() {
            if dotted {
                // Transcribed minority names put the personal name first.
                spellings.push((format!("{given_joined}·{family}"), Mask::NameText));
            } else {
                let surname = family.chars().filter(|c| !c.is_whitespace()).count();
                spellings.push((
                    format!("{family}{given_joined}"),
                    Mask::ChineseName { surname },
                ));
            }
        }
        for part in given.iter().chain(dotted.then_some(&family)) {
            let chars = part.chars().filter(|c| is_cjk(*c)).count();
            if chars >= MIN_CHINESE_GIVEN_CHARS {
                spellings.push((part.to_string(), Mask::Given));
            }
        }
    } else {
        if !family.is_empty() && !given.is_empty() {
            let all_given = given.join(" ");
            let first = given[0];
            for spelling in [
                format!("{all_given} {family}"),
                format!("{first} {family}"),
                format!("{family} {all_given}"),
                format!("{family} {first}"),
                format!("{family}, {all_given}"),
                format!("{family}, {first}"),
                format!("{family}{first}"),
            ] {
                spellings.push((spelling, Mask::NameText));
            }
        }
        let parts = given
            .iter()
            .chain([&family])
            .flat_map(|p| p.split(|c: char| c.is_whitespace() || c == '-'));
        for part in parts {
            if part.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_LATIN_PART_CHARS {
                spellings.push((part.to_owned(), Mask::NameText));
            }
        }
    }
    if !text.is_empty() {
        spellings.push((text.to_owned(), Mask::NameText));
    }
    spellings
        .into_iter()
        .map(|(spelling, mask)| (text_pattern(&spelling), spelling, mask))
        .collect()
}

/// A phone number with any separators between its digits, the Chinese
/// country code optional in front of a Chinese number (stored as
/// +86 138 1234 5678, written 13812345678, or the reverse).
fn phone_pattern(value: &str) -> Option<String> {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.as_slice() {
        ['8', '6', rest @ ..]
            if value.trim_start().starts_with('+') || (rest.len() == 11 && rest[0] == '1') =>
        {
            rest
        }
        ['0', '0', '8', '6', rest @ ..] => rest,
        all => all,
    };
    if national.len() < MIN_PHONE_DIGITS {
        return None;
    }
    let chinese = national.first() == Some(&'0')
        || (national.len() == 11 && national[0] == '1')
        || national.len() < digits.len();
    let prefix = if chinese {
        r"(?:(?:\+|00)86[\s\-]{0,2}|86[\s\-]{0,2})?"
    } else {
        ""
    };
    Some(format!("{prefix}{}", spaced(national, r"[\s\-.()]{0,2}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(family: &str, given: &[&str]) -> Name {
        Name {
            family: Some(family.to_owned()).filter(|f| !f.is_empty()),
            given: given.iter().map(|g| (*g).to_owned()).collect(),
            text: None,
        }
    }

    fn babara() -> Known {
        Known {
            names: vec![
                Name {
                    text: Some("Mrs. Babara724 Rice598".into()),
                    ..name("Rice598", &["Babara724"])
                },
                name("Schulist", &["Babara724"]),
            ],
            identifiers: vec!["999-86-9488".into(), "S99951865".into(), "12".into()],
            phones: vec!["555-485-8209".into()],
            emails: vec!["babara.rice@example.com".into()],
            address_lines: vec!["300 Kshlerin Green".into()],
            birth_dates: vec![],
        }
    }

    fn zhang_wei() -> Known {
        Known {
            names: vec![name("张", &["伟"]), name("Zhang", &["Wei"])],
            identifiers: vec!["11010519491231002X".into(), "MRN-20240001".into()],
            phones: vec!["+86 138 1234 5678".into(), "010-62345678".into()],
            emails: vec![],
            address_lines: vec!["北京市朝阳区建国路88号".into(), "3单元502室".into()],
            birth_dates: vec!["1949-12-31".into()],
        }
    }

    /// One table row per case: scrubbing the input with what is known about
    /// the patient must give the expected output.
    fn check(known: &Known, cases: &[(&str, &str)]) {
        let scrubber = Scrubber::new(known);
        for (input, expected) in cases {
            assert_eq!(scrubber.scrub(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn western_patient_names_are_masked_in_every_order() {
        check(
            &babara(),
            &[
                ("Mrs. Babara724 Rice598", "Mrs. B*** R***"),
                (
                    "Patient Babara724 Rice598 seen today.",
                    "Patient B*** R*** seen today.",
                ),
                ("RICE598, BABARA724 (DOB 1961)", "R***, B*** (DOB 1961)"),
                ("Rice598 Babara724", "R*** B***"),
                ("Rice598Babara724 logged in", "R*** logged in"),
                (
                    "Babara724 Schulist (maiden name)",
                    "B*** S*** (maiden name)",
                ),
                ("Ms Rice598's daughter called", "Ms R***'s daughter called"),
                ("Babara724\nRice598", "B***\nR***"),
                // Whole words only.
                ("Rice5980 and Babara7245", "Rice5980 and Babara7245"),
                ("rice and beans", "rice and beans"),
            ],
        );
    }

    #[test]
    fn names_with_accents_apostrophes_and_several_given_names() {
        let known = Known {
            names: vec![
                name("Gómez206", &["José", "Eduardo181"]),
                name("O'Keefe54", &["Kenneth671"]),
            ],
            ..Known::default()
        };
        check(
            &known,
            &[
                ("José Eduardo181 Gómez206", "J*** E*** G***"),
                ("GÓMEZ206, JOSÉ", "G***, J***"),
                (
                    "Sr. José Gómez206 y Kenneth671 O’Keefe54",
                    "Sr. J*** G*** y K*** O***",
                ),
                ("O'Keefe54, Kenneth671", "O***, K***"),
            ],
        );
    }

    #[test]
    fn chinese_patient_names_keep_the_surname_only() {
        check(
            &zhang_wei(),
            &[
                ("患者张伟，男，65岁。", "患者张*，男，65岁。"),
                ("张 伟 主诉胸痛", "张 * 主诉胸痛"),
                ("家属张伟明陪同", "家属张*明陪同"),
                // The surname alone is an ordinary character: 张力 stays.
                ("肌张力正常，张姓医生", "肌张力正常，张姓医生"),
                // A one-character given name alone is an ordinary word.
                ("伟大", "伟大"),
                ("Zhang Wei, male", "Z*** W***, male"),
                ("Dr. ZHANG reviewed", "Dr. Z*** reviewed"),
            ],
        );
        let known = Known {
            names: vec![
                name("欧阳", &["娜娜"]),
                Name {
                    text: Some("阿卜杜拉·买买提".into()),
                    ..name("买买提", &["阿卜杜拉"])
                },
            ],
            ..Known::default()
        };
        check(
            &known,
            &[
                ("欧阳娜娜今日复诊", "欧阳**今日复诊"),
                ("娜娜的母亲", "**的母亲"),
                ("欧阳医生", "欧阳医生"),
                ("患者阿卜杜拉·买买提入院", "患者阿***·***入院"),
                ("阿卜杜拉・买买提", "阿***・***"),
                ("买买提先生", "***先生"),
            ],
        );
    }

    #[test]
    fn known_identifiers_phones_and_emails_are_masked_however_written() {
        check(
            &babara(),
            &[
                ("SSN 999-86-9488 on file", "SSN ***-**-9488 on file"),
                ("SSN 999869488", "SSN *****9488"),
                ("Driver's licence S99951865.", "Driver's licence *****1865."),
                ("call 555-485-8209", "call 555-***-****"),
                ("call (555) 485 8209", "call (555) *** ****"),
                ("call 5554858209", "call 555*******"),
                ("mail Babara.Rice@Example.com", "mail B***@Example.com"),
                // A two-digit identifier is not searched for.
                ("12 tablets", "12 tablets"),
            ],
        );
        check(
            &zhang_wei(),
            &[
                ("身份证11010519491231002X", "身份证110105********002X"),
                ("身份证 11010519491231002x。", "身份证 110105********002x。"),
                ("病案号MRN-20240001", "病案号***-****0001"),
                ("电话13812345678", "电话138****5678"),
                ("电话：+86-138-1234-5678", "电话：+86-138-****-5678"),
                ("电话 138 1234 5678", "电话 138 **** 5678"),
                ("家庭电话(010)62345678", "家庭电话(010)********"),
                // The birth date, however written, keeps its year only; the
                // same digits inside the resident ID are the ID's.
                ("出生日期：1949年12月31日", "出生日期：1949-**-**"),
                ("生于 1949/12/31。", "生于 1949-**-**。"),
                ("DOB 19491231", "DOB 1949-**-**"),
                ("1949-12-30 admitted", "1949-12-30 admitted"),
            ],
        );
    }

    #[test]
    fn a_pinyin_name_is_masked_whole_and_its_syllables_stay_words() {
        let patient = serde_json::json!({
            "name": [
                { "use": "official", "family": "李", "given": ["娜"] },
                { "use": "usual", "family": "Li", "given": ["Na"], "text": "Li Na",
                  "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation", "valueCode": "ABC" }] }
            ]
        });
        let scrubbed = Scrubber::new(&Known::from_patient(&patient))
            .scrub("Li Na seen today (NA LI on the old form); Na 140 mmol/L, 2 Li tablets")
            .into_owned();
        assert!(
            !scrubbed.contains("Li Na") && !scrubbed.contains("NA LI"),
            "{scrubbed}"
        );
        assert!(
            scrubbed.contains("Na 140") && scrubbed.contains("2 Li tablets"),
            "{scrubbed}"
        );
    }

    #[test]
    fn known_addresses_become_a_placeholder() {
        check(
            &babara(),
            &[
                (
                    "Lives at 300 Kshlerin Green, Springfield",
                    "Lives at [address], Springfield",
                ),
                ("lives at 300  kshlerin green", "lives at [address]"),
                ("300 Kshlerin Greenway", "300 Kshlerin Greenway"),
            ],
        );
        check(
            &zhang_wei(),
            &[
                (
                    "住址：北京市朝阳区建国路88号3单元502室",
                    "住址：[address][address]",
                ),
                ("住址：北京市 朝阳区 建国路 88 号", "住址：[address]"),
                ("北京市朝阳区建国路", "北京市朝阳区建国路"),
            ],
        );
    }

    #[test]
    fn detected_numbers_are_masked_whoever_they_belong_to() {
        check(
            &Known::default(),
            &[
                ("ID 110101199003074518 given", "ID 110101********4518 given"),
                ("ID 110105491231002", "ID 110105*****1002"),
                ("手机：15900001111。", "手机：159****1111。"),
                ("手机 8615900001111", "手机 86159****1111"),
                ("Tel 021-55556666", "Tel 021-********"),
                ("Tel (0755) 8888 1234", "Tel (0755) **** ****"),
                (
                    "Phone 555-327-5793 or (555) 327-5793",
                    "Phone 555-***-**** or (555) ***-****",
                ),
                ("SSN 999-59-8520", "SSN ***-**-8520"),
                ("email li.na@hospital.cn.", "email l***@hospital.cn."),
            ],
        );
    }

    #[test]
    fn clinical_numbers_and_codes_are_left_alone() {
        check(
            &babara(),
            &[
                (
                    "Glucose (LOINC 2345-7): 5.6 mmol/L",
                    "Glucose (LOINC 2345-7): 5.6 mmol/L",
                ),
                (
                    "Body Height 8302-2: 172.5 cm",
                    "Body Height 8302-2: 172.5 cm",
                ),
                (
                    "Seen 2019-03-12T08:00:00+08:00",
                    "Seen 2019-03-12T08:00:00+08:00",
                ),
                (
                    "Hypertension (SNOMED 38341003)",
                    "Hypertension (SNOMED 38341003)",
                ),
                ("BP 120/80, HR 72", "BP 120/80, HR 72"),
                // Longer or shorter runs are not resident IDs or mobiles.
                ("Order 1234567890123456", "Order 1234567890123456"),
                ("Card 6222021234567890123", "Card 6222021234567890123"),
                ("Ratio 0.110101199003074518", "Ratio 0.110101199003074518"),
                ("Batch A13812345678", "Batch A13812345678"),
                (
                    "Visit 2024-01-05, 2024-02-10",
                    "Visit 2024-01-05, 2024-02-10",
                ),
            ],
        );
    }

    #[test]
    fn a_fifteen_digit_snomed_code_is_taken_for_an_id() {
        // Documented trade-off: a standalone 15- or 18-digit number is
        // treated as a resident ID.
        check(
            &Known::default(),
            &[("SNOMED 428251000124104", "SNOMED 428251*****4104")],
        );
    }

    #[test]
    fn untouched_text_is_borrowed_and_masked_text_is_not_masked_again() {
        let scrubber = Scrubber::new(&zhang_wei());
        let clean = "血压130/85 mmHg，心率72次/分";
        assert!(matches!(scrubber.scrub(clean), Cow::Borrowed(_)));
        for text in [
            "患者张伟，电话13812345678，身份证11010519491231002X，住址北京市朝阳区建国路88号",
            "Zhang Wei, zhang.wei@example.cn, 010-62345678",
        ] {
            let once = scrubber.scrub(text).into_owned();
            assert_ne!(once, text);
            assert_eq!(scrubber.scrub(&once), once, "scrubbed twice: {text}");
        }
    }

    #[test]
    fn debug_output_names_no_patient_detail() {
        let debug = format!("{:?}", Scrubber::new(&babara()));
        assert!(!debug.contains("Rice"), "{debug}");
        assert!(!debug.contains("9488"), "{debug}");
    }

    #[test]
    fn known_details_are_read_from_the_patient_and_their_contacts() {
        let patient = serde_json::json!({
            "resourceType": "Patient",
            "name": [
                { "use": "official", "family": "Rice598", "given": ["Babara724"], "prefix": ["Mrs."] },
                { "use": "maiden", "family": "Schulist", "given": ["Babara724"] },
                { "text": "李娜" },
                {}
            ],
            "identifier": [{ "system": "urn:oid:2.16.840.1.113883.4.1", "value": "999-86-9488" }, { "system": "x" }],
            "telecom": [
                { "system": "phone", "value": "555-485-8209" },
                { "system": "email", "value": "babara@example.com" },
                { "system": "url", "value": "https://example.com/babara" }
            ],
            "address": [{ "line": ["300 Kshlerin Green"], "city": "Springfield", "text": "北京市朝阳区建国路88号" }],
            "birthDate": "1961-07-04",
            "contact": [{
                "name": { "family": "Rice598", "given": ["Tom"] },
                "telecom": [{ "system": "phone", "value": "13812345678" }],
                "address": { "line": ["1 Elm Street"] }
            }]
        });
        let known = Known::from_patient(&patient);
        assert_eq!(
            known,
            Known {
                names: vec![
                    name("Rice598", &["Babara724"]),
                    name("Schulist", &["Babara724"]),
                    Name {
                        text: Some("李娜".into()),
                        ..Name::default()
                    },
                    name("Rice598", &["Tom"]),
                ],
                identifiers: vec!["999-86-9488".into()],
                phones: vec!["555-485-8209".into(), "13812345678".into()],
                emails: vec!["babara@example.com".into()],
                address_lines: vec![
                    "300 Kshlerin Green".into(),
                    "北京市朝阳区建国路88号".into(),
                    "1 Elm Street".into(),
                ],
                birth_dates: vec!["1961-07-04".into()],
            }
        );
        assert_eq!(
            Scrubber::new(&known).scrub("Mrs. Rice598 and her son Tom Rice598, 李娜"),
            "Mrs. R*** and her son T*** R***, 李*"
        );
    }

    #[test]
    fn every_detector_pattern_builds() {
        assert_eq!(DETECTORS.len(), 6);
    }

    /// Characters around an embedded value: Chinese, Latin words and
    /// punctuation, ending and starting with a separator so the value
    /// stands alone (inside a longer word or number it would not be the
    /// patient's).
    fn surrounding() -> impl Strategy<Value = String> {
        "[a-z 。，：、()\\-\u{4e00}-\u{4e30}0-9]{0,20}"
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![" ", "，", "：", "\n", "(", "。"])
    }

    fn embed(before: &str, sep: &str, value: &str, after: &str) -> String {
        format!("{before}{sep}{value}{sep}{after}")
    }

    fn resident_id() -> impl Strategy<Value = String> {
        (
            110000u32..660000,
            1930u32..2020,
            1u32..=12,
            1u32..=28,
            0u32..1000,
        )
            .prop_map(|(region, year, month, day, serial)| {
                let body = format!("{region:06}{year:04}{month:02}{day:02}{serial:03}");
                let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
                let sum: u32 = body
                    .bytes()
                    .zip(weights)
                    .map(|(d, w)| u32::from(d - b'0') * w)
                    .sum();
                let check = b"10X98765432"[(sum % 11) as usize];
                format!("{body}{}", char::from(check))
            })
    }

    static ZHANG_WEI: LazyLock<Scrubber> = LazyLock::new(|| Scrubber::new(&zhang_wei()));

    proptest! {
        #[test]
        fn a_chinese_patient_name_never_survives(
            family in prop::sample::select(vec!["张", "王", "李", "欧阳", "司马", "诸葛", "陈"]),
            given in "[\u{4e00}-\u{9fa5}]{1,2}",
            spaced in any::<bool>(),
            before in surrounding(),
            after in surrounding(),
            sep in separator(),
        ) {
            let full = format!("{family}{given}");
            let written = if spaced { format!("{family} {given}") } else { full.clone() };
            let scrubber = Scrubber::new(&Known { names: vec![name(family, &[&given])], ..Known::default() });
            let scrubbed = scrubber.scrub(&embed(&before, sep, &written, &after)).into_owned();
            prop_assert!(!scrubbed.contains(&full), "{}", scrubbed);
            prop_assert!(!scrubbed.contains(&written), "{}", scrubbed);
        }

        #[test]
        fn a_western_patient_name_never_survives(
            given in "[A-Z][a-z]{2,8}[0-9]{0,3}",
            family in "[A-Z][a-z]{0,2}'?[A-Z]?[a-z]{2,8}[0-9]{0,3}",
            reversed in any::<bool>(),
            before in surrounding(),
            after in surrounding(),
            sep in separator(),
        ) {
            let written = if reversed { format!("{family}, {given}") } else { format!("{given} {family}") };
            let scrubber = Scrubber::new(&Known { names: vec![name(&family, &[&given])], ..Known::default() });
            let scrubbed = scrubber.scrub(&embed(&before, sep, &written, &after)).into_owned();
            prop_assert!(!scrubbed.contains(&written), "{}", scrubbed);
            prop_assert!(!scrubbed.contains(&family), "{}", scrubbed);
        }

        #[test]
        fn a_resident_id_never_survives_known_or_not(
            id in resident_id(),
            lower_x in any::<bool>(),
            known in any::<bool>(),
            before in surrounding(),
            after in surrounding(),
            sep in separator(),
        ) {
            let written = if lower_x { id.to_lowercase() } else { id.clone() };
            let identifiers = if known { vec![id.clone()] } else { Vec::new() };
            let scrubber = Scrubber::new(&Known { identifiers, ..Known::default() });
            let scrubbed = scrubber.scrub(&embed(&before, sep, &written, &after)).into_owned();
            prop_assert!(!scrubbed.contains(&written), "{}", scrubbed);
        }

        #[test]
        fn a_phone_number_never_survives_known_or_not(
            number in "1[3-9][0-9]{9}",
            split in prop::sample::select(vec!["", " ", "-"]),
            prefix in prop::sample::select(vec!["", "+86 ", "+86-", "86"]),
            known in any::<bool>(),
            before in surrounding(),
            after in surrounding(),
            sep in separator(),
        ) {
            let written = format!("{prefix}{}{split}{}{split}{}", &number[..3], &number[3..7], &number[7..]);
            let phones = if known { vec![format!("+86 {number}")] } else { Vec::new() };
            let scrubber = Scrubber::new(&Known { phones, ..Known::default() });
            let scrubbed = scrubber.scrub(&embed(&before, sep, &written, &after)).into_owned();
            prop_assert!(!scrubbed.contains(&written), "{}", scrubbed);
            // The middle four digits never stand beside either other part.
            // (Not merely "absent": with a prefix "86" and a number 141 6141…
            // the digits 6141 also occur across "86141", masked or not.)
            let (head, middle, tail) = (&number[..3], &number[3..7], &number[7..]);
            prop_assert!(!scrubbed.contains(&format!("{head}{split}{middle}")), "{}", scrubbed);
            prop_assert!(!scrubbed.contains(&format!("{middle}{split}{tail}")), "{}", scrubbed);
        }

        #[test]
        fn scrubbing_is_utf8_safe_and_idempotent(text in "\\PC{0,60}") {
            let scrubber = &*ZHANG_WEI;
            let once = scrubber.scrub(&text).into_owned();
            prop_assert_eq!(scrubber.scrub(&once).into_owned(), once);
        }
    }

    #[test]
    fn a_reopened_patient_reuses_their_scrubber_and_a_changed_one_gets_a_new_one() {
        let cache = ScrubberCache::default();
        let first = cache.get(&zhang_wei());
        assert!(std::sync::Arc::ptr_eq(&first, &cache.get(&zhang_wei())));
        let mut moved = zhang_wei();
        moved.phones.push("13900001111".into());
        let changed = cache.get(&moved);
        assert!(!std::sync::Arc::ptr_eq(&first, &changed));
        assert_eq!(changed.scrub("call 13900001111"), "call 139****1111");
    }
}
