// Every string the UI itself shows, in both languages. Clinical content from
// the core is never translated here: it is displayed exactly as received.
import type { AccessView } from "../bindings/AccessView";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { IdentifierKind } from "../bindings/IdentifierKind";

export type Locale = "zh-CN" | "en";
export const LOCALES: readonly Locale[] = ["zh-CN", "en"];

const en = {
  "app.title": "ChartGuard Health Record Viewer",
  "app.subtitle": "Shared patient history from the regional health information platform",
  "app.loading": "Starting…",
  "app.startFailed": "ChartGuard could not start",
  "app.retry": "Retry",
  "app.version": "Version {version}",

  "lang.toggle": "Switch language",

  "login.heading": "Sign in",
  "login.username": "Username",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.submitting": "Signing in…",
  "login.or": "or",
  "login.browser": "Sign in with hospital account (browser)",
  "login.browserWaiting": "Complete the sign-in in your web browser. This window will continue automatically.",
  "login.cancel": "Cancel",
  "login.noFlows": "No sign-in method is configured. Please contact IT.",
  "login.sessionLost": "Your session has ended. Please sign in again.",

  "topbar.user": "Signed in as",
  "topbar.staffNo": "Staff No. {staffNo}",
  "topbar.logout": "Sign out",

  "search.heading": "Find a patient",
  "search.label": "Name, resident ID, MRN, insurance number or birth date (YYYY-MM-DD)",
  "search.submit": "Search",
  "search.searching": "Searching…",
  "search.empty": "No patients found",
  "search.count": "Patients found: {count}",
  "search.needQuery": "Enter a name, an identifier or a birth date.",
  "search.offline": "The regional platform cannot be reached: showing patients cached on this workstation",
  "search.accessDenied": "This account cannot search or read patient records: ChartGuard shows patient data only to clinical roles such as doctors and department heads. Ask IT if you need access.",

  "patient.gender": "Gender",
  "patient.birthDate": "Date of birth",
  "patient.phone": "Phone",
  "patient.address": "Address",
  "patient.identifiers": "Identifiers",

  "gender.male": "Male",
  "gender.female": "Female",
  "gender.other": "Other",
  "gender.unknown": "Unknown",

  "idkind.residentId": "Resident ID",
  "idkind.mrn": "MRN",
  "idkind.insurance": "Insurance No.",
  "idkind.passport": "Passport",
  "idkind.other": "Other ID",

  "chart.back": "Back to search",
  "chart.pin": "Keep offline",
  "chart.pinned": "Kept offline ✓",
  "chart.pinHint": "Keep this chart in this workstation's encrypted cache beyond the retention period, for use when the platform is down.",
  "chart.loading": "Loading chart…",
  "chart.summary": "Summary",
  "chart.resourceCount": "{count} records from the platform",
  "chart.sealed": "{count} restricted records are sealed and not shown.",
  "chart.sealedOne": "1 restricted record is sealed and not shown.",
  "chart.problems": "Active problems",
  "chart.problemsEmpty": "No active problems on the platform",
  "chart.medications": "Current medications",
  "chart.medicationsEmpty": "No current medications on the platform",
  "chart.allergies": "Allergies",
  "chart.allergiesEmpty": "No allergy records on the platform (this does not mean the patient has no allergies)",
  "chart.labs": "Recent labs",
  "chart.labsEmpty": "No lab results on the platform",
  "chart.encounters": "Encounters",
  "chart.encountersEmpty": "No encounters on the platform",
  "chart.asOfCache": "As of {time} · from this workstation's cache",
  "chart.asOfPlatform": "As of {time} · from the regional platform",
  "chart.refreshing": "Updating from the regional platform…",
  "chart.staleUnreachable": "Showing data as of {time}: the regional platform could not be reached",
  "chart.staleFailed": "Showing data as of {time}: the chart could not be updated from the regional platform",
  "chart.refreshRetry": "Retry",

  "access.label": "Your access to this patient",
  "access.masked": "Masked view",
  "access.maskedHint": "Identifiers and free text are masked for your tier, and restricted records are sealed.",
  "access.tier.treating": "Treating",
  "access.tier.clinician": "Clinician",
  "access.tier.deidentified": "De-identified",
  "access.tier.admin": "IT administration",
  "access.as.treating": "treating",
  "access.as.clinician": "clinician",
  "access.as.deidentified": "de-identified",
  "access.as.admin": "IT administration",
  "access.grounds.referral": "referral to your department",
  "access.grounds.careTeam": "you are on the care team",
  "access.grounds.role": "by your role",

  "glass.open": "Break the glass",
  "glass.title": "Break the glass",
  "glass.intro": "Unseal this patient's restricted records. Only do this when the patient's care needs them now.",
  "glass.reason": "Reason",
  "glass.note": "Note (required)",
  "glass.noteHint": "Say why you need the sealed records for this patient.",
  "glass.noteCount": "{count} / {max}",
  "glass.warning": "The access ends after {minutes} minutes and is audited: your name, the reason and your note are recorded, and every view while the glass is broken is logged.",
  "glass.confirm": "Unseal the records",
  "glass.confirming": "Unsealing…",
  "glass.cancel": "Cancel",
  "glass.noReasons": "No reasons are configured in the privacy policy; ask IT.",
  "glass.banner": "Break-the-glass access until {time} — every view is audited",
  "glass.end": "End now",
  "glass.ending": "Ending…",

  "export.open": "Export / print",
  "export.title": "Export or print",
  "export.scope": "What to include",
  "export.scope.chart": "The whole chart",
  "export.scope.summary": "Summary: allergies, problems, medications and latest results",
  "export.scope.allergies": "Allergies",
  "export.scope.problems": "Active problems",
  "export.scope.medications": "Current medications",
  "export.scope.labs": "Recent labs",
  "export.scope.encounters": "Encounters",
  "export.note": "Every page carries the watermark and the export ID, and the export is recorded in the audit trail.",
  "export.save": "Save as PDF…",
  "export.saving": "Saving…",
  "export.print": "Print",
  "export.printing": "Printing…",
  "export.close": "Close",
  "export.saved": "Saved as PDF · export {id}, {pages} pages",
  "export.savedOne": "Saved as PDF · export {id}, 1 page",
  "export.printed": "Sent to the printer · export {id}",

  "field.code": "Code",
  "field.status": "Status",
  "field.onset": "Onset",
  "field.authored": "Prescribed",
  "field.dosage": "Dosage",
  "field.criticality": "Criticality",
  "field.reactions": "Reactions",
  "field.source": "Source",
  "field.reason": "Reason",

  "labs.name": "Test",
  "labs.value": "Result",
  "labs.date": "Date",
  "labs.flag": "Flag",
  "labs.source": "Source",

  "cache.withoutCache": "ChartGuard keeps working without the local cache: charts are loaded from the regional platform.",
  "cache.reset": "Rebuild the local cache",
  "cache.resetting": "Rebuilding the local cache…",

  "error.ConfigInvalid": "Configuration problem",
  "error.NotLoggedIn": "Not signed in",
  "error.InvalidCredentials": "Wrong username or password",
  "error.AccountLocked": "Account locked",
  "error.SessionExpired": "Session expired",
  "error.IdpUnreachable": "Sign-in service unreachable",
  "error.IdpError": "Sign-in service refused the login",
  "error.AccessDenied": "Not permitted",
  "error.ClockSkew": "Workstation clock is off",
  "error.MissingRole": "No ChartGuard role for this account",
  "error.CertificateUntrusted": "Server certificate not trusted",
  "error.PlatformUnreachable": "Regional platform unreachable",
  "error.PlatformError": "Regional platform error",
  "error.NotFound": "Not found",
  "error.MalformedData": "The platform sent data that could not be read",
  "error.KeyringUnavailable": "System keyring unavailable",
  "error.LoginCancelled": "Sign-in cancelled",
  "error.Superseded": "Another chart was opened",
  "error.PolicyInvalid": "Privacy policy invalid: no patient data is shown",
  "error.CacheKeyMissing": "Local cache key missing",
  "error.CacheUnreadable": "Local cache cannot be read",
  "error.CacheBusy": "Local cache in use by another window",
  "error.DiskFull": "Local cache full",
  "error.ExportFailed": "Export failed",
  "error.PrintFailed": "Printing failed",
  "error.AuditUnavailable": "Audit trail unavailable",
  "error.Internal": "Unexpected error",
} as const;

export type MessageKey = keyof typeof en;

// Typed against the English keys: a missing or extra key fails `npm run check`,
// and i18n.test.ts checks the same at run time.
const zhCN: Record<MessageKey, string> = {
  "app.title": "ChartGuard 医疗信息调阅",
  "app.subtitle": "区域健康信息平台共享病历调阅",
  "app.loading": "正在启动…",
  "app.startFailed": "ChartGuard 无法启动",
  "app.retry": "重试",
  "app.version": "版本 {version}",

  "lang.toggle": "切换语言",

  "login.heading": "登录",
  "login.username": "用户名",
  "login.password": "密码",
  "login.submit": "登录",
  "login.submitting": "正在登录…",
  "login.or": "或",
  "login.browser": "使用医院账号登录（浏览器）",
  "login.browserWaiting": "请在浏览器中完成登录，完成后本窗口将自动继续。",
  "login.cancel": "取消",
  "login.noFlows": "未配置登录方式，请联系信息科。",
  "login.sessionLost": "会话已结束，请重新登录。",

  "topbar.user": "当前用户",
  "topbar.staffNo": "工号 {staffNo}",
  "topbar.logout": "退出登录",

  "search.heading": "查找患者",
  "search.label": "姓名、身份证号、病历号、医保号或出生日期（YYYY-MM-DD）",
  "search.submit": "搜索",
  "search.searching": "正在搜索…",
  "search.empty": "未找到患者",
  "search.count": "找到 {count} 位患者",
  "search.needQuery": "请输入姓名、证件号或出生日期。",
  "search.offline": "无法连接区域平台：以下为本机缓存的患者",
  "search.accessDenied": "该账号不能查找或调阅患者病历：ChartGuard 仅向医生、科主任等临床角色显示患者数据。如需权限，请联系信息科。",

  "patient.gender": "性别",
  "patient.birthDate": "出生日期",
  "patient.phone": "电话",
  "patient.address": "地址",
  "patient.identifiers": "证件号",

  "gender.male": "男",
  "gender.female": "女",
  "gender.other": "其他",
  "gender.unknown": "未知",

  "idkind.residentId": "身份证号",
  "idkind.mrn": "病历号",
  "idkind.insurance": "医保号",
  "idkind.passport": "护照号",
  "idkind.other": "其他证件",

  "chart.back": "返回搜索",
  "chart.pin": "保留离线副本",
  "chart.pinned": "已保留离线副本 ✓",
  "chart.pinHint": "将此病历保留在本机加密缓存中，超过保留期限也不清除，供平台中断时查阅。",
  "chart.loading": "正在加载病历…",
  "chart.summary": "摘要",
  "chart.resourceCount": "平台记录共 {count} 条",
  "chart.sealed": "另有 {count} 条受限记录已封存，未予显示。",
  "chart.sealedOne": "另有 1 条受限记录已封存，未予显示。",
  "chart.problems": "当前诊断/问题",
  "chart.problemsEmpty": "平台无当前诊断记录",
  "chart.medications": "当前用药",
  "chart.medicationsEmpty": "平台无当前用药记录",
  "chart.allergies": "过敏史",
  "chart.allergiesEmpty": "平台无过敏记录（不代表患者无过敏）",
  "chart.labs": "近期检验",
  "chart.labsEmpty": "平台无检验结果",
  "chart.encounters": "就诊记录",
  "chart.encountersEmpty": "平台无就诊记录",
  "chart.asOfCache": "数据截至 {time} · 来自本机缓存",
  "chart.asOfPlatform": "数据截至 {time} · 来自区域平台",
  "chart.refreshing": "正在从区域平台更新…",
  "chart.staleUnreachable": "当前显示截至 {time} 的数据：无法连接区域平台",
  "chart.staleFailed": "当前显示截至 {time} 的数据：未能从区域平台更新病历",
  "chart.refreshRetry": "重试",

  "access.label": "您对该患者的调阅权限",
  "access.masked": "脱敏视图",
  "access.maskedHint": "按您的权限级别，证件号等身份信息和自由文本已脱敏，受限记录已封存。",
  "access.tier.treating": "诊治医生",
  "access.tier.clinician": "非诊治医生",
  "access.tier.deidentified": "去标识化",
  "access.tier.admin": "信息管理",
  "access.as.treating": "诊治医生",
  "access.as.clinician": "非诊治医生",
  "access.as.deidentified": "去标识化",
  "access.as.admin": "信息管理",
  "access.grounds.referral": "本科室转诊",
  "access.grounds.careTeam": "诊疗团队成员",
  "access.grounds.role": "按岗位角色",

  "glass.open": "紧急解封（破窗）",
  "glass.title": "紧急解封（破窗）",
  "glass.intro": "解封该患者的受限记录。仅在诊疗当下确有需要时使用。",
  "glass.reason": "理由",
  "glass.note": "说明（必填）",
  "glass.noteHint": "请说明为何需要查看该患者的封存记录。",
  "glass.noteCount": "{count} / {max}",
  "glass.warning": "解封 {minutes} 分钟后自动结束，并全程审计：您的姓名、理由和说明将被记录，解封期间的每次调阅均记入审计日志。",
  "glass.confirm": "解封记录",
  "glass.confirming": "正在解封…",
  "glass.cancel": "取消",
  "glass.noReasons": "隐私策略未配置解封理由，请联系信息科。",
  "glass.banner": "紧急解封有效至 {time}——每次调阅均被审计",
  "glass.end": "立即结束",
  "glass.ending": "正在结束…",

  "export.open": "导出 / 打印",
  "export.title": "导出或打印",
  "export.scope": "导出内容",
  "export.scope.chart": "完整病历",
  "export.scope.summary": "摘要：过敏史、当前诊断、当前用药和最近检验结果",
  "export.scope.allergies": "过敏史",
  "export.scope.problems": "当前诊断/问题",
  "export.scope.medications": "当前用药",
  "export.scope.labs": "近期检验",
  "export.scope.encounters": "就诊记录",
  "export.note": "每一页都带有水印和导出编号，本次导出将记入审计日志。",
  "export.save": "保存为 PDF…",
  "export.saving": "正在保存…",
  "export.print": "打印",
  "export.printing": "正在打印…",
  "export.close": "关闭",
  "export.saved": "已保存为 PDF · 导出编号 {id}，共 {pages} 页",
  "export.savedOne": "已保存为 PDF · 导出编号 {id}，共 1 页",
  "export.printed": "已发送到打印机 · 导出编号 {id}",

  "field.code": "编码",
  "field.status": "状态",
  "field.onset": "起病",
  "field.authored": "开具",
  "field.dosage": "用法用量",
  "field.criticality": "严重程度",
  "field.reactions": "反应",
  "field.source": "来源",
  "field.reason": "就诊原因",

  "labs.name": "项目",
  "labs.value": "结果",
  "labs.date": "日期",
  "labs.flag": "提示",
  "labs.source": "来源",

  "cache.withoutCache": "没有本机缓存，ChartGuard 仍可正常使用：病历将从区域平台调取。",
  "cache.reset": "重建本机缓存",
  "cache.resetting": "正在重建本机缓存…",

  "error.ConfigInvalid": "配置有误",
  "error.NotLoggedIn": "尚未登录",
  "error.InvalidCredentials": "用户名或密码错误",
  "error.AccountLocked": "账号已锁定",
  "error.SessionExpired": "会话已过期",
  "error.IdpUnreachable": "无法连接统一身份认证服务",
  "error.IdpError": "统一身份认证服务拒绝了本次登录",
  "error.AccessDenied": "无权查看",
  "error.ClockSkew": "本机时间不准确",
  "error.MissingRole": "该账号未被授予 ChartGuard 角色",
  "error.CertificateUntrusted": "服务器证书不受信任",
  "error.PlatformUnreachable": "无法连接区域平台",
  "error.PlatformError": "区域平台返回错误",
  "error.NotFound": "未找到",
  "error.MalformedData": "平台数据无法解析",
  "error.KeyringUnavailable": "系统密钥环不可用",
  "error.LoginCancelled": "已取消登录",
  "error.Superseded": "已打开另一份病历",
  "error.PolicyInvalid": "隐私策略有误，暂不显示患者数据",
  "error.CacheKeyMissing": "本机缓存密钥缺失",
  "error.CacheUnreadable": "本机缓存无法读取",
  "error.CacheBusy": "本机缓存正被另一个窗口使用",
  "error.DiskFull": "本机缓存已满",
  "error.ExportFailed": "导出失败",
  "error.PrintFailed": "打印失败",
  "error.AuditUnavailable": "操作留痕不可用",
  "error.Internal": "发生意外错误",
};

export const dictionaries: Readonly<Record<Locale, Record<MessageKey, string>>> = {
  "zh-CN": zhCN,
  en,
};

/** Looks up `key` and fills `{name}` placeholders from `params`. */
export function translate(
  locale: Locale,
  key: MessageKey,
  params?: Record<string, string | number>,
): string {
  const template = dictionaries[locale][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** Maps a BCP 47 tag such as `navigator.language` to a supported locale. */
export function detectLocale(tag: string | null | undefined): Locale {
  return tag?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export function errorHeadlineKey(code: ErrorCode): MessageKey {
  return `error.${code}`;
}

export function identifierKindKey(kind: IdentifierKind): MessageKey {
  return `idkind.${kind}`;
}

const GENDER_KEYS: Record<string, MessageKey> = {
  male: "gender.male",
  female: "gender.female",
  other: "gender.other",
  unknown: "gender.unknown",
};

/**
 * Localised label for a FHIR administrative-gender code; any other value is
 * shown as the core sent it.
 */
export function genderLabel(locale: Locale, gender: string): string {
  const key = GENDER_KEYS[gender];
  return key ? translate(locale, key) : gender;
}

const TIERS = ["treating", "clinician", "deidentified", "admin"] as const;
type KnownTier = (typeof TIERS)[number];

function isKnownTier(tier: string): tier is KnownTier {
  return (TIERS as readonly string[]).includes(tier);
}

/**
 * The access badge's two parts: what the doctor sees ("Treating", "Masked
 * view") and why ("referral to your department", "clinician"). A tier IT
 * added to the policy is shown by its policy name.
 */
export function accessSummary(locale: Locale, access: AccessView): { lead: string; why: string } {
  const tier = access.tier;
  if (access.masked) {
    return {
      lead: translate(locale, "access.masked"),
      why: isKnownTier(tier) ? translate(locale, `access.as.${tier}`) : tier,
    };
  }
  return {
    lead: isKnownTier(tier) ? translate(locale, `access.tier.${tier}`) : tier,
    why: translate(locale, `access.grounds.${access.grounds}`),
  };
}
