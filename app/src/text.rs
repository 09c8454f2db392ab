//! Every user-facing sentence the server sends that is not part of one page's
//! markup: labels of domain codes (roles, record kinds, audit actions), the
//! rating-form refusals, and the pages of errors — zh-CN first, then English.
//! The server and the island look them up here by code, never write them.

use crate::Lang;
use domain::{RatingError, Role};

/// A role as people read it.
pub fn role(lang: Lang, r: Role) -> String {
    match lang {
        Lang::Zh => r.label_zh().to_string(),
        Lang::En => r.label_en().to_string(),
    }
}

/// A kind of record of the organisation tree (its list page's title).
#[cfg(feature = "ssr")]
pub fn kind(lang: Lang, k: store::admin::Kind) -> String {
    use store::admin::Kind;
    let (zh, en) = match k {
        Kind::Regions => ("行政区划", "Regions"),
        Kind::Units => ("部门", "Units"),
        Kind::Halls => ("大厅", "Halls"),
        Kind::Windows => ("窗口", "Windows"),
        Kind::Staff => ("工作人员", "Staff"),
        Kind::Items => ("政务服务事项", "Service items"),
        Kind::Clients => ("业务系统接口", "API clients"),
    };
    lang.t(zh, en).to_string()
}

/// The audit action as people read it; the stored code stays stable.
pub fn audit_action(lang: Lang, code: &str) -> String {
    let zh = match code {
        "create" => "新增",
        "update" => "修改",
        "delete" => "删除",
        "deactivate" => "停用",
        "activate" => "启用",
        "revoke" => "吊销",
        "sign_in" => "登录",
        "sign_in_failed" => "登录失败",
        "sign_in_locked" => "锁定期间尝试登录",
        "locked" => "连续失败被锁定",
        "sign_out" => "退出",
        "password_change" => "修改密码",
        "password_reset" => "重置密码",
        "unlock" => "解除锁定",
        "photo" => "上传照片",
        "pair_start" => "生成配对码",
        _ => return code.to_string(),
    };
    match lang {
        Lang::Zh => format!("{zh} ({code})"),
        Lang::En => code.to_string(),
    }
}

/// Why a rating (of the item, or of the staff member when `staff`) was refused.
pub fn rating_error(lang: Lang, e: &RatingError, staff: bool) -> &'static str {
    match (e, staff) {
        (RatingError::UnknownLevel(l), false) if l.is_empty() => {
            lang.t("请选择对办理事项的评价。", "Please choose a rating for the service.")
        }
        (RatingError::ReasonRequired, false) => lang.t("差评请至少选择一项原因。", "A bad rating needs at least one reason."),
        (RatingError::ReasonRequired, true) => lang.t(
            "对工作人员的差评请至少选择一项原因。",
            "A bad rating of the staff member needs at least one reason.",
        ),
        (RatingError::Comment(_), _) => lang.t(
            "意见内容过长（最多 500 字）或含有无效字符。",
            "The comment is too long (500 characters at most) or has invalid characters.",
        ),
        _ => lang.t("提交的评价无效，请重新选择。", "The rating could not be read; please choose again."),
    }
}

/// A submission that is not UTF-8 text.
pub fn not_utf8(lang: Lang) -> &'static str {
    lang.t("提交内容不是有效的 UTF-8 文本。", "The submission is not valid UTF-8 text.")
}

/// The pages of errors: (title, text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No such page (any path).
    PageNotFound,
    /// No such record (inside the signed-in frame).
    RecordNotFound,
    /// The role or scope does not cover it.
    Forbidden,
    /// The form's CSRF token is missing or stale.
    FormExpired,
    /// The request could not be read.
    BadRequest,
    /// A number in the address is out of its range.
    OutOfRange,
    /// Anything else; logged on the server.
    Internal,
    /// A rating link that does not exist.
    LinkUnknown,
    /// A rating link whose time is over.
    LinkExpired,
    /// A rating link already used: the rating is stored.
    LinkUsed,
}

pub fn problem(lang: Lang, p: Problem) -> (&'static str, &'static str) {
    match p {
        Problem::PageNotFound => (lang.t("页面不存在", "Page not found"), lang.t("请检查地址。", "Check the address.")),
        Problem::RecordNotFound => (lang.t("未找到", "Not found"), lang.t("没有这条记录。", "There is no such record.")),
        Problem::Forbidden => (
            lang.t("无权访问", "Not allowed"),
            lang.t(
                "您的角色或管理范围不包含此页面或此记录。",
                "Your role or scope does not cover this page or record.",
            ),
        ),
        Problem::FormExpired => (
            lang.t("表单已失效", "Form expired"),
            lang.t(
                "表单已失效或来自其他网站，没有保存任何内容。请返回、刷新页面后重试。",
                "The form expired or came from another site; nothing was saved. Go back, reload the page and try again.",
            ),
        ),
        Problem::BadRequest => (
            lang.t("无效的请求", "Invalid request"),
            lang.t(
                "请求的地址或参数无法读取，请检查后重试。",
                "The address or its parameters could not be read; check them and try again.",
            ),
        ),
        Problem::OutOfRange => (
            lang.t("参数超出范围", "Out of range"),
            lang.t(
                "地址中的页码或数字超出了允许的范围，请返回列表重新打开。",
                "A page number or other number in the address is out of range; go back to the list and open it again.",
            ),
        ),
        Problem::Internal => (
            lang.t("系统繁忙", "Something went wrong"),
            lang.t("请稍后再试。您的操作没有被保存。", "Please try again later. Nothing was saved."),
        ),
        Problem::LinkUnknown => (
            lang.t("评价链接无效", "This rating link is not valid"),
            lang.t(
                "请检查链接或重新扫描窗口的二维码。",
                "Check the link, or scan the window's QR code again.",
            ),
        ),
        Problem::LinkExpired => (
            lang.t("评价链接已过期", "This rating link has expired"),
            lang.t(
                "如需评价，请联系办理窗口或通过政务服务网评价。",
                "To rate, please ask at the window or use the online service portal.",
            ),
        ),
        Problem::LinkUsed => (
            lang.t("已评价", "Already rated"),
            lang.t("本次服务已评价，感谢您的参与！", "This service has already been rated. Thank you!"),
        ),
    }
}

/// Why a field was refused, as a form shows it next to the field (the API
/// prefixes the field's name).
#[cfg(feature = "ssr")]
pub fn reason(lang: Lang, r: &store::Reason) -> String {
    use store::Reason as R;
    let zh_en = |zh: String, en: String| match lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    match r {
        R::Required => zh_en("必填".into(), "is required".into()),
        R::TooLong { max } => zh_en(format!("最多 {max} 个字符"), format!("must be at most {max} characters")),
        R::ControlCharacters => zh_en("不能含有控制字符".into(), "must not contain control characters".into()),
        R::Printable { max } => zh_en(
            format!("应为 1–{max} 个可显示字符"),
            format!("must be 1–{max} printable characters"),
        ),
        R::NotTime => zh_en(
            "应为 RFC 3339 时间，如 2026-11-27T09:30:00+08:00".into(),
            "must be an RFC 3339 time, e.g. 2026-11-27T09:30:00+08:00".into(),
        ),
        R::AfterCompletion => zh_en("不能晚于办结时间".into(), "must not be after completed_at".into()),
        R::OutOfRange { min, max } => zh_en(format!("应在 {min} 到 {max} 之间"), format!("must be between {min} and {max}")),
        R::Unknown(code) => zh_en(format!("没有编码为“{code}”的记录"), format!("unknown code `{code}`")),
        R::RegionCode => zh_en(
            "区划代码为 2–12 位数字（GB/T 2260），如 210100".into(),
            "a region code is 2–12 digits (GB/T 2260), e.g. 210100".into(),
        ),
        R::Code => zh_en(
            "编码为 1–64 个字符，不含空格及 / ? #".into(),
            "1–64 characters without spaces or / ? #".into(),
        ),
        R::JobNumber => zh_en("工号为 1–64 个字符，不含空格".into(), "1–64 characters without spaces".into()),
        R::WebAddress => zh_en(
            "只能是本系统保存的照片（/staff-photo/…）：请用“上传照片”，不接受外部网址".into(),
            "only a photo kept by this system (/staff-photo/…): use “Upload photo”; outside addresses are refused".into(),
        ),
        R::OwnParent => zh_en("区划不能以自身为上级".into(), "a region cannot be its own parent".into()),
        R::UnderOwnSubRegion => zh_en(
            "区划不能移到自己的下级区划之下".into(),
            "a region cannot move under its own sub-region".into(),
        ),
        R::ScopeNeeded => zh_en("该角色需要填写管理范围编码".into(), "this role needs a scope code".into()),
        R::Value(v) => value(lang, v),
        R::Rating(e) => rating_error(lang, e, false).to_string(),
        R::NoStaff => zh_en("该办件没有可评价的工作人员".into(), "this case has no staff member to rate".into()),
        R::NotPushable => zh_en(
            "业务系统只能推送 online 或 mobile 渠道的评价".into(),
            "business systems push `online` or `mobile` ratings".into(),
        ),
        R::IdempotencyKey => zh_en(
            "必须提供：1–255 个可见 ASCII 字符".into(),
            "header is required: 1–255 visible ASCII characters".into(),
        ),
        R::KeyReused => zh_en(
            "该幂等键已用于另一个请求".into(),
            "this key was already used for a different request".into(),
        ),
        R::PairingCode => zh_en(
            "配对码无效或已过期，请让管理员重新生成。".into(),
            "unknown or expired pairing code".into(),
        ),
        R::NotInHall => zh_en("所选窗口不属于本大厅或已停用。".into(), "not a window of this hall".into()),
        R::CallId => zh_en("通话编号应为 1–64 个字符".into(), "a call id of 1–64 characters".into()),
        R::OtherPhone => zh_en("该办件属于另一个电话号码".into(), "the case belongs to another phone".into()),
        R::NoUnratedCase => zh_en(
            "该号码近 30 天内没有待评价的办件".into(),
            "no unrated case of this phone in the last 30 days".into(),
        ),
        R::FormIncomplete => zh_en(
            "表单不完整，请刷新页面后重新评价。".into(),
            "the form is incomplete; reload the page and rate again".into(),
        ),
        R::CookiesNeeded => zh_en(
            "扫码评价需要启用 Cookie。".into(),
            "cookies are needed to rate from a shared code".into(),
        ),
        R::RateFirst => zh_en("请先完成评价，再追加。".into(), "rate first; a follow-up adds to a rating".into()),
        R::NotImage => zh_en("须为 JPEG、PNG 或 WebP 图片".into(), "a JPEG, PNG or WebP image".into()),
        R::FileTooLarge { kb } => zh_en(format!("不能超过 {kb} KB"), format!("at most {kb} KB")),
        R::Year => zh_en("应为 2000–2100 之间的年份".into(), "a year from 2000 to 2100".into()),
        // The calendar parser reports its line in both languages already.
        R::Calendar(e) => e.to_string(),
        R::Policy(e) => zh_en(
            format!("{} 应在 {}–{} 之间", e.field, e.min, e.max),
            format!("{} must be {}–{}", e.field, e.min, e.max),
        ),
        R::RevisitNeeded => zh_en(
            "实名差评须先回访评价人，才能办结".into(),
            "a real-name bad rating is closed only after a revisit".into(),
        ),
        R::NotEvidence => zh_en("须为 PDF、JPEG 或 PNG 文件".into(), "a PDF, JPEG or PNG file".into()),
        R::NotBad => zh_en("只有差评才能转为工单".into(), "only a bad rating becomes a work order".into()),
        R::NotAllowedHere => zh_en("本地区政策不允许".into(), "the region's policy does not allow it".into()),
        R::HallOutsideUnitRegion => zh_en(
            "该大厅不在所属部门的地区（或其下级地区）内".into(),
            "the hall lies outside the unit's region (and the regions below it)".into(),
        ),
        R::NotOfWindowRegion => zh_en(
            "所属部门不在该窗口大厅所在地区（或其上级地区）".into(),
            "its unit is not of the window's region (or a region above it)".into(),
        ),
        R::OwnWindowOnly => zh_en(
            "评价器只能评价其配对的窗口；全大厅评价请使用自助终端".into(),
            "an evaluator rates only the window it is paired to; a kiosk rates the hall".into(),
        ),
        R::QueuedTooLong { hours } => zh_en(
            format!("离线评价超过 {hours} 小时，按本地区政策不再接收"),
            format!("queued on the device for more than {hours} h: the region's policy refuses it"),
        ),
        R::InFuture => zh_en(
            "时间不能晚于当前时间 5 分钟以上".into(),
            "must not be more than 5 minutes in the future".into(),
        ),
        R::RealNameNeeded => zh_en(
            "本地区实行实名评价：请先用手机号和短信验证码验证".into(),
            "this region rates under real names: prove your phone with an SMS code first".into(),
        ),
        R::CodeTooSoon { seconds } => zh_en(
            format!("验证码已发送，请 {seconds} 秒后再重新获取"),
            format!("a code was just sent; ask again in {seconds} s"),
        ),
        R::WrongCode { left } => zh_en(
            format!("验证码不正确，还可尝试 {left} 次"),
            format!("wrong code; {left} tries left"),
        ),
        R::NoLiveCode => zh_en(
            "验证码已失效（超过 10 分钟或错误次数过多），请重新获取".into(),
            "the code is no longer valid (older than 10 minutes or too many wrong tries): ask for a new one".into(),
        ),
    }
}

/// A value the domain refused.
pub fn value(lang: Lang, v: &domain::ValueError) -> String {
    use domain::ValueError as V;
    match (lang, v) {
        (Lang::Zh, V::Phone) => "应为 1 开头的 11 位手机号或 7–12 位固定电话".into(),
        (Lang::Zh, V::CaseNumber) => "办件编号应为 1–50 个可显示字符".into(),
        (Lang::Zh, V::CommentTooLong { max }) => format!("最多 {max} 个字"),
        (Lang::Zh, V::ControlCharacters) => "不能含有控制字符".into(),
        (Lang::En, v) => v.to_string(),
    }
}

/// A write that conflicts with what is stored.
#[cfg(feature = "ssr")]
pub fn conflict(lang: Lang, c: &store::Conflict) -> String {
    use store::Conflict as C;
    match (lang, c) {
        (Lang::Zh, C::CodeTaken(code)) => format!("编码已存在：{code}"),
        (Lang::En, C::CodeTaken(code)) => format!("the code `{code}` already exists"),
        (Lang::Zh, C::JobNumberTaken(j)) => format!("工号已存在：{j}"),
        (Lang::En, C::JobNumberTaken(j)) => format!("an account with job number `{j}` already exists"),
        (Lang::Zh, C::CaseResent(n)) => format!("办件编号“{n}”已以不同内容报送过"),
        (Lang::En, C::CaseResent(n)) => format!("case number `{n}` was already reported with different details"),
        (Lang::Zh, C::Rated { case, target }) => format!("办件“{case}”已有对 {target} 的评价"),
        (Lang::En, C::Rated { case, target }) => format!("case `{case}` already has a {target} rating"),
        (Lang::Zh, C::SeveralSystems(n)) => format!("办件编号“{n}”对应多个业务系统的办件"),
        (Lang::En, C::SeveralSystems(n)) => format!("case number `{n}` names cases of several systems"),
        (Lang::Zh, C::Transition(t)) => format!(
            "工单当前为“{}”，不能“{}”。现在可以：{}",
            wo_state(
                lang,
                domain::work_order::State::parse(t.state).unwrap_or(domain::work_order::State::New)
            ),
            wo_action(lang, t.action),
            if t.allowed.is_empty() {
                "（无，请刷新页面）".to_string()
            } else {
                t.allowed.iter().map(|a| wo_action(lang, a)).collect::<Vec<_>>().join("、")
            }
        ),
        (Lang::En, C::Transition(t)) => t.to_string(),
    }
}

/// A row of a CSV import that was refused.
#[cfg(feature = "ssr")]
pub fn import_row(lang: Lang, p: &store::csv_import::RowProblem) -> String {
    use store::csv_import::RowProblem as P;
    match p {
        // The CSV reader's own words (both languages).
        P::File(m) => m.clone(),
        P::Invalid(r) => reason(lang, r),
        P::Forbidden => lang.t("不在您的管理范围内", "outside your scope").to_string(),
        P::Conflict(c) => conflict(lang, c),
    }
}

/// A work order's state.
pub fn wo_state(lang: Lang, s: domain::work_order::State) -> &'static str {
    use domain::work_order::State as S;
    let (zh, en) = match s {
        S::New => ("待核实", "New"),
        S::Contacted => ("已核实", "Verified"),
        S::InProgress => ("办理中", "In progress"),
        S::Replied => ("待质检", "Replied, awaiting QC"),
        S::Returned => ("质检退回", "Returned by QC"),
        S::ExtensionRequested => ("延期待审批", "Extension requested"),
        S::AppealRequested => ("申诉待审核", "Appeal pending"),
        S::Closed => ("已办结", "Closed"),
    };
    lang.t(zh, en)
}

/// A work-order step, by its code (`verify`, `qc_pass`, … `revisit`, `open`, `escalate`).
pub fn wo_action(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "open" => ("生成工单", "Opened"),
        "verify" => ("核实", "Verify"),
        "start" => ("开始办理", "Start handling"),
        "reply" => ("提交办理回复", "Reply"),
        "qc_pass" => ("质检通过", "QC: pass"),
        "qc_return" => ("质检退回", "QC: return"),
        "request_extension" => ("申请延期", "Request an extension"),
        "grant_extension" => ("批准延期", "Grant the extension"),
        "refuse_extension" => ("不批准延期", "Refuse the extension"),
        "appeal" => ("申诉", "Appeal"),
        "uphold_appeal" => ("申诉成立", "Uphold the appeal"),
        "reject_appeal" => ("申诉不成立", "Reject the appeal"),
        "revisit" => ("回访", "Revisit"),
        "escalate" => ("逾期督办", "Escalated (overdue)"),
        "promote" => ("转为工单", "Promoted to an order"),
        "rerate" => ("发送再评价链接", "Send a re-rating link"),
        "rerate_invite" => ("已发送再评价链接", "Re-rating link sent"),
        "rerated" => ("评价人再评价", "The rater rated again"),
        _ => ("其他", "Other"),
    };
    lang.t(zh, en)
}

/// A handling tier.
pub fn wo_tier(lang: Lang, t: domain::work_order::Tier) -> &'static str {
    use domain::work_order::Tier as T;
    let (zh, en) = match t {
        T::Simple => ("简单（当日办结）", "Simple (same working day)"),
        T::General => ("一般（5 个工作日）", "General (5 working days)"),
        T::Complex => ("复杂（15 个工作日）", "Complex (15 working days)"),
    };
    lang.t(zh, en)
}

/// Words of work-order fields and choices, by code.
pub fn wo_word(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "phone" => ("电话", "Phone"),
        "sms" => ("短信", "SMS"),
        "visit" => ("上门", "Visit"),
        "mistaken" => ("误评", "Mistaken rating"),
        "malicious" => ("恶意评价", "Malicious rating"),
        "not_ours" => ("不属于本单位", "Not this unit's matter"),
        "duplicate" => ("重复评价", "Duplicate"),
        "abuse" => ("含侮辱谩骂", "Abusive words"),
        "how" => ("方式", "How"),
        "said" => ("评价人反映", "What the rater said"),
        "tier" => ("办理类型", "Tier"),
        "investigation" => ("调查核实", "Investigation"),
        "process" => ("处理过程", "Process"),
        "measures" => ("整改措施", "Measures"),
        "result" => ("整改结果", "Result"),
        "signed_by" => ("部门负责人签字", "Signed by the head of unit"),
        "reason" => ("理由", "Reason"),
        "days" => ("工作日", "Working days"),
        "kind" => ("申诉类型", "Kind"),
        "note" => ("审核意见", "Decision note"),
        "outcome" => ("回访情况", "Outcome"),
        "satisfied" => ("对处理结果满意", "Satisfied with the handling"),
        "handle_due" => ("办理期限", "Handling due"),
        "overdue_days" => ("逾期工作日", "Working days late"),
        "due" => ("期限", "Deadline"),
        "flags" => ("内容标记", "Content flags"),
        "level" => ("评价等级", "Level"),
        "why" => ("延长理由", "Why longer"),
        "true" => ("是", "yes"),
        "false" => ("否", "no"),
        _ => ("", ""),
    };
    lang.t(zh, en)
}

/// A rating channel.
pub fn channel(lang: Lang, c: domain::Channel) -> &'static str {
    use domain::Channel as C;
    let (zh, en) = match c {
        C::WindowDevice => ("窗口评价器", "Window evaluator"),
        C::DynamicQr => ("动态二维码", "Dynamic QR code"),
        C::StaticQr => ("静态二维码", "Static QR code"),
        C::Kiosk => ("自助终端", "Kiosk"),
        C::Online => ("网上办事", "Online"),
        C::Mobile => ("移动端", "Mobile app"),
        C::SmsLink => ("短信链接", "SMS link"),
        C::SmsReply => ("短信回复", "SMS reply"),
        C::Hotline => ("热线", "Hotline"),
        C::PhoneInvite => ("电话邀评", "Phone invitation"),
        C::Default => ("默认评价", "Default"),
    };
    lang.t(zh, en)
}

/// Why a static-code or kiosk rating was flagged and not counted.
pub fn repeat_reason(lang: Lang, code: &str) -> String {
    match code {
        "same_browser" => lang.t("同一浏览器重复评价", "Same browser again").to_string(),
        "burst" => lang.t("短时间大量评价", "Burst from one address").to_string(),
        "device_burst" => lang.t("同一设备每分钟评价过多", "Too many a minute from one device").to_string(),
        other => other.to_string(),
    }
}

/// What a rating rated (`domain::Target` code).
pub fn target(lang: Lang, code: &str) -> String {
    let (zh, en) = match code {
        "item" => ("办理事项", "Service item"),
        "window" => ("窗口", "Window"),
        "staff" => ("工作人员", "Staff member"),
        "hall" => ("大厅", "Hall"),
        "platform" => ("平台", "Platform"),
        other => return other.to_string(),
    };
    lang.t(zh, en).to_string()
}
