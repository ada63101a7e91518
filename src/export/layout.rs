//! From a chart to positioned lines on A4 pages. Pure: the font comes in as
//! an [`Advance`] (glyph widths), so layout is tested without a font file.

use chrono::FixedOffset;

use crate::view::{Chart, ExportScope, ReferenceRange, ResultSeries};

use super::Labels;

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 56.0;
/// Room below the text for the footer.
pub(crate) const MARGIN_BOTTOM: f32 = 78.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const DETAIL_INDENT: f32 = 12.0;
/// Space between a heading's rule and the text under it.
const RULE_GAP: f32 = 3.0;

/// Widths of characters at a size of 1 point.
pub(crate) trait Advance {
    fn advance(&self, c: char) -> f32;

    /// Whether the font can draw `c`.
    fn has(&self, c: char) -> bool;

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Title,
    Name,
    Heading,
    Body,
    /// Secondary facts of an item, indented and grey.
    Detail,
    /// Provenance and access facts under the patient's name.
    Note,
    /// Room for the trend drawing of the exported series: one "line" as
    /// tall as the figure, with no text.
    Figure,
}

/// The trend drawing's height in points.
pub(crate) const FIGURE_HEIGHT: f32 = 170.0;

impl Style {
    pub(crate) fn size(self) -> f32 {
        match self {
            Style::Title => 16.0,
            Style::Name => 13.0,
            Style::Heading => 11.5,
            Style::Body => 9.5,
            Style::Detail | Style::Note | Style::Figure => 8.5,
        }
    }

    /// Grey levels: headings and body black, details grey.
    pub(crate) fn grey(self) -> u8 {
        match self {
            Style::Title | Style::Name | Style::Body => 20,
            Style::Heading => 40,
            Style::Detail | Style::Note | Style::Figure => 90,
        }
    }

    fn line_height(self) -> f32 {
        match self {
            Style::Figure => FIGURE_HEIGHT,
            _ => self.size() * 1.45,
        }
    }

    /// Extra space before a paragraph of this style.
    fn space_before(self) -> f32 {
        match self {
            Style::Heading => 14.0,
            Style::Body => 3.0,
            Style::Name => 6.0,
            Style::Figure => 8.0,
            _ => 0.0,
        }
    }
}

/// One paragraph before line breaking.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub(crate) style: Style,
    pub(crate) text: String,
}

/// One line of text on a page; `y` is its baseline, from the top.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub(crate) style: Style,
    pub(crate) text: String,
    pub(crate) x: f32,
    pub(crate) y: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub(crate) lines: Vec<Line>,
    /// Rules under headings: their `y`.
    pub(crate) rules: Vec<f32>,
}

fn block(style: Style, text: impl Into<String>) -> Block {
    Block {
        style,
        text: text.into(),
    }
}

/// Joins the present facts with a middle dot.
fn facts(parts: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    let parts: Vec<String> = parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn labelled(label: &str, value: Option<&String>) -> Option<String> {
    value.map(|v| format!("{label}: {v}"))
}

/// The date part of a FHIR date or date-time.
fn day(value: Option<&String>) -> Option<String> {
    value.map(|v| v.get(..10).filter(|_| v.len() > 10).unwrap_or(v).to_owned())
}

/// An RFC 3339 instant to the minute in `zone` (the workstation's, as
/// the footer's time is).
fn minute_in(value: &str, zone: &FixedOffset) -> String {
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(t) => t.with_timezone(zone).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => value.to_owned(),
    }
}

/// The range as written: `low–high`, `≥ low`, `≤ high`, or the lab's text.
pub(crate) fn range_text(range: &ReferenceRange) -> Option<String> {
    let n = crate::chart::number;
    match (range.low, range.high) {
        (Some(low), Some(high)) => Some(format!("{}–{}", n(low), n(high))),
        (Some(low), None) => Some(format!("≥ {}", n(low))),
        (None, Some(high)) => Some(format!("≤ {}", n(high))),
        (None, None) => range.text.clone(),
    }
}

/// The paragraphs of `scope` of `chart`: the patient's header first (every
/// export names the patient as the tier sees them), then the sections.
/// `series` is what a [`ExportScope::Trend`] shows (a panel's together).
pub(crate) fn blocks(
    chart: &Chart,
    scope: ExportScope,
    series: &[&ResultSeries],
    labels: &Labels,
    zone: &FixedOffset,
) -> Vec<Block> {
    let mut out = vec![block(Style::Title, labels.title)];
    let patient = &chart.patient;
    out.push(block(Style::Name, &patient.name));
    out.extend(
        facts([
            labelled(labels.gender, patient.gender.as_ref()),
            labelled(labels.birth_date, patient.birth_date.as_ref()),
        ])
        .map(|t| block(Style::Note, t)),
    );
    for identifier in &patient.identifiers {
        let kind = labels.identifier_kind(identifier.kind);
        out.push(block(Style::Note, format!("{kind}: {}", identifier.value)));
    }
    out.extend(labelled(labels.phone, patient.phone.as_ref()).map(|t| block(Style::Note, t)));
    out.extend(labelled(labels.address, patient.address.as_ref()).map(|t| block(Style::Note, t)));
    let access = &chart.access;
    out.push(block(
        Style::Note,
        facts([
            Some(format!("{}: {}", labels.access, labels.tier(&access.tier))),
            Some(labels.grounds(access.grounds).to_owned()),
            access.masked.then(|| labels.masked.to_owned()),
        ])
        .unwrap_or_default(),
    ));
    let as_of = match chart.freshness.from_cache {
        true => labels.as_of_cache,
        false => labels.as_of_platform,
    };
    out.push(block(
        Style::Note,
        as_of.replace("{time}", &minute_in(&chart.freshness.as_of, zone)),
    ));
    if let Some(until) = &access.break_glass_until {
        out.push(block(
            Style::Note,
            labels
                .break_glass_until
                .replace("{time}", &minute_in(until, zone)),
        ));
    }
    if chart.sealed > 0 {
        out.push(block(
            Style::Note,
            labels.sealed.replace("{count}", &chart.sealed.to_string()),
        ));
    }

    if scope == ExportScope::Trend && !series.is_empty() {
        trend(&mut out, series, labels);
        return out;
    }
    let wants = |section: ExportScope| {
        scope == section
            || scope == ExportScope::Chart
            || (scope == ExportScope::Summary && section != ExportScope::Encounters)
    };
    let mut section = |title: &str, items: Vec<(String, Option<String>)>| {
        out.push(block(Style::Heading, title));
        if items.is_empty() {
            out.push(block(Style::Detail, labels.none));
        }
        for (main, detail) in items {
            out.push(block(Style::Body, main));
            out.extend(detail.map(|d| block(Style::Detail, d)));
        }
    };
    if wants(ExportScope::Allergies) {
        let items = chart
            .allergies
            .iter()
            .map(|a| {
                let reactions = (!a.reactions.is_empty()).then(|| a.reactions.join("、"));
                let detail = facts([
                    labelled(labels.criticality, a.criticality.as_ref()),
                    labelled(labels.reactions, reactions.as_ref()),
                    labelled(labels.source, a.source.as_ref()),
                ]);
                (a.substance.clone(), detail)
            })
            .collect();
        section(labels.allergies, items);
    }
    if wants(ExportScope::Problems) {
        let items = chart
            .problems
            .iter()
            .map(|p| {
                let main = match &p.code {
                    Some(code) => format!("{} ({code})", p.text),
                    None => p.text.clone(),
                };
                let detail = facts([
                    labelled(labels.status, p.clinical_status.as_ref()),
                    labelled(labels.onset, day(p.onset.as_ref()).as_ref()),
                    labelled(labels.source, p.source.as_ref()),
                ]);
                (main, detail)
            })
            .collect();
        section(labels.problems, items);
    }
    if wants(ExportScope::Medications) {
        let items = chart
            .medications
            .iter()
            .map(|m| {
                let sources = m
                    .sources
                    .iter()
                    .filter_map(|s| s.hospital.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ");
                let detail = facts([
                    labelled(labels.dosage, m.dosage.as_ref()),
                    labelled(labels.status, m.status.as_ref()),
                    labelled(labels.prescribed, day(m.authored.as_ref()).as_ref()),
                    labelled(labels.source, Some(&sources).filter(|s| !s.is_empty())),
                ]);
                (m.text.clone(), detail)
            })
            .collect();
        section(labels.medications, items);
    }
    if wants(ExportScope::Labs) {
        let items = chart
            .labs
            .iter()
            .map(|l| {
                let value = facts([Some(l.value.clone()), l.unit.clone()]).unwrap_or_default();
                let main = format!("{}: {}", l.name, value.replace(" · ", " "));
                let detail = facts([
                    day(l.effective.as_ref()),
                    l.interpretation.clone(),
                    labelled(labels.source, l.source.as_ref()),
                ]);
                (main, detail)
            })
            .collect();
        section(labels.labs, items);
    }
    if wants(ExportScope::Encounters) {
        let items = chart
            .encounters
            .iter()
            .map(|e| {
                let period = match (day(e.start.as_ref()), day(e.end.as_ref())) {
                    (Some(start), Some(end)) if start != end => Some(format!("{start} – {end}")),
                    (start, _) => start,
                };
                let main = facts([period, e.class.clone(), e.kind.clone()]).unwrap_or_default();
                let detail = facts([
                    e.hospital.clone(),
                    labelled(labels.reason, e.reason.as_ref()),
                ]);
                (main, detail)
            })
            .collect();
        section(labels.encounters, items);
    }
    out
}

/// A trend: the drawing, then each series' range and every result,
/// newest first.
fn trend(out: &mut Vec<Block>, series: &[&ResultSeries], labels: &Labels) {
    let named = |s: &ResultSeries| match &s.unit {
        Some(unit) => format!("{} ({unit})", s.name),
        None => s.name.clone(),
    };
    let names: Vec<String> = series.iter().map(|s| named(s)).collect();
    out.push(block(
        Style::Heading,
        labels.trend.replace("{name}", &names.join(" / ")),
    ));
    if super::figure::drawable(series) {
        out.push(block(Style::Figure, ""));
    }
    for one in series {
        if series.len() > 1 {
            out.push(block(Style::Name, named(one)));
        }
        if let Some(range) = one.range.as_ref().and_then(range_text) {
            out.push(block(
                Style::Note,
                format!("{}: {range}", labels.reference_range),
            ));
        }
        for point in one.points.iter().rev() {
            let value = facts([Some(point.text.clone()), one.unit.clone()])
                .unwrap_or_default()
                .replace(" · ", " ");
            let main = facts([day(point.effective.as_ref()), Some(value)]).unwrap_or_default();
            out.push(block(Style::Body, main));
            out.extend(
                facts([
                    point.flag.map(|f| labels.flag(f).to_owned()),
                    labelled(labels.recorded_as, point.recorded.as_ref()),
                    labelled(labels.source, point.source.as_ref()),
                ])
                .map(|d| block(Style::Detail, d)),
            );
        }
    }
}

/// What stands for a character the font cannot draw.
const MISSING: char = '□';

/// Replaces every character the font cannot draw with □ and, when there
/// was any, says so under the title: text must never vanish silently from
/// a clinical document (a Uyghur name in a font without Arabic script).
pub(crate) fn mark_missing(
    mut blocks: Vec<Block>,
    advance: &dyn Advance,
    labels: &Labels,
) -> Vec<Block> {
    let mut missing = 0usize;
    for b in &mut blocks {
        if b.text
            .chars()
            .all(|c| c.is_whitespace() || c.is_control() || advance.has(c))
        {
            continue;
        }
        b.text = b
            .text
            .chars()
            .map(
                |c| match c.is_whitespace() || c.is_control() || advance.has(c) {
                    true => c,
                    false => {
                        missing += 1;
                        MISSING
                    }
                },
            )
            .collect();
    }
    if missing > 0 {
        let note = block(
            Style::Note,
            labels
                .missing_glyphs
                .replace("{count}", &missing.to_string()),
        );
        blocks.insert(1.min(blocks.len()), note);
    }
    blocks
}

/// Breaks the blocks into lines and the lines into pages.
pub(crate) fn paginate(blocks: &[Block], advance: &dyn Advance) -> Vec<Page> {
    let bottom = PAGE_HEIGHT - MARGIN_BOTTOM;
    let mut pages = vec![Page::default()];
    let mut y = MARGIN_TOP;
    for (i, b) in blocks.iter().enumerate() {
        let indent = if b.style == Style::Detail {
            DETAIL_INDENT
        } else {
            0.0
        };
        let size = b.style.size();
        let lines = wrap(&b.text, size, CONTENT_WIDTH - indent, advance);
        let height = b.style.line_height();
        // A heading never ends a page: it goes with the first line after it.
        let keep = match b.style {
            Style::Heading => {
                height
                    + RULE_GAP
                    + blocks
                        .get(i + 1)
                        .map_or(0.0, |n| n.style.space_before() + n.style.line_height())
            }
            _ => height,
        };
        let at_top = pages.last().is_some_and(|p| p.lines.is_empty());
        if !at_top {
            y += b.style.space_before();
        }
        if y + keep > bottom && !at_top {
            pages.push(Page::default());
            y = MARGIN_TOP;
        }
        for text in lines {
            if y + height > bottom && pages.last().is_some_and(|p| !p.lines.is_empty()) {
                pages.push(Page::default());
                y = MARGIN_TOP;
            }
            y += height;
            let page = pages.last_mut().expect("there is always a page");
            page.lines.push(Line {
                style: b.style,
                text,
                x: MARGIN_X + indent,
                // The baseline sits a fifth of the line height above its bottom.
                y: y - height * 0.22,
            });
        }
        if b.style == Style::Heading {
            let page = pages.last_mut().expect("there is always a page");
            page.rules.push(y + 1.5);
            y += RULE_GAP;
        }
    }
    pages
}

/// Characters between which a line may break without a space: CJK text
/// breaks between any two characters.
fn is_wide(c: char) -> bool {
    c >= '\u{2E80}'
}

/// Greedy line breaking of `text` (its own line breaks kept, control
/// characters dropped) to `max` points at `size`. A word longer than a line
/// is cut.
pub(crate) fn wrap(text: &str, size: f32, max: f32, advance: &dyn Advance) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let chars: Vec<char> = paragraph
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        let mut start = 0;
        while start < chars.len() {
            let mut width = 0.0;
            let mut end = start;
            // Where the line may end: after a space, or around a wide character.
            let mut last_break = None;
            while end < chars.len() {
                let w = advance.advance(chars[end]) * size;
                if width + w > max && end > start {
                    break;
                }
                width += w;
                end += 1;
                let here = chars[end - 1];
                if here == ' ' || is_wide(here) || chars.get(end).is_some_and(|&n| is_wide(n)) {
                    last_break = Some(end);
                }
            }
            if chars.get(end) == Some(&' ') {
                last_break = Some(end);
            }
            let cut = match last_break {
                Some(b) if end < chars.len() && b > start => b,
                _ => end,
            };
            let line: String = chars[start..cut].iter().collect();
            out.push(line.trim_end().to_owned());
            start = cut;
            while chars.get(start) == Some(&' ') {
                start += 1;
            }
        }
        if chars.is_empty() {
            out.push(String::new());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character half a point wide at 1 pt, CJK a full point.
    struct Fixed;
    impl Advance for Fixed {
        fn advance(&self, c: char) -> f32 {
            if is_wide(c) {
                1.0
            } else {
                0.5
            }
        }

        /// No Arabic script, like Noto Sans CJK.
        fn has(&self, c: char) -> bool {
            !('\u{0600}'..='\u{06FF}').contains(&c)
        }
    }

    #[test]
    fn characters_the_font_lacks_are_marked_and_counted_never_dropped() {
        let labels = Labels::for_locale("en");
        let blocks = vec![
            block(Style::Title, "T"),
            block(Style::Name, "ئەخمەت Ahmet"),
            block(Style::Body, "plain 张伟"),
        ];
        let marked = mark_missing(blocks, &Fixed, labels);
        assert_eq!(
            marked[1].text,
            "6 characters the export font cannot show are marked □."
        );
        assert_eq!(marked[2].text, "□□□□□□ Ahmet");
        assert_eq!(marked[3].text, "plain 张伟");
        let untouched = mark_missing(vec![block(Style::Title, "T")], &Fixed, labels);
        assert_eq!(untouched.len(), 1);
    }

    fn check(text: &str, max_chars: usize, expected: &[&str]) {
        // At 2 pt a narrow character is 1 pt wide: `max` counts narrow characters.
        let lines = wrap(text, 2.0, max_chars as f32, &Fixed);
        assert_eq!(lines, expected, "{text:?} at {max_chars}");
    }

    #[test]
    fn wraps_latin_at_spaces_and_cjk_anywhere() {
        check("short", 10, &["short"]);
        check("two words here", 9, &["two words", "here"]);
        check(
            "averyveryverylongword x",
            8,
            &["averyver", "yverylon", "gword x"],
        );
        check(
            "张伟患有高血压和糖尿病",
            8,
            &["张伟患有", "高血压和", "糖尿病"],
        );
        check("血压 120/80 mmHg", 11, &["血压 120/80", "mmHg"]);
        check("line one\nline two", 20, &["line one", "line two"]);
        check("tab\there\u{7}", 20, &["tab here"]);
        check("", 20, &[""]);
    }

    #[test]
    fn times_show_in_the_workstations_zone_to_the_minute() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(
            minute_in("2026-11-28T01:32:09Z", &beijing),
            "2026-11-28 09:32"
        );
        assert_eq!(
            minute_in("2026-11-28T23:59:59Z", &beijing),
            "2026-11-29 07:59"
        );
        assert_eq!(minute_in("not a time", &beijing), "not a time");
    }

    #[test]
    fn headings_never_end_a_page() {
        let mut blocks = vec![block(Style::Title, "T")];
        blocks.extend((0..200).map(|i| {
            block(
                if i % 7 == 0 {
                    Style::Heading
                } else {
                    Style::Body
                },
                format!("row {i}"),
            )
        }));
        let pages = paginate(&blocks, &Fixed);
        assert!(pages.len() > 2);
        for page in &pages {
            let last = page.lines.last().expect("no empty page");
            assert_ne!(last.style, Style::Heading, "a heading ended a page");
            for line in &page.lines {
                assert!(
                    line.y <= PAGE_HEIGHT - MARGIN_BOTTOM,
                    "{line:?} runs into the footer"
                );
            }
        }
        let total: usize = pages.iter().map(|p| p.lines.len()).sum();
        assert_eq!(total, blocks.len(), "a line was lost or repeated");
    }
}
