//! The words of an export, in the UI's two languages (the same terms as the
//! chart on screen).

use crate::view::{AccessGrounds, IdentifierKind, ResultFlag};

#[derive(Debug)]
pub(crate) struct Labels {
    pub(crate) title: &'static str,
    pub(crate) gender: &'static str,
    pub(crate) birth_date: &'static str,
    pub(crate) phone: &'static str,
    pub(crate) address: &'static str,
    pub(crate) access: &'static str,
    pub(crate) masked: &'static str,
    pub(crate) as_of_cache: &'static str,
    pub(crate) as_of_platform: &'static str,
    pub(crate) break_glass_until: &'static str,
    /// `{count}` is replaced.
    pub(crate) sealed: &'static str,
    /// `{count}` is replaced.
    pub(crate) missing_glyphs: &'static str,
    pub(crate) allergies: &'static str,
    pub(crate) problems: &'static str,
    pub(crate) medications: &'static str,
    pub(crate) labs: &'static str,
    pub(crate) encounters: &'static str,
    pub(crate) none: &'static str,
    pub(crate) status: &'static str,
    pub(crate) onset: &'static str,
    pub(crate) prescribed: &'static str,
    pub(crate) dosage: &'static str,
    pub(crate) criticality: &'static str,
    pub(crate) reactions: &'static str,
    pub(crate) source: &'static str,
    pub(crate) reason: &'static str,
    /// `{name}` is replaced.
    pub(crate) trend: &'static str,
    pub(crate) reference_range: &'static str,
    pub(crate) recorded_as: &'static str,
    /// Normal, high, low, critically high, critically low, abnormal.
    flags: [&'static str; 6],
    pub(crate) exported: &'static str,
    pub(crate) printed: &'static str,
    pub(crate) by: &'static str,
    /// `{n}` and `{m}` are replaced.
    pub(crate) page: &'static str,
    grounds: [&'static str; 3],
    identifier_kinds: [&'static str; 5],
    /// The default policy's tiers; other tiers show by their policy name.
    tiers: [(&'static str, &'static str); 4],
}

const EN: Labels = Labels {
    title: "Shared health record",
    gender: "Sex",
    birth_date: "Born",
    phone: "Phone",
    address: "Address",
    access: "Access",
    masked: "masked view",
    as_of_cache: "Data as of {time}, from this workstation's cache",
    as_of_platform: "Data as of {time}, from the regional platform",
    break_glass_until: "Break-the-glass access until {time}",
    sealed: "{count} restricted records are sealed and not included.",
    missing_glyphs: "{count} characters the export font cannot show are marked □.",
    allergies: "Allergies",
    problems: "Active problems",
    medications: "Current medications",
    labs: "Recent labs",
    encounters: "Encounters",
    none: "None on the platform",
    status: "Status",
    onset: "Onset",
    prescribed: "Prescribed",
    dosage: "Dosage",
    criticality: "Criticality",
    reactions: "Reactions",
    source: "Source",
    reason: "Reason",
    trend: "Results over time: {name}",
    reference_range: "Reference range",
    recorded_as: "recorded as",
    flags: [
        "normal",
        "high",
        "low",
        "critically high",
        "critically low",
        "abnormal",
    ],
    exported: "Export",
    printed: "Print",
    by: "by",
    page: "Page {n}/{m}",
    grounds: ["by role", "referral to the department", "care team"],
    identifier_kinds: ["Resident ID", "MRN", "Insurance", "Passport", "ID"],
    tiers: [
        ("treating", "treating"),
        ("clinician", "clinician"),
        ("deidentified", "de-identified"),
        ("admin", "IT administration"),
    ],
};

const ZH: Labels = Labels {
    title: "区域共享病历",
    gender: "性别",
    birth_date: "出生日期",
    phone: "电话",
    address: "地址",
    access: "调阅权限",
    masked: "脱敏视图",
    as_of_cache: "数据截至 {time}，来自本机缓存",
    as_of_platform: "数据截至 {time}，来自区域平台",
    break_glass_until: "紧急授权调阅至 {time}",
    sealed: "另有 {count} 条受限记录已封存，未包含在内。",
    missing_glyphs: "有 {count} 个字符无法用导出字体显示，已以 □ 标出。",
    allergies: "过敏史",
    problems: "当前诊断/问题",
    medications: "当前用药",
    labs: "近期检验",
    encounters: "就诊记录",
    none: "平台无记录",
    status: "状态",
    onset: "起病",
    prescribed: "开具",
    dosage: "用法用量",
    criticality: "严重程度",
    reactions: "反应",
    source: "来源",
    reason: "就诊原因",
    trend: "结果趋势：{name}",
    reference_range: "参考范围",
    recorded_as: "原始记录",
    flags: ["正常", "偏高", "偏低", "危急偏高", "危急偏低", "异常"],
    exported: "导出",
    printed: "打印",
    by: "操作人",
    page: "第 {n}/{m} 页",
    grounds: ["按岗位角色", "本科室转诊", "诊疗团队成员"],
    identifier_kinds: ["身份证", "病历号", "医保号", "护照", "证件"],
    tiers: [
        ("treating", "诊治医生"),
        ("clinician", "非诊治医生"),
        ("deidentified", "去标识化"),
        ("admin", "信息管理"),
    ],
};

impl Labels {
    /// The labels for a UI locale (`zh-CN`, `en`); other locales get English.
    pub(crate) fn for_locale(locale: &str) -> &'static Labels {
        match locale {
            "zh-CN" | "zh" => &ZH,
            _ => &EN,
        }
    }

    pub(crate) fn flag(&self, flag: ResultFlag) -> &'static str {
        self.flags[match flag {
            ResultFlag::Normal => 0,
            ResultFlag::High => 1,
            ResultFlag::Low => 2,
            ResultFlag::CriticalHigh => 3,
            ResultFlag::CriticalLow => 4,
            ResultFlag::Abnormal => 5,
        }]
    }

    pub(crate) fn grounds(&self, grounds: AccessGrounds) -> &'static str {
        self.grounds[match grounds {
            AccessGrounds::Role => 0,
            AccessGrounds::Referral => 1,
            AccessGrounds::CareTeam => 2,
        }]
    }

    pub(crate) fn tier<'a>(&self, tier: &'a str) -> &'a str {
        self.tiers
            .iter()
            .find(|(name, _)| *name == tier)
            .map_or(tier, |(_, label)| label)
    }

    pub(crate) fn identifier_kind(&self, kind: IdentifierKind) -> &'static str {
        self.identifier_kinds[match kind {
            IdentifierKind::ResidentId => 0,
            IdentifierKind::Mrn => 1,
            IdentifierKind::Insurance => 2,
            IdentifierKind::Passport => 3,
            IdentifierKind::Other => 4,
        }]
    }
}
