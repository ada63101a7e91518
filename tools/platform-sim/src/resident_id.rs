//! Owns the Chinese resident identity number (居民身份证号码, GB 11643-1999):
//! building one from region, birth date and sequence, and checking the
//! ISO 7064 MOD 11-2 check character. Pure functions, no I/O.

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits, or `None` if they are not 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Whether `id` is 18 characters with a valid check character (upper-case `X` only).
pub fn is_valid(id: &str) -> bool {
    id.len() == 18
        && id.is_char_boundary(17)
        && check_char(&id[..17]).is_some_and(|c| id.ends_with(c))
}

/// Builds an ID from a 6-digit region code, a `YYYYMMDD` birth date and a
/// sequence number (0–999; odd for men, even for women by convention).
pub fn build(region: &str, birth_yyyymmdd: &str, sequence: u16) -> Option<String> {
    let first17 = format!("{region}{birth_yyyymmdd}{:03}", sequence % 1000);
    let check = check_char(&first17)?;
    Some(format!("{first17}{check}"))
}

/// The birth date (`YYYY-MM-DD`) encoded in an 18-character ID.
pub fn birth_date(id: &str) -> Option<String> {
    let digits = id.get(6..14)?;
    Some(format!(
        "{}-{}-{}",
        digits.get(0..4)?,
        digits.get(4..6)?,
        digits.get(6..8)?
    ))
}
