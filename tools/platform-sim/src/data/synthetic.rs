//! Owns the deterministic synthetic data set: hospitals, departments,
//! practitioners and about forty patients with multi-year, multi-hospital
//! histories.
//!
//! Invariants: the output depends only on `(seed, patient count)` — one seeded
//! ChaCha RNG, no clock, no hash-map iteration — so the same seed gives
//! byte-identical JSON. All dates are offsets from [`EPOCH`]. Every resource
//! has `meta.versionId` and `meta.lastUpdated`. Narratives and documents name
//! the patient and their mobile number on purpose (to prove scrubbing later).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::resident_id;

/// The fixed "today" of the synthetic world.
pub const EPOCH: (i32, u32, u32) = (2026, 6, 1);

/// Identifier systems used by the generated data.
pub mod sid {
    /// Chinese resident identity number (居民身份证号码).
    pub const RESIDENT_ID: &str = "https://chartguard.example/fhir/sid/resident-id";
    /// Prefix of per-hospital medical record numbers; the hospital code follows.
    pub const MRN_PREFIX: &str = "https://chartguard.example/fhir/sid/mrn/";
    /// Medical insurance number.
    pub const INSURANCE: &str = "https://chartguard.example/fhir/sid/insurance";
    /// Passport number (foreign residents).
    pub const PASSPORT: &str = "https://chartguard.example/fhir/sid/passport";
    /// Organisation code.
    pub const ORGANIZATION: &str = "https://chartguard.example/fhir/sid/organization";
    /// Practitioner licence number.
    pub const PRACTITIONER: &str = "https://chartguard.example/fhir/sid/practitioner-licence";
}

const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
const UCUM: &str = "http://unitsofmeasure.org";
const ATC: &str = "http://www.whocc.no/atc";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
const OBS_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

struct Hospital {
    id: &'static str,
    code: &'static str,
    zh: &'static str,
    en: &'static str,
}

const HOSPITALS: [Hospital; 5] = [
    Hospital {
        id: "org-h1",
        code: "h1",
        zh: "市第一人民医院",
        en: "City First People's Hospital",
    },
    Hospital {
        id: "org-h2",
        code: "h2",
        zh: "区中心医院",
        en: "District Central Hospital",
    },
    Hospital {
        id: "org-h3",
        code: "h3",
        zh: "大学附属医院",
        en: "University Affiliated Hospital",
    },
    Hospital {
        id: "org-h4",
        code: "h4",
        zh: "朝阳社区卫生服务中心",
        en: "Chaoyang Community Health Centre",
    },
    Hospital {
        id: "org-h5",
        code: "h5",
        zh: "圣玛丽国际医院",
        en: "St. Mary's International Hospital",
    },
];

/// (id, parent hospital index, zh, en)
const DEPARTMENTS: [(&str, usize, &str, &str); 5] = [
    ("dept-cardiology", 2, "心内科", "Cardiology"),
    ("dept-nephrology", 0, "肾内科", "Nephrology"),
    ("dept-endocrinology", 0, "内分泌科", "Endocrinology"),
    ("dept-psychiatry", 1, "精神心理科", "Psychiatry"),
    ("dept-general-surgery", 1, "普外科", "General Surgery"),
];

/// (id, family, given, zh?, hospital index)
const PRACTITIONERS: [(&str, &str, &str, bool, usize); 10] = [
    ("pr-01", "李", "明", true, 0),
    ("pr-02", "王", "建华", true, 0),
    ("pr-03", "陈", "静", true, 2),
    ("pr-04", "刘", "洋", true, 1),
    ("pr-05", "赵", "敏", true, 3),
    ("pr-06", "周", "强", true, 1),
    ("pr-07", "Carter", "Emily", false, 4),
    ("pr-08", "Wilson", "James", false, 4),
    ("pr-09", "孙", "丽", true, 2),
    ("pr-10", "黄", "志刚", true, 1),
];

/// (district, region code, postal code, streets)
const DISTRICTS: [(&str, &str, &str, [&str; 2]); 5] = [
    ("东城区", "110101", "100010", ["东直门内大街", "和平里东街"]),
    ("西城区", "110102", "100032", ["西长安街", "德胜门外大街"]),
    ("朝阳区", "110105", "100020", ["建国路", "望京街"]),
    ("丰台区", "110106", "100071", ["丰台北路", "南三环西路"]),
    ("海淀区", "110108", "100080", ["中关村大街", "学院路"]),
];

const ZH_FAMILY: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "林",
];
const ZH_COMPOUND_FAMILY: [&str; 4] = ["欧阳", "司马", "上官", "诸葛"];
const ZH_GIVEN_MALE: [&str; 12] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "建国", "志强", "海波",
];
const ZH_GIVEN_FEMALE: [&str; 12] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂兰", "娜娜", "晓燕",
];
const EN_FAMILY: [&str; 10] = [
    "Smith", "Brown", "Wilson", "Taylor", "Anderson", "O'Connor", "Müller", "García", "Martin",
    "Clarke",
];
const EN_GIVEN_MALE: [&str; 8] = [
    "James", "John", "Robert", "Michael", "David", "Thomas", "Daniel", "Peter",
];
const EN_GIVEN_FEMALE: [&str; 8] = [
    "Mary", "Sarah", "Emma", "Olivia", "Anna", "Claire", "Laura", "Helen",
];

/// Fixed demo patients: (family, given, male, birth date, district index, mobile).
type FixedPatient = (
    &'static str,
    &'static str,
    bool,
    (i32, u32, u32),
    usize,
    &'static str,
);
const FIXED_ZH: [FixedPatient; 4] = [
    ("张", "伟", true, (1958, 3, 14), 2, "13812345678"),
    ("欧阳", "娜娜", false, (1985, 7, 22), 4, "15901234567"),
    ("王", "芳", false, (1962, 11, 5), 0, "18611223344"),
    ("李", "娜", false, (1949, 12, 31), 2, "13698765432"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Diabetes,
    Hypertension,
    Ckd,
    Lipids,
    Asthma,
    Depression,
    Alcohol,
    Uri,
    Appendicitis,
}

impl Cond {
    /// (ICD-10 code, English, Chinese)
    fn code(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Cond::Diabetes => ("E11", "Type 2 diabetes mellitus", "2型糖尿病"),
            Cond::Hypertension => ("I10", "Essential (primary) hypertension", "原发性高血压"),
            Cond::Ckd => ("N18.3", "Chronic kidney disease, stage 3", "慢性肾脏病3期"),
            Cond::Lipids => ("E78.5", "Hyperlipidaemia, unspecified", "高脂血症"),
            Cond::Asthma => ("J45.9", "Asthma, unspecified", "支气管哮喘"),
            Cond::Depression => ("F32.1", "Moderate depressive episode", "中度抑郁发作"),
            Cond::Alcohol => ("F10.2", "Alcohol dependence syndrome", "酒精依赖综合征"),
            Cond::Uri => (
                "J06.9",
                "Acute upper respiratory infection, unspecified",
                "急性上呼吸道感染",
            ),
            Cond::Appendicitis => ("K35.8", "Acute appendicitis", "急性阑尾炎"),
        }
    }

    /// Sensitivity labels (`meta.security`) for resources about this condition.
    fn labels(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Cond::Depression => &[("R", "PSY")],
            Cond::Alcohol => &[("R", "SUD")],
            _ => &[],
        }
    }
}

/// (ATC, zh, en, dose zh, dose en)
type Drug = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const METFORMIN: Drug = (
    "A10BA02",
    "盐酸二甲双胍片 0.5g",
    "Metformin 500 mg tablet",
    "每次0.5g，每日2次，餐后口服",
    "500 mg orally twice daily with meals",
);
const GLICLAZIDE: Drug = (
    "A10BB09",
    "格列齐特缓释片 30mg",
    "Gliclazide MR 30 mg tablet",
    "每次30mg，每日1次，早餐时口服",
    "30 mg orally once daily with breakfast",
);
const AMLODIPINE: Drug = (
    "C08CA01",
    "苯磺酸氨氯地平片 5mg",
    "Amlodipine 5 mg tablet",
    "每次5mg，每日1次，口服",
    "5 mg orally once daily",
);
const LOSARTAN: Drug = (
    "C09CA01",
    "氯沙坦钾片 50mg",
    "Losartan 50 mg tablet",
    "每次50mg，每日1次，口服",
    "50 mg orally once daily",
);
const ATORVASTATIN: Drug = (
    "C10AA05",
    "阿托伐他汀钙片 20mg",
    "Atorvastatin 20 mg tablet",
    "每次20mg，每晚1次，口服",
    "20 mg orally once daily at night",
);
const SERTRALINE: Drug = (
    "N06AB06",
    "盐酸舍曲林片 50mg",
    "Sertraline 50 mg tablet",
    "每次50mg，每日1次，早餐后口服",
    "50 mg orally once daily after breakfast",
);
const SALBUTAMOL: Drug = (
    "R03AC02",
    "硫酸沙丁胺醇吸入气雾剂 100μg",
    "Salbutamol 100 microgram inhaler",
    "喘息时吸入1-2揿",
    "1–2 puffs when wheezy",
);
const ASPIRIN: Drug = (
    "B01AC06",
    "阿司匹林肠溶片 100mg",
    "Aspirin 100 mg enteric-coated tablet",
    "每次100mg，每日1次",
    "100 mg once daily",
);

/// (code system, code, zh, en, criticality, reaction zh, reaction en)
type Allergen = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const ALLERGENS: [Allergen; 4] = [
    (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "7980",
        "青霉素",
        "Penicillin",
        "high",
        "荨麻疹、呼吸困难",
        "Urticaria and shortness of breath",
    ),
    (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "10180",
        "磺胺类药物",
        "Sulfonamide antibiotics",
        "low",
        "皮疹",
        "Rash",
    ),
    (
        SNOMED,
        "762952008",
        "花生",
        "Peanut",
        "high",
        "口唇肿胀",
        "Swelling of lips",
    ),
    (
        SNOMED,
        "227037002",
        "海鲜",
        "Shellfish",
        "low",
        "皮肤瘙痒",
        "Itching",
    ),
];

/// Summary of one generated patient, for `/_sim/patients` and tests.
#[derive(Debug, Clone)]
pub struct PatientSummary {
    /// Resource id (`cn-0001`, `w-0001`, …).
    pub id: String,
    /// Display name.
    pub name: String,
    /// 18-character resident ID.
    pub resident_id: String,
}

/// The generated data set.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Every resource, in a stable order (organisations first).
    pub resources: Vec<Value>,
    /// The patients, in generation order.
    pub patients: Vec<PatientSummary>,
}

/// Generates the data set for `seed` with `patients` patients (half Chinese, half Western).
pub fn generate(seed: u64, patients: usize) -> Generated {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    organizations(&mut out);
    practitioners(&mut out);
    let mut summaries = Vec::new();
    let zh_count = patients.div_ceil(2);
    for i in 0..patients {
        let zh = i < zh_count;
        let n = if zh { i + 1 } else { i - zh_count + 1 };
        let person = make_person(&mut rng, zh, n);
        summaries.push(PatientSummary {
            id: person.id.clone(),
            name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
        });
        let mut builder = PatientBuilder {
            rng: &mut rng,
            p: person,
            out: &mut out,
            seq: 0,
        };
        builder.build();
    }
    Generated {
        resources: out,
        patients: summaries,
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(EPOCH.0, EPOCH.1, EPOCH.2).unwrap_or_default()
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default())
}

/// A local (China Standard Time) dateTime.
fn local(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
}

/// `meta` for a record entered `dt` (local time): last updated two hours later, in UTC.
fn meta(dt: NaiveDateTime, labels: &[(&str, &str)]) -> Value {
    let updated = dt - Duration::hours(8) + Duration::hours(2);
    let mut m = json!({
        "versionId": "1",
        "lastUpdated": updated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    if !labels.is_empty() {
        let mut security = Vec::new();
        for (conf, sens) in labels {
            let conf_display = if *conf == "V" {
                "very restricted"
            } else {
                "restricted"
            };
            security
                .push(json!({"system": CONFIDENTIALITY, "code": conf, "display": conf_display}));
            let sens_display = match *sens {
                "HIV" => "HIV/AIDS information sensitivity",
                "PSY" => "psychiatry disorder information sensitivity",
                _ => "substance abuse disorder information sensitivity",
            };
            security.push(json!({"system": ACT_CODE, "code": sens, "display": sens_display}));
        }
        m["security"] = Value::Array(security);
    }
    m
}

fn fixed_meta() -> Value {
    json!({"versionId": "1", "lastUpdated": "2020-01-01T00:00:00Z"})
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn div(inner: &str) -> Value {
    json!({
        "status": "generated",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>"),
    })
}

fn reference(kind: &str, id: &str, display: &str) -> Value {
    json!({"reference": format!("{kind}/{id}"), "display": display})
}

fn organizations(out: &mut Vec<Value>) {
    for (i, h) in HOSPITALS.iter().enumerate() {
        let (name, alias) = if h.code == "h5" {
            (h.en, h.zh)
        } else {
            (h.zh, h.en)
        };
        out.push(json!({
            "resourceType": "Organization",
            "id": h.id,
            "meta": fixed_meta(),
            "text": div(&escape_html(&format!("{} ({})", h.zh, h.en))),
            "identifier": [{"system": sid::ORGANIZATION, "value": format!("1211010{:04}", 4000 + i)}],
            "active": true,
            "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov", "display": "Healthcare Provider"}]}],
            "name": name,
            "alias": [alias],
            "telecom": [{"system": "phone", "value": format!("010-6{:07}", 5_550_000 + i * 1111)}],
            "address": [{"city": "北京市", "country": "CN"}],
        }));
    }
    for (id, parent, zh, en) in DEPARTMENTS {
        let h = &HOSPITALS[parent];
        out.push(json!({
            "resourceType": "Organization",
            "id": id,
            "meta": fixed_meta(),
            "text": div(&escape_html(&format!("{} {zh} ({} {en})", h.zh, h.en))),
            "identifier": [{"system": sid::ORGANIZATION, "value": format!("{}-{id}", h.code)}],
            "active": true,
            "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "dept", "display": "Hospital Department"}]}],
            "name": zh,
            "alias": [en],
            "partOf": reference("Organization", h.id, h.zh),
        }));
    }
}

fn practitioner_name(index: usize) -> String {
    let (_, family, given, zh, _) = PRACTITIONERS[index];
    if zh {
        format!("{family}{given}")
    } else {
        format!("Dr {given} {family}")
    }
}

fn practitioners(out: &mut Vec<Value>) {
    for (i, (id, family, given, zh, hospital)) in PRACTITIONERS.iter().enumerate() {
        let text = practitioner_name(i);
        out.push(json!({
            "resourceType": "Practitioner",
            "id": id,
            "meta": fixed_meta(),
            "text": div(&escape_html(&format!("{text}, {}", HOSPITALS[*hospital].zh))),
            "identifier": [{"system": sid::PRACTITIONER, "value": format!("1101{:08}", 20_160_000 + i * 37)}],
            "active": true,
            "name": [{"use": "official", "text": text, "family": family, "given": [given], "prefix": if *zh { json!([]) } else { json!(["Dr"]) }}],
            "telecom": [{"system": "phone", "value": format!("010-6{:07}", 5_560_000 + i * 13), "use": "work"}],
        }));
    }
}

struct Person {
    id: String,
    zh: bool,
    family: String,
    given: String,
    full_name: String,
    male: bool,
    birth: NaiveDate,
    phone: String,
    resident_id: String,
    district: usize,
    /// Hospitals this patient attends, primary first.
    hospitals: Vec<usize>,
    mrns: Vec<String>,
    insurance: String,
    passport: Option<String>,
    street: String,
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn make_person(rng: &mut ChaCha8Rng, zh: bool, n: usize) -> Person {
    let id = format!("{}-{n:04}", if zh { "cn" } else { "w" });
    let fixed = if zh { FIXED_ZH.get(n - 1) } else { None };
    let (family, given, male, birth, district, phone) = match fixed {
        Some((family, given, male, (y, m, d), district, phone)) => (
            (*family).to_owned(),
            (*given).to_owned(),
            *male,
            NaiveDate::from_ymd_opt(*y, *m, *d).unwrap_or_default(),
            *district,
            (*phone).to_owned(),
        ),
        None => {
            let male = rng.gen_bool(0.5);
            let (family, given) = if zh {
                let family = if rng.gen_bool(0.1) {
                    *pick(rng, &ZH_COMPOUND_FAMILY)
                } else {
                    *pick(rng, &ZH_FAMILY)
                };
                let given = if male {
                    *pick(rng, &ZH_GIVEN_MALE)
                } else {
                    *pick(rng, &ZH_GIVEN_FEMALE)
                };
                (family, given)
            } else {
                let given = if male {
                    *pick(rng, &EN_GIVEN_MALE)
                } else {
                    *pick(rng, &EN_GIVEN_FEMALE)
                };
                (*pick(rng, &EN_FAMILY), given)
            };
            let age_days = rng.gen_range(35 * 365..86 * 365);
            let birth = epoch() - Duration::days(age_days);
            let prefix = *pick(rng, &["13", "15", "18"]);
            let phone = format!("{prefix}{:09}", rng.gen_range(0..1_000_000_000u32));
            (
                family.to_owned(),
                given.to_owned(),
                male,
                birth,
                rng.gen_range(0..DISTRICTS.len()),
                phone,
            )
        }
    };
    let full_name = if zh {
        format!("{family}{given}")
    } else {
        format!("{given} {family}")
    };
    let sequence = rng.gen_range(0..500u16) * 2 + u16::from(male);
    let resident_id = resident_id::build(
        DISTRICTS[district].1,
        &birth.format("%Y%m%d").to_string(),
        sequence,
    )
    .unwrap_or_default();
    let mut hospitals: Vec<usize> = if zh {
        vec![0, 1, 2, 3]
    } else {
        vec![4, 0, 2, 3]
    };
    if fixed.is_none() {
        hospitals[..3].shuffle(rng);
    }
    hospitals.truncate(if fixed.is_some() {
        4
    } else {
        rng.gen_range(2..=4)
    });
    let mrns = hospitals
        .iter()
        .map(|h| {
            format!(
                "{}{:08}",
                HOSPITALS[*h].code.to_uppercase(),
                rng.gen_range(0..100_000_000u32)
            )
        })
        .collect();
    let insurance = format!(
        "{}{:010}",
        DISTRICTS[district].1,
        rng.gen_range(0..10_000_000_000u64)
    );
    let passport = (!zh).then(|| format!("P{:08}", rng.gen_range(0..100_000_000u32)));
    let street = format!(
        "{}{}号{}号楼{}单元{}室",
        pick(rng, &DISTRICTS[district].3),
        rng.gen_range(1..300),
        rng.gen_range(1..20),
        rng.gen_range(1..6),
        rng.gen_range(101..2400)
    );
    Person {
        id,
        zh,
        family,
        given,
        full_name,
        male,
        birth,
        phone,
        resident_id,
        district,
        hospitals,
        mrns,
        insurance,
        passport,
        street,
    }
}

struct Profile {
    years: i64,
    chronic: Vec<Cond>,
    uri: bool,
    appendicitis: bool,
    hiv_test: bool,
    allergies: Vec<usize>,
    hostile_doc: bool,
    cda: bool,
    aspirin: bool,
}

struct PatientBuilder<'a> {
    rng: &'a mut ChaCha8Rng,
    p: Person,
    out: &'a mut Vec<Value>,
    seq: usize,
}

/// One visit's context, shared by the resources it produces.
#[derive(Clone)]
struct Visit {
    encounter_id: String,
    when: NaiveDateTime,
    hospital: usize,
    practitioner: usize,
}

impl PatientBuilder<'_> {
    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}-{}-{:04}", self.p.id, self.seq)
    }

    fn t<'s>(&self, zh: &'s str, en: &'s str) -> &'s str {
        if self.p.zh {
            zh
        } else {
            en
        }
    }

    fn subject(&self) -> Value {
        reference("Patient", &self.p.id, &self.p.full_name)
    }

    /// A narrative naming the patient and their mobile number.
    fn narrative(&self, summary: &str) -> Value {
        let who = if self.p.zh {
            format!("患者：{}，手机：{}。", self.p.full_name, self.p.phone)
        } else {
            format!("Patient: {}, mobile: {}. ", self.p.full_name, self.p.phone)
        };
        div(&format!(
            "<p>{}{}</p>",
            escape_html(&who),
            escape_html(summary)
        ))
    }

    fn hospital_ref(&self, h: usize) -> Value {
        let h = &HOSPITALS[h];
        reference("Organization", h.id, self.t(h.zh, h.en))
    }

    fn practitioner_ref(&self, i: usize) -> Value {
        reference("Practitioner", PRACTITIONERS[i].0, &practitioner_name(i))
    }

    fn practitioner_at(&mut self, hospital: usize) -> usize {
        let candidates: Vec<usize> = PRACTITIONERS
            .iter()
            .enumerate()
            .filter(|(_, p)| p.4 == hospital)
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            4
        } else {
            *pick(self.rng, &candidates)
        }
    }

    fn profile(&mut self) -> Profile {
        if self.p.id == "cn-0001" {
            return Profile {
                years: 5,
                chronic: vec![
                    Cond::Diabetes,
                    Cond::Hypertension,
                    Cond::Ckd,
                    Cond::Depression,
                ],
                uri: true,
                appendicitis: false,
                hiv_test: true,
                allergies: vec![0],
                hostile_doc: true,
                cda: true,
                aspirin: true,
            };
        }
        let r = &mut *self.rng;
        let mut chronic = Vec::new();
        let dm = r.gen_bool(0.55);
        let htn = r.gen_bool(0.6);
        if dm {
            chronic.push(Cond::Diabetes);
        }
        if htn {
            chronic.push(Cond::Hypertension);
        }
        if (dm || htn) && r.gen_bool(0.35) {
            chronic.push(Cond::Ckd);
        }
        if r.gen_bool(0.35) {
            chronic.push(Cond::Lipids);
        }
        if r.gen_bool(0.1) {
            chronic.push(Cond::Asthma);
        }
        if r.gen_bool(0.1) {
            chronic.push(Cond::Depression);
        }
        if r.gen_bool(0.06) {
            chronic.push(Cond::Alcohol);
        }
        let mut allergies = Vec::new();
        for i in 0..ALLERGENS.len() {
            if r.gen_bool(0.15) {
                allergies.push(i);
            }
        }
        Profile {
            years: r.gen_range(3..=5),
            chronic,
            uri: r.gen_bool(0.5),
            appendicitis: r.gen_bool(0.1),
            hiv_test: r.gen_bool(0.15),
            allergies,
            hostile_doc: r.gen_bool(0.15),
            cda: r.gen_bool(0.35),
            aspirin: htn && r.gen_bool(0.4),
        }
    }

    fn build(&mut self) {
        let profile = self.profile();
        self.patient();
        let start = epoch() - Duration::days(profile.years * 365);
        let quarters = profile.years * 4;
        let has = |c: Cond| profile.chronic.contains(&c);

        // Diagnoses at the first visit; the first visit is always at the primary hospital.
        let mut visits = Vec::new();
        for q in 0..quarters {
            let day = start + Duration::days(q * 91 + self.rng.gen_range(0..20));
            let hospital = if q == 0 || self.rng.gen_bool(0.7) {
                self.p.hospitals[0]
            } else {
                *pick(self.rng, &self.p.hospitals)
            };
            let practitioner = self.practitioner_at(hospital);
            let when = at(day, self.rng.gen_range(8..12), self.rng.gen_range(0..60));
            visits.push(Visit {
                encounter_id: String::new(),
                when,
                hospital,
                practitioner,
            });
        }
        let main_reason = profile.chronic.first().map_or(
            self.t("健康体检", "Health check-up").to_owned(),
            |c| {
                let (_, en, zh) = c.code();
                if self.p.zh {
                    format!("{zh}复诊")
                } else {
                    format!("{en} follow-up")
                }
            },
        );
        for v in &mut visits {
            let id = self.encounter(v, "AMB", &main_reason, Duration::minutes(30));
            v.encounter_id = id;
        }

        let first = visits[0].clone();
        let mut condition_ids = Vec::new();
        for c in &profile.chronic {
            let id = self.condition(*c, &first, true);
            condition_ids.push((*c, id));
        }
        let cond_id = |c: Cond| {
            condition_ids
                .iter()
                .find(|(x, _)| *x == c)
                .map(|(_, id)| id.clone())
        };

        // Medications: started at the first visit, renewed yearly.
        let mut drugs: Vec<(Drug, Cond, usize)> = Vec::new();
        if has(Cond::Diabetes) {
            drugs.push((METFORMIN, Cond::Diabetes, 0));
        }
        if has(Cond::Hypertension) {
            drugs.push((AMLODIPINE, Cond::Hypertension, 0));
        }
        if has(Cond::Ckd) {
            drugs.push((LOSARTAN, Cond::Ckd, 0));
        }
        if has(Cond::Lipids) {
            drugs.push((ATORVASTATIN, Cond::Lipids, 0));
        }
        if has(Cond::Depression) {
            drugs.push((SERTRALINE, Cond::Depression, 0));
        }
        if has(Cond::Asthma) {
            drugs.push((SALBUTAMOL, Cond::Asthma, 0));
        }

        // Labs and vitals, quarterly, with trends.
        let n = visits.len().max(2) as f64 - 1.0;
        let mut gliclazide_from = None;
        let mut peak_hba1c: f64 = 0.0;
        let mut pressures = Vec::with_capacity(visits.len());
        for (q, v) in visits.clone().iter().enumerate() {
            let f = q as f64 / n;
            let mut lab_ids = Vec::new();
            let (sys, dia) = if has(Cond::Hypertension) {
                (
                    150.0 - 15.0 * f + self.noise(8.0),
                    93.0 - 8.0 * f + self.noise(5.0),
                )
            } else {
                (118.0 + self.noise(8.0), 76.0 + self.noise(5.0))
            };
            self.blood_pressure(v, sys.round(), dia.round());
            pressures.push((sys.round(), dia.round()));
            if has(Cond::Diabetes) {
                let hba1c = 7.0 + 1.5 * f + self.noise(0.25);
                peak_hba1c = peak_hba1c.max(hba1c);
                if hba1c > 8.0 && gliclazide_from.is_none() {
                    gliclazide_from = Some(q);
                }
                lab_ids.push(self.lab(v, Lab::Hba1c, round1(hba1c)));
                let glucose = 7.2 + 2.3 * f + self.noise(0.6);
                lab_ids.push(self.lab(v, Lab::Glucose, round1(glucose)));
            }
            if has(Cond::Ckd) || q % 4 == 0 {
                let egfr = if has(Cond::Ckd) {
                    56.0 - 16.0 * f + self.noise(2.5)
                } else {
                    92.0 + self.noise(6.0)
                };
                lab_ids.push(self.lab(v, Lab::Egfr, egfr.round()));
                let creatinine = 0.9 * 90.0 / egfr + self.noise(0.05);
                lab_ids.push(self.lab(v, Lab::Creatinine, round2(creatinine)));
            }
            if !lab_ids.is_empty() {
                self.diagnostic_report(v, &lab_ids);
            }
            if q % 4 == 2 && has(Cond::Diabetes) {
                let reason = cond_id(Cond::Diabetes);
                self.procedure(
                    v,
                    None,
                    ("糖尿病视网膜病变筛查", "Diabetic retinopathy screening"),
                    reason,
                );
            }
            if q % 4 == 1 && has(Cond::Hypertension) {
                let reason = cond_id(Cond::Hypertension);
                self.procedure(
                    v,
                    Some("29303009"),
                    ("心电图检查", "Electrocardiographic procedure"),
                    reason,
                );
            }
        }
        if let Some(q) = gliclazide_from {
            drugs.push((GLICLAZIDE, Cond::Diabetes, q));
        }
        for (drug, cond, from) in drugs {
            let reason = cond_id(cond);
            self.medication_course(&visits, drug, cond, from, reason.as_deref());
        }
        if profile.aspirin {
            self.medication_statement(&first, ASPIRIN);
        }

        for a in &profile.allergies {
            self.allergy(&first, *a);
        }

        if profile.hiv_test {
            let v = visits[visits.len() / 2].clone();
            self.hiv_test(&v);
        }

        // Acute episodes.
        if profile.uri {
            let v = visits[visits.len() / 3].clone();
            self.condition(Cond::Uri, &v, false);
        }
        if profile.appendicitis {
            let day = start + Duration::days(self.rng.gen_range(30..300));
            let hospital = self.p.hospitals[0];
            let practitioner = self.practitioner_at(hospital);
            let mut v = Visit {
                encounter_id: String::new(),
                when: at(day, 22, 15),
                hospital,
                practitioner,
            };
            v.encounter_id = self.encounter(
                &v,
                "EMER",
                self.t("转移性右下腹痛", "Right lower quadrant pain"),
                Duration::hours(4),
            );
            let cid = self.condition(Cond::Appendicitis, &v, false);
            let mut stay = v.clone();
            stay.when = v.when + Duration::hours(3);
            stay.encounter_id = self.encounter(
                &stay,
                "IMP",
                self.t("急性阑尾炎", "Acute appendicitis"),
                Duration::days(4),
            );
            self.procedure(
                &stay,
                Some("80146002"),
                ("腹腔镜阑尾切除术", "Laparoscopic appendectomy"),
                Some(cid),
            );
            self.discharge_summary(
                &stay,
                4,
                self.t(
                    "急性阑尾炎，行腹腔镜阑尾切除术，术后恢复良好。",
                    "Acute appendicitis treated with laparoscopic appendectomy; uneventful recovery.",
                ),
                false,
            );
        }
        if has(Cond::Diabetes) || has(Cond::Ckd) {
            let v = visits[visits.len() * 2 / 3].clone();
            let hospital = if self.p.zh { 0 } else { 4 };
            let practitioner = self.practitioner_at(hospital);
            let mut stay = Visit {
                encounter_id: String::new(),
                when: v.when + Duration::days(3),
                hospital,
                practitioner,
            };
            let reason = if has(Cond::Ckd) {
                self.t("肾功能下降评估", "Assessment of declining renal function")
            } else {
                self.t("血糖控制不佳", "Poor glycaemic control")
            };
            stay.encounter_id = self.encounter(&stay, "IMP", reason, Duration::days(6));
            if has(Cond::Ckd) {
                let cid = cond_id(Cond::Ckd);
                self.procedure(&stay, None, ("肾脏超声检查", "Renal ultrasound"), cid);
            }
            let summary = format!(
                "{}{}",
                reason,
                self.t(
                    "。住院期间调整降糖及降压方案，出院后门诊随访。",
                    ". Glucose-lowering and antihypertensive treatment adjusted; outpatient follow-up arranged."
                )
            );
            self.discharge_summary(&stay, 6, &summary, profile.hostile_doc);
        }
        if self.rng.gen_bool(0.3) || self.p.id == "cn-0001" {
            let v = visits[visits.len() - 3].clone();
            let mut er = v.clone();
            er.when = v.when + Duration::days(20) + Duration::hours(10);
            er.hospital = 2;
            er.practitioner = self.practitioner_at(2);
            er.encounter_id = self.encounter(
                &er,
                "EMER",
                self.t("胸闷、头晕", "Chest tightness and dizziness"),
                Duration::hours(5),
            );
            let reason = cond_id(Cond::Hypertension);
            self.procedure(
                &er,
                Some("29303009"),
                ("心电图检查", "Electrocardiographic procedure"),
                reason,
            );
        }

        // Referrals to departments, each with a letter.
        let mut referrals: Vec<(usize, Cond, bool)> = Vec::new();
        if has(Cond::Diabetes) && peak_hba1c > 8.0 {
            referrals.push((2, Cond::Diabetes, peak_hba1c > 8.4));
        }
        if has(Cond::Ckd) {
            referrals.push((1, Cond::Ckd, false));
        }
        if has(Cond::Hypertension) && (self.rng.gen_bool(0.5) || self.p.id == "cn-0001") {
            referrals.push((0, Cond::Hypertension, false));
        }
        if has(Cond::Depression) {
            referrals.push((3, Cond::Depression, false));
        }
        // The showcase patient's referral to cardiology is the current one:
        // cardiology doctors treat them (a care relationship for the tiers).
        if self.p.id == "cn-0001" {
            referrals.sort_by_key(|(_, cond, _)| *cond != Cond::Hypertension);
        }
        for (k, (dept, cond, urgent)) in referrals.into_iter().enumerate() {
            let index = visits.len().saturating_sub(1 + k * 5);
            let v = visits[index].clone();
            let reason = cond_id(cond);
            // Hypertension still at or above 140/90 on treatment when the
            // patient is referred makes the cardiology referral urgent. (Read
            // from the visit's blood pressure, not drawn: a new draw would
            // change every later patient.)
            let urgent = urgent
                || (cond == Cond::Hypertension
                    && pressures
                        .get(index)
                        .is_some_and(|&(sys, dia)| sys >= 140.0 || dia >= 90.0));
            self.referral(&v, dept, cond, urgent, reason.as_deref());
        }

        self.immunizations(start, profile.years);
        if profile.cda {
            let v = visits[visits.len() - 1].clone();
            self.cda_document(&v, &profile);
        }
    }

    fn noise(&mut self, amplitude: f64) -> f64 {
        self.rng.gen_range(-amplitude..=amplitude)
    }

    fn patient(&mut self) {
        let p = &self.p;
        let gender = if p.male { "male" } else { "female" };
        let mut identifiers = vec![json!({
            "use": "official",
            "type": {"coding": [{"system": V2_0203, "code": "NI", "display": "National unique individual identifier"}], "text": "居民身份证"},
            "system": sid::RESIDENT_ID,
            "value": p.resident_id,
        })];
        for (h, mrn) in p.hospitals.iter().zip(&p.mrns) {
            let hosp = &HOSPITALS[*h];
            identifiers.push(json!({
                "use": "usual",
                "type": {"coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}], "text": "病案号"},
                "system": format!("{}{}", sid::MRN_PREFIX, hosp.code),
                "value": mrn,
                "assigner": reference("Organization", hosp.id, hosp.zh),
            }));
        }
        identifiers.push(json!({
            "use": "secondary",
            "type": {"coding": [{"system": V2_0203, "code": "SB", "display": "Social Beneficiary Identifier"}], "text": "医保号"},
            "system": sid::INSURANCE,
            "value": p.insurance,
        }));
        if let Some(passport) = &p.passport {
            identifiers.push(json!({
                "use": "secondary",
                "type": {"coding": [{"system": V2_0203, "code": "PPN", "display": "Passport number"}], "text": "Passport"},
                "system": sid::PASSPORT,
                "value": passport,
            }));
        }
        let (district, _, postal, _) = DISTRICTS[p.district];
        let address_text = format!("北京市{district}{}", p.street);
        let summary = format!(
            "{}, {}, {}",
            gender,
            p.birth.format("%Y-%m-%d"),
            address_text
        );
        let resource = json!({
            "resourceType": "Patient",
            "id": p.id,
            "meta": meta(at(p.birth, 9, 0).max(at(epoch() - Duration::days(6 * 365), 9, 0)), &[]),
            "text": self.narrative(&summary),
            "identifier": identifiers,
            "active": true,
            "name": names(p),
            "telecom": [{"system": "phone", "value": p.phone, "use": "mobile"}],
            "gender": gender,
            "birthDate": p.birth.format("%Y-%m-%d").to_string(),
            "address": [{"use": "home", "text": address_text, "line": [p.street], "city": "北京市", "district": district, "state": "北京市", "postalCode": postal, "country": "CN"}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": if p.zh { "zh-CN" } else { "en" }}]}, "preferred": true}],
            "generalPractitioner": [self.practitioner_ref(4)],
        });
        self.out.push(resource);
    }

    fn encounter(&mut self, v: &Visit, class: &str, reason: &str, length: Duration) -> String {
        let id = self.next_id("enc");
        let (class_display, type_zh, type_en) = match class {
            "IMP" => ("inpatient encounter", "住院", "Inpatient admission"),
            "EMER" => ("emergency", "急诊", "Emergency visit"),
            _ => ("ambulatory", "门诊", "Outpatient visit"),
        };
        let hospital = &HOSPITALS[v.hospital];
        let summary = format!(
            "{} {} {}: {}",
            v.when.format("%Y-%m-%d"),
            self.t(hospital.zh, hospital.en),
            self.t(type_zh, type_en),
            reason
        );
        let end = v.when + length;
        let resource = json!({
            "resourceType": "Encounter",
            "id": id,
            "meta": meta(end, &[]),
            "text": self.narrative(&summary),
            "identifier": [{"system": format!("{}{}", sid::MRN_PREFIX, hospital.code), "value": format!("V{}", id.replace('-', ""))}],
            "status": "finished",
            "class": {"system": ACT_CODE, "code": class, "display": class_display},
            "type": [{"text": self.t(type_zh, type_en)}],
            "subject": self.subject(),
            "participant": [{"individual": self.practitioner_ref(v.practitioner)}],
            "period": {"start": local(v.when), "end": local(end)},
            "reasonCode": [{"text": reason}],
            "serviceProvider": self.hospital_ref(v.hospital),
        });
        self.out.push(resource);
        id
    }

    fn condition(&mut self, c: Cond, v: &Visit, chronic: bool) -> String {
        let id = self.next_id("cond");
        let (code, en, zh) = c.code();
        let display = self.t(zh, en).to_owned();
        let status = if chronic { "active" } else { "resolved" };
        let mut resource = json!({
            "resourceType": "Condition",
            "id": id,
            "meta": meta(v.when, c.labels()),
            "text": self.narrative(&format!("{display} ({code}), {status}")),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": if chronic { "problem-list-item" } else { "encounter-diagnosis" }}]}],
            "code": {"coding": [{"system": ICD10, "code": code, "display": display}], "text": display},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "onsetDateTime": local(v.when),
            "recordedDate": local(v.when),
            "recorder": self.practitioner_ref(v.practitioner),
        });
        if !chronic {
            resource["abatementDateTime"] = json!(local(v.when + Duration::days(14)));
        }
        self.out.push(resource);
        id
    }

    fn medication_course(
        &mut self,
        visits: &[Visit],
        drug: Drug,
        cond: Cond,
        from: usize,
        reason: Option<&str>,
    ) {
        // One prescription at the start, then one a year; only the last is active.
        let starts: Vec<usize> = (from..visits.len()).step_by(4).collect();
        for (k, q) in starts.iter().enumerate() {
            let v = visits[*q].clone();
            let last = k + 1 == starts.len();
            let id = self.next_id("medrx");
            let (atc, zh, en, dose_zh, dose_en) = drug;
            let name = self.t(zh, en).to_owned();
            let dose = self.t(dose_zh, dose_en).to_owned();
            let mut resource = json!({
                "resourceType": "MedicationRequest",
                "id": id,
                "meta": meta(v.when, cond.labels()),
                "text": self.narrative(&format!("{name}: {dose}")),
                "status": if last { "active" } else { "completed" },
                "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": en}], "text": name},
                "subject": self.subject(),
                "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
                "authoredOn": local(v.when),
                "requester": self.practitioner_ref(v.practitioner),
                "dosageInstruction": [{"text": dose}],
                "dispenseRequest": {"expectedSupplyDuration": {"value": 90, "unit": "days", "system": UCUM, "code": "d"}},
            });
            if let Some(reason) = reason {
                resource["reasonReference"] = json!([{"reference": format!("Condition/{reason}")}]);
            }
            self.out.push(resource);
        }
    }

    fn medication_statement(&mut self, v: &Visit, drug: Drug) {
        let id = self.next_id("medst");
        let (atc, zh, en, dose_zh, dose_en) = drug;
        let name = self.t(zh, en).to_owned();
        let dose = self.t(dose_zh, dose_en).to_owned();
        let resource = json!({
            "resourceType": "MedicationStatement",
            "id": id,
            "meta": meta(v.when, &[]),
            "text": self.narrative(&format!("{}: {name}", self.t("自述用药", "Self-reported medication"))),
            "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": en}], "text": name},
            "subject": self.subject(),
            "context": {"reference": format!("Encounter/{}", v.encounter_id)},
            "effectivePeriod": {"start": v.when.format("%Y-%m-%d").to_string()},
            "dateAsserted": local(v.when),
            "informationSource": self.subject(),
            "dosage": [{"text": dose}],
        });
        self.out.push(resource);
    }

    fn allergy(&mut self, v: &Visit, index: usize) {
        let id = self.next_id("allergy");
        let (system, code, zh, en, criticality, reaction_zh, reaction_en) = ALLERGENS[index];
        let name = self.t(zh, en).to_owned();
        let reaction = self.t(reaction_zh, reaction_en).to_owned();
        let category = if system == SNOMED {
            "food"
        } else {
            "medication"
        };
        let resource = json!({
            "resourceType": "AllergyIntolerance",
            "id": id,
            "meta": meta(v.when, &[]),
            "text": self.narrative(&format!("{}: {name} — {reaction}", self.t("过敏", "Allergy"))),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
            "type": "allergy",
            "category": [category],
            "criticality": criticality,
            "code": {"coding": [{"system": system, "code": code, "display": en}], "text": name},
            "patient": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "recordedDate": local(v.when),
            "recorder": self.practitioner_ref(v.practitioner),
            "reaction": [{"manifestation": [{"text": reaction}], "severity": if criticality == "high" { "severe" } else { "mild" }}],
        });
        self.out.push(resource);
    }

    fn blood_pressure(&mut self, v: &Visit, systolic: f64, diastolic: f64) {
        let id = self.next_id("obs");
        let flag = |value: f64, high: f64| if value >= high { "H" } else { "N" };
        let resource = json!({
            "resourceType": "Observation",
            "id": id,
            "meta": meta(v.when, &[]),
            "text": self.narrative(&format!("{} {systolic}/{diastolic} mmHg", self.t("血压", "Blood pressure"))),
            "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel with all children optional"}], "text": self.t("血压", "Blood pressure")},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "effectiveDateTime": local(v.when),
            "performer": [self.practitioner_ref(v.practitioner)],
            "component": [
                {
                    "code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}], "text": self.t("收缩压", "Systolic")},
                    "valueQuantity": {"value": systolic, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
                    "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag(systolic, 140.0)}]}],
                },
                {
                    "code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}], "text": self.t("舒张压", "Diastolic")},
                    "valueQuantity": {"value": diastolic, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
                    "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag(diastolic, 90.0)}]}],
                },
            ],
        });
        self.out.push(resource);
    }

    fn lab(&mut self, v: &Visit, lab: Lab, value: f64) -> String {
        let id = self.next_id("obs");
        let spec = lab.spec();
        let flag = if value > spec.high {
            "H"
        } else if value < spec.low {
            "L"
        } else {
            "N"
        };
        let name = self.t(spec.zh, spec.en).to_owned();
        let when = v.when + Duration::hours(2);
        let resource = json!({
            "resourceType": "Observation",
            "id": id,
            "meta": meta(when, &[]),
            "text": self.narrative(&format!("{name}: {value} {}", spec.unit)),
            "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "laboratory", "display": "Laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": spec.loinc, "display": spec.en}], "text": name},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "effectiveDateTime": local(v.when),
            "issued": local(when),
            "performer": [self.hospital_ref(v.hospital)],
            "valueQuantity": {"value": value, "unit": spec.unit, "system": UCUM, "code": spec.ucum},
            "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag}]}],
            "referenceRange": [{"low": {"value": spec.low, "unit": spec.unit, "system": UCUM, "code": spec.ucum},
                                "high": {"value": spec.high, "unit": spec.unit, "system": UCUM, "code": spec.ucum}}],
        });
        self.out.push(resource);
        id
    }

    fn hiv_test(&mut self, v: &Visit) {
        let id = self.next_id("obs");
        let labels = [("V", "HIV")];
        let resource = json!({
            "resourceType": "Observation",
            "id": id,
            "meta": meta(v.when + Duration::hours(4), &labels),
            "text": self.narrative(self.t("HIV抗原抗体筛查：阴性", "HIV antigen/antibody screen: negative")),
            "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "laboratory", "display": "Laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": "56888-1", "display": "HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay"}],
                     "text": self.t("HIV抗原抗体联合检测", "HIV Ag/Ab combination test")},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "effectiveDateTime": local(v.when),
            "performer": [self.hospital_ref(v.hospital)],
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "260385009", "display": "Negative"}], "text": self.t("阴性", "Negative")},
            "interpretation": [{"coding": [{"system": INTERPRETATION, "code": "NEG"}]}],
        });
        self.out.push(resource);
    }

    fn diagnostic_report(&mut self, v: &Visit, results: &[String]) {
        let id = self.next_id("dr");
        let when = v.when + Duration::hours(3);
        let resource = json!({
            "resourceType": "DiagnosticReport",
            "id": id,
            "meta": meta(when, &[]),
            "text": self.narrative(&format!("{} ({})", self.t("检验报告", "Laboratory report"), results.len())),
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB", "display": "Laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": "11502-2", "display": "Laboratory report"}], "text": self.t("生化检验报告", "Chemistry report")},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "effectiveDateTime": local(v.when),
            "issued": local(when),
            "performer": [self.hospital_ref(v.hospital)],
            "result": results.iter().map(|r| json!({"reference": format!("Observation/{r}")})).collect::<Vec<_>>(),
        });
        self.out.push(resource);
    }

    fn procedure(
        &mut self,
        v: &Visit,
        snomed: Option<&str>,
        names: (&str, &str),
        reason: Option<String>,
    ) {
        let id = self.next_id("proc");
        let name = self.t(names.0, names.1).to_owned();
        let mut code = json!({"text": name});
        if let Some(snomed) = snomed {
            code["coding"] = json!([{"system": SNOMED, "code": snomed, "display": names.1}]);
        }
        let mut resource = json!({
            "resourceType": "Procedure",
            "id": id,
            "meta": meta(v.when + Duration::hours(1), &[]),
            "text": self.narrative(&name),
            "status": "completed",
            "code": code,
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "performedDateTime": local(v.when + Duration::minutes(40)),
            "performer": [{"actor": self.practitioner_ref(v.practitioner), "onBehalfOf": self.hospital_ref(v.hospital)}],
        });
        if let Some(reason) = reason {
            resource["reasonReference"] = json!([{"reference": format!("Condition/{reason}")}]);
        }
        self.out.push(resource);
    }

    fn immunizations(&mut self, start: NaiveDate, years: i64) {
        let first_year = start.year();
        let hospital = 3;
        for year in first_year..EPOCH.0 {
            if !self.rng.gen_bool(0.7) {
                continue;
            }
            let day =
                NaiveDate::from_ymd_opt(year, 10, self.rng.gen_range(8..28)).unwrap_or_default();
            self.immunization(
                day,
                hospital,
                ("141", "Influenza, seasonal, injectable", "流感疫苗"),
            );
        }
        let covid = NaiveDate::from_ymd_opt(2021, 5, 12).unwrap_or_default();
        if covid >= start && self.rng.gen_bool(0.8) {
            self.immunization(
                covid,
                hospital,
                (
                    "213",
                    "SARS-COV-2 (COVID-19) vaccine, unspecified formulation",
                    "新冠病毒疫苗",
                ),
            );
        }
        let age = epoch().years_since(self.p.birth).unwrap_or(0);
        if age >= 65 {
            let day = start + Duration::days(years * 100);
            self.immunization(
                day,
                hospital,
                (
                    "33",
                    "Pneumococcal polysaccharide vaccine, 23 valent",
                    "23价肺炎球菌多糖疫苗",
                ),
            );
        }
    }

    fn immunization(&mut self, day: NaiveDate, hospital: usize, vaccine: (&str, &str, &str)) {
        let id = self.next_id("imm");
        let when = at(day, 14, 30);
        let name = self.t(vaccine.2, vaccine.1).to_owned();
        let lot = format!("{}{:06}", day.year(), self.rng.gen_range(0..1_000_000));
        let resource = json!({
            "resourceType": "Immunization",
            "id": id,
            "meta": meta(when, &[]),
            "text": self.narrative(&name),
            "status": "completed",
            "vaccineCode": {"coding": [{"system": CVX, "code": vaccine.0, "display": vaccine.1}], "text": name},
            "patient": self.subject(),
            "occurrenceDateTime": local(when),
            "primarySource": true,
            "lotNumber": lot,
            "performer": [{"actor": self.hospital_ref(hospital)}],
        });
        self.out.push(resource);
    }

    fn referral(&mut self, v: &Visit, dept: usize, cond: Cond, urgent: bool, reason: Option<&str>) {
        let id = self.next_id("sr");
        let (dept_id, parent, dept_zh, dept_en) = DEPARTMENTS[dept];
        let hospital = &HOSPITALS[parent];
        let recent = (epoch() - v.when.date()).num_days() < 180;
        let (_, cond_en, cond_zh) = cond.code();
        let reason_text = self.t(cond_zh, cond_en).to_owned();
        let dept_name = format!(
            "{}{}",
            self.t(hospital.zh, hospital.en),
            self.t(dept_zh, dept_en)
        );
        let mut resource = json!({
            "resourceType": "ServiceRequest",
            "id": id,
            "meta": meta(v.when, cond.labels()),
            "text": self.narrative(&format!("{}: {dept_name} — {reason_text}", self.t("转诊", "Referral"))),
            "status": if recent { "active" } else { "completed" },
            "intent": "order",
            "category": [{"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}], "text": "referral"}],
            "priority": if urgent { "urgent" } else { "routine" },
            "code": {"text": format!("{} {dept_name}", self.t("转诊至", "Referral to"))},
            "subject": self.subject(),
            "encounter": {"reference": format!("Encounter/{}", v.encounter_id)},
            "authoredOn": local(v.when),
            "requester": self.practitioner_ref(v.practitioner),
            "performer": [reference("Organization", dept_id, self.t(dept_zh, dept_en))],
            "reasonCode": [{"text": reason_text}],
        });
        if let Some(reason) = reason {
            resource["reasonReference"] = json!([{"reference": format!("Condition/{reason}")}]);
        }
        self.out.push(resource);

        let letter = if self.p.zh {
            format!(
                "转诊单\n患者：{}  手机：{}  身份证号：{}\n转出：{}\n转入：{}\n诊断：{}\n请予进一步诊治。",
                self.p.full_name,
                self.p.phone,
                self.p.resident_id,
                HOSPITALS[v.hospital].zh,
                dept_name,
                reason_text
            )
        } else {
            format!(
                "Referral letter\nPatient: {}  Mobile: {}  Resident ID: {}\nFrom: {}\nTo: {}\nDiagnosis: {}\nKindly assess and advise.",
                self.p.full_name,
                self.p.phone,
                self.p.resident_id,
                HOSPITALS[v.hospital].en,
                dept_name,
                reason_text
            )
        };
        let title = self.t("转诊单", "Referral letter").to_owned();
        self.document(
            v,
            ("57133-1", "Referral note", &title),
            "text/plain",
            &letter,
            cond.labels(),
            None,
        );
    }

    fn discharge_summary(&mut self, stay: &Visit, days: i64, summary: &str, hostile: bool) {
        let discharge = Visit {
            when: stay.when + Duration::days(days),
            ..stay.clone()
        };
        let title = self.t("出院小结", "Discharge summary").to_owned();
        let name = escape_html(&self.p.full_name);
        let phone = &self.p.phone;
        let hospital = self.t(HOSPITALS[stay.hospital].zh, HOSPITALS[stay.hospital].en);
        if hostile {
            // Hostile markup on purpose: the client must sanitise documents.
            let html = format!(
                "<html><body><h1>{title}</h1><p>{}: {name} ({phone})</p><p>{}</p>\
                 <script>alert('chartguard-xss')</script>\
                 <img src=x onerror=\"alert('chartguard-xss')\">\
                 <a href=\"javascript:alert(1)\">{}</a></body></html>",
                self.t("患者", "Patient"),
                escape_html(summary),
                hospital
            );
            let narrative = format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{name} {phone}</p>\
                 <img src=\"x\" onerror=\"alert('chartguard-xss')\"/><script>alert(1)</script></div>"
            );
            self.document(
                &discharge,
                ("18842-5", "Discharge summary", &title),
                "text/html",
                &html,
                &[],
                Some(narrative),
            );
        } else {
            let text = if self.p.zh {
                format!(
                    "{title}\n{hospital}\n患者：{}  手机：{phone}\n入院日期：{}  出院日期：{}\n{summary}",
                    self.p.full_name,
                    stay.when.format("%Y-%m-%d"),
                    discharge.when.format("%Y-%m-%d")
                )
            } else {
                format!(
                    "{title}\n{hospital}\nPatient: {}  Mobile: {phone}\nAdmitted: {}  Discharged: {}\n{summary}",
                    self.p.full_name,
                    stay.when.format("%Y-%m-%d"),
                    discharge.when.format("%Y-%m-%d")
                )
            };
            self.document(
                &discharge,
                ("18842-5", "Discharge summary", &title),
                "text/plain",
                &text,
                &[],
                None,
            );
        }
    }

    fn cda_document(&mut self, v: &Visit, profile: &Profile) {
        let problems: String = profile
            .chronic
            .iter()
            .filter(|c| c.labels().is_empty())
            .map(|c| {
                let (code, en, zh) = c.code();
                format!(
                    "<item><content>{}</content><code code=\"{code}\" codeSystem=\"2.16.840.1.113883.6.3\"/></item>",
                    escape_html(self.t(zh, en))
                )
            })
            .collect();
        let title = self.t("健康档案摘要", "Shared health summary").to_owned();
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ClinicalDocument xmlns=\"urn:hl7-org:v3\">\
             <typeId root=\"2.16.840.1.113883.1.3\" extension=\"POCD_HD000040\"/>\
             <code code=\"34133-9\" codeSystem=\"2.16.840.1.113883.6.1\" displayName=\"Summary of episode note\"/>\
             <title>{title}</title><effectiveTime value=\"{}\"/>\
             <recordTarget><patientRole><id root=\"2.16.156.10011.1.3\" extension=\"{}\"/>\
             <telecom value=\"tel:{}\"/><patient><name>{}</name></patient></patientRole></recordTarget>\
             <component><structuredBody><component><section><title>{}</title><text><list>{problems}</list></text></section></component></structuredBody></component>\
             </ClinicalDocument>",
            v.when.format("%Y%m%d%H%M%S+0800"),
            self.p.resident_id,
            self.p.phone,
            escape_html(&self.p.full_name),
            self.t("问题列表", "Problems"),
        );
        self.document(
            v,
            ("34133-9", "Summary of episode note", &title),
            "application/xml",
            &xml,
            &[],
            None,
        );
    }

    fn document(
        &mut self,
        v: &Visit,
        kind: (&str, &str, &str),
        content_type: &str,
        body: &str,
        labels: &[(&str, &str)],
        narrative: Option<String>,
    ) {
        use base64::Engine as _;
        let id = self.next_id("doc");
        let (loinc, display, title) = kind;
        let text = match narrative {
            Some(div) => json!({"status": "generated", "div": div}),
            None => self.narrative(title),
        };
        let resource = json!({
            "resourceType": "DocumentReference",
            "id": id,
            "meta": meta(v.when + Duration::hours(5), labels),
            "text": text,
            "status": "current",
            "docStatus": "final",
            "type": {"coding": [{"system": LOINC, "code": loinc, "display": display}], "text": title},
            "category": [{"coding": [{"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "code": "clinical-note"}]}],
            "subject": self.subject(),
            "date": local(v.when + Duration::hours(5)),
            "author": [self.practitioner_ref(v.practitioner)],
            "custodian": self.hospital_ref(v.hospital),
            "description": title,
            "content": [{"attachment": {
                "contentType": content_type,
                "language": if self.p.zh { "zh-CN" } else { "en" },
                "data": base64::engine::general_purpose::STANDARD.encode(body.as_bytes()),
                "title": title,
                "creation": local(v.when + Duration::hours(5)),
            }}],
            "context": {"encounter": [{"reference": format!("Encounter/{}", v.encounter_id)}],
                        "period": {"start": local(v.when)}},
        });
        self.out.push(resource);
    }
}

/// The patient's names: the official one, and for a Chinese name its
/// pinyin as regional indexes store it (a HumanName marked as the
/// alphabetic representation), so a search for "zhang wei" finds 张伟.
fn names(p: &Person) -> Value {
    let official =
        json!({"use": "official", "text": p.full_name, "family": p.family, "given": [p.given]});
    if !p.zh {
        return json!([official]);
    }
    let (family, given) = (romanise(&p.family), romanise(&p.given));
    json!([official, {
        "use": "usual",
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation", "valueCode": "ABC"}],
        "text": format!("{family} {given}"),
        "family": family,
        "given": [given],
    }])
}

/// Pinyin without tones, capitalised as a name: 欧阳 → Ouyang.
fn romanise(chinese: &str) -> String {
    use pinyin::ToPinyin;
    let syllables: String = chinese
        .chars()
        .map(|c| {
            c.to_pinyin()
                .map_or_else(|| c.to_string(), |p| p.plain().to_owned())
        })
        .collect();
    let mut chars = syllables.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Clone, Copy)]
enum Lab {
    Hba1c,
    Glucose,
    Egfr,
    Creatinine,
}

struct LabSpec {
    loinc: &'static str,
    en: &'static str,
    zh: &'static str,
    unit: &'static str,
    ucum: &'static str,
    low: f64,
    high: f64,
}

impl Lab {
    fn spec(self) -> LabSpec {
        match self {
            Lab::Hba1c => LabSpec {
                loinc: "4548-4",
                en: "Hemoglobin A1c/Hemoglobin.total in Blood",
                zh: "糖化血红蛋白",
                unit: "%",
                ucum: "%",
                low: 4.0,
                high: 6.0,
            },
            Lab::Glucose => LabSpec {
                loinc: "14771-0",
                en: "Fasting glucose [Moles/volume] in Serum or Plasma",
                zh: "空腹血糖",
                unit: "mmol/L",
                ucum: "mmol/L",
                low: 3.9,
                high: 6.1,
            },
            Lab::Egfr => LabSpec {
                loinc: "33914-3",
                en: "Glomerular filtration rate/1.73 sq M.predicted",
                zh: "估算肾小球滤过率",
                unit: "mL/min/1.73m2",
                ucum: "mL/min/{1.73_m2}",
                low: 60.0,
                high: 150.0,
            },
            Lab::Creatinine => LabSpec {
                loinc: "2160-0",
                en: "Creatinine [Mass/volume] in Serum or Plasma",
                zh: "血肌酐",
                unit: "mg/dL",
                ucum: "mg/dL",
                low: 0.6,
                high: 1.2,
            },
        }
    }
}
