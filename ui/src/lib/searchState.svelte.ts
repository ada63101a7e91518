// The search screen's state, owned by the App rather than the search component,
// so that going to a chart and back (or re-signing in after a session expiry)
// keeps the query and the result list. Logout throws it away.
import type { Backend } from "./backend";
import { toBackendError, type BackendError } from "./backend";
import type { PatientSummary } from "../bindings/PatientSummary";

export class SearchState {
  query = $state("");
  /** `null` until a search has completed. */
  results: PatientSummary[] | null = $state(null);
  /** The platform could not be reached: `results` come from this workstation's cache. */
  offline = $state(false);
  error: BackendError | null = $state(null);
  pending = $state(false);
  /** The patient whose chart is open, if any. */
  openPatientId: string | null = $state(null);
  /** The patient opened last, to return keyboard focus to its row. */
  lastOpenedId: string | null = null;
  private generation = 0;

  /** Runs the search; a newer search supersedes the result of an older one. */
  async search(backend: Backend): Promise<void> {
    const query = this.query.trim();
    const generation = ++this.generation;
    this.error = null;
    if (!query) {
      this.results = null;
      this.offline = false;
      return;
    }
    this.pending = true;
    try {
      const { patients, offline } = await backend.searchPatients(query);
      if (generation === this.generation) {
        this.results = patients;
        this.offline = offline;
      }
    } catch (reason) {
      if (generation === this.generation) {
        this.results = null;
        this.offline = false;
        this.error = toBackendError(reason);
      }
    } finally {
      if (generation === this.generation) this.pending = false;
    }
  }
}
