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
    /// Anything else; logged on the server.
    Internal,
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
        Problem::BadRequest => (lang.t("无效的提交", "Invalid submission"), not_utf8(lang)),
        Problem::Internal => (
            lang.t("系统繁忙", "Something went wrong"),
            lang.t("请稍后再试。您的操作没有被保存。", "Please try again later. Nothing was saved."),
        ),
    }
}
