// The open chart's state: the chart on screen, where it came from, and the
// refresh that replaces a cached chart with the platform's current one.
//
// Wrong-patient safety: every request (open, refresh, retry) takes a new
// request number and remembers the patient it was for; a response is applied
// only while it is still the latest request for the patient on screen. A late
// answer about a patient the doctor has left is dropped, never rendered.
//
// Break-the-glass: the unsealed chart is a chart request like the others, so
// the same guards apply. While the chart on screen is unsealed, a timer
// re-opens it when the deadline passes: the sealed records leave the screen
// then, not at the next click (the core would refuse to unseal them anyway).
import type { Chart } from "../bindings/Chart";
import type { ErrorCode } from "../bindings/ErrorCode";
import { BackendError, toBackendError, type Backend } from "./backend";

/**
 * Refresh failures that withdraw the right to see the chart: the cached copy
 * is taken off the screen instead of being shown as stale.
 */
const WITHDRAWS_ACCESS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "AccessDenied",
  // The platform no longer has the record (withdrawn, merged): the core has
  // dropped its cached copy too.
  "NotFound",
  "MissingRole",
  "NotLoggedIn",
  "SessionExpired",
]);

/**
 * How long after a break-the-glass deadline the chart is re-opened. The
 * deadline comes to the second while the core's own timer is finer, and a
 * chart whose deadline has already passed (clocks disagreeing) is re-opened
 * at this pace rather than in a tight loop.
 */
export const GLASS_GRACE_MS = 1000;
/** The longest delay `setTimeout` takes (about 24.8 days); longer ones fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class ChartState {
  /** The chart on screen, if any. */
  chart: Chart | null = $state(null);
  /** Why there is no chart (the open failed, or access was withdrawn). */
  error: BackendError | null = $state(null);
  loading = $state(false);
  /** A refresh from the platform is running; the chart shown is the cached one. */
  refreshing = $state(false);
  /** The last refresh failed: the chart shown is stale. */
  refreshError: BackendError | null = $state(null);

  private readonly backend: Backend;
  private readonly onError: (error: BackendError) => void;
  private patientId: string | null = null;
  private request = 0;
  private glassTimer: ReturnType<typeof setTimeout> | undefined;

  /** `onError` hears every failure, so the App can react to an expired session. */
  constructor(backend: Backend, onError: (error: BackendError) => void = () => {}) {
    this.backend = backend;
    this.onError = onError;
  }

  /** The patient whose chart this state is for, if any. */
  get currentPatientId(): string | null {
    return this.patientId;
  }

  private isCurrent(request: number, patientId: string): boolean {
    return request === this.request && patientId === this.patientId;
  }

  /** Puts `chart` on screen (or takes it off) and arms the break-the-glass timer for it. */
  private show(chart: Chart | null): void {
    this.chart = chart;
    this.clearGlassTimer();
    const until = chart?.access.breakGlassUntil;
    if (!chart || !until) return;
    const patientId = chart.patient.id;
    // An unreadable deadline counts as passed.
    const left = Math.max((Date.parse(until) || 0) - Date.now(), 0);
    this.glassTimer = setTimeout(() => {
      this.glassTimer = undefined;
      if (this.patientId === patientId) void this.open(patientId);
    }, Math.min(left + GLASS_GRACE_MS, MAX_TIMEOUT_MS));
  }

  private clearGlassTimer(): void {
    clearTimeout(this.glassTimer);
    this.glassTimer = undefined;
  }

  /** Opens `patientId`'s chart; a cached chart is refreshed from the platform at once. */
  async open(patientId: string): Promise<void> {
    const request = ++this.request;
    this.patientId = patientId;
    this.show(null);
    this.error = null;
    this.refreshError = null;
    this.refreshing = false;
    this.loading = true;
    let chart: Chart;
    try {
      chart = await this.backend.openPatient(patientId);
    } catch (reason) {
      if (!this.isCurrent(request, patientId)) return;
      this.loading = false;
      this.error = toBackendError(reason);
      this.onError(this.error);
      return;
    }
    if (!this.isCurrent(request, patientId)) return;
    this.loading = false;
    if (chart.patient.id !== patientId) {
      // Never show one patient's chart under another's name.
      this.error = new BackendError("MalformedData", "The answer was about another patient.");
      return;
    }
    this.show(chart);
    if (chart.freshness.fromCache) await this.refresh();
  }

  /** Fetches the chart on screen fresh from the platform (also the Retry after a failure). */
  async refresh(): Promise<void> {
    const patientId = this.patientId;
    if (patientId === null || this.chart === null || this.refreshing) return;
    const request = ++this.request;
    this.refreshing = true;
    this.refreshError = null;
    try {
      const fresh = await this.backend.refreshPatient(patientId);
      // Belt and braces: the answer must be about the patient on screen.
      if (this.isCurrent(request, patientId) && fresh.patient.id === patientId) this.show(fresh);
    } catch (reason) {
      if (!this.isCurrent(request, patientId)) return;
      const error = toBackendError(reason);
      if (WITHDRAWS_ACCESS.has(error.code)) {
        this.show(null);
        this.error = error;
      } else {
        // The cached chart stays on screen, marked stale.
        this.refreshError = error;
      }
      this.onError(error);
    } finally {
      if (this.isCurrent(request, patientId)) this.refreshing = false;
    }
  }

  /**
   * Pins the chart on screen in the local cache (or unpins it). Not a chart
   * request: a refresh running meanwhile still lands.
   */
  async setPinned(pinned: boolean): Promise<void> {
    const patientId = this.patientId;
    if (patientId === null || this.chart === null) return;
    try {
      const now = await this.backend.pinPatient(patientId, pinned);
      if (this.patientId === patientId && this.chart !== null) this.chart = { ...this.chart, pinned: now };
    } catch (reason) {
      if (this.patientId === patientId) this.onError(toBackendError(reason));
    }
  }

  /**
   * Breaks the glass for the patient on screen with a reason code and a
   * note, and shows the unsealed chart. Resolves to the failure to show
   * where the doctor asked (the dialog), or `null`: unsealed, or the doctor
   * has left the patient meanwhile and the answer was dropped.
   */
  async breakGlass(reason: string, note: string): Promise<BackendError | null> {
    const patientId = this.patientId;
    if (patientId === null || this.chart === null) return null;
    // The unsealed chart supersedes a refresh still on its way: the core
    // drops that one too.
    const request = ++this.request;
    this.refreshing = false;
    let chart: Chart;
    try {
      chart = await this.backend.breakGlass(patientId, reason, note);
    } catch (failure) {
      if (!this.isCurrent(request, patientId)) return null;
      const error = toBackendError(failure);
      this.onError(error);
      return error;
    }
    if (!this.isCurrent(request, patientId)) return null;
    if (chart.patient.id !== patientId) {
      return new BackendError("MalformedData", "The answer was about another patient.");
    }
    this.refreshError = null;
    this.show(chart);
    // As after an open: a chart read from the cache is brought up to date.
    if (chart.freshness.fromCache) void this.refresh();
    return null;
  }

  /**
   * Ends the break-the-glass and re-opens the chart, sealed again. The chart
   * is re-opened even when the end failed: the core's answer then shows
   * whether the glass is still broken.
   */
  async endBreakGlass(): Promise<void> {
    const patientId = this.patientId;
    if (patientId === null) return;
    try {
      await this.backend.endBreakGlass();
    } catch (failure) {
      if (this.patientId === patientId) this.onError(toBackendError(failure));
    }
    if (this.patientId === patientId) await this.open(patientId);
  }

  /** Leaves the chart: any answer still on its way is dropped. */
  close(): void {
    this.request++;
    this.patientId = null;
    this.refreshing = false;
    this.clearGlassTimer();
  }
}
