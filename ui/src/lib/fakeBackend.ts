// An in-memory Backend for unit tests and for `npm run dev` in a plain browser.
// The data is synthetic (made-up people; resident IDs carry valid checksums) but
// shaped like what the core sends: several hospitals, Chinese and Western names.
// It is never part of the production bundle: main.ts imports it only in dev.
import type { WatermarkTamper } from "../bindings/WatermarkTamper";
import type { Backend } from "./backend";
import { BackendError } from "./backend";
import type { AccessView } from "../bindings/AccessView";
import type { AppInfo } from "../bindings/AppInfo";
import type { BreakGlassReasonView } from "../bindings/BreakGlassReasonView";
import type { Chart } from "../bindings/Chart";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { ExportReceipt } from "../bindings/ExportReceipt";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { ExportScope } from "../bindings/ExportScope";
import type { LoginFlow } from "../bindings/LoginFlow";
import type { PatientSummary } from "../bindings/PatientSummary";
import type { SearchResults } from "../bindings/SearchResults";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { WatermarkView } from "../bindings/WatermarkView";

const PUMCH = "北京协和医院";
const PKUFH = "北京大学第一医院";
const CHAOYANG = "首都医科大学附属北京朝阳医院";
const UFH = "北京和睦家医院";

export const SAMPLE_USERNAME = "zhangwei";
export const SAMPLE_PASSWORD = "demo-password";
export const LOCKED_USERNAME = "locked";

export const sampleSession: SessionInfo = {
  subject: "f3c1a2d4-8e1b-4c55-9a0e-6b2d7e5f1a90",
  displayName: "张伟",
  staffNo: "A10238",
  department: "心内科",
  roles: ["clinician"],
  cacheProblem: null,
  desk: { referralInbox: false, accessLog: false, auditStatus: false },
};

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
      { id: "med-1", text: "盐酸二甲双胍缓释片 0.5g", status: "active", authored: "2024-05-20", dosage: "每日两次，每次1片，随餐服用", source: PUMCH },
      { id: "med-2", text: "苯磺酸氨氯地平片 5mg", status: "active", authored: "2024-05-20", dosage: "每日一次，每次1片", source: PUMCH },
      { id: "med-3", text: "阿托伐他汀钙片 20mg", status: "active", authored: "2023-11-09", dosage: "每晚一次，每次1片", source: PKUFH },
    ],
    allergies: [
      { id: "alg-1", substance: "青霉素", criticality: "high", reactions: ["全身皮疹", "呼吸困难"], source: PUMCH },
      { id: "alg-2", substance: "磺胺类药物", criticality: "low", reactions: ["荨麻疹"], source: CHAOYANG },
    ],
    labs: [
      { id: "obs-1", code: "4548-4", name: "糖化血红蛋白 (HbA1c)", value: "7.8", unit: "%", effective: "2024-05-20", interpretation: "H", source: PUMCH },
      { id: "obs-2", code: "1558-6", name: "空腹血糖", value: "8.1", unit: "mmol/L", effective: "2024-05-20", interpretation: "H", source: PUMCH },
      { id: "obs-3", code: "2160-0", name: "血肌酐", value: "132", unit: "μmol/L", effective: "2024-05-20", interpretation: "H", source: PUMCH },
      { id: "obs-4", code: "33914-3", name: "估算肾小球滤过率 (eGFR)", value: "52", unit: "mL/min/1.73m²", effective: "2024-05-20", interpretation: "L", source: PUMCH },
      { id: "obs-5", code: "2823-3", name: "血钾", value: "4.3", unit: "mmol/L", effective: "2023-11-03", interpretation: "N", source: PKUFH },
    ],
    encounters: [
      { id: "enc-2", class: "住院", kind: "肾内科", start: "2023-11-02T09:30:00+08:00", end: "2023-11-09T11:00:00+08:00", hospital: PKUFH, reason: "肾功能下降评估" },
      { id: "enc-1", class: "门诊", kind: "内分泌科复诊", start: "2024-05-20T08:40:00+08:00", end: "2024-05-20T09:05:00+08:00", hospital: PUMCH, reason: "糖尿病随访" },
      { id: "enc-3", class: "急诊", kind: "急诊内科", start: "2024-01-15T22:10:00+08:00", end: "2024-01-16T02:30:00+08:00", hospital: CHAOYANG, reason: "头晕、血压升高" },
    ],
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
      { id: "med-11", text: "Apixaban 5 mg tablet", status: "active", authored: "2024-03-12", dosage: "1 tablet twice daily", source: UFH },
      { id: "med-12", text: "Paracetamol 500 mg tablet", status: "active", authored: "2022-08-30", dosage: "1–2 tablets every 6 hours as needed, max 8 per day", source: PUMCH },
    ],
    allergies: [
      { id: "alg-11", substance: "Codeine", criticality: "low", reactions: ["Nausea", "Vomiting"], source: UFH },
    ],
    labs: [
      { id: "obs-11", code: "718-7", name: "Hemoglobin", value: "118", unit: "g/L", effective: "2024-03-12", interpretation: "L", source: UFH },
      { id: "obs-12", code: "2160-0", name: "Creatinine", value: "88", unit: "μmol/L", effective: "2024-03-12", interpretation: "N", source: UFH },
      { id: "obs-13", code: "3016-3", name: "TSH", value: "2.1", unit: "mIU/L", effective: "2023-09-05", interpretation: null, source: null },
    ],
    encounters: [
      { id: "enc-11", class: "outpatient", kind: "Cardiology follow-up", start: "2024-03-12T10:00:00+08:00", end: null, hospital: UFH, reason: "Anticoagulation review" },
      { id: "enc-12", class: "emergency", kind: "Emergency department", start: "2022-08-30T19:45:00+08:00", end: "2022-08-30T23:10:00+08:00", hospital: PUMCH, reason: "Fall at home, right wrist pain" },
    ],
    resourceCount: 23,
    sealed: 0,
    access: TREATING,
  },
];

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
};

export function summaryOf(chart: ChartContent): PatientSummary {
  const { id, name, gender, birthDate, identifiers } = chart.patient;
  return { id, name, gender, birthDate, identifiers };
}

export interface FakeBackendOptions {
  loginFlows?: LoginFlow[];
  /** `AppInfo.locale`: the start locale the core chose (IT config, else the system's). */
  locale?: string;
  /** Start already signed in (as if a session survived a reload). */
  loggedIn?: boolean;
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
  /** The signed-in watermark; mutable, so a test can change what the next refresh draws. */
  watermarkSpec: WatermarkView;
  /** Mutable: whether the doctor cancels the next "Save as" dialogs. */
  exportCancelled: boolean;
  /** Every tamper report, in order (also in `calls`). */
  readonly tamperReports: WatermarkTamper[] = [];
  /** Every export and print request, in order (also in `calls`). */
  readonly exports: { kind: "pdf" | "print"; request: ExportRequest }[] = [];
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
    this.session = options.loggedIn ? this.sessionFor() : null;
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

  private sessionFor(): SessionInfo {
    return { ...sampleSession, cacheProblem: this.cacheProblem };
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
    const failure = this.options.failures?.[method];
    if (failure) throw new BackendError(failure.code, failure.message);
  }

  private requireSession(): SessionInfo {
    if (!this.session) throw new BackendError("NotLoggedIn", "You are not signed in.");
    return this.session;
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
    if (username !== SAMPLE_USERNAME || password !== SAMPLE_PASSWORD) {
      throw new BackendError("InvalidCredentials", "The username or password is incorrect.");
    }
    this.session = this.sessionFor();
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
    this.session = this.sessionFor();
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

  async searchPatients(query: string): Promise<SearchResults> {
    await this.enter("searchPatients", query);
    this.requireSession();
    const needle = query.trim().toLowerCase();
    if (!needle) return { patients: [], offline: false };
    // Unreachable platform: the core answers from the cache, if it has one.
    const offline = this.platformUnreachable;
    if (offline && !this.cacheUsable) this.requirePlatform();
    const patients = this.charts
      .filter(({ patient }) => !offline || this.cache.has(patient.id))
      .filter(({ patient }) =>
        patient.name.toLowerCase().includes(needle) ||
        patient.birthDate === needle ||
        patient.identifiers.some((identifier) => identifier.value.toLowerCase() === needle),
      )
      .map(summaryOf);
    return { patients, offline };
  }

  async openPatient(patientId: string): Promise<Chart> {
    await this.enter("openPatient", patientId);
    this.requireSession();
    return this.open(patientId);
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
    this.requireSession();
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
    this.find(request.patientId);
    if (this.exportCancelled) return null;
    return this.receipt(request.scope);
  }

  async printChart(request: ExportRequest): Promise<ExportReceipt> {
    await this.enter("printChart", request);
    this.exports.push({ kind: "print", request: structuredClone(request) });
    this.requireSession();
    this.find(request.patientId);
    return this.receipt(request.scope);
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
}
