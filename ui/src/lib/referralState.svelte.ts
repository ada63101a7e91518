// The referral inbox's state, owned by the App like the search's, so that
// opening a referred patient's chart and coming back keeps the list (and
// the chart's referral bar shows the same referral the list does). Logout,
// or another person signing in, throws it away.
import type { ReferralDecision } from "../bindings/ReferralDecision";
import type { ReferralInbox } from "../bindings/ReferralInbox";
import type { ReferralView } from "../bindings/ReferralView";
import { BackendError, toBackendError, type Backend } from "./backend";
import { newestFirstBy } from "./format";

export class ReferralState {
  /** `null` until the inbox has loaded. */
  inbox: ReferralInbox | null = $state(null);
  loading = $state(false);
  error: BackendError | null = $state(null);
  /** The referral whose patient's chart is open, if any. */
  openId: string | null = $state(null);
  /** The referral opened last, to return keyboard focus to its row. */
  lastOpenedId: string | null = null;
  /** The referral a decision is being taken on, if any (one at a time). */
  deciding: string | null = $state(null);
  /** Counts the decisions taken, so a chart on screen can be opened again with the access they give. */
  decided = $state(0);
  /** Newest first, whatever order they came in. */
  readonly referrals: ReferralView[] = $derived(
    this.inbox ? newestFirstBy(this.inbox.referrals, (referral) => referral.authoredOn) : [],
  );
  private generation = 0;

  /** The referral whose chart is open. */
  get open(): ReferralView | null {
    return this.referrals.find((referral) => referral.id === this.openId) ?? null;
  }

  /** Loads the inbox; the list on screen stays until the new one comes. */
  async load(backend: Backend): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.error = null;
    try {
      const inbox = await backend.referralInbox();
      if (generation === this.generation) this.inbox = inbox;
    } catch (reason) {
      if (generation === this.generation) {
        this.inbox = null;
        this.error = toBackendError(reason);
      }
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /**
   * Accepts or declines `referralId` (declining with a note) and shows the
   * referral as the core returns it. Resolves to the failure to show where
   * the decision was asked for, or `null` when it was taken; on failure the
   * referral stays as it was.
   */
  async decide(
    backend: Backend,
    referralId: string,
    decision: Exclude<ReferralDecision, "pending">,
    note: string,
  ): Promise<BackendError | null> {
    if (this.deciding !== null) return new BackendError("Internal", "Another decision is being taken.");
    this.deciding = referralId;
    try {
      const view = await backend.decideReferral(referralId, decision, note);
      if (view.id !== referralId) {
        return new BackendError("MalformedData", "The answer was about another referral.");
      }
      // A load still on its way may hold the referral as it was: drop it.
      this.generation++;
      this.loading = false;
      if (this.inbox) {
        this.inbox = {
          ...this.inbox,
          referrals: this.inbox.referrals.map((referral) => (referral.id === referralId ? view : referral)),
        };
      }
      this.decided++;
      return null;
    } catch (reason) {
      return toBackendError(reason);
    } finally {
      this.deciding = null;
    }
  }
}
