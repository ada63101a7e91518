// Which screens the top bar offers, from the session's `desk` (what the
// policy's roles open). The UI only arranges the screens: the core checks
// the desk again on every request and answers AccessDenied where it is shut.
import type { Desk } from "../bindings/Desk";

export type Screen = "search" | "referrals" | "audit";

/**
 * The screens to offer: the search always (the core tells an account
 * without patient access so), then the desk's.
 */
export function screensFor(desk: Desk): Screen[] {
  const screens: Screen[] = ["search"];
  if (desk.referralInbox) screens.push("referrals");
  if (desk.auditStatus) screens.push("audit");
  return screens;
}

/**
 * Where a session starts: an account with the audit status and no patient
 * desk (IT staff) at the audit trail, as it cannot search patients anyway;
 * everyone else at the search.
 */
export function startScreen(desk: Desk): Screen {
  return desk.auditStatus && !desk.referralInbox && !desk.accessLog ? "audit" : "search";
}
