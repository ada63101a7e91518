// The one door between the UI and the ChartGuard core. Components get a
// `Backend` from context (see context.ts) and never call `invoke` themselves, so
// they can be tested against `FakeBackend` and the command surface stays in one
// place. Command and argument names must match the Tauri shell exactly.
import { invoke } from "@tauri-apps/api/core";
import type { AccessLog } from "../bindings/AccessLog";
import type { AppInfo } from "../bindings/AppInfo";
import type { AuditStatus } from "../bindings/AuditStatus";
import type { Chart } from "../bindings/Chart";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { ExportReceipt } from "../bindings/ExportReceipt";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { FetchProgressView } from "../bindings/FetchProgressView";
import type { PatientSummary } from "../bindings/PatientSummary";
import type { ReferralDecision } from "../bindings/ReferralDecision";
import type { ReferralInbox } from "../bindings/ReferralInbox";
import type { ReferralView } from "../bindings/ReferralView";
import type { SearchResults } from "../bindings/SearchResults";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { WatermarkTamper } from "../bindings/WatermarkTamper";
import type { WatermarkView } from "../bindings/WatermarkView";


export interface Backend {
  appInfo(): Promise<AppInfo>;
  /** `null` when nobody is logged in. */
  sessionInfo(): Promise<SessionInfo | null>;
  loginPassword(username: string, password: string): Promise<SessionInfo>;
  /** Opens the system browser; resolves when the IdP redirects back (may take minutes). */
  loginBrowser(): Promise<SessionInfo>;
  /** Aborts a pending `loginBrowser`, which then rejects with `LoginCancelled`. */
  cancelLogin(): Promise<void>;
  logout(): Promise<void>;
  lock(): Promise<void>;
  unlockPassword(password: string): Promise<SessionInfo>;
  unlockBrowser(): Promise<SessionInfo>;
  /** `offline`: the platform could not be reached; the patients come from this workstation's cache. */
  searchPatients(query: string): Promise<SearchResults>;
  /**
   * The patients this doctor opened recently, newest first, from the
   * encrypted cache, each masked as the doctor's tier for them says.
   */
  recentPatients(): Promise<PatientSummary[]>;
  /**
   * How far the chart being fetched from the platform has got: records
   * received, and how many there are when the platform said. No patient data.
   */
  fetchProgress(): Promise<FetchProgressView>;
  /** From the local cache at once when the patient is cached (`freshness.fromCache`), else from the platform. */
  openPatient(patientId: string): Promise<Chart>;
  /** The chart fresh from the platform; rejects (e.g. `PlatformUnreachable`) when it cannot be fetched. */
  refreshPatient(patientId: string): Promise<Chart>;
  /**
   * Keeps a cached chart on this workstation beyond the retention period (or
   * lets it expire again). Resolves to whether it is now pinned; `null` when
   * there is no cache to keep it in.
   */
  pinPatient(patientId: string, pinned: boolean): Promise<boolean | null>;
  /**
   * Unseals the patient's sealed records for the policy's time, with a reason
   * code from `AppInfo.breakGlassReasons` and a note; resolves to the unsealed
   * chart (`access.breakGlassUntil` set).
   */
  breakGlass(patientId: string, reason: string, note: string): Promise<Chart>;
  /** Ends a break-the-glass before its time. */
  endBreakGlass(): Promise<void>;
  /** Moves an unreadable local cache aside and starts a fresh one; `cacheProblem` is `null` on success. */
  resetCache(): Promise<SessionInfo>;
  /**
   * The watermark to draw over every screen. Answers before login too: the
   * lines then hold only the workstation and the time.
   */
  watermark(): Promise<WatermarkView>;
  /** Tells the core (for the audit trail) that the watermark was taken out of the page or hidden. */
  reportWatermarkTamper(kind: WatermarkTamper): Promise<void>;
  /**
   * Renders the request as a watermarked PDF; the shell asks where to save it
   * (the native "Save as" dialog). `null`: the doctor cancelled that dialog.
   */
  exportPdf(request: ExportRequest): Promise<ExportReceipt | null>;
  /** Renders the request as watermarked pages and hands them to the printing system. */
  printChart(request: ExportRequest): Promise<ExportReceipt>;
  /**
   * The referrals to the department head's department, newest first, each
   * patient masked as the head's tier for them says. Only for a session
   * whose `desk.referralInbox` is set (else `AccessDenied`).
   */
  referralInbox(): Promise<ReferralInbox>;
  /**
   * Accepts or declines a referral on the platform (`decision` is
   * `accepted` or `declined`; declining needs a note) and resolves to the
   * referral as it is now.
   */
  decideReferral(referralId: string, decision: ReferralDecision, note: string): Promise<ReferralView>;
  /**
   * Who viewed, exported or unsealed the patient's records, newest first:
   * for a session whose `desk.accessLog` is set, and a patient of the
   * department (else `AccessDenied`).
   */
  whoViewed(patientId: string): Promise<AccessLog>;
  /**
   * The audit trail's metadata for IT, after verifying the chain afresh
   * (`desk.auditStatus`). No patient and no person in it.
   */
  auditStatus(): Promise<AuditStatus>;
  /**
   * For the help desk, before login too: version, config summary, the health
   * check's lines and the log's last lines. No patient data in it.
   */
  diagnostics(): Promise<string>;
}

// A record keyed by the generated `ErrorCode` type: when the core adds a
// code, this stops compiling until the code is listed here too.
const KNOWN_CODES: Record<ErrorCode, true> = {
  ConfigInvalid: true,
  NotLoggedIn: true,
  InvalidCredentials: true,
  AccountLocked: true,
  SessionExpired: true,
  IdpUnreachable: true,
  IdpError: true,
  CertificateUntrusted: true,
  PlatformUnreachable: true,
  PlatformError: true,
  NotFound: true,
  AccessDenied: true,
  ClockSkew: true,
  MissingRole: true,
  MalformedData: true,
  KeyringUnavailable: true,
  LoginCancelled: true,
  Superseded: true,
  PolicyInvalid: true,
  CacheKeyMissing: true,
  CacheUnreadable: true,
  CacheBusy: true,
  DiskFull: true,
  ExportFailed: true,
  PrintFailed: true,
  AuditUnavailable: true,
  Locked: true,
  Internal: true,
};
/** Every code the UI knows, in the contract's order. */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(KNOWN_CODES) as ErrorCode[];
const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** A failed backend call: a stable code to act on and a PHI-free English message. */
export class BackendError extends Error implements ErrorPayload {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && ERROR_CODE_SET.has(value);
}

/**
 * Normalises whatever a call rejected with into a `BackendError`. The shell
 * rejects with `{ code, message }`; anything else (a bare string from the IPC
 * layer, an exception in the UI) becomes `Internal` with a generic message, so
 * no unexpected text is ever shown to the user.
 */
export function toBackendError(reason: unknown): BackendError {
  if (reason instanceof BackendError) return reason;
  if (typeof reason === "object" && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    if (isErrorCode(code)) {
      return new BackendError(code, typeof message === "string" ? message : "");
    }
  }
  return new BackendError("Internal", "An unexpected error occurred.");
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toBackendError(reason);
  }
}

/** The real backend: the Tauri shell's commands. */
export class TauriBackend implements Backend {
  appInfo(): Promise<AppInfo> {
    return call("app_info");
  }
  sessionInfo(): Promise<SessionInfo | null> {
    return call("session_info");
  }
  loginPassword(username: string, password: string): Promise<SessionInfo> {
    return call("login_password", { username, password });
  }
  loginBrowser(): Promise<SessionInfo> {
    return call("login_browser");
  }
  cancelLogin(): Promise<void> {
    return call("cancel_login");
  }
  logout(): Promise<void> {
    return call("logout");
  }
  lock(): Promise<void> {
    return call("lock");
  }
  unlockPassword(password: string): Promise<SessionInfo> {
    return call("unlock_password", { password });
  }
  unlockBrowser(): Promise<SessionInfo> {
    return call("unlock_browser");
  }
  searchPatients(query: string): Promise<SearchResults> {
    return call("search_patients", { query });
  }
  recentPatients(): Promise<PatientSummary[]> {
    return call("recent_patients");
  }
  fetchProgress(): Promise<FetchProgressView> {
    return call("fetch_progress");
  }
  openPatient(patientId: string): Promise<Chart> {
    return call("open_patient", { patientId });
  }
  refreshPatient(patientId: string): Promise<Chart> {
    return call("refresh_patient", { patientId });
  }
  pinPatient(patientId: string, pinned: boolean): Promise<boolean | null> {
    return call("pin_patient", { patientId, pinned });
  }
  breakGlass(patientId: string, reason: string, note: string): Promise<Chart> {
    return call("break_glass", { patientId, reason, note });
  }
  endBreakGlass(): Promise<void> {
    return call("end_break_glass");
  }
  resetCache(): Promise<SessionInfo> {
    return call("reset_cache");
  }
  watermark(): Promise<WatermarkView> {
    return call("watermark");
  }
  reportWatermarkTamper(kind: WatermarkTamper): Promise<void> {
    return call("report_watermark_tamper", { kind });
  }
  exportPdf(request: ExportRequest): Promise<ExportReceipt | null> {
    return call("export_pdf", { request });
  }
  printChart(request: ExportRequest): Promise<ExportReceipt> {
    return call("print_chart", { request });
  }
  referralInbox(): Promise<ReferralInbox> {
    return call("referral_inbox");
  }
  decideReferral(referralId: string, decision: ReferralDecision, note: string): Promise<ReferralView> {
    return call("decide_referral", { referralId, decision, note });
  }
  whoViewed(patientId: string): Promise<AccessLog> {
    return call("who_viewed", { patientId });
  }
  auditStatus(): Promise<AuditStatus> {
    return call("audit_status");
  }
  diagnostics(): Promise<string> {
    return call("diagnostics");
  }
}
