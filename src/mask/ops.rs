//! The masking operators: small pure functions from one value to its masked
//! or generalised form (DESIGN.md §5). They know formats (Chinese names and
//! resident IDs, phone numbers, FHIR dates), not policy: which operator
//! applies to which field and tier is the engine's decision.
//!
//! Every operator works on `char`s, never bytes, so Chinese text is never
//! split inside a character. Operators that hide characters keep the
//! character count where they can, so a masked value still shows its shape
//! (`138****5678`) without revealing its content.

use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use sha2::Sha256;

use crate::fhir::is_cjk;

/// The character that stands for a hidden character.
pub(crate) const MASK: char = '*';

/// What a Western name word becomes: its initial and this, whatever its
/// length, so the mask does not give away how long the name was.
const WESTERN_TAIL: &str = "***";

/// Keeps the first `first` and the last `last` characters of `s` and
/// replaces every other character by `mask_char`, keeping the length.
///
/// When `s` is too short to keep `first + last` and still hide something,
/// keeping both ends would reveal (nearly) all of it, so everything is
/// masked except at most the first character (and not even that when `s` is
/// a single character).
pub(crate) fn keep(s: &str, first: usize, last: usize, mask_char: char) -> String {
    let count = s.chars().count();
    let (first, last) = if count > first + last {
        (first, last)
    } else if count >= 2 {
        (first.min(1), 0)
    } else {
        (0, 0)
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i < first || i >= count - last {
                c
            } else {
                mask_char
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Names

/// Two-character (and the Manchu four-character) surnames. Without them 欧阳娜娜
/// would become 欧*** and show less than the policy allows, or, worse for
/// the reader, look like a different surname.
const COMPOUND_SURNAMES: &[&str] = &[
    "爱新觉罗",
    "叶赫那拉",
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "钟离",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "申屠",
    "万俟",
    "闻人",
    "澹台",
    "公冶",
    "太史",
    "濮阳",
    "淳于",
    "单于",
    "赫连",
    "拓跋",
    "第五",
    "司空",
    "闾丘",
    "子车",
    "亓官",
    "巫马",
    "公西",
    "颛孙",
    "壤驷",
    "公良",
    "漆雕",
    "乐正",
    "宰父",
    "谷梁",
    "东郭",
    "南门",
    "羊舌",
    "微生",
    "梁丘",
    "左丘",
    "东门",
    "公羊",
    "段干",
    "仲孙",
    "鲜于",
    "完颜",
    "纳兰",
    "歐陽",
    "司馬",
    "諸葛",
    "長孫",
    "軒轅",
    "鍾離",
    "獨孤",
];

/// The separators in transcribed minority names (阿卜杜拉·买买提): the
/// middle dot and its look-alikes that input methods produce.
pub(crate) const NAME_DOTS: &[char] = &['·', '・', '•', '‧', '.'];

/// Honorifics and generational suffixes. They are kept: they say no more
/// than the gender already in the record, and keeping them lets a reader
/// see that "Mrs. B*** R***" is a name.
const NAME_AFFIXES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv", "md",
    "phd",
];

/// Whether `s` reads as a name in Chinese script: CJK characters, optionally
/// separated by name dots or spaces, and nothing else.
pub(crate) fn is_chinese_name(s: &str) -> bool {
    s.chars().any(is_cjk)
        && s.chars()
            .all(|c| is_cjk(c) || NAME_DOTS.contains(&c) || c.is_whitespace())
}

/// The length in characters of the surname at the start of a Chinese name:
/// a compound surname when the name continues after it, else one character.
fn surname_len(name: &str) -> usize {
    let count = name.chars().count();
    COMPOUND_SURNAMES
        .iter()
        .filter(|surname| name.starts_with(**surname))
        .map(|surname| surname.chars().count())
        .filter(|&len| len < count)
        .max()
        .unwrap_or(1)
}

/// Masks every character but name dots and spaces.
fn mask_all_chars(s: &str) -> String {
    s.chars()
        .map(|c| {
            if NAME_DOTS.contains(&c) || c.is_whitespace() {
                c
            } else {
                MASK
            }
        })
        .collect()
}

/// A Chinese full name: the surname stays, each other character becomes
/// `*` (张小明 → 张**). A transcribed minority name (阿卜杜拉·买买提) has no
/// surname in the Han sense, so only its first character stays and the dots
/// keep its shape (阿***·***). A space marks where the family name ends
/// (张 伟 → 张 *), which also covers compound surnames not in the list.
fn mask_chinese_name(s: &str) -> String {
    let s = s.trim();
    if s.contains(NAME_DOTS) {
        let mut chars = s.chars();
        return chars
            .next()
            .map(|c| c.to_string() + &mask_all_chars(chars.as_str()))
            .unwrap_or_default();
    }
    if let Some((family, rest)) = s.split_once(char::is_whitespace) {
        return format!("{family} {}", mask_all_chars(rest.trim_start()));
    }
    let surname = surname_len(s);
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < surname { c } else { MASK })
        .collect()
}

/// One word of a Western name: its initial and `***`, punctuation around it
/// kept ("Rice598," → "R***,"). Apostrophes and hyphens inside the word
/// belong to it (O'Connor → O***, Smith-Jones → S***). Honorifics and
/// suffixes (Mrs., Jr.) are kept as they are.
fn mask_western_word(word: &str) -> String {
    let core_start = word.find(char::is_alphanumeric);
    let core_end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphanumeric())
        .map(|(i, c)| i + c.len_utf8());
    let (Some(start), Some(end)) = (core_start, core_end) else {
        return word.to_owned();
    };
    let core = &word[start..end];
    if NAME_AFFIXES.contains(&core.to_lowercase().as_str()) {
        return word.to_owned();
    }
    let initial = core.chars().next().map(String::from).unwrap_or_default();
    format!("{}{initial}{WESTERN_TAIL}{}", &word[..start], &word[end..])
}

/// Each whitespace-separated word through [`mask_western_word`], the
/// whitespace kept as it was.
fn mask_western_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), word_start) {
            (true, Some(start)) => {
                out.push_str(&mask_western_word(&s[start..i]));
                out.push(c);
                word_start = None;
            }
            (true, None) => out.push(c),
            (false, None) => word_start = Some(i),
            (false, Some(_)) => {}
        }
    }
    if let Some(start) = word_start {
        out.push_str(&mask_western_word(&s[start..]));
    }
    out
}

/// A whole name as written (`HumanName.text`, a display string): 张小明 →
/// 张**, 欧阳娜娜 → 欧阳**, "Mrs. Babara724 Rice598" → "Mrs. B*** R***".
pub(crate) fn mask_name_text(s: &str) -> String {
    if is_chinese_name(s) {
        mask_chinese_name(s)
    } else {
        mask_western_words(s)
    }
}

/// A FHIR `HumanName.family`. A Chinese surname is what the policy keeps,
/// so it stays (张 → 张, 欧阳 → 欧阳); a transcribed minority family part is
/// masked like a minority name. Western: each word to its initial (Rice598 →
/// R***).
pub(crate) fn mask_family(s: &str) -> String {
    if is_chinese_name(s) {
        if s.contains(NAME_DOTS) {
            mask_chinese_name(s)
        } else {
            s.to_owned()
        }
    } else {
        mask_western_words(s)
    }
}

/// A FHIR `HumanName.given` part. Chinese: one `*` per character (小明 →
/// **), since the surname elsewhere is all the policy keeps. Western: each
/// word to its initial (Eduardo181 → E***).
pub(crate) fn mask_given(s: &str) -> String {
    if is_chinese_name(s) {
        mask_all_chars(s)
    } else {
        mask_western_words(s)
    }
}

// ---------------------------------------------------------------------------
// Identifiers

/// ISO 7064 MOD 11-2 weights of the 17 leading digits of a resident ID.
const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum.
const RESIDENT_ID_CHECK: &[u8; 11] = b"10X98765432";

/// Whether `s` is a well-formed resident ID (居民身份证号): 18 characters with
/// a valid MOD 11-2 check character (`X` in either case) and a real birth
/// date between 1870 and 2099, or the 15-digit legacy form with a real
/// yyMMdd birth date (19yy; legacy IDs carry no check digit). The region
/// code is not checked: codes change with administrative reforms and old
/// IDs stay valid.
pub(crate) fn is_valid_resident_id(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        18 => {
            if !b[..17].iter().all(u8::is_ascii_digit) {
                return false;
            }
            let sum: u32 = b[..17]
                .iter()
                .zip(RESIDENT_ID_WEIGHTS)
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            let check = RESIDENT_ID_CHECK[(sum % 11) as usize];
            b[17].to_ascii_uppercase() == check
                && is_real_date(number(&b[6..10]), number(&b[10..12]), number(&b[12..14]))
                && (1870..=2099).contains(&number(&b[6..10]))
        }
        15 => {
            b.iter().all(u8::is_ascii_digit)
                && is_real_date(
                    1900 + number(&b[6..8]),
                    number(&b[8..10]),
                    number(&b[10..12]),
                )
        }
        _ => false,
    }
}

/// The value of a run of ASCII digits (callers check they are digits).
fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')))
}

pub(crate) fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Whether `s` has the shape of a resident ID (15 digits, or 17 digits and
/// a digit or X), valid or not.
fn has_resident_id_shape(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        15 => b.iter().all(u8::is_ascii_digit),
        18 => b[..17].iter().all(u8::is_ascii_digit) && matches!(b[17], b'0'..=b'9' | b'X' | b'x'),
        _ => false,
    }
}

/// An identifier value. A resident ID (15 or 18 characters of that shape)
/// keeps its first 6 (the region) and last 4 characters, whether or not its
/// checksum holds: a mistyped ID is still somebody's ID. Any other
/// identifier (MRN, insurance, passport, SSN `999-59-8520`) keeps its last 4
/// letters and digits, fewer when it is short (never more than half), and
/// its separators, so the output has as many characters as the input.
pub(crate) fn mask_identifier(s: &str) -> String {
    if has_resident_id_shape(s) {
        return keep(s, 6, 4, MASK);
    }
    let total = s.chars().filter(|c| c.is_alphanumeric()).count();
    let shown = (total / 2).min(4);
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen > total - shown {
                c
            } else {
                MASK
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Phones and email

/// Masks the ASCII digits of `s` whose index among its digits `shown`
/// rejects; everything else (separators, `+`, parentheses) stays.
fn mask_digits(s: &str, shown: impl Fn(usize) -> bool) -> String {
    let mut index = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            index += 1;
            if shown(index - 1) {
                c
            } else {
                MASK
            }
        })
        .collect()
}

/// Whether national digits are a Chinese mobile number: 1[3-9] and 11 digits.
fn is_cn_mobile(national: &[u8]) -> bool {
    national.len() == 11 && national[0] == b'1' && (b'3'..=b'9').contains(&national[1])
}

/// A phone number. Separators, `+` and parentheses stay where they are;
/// only digits are hidden.
///
/// - Chinese mobile (optionally `+86`/`86`): the first 3 and last 4 of the
///   national number (`+86 138****5678`), the usual 3 + 4 rule.
/// - Chinese landline (`010-12345678`, `(0755) 8888 1234`, `+86 10 …`): the
///   area code only, which says no more than the city in the address.
/// - Anything else (`555-327-5793`, `+44 20 7946 0958`): the country code and
///   the first group (the area code), or the first 3 digits when no
///   separator shows the area code. A number shorter than 9 digits is a
///   local number without area code and is hidden entirely.
pub(crate) fn mask_phone(s: &str) -> String {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
    // Digit counts of each run of digits, to find area codes by separators.
    let groups: Vec<usize> = s
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .filter(|&len| len > 0)
        .collect();
    let international = s.trim_start().starts_with('+');
    let chinese_prefix =
        digits.starts_with(b"86") && (international || (digits.len() == 13 && digits[2] == b'1'));
    let country = if chinese_prefix {
        2
    } else if international && groups.len() > 1 && groups[0] <= 3 {
        groups[0]
    } else {
        0
    };
    let national = &digits[country..];
    // Digits of the national number in its first group, when separators
    // split it from the rest.
    let first_group = {
        let mut before = 0;
        groups
            .iter()
            .find_map(|&len| {
                let end = before + len;
                before = end;
                (end > country).then(|| end - country)
            })
            .filter(|&len| len < national.len())
    };

    if chinese_prefix || (!international && country == 0) {
        if is_cn_mobile(national) {
            let end = digits.len();
            return mask_digits(s, |i| i < country + 3 || i >= end - 4);
        }
        let trunk = national.first() == Some(&b'0');
        let landline_len = if trunk { 10..=12 } else { 9..=11 };
        if (trunk || chinese_prefix) && landline_len.contains(&national.len()) {
            let area_lens = if trunk { 3..=4 } else { 2..=3 };
            // Beijing, Tianjin and the 02x cities have two-digit area codes.
            let big_city = national.get(usize::from(trunk)).is_some_and(|d| *d <= b'2');
            let area = first_group
                .filter(|len| area_lens.contains(len))
                .unwrap_or(usize::from(trunk) + if big_city { 2 } else { 3 });
            return mask_digits(s, |i| i < country + area);
        }
    }
    // A number too short to hold an area code is a local number: all of it
    // is hidden.
    let area = match first_group {
        _ if national.len() < 9 => 0,
        Some(len) if len <= 4 => len,
        _ => 3,
    };
    mask_digits(s, |i| i < country + area)
}

/// An email address: the first character of the local part and the domain
/// (`z***@example.cn`). The domain stays because it is usually a provider
/// or employer shared by many people; without `@` the text is masked like
/// any short value.
pub(crate) fn mask_email(s: &str) -> String {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let initial = local.chars().next().map(String::from).unwrap_or_default();
            format!("{initial}{WESTERN_TAIL}@{domain}")
        }
        None => keep(s, 1, 0, MASK),
    }
}

// ---------------------------------------------------------------------------
// Dates, addresses, pseudonyms

/// How precise a generalised date may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    Year,
    Month,
}

/// A FHIR `date`, `dateTime` or `instant` cut to `precision` (`1985-03-12T08:00:00+08:00`
/// → `1985` or `1985-03`), never more precise than the input (`1985` stays
/// `1985` at month precision). `None` when the value does not start with a
/// year: the engine must then redact it, not show it.
pub(crate) fn generalise_date(s: &str, precision: Precision) -> Option<String> {
    let s = s.trim();
    let year = s
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    if s.len() > 4 && !s[4..].starts_with(['-', 'T']) {
        return None;
    }
    let month = s
        .get(4..7)
        .filter(|m| m.starts_with('-'))
        .map(|m| &m[1..])
        .filter(|m| m.bytes().all(|b| b.is_ascii_digit()) && matches!(m.parse::<u8>(), Ok(1..=12)));
    Some(match (precision, month) {
        (Precision::Month, Some(month)) => format!("{year}-{month}"),
        _ => year.to_owned(),
    })
}

/// The administrative levels of a Chinese address, each optional: province
/// (省, 自治区, 特别行政区), prefecture (市, 自治州, 地区, 盟) and county (区,
/// 县, 旗, or a county-level 市). A level's name may not contain the level
/// markers themselves, so each stops at the first marker; a county name may
/// not contain street-level characters after its first character (镇 乡 街
/// 路 号 村 巷 弄 楼 室), so an address without a county (东莞市长安镇…社区) does
/// not take the street as one while 镇江市 and 路桥区 still read.
static CHINESE_ADMIN_LEVELS: LazyLock<Regex> = LazyLock::new(|| {
    let name = r"[\p{Han}&&[^省市区县旗盟]]";
    let county_rest = r"[\p{Han}&&[^省市区县旗盟镇乡街路号村巷弄楼室]]";
    let pattern = format!(
        r"^\s*(?:{name}{{1,10}}?(?:省|自治区|特别行政区)\s*)?(?:{name}{{1,10}}?(?:市|自治州|地区|盟)\s*)?(?:{name}{county_rest}{{0,8}}?(?:区|县|旗|市))?"
    );
    Regex::new(&pattern).expect("the address pattern is a constant checked by the tests")
});

/// A Chinese address cut after its county level (区/县/旗, or a county-level
/// city): 北京市朝阳区建国路88号 → 北京市朝阳区, 广东省深圳市南山区科技园 →
/// 广东省深圳市南山区. Street, village and house number are dropped.
///
/// Returns an empty string for text that is not Chinese or in which no
/// administrative level can be found: such text is dropped rather than
/// guessed at (the engine keeps structured city and state instead).
pub(crate) fn generalise_address_text(s: &str) -> String {
    if !s.chars().any(is_cjk) {
        return String::new();
    }
    CHINESE_ADMIN_LEVELS
        .find(s)
        .map(|m| m.as_str().split_whitespace().collect::<String>())
        .unwrap_or_default()
}

/// A stable pseudonym for `value` (统一调阅编码 style): the first 16 hex
/// digits, uppercase, of HMAC-SHA-256 under the platform-held `key`. The
/// same patient gets the same code on every machine holding the key, so
/// de-identified records can still be linked; without the key the code
/// cannot be reversed or recomputed from a guessed identity. 64 bits keep
/// collisions out of reach for a region's population while staying short
/// enough to read out.
pub(crate) fn pseudonym(key: &[u8], value: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).expect("HMAC-SHA-256 accepts keys of every length");
    mac.update(value.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(8)
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One table row per case: the operator applied to the input must give
    /// the expected output.
    fn check(operator: impl Fn(&str) -> String, cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            assert_eq!(operator(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn keep_shows_only_the_ends_it_is_asked_for() {
        check(
            |s| keep(s, 3, 4, '*'),
            &[
                ("13812345678", "138****5678"),
                ("张小明的电话号码", "张小明*电话号码"),
                ("12345678", "123*5678"),
                ("1234567", "1******"),
                ("ab", "a*"),
                ("a", "*"),
                ("", ""),
            ],
        );
        check(|s| keep(s, 1, 0, '#'), &[("Rice", "R###"), ("张伟", "张#")]);
        check(
            |s| keep(s, 0, 2, '*'),
            &[("abcdef", "****ef"), ("ab", "**")],
        );
    }

    #[test]
    fn chinese_names_keep_the_surname() {
        check(
            mask_name_text,
            &[
                ("张三", "张*"),
                ("张小明", "张**"),
                ("欧阳娜娜", "欧阳**"),
                ("司马光", "司马*"),
                ("诸葛亮", "诸葛*"),
                ("爱新觉罗溥仪", "爱新觉罗**"),
                // Two characters: 欧 is the surname and 阳 the given name.
                ("欧阳", "欧*"),
                ("张 伟", "张 *"),
                ("东郭 先生", "东郭 **"),
                ("阿卜杜拉·买买提", "阿***·***"),
                ("热依拉・吐尔逊", "热**・***"),
                ("张", "张"),
            ],
        );
    }

    #[test]
    fn western_names_become_initials() {
        check(
            mask_name_text,
            &[
                ("Babara724 Rice598", "B*** R***"),
                ("Mrs. Babara724 Rice598", "Mrs. B*** R***"),
                ("José Eduardo181 Gómez206", "J*** E*** G***"),
                ("Kenneth671 O'Keefe54", "K*** O***"),
                ("O'Connor", "O***"),
                ("Rice598, Babara724", "R***, B***"),
                ("Dr. Anna Smith-Jones Jr.", "Dr. A*** S*** Jr."),
                ("Ángel  Núñez", "Á***  N***"),
                ("(Bob)", "(B***)"),
                ("", ""),
            ],
        );
    }

    #[test]
    fn family_and_given_parts_follow_their_script() {
        check(
            mask_family,
            &[
                ("张", "张"),
                ("欧阳", "欧阳"),
                ("买买提", "买买提"),
                ("Rice598", "R***"),
                ("García López", "G*** L***"),
            ],
        );
        check(
            mask_given,
            &[
                ("伟", "*"),
                ("小明", "**"),
                ("阿卜杜拉", "****"),
                ("Babara724", "B***"),
                ("Eduardo181", "E***"),
                ("Mary Ann", "M*** A***"),
            ],
        );
    }

    #[test]
    fn resident_ids_are_validated_by_checksum_and_birth_date() {
        let cases = [
            ("11010519491231002X", true),
            ("11010519491231002x", true),
            ("110101199003074518", false), // wrong check digit
            ("110101199003074514", true),
            ("440524188001010014", true),
            ("110101199002304518", false), // 30 February
            ("110101186001010015", false), // born 1860
            ("110105491231002", true),     // 15-digit legacy
            ("110105491331002", false),    // month 13
            ("11010519491231002", false),
            ("1101051949123100X2", false),
            ("11010519491231002Ⅹ", false), // a Roman numeral, not X
            ("", false),
        ];
        for (id, valid) in cases {
            assert_eq!(is_valid_resident_id(id), valid, "{id}");
        }
    }

    #[test]
    fn identifiers_keep_their_shape_and_little_else() {
        check(
            mask_identifier,
            &[
                ("11010519491231002X", "110105********002X"),
                // A wrong checksum is masked the same way.
                ("110101199003074518", "110101********4518"),
                ("110105491231002", "110105*****1002"),
                ("999-59-8520", "***-**-8520"),
                ("S99916793", "*****6793"),
                ("X49293307X", "******307X"),
                ("MRN-0042", "***-*042"),
                ("E1234567", "****4567"),
                ("12", "*2"),
                ("7", "*"),
                ("", ""),
            ],
        );
    }

    #[test]
    fn chinese_mobiles_keep_three_and_four() {
        check(
            mask_phone,
            &[
                ("13812345678", "138****5678"),
                ("138-1234-5678", "138-****-5678"),
                ("138 1234 5678", "138 **** 5678"),
                ("+86 138 1234 5678", "+86 138 **** 5678"),
                ("+8613812345678", "+86138****5678"),
                ("8613812345678", "86138****5678"),
                ("+86-199-0000-1111", "+86-199-****-1111"),
            ],
        );
    }

    #[test]
    fn landlines_keep_the_area_code() {
        check(
            mask_phone,
            &[
                ("010-12345678", "010-********"),
                ("(0755) 8888 1234", "(0755) **** ****"),
                ("021 5555 6666", "021 **** ****"),
                ("02155556666", "021********"),
                ("075588881234", "0755********"),
                ("+86 10 1234 5678", "+86 10 **** ****"),
                ("+86-755-88881234", "+86-755-********"),
                ("8888 1234", "**** ****"),
            ],
        );
    }

    #[test]
    fn other_phones_keep_the_first_group() {
        check(
            mask_phone,
            &[
                ("555-327-5793", "555-***-****"),
                ("(555) 327-5793", "(555) ***-****"),
                ("5553275793", "555*******"),
                ("+1 555-327-5793", "+1 555-***-****"),
                ("+44 20 7946 0958", "+44 20 **** ****"),
                ("327-5793", "***-****"),
                ("no number", "no number"),
            ],
        );
    }

    #[test]
    fn emails_keep_the_first_letter_and_the_domain() {
        check(
            mask_email,
            &[
                ("zhang.wei@example.cn", "z***@example.cn"),
                ("Babara724.Rice598@example.com", "B***@example.com"),
                ("张伟@例子.中国", "张***@例子.中国"),
                ("@example.com", "***@example.com"),
                ("not-an-email", "n***********"),
            ],
        );
    }

    #[test]
    fn dates_are_never_more_precise_than_asked_or_given() {
        let year = |s: &str| generalise_date(s, Precision::Year).unwrap_or_else(|| "-".into());
        let month = |s: &str| generalise_date(s, Precision::Month).unwrap_or_else(|| "-".into());
        let cases = [
            ("1985", "1985", "1985"),
            ("1985-03", "1985", "1985-03"),
            ("1985-03-12", "1985", "1985-03"),
            ("1985-03-12T08:00:00+08:00", "1985", "1985-03"),
            ("2019-11-30T23:59:59.999Z", "2019", "2019-11"),
            ("1985-13-01", "1985", "1985"),
            ("19850312", "-", "-"),
            ("85-03-12", "-", "-"),
            ("unknown", "-", "-"),
            ("", "-", "-"),
        ];
        for (input, at_year, at_month) in cases {
            assert_eq!(year(input), at_year, "{input}");
            assert_eq!(month(input), at_month, "{input}");
        }
    }

    #[test]
    fn chinese_addresses_keep_province_city_and_county() {
        check(
            generalise_address_text,
            &[
                ("北京市朝阳区建国路88号", "北京市朝阳区"),
                ("上海市浦东新区张江路100弄5号", "上海市浦东新区"),
                ("广东省深圳市南山区科技园南区", "广东省深圳市南山区"),
                ("江苏省苏州市昆山市玉山镇人民路1号", "江苏省苏州市昆山市"),
                ("江苏省镇江市京口区", "江苏省镇江市京口区"),
                ("浙江省台州市路桥区路桥街道", "浙江省台州市路桥区"),
                (
                    "内蒙古自治区呼和浩特市土默特左旗察素齐镇",
                    "内蒙古自治区呼和浩特市土默特左旗",
                ),
                (
                    "新疆维吾尔自治区乌鲁木齐市天山区解放北路",
                    "新疆维吾尔自治区乌鲁木齐市天山区",
                ),
                (
                    "吉林省延边朝鲜族自治州延吉市",
                    "吉林省延边朝鲜族自治州延吉市",
                ),
                ("广东省东莞市长安镇锦厦社区", "广东省东莞市"),
                ("广东省 广州市 天河区 天河路 385 号", "广东省广州市天河区"),
                ("朝阳区建国路88号", "朝阳区"),
                ("建国路88号", ""),
                ("411 Kreiger Rest Apt 37, Billerica", ""),
                ("", ""),
            ],
        );
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_short() {
        let a = pseudonym(b"platform key", "110105194912310021");
        assert_eq!(a, pseudonym(b"platform key", "110105194912310021"));
        assert_ne!(a, pseudonym(b"another key", "110105194912310021"));
        assert_ne!(a, pseudonym(b"platform key", "110105194912310022"));
        assert_eq!(a.len(), 16);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        // RFC 4231 test case 2, cut to 64 bits.
        assert_eq!(
            pseudonym(b"Jefe", "what do ya want for nothing?"),
            "5BDCC146BF60754E"
        );
    }

    proptest! {
        #[test]
        fn keep_never_reveals_more_than_its_ends(
            s in "\\PC{0,30}",
            first in 0usize..6,
            last in 0usize..6,
        ) {
            let kept = keep(&s, first, last, MASK);
            prop_assert_eq!(kept.chars().count(), s.chars().count());
            let revealed = kept
                .chars()
                .zip(s.chars())
                .filter(|(k, c)| k == c && *c != MASK)
                .count();
            prop_assert!(revealed <= first + last);
            // Something is hidden whenever there is something to hide.
            if s.chars().any(|c| c != MASK) {
                prop_assert!(revealed < s.chars().count());
            }
        }

        #[test]
        fn mask_identifier_keeps_the_length(s in "[0-9A-Za-z\\- /]{0,24}|[0-9]{17}[0-9X]|\\PC{0,20}") {
            let masked = mask_identifier(&s);
            prop_assert_eq!(masked.chars().count(), s.chars().count());
            prop_assert!(masked.chars().filter(|c| *c != MASK).count() <= s.chars().count());
        }

        #[test]
        fn resident_ids_with_a_computed_check_digit_are_valid(
            region in 110000u32..660000,
            year in 1900u32..2030,
            month in 1u32..=12,
            day in 1u32..=28,
            serial in 0u32..1000,
        ) {
            let body = format!("{region:06}{year:04}{month:02}{day:02}{serial:03}");
            let sum: u32 = body.bytes().zip(RESIDENT_ID_WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
            let id = format!("{body}{}", char::from(RESIDENT_ID_CHECK[(sum % 11) as usize]));
            prop_assert!(is_valid_resident_id(&id), "{}", id);
            prop_assert_eq!(mask_identifier(&id).chars().filter(|c| *c == MASK).count(), 8);
        }
    }
}
