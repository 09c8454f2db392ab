//! `/admin/policies/{region}`: a region's rating policy (SPEC §4), inherited
//! down the region tree; administrators set what their region decides.

use app::pages::admin::{PolicyForm, PolicyPage};
use app::Lang;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::policy::{Policy, PolicyOverride, RealName, Span};
use leptos::prelude::*;

use crate::web::{Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

fn span_text(lang: Lang, s: Span) -> String {
    match (lang, s) {
        (Lang::Zh, Span::WorkingDays(n)) => format!("{n} 个工作日"),
        (Lang::Zh, Span::Days(n)) => format!("{n} 天"),
        (Lang::En, Span::WorkingDays(n)) => format!("{n} working days"),
        (Lang::En, Span::Days(n)) => format!("{n} days"),
    }
}

fn span_field(s: Option<Span>) -> (String, String) {
    match s {
        None => (String::new(), "working_days".into()),
        Some(Span::WorkingDays(n)) => (n.to_string(), "working_days".into()),
        Some(Span::Days(n)) => (n.to_string(), "days".into()),
    }
}

fn effective(lang: Lang, p: &Policy) -> Vec<(String, String)> {
    vec![
        (
            lang.t("未评价时", "When not rated").into(),
            match p.default_level {
                Some(l) => format!(
                    "{} {} {}",
                    span_text(lang, p.default_after),
                    lang.t("后默认为", "later: default"),
                    lang.level(l)
                ),
                None => lang.t("不设默认评价", "no default rating").into(),
            },
        ),
        (lang.t("提醒短信", "Reminder SMS").into(), format!("{} h", p.reminder_hours)),
        (
            lang.t("设备评价上限", "Device ratings").into(),
            match lang {
                Lang::Zh => format!(
                    "每台每分钟 {} 条；离线评价 {} 小时内有效",
                    p.device_per_minute, p.device_queue_hours
                ),
                Lang::En => format!(
                    "{} a minute per device; offline ratings within {} h",
                    p.device_per_minute, p.device_queue_hours
                ),
            },
        ),
        (lang.t("排名与预警", "Rankings and alerts").into(), {
            let w = p.rank_weights.map(|n| n.to_string()).join("/");
            match lang {
                    Lang::Zh => format!(
                        "权重（好评率/差评整改率/按期办结率/参评率）{w}；至少 {} 条有效评价参与排名；30 天内差评超过 {} 条且超过自身基线两倍时预警",
                        p.rank_min_n, p.alert_bad_30d
                    ),
                    Lang::En => format!(
                        "weights (good / rectified / on time / participation) {w}; ranked from {} valid ratings; alert above {} bad ratings in 30 days and twice the usual",
                        p.rank_min_n, p.alert_bad_30d
                    ),
                }
        }),
        (
            lang.t("追加评价期限", "Follow-up within").into(),
            span_text(lang, p.follow_up_within),
        ),
        (
            lang.t("实名评价", "Real name").into(),
            match p.real_name {
                RealName::Required => lang.t("必须实名", "required"),
                RealName::Encouraged => lang.t("鼓励实名", "encouraged"),
            }
            .into(),
        ),
        (lang.t("差评首次联系", "First contact").into(), span_text(lang, p.first_contact)),
        (
            lang.t("整改时限", "Rectify within").into(),
            format!("{} (+{})", span_text(lang, p.rectify), span_text(lang, p.rectify_extension)),
        ),
        (
            lang.t("办理期限", "Handling deadline").into(),
            if p.unit_sets_deadline {
                lang.t(
                    "核实时由单位确定（不超过整改时限，长于办理类型须说明理由）",
                    "set by the unit at verification (within the rectification limit; longer than the tier with a reason)",
                )
            } else {
                lang.t(
                    "按办理类型：简单当日、一般 5 个工作日、复杂按整改时限",
                    "by tier: simple the same day, general 5 working days, complex the rectification limit",
                )
            }
            .into(),
        ),
        (
            lang.t("上报平台", "Reported to the platform as").into(),
            format!(
                "{}；{} {}；dataSource {}",
                p.exchange_profile.code(),
                lang.t("部门编码前缀", "department prefix"),
                if p.exchange_dept_prefix.is_empty() {
                    "—"
                } else {
                    &p.exchange_dept_prefix
                },
                p.exchange_data_source
            ),
        ),
        (
            lang.t("评价提醒短信", "Reminder SMS").into(),
            if p.sms_rating_code {
                lang.t("固定网址 + 6 位评价码", "fixed address + 6-character rating code")
            } else {
                lang.t("每件一条签名链接", "a signed link per case")
            }
            .into(),
        ),
        (lang.t("政策依据", "Source").into(), p.citation.clone()),
    ]
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    code: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: Option<PolicyOverride>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let (name, own, policy) = store::policies::for_admin(&st.db, &ctx.actor, code).await?;
    let o = typed.or(own).unwrap_or_default();
    let form = PolicyForm {
        region_code: code.to_string(),
        region_name: name,
        default_level: match o.default_level {
            None => String::new(),
            Some(None) => "none".into(),
            Some(Some(l)) => l.code().into(),
        },
        default_after: span_field(o.default_after),
        reminder_hours: o.reminder_hours.map(|h| h.to_string()).unwrap_or_default(),
        device_per_minute: o.device_per_minute.map(|h| h.to_string()).unwrap_or_default(),
        device_queue_hours: o.device_queue_hours.map(|h| h.to_string()).unwrap_or_default(),
        rank_weights: o.rank_weights.map(|w| w.map(|n| n.to_string()).join("/")).unwrap_or_default(),
        rank_min_n: o.rank_min_n.map(|h| h.to_string()).unwrap_or_default(),
        alert_bad_30d: o.alert_bad_30d.map(|h| h.to_string()).unwrap_or_default(),
        publish_staff_numbers: match o.publish_staff_numbers {
            None => String::new(),
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
        },
        follow_up_within: span_field(o.follow_up_within),
        real_name: match o.real_name {
            None => String::new(),
            Some(RealName::Required) => "required".into(),
            Some(RealName::Encouraged) => "encouraged".into(),
        },
        first_contact: span_field(o.first_contact),
        rectify: span_field(o.rectify),
        rectify_extension: span_field(o.rectify_extension),
        unit_sets_deadline: match o.unit_sets_deadline {
            None => String::new(),
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
        },
        exchange_profile: o.exchange_profile.map(|p| p.code().to_string()).unwrap_or_default(),
        exchange_dept_prefix: o.exchange_dept_prefix.clone().unwrap_or_default(),
        exchange_data_source: o.exchange_data_source.clone().unwrap_or_default(),
        sms_rating_code: match o.sms_rating_code {
            None => String::new(),
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
        },
        citation: o.citation.clone().unwrap_or_default(),
        effective: effective(lang, &policy),
    };
    let nav = ctx.nav();
    Ok(ctx.page(st, status, lang.t("评价政策", "Rating policy").into(), move || {
        view! { <PolicyPage nav=nav form=form notice=notice error=error/> }
    }))
}

#[derive(Debug, serde::Deserialize)]
pub struct PolicyQuery {
    pub lang: Option<String>,
    pub saved: Option<String>,
}

/// `GET /admin/policies/{region}`
pub async fn policy(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(code): Path<String>,
    PageQuery(pq): PageQuery<PolicyQuery>,
) -> Result<Response, PageError> {
    let notice = pq.saved.is_some().then(|| ctx.lang.t("已保存。", "Saved.").to_string());
    page(&st, &ctx, &code, StatusCode::OK, notice, None, None).await
}

/// Reads the form; `Err(field)` names the first field that does not read.
fn parse(body: &[u8]) -> Result<PolicyOverride, &'static str> {
    let get = |k: &str| {
        form_urlencoded::parse(body)
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let span = |name: &'static str| -> Result<Option<Span>, &'static str> {
        let n = get(&format!("{name}_n"));
        if n.is_empty() {
            return Ok(None);
        }
        let n: u32 = n.parse().map_err(|_| name)?;
        Ok(Some(if get(&format!("{name}_unit")) == "days" {
            Span::Days(n)
        } else {
            Span::WorkingDays(n)
        }))
    };
    let default_level = match get("default_level").as_str() {
        "" => None,
        "none" => Some(None),
        l => Some(Some(domain::Level::parse(l).ok_or("default_level")?)),
    };
    let reminder = get("reminder_hours");
    let number = |name: &'static str| -> Result<Option<u32>, &'static str> {
        let v = get(name);
        if v.is_empty() {
            Ok(None)
        } else {
            v.parse().map(Some).map_err(|_| name)
        }
    };
    Ok(PolicyOverride {
        default_level,
        default_after: span("default_after")?,
        reminder_hours: if reminder.is_empty() {
            None
        } else {
            Some(reminder.parse().map_err(|_| "reminder_hours")?)
        },
        follow_up_within: span("follow_up_within")?,
        real_name: match get("real_name").as_str() {
            "" => None,
            "required" => Some(RealName::Required),
            "encouraged" => Some(RealName::Encouraged),
            _ => return Err("real_name"),
        },
        first_contact: span("first_contact")?,
        rectify: span("rectify")?,
        rectify_extension: span("rectify_extension")?,
        device_per_minute: number("device_per_minute")?,
        device_queue_hours: number("device_queue_hours")?,
        rank_weights: match get("rank_weights").as_str() {
            "" => None,
            w => {
                let parts: Vec<u32> = w
                    .split(['/', ',', ' '])
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse().map_err(|_| "rank_weights"))
                    .collect::<Result<_, _>>()?;
                Some(<[u32; 4]>::try_from(parts).map_err(|_| "rank_weights")?)
            }
        },
        rank_min_n: number("rank_min_n")?,
        alert_bad_30d: number("alert_bad_30d")?,
        publish_staff_numbers: match get("publish_staff_numbers").as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err("publish_staff_numbers"),
        },
        unit_sets_deadline: match get("unit_sets_deadline").as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err("unit_sets_deadline"),
        },
        exchange_profile: match get("exchange_profile").as_str() {
            "" => None,
            p => Some(domain::exchange::Profile::parse(p).ok_or("exchange_profile")?),
        },
        exchange_dept_prefix: Some(get("exchange_dept_prefix")).filter(|c| !c.is_empty()),
        exchange_data_source: Some(get("exchange_data_source")).filter(|c| !c.is_empty()),
        sms_rating_code: match get("sms_rating_code").as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err("sms_rating_code"),
        },
        citation: Some(get("citation"))
            .filter(|c| !c.is_empty())
            .map(|c| c.chars().take(200).collect()),
    })
}

/// `POST /admin/policies/{region}`
pub async fn save(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    ctx.check_csrf_form(&body).await?;
    let lang = ctx.lang;
    let o = match parse(&body) {
        Ok(o) => o,
        Err(field) => {
            let m = format!("{} {field}", lang.t("请填写整数：", "Enter a whole number:"));
            return page(&st, &ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m), None).await;
        }
    };
    if let Err(m) = o.check() {
        let m = format!("{}{m}", lang.t("超出允许范围：", "Out of range: "));
        return page(&st, &ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, None, Some(m), Some(o)).await;
    }
    store::policies::set_for_admin(&st.db, &ctx.actor, &code, &o, &ctx.meta).await?;
    Ok(Redirect::to(&format!("/admin/policies/{code}?saved=1")).into_response())
}
