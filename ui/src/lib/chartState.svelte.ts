// The open chart's state: the chart on screen, where it came from, and the
// refresh that replaces a cached chart with the platform's current one.
//
// Wrong-patient safety: every request (open, refresh, retry) takes a new
// request number and remembers the patient it was for; a response is applied
// only while it is still the latest request for the patient on screen. A late
// answer about a patient the doctor has left is dropped, never rendered.
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

  /** Opens `patientId`'s chart; a cached chart is refreshed from the platform at once. */
  async open(patientId: string): Promise<void> {
    const request = ++this.request;
    this.patientId = patientId;
    this.chart = null;
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
    this.chart = chart;
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
      if (this.isCurrent(request, patientId) && fresh.patient.id === patientId) this.chart = fresh;
    } catch (reason) {
      if (!this.isCurrent(request, patientId)) return;
      const error = toBackendError(reason);
      if (WITHDRAWS_ACCESS.has(error.code)) {
        this.chart = null;
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

  /** Leaves the chart: any answer still on its way is dropped. */
  close(): void {
    this.request++;
    this.patientId = null;
    this.refreshing = false;
  }
}
