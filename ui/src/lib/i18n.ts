// Every string the UI itself shows, in both languages. Clinical content from
// the core is never translated here: it is displayed exactly as received.
import type { AccessView } from "../bindings/AccessView";
import type { AuditAction } from "../bindings/AuditAction";
import type { EncounterItemKind } from "../bindings/EncounterItemKind";
import type { EntrySource } from "../bindings/EntrySource";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { IdentifierKind } from "../bindings/IdentifierKind";
import type { ReferralDecision } from "../bindings/ReferralDecision";
import type { ResultFlag } from "../bindings/ResultFlag";
import type { ResultKind } from "../bindings/ResultKind";

export type Locale = "zh-CN" | "en";
export const LOCALES: readonly Locale[] = ["zh-CN", "en"];

const en = {
  "app.title": "ChartGuard Health Record Viewer",
  "app.subtitle": "Shared patient history from the regional health information platform",
  "app.loading": "Starting…",
  "app.startFailed": "ChartGuard could not start",
  "app.retry": "Retry",
  "app.version": "Version {version}",
  "diagnostics.open": "Copy diagnostics",
  "diagnostics.title": "Diagnostics for the help desk",
  "diagnostics.intro": "Version, settings, the workstation check and the latest log lines. No patient data is in it.",
  "diagnostics.loading": "Checking this workstation…",
  "diagnostics.copy": "Copy",
  "diagnostics.copied": "Copied to the clipboard",
  "diagnostics.copyFailed": "Could not copy: select the text and copy it by hand",
  "diagnostics.close": "Close",

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

  "lock.heading": "Screen locked",
  "lock.explain": "Locked for {name} after {minutes} minutes without use, or by the Lock button. Patient data was removed from the screen; unlock to return where you were.",
  "lock.unlock": "Unlock",
  "lock.browser": "Unlock with hospital account (browser)",
  "lock.logout": "Sign out, so someone else can sign in",
  "topbar.lock": "Lock",
  "topbar.diagnostics": "Diagnostics",

  "topbar.user": "Signed in as",
  "topbar.staffNo": "Staff No. {staffNo}",
  "topbar.logout": "Sign out",

  "search.heading": "Find a patient",
  "search.label": "Name, resident ID, MRN, insurance number or birth date",
  "search.submit": "Search",
  "search.shortcut": "Press {keys} or / to come back to this box from anywhere on this screen; the arrow keys move through the patients listed.",
  "search.searching": "Searching…",
  "search.count": "Patients found: {count}",
  "search.needQuery": "Enter a name, an identifier or a birth date.",
  "search.offline": "The regional platform cannot be reached: showing patients cached on this workstation",
  "search.accessDenied": "This account cannot search or read patient records: ChartGuard shows patient data only to clinical roles such as doctors and department heads. Ask IT if you need access.",
  "search.hint": "You can type a name, in part, in pinyin (zhangwei, zhang wei, or the initials zw) or in Chinese characters; a full ID number; part of an ID number with a name or a birth date (张 2252, zhang 1965); or a birth date (1965-03-15, 19650315, 1965/3/15, or a year).",
  "search.noMatch": "No patients found for “{query}”",
  "search.noMatchHelp": "Check what you typed, or search in another form:",
  "search.noMatchOffline": "While the regional platform cannot be reached, only patients cached on this workstation can be found.",
  "search.tooMany": "Too many matches ({total}) — narrow by birth date. Showing the first {shown}.",
  "search.tooManyUnknown": "Too many matches — narrow by birth date. Showing the first {shown}.",
  "search.birthDate": "Birth date",
  "search.birthDateHint": "For example 1965-03-15, 19650315, 1965/3/15, or a year",
  "search.birthDateInvalid": "Enter a birth date that is not after today, such as 1965-03-15, 19650315, 1965/3/15, or a year.",
  "search.narrow": "Narrow the search",
  "recent.heading": "Recent patients",
  "recent.empty": "The patients you open will be listed here, newest first.",
  "recent.unavailable": "Recent patients cannot be shown: {problem}",
  "patient.sex": "Sex",
  "patient.age": "Age",
  "age.years": "{count} years",
  "age.yearsOne": "1 year",
  "age.yearsRange": "{min}–{max} years",
  "age.months": "{count} months",
  "age.monthsOne": "1 month",
  "age.monthsRange": "{min}–{max} months",
  "age.days": "{count} days",
  "age.daysOne": "1 day",
  "age.daysRange": "{min}–{max} days",
  "header.notRecorded": "Not recorded",
  "header.unknown": "Unknown",
  "header.allergies": "Allergies: {count}",
  "header.allergiesHighest": "highest criticality: {criticality}",
  "header.allergiesNone": "No allergies recorded",
  "header.sealed": "{count} records sealed",
  "header.sealedOne": "1 record sealed",
  "header.sealedGo": "go to Break the glass",
  "header.asOfCache": "Data as of {time} ({ago}) · from this workstation's cache",
  "header.asOfPlatform": "Data as of {time} ({ago}) · from the regional platform",
  "criticality.high": "High",
  "criticality.low": "Low",
  "criticality.unable-to-assess": "Unable to assess",

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
  "chart.progress": "Loading chart: {received} records received…",
  "chart.progressOf": "Loading chart: {received} of {total} records received…",
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
  "problemStatus.active": "Active",
  "problemStatus.recurrence": "Recurrence",
  "problemStatus.relapse": "Relapse",
  "problemStatus.inactive": "Inactive",
  "problemStatus.remission": "In remission",
  "problemStatus.resolved": "Resolved",
  "problemStatus.unknown": "Unknown",
  "medStatus.active": "Active",
  "medStatus.on-hold": "On hold",
  "medStatus.ended": "Ended",
  "medStatus.stopped": "Stopped",
  "medStatus.completed": "Completed",
  "medStatus.cancelled": "Cancelled",
  "medStatus.entered-in-error": "Entered in error",
  "medStatus.draft": "Draft",
  "medStatus.intended": "Intended",
  "medStatus.not-taken": "Not taken",
  "medStatus.unknown": "Unknown",
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

  "nav.label": "Screens",
  "nav.search": "Find a patient",
  "nav.referrals": "Referrals",
  "nav.audit": "Audit trail",

  "referral.heading": "Referrals to your department",
  "referral.loading": "Loading referrals…",
  "referral.refresh": "Refresh",
  "referral.empty": "No referrals to your department",
  "referral.count": "Referrals: {count} · pending: {pending}",
  "referral.platformDecides": "Referrals are accepted or declined on the regional platform. Here you can read them and open the patient's chart.",
  "referral.authoredOn": "Referred",
  "referral.reason": "Reason",
  "referral.requester": "From",
  "referral.priority": "Priority",
  "referral.decision": "Decision",
  "referral.decisionNote": "Note",
  "referral.accept": "Accept",
  "referral.accepting": "Accepting…",
  "referral.decline": "Decline…",
  "referral.declineTitle": "Decline the referral",
  "referral.declineIntro": "The referral of {patient} goes back to the referring doctor with your note.",
  "referral.note": "Reason for declining (required)",
  "referral.noteHint": "The referring doctor reads this note.",
  "referral.noteCount": "{count} / {max}",
  "referral.confirmDecline": "Decline the referral",
  "referral.declining": "Declining…",
  "referral.cancel": "Cancel",
  "referral.back": "Back to referrals",
  "referral.bar": "Referral to your department",

  "decision.pending": "Pending",
  "decision.accepted": "Accepted",
  "decision.declined": "Declined",

  "priority.routine": "Routine",
  "priority.urgent": "Urgent",
  "priority.asap": "As soon as possible",
  "priority.stat": "Immediately (STAT)",

  "accessLog.open": "Who viewed",
  "accessLog.heading": "Who viewed this patient",
  "accessLog.close": "Close",
  "accessLog.reload": "Reload",
  "accessLog.loading": "Loading the access log…",
  "accessLog.empty": "No views, exports or unsealing of this patient are recorded.",
  "accessLog.glassOnly": "Only break-the-glass",
  "accessLog.glassEmpty": "No break-the-glass access to this patient is recorded.",
  "accessLog.count": "Entries: {count} · break the glass: {glass}",
  "accessLog.platformProblem": "Only this workstation's events are shown: the platform's audit events could not be read.",
  "accessLog.accessDenied": "You can see who viewed the patients of your department only.",
  "accessLog.who": "Who",
  "accessLog.purpose": "Purpose",
  "accessLog.workstation": "Workstation",
  "accessLog.detail": "Detail",
  "accessLog.outcome": "Outcome",
  "accessLog.source": "Recorded by",
  "accessLog.reason": "Reason",
  "accessLog.note": "Note",
  "accessLog.glass": "Break the glass",
  "accessLog.success": "Succeeded",
  "accessLog.failed": "Failed",

  "source.platform": "Platform",
  "source.local": "This workstation",
  "source.both": "Platform and this workstation",

  "purpose.TREAT": "Treatment",
  "purpose.ETREAT": "Emergency treatment",

  "action.login": "Sign-in",
  "action.loginFailed": "Failed sign-in",
  "action.logout": "Sign-out",
  "action.lock": "Screen locked",
  "action.unlock": "Screen unlocked",
  "action.patientSearch": "Patient search",
  "action.patientOpen": "Chart opened",
  "action.sectionView": "Section viewed",
  "action.breakGlassStart": "Break the glass started",
  "action.breakGlassEnd": "Break the glass ended",
  "action.export": "Export",
  "action.print": "Print",
  "action.exportDone": "Export finished",
  "action.watermarkTamper": "Watermark tampered with",
  "action.cachePurge": "Cache purged",
  "action.configChange": "Configuration changed",
  "action.accessDenied": "Access denied",
  "action.referralDecision": "Referral decision",
  "action.accessLogView": "Access log viewed",
  "action.other": "Other event",

  "audit.heading": "Audit trail",
  "audit.intro": "Counts and checks of this workstation's audit trail: no patient and no person is named here.",
  "audit.loading": "Verifying the audit trail…",
  "audit.verifyAgain": "Verify again",
  "audit.verifying": "Verifying…",
  "audit.verification": "Verification",
  "audit.verifyOk": "Intact: {checked} records checked, the chain holds",
  "audit.verifyBroken": "BROKEN at record #{record}",
  "audit.verifyBrokenSomewhere": "BROKEN",
  "audit.verifyChecked": "{checked} records checked",
  "audit.verifyAdvice": "Records of the trail were edited or deleted. Leave this workstation as it is and tell the security officer.",
  "audit.checkedAt": "Checked at {time}",
  "audit.summary": "Events",
  "audit.events": "Events recorded",
  "audit.oldest": "Oldest",
  "audit.newest": "Newest",
  "audit.retention": "Kept for at least",
  "audit.retentionDays": "{days} days",
  "audit.none": "None",
  "audit.byAction": "Events by action",
  "audit.action": "Action",
  "audit.count": "Count",
  "audit.noEvents": "No events recorded yet",
  "audit.outbox": "Forwarding to the platform",
  "audit.forwarding": "Forwarding",
  "audit.forwardingOn": "On",
  "audit.forwardingOff": "Off: the events stay on this workstation",
  "audit.pending": "Waiting",
  "audit.failing": "Failing",
  "audit.oldestPending": "Oldest waiting since",
  "audit.lastSent": "Last sent",
  "audit.lastError": "Last error",
  "audit.never": "Never",

  "error.ConfigInvalid": "Configuration problem",
  "error.Locked": "The screen is locked",
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

  // chart views
  "tabs.label": "Chart sections",
  "tabs.summary": "Summary",
  "tabs.timeline": "Timeline",
  "tabs.results": "Results",
  "tabs.documents": "Documents",

  "summary.vitals": "Latest vital signs",
  "summary.vitalsEmpty": "The platform has no vital signs",
  "summary.openSeriesHint": "Opens the trend in Results",
  "med.sources": "Recorded by",
  "med.record.MedicationRequest": "prescribed",
  "med.record.MedicationStatement": "reported",
  "med.alsoListedOne": "Also listed once more with a different dose or date",
  "med.alsoListed": "Also listed {count} more times with a different dose or date",

  "flag.normal": "Normal",
  "flag.high": "High",
  "flag.low": "Low",
  "flag.criticalHigh": "Critically high",
  "flag.criticalLow": "Critically low",
  "flag.abnormal": "Abnormal",

  "filter.legend": "Filters",
  "filter.hospital": "Hospital",
  "filter.allHospitals": "All hospitals",
  "filter.type": "Type",
  "filter.allTypes": "All types",
  "filter.period": "Period",
  "filter.from": "From",
  "filter.to": "To",
  "filter.clear": "Clear filters",
  "period.year": "Last 12 months",
  "period.fiveYears": "Last 5 years",
  "period.all": "All time",
  "period.custom": "From – to",
  "list.more": "Show {count} more",

  "timeline.heading": "Encounters across hospitals",
  "timeline.count": "Showing {shown} of {total} encounters",
  "timeline.countPaged": "Showing {shown} of {matching} matching encounters ({total} in all)",
  "timeline.undatedHidden": "{count} encounters without a date are not shown: a period cannot place them.",
  "timeline.undatedHiddenOne": "1 encounter without a date is not shown: a period cannot place it.",
  "timeline.none": "No encounter matches these filters.",
  "timeline.empty": "The platform has no encounters",
  "timeline.happened": "What happened",
  "timeline.nothing": "No diagnosis, procedure, result, medication or document names this encounter.",
  "timeline.until": "until {time}",
  "timeline.openDocument": "Read in Documents",
  "timeline.openSeries": "Show in Results",
  "timeline.items": "{count} records",
  "timeline.itemsOne": "1 record",
  "item.diagnosis": "Diagnoses",
  "item.procedure": "Procedures",
  "item.result": "Results",
  "item.medication": "Medications",
  "item.document": "Documents",
  "encounterClass.AMB": "Outpatient",
  "encounterClass.IMP": "Inpatient",
  "encounterClass.ACUTE": "Inpatient (acute)",
  "encounterClass.NONAC": "Inpatient (non-acute)",
  "encounterClass.EMER": "Emergency",
  "encounterClass.OBSENC": "Observation",
  "encounterClass.SS": "Day care",
  "encounterClass.HH": "Home health",
  "encounterClass.VR": "Virtual",
  "encounterClass.FLD": "Field",
  "encounterClass.PRENC": "Pre-admission",

  "results.heading": "Results",
  "results.find": "Find a result",
  "results.kind": "Kind",
  "results.allKinds": "Labs and vital signs",
  "results.kind.lab": "Lab",
  "results.kind.vital": "Vital sign",
  "results.count": "Showing {shown} of {total} results",
  "results.none": "No result matches.",
  "results.empty": "The platform has no results",
  "results.name": "Test",
  "results.latest": "Latest",
  "results.flag": "Flag",
  "results.date": "Date",
  "results.source": "Source",
  "results.choose": "Choose a result to see its trend and every value.",
  "results.range": "Reference range",
  "results.rangeNone": "no reference range",
  "results.trendOf": "Trend of {names}: {count} values from {from} to {to}",
  "results.legendRange": "Latest reference range",
  "results.legendAbnormal": "Outside the reference range",
  "results.textOnly": "These results are not numbers: there is no trend to draw.",
  "results.export": "Export trend",
  "results.allValues": "Every value",
  "results.recorded": "recorded as {value}",

  "docs.heading": "Documents",
  "docs.type": "Document type",
  "docs.allTypes": "All document types",
  "docs.count": "Showing {shown} of {total} documents",
  "docs.none": "No document matches these filters.",
  "docs.empty": "The platform has no documents",
  "docs.choose": "Choose a document to read it.",
  "docs.author": "Author",
  "docs.date": "Date",
  "docs.withheld": "Part of this document is not shown: it is not text (a scan or a file), or it is withheld at your access level.",
  "docs.noText": "This document has no text to show.",

  "export.scope.trend": "Trend of one result",
  "export.trendOf": "Trend of {name}",
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
  "diagnostics.open": "复制诊断信息",
  "diagnostics.title": "给信息科的诊断信息",
  "diagnostics.intro": "包括版本、配置、本机检查结果和最近的日志，不含任何患者信息。",
  "diagnostics.loading": "正在检查本机…",
  "diagnostics.copy": "复制",
  "diagnostics.copied": "已复制到剪贴板",
  "diagnostics.copyFailed": "无法复制：请选中文字后手动复制",
  "diagnostics.close": "关闭",

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

  "lock.heading": "屏幕已锁定",
  "lock.explain": "{name} 的屏幕已锁定（{minutes} 分钟未操作，或点击了“锁定”）。患者数据已从屏幕移除；解锁后回到原来的位置。",
  "lock.unlock": "解锁",
  "lock.browser": "使用医院账号解锁（浏览器）",
  "lock.logout": "退出登录，以便他人登录",
  "topbar.lock": "锁定",
  "topbar.diagnostics": "诊断信息",

  "topbar.user": "当前用户",
  "topbar.staffNo": "工号 {staffNo}",
  "topbar.logout": "退出登录",

  "search.heading": "查找患者",
  "search.label": "姓名、身份证号、病历号、医保号或出生日期",
  "search.submit": "搜索",
  "search.shortcut": "在本页任意位置按 {keys} 或 / 可回到此搜索框；方向键可在列出的患者间移动。",
  "search.searching": "正在搜索…",
  "search.count": "找到 {count} 位患者",
  "search.needQuery": "请输入姓名、证件号或出生日期。",
  "search.offline": "无法连接区域平台：以下为本机缓存的患者",
  "search.accessDenied": "该账号不能查找或调阅患者病历：ChartGuard 仅向医生、科主任等临床角色显示患者数据。如需权限，请联系信息科。",
  "search.hint": "可输入：姓名（部分姓名、拼音如 zhangwei、zhang wei 或首字母 zw，或汉字）；完整证件号；证件号片段加姓名或出生日期（如“张 2252”“zhang 1965”）；或出生日期（1965-03-15、19650315、1965/3/15 或年份）。",
  "search.noMatch": "未找到与“{query}”匹配的患者",
  "search.noMatchHelp": "请检查输入，或换一种方式查找：",
  "search.noMatchOffline": "区域平台无法连接期间，只能找到本机缓存的患者。",
  "search.tooMany": "匹配结果过多（{total} 位）——请用出生日期缩小范围。以下仅列出前 {shown} 位。",
  "search.tooManyUnknown": "匹配结果过多——请用出生日期缩小范围。以下仅列出前 {shown} 位。",
  "search.birthDate": "出生日期",
  "search.birthDateHint": "例如 1965-03-15、19650315、1965/3/15 或年份",
  "search.birthDateInvalid": "请输入不晚于今天的出生日期，如 1965-03-15、19650315、1965/3/15 或年份。",
  "search.narrow": "缩小范围",
  "recent.heading": "最近调阅的患者",
  "recent.empty": "您调阅过的患者将列在这里，最近的在前。",
  "recent.unavailable": "无法显示最近调阅的患者：{problem}",
  "patient.sex": "性别",
  "patient.age": "年龄",
  "age.years": "{count}岁",
  "age.yearsOne": "1岁",
  "age.yearsRange": "{min}–{max}岁",
  "age.months": "{count}个月",
  "age.monthsOne": "1个月",
  "age.monthsRange": "{min}–{max}个月",
  "age.days": "{count}天",
  "age.daysOne": "1天",
  "age.daysRange": "{min}–{max}天",
  "header.notRecorded": "未记录",
  "header.unknown": "不详",
  "header.allergies": "过敏 {count} 项",
  "header.allergiesHighest": "最高严重程度：{criticality}",
  "header.allergiesNone": "未记录过敏",
  "header.sealed": "{count} 条记录已封存",
  "header.sealedOne": "1 条记录已封存",
  "header.sealedGo": "前往紧急解封",
  "header.asOfCache": "数据截至 {time}（{ago}）· 来自本机缓存",
  "header.asOfPlatform": "数据截至 {time}（{ago}）· 来自区域平台",
  "criticality.high": "高",
  "criticality.low": "低",
  "criticality.unable-to-assess": "无法评估",

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
  "chart.progress": "正在加载病历：已接收 {received} 条记录…",
  "chart.progressOf": "正在加载病历：已接收 {received} / {total} 条记录…",
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
  "problemStatus.active": "活动",
  "problemStatus.recurrence": "再发",
  "problemStatus.relapse": "复发",
  "problemStatus.inactive": "非活动",
  "problemStatus.remission": "缓解",
  "problemStatus.resolved": "已痊愈",
  "problemStatus.unknown": "未知",
  "medStatus.active": "在用",
  "medStatus.on-hold": "暂停",
  "medStatus.ended": "已结束",
  "medStatus.stopped": "已停用",
  "medStatus.completed": "已完成",
  "medStatus.cancelled": "已取消",
  "medStatus.entered-in-error": "录入错误",
  "medStatus.draft": "草稿",
  "medStatus.intended": "拟用",
  "medStatus.not-taken": "未服用",
  "medStatus.unknown": "未知",
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

  "nav.label": "功能导航",
  "nav.search": "查找患者",
  "nav.referrals": "转诊",
  "nav.audit": "操作留痕",

  "referral.heading": "转入本科室的转诊",
  "referral.loading": "正在加载转诊…",
  "referral.refresh": "刷新",
  "referral.empty": "暂无转入本科室的转诊",
  "referral.count": "转诊 {count} 条 · 待处理 {pending} 条",
  "referral.platformDecides": "转诊的接收或拒绝在区域平台上办理。此处可查看转诊并打开患者病历。",
  "referral.authoredOn": "转诊日期",
  "referral.reason": "转诊原因",
  "referral.requester": "转出方",
  "referral.priority": "优先级",
  "referral.decision": "处理结果",
  "referral.decisionNote": "处理意见",
  "referral.accept": "接收",
  "referral.accepting": "正在接收…",
  "referral.decline": "拒绝…",
  "referral.declineTitle": "拒绝转诊",
  "referral.declineIntro": "{patient} 的转诊将连同您的意见退回转出方。",
  "referral.note": "拒绝理由（必填）",
  "referral.noteHint": "转出医生将看到此意见。",
  "referral.noteCount": "{count} / {max}",
  "referral.confirmDecline": "确认拒绝",
  "referral.declining": "正在拒绝…",
  "referral.cancel": "取消",
  "referral.back": "返回转诊列表",
  "referral.bar": "转入本科室的转诊",

  "decision.pending": "待处理",
  "decision.accepted": "已接收",
  "decision.declined": "已拒绝",

  "priority.routine": "常规",
  "priority.urgent": "紧急",
  "priority.asap": "尽快",
  "priority.stat": "立即",

  "accessLog.open": "调阅记录",
  "accessLog.heading": "该患者的调阅记录",
  "accessLog.close": "关闭",
  "accessLog.reload": "重新加载",
  "accessLog.loading": "正在加载调阅记录…",
  "accessLog.empty": "暂无该患者的调阅、导出或解封记录。",
  "accessLog.glassOnly": "仅看紧急解封",
  "accessLog.glassEmpty": "暂无该患者的紧急解封记录。",
  "accessLog.count": "共 {count} 条 · 紧急解封 {glass} 条",
  "accessLog.platformProblem": "仅显示本机的操作记录：未能读取区域平台的审计事件。",
  "accessLog.accessDenied": "仅可查看本科室患者的调阅记录。",
  "accessLog.who": "调阅人",
  "accessLog.purpose": "目的",
  "accessLog.workstation": "工作站",
  "accessLog.detail": "详情",
  "accessLog.outcome": "结果",
  "accessLog.source": "记录来源",
  "accessLog.reason": "解封理由",
  "accessLog.note": "说明",
  "accessLog.glass": "紧急解封（破窗）",
  "accessLog.success": "成功",
  "accessLog.failed": "失败",

  "source.platform": "区域平台",
  "source.local": "本机",
  "source.both": "区域平台及本机",

  "purpose.TREAT": "诊疗",
  "purpose.ETREAT": "紧急诊疗",

  "action.login": "登录",
  "action.loginFailed": "登录失败",
  "action.logout": "退出登录",
  "action.lock": "锁屏",
  "action.unlock": "解锁",
  "action.patientSearch": "查找患者",
  "action.patientOpen": "打开病历",
  "action.sectionView": "查看病历内容",
  "action.breakGlassStart": "紧急解封开始",
  "action.breakGlassEnd": "紧急解封结束",
  "action.export": "导出",
  "action.print": "打印",
  "action.exportDone": "导出完成",
  "action.watermarkTamper": "水印被篡改",
  "action.cachePurge": "清除缓存",
  "action.configChange": "配置变更",
  "action.accessDenied": "拒绝访问",
  "action.referralDecision": "处理转诊",
  "action.accessLogView": "查看调阅记录",
  "action.other": "其他事件",

  "audit.heading": "操作留痕",
  "audit.intro": "本机操作留痕的统计与校验：此处不显示任何患者或人员。",
  "audit.loading": "正在校验操作留痕…",
  "audit.verifyAgain": "重新校验",
  "audit.verifying": "正在校验…",
  "audit.verification": "完整性校验",
  "audit.verifyOk": "完好：已校验 {checked} 条记录，哈希链完整",
  "audit.verifyBroken": "已损坏：第 {record} 条记录起",
  "audit.verifyBrokenSomewhere": "已损坏",
  "audit.verifyChecked": "已校验 {checked} 条记录",
  "audit.verifyAdvice": "留痕记录被修改或删除。请保持本机现状，并报告信息安全负责人。",
  "audit.checkedAt": "校验时间 {time}",
  "audit.summary": "事件",
  "audit.events": "记录事件数",
  "audit.oldest": "最早",
  "audit.newest": "最新",
  "audit.retention": "至少保留",
  "audit.retentionDays": "{days} 天",
  "audit.none": "无",
  "audit.byAction": "按操作统计",
  "audit.action": "操作",
  "audit.count": "次数",
  "audit.noEvents": "尚无记录",
  "audit.outbox": "向区域平台转发",
  "audit.forwarding": "转发",
  "audit.forwardingOn": "已开启",
  "audit.forwardingOff": "未开启：事件仅保存在本机",
  "audit.pending": "待发送",
  "audit.failing": "发送失败",
  "audit.oldestPending": "最早待发送",
  "audit.lastSent": "最近发送",
  "audit.lastError": "最近错误",
  "audit.never": "从未",

  "error.ConfigInvalid": "配置有误",
  "error.Locked": "屏幕已锁定",
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

  // chart views
  "tabs.label": "病历内容",
  "tabs.summary": "摘要",
  "tabs.timeline": "就诊时间轴",
  "tabs.results": "检验与体征",
  "tabs.documents": "文书",

  "summary.vitals": "最近生命体征",
  "summary.vitalsEmpty": "平台无生命体征记录",
  "summary.openSeriesHint": "在“检验与体征”中查看趋势",
  "med.sources": "记录来源",
  "med.record.MedicationRequest": "处方",
  "med.record.MedicationStatement": "用药记录",
  "med.alsoListedOne": "同一药物另有 1 条剂量或日期不同的记录",
  "med.alsoListed": "同一药物另有 {count} 条剂量或日期不同的记录",

  "flag.normal": "正常",
  "flag.high": "偏高",
  "flag.low": "偏低",
  "flag.criticalHigh": "危急偏高",
  "flag.criticalLow": "危急偏低",
  "flag.abnormal": "异常",

  "filter.legend": "筛选",
  "filter.hospital": "医院",
  "filter.allHospitals": "全部医院",
  "filter.type": "类型",
  "filter.allTypes": "全部类型",
  "filter.period": "时间范围",
  "filter.from": "起",
  "filter.to": "止",
  "filter.clear": "清除筛选",
  "period.year": "近一年",
  "period.fiveYears": "近五年",
  "period.all": "全部",
  "period.custom": "自定义起止日期",
  "list.more": "再显示 {count} 条",

  "timeline.heading": "各医院就诊记录",
  "timeline.count": "显示 {shown} / {total} 次就诊",
  "timeline.countPaged": "显示 {shown} / {matching} 次符合条件的就诊（共 {total} 次）",
  "timeline.undatedHidden": "另有 {count} 次就诊没有日期，按时间范围筛选时未显示。",
  "timeline.undatedHiddenOne": "另有 1 次就诊没有日期，按时间范围筛选时未显示。",
  "timeline.none": "没有符合筛选条件的就诊记录。",
  "timeline.empty": "平台无就诊记录",
  "timeline.happened": "本次就诊内容",
  "timeline.nothing": "没有诊断、操作、检验结果、用药或文书关联到本次就诊。",
  "timeline.until": "至 {time}",
  "timeline.openDocument": "在“文书”中阅读",
  "timeline.openSeries": "在“检验与体征”中查看",
  "timeline.items": "{count} 条记录",
  "timeline.itemsOne": "1 条记录",
  "item.diagnosis": "诊断",
  "item.procedure": "操作与手术",
  "item.result": "检验与体征",
  "item.medication": "用药",
  "item.document": "文书",
  "encounterClass.AMB": "门诊",
  "encounterClass.IMP": "住院",
  "encounterClass.ACUTE": "住院（急性）",
  "encounterClass.NONAC": "住院（非急性）",
  "encounterClass.EMER": "急诊",
  "encounterClass.OBSENC": "留观",
  "encounterClass.SS": "日间诊疗",
  "encounterClass.HH": "居家医疗",
  "encounterClass.VR": "远程诊疗",
  "encounterClass.FLD": "院外诊疗",
  "encounterClass.PRENC": "入院前评估",

  "results.heading": "检验与体征",
  "results.find": "查找项目",
  "results.kind": "类别",
  "results.allKinds": "检验和生命体征",
  "results.kind.lab": "检验",
  "results.kind.vital": "生命体征",
  "results.count": "显示 {shown} / {total} 项",
  "results.none": "没有符合条件的项目。",
  "results.empty": "平台无检验或生命体征结果",
  "results.name": "项目",
  "results.latest": "最近结果",
  "results.flag": "提示",
  "results.date": "日期",
  "results.source": "来源",
  "results.choose": "选择一个项目，查看其趋势和全部结果。",
  "results.range": "参考范围",
  "results.rangeNone": "无参考范围",
  "results.trendOf": "{names}趋势：{from} 至 {to} 共 {count} 次结果",
  "results.legendRange": "最近一次参考范围",
  "results.legendAbnormal": "超出参考范围",
  "results.textOnly": "这些结果不是数值，无法绘制趋势图。",
  "results.export": "导出趋势图",
  "results.allValues": "全部结果",
  "results.recorded": "原始记录 {value}",

  "docs.heading": "文书",
  "docs.type": "文书类型",
  "docs.allTypes": "全部文书类型",
  "docs.count": "显示 {shown} / {total} 份文书",
  "docs.none": "没有符合筛选条件的文书。",
  "docs.empty": "平台无文书",
  "docs.choose": "选择一份文书进行阅读。",
  "docs.author": "作者",
  "docs.date": "日期",
  "docs.withheld": "本文书部分内容未显示：非文字内容（扫描件或文件），或按您的调阅权限不予显示。",
  "docs.noText": "本文书没有可显示的文字。",

  "export.scope.trend": "单项结果趋势图",
  "export.trendOf": "{name}趋势图",
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

// The label keys below are template literals over the generated types: when
// the core adds a value, they stop compiling until both dictionaries label it.

export function auditActionKey(action: AuditAction): MessageKey {
  return `action.${action}`;
}

export function referralDecisionKey(decision: ReferralDecision): MessageKey {
  return `decision.${decision}`;
}

export function entrySourceKey(source: EntrySource): MessageKey {
  return `source.${source}`;
}

// Keyed by the generated type, so that the list below is complete.
const AUDIT_ACTION_SET: Record<AuditAction, true> = {
  login: true,
  loginFailed: true,
  logout: true,
  lock: true,
  unlock: true,
  patientSearch: true,
  patientOpen: true,
  sectionView: true,
  breakGlassStart: true,
  breakGlassEnd: true,
  export: true,
  print: true,
  exportDone: true,
  watermarkTamper: true,
  cachePurge: true,
  configChange: true,
  accessDenied: true,
  referralDecision: true,
  accessLogView: true,
  other: true,
};
/** Every audit action the UI labels, in the contract's order. */
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.keys(AUDIT_ACTION_SET) as AuditAction[];

const PRIORITY_KEYS: Record<string, MessageKey> = {
  routine: "priority.routine",
  urgent: "priority.urgent",
  asap: "priority.asap",
  stat: "priority.stat",
};

/** A FHIR request priority (`routine`, `urgent`, `asap`, `stat`); any other value as the core sent it. */
export function priorityLabel(locale: Locale, priority: string): string {
  const key = PRIORITY_KEYS[priority];
  return key ? translate(locale, key) : priority;
}

const PURPOSE_KEYS: Record<string, MessageKey> = {
  TREAT: "purpose.TREAT",
  ETREAT: "purpose.ETREAT",
};

/** A purpose of use (`TREAT`, `ETREAT`); any other code as the core sent it. */
export function purposeLabel(locale: Locale, purpose: string): string {
  const key = PURPOSE_KEYS[purpose];
  return key ? translate(locale, key) : purpose;
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

// Labels of the chart views. The keys of the generated unions are template
// literals, so a flag or kind the core adds stops compiling until both
// dictionaries label it; open value sets (encounter classes, criticality,
// record types) fall back to what the core sent.

export function resultFlagKey(flag: ResultFlag): MessageKey {
  return `flag.${flag}`;
}

export function encounterItemKindKey(kind: EncounterItemKind): MessageKey {
  return `item.${kind}`;
}

export function resultKindKey(kind: ResultKind): MessageKey {
  return `results.kind.${kind}`;
}

const ENCOUNTER_CLASS_KEYS: Record<string, MessageKey> = {
  AMB: "encounterClass.AMB",
  IMP: "encounterClass.IMP",
  ACUTE: "encounterClass.ACUTE",
  NONAC: "encounterClass.NONAC",
  EMER: "encounterClass.EMER",
  OBSENC: "encounterClass.OBSENC",
  SS: "encounterClass.SS",
  HH: "encounterClass.HH",
  VR: "encounterClass.VR",
  FLD: "encounterClass.FLD",
  PRENC: "encounterClass.PRENC",
};

/**
 * An encounter class's v3 ActCode (`AMB`, `IMP`, `EMER`…) in the locale;
 * `null` for a code the UI does not know (then show the hospital's own
 * wording, `EncounterView.class`).
 */
export function encounterClassLabel(locale: Locale, code: string): string | null {
  const key = ENCOUNTER_CLASS_KEYS[code.toUpperCase()];
  return key ? translate(locale, key) : null;
}

const CRITICALITY_KEYS: Record<string, MessageKey> = {
  high: "criticality.high",
  low: "criticality.low",
  "unable-to-assess": "criticality.unable-to-assess",
};

/** An allergy's FHIR criticality (`high`, `low`, `unable-to-assess`); any other value as sent. */
export function criticalityLabel(locale: Locale, criticality: string): string {
  const key = CRITICALITY_KEYS[criticality];
  return key ? translate(locale, key) : criticality;
}

const MEDICATION_RECORD_KEYS: Record<string, MessageKey> = {
  MedicationRequest: "med.record.MedicationRequest",
  MedicationStatement: "med.record.MedicationStatement",
};

/** Whether a hospital prescribed a medicine or recorded it as taken; any other record type as sent. */
export function medicationRecordLabel(locale: Locale, record: string): string {
  const key = MEDICATION_RECORD_KEYS[record];
  return key ? translate(locale, key) : record;
}

const PROBLEM_STATUSES = ["active", "recurrence", "relapse", "inactive", "remission", "resolved", "unknown"] as const;
const MEDICATION_STATUSES = [
  "active", "on-hold", "ended", "stopped", "completed", "cancelled", "entered-in-error", "draft", "intended", "not-taken", "unknown",
] as const;

/** A problem's FHIR clinical status (`active`, `resolved`…) in the locale; any other value as sent. */
export function problemStatusLabel(locale: Locale, status: string): string {
  const known = PROBLEM_STATUSES.find((code) => code === status);
  return known ? translate(locale, `problemStatus.${known}`) : status;
}

/** A medication's FHIR status (`active`, `stopped`…) in the locale; any other value as sent. */
export function medicationStatusLabel(locale: Locale, status: string): string {
  const known = MEDICATION_STATUSES.find((code) => code === status);
  return known ? translate(locale, `medStatus.${known}`) : status;
}
