//! The watermark: who is looking, on which workstation, and when, tiled over
//! every screen and burned into every export page, so that a photographed
//! screen or a leaked PDF points back to one person, one workstation and one
//! moment.
//!
//! Pure: [`spec`] takes the policy's layout and a [`Stamp`] (the doctor,
//! the workstation, the local time, the session reference) and returns what
//! to draw; the viewer gathers the stamp at the edge. The UI only draws the
//! result, and the PDF export draws the same lines.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::view::{WatermarkTamper, WatermarkView};

/// What the policy's `[watermark]` table sets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct WatermarkPolicy {
    /// What the mark says, in this order: the person fields make the first
    /// line, the context fields the second.
    pub(crate) fields: Vec<Field>,
    /// CSS pixels on screen, points in exports.
    pub(crate) font_size: u32,
    pub(crate) opacity: f32,
    pub(crate) color: String,
    /// The colour while the glass is broken, so a reviewer sees at once that
    /// a screen or an export was made under break-the-glass.
    pub(crate) break_glass_color: String,
    /// Degrees, counter-clockwise.
    pub(crate) angle: f32,
    /// Space between tiles.
    pub(crate) spacing: u32,
    /// Asks the OS to keep the window out of screenshots and screen sharing
    /// (Windows and macOS; Linux has no such API).
    pub(crate) content_protection: bool,
}

impl Default for WatermarkPolicy {
    fn default() -> Self {
        WatermarkPolicy {
            fields: vec![
                Field::Name,
                Field::StaffNo,
                Field::Workstation,
                Field::Time,
                Field::Session,
            ],
            font_size: 15,
            opacity: 0.16,
            color: "#4b5563".into(),
            break_glass_color: "#7b2cbf".into(),
            angle: 30.0,
            spacing: 140,
            content_protection: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Field {
    /// The doctor's display name.
    Name,
    StaffNo,
    Department,
    /// The workstation's host name.
    Workstation,
    /// Local date and time, to the minute.
    Time,
    /// The session reference the audit trail resolves to the login.
    Session,
}

impl Field {
    fn is_person(self) -> bool {
        matches!(self, Field::Name | Field::StaffNo | Field::Department)
    }
}

impl WatermarkPolicy {
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        if self.fields.is_empty() {
            return Err("watermark.fields: at least one field is needed".into());
        }
        for (i, field) in self.fields.iter().enumerate() {
            if self.fields[..i].contains(field) {
                return Err(format!("watermark.fields: {field:?} is listed twice"));
            }
        }
        if !self
            .fields
            .iter()
            .any(|f| matches!(f, Field::Name | Field::StaffNo))
        {
            return Err(
                "watermark.fields: must include \"name\" or \"staff_no\" (a mark must point to a person)"
                    .into(),
            );
        }
        if !self.fields.contains(&Field::Time) {
            return Err("watermark.fields: must include \"time\"".into());
        }
        if !(8..=48).contains(&self.font_size) {
            return Err("watermark.font_size: must be between 8 and 48".into());
        }
        if !(0.03..=0.6).contains(&self.opacity) {
            return Err(
                "watermark.opacity: must be between 0.03 (barely visible) and 0.6 (hides the text)"
                    .into(),
            );
        }
        for (key, color) in [
            ("color", &self.color),
            ("break_glass_color", &self.break_glass_color),
        ] {
            if parse_color(color).is_none() {
                return Err(format!(
                    "watermark.{key}: {color:?} is not a colour like \"#4b5563\""
                ));
            }
        }
        if !(-90.0..=90.0).contains(&self.angle) {
            return Err("watermark.angle: must be between -90 and 90 degrees".into());
        }
        if self.spacing > 800 {
            return Err("watermark.spacing: must be at most 800".into());
        }
        Ok(())
    }
}

/// `#rrggbb` as its three components.
pub(crate) fn parse_color(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The logged-in doctor, as the mark names them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person<'a> {
    pub(crate) name: &'a str,
    pub(crate) staff_no: Option<&'a str>,
    pub(crate) department: Option<&'a str>,
    pub(crate) session_ref: &'a str,
}

/// Everything the mark says, gathered by the caller at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    /// `None` before login: the mark then names the workstation and time.
    pub(crate) person: Option<Person<'a>>,
    pub(crate) workstation: &'a str,
    /// Local time, to the minute (`2026-11-28 09:30`).
    pub(crate) time: &'a str,
    pub(crate) break_glass: bool,
    /// Seconds until `time` changes.
    pub(crate) refresh_in_secs: u32,
}

/// What to draw for `stamp` under `policy`.
pub(crate) fn spec(policy: &WatermarkPolicy, stamp: &Stamp<'_>) -> WatermarkView {
    let value = |field: Field| -> Option<String> {
        let person = stamp.person;
        let text = match field {
            Field::Name => person.map(|p| p.name)?,
            Field::StaffNo => person.and_then(|p| p.staff_no)?,
            Field::Department => person.and_then(|p| p.department)?,
            Field::Workstation => stamp.workstation,
            Field::Time => stamp.time,
            Field::Session => person.map(|p| p.session_ref)?,
        };
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    let line = |person: bool| -> String {
        let values: Vec<String> = policy
            .fields
            .iter()
            .filter(|f| f.is_person() == person)
            .filter_map(|&f| value(f))
            .collect();
        // Name and staff number read as one ("王医生 D1234"); the context
        // fields are set apart.
        values.join(if person { " " } else { " · " })
    };
    let lines = [line(true), line(false)]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    WatermarkView {
        lines,
        font_size: policy.font_size,
        opacity: policy.opacity,
        color: match stamp.break_glass {
            true => policy.break_glass_color.clone(),
            false => policy.color.clone(),
        },
        angle_deg: policy.angle,
        spacing: policy.spacing,
        break_glass: stamp.break_glass,
        refresh_in_secs: stamp.refresh_in_secs,
    }
}

/// How often watermark tampering of one kind is audited at most.
pub(crate) const TAMPER_EVERY: Duration = Duration::from_secs(5);

/// Bounds how often watermark tampering is audited, so that a script
/// removing the mark in a loop cannot flood the trail: at most one event
/// per kind every [`TAMPER_EVERY`]; the reports in between are counted into
/// the next event of that kind.
#[derive(Debug, Default)]
pub(crate) struct TamperTally {
    last: [Option<Instant>; 2],
    held: [u32; 2],
}

impl TamperTally {
    /// `Some(n)`: audit this report now, with the `n` held back since the
    /// last event of its kind; `None`: it is counted for the next one.
    pub(crate) fn note(&mut self, kind: WatermarkTamper, now: Instant) -> Option<u32> {
        let i = match kind {
            WatermarkTamper::Removed => 0,
            WatermarkTamper::Hidden => 1,
        };
        match self.last[i] {
            Some(last) if now.saturating_duration_since(last) < TAMPER_EVERY => {
                self.held[i] = self.held[i].saturating_add(1);
                None
            }
            _ => {
                self.last[i] = Some(now);
                Some(std::mem::take(&mut self.held[i]))
            }
        }
    }
}

/// Local date and time to the minute, as marks and footers show it.
pub(crate) fn local_minute(t: chrono::DateTime<chrono::Local>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A short reference for a session or an export: `prefix` and eight
/// characters that cannot be misread (no 0/O, 1/I/L), random, so that it
/// names nothing by itself and only the audit trail resolves it.
pub(crate) fn new_reference(prefix: &str) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let code: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{prefix}-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp<'a>(person: Option<Person<'a>>, break_glass: bool) -> Stamp<'a> {
        Stamp {
            person,
            workstation: "WS-CARD-07",
            time: "2026-11-28 09:30",
            break_glass,
            refresh_in_secs: 42,
        }
    }

    const WANG: Person<'static> = Person {
        name: "王医生",
        staff_no: Some("D1234"),
        department: Some("cardiology"),
        session_ref: "S-7F3K2Q9A",
    };

    #[test]
    fn default_mark_names_doctor_workstation_time_and_session() {
        let view = spec(&WatermarkPolicy::default(), &stamp(Some(WANG), false));
        assert_eq!(
            view.lines,
            ["王医生 D1234", "WS-CARD-07 · 2026-11-28 09:30 · S-7F3K2Q9A"]
        );
        assert_eq!(view.color, "#4b5563");
        assert_eq!(view.refresh_in_secs, 42);
    }

    #[test]
    fn before_login_the_mark_names_workstation_and_time() {
        let view = spec(&WatermarkPolicy::default(), &stamp(None, false));
        assert_eq!(view.lines, ["WS-CARD-07 · 2026-11-28 09:30"]);
    }

    #[test]
    fn break_the_glass_changes_the_colour() {
        let view = spec(&WatermarkPolicy::default(), &stamp(Some(WANG), true));
        assert_eq!(view.color, "#7b2cbf");
        assert!(view.break_glass);
    }

    #[test]
    fn fields_follow_the_policy_order_and_omit_what_is_unknown() {
        let policy = WatermarkPolicy {
            fields: vec![Field::Time, Field::StaffNo, Field::Department, Field::Name],
            ..WatermarkPolicy::default()
        };
        let no_staff = Person {
            staff_no: None,
            ..WANG
        };
        let view = spec(&policy, &stamp(Some(no_staff), false));
        assert_eq!(view.lines, ["cardiology 王医生", "2026-11-28 09:30"]);
    }

    #[test]
    fn invalid_watermark_policies_name_the_key() {
        type Change = fn(&mut WatermarkPolicy);
        let cases: &[(Change, &str)] = &[
            (|p| p.fields.clear(), "watermark.fields: at least one"),
            (
                |p| p.fields = vec![Field::Time, Field::Workstation],
                "must include \"name\" or \"staff_no\"",
            ),
            (|p| p.fields = vec![Field::Name], "must include \"time\""),
            (|p| p.fields.push(Field::Name), "listed twice"),
            (|p| p.opacity = 0.9, "watermark.opacity"),
            (|p| p.opacity = 0.0, "watermark.opacity"),
            (|p| p.font_size = 4, "watermark.font_size"),
            (|p| p.color = "grey".into(), "watermark.color"),
            (
                |p| p.break_glass_color = "#12345".into(),
                "watermark.break_glass_color",
            ),
            (|p| p.angle = 120.0, "watermark.angle"),
            (|p| p.spacing = 5000, "watermark.spacing"),
        ];
        for (change, expected) in cases {
            let mut policy = WatermarkPolicy::default();
            change(&mut policy);
            let problem = policy.validate().expect_err(expected);
            assert!(
                problem.contains(expected),
                "{problem:?} should mention {expected:?}"
            );
        }
        assert_eq!(WatermarkPolicy::default().validate(), Ok(()));
    }

    #[test]
    fn references_are_unambiguous_and_distinct() {
        let a = new_reference("S");
        let b = new_reference("S");
        assert_ne!(a, b);
        assert_eq!(a.len(), 10);
        assert!(a[2..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert!(!a[2..].contains(['0', 'O', '1', 'I', 'L']));
    }

    /// The reference for IT (docs/policy.md) shows the defaults as a TOML
    /// block: it must parse with every key, and be the defaults.
    #[test]
    fn the_documented_watermark_table_is_the_default() {
        let docs = include_str!("../docs/policy.md");
        let start = docs
            .find("```toml\n[watermark]\n")
            .expect("the documented table");
        let block = &docs[start + "```toml\n".len()..];
        let block = &block[..block.find("```").expect("the block's end")];
        #[derive(Deserialize)]
        struct Doc {
            watermark: WatermarkPolicy,
        }
        let documented = toml::from_str::<Doc>(block)
            .expect("the documented [watermark] parses")
            .watermark;
        let default = WatermarkPolicy::default();
        assert_eq!(documented.fields, default.fields);
        assert_eq!(
            (
                documented.font_size,
                documented.spacing,
                documented.content_protection
            ),
            (
                default.font_size,
                default.spacing,
                default.content_protection
            )
        );
        assert_eq!(
            (documented.color, documented.break_glass_color),
            (default.color, default.break_glass_color)
        );
        assert_eq!(
            (documented.opacity, documented.angle),
            (default.opacity, default.angle)
        );
    }

    #[test]
    fn tampering_is_audited_at_most_every_five_seconds_per_kind_and_counted() {
        let mut tally = TamperTally::default();
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(tally.note(WatermarkTamper::Removed, at(0)), Some(0));
        assert_eq!(tally.note(WatermarkTamper::Removed, at(100)), None);
        assert_eq!(tally.note(WatermarkTamper::Removed, at(200)), None);
        assert_eq!(
            tally.note(WatermarkTamper::Hidden, at(300)),
            Some(0),
            "kinds apart"
        );
        assert_eq!(tally.note(WatermarkTamper::Removed, at(5_000)), Some(2));
        assert_eq!(tally.note(WatermarkTamper::Removed, at(5_100)), None);
        assert_eq!(tally.note(WatermarkTamper::Removed, at(10_100)), Some(1));
    }

    #[test]
    fn colours_parse_only_as_six_hex_digits() {
        assert_eq!(parse_color("#7b2cbf"), Some([0x7b, 0x2c, 0xbf]));
        for bad in ["7b2cbf", "#7b2cb", "#7b2cbfa", "#zzzzzz", "#７b2cbf"] {
            assert_eq!(parse_color(bad), None, "{bad}");
        }
    }
}
