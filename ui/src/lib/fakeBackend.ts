// An in-memory Backend for unit tests and for `npm run dev` in a plain browser.
// The data is synthetic (made-up people; resident IDs carry valid checksums) but
// shaped like what the core sends: several hospitals, Chinese and Western names.
// It is never part of the production bundle: main.ts imports it only in dev.
import type { WatermarkTamper } from "../bindings/WatermarkTamper";
import type { Backend } from "./backend";
import { BackendError } from "./backend";
import type { AccessEntry } from "../bindings/AccessEntry";
import type { AccessLog } from "../bindings/AccessLog";
import type { AccessView } from "../bindings/AccessView";
import type { ActionCount } from "../bindings/ActionCount";
import type { AppInfo } from "../bindings/AppInfo";
import type { AuditStatus } from "../bindings/AuditStatus";
import type { BreakGlassReasonView } from "../bindings/BreakGlassReasonView";
import type { Chart } from "../bindings/Chart";
import type { DocumentView } from "../bindings/DocumentView";
import type { EncounterItem } from "../bindings/EncounterItem";
import type { EncounterView } from "../bindings/EncounterView";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { ExportReceipt } from "../bindings/ExportReceipt";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { FetchProgressView } from "../bindings/FetchProgressView";
import type { ExportScope } from "../bindings/ExportScope";
import type { LabView } from "../bindings/LabView";
import type { LoginFlow } from "../bindings/LoginFlow";
import type { MedicationView } from "../bindings/MedicationView";
import type { PatientSummary } from "../bindings/PatientSummary";
import type { ReferralDecision } from "../bindings/ReferralDecision";
import type { ReferralInbox } from "../bindings/ReferralInbox";
import type { ReferralView } from "../bindings/ReferralView";
import type { ReferenceRange } from "../bindings/ReferenceRange";
import type { ResultFlag } from "../bindings/ResultFlag";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import type { SearchResults } from "../bindings/SearchResults";
import type { VerifyReport } from "../bindings/VerifyReport";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { WatermarkView } from "../bindings/WatermarkView";

const PUMCH = "北京协和医院";
const PKUFH = "北京大学第一医院";
const CHAOYANG = "首都医科大学附属北京朝阳医院";
const UFH = "北京和睦家医院";

export const SAMPLE_USERNAME = "zhangwei";
export const SAMPLE_PASSWORD = "demo-password";
export const LOCKED_USERNAME = "locked";
/** The cardiology department head (the referral inbox, "who viewed"); same password. */
export const HEAD_USERNAME = "lihua";
/** IT staff (the audit trail's status, no patients); same password. */
export const IT_USERNAME = "itadmin";

export const sampleSession: SessionInfo = {
  subject: "f3c1a2d4-8e1b-4c55-9a0e-6b2d7e5f1a90",
  displayName: "张伟",
  staffNo: "A10238",
  department: "心内科",
  roles: ["clinician"],
  cacheProblem: null,
  desk: { referralInbox: false, accessLog: false, auditStatus: false },
  locked: false,
  unlockWithPassword: true,
};

/** The head of cardiology: a doctor who also reviews the department's referrals and access. */
export const headSession: SessionInfo = {
  subject: "9d0c7b1e-2f4a-4e8b-b3c6-1a5e7f2d8c41",
  displayName: "李华",
  staffNo: "H2001",
  department: "心内科",
  roles: ["doctor", "department_head"],
  cacheProblem: null,
  desk: { referralInbox: true, accessLog: true, auditStatus: false },
  locked: false,
  unlockWithPassword: true,
};

/** IT staff: the audit trail's status, and no patient at all (the core answers AccessDenied). */
export const itSession: SessionInfo = {
  subject: "5b7e2a90-c3d1-4f68-8e2b-0a9d6c4f1e73",
  displayName: "赵工",
  staffNo: "IT001",
  department: "信息中心",
  roles: ["it_admin"],
  cacheProblem: null,
  desk: { referralInbox: false, accessLog: false, auditStatus: true },
  locked: false,
  unlockWithPassword: true,
};

export type SampleAccount = "doctor" | "head" | "it";

/** Who each sample username signs in as. */
export const SAMPLE_ACCOUNTS: Readonly<Record<SampleAccount, { username: string; session: SessionInfo }>> = {
  doctor: { username: SAMPLE_USERNAME, session: sampleSession },
  head: { username: HEAD_USERNAME, session: headSession },
  it: { username: IT_USERNAME, session: itSession },
};

/** Roles that, as in the default policy, see no patient data at all. */
const NO_PATIENT_ROLES: readonly string[] = ["it_admin"];

/** A chart as the fake stores it; `freshness` and `pinned` are added per call, as the core does. */
export type ChartContent = Omit<Chart, "freshness" | "pinned">;

/** The access of a doctor treating the patient (a referral to their department). */
export const TREATING: AccessView = {
  tier: "treating",
  grounds: "referral",
  masked: false,
  canBreakGlass: false,
  breakGlassUntil: null,
};

/** The sample patient that is in this workstation's cache from the start. */
export const CACHED_PATIENT_ID = "pat-cn-0001";
/** How long ago the sample patient was cached: some hours. */
export const CACHED_AGE_MS = (3 * 60 + 25) * 60 * 1000;

/** A current medication row, one source per `[hospital, record type, record id]` (the first record's id is the row's). */
function med(
  id: string,
  text: string,
  authored: string,
  dosage: string,
  sources: [hospital: string, record: string, sourceId?: string][],
  alsoListed = 0,
): MedicationView {
  return {
    id,
    text,
    status: "active",
    authored,
    dosage,
    sources: sources.map(([hospital, record, sourceId]) => ({ id: sourceId ?? id, hospital, authored, record })),
    alsoListed,
  };
}

/** As the core sends an encounter: its class's code for the filters, and what happened in it. */
function encounter(
  fields: Omit<EncounterView, "items" | "classCode"> & { classCode: string },
  items: EncounterItem[] = [],
): EncounterView {
  return { ...fields, items };
}

function item(kind: EncounterItem["kind"], id: string, text: string, fields: Partial<EncounterItem> = {}): EncounterItem {
  return { kind, id, text, detail: null, date: null, flag: null, ...fields };
}

/**
 * A result as the core sends it: the number as the lab recorded it (pass
 * `text` for a value the core converted: four significant digits).
 */
function point(
  id: string,
  effective: string,
  value: number | string,
  flag: ResultFlag | null,
  range: ReferenceRange | null,
  source: string | null,
  fields: Partial<ResultPoint> = {},
): ResultPoint {
  const numeric = typeof value === "number";
  return {
    id,
    effective,
    value: numeric ? value : null,
    text: numeric ? String(value) : value,
    recorded: null,
    flag,
    range,
    source,
    encounter: null,
    ...fields,
  };
}

function range(low: number | null, high: number | null): ReferenceRange {
  return { low, high, text: null };
}

/**
 * The series of charts whose every analyte has one result, made from their
 * latest results (`labs`), as the core would have built them.
 */
function seriesOfLabs(labs: readonly LabView[]): ResultSeries[] {
  const flags: Record<string, ResultFlag> = { H: "high", L: "low", N: "normal", A: "abnormal" };
  return labs.map((lab) => {
    const value = Number(lab.value);
    const numeric = lab.value.trim() !== "" && Number.isFinite(value);
    return {
      key: lab.series,
      code: lab.code,
      name: lab.name,
      kind: lab.kind,
      unit: lab.unit,
      range: null,
      panel: null,
      points: [
        point(lab.id, lab.effective ?? "", numeric ? value : lab.value, flags[lab.interpretation ?? ""] ?? null, null, lab.source),
      ],
    };
  });
}

const HBA1C = range(4, 6);
const GLUCOSE = range(3.9, 6.1);
const CREATININE = range(45, 84);
const EGFR = range(90, null);
const POTASSIUM = range(3.5, 5.3);
const SYSTOLIC = range(90, 139);
const DIASTOLIC = range(60, 89);
const HEART_RATE = range(60, 100);

/**
 * 王秀英's results across three hospitals over five years: diabetes and
 * kidney trends, a creatinine recorded in mg/dL (converted), a text-only
 * urine test, and blood pressure as a panel of two series drawn together.
 */
const WANG_RESULTS: ResultSeries[] = [
  {
    key: "4548-4|%", code: "4548-4", name: "糖化血红蛋白 (HbA1c)", kind: "lab", unit: "%", range: HBA1C, panel: null,
    points: [
      point("obs-a1c-2019", "2019-03-11", 7.2, "high", HBA1C, PUMCH, { encounter: "enc-5" }),
      point("obs-a1c-2020", "2020-03-02", 5.9, "normal", HBA1C, PUMCH),
      point("obs-a1c-2021", "2021-10-27", 8.4, "high", HBA1C, PKUFH, { encounter: "enc-4" }),
      point("obs-a1c-2023", "2023-11-03", 8, "high", HBA1C, PKUFH, { encounter: "enc-2" }),
      point("obs-1", "2024-05-20", 7.8, "high", HBA1C, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "33914-3|mL/min/{1.73_m2}", code: "33914-3", name: "估算肾小球滤过率 (eGFR)", kind: "lab", unit: "mL/min/1.73m²", range: EGFR, panel: null,
    points: [
      point("obs-egfr-2021", "2021-10-27", 58, "low", EGFR, PKUFH, { encounter: "enc-4" }),
      point("obs-egfr-2023", "2023-11-03", 54, "low", EGFR, PKUFH, { encounter: "enc-2" }),
      point("obs-4", "2024-05-20", 52, "low", EGFR, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "1558-6|mmol/L", code: "1558-6", name: "空腹血糖", kind: "lab", unit: "mmol/L", range: GLUCOSE, panel: null,
    points: [
      point("obs-glu-2023", "2023-11-03", 7.4, "high", GLUCOSE, PKUFH, { encounter: "enc-2" }),
      point("obs-2", "2024-05-20", 8.1, "high", GLUCOSE, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "20454-5|", code: "20454-5", name: "尿蛋白定性", kind: "lab", unit: null, range: { low: null, high: null, text: "阴性" }, panel: null,
    points: [
      point("obs-up-1", "2021-10-27", "±", "abnormal", { low: null, high: null, text: "阴性" }, PKUFH),
      point("obs-up-2", "2023-11-03", "+", "abnormal", { low: null, high: null, text: "阴性" }, PKUFH),
    ],
  },
  {
    key: "2160-0|umol/L", code: "2160-0", name: "血肌酐", kind: "lab", unit: "μmol/L", range: CREATININE, panel: null,
    points: [
      point("obs-cr-2021", "2021-10-27", 118, "high", CREATININE, PKUFH, { encounter: "enc-4" }),
      // Recorded in mg/dL by that hospital; the core converted it to the series' unit.
      point("obs-cr-2023", "2023-11-03", 1.49 * 88.42, "high", CREATININE, PKUFH, { text: "131.7", recorded: "1.49 mg/dL", encounter: "enc-2" }),
      point("obs-3", "2024-05-20", 132, "high", CREATININE, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "2823-3|mmol/L", code: "2823-3", name: "血钾", kind: "lab", unit: "mmol/L", range: POTASSIUM, panel: null,
    points: [
      point("obs-k-2021", "2021-10-27", 4.8, "normal", POTASSIUM, PKUFH),
      point("obs-5", "2023-11-03", 4.3, "normal", POTASSIUM, PKUFH, { encounter: "enc-2" }),
    ],
  },
  {
    key: "8480-6|mm[Hg]", code: "8480-6", name: "收缩压", kind: "vital", unit: "mmHg", range: SYSTOLIC, panel: "85354-9",
    points: [
      point("obs-bp-1", "2019-03-11", 136, "normal", SYSTOLIC, PUMCH),
      point("obs-bp-2", "2021-10-27", 146, "high", SYSTOLIC, PKUFH),
      point("obs-bp-3", "2023-11-02T10:00:00+08:00", 152, "high", SYSTOLIC, PKUFH),
      point("obs-bp-4", "2024-01-15T22:20:00+08:00", 182, "criticalHigh", SYSTOLIC, CHAOYANG, { encounter: "enc-3" }),
      point("obs-bp-5", "2024-05-20", 148, "high", SYSTOLIC, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "8462-4|mm[Hg]", code: "8462-4", name: "舒张压", kind: "vital", unit: "mmHg", range: DIASTOLIC, panel: "85354-9",
    points: [
      point("obs-bp-1", "2019-03-11", 84, "normal", DIASTOLIC, PUMCH),
      point("obs-bp-2", "2021-10-27", 92, "high", DIASTOLIC, PKUFH),
      point("obs-bp-3", "2023-11-02T10:00:00+08:00", 94, "high", DIASTOLIC, PKUFH),
      point("obs-bp-4", "2024-01-15T22:20:00+08:00", 104, "high", DIASTOLIC, CHAOYANG, { encounter: "enc-3" }),
      point("obs-bp-5", "2024-05-20", 88, "normal", DIASTOLIC, PUMCH, { encounter: "enc-1" }),
    ],
  },
  {
    key: "8867-4|/min", code: "8867-4", name: "心率", kind: "vital", unit: "/min", range: HEART_RATE, panel: null,
    points: [
      point("obs-hr-1", "2024-01-15T22:20:00+08:00", 104, "high", HEART_RATE, CHAOYANG, { encounter: "enc-3" }),
      point("obs-hr-2", "2024-05-20", 76, "normal", HEART_RATE, PUMCH, { encounter: "enc-1" }),
    ],
  },
];

/** 王秀英's encounters, deliberately not newest first: the UI orders them. */
const WANG_ENCOUNTERS: EncounterView[] = [
  encounter(
    { id: "enc-2", class: "住院", classCode: "IMP", kind: "肾内科", start: "2023-11-02T09:30:00+08:00", end: "2023-11-09T11:00:00+08:00", hospital: PKUFH, reason: "肾功能下降评估" },
    [
      item("diagnosis", "cond-3", "慢性肾脏病3期", { date: "2021-10-27" }),
      item("procedure", "proc-1", "肾脏超声检查", { date: "2023-11-03" }),
      item("result", "obs-cr-2023", "血肌酐", { detail: "1.49 mg/dL", date: "2023-11-03", flag: "high" }),
      item("result", "obs-5", "血钾", { detail: "4.3 mmol/L", date: "2023-11-03", flag: "normal" }),
      item("medication", "med-3", "阿托伐他汀钙片 20mg", { detail: "每晚一次，每次1片", date: "2023-11-09" }),
      item("document", "doc-2", "出院小结", { date: "2023-11-09" }),
    ],
  ),
  encounter(
    { id: "enc-1", class: "门诊", classCode: "AMB", kind: "内分泌科复诊", start: "2024-05-20T08:40:00+08:00", end: "2024-05-20T09:05:00+08:00", hospital: PUMCH, reason: "糖尿病随访" },
    [
      item("diagnosis", "cond-1", "2型糖尿病", { date: "2012-06-18" }),
      item("result", "obs-1", "糖化血红蛋白 (HbA1c)", { detail: "7.8 %", date: "2024-05-20", flag: "high" }),
      item("result", "obs-bp-5", "血压", { detail: "148/88 mmHg", date: "2024-05-20", flag: "high" }),
      item("medication", "med-1", "盐酸二甲双胍缓释片 0.5g", { detail: "每日两次，每次1片，随餐服用", date: "2024-05-20" }),
      item("medication", "med-2", "苯磺酸氨氯地平片 5mg", { detail: "每日一次，每次1片", date: "2024-05-20" }),
      item("document", "doc-1", "内分泌科门诊病历", { date: "2024-05-20" }),
    ],
  ),
  encounter(
    { id: "enc-3", class: "急诊", classCode: "EMER", kind: "急诊内科", start: "2024-01-15T22:10:00+08:00", end: "2024-01-16T02:30:00+08:00", hospital: CHAOYANG, reason: "头晕、血压升高" },
    [
      item("result", "obs-bp-4", "血压", { detail: "182/104 mmHg", date: "2024-01-15", flag: "criticalHigh" }),
      item("medication", "med-2b", "苯磺酸氨氯地平片 5mg", { detail: "每日一次，每次2片", date: "2024-01-15" }),
      item("document", "doc-3", "急诊病历", { date: "2024-01-16" }),
    ],
  ),
  encounter(
    { id: "enc-4", class: "门诊", classCode: "AMB", kind: "肾内科门诊", start: "2021-10-27T09:00:00+08:00", end: null, hospital: PKUFH, reason: "血肌酐升高" },
    [
      item("diagnosis", "cond-3", "慢性肾脏病3期", { date: "2021-10-27" }),
      item("result", "obs-cr-2021", "血肌酐", { detail: "118 μmol/L", date: "2021-10-27", flag: "high" }),
    ],
  ),
  encounter(
    { id: "enc-5", class: "门诊", classCode: "AMB", kind: "内分泌科复诊", start: "2019-03-11T10:15:00+08:00", end: null, hospital: PUMCH, reason: "糖尿病随访" },
    [item("result", "obs-a1c-2019", "糖化血红蛋白 (HbA1c)", { detail: "7.2 %", date: "2019-03-11", flag: "high" })],
  ),
  encounter({ id: "enc-6", class: "住院", classCode: "IMP", kind: "内分泌科", start: "2012-06-18T14:00:00+08:00", end: "2012-06-25T10:00:00+08:00", hospital: PUMCH, reason: "新诊断2型糖尿病" }),
];

/** 王秀英's documents, newest first: readable blocks, one partly and one wholly withheld. */
const WANG_DOCUMENTS: DocumentView[] = [
  {
    id: "doc-1", title: "内分泌科门诊病历", kind: "门诊病历", date: "2024-05-20", source: PUMCH, author: "周敏", encounter: "enc-1", format: "cda", withheld: false,
    blocks: [
      { kind: "heading", text: "主诉" },
      { kind: "paragraph", text: "糖尿病随访，口干、多饮较前减轻。" },
      { kind: "heading", text: "诊断" },
      { kind: "item", text: "2型糖尿病" },
      { kind: "item", text: "原发性高血压" },
      { kind: "heading", text: "检验结果" },
      { kind: "row", cells: ["项目", "结果", "参考范围"] },
      { kind: "row", cells: ["糖化血红蛋白", "7.8%", "4.0–6.0%"] },
      { kind: "row", cells: ["空腹血糖", "8.1 mmol/L", "3.9–6.1 mmol/L"] },
      { kind: "heading", text: "处理" },
      { kind: "paragraph", text: "继续二甲双胍缓释片；加强饮食控制，3个月后复查糖化血红蛋白。" },
    ],
  },
  {
    id: "doc-3", title: "急诊病历", kind: "急诊病历", date: "2024-01-16", source: CHAOYANG, author: "王磊", encounter: "enc-3", format: "html", withheld: true,
    blocks: [
      { kind: "heading", text: "现病史" },
      { kind: "paragraph", text: "头晕2小时，自测血压182/104 mmHg。" },
    ],
  },
  {
    id: "doc-5", title: "心电图报告", kind: "检查报告", date: "2024-01-15", source: CHAOYANG, author: null, encounter: "enc-3", format: "text", withheld: true,
    blocks: [],
  },
  {
    id: "doc-2", title: "出院小结", kind: "出院小结", date: "2023-11-09", source: PKUFH, author: "陈静", encounter: "enc-2", format: "narrative", withheld: false,
    blocks: [
      { kind: "heading", text: "入院情况" },
      { kind: "paragraph", text: "因肾功能下降入院评估。" },
      { kind: "heading", text: "出院医嘱" },
      { kind: "item", text: "低盐低蛋白饮食" },
      { kind: "item", text: "阿托伐他汀钙片 20mg 每晚一次" },
    ],
  },
];

export const sampleCharts: ChartContent[] = [
  {
    patient: {
      id: "pat-cn-0001",
      name: "王秀英",
      gender: "female",
      birthDate: "1958-04-12",
      identifiers: [
        { kind: "residentId", system: "urn:oid:2.16.156.10011.1.3", value: "110105195804120020" },
        { kind: "mrn", system: PUMCH, value: "BJXH-00482913" },
        { kind: "insurance", system: "北京市医疗保障局", value: "11010519580412002" },
      ],
      phone: "13901234567",
      address: "北京市朝阳区建国路88号3单元502室",
    },
    problems: [
      { id: "cond-1", text: "2型糖尿病", code: "E11.9", clinicalStatus: "active", onset: "2012-06-18", source: PUMCH },
      { id: "cond-2", text: "原发性高血压", code: "I10", clinicalStatus: "active", onset: "2009-03-02", source: PUMCH },
      { id: "cond-3", text: "慢性肾脏病3期", code: "N18.3", clinicalStatus: "active", onset: "2021-10-27", source: PKUFH },
    ],
    medications: [
      // One row for two hospitals' records of the same medicine, dose and day.
      med("med-1", "盐酸二甲双胍缓释片 0.5g", "2024-05-20", "每日两次，每次1片，随餐服用", [
        [PUMCH, "MedicationRequest"],
        [PKUFH, "MedicationStatement", "med-1b"],
      ]),
      // The same medicine at another dose, from the emergency visit: never merged, kept together.
      med("med-2", "苯磺酸氨氯地平片 5mg", "2024-05-20", "每日一次，每次1片", [[PUMCH, "MedicationRequest"]], 1),
      med("med-2b", "苯磺酸氨氯地平片 5mg", "2024-01-15", "每日一次，每次2片", [[CHAOYANG, "MedicationRequest"]], 1),
      med("med-3", "阿托伐他汀钙片 20mg", "2023-11-09", "每晚一次，每次1片", [[PKUFH, "MedicationRequest"]]),
    ],
    allergies: [
      { id: "alg-1", substance: "青霉素", criticality: "high", reactions: ["全身皮疹", "呼吸困难"], source: PUMCH },
      { id: "alg-2", substance: "磺胺类药物", criticality: "low", reactions: ["荨麻疹"], source: CHAOYANG },
    ],
    labs: [
      { id: "obs-1", code: "4548-4", name: "糖化血红蛋白 (HbA1c)", value: "7.8", unit: "%", effective: "2024-05-20", interpretation: "H", source: PUMCH, kind: "lab", series: "4548-4|%", flag: "high" },
      { id: "obs-2", code: "1558-6", name: "空腹血糖", value: "8.1", unit: "mmol/L", effective: "2024-05-20", interpretation: "H", source: PUMCH, kind: "lab", series: "1558-6|mmol/L", flag: "high" },
      { id: "obs-3", code: "2160-0", name: "血肌酐", value: "132", unit: "μmol/L", effective: "2024-05-20", interpretation: "H", source: PUMCH, kind: "lab", series: "2160-0|umol/L", flag: "high" },
      { id: "obs-4", code: "33914-3", name: "估算肾小球滤过率 (eGFR)", value: "52", unit: "mL/min/1.73m²", effective: "2024-05-20", interpretation: "L", source: PUMCH, kind: "lab", series: "33914-3|mL/min/{1.73_m2}", flag: "low" },
      { id: "obs-bp-5", code: "85354-9", name: "血压", value: "148/88", unit: "mmHg", effective: "2024-05-20", interpretation: "H", source: PUMCH, kind: "vital", series: "8480-6|mm[Hg]", flag: "high" },
      { id: "obs-hr-2", code: "8867-4", name: "心率", value: "76", unit: "/min", effective: "2024-05-20", interpretation: "N", source: PUMCH, kind: "vital", series: "8867-4|/min", flag: "normal" },
      { id: "obs-5", code: "2823-3", name: "血钾", value: "4.3", unit: "mmol/L", effective: "2023-11-03", interpretation: "N", source: PKUFH, kind: "lab", series: "2823-3|mmol/L", flag: "normal" },
      { id: "obs-up-2", code: "20454-5", name: "尿蛋白定性", value: "+", unit: null, effective: "2023-11-03", interpretation: "A", source: PKUFH, kind: "lab", series: "20454-5|", flag: "abnormal" },
    ],
    results: WANG_RESULTS,
    encounters: WANG_ENCOUNTERS,
    documents: WANG_DOCUMENTS,
    resourceCount: 47,
    sealed: 2,
    access: { ...TREATING, canBreakGlass: true },
  },
  {
    patient: {
      id: "pat-cn-0002",
      name: "王建国",
      gender: "male",
      birthDate: "1961-09-30",
      identifiers: [{ kind: "mrn", system: CHAOYANG, value: "CY-2019-557120" }],
      phone: null,
      address: null,
    },
    problems: [],
    medications: [],
    allergies: [],
    labs: [],
    encounters: [],
    results: [],
    documents: [],
    resourceCount: 1,
    sealed: 0,
    access: TREATING,
  },
  {
    patient: {
      id: "pat-en-0001",
      name: "Margaret Thompson",
      gender: "female",
      birthDate: "1949-11-03",
      identifiers: [
        { kind: "passport", system: "GBR", value: "533401872" },
        { kind: "mrn", system: UFH, value: "UFH-7731024" },
      ],
      phone: "+86 10 5927 7000",
      address: "北京市朝阳区将台路2号",
    },
    problems: [
      { id: "cond-11", text: "Atrial fibrillation", code: "I48.91", clinicalStatus: "active", onset: "2019-02-14", source: UFH },
      { id: "cond-12", text: "Primary osteoarthritis of both knees", code: "M17.0", clinicalStatus: "active", onset: "2015", source: UFH },
    ],
    medications: [
      { id: "med-11", text: "Apixaban 5 mg tablet", status: "active", authored: "2024-03-12", dosage: "1 tablet twice daily", sources: [{ id: "med-11", hospital: UFH, authored: "2024-03-12", record: "MedicationRequest" }], alsoListed: 0 },
      { id: "med-12", text: "Paracetamol 500 mg tablet", status: "active", authored: "2022-08-30", dosage: "1–2 tablets every 6 hours as needed, max 8 per day", sources: [{ id: "med-12", hospital: PUMCH, authored: "2022-08-30", record: "MedicationRequest" }], alsoListed: 0 },
    ],
    allergies: [
      { id: "alg-11", substance: "Codeine", criticality: "low", reactions: ["Nausea", "Vomiting"], source: UFH },
    ],
    labs: [
      { id: "obs-11", code: "718-7", name: "Hemoglobin", value: "118", unit: "g/L", effective: "2024-03-12", interpretation: "L", source: UFH, kind: "lab", series: "718-7|g/L", flag: "low" },
      { id: "obs-12", code: "2160-0", name: "Creatinine", value: "88", unit: "μmol/L", effective: "2024-03-12", interpretation: "N", source: UFH, kind: "lab", series: "2160-0|μmol/L", flag: "normal" },
      { id: "obs-13", code: "3016-3", name: "TSH", value: "2.1", unit: "mIU/L", effective: "2023-09-05", interpretation: null, source: null, kind: "lab", series: "3016-3|mIU/L", flag: null },
    ],
    encounters: [
      encounter(
        { id: "enc-11", class: "outpatient", classCode: "AMB", kind: "Cardiology follow-up", start: "2024-03-12T10:00:00+08:00", end: null, hospital: UFH, reason: "Anticoagulation review" },
        [
          item("result", "obs-11", "Hemoglobin", { detail: "118 g/L", date: "2024-03-12", flag: "low" }),
          item("medication", "med-11", "Apixaban 5 mg tablet", { detail: "1 tablet twice daily", date: "2024-03-12" }),
          item("document", "doc-11", "Cardiology clinic letter", { date: "2024-03-12" }),
        ],
      ),
      { id: "enc-12", class: "emergency", classCode: "EMER", kind: "Emergency department", start: "2022-08-30T19:45:00+08:00", end: "2022-08-30T23:10:00+08:00", hospital: PUMCH, reason: "Fall at home, right wrist pain", items: [] },
    ],
    results: [],
    documents: [
      {
        id: "doc-11", title: "Cardiology clinic letter", kind: "Clinic letter", date: "2024-03-12", source: UFH, author: "Dr. James Miller", encounter: "enc-11", format: "text", withheld: false,
        blocks: [
          { kind: "heading", text: "Assessment" },
          { kind: "paragraph", text: "Permanent atrial fibrillation, rate controlled. No bleeding on apixaban." },
          { kind: "heading", text: "Plan" },
          { kind: "item", text: "Continue apixaban 5 mg twice daily" },
          { kind: "item", text: "Renal function in six months" },
        ],
      },
    ],
    resourceCount: 23,
    sealed: 0,
    access: TREATING,
  },
  {
    // Referred to cardiology: the head sees him in full.
    patient: {
      id: "pat-cn-0003",
      name: "张伟",
      gender: "male",
      birthDate: "1972-03-15",
      identifiers: [
        { kind: "residentId", system: "urn:oid:2.16.156.10011.1.3", value: "110108197203150038" },
        { kind: "mrn", system: PKUFH, value: "BDYY-20261126-0917" },
      ],
      phone: "13611087342",
      address: "北京市海淀区中关村南大街27号",
    },
    problems: [
      { id: "cond-21", text: "冠状动脉粥样硬化性心脏病", code: "I25.1", clinicalStatus: "active", onset: "2026-11-26", source: PKUFH },
      { id: "cond-22", text: "高脂血症", code: "E78.5", clinicalStatus: "active", onset: "2018-09-03", source: CHAOYANG },
    ],
    medications: [
      { id: "med-21", text: "阿司匹林肠溶片 100mg", status: "active", authored: "2026-11-26", dosage: "每日一次，每次1片", sources: [{ id: "med-21", hospital: PKUFH, authored: "2026-11-26", record: "MedicationRequest" }], alsoListed: 0 },
      { id: "med-22", text: "瑞舒伐他汀钙片 10mg", status: "active", authored: "2026-11-26", dosage: "每晚一次，每次1片", sources: [{ id: "med-22", hospital: PKUFH, authored: "2026-11-26", record: "MedicationRequest" }], alsoListed: 0 },
    ],
    allergies: [
      { id: "alg-21", substance: "头孢类抗生素", criticality: "low", reactions: ["皮肤瘙痒"], source: CHAOYANG },
    ],
    labs: [
      { id: "obs-21", code: "10839-9", name: "肌钙蛋白I (cTnI)", value: "0.02", unit: "ng/mL", effective: "2026-11-26", interpretation: "N", source: PKUFH, kind: "lab", series: "10839-9|ng/mL", flag: "normal" },
      { id: "obs-22", code: "13457-7", name: "低密度脂蛋白胆固醇 (LDL-C)", value: "3.9", unit: "mmol/L", effective: "2026-11-26", interpretation: "H", source: PKUFH, kind: "lab", series: "13457-7|mmol/L", flag: "high" },
    ],
    encounters: [
      { id: "enc-21", class: "急诊", classCode: "EMER", kind: "胸痛中心", start: "2026-11-26T21:40:00+08:00", end: "2026-11-27T03:15:00+08:00", hospital: PKUFH, reason: "急性胸痛", items: [] },
    ],
    results: [],
    documents: [],
    resourceCount: 18,
    sealed: 0,
    access: TREATING,
  },
  {
    // Her referral was declined: the head sees her as any other doctor, masked.
    patient: {
      id: "pat-cn-0004",
      name: "欧阳**",
      gender: "female",
      birthDate: "1985",
      identifiers: [{ kind: "residentId", system: "urn:oid:2.16.156.10011.1.3", value: "110102********2843" }],
      phone: "139****8821",
      address: "北京市西城区",
    },
    problems: [
      { id: "cond-31", text: "甲状腺功能亢进症", code: "E05.9", clinicalStatus: "active", onset: "2026-10", source: CHAOYANG },
    ],
    medications: [
      { id: "med-31", text: "甲巯咪唑片 10mg", status: "active", authored: "2026-10", dosage: "每日一次，每次1片", sources: [{ id: "med-31", hospital: CHAOYANG, authored: "2026-10", record: "MedicationRequest" }], alsoListed: 0 },
    ],
    allergies: [],
    labs: [
      { id: "obs-31", code: "3024-7", name: "游离甲状腺素 (FT4)", value: "38.6", unit: "pmol/L", effective: "2026-11", interpretation: "H", source: CHAOYANG, kind: "lab", series: "3024-7|pmol/L", flag: "high" },
    ],
    encounters: [],
    results: [],
    documents: [],
    resourceCount: 9,
    sealed: 1,
    access: { tier: "clinician", grounds: "role", masked: true, canBreakGlass: true, breakGlassUntil: null },
  },
];

// The other sample patients have one result per analyte: their series are
// made from their latest results, as the core would have built them.
for (const chart of sampleCharts) {
  if (chart.results.length === 0) chart.results = seriesOfLabs(chart.labs);
}

/** The default policy's reasons to break the glass. */
export const BREAK_GLASS_REASONS: BreakGlassReasonView[] = [
  { code: "emergency", en: "Emergency treatment", zh: "急诊抢救" },
  { code: "consult", en: "Consultation requested for this patient", zh: "会诊需要" },
  { code: "continuity", en: "Continuity of care", zh: "连续诊疗需要" },
];

/** How long the fake's break-the-glass lasts (the default policy's 30 min). */
export const GLASS_MINUTES = 30;

/**
 * What the sample patients' charts show with the glass broken: the sealed
 * records (here two problems) join the chart. A patient not listed just
 * loses the sealed count.
 */
export const sampleUnsealedCharts: ChartContent[] = [
  {
    ...sampleCharts[0]!,
    problems: [
      ...sampleCharts[0]!.problems,
      { id: "cond-sealed-1", text: "人类免疫缺陷病毒[HIV]病", code: "B24", clinicalStatus: "active", onset: "2016-08-01", source: CHAOYANG },
      { id: "cond-sealed-2", text: "抑郁发作", code: "F32.9", clinicalStatus: "active", onset: "2020-02-11", source: PKUFH },
    ],
    sealed: 0,
  },
];

/**
 * The watermark the fake's core computes while the sample doctor is signed
 * in: who, then where, when and which session.
 */
export const SAMPLE_WATERMARK: WatermarkView = {
  lines: ["张伟 A10238", "WS-CARD-07 · 2026-11-28 09:30 · S-7F3K2Q"],
  fontSize: 16,
  opacity: 0.14,
  color: "#5a6270",
  angleDeg: 30,
  spacing: 180,
  breakGlass: false,
  refreshInSecs: 60,
};

/** Before login the core knows no doctor: only the workstation and the time. */
export const SIGNED_OUT_WATERMARK_LINES: readonly string[] = ["WS-CARD-07 · 2026-11-28 09:30"];

/** The policy's break-the-glass colour for the watermark: a purple no other state uses. */
export const GLASS_WATERMARK_COLOR = "#7b2cbf";

/** How many pages the fake's exports have, by scope. */
export const EXPORT_PAGES: Readonly<Record<ExportScope, number>> = {
  chart: 3,
  summary: 2,
  allergies: 1,
  problems: 1,
  medications: 1,
  labs: 1,
  encounters: 1,
  trend: 1,
};

export function summaryOf(chart: ChartContent): PatientSummary {
  const { id, name, gender, birthDate, identifiers } = chart.patient;
  return { id, name, gender, birthDate, identifiers };
}

function chartOf(patientId: string): ChartContent {
  const chart = sampleCharts.find(({ patient }) => patient.id === patientId);
  if (!chart) throw new Error(`no sample chart ${patientId}`);
  return chart;
}

/** The referrals to cardiology, newest first as the core sends them. */
export const SAMPLE_REFERRALS: ReferralView[] = [
  {
    id: "ref-20261128-01",
    patient: summaryOf(chartOf("pat-cn-0003")),
    status: "active",
    decision: "pending",
    priority: "urgent",
    authoredOn: "2026-11-28T08:15:00+08:00",
    reason: "急性胸痛3小时，冠脉CTA示前降支近段重度狭窄，请心内科会诊",
    requester: `${PKUFH} 急诊科 · 刘洋`,
    decisionNote: null,
  },
  {
    id: "ref-20261127-02",
    patient: summaryOf(chartOf("pat-en-0001")),
    status: "active",
    decision: "pending",
    priority: "routine",
    authoredOn: "2026-11-27T14:30:00+08:00",
    reason: "Atrial fibrillation with rapid ventricular response; anticoagulation review",
    requester: `${UFH} · Dr. James Miller`,
    decisionNote: null,
  },
  {
    id: "ref-20261125-03",
    patient: summaryOf(chartOf("pat-cn-0001")),
    status: "active",
    decision: "accepted",
    priority: "routine",
    authoredOn: "2026-11-25T10:05:00+08:00",
    reason: "血压控制不佳，评估继发性高血压",
    requester: `${PUMCH} 内分泌科 · 周敏`,
    decisionNote: "已安排12月2日上午专家门诊",
  },
  {
    id: "ref-20261120-04",
    patient: summaryOf(chartOf("pat-cn-0004")),
    status: "revoked",
    decision: "declined",
    priority: "routine",
    authoredOn: "2026-11-20T16:45:00+08:00",
    reason: "心悸待查",
    requester: `${CHAOYANG} · 王磊`,
    decisionNote: "甲亢相关心悸，建议转内分泌科诊治",
  },
];

/** An entry of a sample access log: what most entries share. */
function entry(fields: Partial<AccessEntry> & Pick<AccessEntry, "id" | "time" | "action" | "who">): AccessEntry {
  return {
    staffNo: null,
    department: null,
    workstation: null,
    purpose: "TREAT",
    reason: null,
    note: null,
    detail: null,
    success: true,
    breakGlass: false,
    source: "platform",
    ...fields,
  };
}

/** The export that the sample access log shows. */
export const SAMPLE_EXPORT_ID = "E-7KQ2M9XD";
/** The note of the sample break-the-glass. */
export const SAMPLE_GLASS_NOTE = "患者意识不清，需核对既往抗病毒用药以免药物相互作用";

/** Who viewed 王秀英 (the cached sample patient), newest first. */
export const SAMPLE_ACCESS_LOG: AccessLog = {
  entries: [
    entry({
      id: "ae-106", time: "2026-11-28T01:42:10Z", action: "patientOpen", who: "李华", staffNo: "H2001",
      department: "心内科", workstation: "WS-CARD-07", source: "local",
    }),
    entry({
      id: "ae-105", time: "2026-11-27T15:50:02Z", action: "breakGlassEnd", who: "孙丽", staffNo: "D2045",
      department: "急诊科", workstation: "WS-ED-02", purpose: "ETREAT", breakGlass: true,
    }),
    entry({
      id: "ae-104", time: "2026-11-27T15:21:30Z", action: "sectionView", who: "孙丽", staffNo: "D2045",
      department: "急诊科", workstation: "WS-ED-02", purpose: "ETREAT", detail: "problems", breakGlass: true,
    }),
    entry({
      id: "ae-103", time: "2026-11-27T15:20:03Z", action: "breakGlassStart", who: "孙丽", staffNo: "D2045",
      department: "急诊科", workstation: "WS-ED-02", purpose: "ETREAT", reason: "emergency", note: SAMPLE_GLASS_NOTE,
      breakGlass: true,
    }),
    entry({
      id: "ae-102", time: "2026-11-26T06:05:44Z", action: "export", who: "张伟", staffNo: "A10238",
      department: "心内科", workstation: "WS-CARD-07", detail: SAMPLE_EXPORT_ID, source: "both",
    }),
    entry({
      id: "ae-101", time: "2026-11-25T02:10:00Z", action: "patientOpen", who: "陈明", staffNo: "D3310",
      department: "骨科", workstation: "WS-ORTH-11", success: false,
    }),
  ],
  platformProblem: null,
};

/** Who viewed 张伟 (referred to cardiology). */
export const SAMPLE_ACCESS_LOG_ZHANG: AccessLog = {
  entries: [
    entry({
      id: "ae-202", time: "2026-11-28T00:20:31Z", action: "patientOpen", who: "李华", staffNo: "H2001",
      department: "心内科", workstation: "WS-CARD-07", source: "both",
    }),
    entry({
      id: "ae-201", time: "2026-11-26T13:45:12Z", action: "patientOpen", who: "刘洋", staffNo: "E0412",
      department: "急诊科", workstation: null,
    }),
  ],
  platformProblem: null,
};

const SAMPLE_ACTION_COUNTS: ActionCount[] = [
  { action: "patientOpen", count: 812 },
  { action: "sectionView", count: 514 },
  { action: "patientSearch", count: 301 },
  { action: "login", count: 96 },
  { action: "logout", count: 88 },
  { action: "export", count: 12 },
  { action: "exportDone", count: 12 },
  { action: "print", count: 5 },
  { action: "loginFailed", count: 4 },
  { action: "accessDenied", count: 3 },
  { action: "breakGlassStart", count: 2 },
  { action: "breakGlassEnd", count: 2 },
  { action: "referralDecision", count: 6 },
  { action: "accessLogView", count: 3 },
  { action: "watermarkTamper", count: 1 },
];

/** The trail of the sample workstation: intact, a few events waiting for the platform. */
export const SAMPLE_AUDIT_STATUS: AuditStatus = {
  events: SAMPLE_ACTION_COUNTS.reduce((sum, { count }) => sum + count, 0),
  oldest: "2026-05-04T00:12:09Z",
  newest: "2026-11-28T01:42:10Z",
  byAction: SAMPLE_ACTION_COUNTS,
  outbox: {
    enabled: true,
    pending: 3,
    failing: 1,
    oldestPending: "2026-11-28T01:40:02Z",
    lastSent: "2026-11-28T01:38:55Z",
    lastError: "the platform answered 503 Service Unavailable",
  },
  verify: { ok: true, checked: 1861, firstBroken: null, problem: null },
  retentionDays: 180,
};

/** A verification that found the chain broken (a record edited or deleted). */
export const BROKEN_VERIFY: VerifyReport = {
  ok: false,
  checked: 1861,
  firstBroken: 1204,
  problem: "the record's hash does not match the link in the next record (edited or deleted)",
};

export interface FakeBackendOptions {
  loginFlows?: LoginFlow[];
  /** `AppInfo.locale`: the start locale the core chose (IT config, else the system's). */
  locale?: string;
  /** Start already signed in (as if a session survived a reload). */
  loggedIn?: boolean;
  /** `AppInfo.idleLockMinutes` (default 10). */
  idleLockMinutes?: number;
  charts?: ChartContent[];
  /** The charts as they are with the glass broken (default `sampleUnsealedCharts`). */
  unsealedCharts?: ChartContent[];
  /** Artificial latency for every call, to see loading states in dev. */
  delayMs?: number;
  /** Extra latency for single methods (e.g. a slow `refreshPatient`). */
  delays?: Partial<Record<keyof Backend, number>>;
  /** How long a browser login takes; `Infinity` waits until cancelled. */
  browserLoginMs?: number;
  /** Make the named method reject with this code (e.g. to test error screens). */
  failures?: Partial<Record<keyof Backend, { code: ErrorCode; message: string }>>;
  /**
   * The local cache at start: patient id → when it was cached (RFC 3339).
   * Default: the Chinese sample patient, cached some hours before `now()`.
   */
  cached?: Record<string, string>;
  /**
   * What the cache holds for these patients when it differs from the
   * platform's current chart (an older copy); replaced by the next fetch.
   */
  staleCharts?: ChartContent[];
  /** The regional platform cannot be reached: search falls back to the cache, refresh fails. */
  platformUnreachable?: boolean;
  /** The session's `cacheProblem` (the cache then stays unused, as in the core). */
  cacheProblem?: ErrorPayload | null;
  /** The clock, for deterministic `asOf` times. */
  now?: () => Date;
  /** The signed-in watermark (default `SAMPLE_WATERMARK`); `breakGlass` and `color` follow the glass. */
  watermark?: WatermarkView;
  /** The doctor cancels the "Save as" dialog of every PDF export. */
  exportCancelled?: boolean;
  /** Who `loggedIn` and the browser login sign in as (default the sample doctor). */
  account?: SampleAccount;
  /** The referrals to the head's department (default `SAMPLE_REFERRALS`). */
  referrals?: ReferralView[];
  /** Whether the platform takes decisions on them (default true). */
  canDecide?: boolean;
  /** "Who viewed" by patient id (default: the samples of 王秀英 and 张伟; others have none). */
  accessLogs?: Record<string, AccessLog>;
  /** The audit trail's status (default `SAMPLE_AUDIT_STATUS`). */
  auditStatus?: AuditStatus;
}

export interface FakeCall {
  method: keyof Backend;
  args: unknown[];
}

interface Hold {
  method: keyof Backend;
  patientId: string | undefined;
  gate: Promise<void>;
}

const UNREACHABLE: ErrorPayload = {
  code: "PlatformUnreachable",
  message: "The regional platform cannot be reached: the connection failed.",
};

/** An RFC 3339 UTC instant to the second, as the core writes it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class FakeBackend implements Backend {
  readonly calls: FakeCall[] = [];
  /** Mutable, so a test can bring the platform back before a retry. */
  platformUnreachable: boolean;
  /** What `fetchProgress` answers; mutable, so a test can move it on. */
  progress: FetchProgressView = { received: 0, total: null };
  /** The signed-in watermark; mutable, so a test can change what the next refresh draws. */
  watermarkSpec: WatermarkView;
  /** Mutable: whether the doctor cancels the next "Save as" dialogs. */
  exportCancelled: boolean;
  /** Every tamper report, in order (also in `calls`). */
  readonly tamperReports: WatermarkTamper[] = [];
  /** Every export and print request, in order (also in `calls`). */
  readonly exports: { kind: "pdf" | "print"; request: ExportRequest }[] = [];
  /** Method → the failure it rejects with; mutable, so a test can make a later call fail (or not). */
  readonly failures: Partial<Record<keyof Backend, { code: ErrorCode; message: string }>>;
  /** What the next `auditStatus` answers; mutable, so a test can break the chain between checks. */
  auditStatusSpec: AuditStatus;
  private referrals: ReferralView[];
  private readonly canDecide: boolean;
  private readonly accessLogs: Record<string, AccessLog>;
  private exportSerial = 0;
  private session: SessionInfo | null;
  private cacheProblem: ErrorPayload | null;
  private readonly charts: ChartContent[];
  /** patient id → `asOf` of the cached copy. */
  private readonly cache: Map<string, string>;
  /** patient id → the cached copy, where it is older than the platform's. */
  private readonly stale: Map<string, ChartContent>;
  private readonly pinned = new Set<string>();
  private glass: { patientId: string; until: string } | null = null;
  private readonly unsealedCharts: ChartContent[];
  private readonly options: FakeBackendOptions;
  private readonly now: () => Date;
  private holds: Hold[] = [];
  private cancelPending: (() => void) | null = null;

  constructor(options: FakeBackendOptions = {}) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.charts = options.charts ?? sampleCharts;
    this.unsealedCharts = options.unsealedCharts ?? sampleUnsealedCharts;
    this.platformUnreachable = options.platformUnreachable ?? false;
    this.watermarkSpec = structuredClone(options.watermark ?? SAMPLE_WATERMARK);
    this.exportCancelled = options.exportCancelled ?? false;
    this.cacheProblem = options.cacheProblem ?? null;
    const cached = options.cached ?? {
      [CACHED_PATIENT_ID]: rfc3339(new Date(this.now().getTime() - CACHED_AGE_MS)),
    };
    this.cache = new Map(Object.entries(cached));
    this.stale = new Map((options.staleCharts ?? []).map((chart) => [chart.patient.id, chart]));
    this.failures = { ...options.failures };
    this.referrals = structuredClone(options.referrals ?? SAMPLE_REFERRALS);
    this.canDecide = options.canDecide ?? true;
    this.accessLogs = options.accessLogs ?? {
      [CACHED_PATIENT_ID]: SAMPLE_ACCESS_LOG,
      "pat-cn-0003": SAMPLE_ACCESS_LOG_ZHANG,
    };
    this.auditStatusSpec = structuredClone(options.auditStatus ?? SAMPLE_AUDIT_STATUS);
    this.session = options.loggedIn ? this.sessionFor(options.account ?? "doctor") : null;
  }

  /**
   * Holds every call of `method` (only those for `patientId`, if given) until
   * the returned function is called: to deliver a response late, on purpose.
   */
  hold(method: keyof Backend, patientId?: string): () => void {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const entry: Hold = { method, patientId, gate };
    this.holds.push(entry);
    return () => {
      this.holds = this.holds.filter((hold) => hold !== entry);
      release();
    };
  }

  private sessionFor(account: SampleAccount): SessionInfo {
    return { ...structuredClone(SAMPLE_ACCOUNTS[account].session), cacheProblem: this.cacheProblem };
  }

  /** The core uses no cache while it has a problem with it. */
  private get cacheUsable(): boolean {
    return this.cacheProblem === null;
  }

  private async enter(method: keyof Backend, ...args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const delay = (this.options.delayMs ?? 0) + (this.options.delays?.[method] ?? 0);
    if (delay > 0) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    const holds = this.holds.filter(
      (hold) => hold.method === method && (hold.patientId === undefined || hold.patientId === args[0]),
    );
    await Promise.all(holds.map((hold) => hold.gate));
    const failure = this.failures[method];
    if (failure) throw new BackendError(failure.code, failure.message);
  }

  private requireSession(): SessionInfo {
    if (!this.session) throw new BackendError("NotLoggedIn", "You are not signed in.");
    if (this.session.locked) throw new BackendError("Locked", "the screen is locked");
    return this.session;
  }

  /** As the default policy: IT staff see no patient data at all. */
  private requirePatientAccess(): SessionInfo {
    const session = this.requireSession();
    if (session.roles.some((role) => NO_PATIENT_ROLES.includes(role))) {
      throw new BackendError("AccessDenied", "this account may not view patient records");
    }
    return session;
  }

  /** The screens of the desk, re-checked on every request as the core does. */
  private requireDesk(screen: keyof SessionInfo["desk"]): SessionInfo {
    const session = this.requireSession();
    if (!session.desk[screen]) throw new BackendError("AccessDenied", "this account may not use this screen");
    return session;
  }

  private requirePlatform(): void {
    if (this.platformUnreachable) throw new BackendError(UNREACHABLE.code, UNREACHABLE.message);
  }

  private find(patientId: string): ChartContent {
    const chart = this.charts.find(({ patient }) => patient.id === patientId);
    if (!chart) throw new BackendError("NotFound", "The patient record was not found on the platform.");
    return chart;
  }

  /** A chart fetched from the platform now, written to the cache when it is usable. */
  private fetch(patientId: string): Chart {
    this.requirePlatform();
    const chart = this.find(patientId);
    const asOf = rfc3339(this.now());
    if (this.cacheUsable) {
      this.cache.set(patientId, asOf);
      this.stale.delete(patientId);
    }
    return this.unsealed({ ...structuredClone(chart), freshness: { asOf, fromCache: false }, pinned: this.pinState(patientId) });
  }

  private pinState(patientId: string): boolean | null {
    return this.cacheUsable ? this.pinned.has(patientId) : null;
  }

  async appInfo(): Promise<AppInfo> {
    await this.enter("appInfo");
    return {
      version: "0.1.0-fake",
      loginFlows: this.options.loginFlows ?? ["password", "browser"],
      platformUrl: "https://platform.example.invalid/fhir",
      idpIssuer: "https://idp.example.invalid/realms/hospital",
      locale: this.options.locale ?? "en",
      breakGlassReasons: structuredClone(BREAK_GLASS_REASONS),
      breakGlassMinutes: 30,
      idleLockMinutes: this.options.idleLockMinutes ?? 10,
    };
  }

  async sessionInfo(): Promise<SessionInfo | null> {
    await this.enter("sessionInfo");
    return this.session;
  }

  async loginPassword(username: string, password: string): Promise<SessionInfo> {
    // The password is not recorded in `calls`.
    await this.enter("loginPassword", username);
    if (username === LOCKED_USERNAME) {
      throw new BackendError("AccountLocked", "The account is locked. Contact the IT service desk.");
    }
    const account = (Object.keys(SAMPLE_ACCOUNTS) as SampleAccount[]).find(
      (name) => SAMPLE_ACCOUNTS[name].username === username,
    );
    if (!account || password !== SAMPLE_PASSWORD) {
      throw new BackendError("InvalidCredentials", "The username or password is incorrect.");
    }
    this.session = this.sessionFor(account);
    return this.session;
  }

  async loginBrowser(): Promise<SessionInfo> {
    await this.enter("loginBrowser");
    const waitMs = this.options.browserLoginMs ?? 1500;
    await new Promise<void>((resolve, reject) => {
      const timer = Number.isFinite(waitMs) ? setTimeout(resolve, waitMs) : undefined;
      this.cancelPending = () => {
        clearTimeout(timer);
        reject(new BackendError("LoginCancelled", "Sign-in was cancelled."));
      };
    }).finally(() => {
      this.cancelPending = null;
    });
    this.session = this.sessionFor(this.options.account ?? "doctor");
    return this.session;
  }

  async cancelLogin(): Promise<void> {
    await this.enter("cancelLogin");
    this.cancelPending?.();
  }

  async logout(): Promise<void> {
    await this.enter("logout");
    // As the core: the session's break-the-glass ends with it.
    this.glass = null;
    this.session = null;
  }

  async lock(): Promise<void> {
    await this.enter("lock");
    if (this.session) this.session = { ...this.session, locked: true };
  }

  async unlockPassword(password: string): Promise<SessionInfo> {
    // The password is not recorded in `calls`.
    await this.enter("unlockPassword");
    if (!this.session) throw new BackendError("NotLoggedIn", "You are not signed in.");
    if (password !== SAMPLE_PASSWORD) {
      throw new BackendError("InvalidCredentials", "The username or password is incorrect.");
    }
    this.session = { ...this.session, locked: false };
    return this.session;
  }

  async unlockBrowser(): Promise<SessionInfo> {
    await this.enter("unlockBrowser");
    if (!this.session) throw new BackendError("NotLoggedIn", "You are not signed in.");
    this.session = { ...this.session, locked: false };
    return this.session;
  }

  /**
   * How many patients a search lists at most; more matches make it
   * `tooMany`. Mutable, so a test can make a search match too many.
   */
  searchLimit = 20;
  /** Whether the platform says how many matched in all (`total`); mutable for tests. */
  searchTotalKnown = true;
  /** Doctor (subject) → the patients they opened, newest first, as the core keeps them in the cache. */
  private readonly opened = new Map<string, string[]>();

  /** A birth date search term in any common form (19650315, 1965/3/15) as YYYY-MM-DD. */
  private static dateTerm(term: string): string {
    const match = /^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$/.exec(term);
    return match ? `${match[1]}-${match[2]!.padStart(2, "0")}-${match[3]!.padStart(2, "0")}` : term;
  }

  /** Whether one term of a fake search matches the patient (see `searchPatients`). */
  private static matches(patient: PatientSummary, term: string): boolean {
    if (patient.name.toLowerCase().includes(term)) return true;
    const birthDate = patient.birthDate;
    if (birthDate && (birthDate === FakeBackend.dateTerm(term) || (/^\d{4}$/.test(term) && birthDate.startsWith(term)))) {
      return true;
    }
    return patient.identifiers.some(({ value }) => {
      const id = value.toLowerCase();
      return id === term || (term.length >= 4 && id.includes(term));
    });
  }

  async searchPatients(query: string): Promise<SearchResults> {
    await this.enter("searchPatients", query);
    this.requirePatientAccess();
    const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length === 0) return { patients: [], offline: false, tooMany: false, total: null };
    // Unreachable platform: the core answers from the cache, if it has one.
    const offline = this.platformUnreachable;
    if (offline && !this.cacheUsable) this.requirePlatform();
    // A little of the core's forgiveness: every term must match the name (a
    // part of it), a birth date (a year, or the date in any common form) or
    // an identifier (whole, or a fragment of four characters or more).
    const matches = this.charts
      .filter(({ patient }) => !offline || this.cache.has(patient.id))
      .filter(({ patient }) => terms.every((term) => FakeBackend.matches(patient, term)))
      .map(summaryOf);
    const tooMany = matches.length > this.searchLimit;
    return {
      patients: matches.slice(0, this.searchLimit),
      offline,
      tooMany,
      total: tooMany && this.searchTotalKnown ? matches.length : null,
    };
  }

  async fetchProgress(): Promise<FetchProgressView> {
    await this.enter("fetchProgress");
    this.requirePatientAccess();
    return { ...this.progress };
  }

  async recentPatients(): Promise<PatientSummary[]> {
    await this.enter("recentPatients");
    const session = this.requirePatientAccess();
    // The core keeps the list in the doctor's encrypted cache: none without one.
    if (!this.cacheUsable) return [];
    const ids = this.opened.get(session.subject) ?? [];
    return ids.flatMap((id) => {
      const chart = this.charts.find(({ patient }) => patient.id === id);
      return chart ? [summaryOf(structuredClone(chart))] : [];
    });
  }

  /** Puts a patient the doctor just opened at the top of their recent patients (at most 10). */
  private remember(session: SessionInfo, patientId: string): void {
    const ids = (this.opened.get(session.subject) ?? []).filter((id) => id !== patientId);
    this.opened.set(session.subject, [patientId, ...ids].slice(0, 10));
  }

  async openPatient(patientId: string): Promise<Chart> {
    await this.enter("openPatient", patientId);
    const session = this.requirePatientAccess();
    const chart = this.open(patientId);
    this.remember(session, patientId);
    return chart;
  }

  /** The chart from the cache when it is there, else from the platform. */
  private open(patientId: string): Chart {
    const asOf = this.cacheUsable ? this.cache.get(patientId) : undefined;
    if (asOf !== undefined) {
      const cached = this.stale.get(patientId) ?? this.find(patientId);
      return this.unsealed({
        ...structuredClone(cached),
        freshness: { asOf, fromCache: true },
        pinned: this.pinState(patientId),
      });
    }
    return this.fetch(patientId);
  }

  async refreshPatient(patientId: string): Promise<Chart> {
    await this.enter("refreshPatient", patientId);
    this.requirePatientAccess();
    return this.fetch(patientId);
  }

  async pinPatient(patientId: string, pinned: boolean): Promise<boolean | null> {
    await this.enter("pinPatient", patientId);
    this.requireSession();
    if (!this.cacheUsable || !this.cache.has(patientId)) return this.pinState(patientId);
    if (pinned) this.pinned.add(patientId);
    else this.pinned.delete(patientId);
    return pinned;
  }

  async breakGlass(patientId: string, reason: string, note: string): Promise<Chart> {
    await this.enter("breakGlass", patientId, reason, note);
    this.requireSession();
    if (!BREAK_GLASS_REASONS.some((r) => r.code === reason) || !note.trim() || note.length > 500) {
      throw new BackendError("Internal", "internal error: break the glass needs a reason of the policy and a note of up to 500 characters");
    }
    if (!this.find(patientId).access.canBreakGlass) throw new BackendError("AccessDenied", "this account may not view patient records");
    // As the core: one unsealing at a time, then the chart as an open gives it.
    const until = rfc3339(new Date(this.now().getTime() + GLASS_MINUTES * 60_000));
    this.glass = { patientId, until };
    return this.open(patientId);
  }

  async endBreakGlass(): Promise<void> {
    await this.enter("endBreakGlass");
    this.glass = null;
  }

  /** Forgets a break-the-glass whose time has run out, as the core's timer does. */
  private expireGlass(): void {
    if (this.glass && Date.parse(this.glass.until) <= this.now().getTime()) this.glass = null;
  }

  /** The chart with the glass broken, where it is (and has not run out). */
  private unsealed(chart: Chart): Chart {
    this.expireGlass();
    if (this.glass?.patientId !== chart.patient.id) return chart;
    const content = this.unsealedCharts.find(({ patient }) => patient.id === chart.patient.id);
    return {
      ...chart,
      ...(content ? structuredClone(content) : {}),
      sealed: 0,
      access: { ...chart.access, canBreakGlass: false, breakGlassUntil: this.glass.until },
    };
  }

  async resetCache(): Promise<SessionInfo> {
    await this.enter("resetCache");
    const session = this.requireSession();
    if (this.cacheProblem?.code === "CacheBusy") {
      throw new BackendError("CacheBusy", "The local cache is in use by another ChartGuard window.");
    }
    this.cacheProblem = null;
    this.cache.clear();
    this.stale.clear();
    this.pinned.clear();
    this.session = { ...session, cacheProblem: null };
    return this.session;
  }

  async watermark(): Promise<WatermarkView> {
    await this.enter("watermark");
    this.expireGlass();
    const spec = structuredClone(this.watermarkSpec);
    if (!this.session) spec.lines = [...SIGNED_OUT_WATERMARK_LINES];
    else if (this.session.subject !== sampleSession.subject) {
      // The watermark names whoever is signed in.
      const who = [this.session.displayName, this.session.staffNo].filter(Boolean).join(" ");
      spec.lines = [who, ...spec.lines.slice(1)];
    }
    if (this.glass) return { ...spec, breakGlass: true, color: GLASS_WATERMARK_COLOR };
    return spec;
  }

  async reportWatermarkTamper(kind: WatermarkTamper): Promise<void> {
    await this.enter("reportWatermarkTamper", kind);
    this.tamperReports.push(kind);
  }

  async exportPdf(request: ExportRequest): Promise<ExportReceipt | null> {
    await this.enter("exportPdf", request);
    this.exports.push({ kind: "pdf", request: structuredClone(request) });
    this.requireSession();
    this.requireExportable(request);
    if (this.exportCancelled) return null;
    return this.receipt(request.scope);
  }

  async printChart(request: ExportRequest): Promise<ExportReceipt> {
    await this.enter("printChart", request);
    this.exports.push({ kind: "print", request: structuredClone(request) });
    this.requireSession();
    this.requireExportable(request);
    return this.receipt(request.scope);
  }

  /** As the core: the patient exists, and a trend names one of the chart's series. */
  private requireExportable(request: ExportRequest): void {
    const chart = this.find(request.patientId);
    if (request.scope === "trend" && !chart.results.some((series) => series.key === request.series)) {
      throw new BackendError("ExportFailed", "the export names no series of this chart");
    }
  }

  private receipt(scope: ExportScope): ExportReceipt {
    const pages = EXPORT_PAGES[scope];
    this.exportSerial += 1;
    return {
      exportId: `E-${String(this.exportSerial).padStart(4, "0")}`,
      pages,
      bytes: pages * 48_213,
    };
  }

  async referralInbox(): Promise<ReferralInbox> {
    await this.enter("referralInbox");
    this.requireDesk("referralInbox");
    this.requirePlatform();
    return { referrals: structuredClone(this.referrals), canDecide: this.canDecide };
  }

  async decideReferral(referralId: string, decision: ReferralDecision, note: string): Promise<ReferralView> {
    await this.enter("decideReferral", referralId, decision, note);
    this.requireDesk("referralInbox");
    this.requirePlatform();
    if (!this.canDecide) throw new BackendError("AccessDenied", "referral decisions are made on the platform");
    // As the core: a decision is accepted or declined, and declining says why.
    if (decision === "pending" || (decision === "declined" && !note.trim())) {
      throw new BackendError("Internal", "internal error: a referral is accepted, or declined with a note");
    }
    const index = this.referrals.findIndex(({ id }) => id === referralId);
    const referral = this.referrals[index];
    if (!referral) throw new BackendError("NotFound", "The referral was not found on the platform.");
    const decided: ReferralView = {
      ...referral,
      decision,
      status: decision === "accepted" ? "active" : "revoked",
      decisionNote: note.trim() || null,
    };
    this.referrals[index] = decided;
    return structuredClone(decided);
  }

  async whoViewed(patientId: string): Promise<AccessLog> {
    await this.enter("whoViewed", patientId);
    this.requireDesk("accessLog");
    this.find(patientId);
    return structuredClone(this.accessLogs[patientId] ?? { entries: [], platformProblem: null });
  }

  async auditStatus(): Promise<AuditStatus> {
    await this.enter("auditStatus");
    this.requireDesk("auditStatus");
    return structuredClone(this.auditStatusSpec);
  }

  async diagnostics(): Promise<string> {
    await this.enter("diagnostics");
    return "ChartGuard 0.1.0 on ws-01 (linux x86_64)\nconfig: the built-in demo config\n\nPASS  config         test\nall checks passed\n";
  }
}
