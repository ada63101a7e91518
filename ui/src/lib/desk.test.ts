import { describe, expect, it } from "vitest";
import type { Desk } from "../bindings/Desk";
import { screensFor, startScreen } from "./desk";

const desk = (referralInbox: boolean, accessLog: boolean, auditStatus: boolean): Desk => ({
  referralInbox,
  accessLog,
  auditStatus,
});

describe("desk", () => {
  it.each([
    [desk(false, false, false), ["search"], "search"],
    [desk(true, true, false), ["search", "referrals"], "search"],
    [desk(false, false, true), ["search", "audit"], "audit"],
    // Someone with patient review as well as the audit status starts where patients are.
    [desk(true, true, true), ["search", "referrals", "audit"], "search"],
    [desk(false, true, true), ["search", "audit"], "search"],
  ] as const)("%o offers %o and starts at %s", (value, screens, start) => {
    expect(screensFor(value)).toEqual(screens);
    expect(startScreen(value)).toBe(start);
  });
});
