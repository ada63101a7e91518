//! Lab and vital-sign results as series per analyte: one unit per series
//! (converted where the analyte's code allows), reference ranges, and a
//! flag on every point. Pure, like the rest of the chart builder.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fhir::{
    array, concept_code, concept_has_code, concept_text, date_choice, owned, str_field,
};
use crate::view::{ReferenceRange, ResultFlag, ResultKind, ResultPoint, ResultSeries};

const LOINC: &str = "http://loinc.org";

/// An analyte recorded under several codes or units: results under any of
/// `codes` are shown in `unit` (a UCUM code) in one series named by `key`.
struct Analyte {
    key: &'static str,
    codes: &'static [&'static str],
    unit: &'static str,
    /// How to bring other units (UCUM codes, compared case-insensitively) to
    /// `unit`.
    from: &'static [(&'static str, Convert)],
}

impl Analyte {
    /// How a value in `unit` becomes one in the analyte's unit: `Some(None)`
    /// when it already is, `None` when it cannot be converted.
    fn conversion_from(&self, unit: &str) -> Option<Option<Convert>> {
        if same_unit(unit, self.unit) {
            return Some(None);
        }
        self.from
            .iter()
            .find(|(from, _)| same_unit(unit, from))
            .map(|(_, c)| Some(*c))
    }
}

#[derive(Clone, Copy)]
enum Convert {
    Factor(f64),
    FahrenheitToCelsius,
    /// HbA1c: IFCC mmol/mol to NGSP %.
    IfccToNgsp,
}

impl Convert {
    fn apply(self, value: f64) -> f64 {
        match self {
            Convert::Factor(f) => value * f,
            Convert::FahrenheitToCelsius => (value - 32.0) * 5.0 / 9.0,
            Convert::IfccToNgsp => value / 10.929 + 2.15,
        }
    }
}

/// The analytes whose codes say enough to convert between units. Mass and
/// substance concentrations of the same analyte and specimen have
/// different LOINC codes; they are one series here. Fasting and random
/// glucose, or blood and serum, stay apart.
const ANALYTES: &[Analyte] = &[
    Analyte {
        key: "glucose-serum",
        codes: &["2345-7", "14749-6"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(1.0 / 18.016))],
    },
    Analyte {
        key: "glucose-blood",
        codes: &["2339-0", "15074-8"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(1.0 / 18.016))],
    },
    Analyte {
        key: "glucose-fasting",
        codes: &["1558-6", "14771-0"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(1.0 / 18.016))],
    },
    Analyte {
        key: "creatinine",
        codes: &["2160-0", "14682-9"],
        unit: "umol/L",
        from: &[("mg/dL", Convert::Factor(88.42))],
    },
    Analyte {
        key: "cholesterol",
        codes: &["2093-3", "14647-2"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(0.02586))],
    },
    Analyte {
        key: "ldl",
        // Measured LDL; the calculated (13457-7) and direct (18262-6) are
        // series of their own.
        codes: &["2089-1", "22748-8"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(0.02586))],
    },
    Analyte {
        key: "hdl",
        codes: &["2085-9", "14646-4"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(0.02586))],
    },
    Analyte {
        key: "triglycerides",
        codes: &["2571-8", "14927-8"],
        unit: "mmol/L",
        from: &[("mg/dL", Convert::Factor(0.01129))],
    },
    Analyte {
        key: "hba1c",
        codes: &["4548-4", "17856-6", "59261-8"],
        unit: "%",
        from: &[("mmol/mol", Convert::IfccToNgsp)],
    },
    Analyte {
        key: "hemoglobin",
        codes: &["718-7"],
        unit: "g/L",
        from: &[("g/dL", Convert::Factor(10.0))],
    },
    Analyte {
        key: "body-weight",
        codes: &["29463-7", "3141-9"],
        unit: "kg",
        from: &[
            ("[lb_av]", Convert::Factor(0.453_592_37)),
            ("lb", Convert::Factor(0.453_592_37)),
            ("g", Convert::Factor(0.001)),
        ],
    },
    Analyte {
        key: "body-height",
        codes: &["8302-2", "8306-3"],
        unit: "cm",
        from: &[
            ("[in_i]", Convert::Factor(2.54)),
            ("in", Convert::Factor(2.54)),
            ("m", Convert::Factor(100.0)),
        ],
    },
    Analyte {
        key: "body-temperature",
        codes: &["8310-5"],
        unit: "Cel",
        from: &[
            ("[degF]", Convert::FahrenheitToCelsius),
            ("degF", Convert::FahrenheitToCelsius),
        ],
    },
    Analyte {
        key: "systolic",
        codes: &["8480-6"],
        unit: "mm[Hg]",
        from: &[("kPa", Convert::Factor(7.500_62))],
    },
    Analyte {
        key: "diastolic",
        codes: &["8462-4"],
        unit: "mm[Hg]",
        from: &[("kPa", Convert::Factor(7.500_62))],
    },
];

/// The unit shown for a UCUM code that has a friendlier spelling.
fn display_unit(ucum: &str) -> &str {
    match ucum {
        "umol/L" => "µmol/L",
        "Cel" => "°C",
        "mm[Hg]" => "mmHg",
        "[lb_av]" => "lb",
        "[degF]" => "°F",
        "[in_i]" => "in",
        other => other,
    }
}

fn same_unit(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim().replace(['µ', 'μ'], "u").to_ascii_lowercase();
    norm(a) == norm(b) || norm(display_unit(a)) == norm(display_unit(b))
}

/// The series' builder: points collected per key, sorted and finished at the end.
#[derive(Default)]
pub(super) struct Results {
    series: BTreeMap<String, ResultSeries>,
}

/// One measured thing inside an Observation: the Observation itself, or
/// one component of a panel.
struct Measured<'a> {
    node: &'a Value,
    code: &'a Value,
    panel: Option<String>,
}

impl Results {
    /// Adds every value `observation` holds (its own, or its components')
    /// and returns the key of the first series it went to, with the worst
    /// flag of them all (a blood pressure of 118/95 is high).
    pub(super) fn add(
        &mut self,
        observation: &Value,
        kind: ResultKind,
        source: Option<String>,
    ) -> Option<(String, Option<ResultFlag>)> {
        let id = owned(observation, "id")?;
        let effective =
            date_choice(observation, "effective").or_else(|| owned(observation, "issued"));
        let encounter = observation
            .get("encounter")
            .and_then(crate::fhir::reference_target)
            .map(|(_, id)| id.to_owned());
        let code = observation.get("code")?;
        let mut measured = Vec::new();
        if has_value(observation) {
            measured.push(Measured {
                node: observation,
                code,
                panel: None,
            });
        }
        let panel = loinc_code(code).or_else(|| concept_code(code));
        for component in array(observation, "component") {
            if let Some(code) = component.get("code").filter(|_| has_value(component)) {
                measured.push(Measured {
                    node: component,
                    code,
                    panel: panel.clone(),
                });
            }
        }
        let mut first = None;
        for m in measured {
            let Some(name) = concept_text(m.code) else {
                continue;
            };
            let Some(Measure {
                point,
                unit,
                shown_unit,
                analyte,
            }) = point(&id, m.node, m.code, observation)
            else {
                continue;
            };
            let code = loinc_code(m.code).or_else(|| concept_code(m.code));
            // What the result is of: the analyte, its LOINC code, another
            // system's code with its system (two hospitals' local codes may
            // collide), or, without any code, its name at its hospital.
            let identity = match analyte {
                Some(a) => a.key.to_owned(),
                None => loinc_code(m.code)
                    .or_else(|| system_code(m.code))
                    .unwrap_or_else(|| format!("{name}@{}", source.as_deref().unwrap_or(""))),
            };
            let key = format!("{identity}|{}", unit.as_deref().unwrap_or(""));
            let series = self
                .series
                .entry(key.clone())
                .or_insert_with(|| ResultSeries {
                    key: key.clone(),
                    code,
                    name,
                    kind,
                    unit: shown_unit,
                    range: None,
                    panel: m.panel,
                    points: Vec::new(),
                });
            let flag = point.flag;
            series.points.push(ResultPoint {
                effective: effective.clone(),
                source: source.clone(),
                encounter: encounter.clone(),
                ..point
            });
            match &mut first {
                None => first = Some((key, flag)),
                Some((_, worst)) => *worst = worse(*worst, flag),
            }
        }
        first
    }

    pub(super) fn finish(self) -> Vec<ResultSeries> {
        let mut all: Vec<ResultSeries> = self
            .series
            .into_values()
            .map(|mut s| {
                s.points
                    .sort_by(|a, b| a.effective.cmp(&b.effective).then_with(|| a.id.cmp(&b.id)));
                s.range = s.points.iter().rev().find_map(|p| p.range.clone());
                s
            })
            .collect();
        // Labs before vitals, then by name; the UI picks what to draw.
        all.sort_by(|a, b| {
            (a.kind == ResultKind::Vital)
                .cmp(&(b.kind == ResultKind::Vital))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.key.cmp(&b.key))
        });
        all
    }
}

fn has_value(node: &Value) -> bool {
    [
        "valueQuantity",
        "valueCodeableConcept",
        "valueString",
        "valueInteger",
        "valueBoolean",
    ]
    .iter()
    .any(|k| node.get(*k).is_some())
}

fn loinc_code(code: &Value) -> Option<String> {
    array(code, "coding")
        .find(|c| str_field(c, "system") == Some(LOINC))
        .and_then(|c| owned(c, "code"))
}

/// A code from a system other than LOINC, as `system|code`.
fn system_code(code: &Value) -> Option<String> {
    array(code, "coding").find_map(|c| {
        Some(format!(
            "{}|{}",
            str_field(c, "system")?,
            str_field(c, "code")?
        ))
    })
}

fn analyte_of(code: &Value) -> Option<&'static Analyte> {
    array(code, "coding")
        .filter(|c| str_field(c, "system") == Some(LOINC))
        .filter_map(|c| str_field(c, "code"))
        .find_map(|code| ANALYTES.iter().find(|a| a.codes.contains(&code)))
}

/// A quantity's unit: its UCUM code, else the unit as written.
fn quantity_unit(q: &Value) -> Option<String> {
    owned(q, "code")
        .or_else(|| owned(q, "unit"))
        .filter(|u| !u.trim().is_empty())
}

/// The point for one measured value, the unit its series is in, and the
/// analyte when the value was brought to the analyte's unit.
/// The point for one measured value (see [`Measure`]). `None` when nothing
/// was measured (a quantity without a number).
fn point(id: &str, node: &Value, code: &Value, observation: &Value) -> Option<Measure> {
    let mut point = ResultPoint {
        id: id.to_owned(),
        effective: None,
        value: None,
        text: String::new(),
        recorded: None,
        flag: None,
        range: None,
        source: None,
        encounter: None,
    };
    // Components carry their own ranges; a single-valued result uses the
    // Observation's.
    let ranges = if std::ptr::eq(node, observation) || node.get("referenceRange").is_some() {
        node
    } else {
        &Value::Null
    };
    let interpretation = array(node, "interpretation").find_map(interpretation_flag);

    let Some(q) = node.get("valueQuantity") else {
        point.text = text_value(node)?;
        point.flag = interpretation;
        point.range = reference_range(ranges).and_then(|r| range(r, &Units::Recorded(None)));
        return Some(Measure {
            point,
            unit: None,
            shown_unit: None,
            analyte: None,
        });
    };
    let number_value = q.get("value").filter(|v| v.is_number())?;
    let raw = number_value.as_f64().filter(|v| v.is_finite())?;
    let recorded_unit = quantity_unit(q);
    let analyte = analyte_of(code);
    // The conversion bringing this value to its analyte's unit, if needed and known.
    let conversion: Option<(&Analyte, Option<Convert>)> =
        analyte.and_then(|a| Some((a, a.conversion_from(recorded_unit.as_deref()?)?)));
    let (value, unit, analyte) = match conversion {
        Some((a, Some(c))) => {
            point.recorded = Some(format!(
                "{number_value} {}",
                display_unit(recorded_unit.as_deref().unwrap_or(""))
            ));
            (c.apply(raw), Some(a.unit.to_owned()), Some(a))
        }
        Some((a, None)) => (raw, Some(a.unit.to_owned()), Some(a)),
        None => (raw, recorded_unit.clone(), None),
    };
    let converted = conversion.is_some_and(|(_, c)| c.is_some());
    let shown = if converted {
        number(value)
    } else {
        as_recorded(number_value)
    };
    point.range = reference_range(ranges).and_then(|r| {
        let units = match analyte {
            Some(a) => Units::Analyte(a, recorded_unit.as_deref()),
            None => Units::Recorded(recorded_unit.as_deref()),
        };
        range(r, &units)
    });
    // "<0.01": a bound, not a value: not drawn, and no flag computed from it.
    match str_field(q, "comparator") {
        Some(comparator) => {
            point.text = format!("{comparator}{shown}");
            point.flag = interpretation;
        }
        None => {
            point.text = shown;
            point.value = Some(value);
            point.flag = interpretation
                .or_else(|| point.range.as_ref().and_then(|r| flag_from_range(value, r)));
        }
    }
    // As people write it: the analyte's, else the hospital's own spelling
    // ("mL/min/1.73m2", not the UCUM code "mL/min/{1.73_m2}").
    let shown_unit = match analyte {
        Some(a) => Some(display_unit(a.unit).to_owned()),
        None => owned(q, "unit")
            .filter(|u| !u.trim().is_empty())
            .or_else(|| unit.clone())
            .map(|u| display_unit(&u).to_owned()),
    };
    Some(Measure {
        point,
        unit,
        shown_unit,
        analyte,
    })
}

/// One measured value: its point, the unit its series is keyed and
/// converted by (a UCUM code where there is one), the unit shown, and the
/// analyte when the value was brought to the analyte's unit.
struct Measure {
    point: ResultPoint,
    unit: Option<String>,
    shown_unit: Option<String>,
    analyte: Option<&'static Analyte>,
}

/// The units a range's bounds are read in.
enum Units<'a> {
    /// The analyte's, converting from the bound's own unit, or from the
    /// value's recorded unit when the bound names none.
    Analyte(&'static Analyte, Option<&'a str>),
    /// As recorded: a bound in another unit than the value's is dropped.
    Recorded(Option<&'a str>),
}

/// The normal range of a result: one without a type or of type `normal`,
/// for no particular population (`appliesTo`, `age`). Ranges for a sex or
/// an age group, or therapeutic ones, are not chosen between here.
fn reference_range(node: &Value) -> Option<&Value> {
    array(node, "referenceRange").find(|r| {
        let normal = r.get("type").is_none_or(|t| concept_has_code(t, "normal"));
        normal && r.get("appliesTo").is_none() && r.get("age").is_none()
    })
}

fn text_value(node: &Value) -> Option<String> {
    if let Some(cc) = node.get("valueCodeableConcept") {
        return concept_text(cc);
    }
    if let Some(s) = owned(node, "valueString") {
        return Some(s);
    }
    match (node.get("valueInteger"), node.get("valueBoolean")) {
        (Some(n), _) if n.is_number() => Some(n.to_string()),
        (_, Some(Value::Bool(b))) => Some(b.to_string()),
        _ => None,
    }
}

fn range(r: &Value, units: &Units<'_>) -> Option<ReferenceRange> {
    let bound = |key: &str| -> Option<f64> {
        let q = r.get(key)?;
        let value = q.get("value").and_then(Value::as_f64)?;
        let unit = quantity_unit(q);
        match units {
            Units::Analyte(analyte, recorded) => {
                let from = unit.as_deref().or(*recorded)?;
                let convert = analyte.conversion_from(from)?;
                Some(convert.map_or(value, |c| c.apply(value)))
            }
            Units::Recorded(recorded) => match (unit.as_deref(), recorded) {
                (Some(u), Some(r)) if !same_unit(u, r) => None,
                _ => Some(value),
            },
        }
    };
    let converted = match units {
        Units::Analyte(analyte, recorded) => recorded.is_some_and(|u| !same_unit(u, analyte.unit)),
        Units::Recorded(_) => false,
    };
    let range = ReferenceRange {
        low: bound("low"),
        high: bound("high"),
        // Words about another unit would mislead next to converted values.
        text: owned(r, "text").filter(|_| !converted),
    };
    (range.low.is_some() || range.high.is_some() || range.text.is_some()).then_some(range)
}

/// The more alarming of two flags: critical, then abnormal, then normal.
pub(super) fn worse(a: Option<ResultFlag>, b: Option<ResultFlag>) -> Option<ResultFlag> {
    let rank = |f: Option<ResultFlag>| match f {
        None => 0,
        Some(ResultFlag::Normal) => 1,
        Some(ResultFlag::High | ResultFlag::Low | ResultFlag::Abnormal) => 2,
        Some(ResultFlag::CriticalHigh | ResultFlag::CriticalLow) => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The flag an HL7 v3 ObservationInterpretation code stands for.
fn interpretation_flag(concept: &Value) -> Option<ResultFlag> {
    let codes = [
        "N", "NEG", "ND", "NR", "H", "HU", "L", "LU", "HH", "LL", "A", "AA", "POS", "DET", "R",
    ];
    let code = codes.iter().find(|c| concept_has_code(concept, c))?;
    Some(match *code {
        "N" | "NEG" | "ND" | "NR" => ResultFlag::Normal,
        "H" | "HU" => ResultFlag::High,
        "L" | "LU" => ResultFlag::Low,
        "HH" => ResultFlag::CriticalHigh,
        "LL" => ResultFlag::CriticalLow,
        _ => ResultFlag::Abnormal,
    })
}

fn flag_from_range(value: f64, range: &ReferenceRange) -> Option<ResultFlag> {
    if range.low.is_none() && range.high.is_none() {
        return None;
    }
    Some(if range.high.is_some_and(|h| value > h) {
        ResultFlag::High
    } else if range.low.is_some_and(|l| value < l) {
        ResultFlag::Low
    } else {
        ResultFlag::Normal
    })
}

/// A recorded number as the lab wrote it (0.004 stays 0.004, 7.10 stays
/// 7.10), unless what it wrote is a computed float's noise
/// (68.50193719452203): then as [`number`] shows it.
pub(super) fn as_recorded(value: &Value) -> String {
    let written = value.to_string();
    let decimals = written.split_once('.').map_or(0, |(_, d)| d.len());
    match value.as_f64() {
        Some(v) if decimals > 4 || written.contains(['e', 'E']) => number(v),
        _ => written,
    }
}

/// A computed value as shown: four significant digits (never fewer than
/// the value needs to stay non-zero), no trailing zeros.
pub(crate) fn number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".into()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obs(id: &str, loinc: &str, value: f64, unit: &str, when: &str) -> Value {
        json!({
            "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": LOINC, "code": loinc }], "text": "Analyte" },
            "effectiveDateTime": when,
            "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit },
        })
    }

    fn build(observations: &[Value]) -> Vec<ResultSeries> {
        let mut results = Results::default();
        for o in observations {
            results.add(o, ResultKind::Lab, Some("Hospital".into()));
        }
        results.finish()
    }

    #[test]
    fn mass_and_substance_results_of_one_analyte_are_one_series_in_si_units() {
        let series = build(&[
            obs("a", "2160-0", 1.0, "mg/dL", "2025-01-01"),
            obs("b", "14682-9", 97.0, "umol/L", "2024-01-01"),
        ]);
        assert_eq!(series.len(), 1, "{series:?}");
        let s = &series[0];
        assert_eq!(s.unit.as_deref(), Some("µmol/L"));
        assert_eq!(
            s.points
                .iter()
                .map(|p| (p.id.as_str(), p.text.as_str()))
                .collect::<Vec<_>>(),
            [("b", "97.0"), ("a", "88.42")],
            "oldest first, converted"
        );
        assert_eq!(s.points[1].recorded.as_deref(), Some("1.0 mg/dL"));
        assert_eq!(s.points[0].recorded, None);
    }

    #[test]
    fn units_that_cannot_be_converted_make_their_own_series() {
        let series = build(&[
            obs("a", "9999-9", 1.0, "mg/dL", "2025-01-01"),
            obs("b", "9999-9", 97.0, "umol/L", "2024-01-01"),
            obs("c", "2160-0", 1.0, "mmol/L", "2024-01-01"),
        ]);
        assert_eq!(series.len(), 3, "{series:?}");
        assert!(series
            .iter()
            .all(|s| s.points.len() == 1 && s.points[0].recorded.is_none()));
    }

    #[test]
    fn flags_come_from_the_interpretation_else_from_the_converted_range() {
        let mut high = obs("h", "2339-0", 200.0, "mg/dL", "2025-01-01");
        high["referenceRange"] = json!([{ "low": { "value": 70 }, "high": { "value": 100 } }]);
        let mut stated = obs("s", "2339-0", 5.0, "mmol/L", "2025-02-01");
        stated["interpretation"] = json!([{ "coding": [{ "code": "LL" }] }]);
        let series = build(&[high, stated]);
        let s = &series[0];
        assert_eq!(s.points[0].flag, Some(ResultFlag::High));
        let range = s.points[0].range.clone().unwrap();
        assert!(
            (range.high.unwrap() - 100.0 / 18.016).abs() < 1e-9,
            "{range:?}"
        );
        assert_eq!(s.points[1].flag, Some(ResultFlag::CriticalLow));
        assert_eq!(s.range, Some(range), "the latest range that exists");
    }

    #[test]
    fn a_panels_components_are_series_drawn_together() {
        let bp = json!({
            "resourceType": "Observation", "id": "bp",
            "code": { "coding": [{ "system": LOINC, "code": "85354-9" }], "text": "Blood pressure" },
            "effectiveDateTime": "2025-01-01",
            "component": [
                { "code": { "coding": [{ "system": LOINC, "code": "8480-6" }], "text": "Systolic" },
                  "valueQuantity": { "value": 18.0, "code": "kPa" },
                  "interpretation": [{ "coding": [{ "code": "N" }] }] },
                { "code": { "coding": [{ "system": LOINC, "code": "8462-4" }], "text": "Diastolic" },
                  "valueQuantity": { "value": 95, "code": "mm[Hg]" },
                  "interpretation": [{ "coding": [{ "code": "H" }] }] },
            ],
        });
        let mut results = Results::default();
        let (_, worst) = results.add(&bp, ResultKind::Vital, None).unwrap();
        let series = results.finish();
        assert_eq!(series.len(), 2);
        assert!(series
            .iter()
            .all(|s| s.panel.as_deref() == Some("85354-9") && s.unit.as_deref() == Some("mmHg")));
        let systolic = series.iter().find(|s| s.name == "Systolic").unwrap();
        assert_eq!(systolic.points[0].text, "135");
        assert_eq!(
            worst,
            Some(ResultFlag::High),
            "a normal systolic does not hide a high diastolic"
        );
    }

    #[test]
    fn text_results_keep_their_words_and_flag() {
        let mut o = json!({
            "resourceType": "Observation", "id": "t",
            "code": { "text": "HIV screen" },
            "valueCodeableConcept": { "text": "Negative" },
            "interpretation": [{ "coding": [{ "code": "NEG" }] }],
        });
        let series = build(&[o.clone()]);
        assert_eq!(
            (series[0].points[0].text.as_str(), series[0].points[0].value),
            ("Negative", None)
        );
        assert_eq!(series[0].points[0].flag, Some(ResultFlag::Normal));
        o["valueCodeableConcept"] = Value::Null;
        o.as_object_mut().unwrap().remove("valueCodeableConcept");
        assert!(build(&[o]).is_empty(), "nothing measured, no series");
    }

    #[test]
    fn computed_numbers_keep_four_significant_digits_and_never_vanish() {
        for (value, shown) in [
            (7.0, "7"),
            (7.25, "7.25"),
            (5.551, "5.551"),
            (135.0112, "135"),
            (0.004, "0.004"),
            (0.034_567, "0.03457"),
            (-0.001, "-0.001"),
            (0.0, "0"),
        ] {
            assert_eq!(number(value), shown, "{value}");
        }
    }

    #[test]
    fn float_noise_is_not_a_precision_anyone_recorded() {
        let series = build(&[obs(
            "w",
            "29463-7",
            68.501_937_194_522_03,
            "kg",
            "2020-09-20",
        )]);
        assert_eq!(series[0].points[0].text, "68.5");
        let series = build(&[obs("p", "9999-9", 0.0045, "ng/mL", "2020-09-20")]);
        assert_eq!(series[0].points[0].text, "0.0045");
    }

    #[test]
    fn recorded_values_show_as_written_and_a_comparator_is_a_bound_not_a_value() {
        let mut tiny = obs("t", "6598-7", 0.004, "ng/mL", "2025-01-01");
        tiny["referenceRange"] = json!([{ "high": { "value": 0.01 } }]);
        let mut below = obs("b", "6598-7", 0.01, "ng/mL", "2025-02-01");
        below["valueQuantity"]["comparator"] = json!("<");
        below["referenceRange"] = json!([{ "high": { "value": 0.005 } }]);
        let series = build(&[tiny, below]);
        let points = &series[0].points;
        assert_eq!(
            (points[0].text.as_str(), points[0].flag),
            ("0.004", Some(ResultFlag::Normal))
        );
        assert_eq!(points[1].text, "<0.01");
        assert_eq!(points[1].value, None, "a bound is not drawn as a value");
        assert_eq!(points[1].flag, None, "nor flagged against the range");
    }

    #[test]
    fn a_range_is_read_in_its_own_unit_and_only_the_normal_one_for_everyone() {
        let mut mixed = obs("m", "2339-0", 126.0, "mg/dL", "2025-01-01");
        mixed["referenceRange"] = json!([
            { "low": { "value": 3.9, "code": "mmol/L" }, "high": { "value": 6.1, "code": "mmol/L" } },
        ]);
        let series = build(&[mixed]);
        let range = series[0].points[0].range.clone().unwrap();
        assert_eq!(
            (range.low, range.high),
            (Some(3.9), Some(6.1)),
            "already in the analyte's unit"
        );
        assert_eq!(series[0].points[0].flag, Some(ResultFlag::High), "7 mmol/L");

        let mut unknown_unit = obs("u", "9999-9", 5.0, "mg/dL", "2025-01-01");
        unknown_unit["referenceRange"] = json!([{ "high": { "value": 4.0, "code": "mmol/L" } }]);
        let mut for_women = obs("w", "9999-9", 5.0, "mg/dL", "2025-02-01");
        for_women["referenceRange"] = json!([
            { "high": { "value": 4.0 }, "appliesTo": [{ "text": "female" }] },
            { "high": { "value": 6.0 }, "type": { "coding": [{ "code": "therapeutic" }] } },
        ]);
        let series = build(&[unknown_unit, for_women]);
        for p in &series[0].points {
            assert_eq!(
                (p.range.clone(), p.flag),
                (None, None),
                "{}: no range to trust",
                p.id
            );
        }
    }

    #[test]
    fn local_codes_of_two_hospitals_are_two_series_and_names_alone_stay_at_their_hospital() {
        let local = |id: &str, system: &str, value: f64| {
            json!({
                "resourceType": "Observation", "id": id,
                "code": { "coding": [{ "system": system, "code": "1001" }], "text": "Local test" },
                "valueQuantity": { "value": value, "code": "mmol/L" },
            })
        };
        let mut results = Results::default();
        results.add(
            &local("a", "urn:hospital-a", 5.0),
            ResultKind::Lab,
            Some("A".into()),
        );
        results.add(
            &local("b", "urn:hospital-b", 4.0),
            ResultKind::Lab,
            Some("B".into()),
        );
        let named = json!({ "resourceType": "Observation", "id": "n", "code": { "text": "Glucose" },
            "valueQuantity": { "value": 5.0, "code": "mmol/L" } });
        results.add(&named, ResultKind::Lab, Some("A".into()));
        results.add(&json!({ "id": "m", "code": { "text": "Glucose" }, "valueQuantity": { "value": 5.0, "code": "mmol/L" } }), ResultKind::Lab, Some("B".into()));
        assert_eq!(results.finish().len(), 4);
        let empty = json!({ "id": "e", "code": { "text": "Glucose" }, "valueQuantity": { "unit": "mmol/L" } });
        assert!(
            Results::default()
                .add(&empty, ResultKind::Lab, None)
                .is_none(),
            "no number, no point"
        );
    }
}
