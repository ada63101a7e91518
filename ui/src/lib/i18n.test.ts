import { describe, expect, it } from "vitest";
import {
  accessSummary,
  AUDIT_ACTIONS,
  auditActionKey,
  detectLocale,
  dictionaries,
  entrySourceKey,
  errorHeadlineKey,
  genderLabel,
  LOCALES,
  priorityLabel,
  purposeLabel,
  referralDecisionKey,
  translate,
} from "./i18n";
import type { AccessView } from "../bindings/AccessView";
import type { AuditAction } from "../bindings/AuditAction";
import type { EntrySource } from "../bindings/EntrySource";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ReferralDecision } from "../bindings/ReferralDecision";
import auditActionSource from "../bindings/AuditAction.ts?raw";
import entrySourceSource from "../bindings/EntrySource.ts?raw";
import referralDecisionSource from "../bindings/ReferralDecision.ts?raw";
import { ERROR_CODES } from "./backend";

/** The values of the string union a generated binding exports, read from its source. */
function unionValues(source: string): string[] {
  const union = /export type \w+ = ([^;]+);/.exec(source)?.[1] ?? "";
  return [...union.matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
}

describe("i18n", () => {
  it("has the same keys in zh-CN and en", () => {
    const zh = Object.keys(dictionaries["zh-CN"]).sort();
    const en = Object.keys(dictionaries.en).sort();
    expect(zh).toEqual(en);
  });

  it("has no empty strings", () => {
    for (const dictionary of Object.values(dictionaries)) {
      for (const [key, value] of Object.entries(dictionary)) {
        expect(value.trim(), key).not.toBe("");
      }
    }
  });

  it("uses the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(dictionaries.en) as (keyof typeof dictionaries.en)[]) {
      expect(placeholders(dictionaries["zh-CN"][key]), key).toEqual(placeholders(dictionaries.en[key]));
    }
  });

  it("has a headline for every error code", () => {
    const codes: ErrorCode[] = [
      "ConfigInvalid", "NotLoggedIn", "InvalidCredentials", "AccountLocked", "SessionExpired",
      "IdpUnreachable", "CertificateUntrusted", "PlatformUnreachable", "PlatformError", "NotFound",
      "MalformedData", "KeyringUnavailable", "LoginCancelled", "Internal",
    ];
    for (const code of codes) {
      expect(dictionaries.en[errorHeadlineKey(code)]).toBeTruthy();
      expect(dictionaries["zh-CN"][errorHeadlineKey(code)]).toBeTruthy();
    }
  });

  it("has a headline in both languages for every code the UI knows", () => {
    expect(ERROR_CODES).toHaveLength(28);
    for (const code of ERROR_CODES) {
      expect(dictionaries.en[errorHeadlineKey(code)], code).toBeTruthy();
      expect(dictionaries["zh-CN"][errorHeadlineKey(code)], code).toBeTruthy();
    }
  });

  it.each([
    ["CacheKeyMissing", "Local cache key missing", "本机缓存密钥缺失"],
    ["CacheUnreadable", "Local cache cannot be read", "本机缓存无法读取"],
    ["CacheBusy", "Local cache in use by another window", "本机缓存正被另一个窗口使用"],
    ["DiskFull", "Local cache full", "本机缓存已满"],
    ["ExportFailed", "Export failed", "导出失败"],
    ["PrintFailed", "Printing failed", "打印失败"],
    ["AuditUnavailable", "Audit trail unavailable", "操作留痕不可用"],
  ] as const)("has headlines for the cache code %s", (code, en, zh) => {
    expect(translate("en", errorHeadlineKey(code))).toBe(en);
    expect(translate("zh-CN", errorHeadlineKey(code))).toBe(zh);
  });

  it("fills placeholders", () => {
    expect(translate("en", "topbar.staffNo", { staffNo: "A10238" })).toBe("Staff No. A10238");
    expect(translate("zh-CN", "topbar.staffNo", { staffNo: "A10238" })).toBe("工号 A10238");
  });

  it.each([
    ["zh-CN", "zh-CN"],
    ["zh", "zh-CN"],
    ["zh-TW", "zh-CN"],
    ["en-US", "en"],
    ["de-DE", "en"],
    [undefined, "en"],
  ] as const)("detects %s as %s", (tag, locale) => {
    expect(detectLocale(tag)).toBe(locale);
  });

  it("labels FHIR gender codes and passes other values through", () => {
    expect(genderLabel("zh-CN", "female")).toBe("女");
    expect(genderLabel("en", "male")).toBe("Male");
    expect(genderLabel("en", "*")).toBe("*");
  });
});

describe("labels of the desk's values", () => {
  // The key functions compile only while every value of the generated type
  // has a key; these tests read the bindings themselves, so a value the core
  // adds fails here too, and each label must exist in both languages.
  function expectLabelled(values: string[], key: (value: string) => Parameters<typeof translate>[1]) {
    expect(values.length).toBeGreaterThan(1);
    for (const locale of LOCALES) {
      const labels = values.map((value) => dictionaries[locale][key(value)]);
      for (const [index, label] of labels.entries()) expect(label, `${locale} ${values[index]}`).toBeTruthy();
      // Two values under one label could not be told apart.
      expect(new Set(labels).size, locale).toBe(values.length);
    }
  }

  it("labels every audit action of the contract", () => {
    const actions = unionValues(auditActionSource);
    expect(actions).toContain("breakGlassStart");
    expect([...AUDIT_ACTIONS].sort()).toEqual([...actions].sort());
    expectLabelled(actions, (action) => auditActionKey(action as AuditAction));
  });

  it("labels every referral decision and every source of an access entry", () => {
    expectLabelled(unionValues(referralDecisionSource), (decision) => referralDecisionKey(decision as ReferralDecision));
    expectLabelled(unionValues(entrySourceSource), (source) => entrySourceKey(source as EntrySource));
  });

  it.each([
    ["en", "breakGlassStart", "Break the glass started"],
    ["zh-CN", "breakGlassStart", "紧急解封开始"],
    ["en", "patientOpen", "Chart opened"],
    ["zh-CN", "export", "导出"],
  ] as const)("in %s, %s reads %s", (locale, action, label) => {
    expect(translate(locale, auditActionKey(action))).toBe(label);
  });

  it("labels priorities and purposes, and passes unknown ones through", () => {
    expect(priorityLabel("en", "urgent")).toBe("Urgent");
    expect(priorityLabel("zh-CN", "stat")).toBe("立即");
    expect(priorityLabel("zh-CN", "routine")).toBe("常规");
    expect(priorityLabel("en", "whenever")).toBe("whenever");
    expect(purposeLabel("en", "ETREAT")).toBe("Emergency treatment");
    expect(purposeLabel("zh-CN", "TREAT")).toBe("诊疗");
    expect(purposeLabel("en", "HPAYMT")).toBe("HPAYMT");
  });
});

describe("accessSummary", () => {
  const access = (tier: string, grounds: AccessView["grounds"], masked: boolean): AccessView => ({
    tier,
    grounds,
    masked,
    canBreakGlass: true,
    breakGlassUntil: null,
  });

  it.each([
    [access("treating", "referral", false), "en", "Treating", "referral to your department"],
    [access("treating", "referral", false), "zh-CN", "诊治医生", "本科室转诊"],
    [access("treating", "role", false), "en", "Treating", "by your role"],
    [access("clinician", "role", true), "en", "Masked view", "clinician"],
    [access("clinician", "role", true), "zh-CN", "脱敏视图", "非诊治医生"],
    [access("admin", "role", true), "zh-CN", "脱敏视图", "信息管理"],
    [access("locum", "role", true), "en", "Masked view", "locum"],
  ] as const)("%o in %s: %s · %s", (view, locale, lead, why) => {
    expect(accessSummary(locale, view)).toEqual({ lead, why });
  });
});
