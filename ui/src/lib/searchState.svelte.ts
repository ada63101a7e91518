// The search screen's state, owned by the App rather than the search component,
// so that going to a chart and back (or re-signing in after a session expiry)
// keeps the query and the result list. Logout and the screen lock throw it
// away, the recent patients with it: the webview keeps no patient once the
// doctor has gone (and never on disk: no web storage).
import type { Backend } from "./backend";
import { toBackendError, type BackendError } from "./backend";
import type { PatientSummary } from "../bindings/PatientSummary";
import { birthDateTerm, narrowedQuery } from "./searchQuery";

export class SearchState {
  query = $state("");
  /** The query the results answer, as it was sent; `null` until a search has completed. */
  searched: string | null = $state(null);
  /** `null` until a search has completed. */
  results: PatientSummary[] | null = $state(null);
  /** The platform could not be reached: `results` come from this workstation's cache. */
  offline = $state(false);
  /** More patients match than `results` holds: the doctor should narrow by birth date. */
  tooMany = $state(false);
  /** How many match in all, when the platform says. */
  total: number | null = $state(null);
  /** What the doctor typed in the narrowing birth-date field. */
  birthDate = $state("");
  /** The narrowing field holds no date a patient could have been born on. */
  birthDateInvalid = $state(false);
  error: BackendError | null = $state(null);
  pending = $state(false);
  /** The patients this doctor opened recently, newest first, as the core masks them; `null` until loaded. */
  recent: PatientSummary[] | null = $state(null);
  /** Why the recent patients could not be loaded, if they could not. */
  recentError: BackendError | null = $state(null);
  /** The patient whose chart is open, if any. */
  openPatientId: string | null = $state(null);
  /** The patient opened last, to return keyboard focus to its row. */
  lastOpenedId: string | null = null;
  private generation = 0;
  private recentGeneration = 0;

  /** Runs the search in the box; a newer search supersedes the result of an older one. */
  async search(backend: Backend): Promise<void> {
    this.birthDate = "";
    this.birthDateInvalid = false;
    await this.run(backend, this.query.trim());
  }

  /**
   * Searches for what is in the box now (the doctor may have typed on since
   * the last search) with the birth date in the narrowing field, replacing
   * any birth date the box held, and shows the query so in the box. Does
   * nothing but flag the field when it holds no birth date possible by `today`.
   */
  async narrow(backend: Backend, today: Date): Promise<void> {
    const term = birthDateTerm(this.birthDate, today);
    this.birthDateInvalid = term === null;
    const base = this.query.trim();
    if (term === null || !base) return;
    this.query = narrowedQuery(base, term, today);
    await this.run(backend, this.query);
  }

  private async run(backend: Backend, query: string): Promise<void> {
    const generation = ++this.generation;
    this.error = null;
    if (!query) {
      this.clearResults();
      this.pending = false;
      return;
    }
    this.pending = true;
    try {
      const { patients, offline, tooMany, total } = await backend.searchPatients(query);
      if (generation === this.generation) {
        this.results = patients;
        this.offline = offline;
        this.tooMany = tooMany;
        this.total = total;
        this.searched = query;
      }
    } catch (reason) {
      if (generation === this.generation) {
        this.clearResults();
        this.error = toBackendError(reason);
      }
    } finally {
      if (generation === this.generation) this.pending = false;
    }
  }

  private clearResults(): void {
    this.results = null;
    this.searched = null;
    this.offline = false;
    this.tooMany = false;
    this.total = null;
  }

  /** Asks the core for the recent patients again (they change with every chart opened). */
  async loadRecent(backend: Backend): Promise<void> {
    const generation = ++this.recentGeneration;
    try {
      const recent = await backend.recentPatients();
      if (generation === this.recentGeneration) {
        this.recent = recent;
        this.recentError = null;
      }
    } catch (reason) {
      if (generation === this.recentGeneration) {
        this.recent = null;
        this.recentError = toBackendError(reason);
      }
    }
  }
}
