//! The geometry of a trend drawing in an export: a series' numeric results
//! against time (or a panel's series together: blood pressure's two), the
//! reference range as a band when there is one series. Pure: points in,
//! positions out; `pdf.rs` strokes them.

use chrono::NaiveDate;

use crate::view::{ResultFlag, ResultSeries};

/// A rectangle on the page, `top < bottom` (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub(crate) left: f32,
    pub(crate) top: f32,
    pub(crate) right: f32,
    pub(crate) bottom: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plot {
    /// The frame the values are drawn in (inside the labels).
    pub(crate) frame: Rect,
    /// The reference range's band: its top and bottom `y`, clipped to the frame.
    pub(crate) band: Option<(f32, f32)>,
    /// Per series, its name and its points.
    pub(crate) lines: Vec<(String, Vec<Mark>)>,
    /// The value axis' labels (highest, lowest) at their `y`.
    pub(crate) values: [(f32, String); 2],
    /// The time axis' labels (first, last date) at their `x`.
    pub(crate) dates: [(f32, String); 2],
}

/// A point's position, and whether it is flagged; oldest first in a line.
pub(crate) type Mark = (f32, f32, bool);

/// Room for the value labels left of the frame, and the dates under it.
const LABEL_WIDTH: f32 = 44.0;
const LABEL_HEIGHT: f32 = 14.0;

fn day_number(effective: &str) -> Option<(i64, String)> {
    let date = NaiveDate::parse_from_str(effective.get(..10)?, "%Y-%m-%d").ok()?;
    Some((
        i64::from(date.num_days_from_ce()),
        date.format("%Y-%m-%d").to_string(),
    ))
}

use chrono::Datelike as _;

/// Whether `series` have a trend to draw: two dated numeric results in one.
pub(crate) fn drawable(series: &[&ResultSeries]) -> bool {
    series.iter().any(|s| dated(s).len() >= 2)
}

fn dated(series: &ResultSeries) -> Vec<(i64, String, f64, bool)> {
    series
        .points
        .iter()
        .filter_map(|p| {
            let (day, label) = day_number(p.effective.as_deref()?)?;
            let flagged = p.flag.is_some_and(|f| f != ResultFlag::Normal);
            Some((day, label, p.value.filter(|v| v.is_finite())?, flagged))
        })
        .collect()
}

/// The plot of `series` in `area`; `None` with nothing to draw a trend of
/// (see [`drawable`]) or values too far apart to draw.
pub(crate) fn plot(series: &[&ResultSeries], area: Rect) -> Option<Plot> {
    if !drawable(series) {
        return None;
    }
    let per_series: Vec<Vec<(i64, String, f64, bool)>> = series.iter().map(|s| dated(s)).collect();
    let dated: Vec<&(i64, String, f64, bool)> = per_series.iter().flatten().collect();
    // One series' range is drawn; several series' ranges would overlap.
    let range = match series {
        [one] => one.range.as_ref(),
        _ => None,
    };
    let values = dated.iter().map(|d| d.2);
    let mut low = values.clone().fold(f64::INFINITY, f64::min);
    let mut high = values.fold(f64::NEG_INFINITY, f64::max);
    // The range is in view too, so a value's place against it shows.
    for end in [range.and_then(|r| r.low), range.and_then(|r| r.high)]
        .into_iter()
        .flatten()
    {
        low = low.min(end);
        high = high.max(end);
    }
    let pad = if high > low {
        (high - low) * 0.08
    } else {
        low.abs().max(1.0) * 0.1
    };
    let (low, high) = (low - pad, high + pad);
    if !(high - low).is_finite() || high <= low {
        return None;
    }
    let frame = Rect {
        left: area.left + LABEL_WIDTH,
        top: area.top,
        right: area.right,
        bottom: area.bottom - LABEL_HEIGHT,
    };
    let first = dated.iter().map(|d| d.0).min().unwrap_or(0);
    let last = dated.iter().map(|d| d.0).max().unwrap_or(0);
    let x = |day: i64| {
        let span = (last - first).max(1) as f32;
        frame.left + (day - first) as f32 / span * (frame.right - frame.left)
    };
    let y = |value: f64| {
        let share = ((value - low) / (high - low)) as f32;
        frame.bottom - share.clamp(0.0, 1.0) * (frame.bottom - frame.top)
    };
    let band = range.and_then(|r| match (r.low, r.high) {
        (None, None) => None,
        (lo, hi) => Some((hi.map_or(frame.top, y), lo.map_or(frame.bottom, y))),
    });
    let label_at = |day: i64| {
        dated
            .iter()
            .find(|d| d.0 == day)
            .map(|d| d.1.clone())
            .unwrap_or_default()
    };
    Some(Plot {
        frame,
        band,
        lines: series
            .iter()
            .zip(&per_series)
            .map(|(s, points)| {
                (
                    s.name.clone(),
                    points.iter().map(|d| (x(d.0), y(d.2), d.3)).collect(),
                )
            })
            .collect(),
        values: [
            (frame.top, crate::chart::number(high)),
            (frame.bottom, crate::chart::number(low)),
        ],
        dates: [(frame.left, label_at(first)), (frame.right, label_at(last))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{ReferenceRange, ResultKind, ResultPoint};

    fn point(day: &str, value: f64, flag: Option<ResultFlag>) -> ResultPoint {
        ResultPoint {
            id: day.into(),
            effective: Some(format!("{day}T08:00:00+08:00")),
            value: Some(value),
            text: value.to_string(),
            recorded: None,
            flag,
            range: None,
            source: None,
            encounter: None,
        }
    }

    fn series(points: Vec<ResultPoint>) -> ResultSeries {
        ResultSeries {
            key: "hba1c|%".into(),
            code: Some("4548-4".into()),
            name: "HbA1c".into(),
            kind: ResultKind::Lab,
            unit: Some("%".into()),
            range: Some(ReferenceRange {
                low: Some(4.0),
                high: Some(6.0),
                text: None,
            }),
            panel: None,
            points,
        }
    }

    const AREA: Rect = Rect {
        left: 50.0,
        top: 100.0,
        right: 545.0,
        bottom: 270.0,
    };

    #[test]
    fn points_spread_over_time_and_values_with_the_range_in_view() {
        let hba1c = series(vec![
            point("2020-01-01", 7.5, Some(ResultFlag::High)),
            point("2022-01-01", 6.5, Some(ResultFlag::High)),
            point("2024-01-01", 5.5, Some(ResultFlag::Normal)),
        ]);
        let plot = plot(&[&hba1c], AREA).unwrap();
        let [(x0, y0, f0), (x1, y1, _), (x2, y2, f2)] = plot.lines[0].1[..] else {
            panic!("{plot:?}")
        };
        assert_eq!((x0, x2), (plot.frame.left, plot.frame.right));
        assert!((x1 - (x0 + x2) / 2.0).abs() < 1.0, "two even years apart");
        assert!(y0 < y1 && y1 < y2, "higher values are higher on the page");
        assert!(f0 && !f2);
        let (band_top, band_bottom) = plot.band.unwrap();
        assert!(
            band_top > y1 && band_top < y2,
            "6.0 lies between 6.5 and 5.5"
        );
        assert!(
            band_bottom > y2 && band_bottom <= plot.frame.bottom,
            "4.0 is below 5.5"
        );
        assert_eq!(plot.dates[0].1, "2020-01-01");
        assert_eq!(plot.dates[1].1, "2024-01-01");
        assert!(plot.values[1].1.parse::<f64>().unwrap() < 4.0);
    }

    #[test]
    fn nothing_is_drawn_without_two_dated_numbers() {
        let mut undated = point("2020-01-01", 7.0, None);
        undated.effective = None;
        assert_eq!(
            plot(
                &[&series(vec![point("2020-01-01", 7.0, None), undated])],
                AREA
            ),
            None
        );
        let mut words = point("2021-01-01", 0.0, None);
        words.value = None;
        assert_eq!(
            plot(
                &[&series(vec![point("2020-01-01", 7.0, None), words])],
                AREA
            ),
            None
        );
        // A range too wide to draw is not drawn, rather than drawn as NaN.
        let mut wide = series(vec![
            point("2020-01-01", 5.0, None),
            point("2021-01-01", 6.0, None),
        ]);
        wide.range = Some(ReferenceRange {
            low: Some(-f64::MAX),
            high: Some(f64::MAX),
            text: None,
        });
        assert_eq!(plot(&[&wide], AREA), None);
        // One day, one value: a flat line across, not a division by zero.
        let flat = series(vec![
            point("2020-01-01", 5.0, None),
            point("2020-01-01", 5.0, None),
        ]);
        let same = plot(&[&flat], AREA).unwrap();
        assert!(same.lines[0]
            .1
            .iter()
            .all(|p| p.0.is_finite() && p.1.is_finite()));
    }

    #[test]
    fn a_panels_series_share_one_drawing_without_a_band() {
        let mut systolic = series(vec![
            point("2020-01-01", 150.0, Some(ResultFlag::High)),
            point("2021-01-01", 130.0, None),
        ]);
        systolic.name = "Systolic".into();
        let mut diastolic = series(vec![
            point("2020-01-01", 95.0, Some(ResultFlag::High)),
            point("2021-01-01", 80.0, None),
        ]);
        diastolic.name = "Diastolic".into();
        let plot = plot(&[&systolic, &diastolic], AREA).unwrap();
        assert_eq!(plot.lines.len(), 2);
        assert_eq!(plot.band, None, "two ranges would overlap");
        let (s, d) = (&plot.lines[0].1, &plot.lines[1].1);
        assert!(s[0].1 < d[0].1, "systolic above diastolic");
        assert_eq!(s[0].0, d[0].0, "one time axis");
    }
}
