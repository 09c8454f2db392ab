//! `/admin/work-orders` (差评工单): the list, one order with the steps allowed
//! now, each step as a plain form (the appeal's with evidence files), the
//! review list of flagged bad ratings, and each unit's 差评处置负责人. Scope,
//! the state machine and each step's rules are `store::work_orders`'.

use std::collections::HashMap;

use app::pages::admin::{
    FlaggedLine, HandlerLine, TimelineLine, WorkOrderFilter, WorkOrderLine, WorkOrderPage, WorkOrderView, WorkOrdersPage, WorkOrdersView,
};
use app::{text, Lang};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use domain::work_order::{State as WoState, Tier};
use leptos::prelude::*;
use serde::Deserialize;
use store::console::china;
use store::work_orders::{AppealKind, Contact, Evidence, Filter, OrderRow, Reply, Step};

use crate::web::forms::fields_and_files;
use crate::web::respond::refusal;
use crate::web::{form_map, Admin, Ctx, PageError, PageQuery, Signed};
use crate::AppState;

fn fmt(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string()
}

/// A deadline: one that ends a day (00:00 Beijing) reads as 24:00 of that day.
fn fmt_due(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&china());
    if local.format("%H:%M:%S").to_string() == "00:00:00" {
        format!("{} 24:00", (local - chrono::Duration::days(1)).format("%Y-%m-%d"))
    } else {
        fmt(t)
    }
}

/// A deadline with the time left (or working days late).
fn due_text(lang: Lang, due: Option<DateTime<Utc>>, overdue_days: u32, now: DateTime<Utc>) -> String {
    let Some(due) = due else { return "—".into() };
    if overdue_days > 0 {
        return format!(
            "{} · {} {} {}",
            fmt_due(due),
            lang.t("已逾期", "late by"),
            overdue_days,
            lang.t("个工作日", "working days")
        );
    }
    let left = due - now;
    let (d, h) = (left.num_hours() / 24, left.num_hours() % 24);
    match lang {
        Lang::Zh if d > 0 => format!("{} · 剩余 {d} 天 {h} 小时", fmt_due(due)),
        Lang::Zh => format!("{} · 剩余 {} 小时 {} 分", fmt_due(due), left.num_hours(), left.num_minutes() % 60),
        Lang::En if d > 0 => format!("{} · {d} d {h} h left", fmt_due(due)),
        Lang::En => format!("{} · {} h {} min left", fmt_due(due), left.num_hours(), left.num_minutes() % 60),
    }
}

fn channel_label(lang: Lang, code: &str) -> String {
    domain::Channel::parse(code)
        .map(|c| text::channel(lang, c).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn flags_text(lang: Lang, flags: &[String]) -> String {
    flags.iter().map(|f| text::wo_word(lang, f)).collect::<Vec<_>>().join("、")
}

fn line(lang: Lang, r: OrderRow, now: DateTime<Utc>) -> WorkOrderLine {
    WorkOrderLine {
        id: r.id,
        subject: r.case_number.clone().unwrap_or_else(|| r.hall.clone()),
        unit: r
            .unit
            .as_ref()
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| lang.t("服务中心", "The hall's center").to_string()),
        level: lang.level(r.level).to_string(),
        channel: channel_label(lang, &r.channel),
        state: text::wo_state(lang, r.state).to_string(),
        flags: flags_text(lang, &r.flags),
        opened: fmt(r.opened_at),
        due: due_text(lang, r.due, r.overdue_days, now),
        overdue_days: r.overdue_days,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OrdersQuery {
    pub lang: Option<String>,
    pub state: Option<String>,
    pub overdue: Option<String>,
    pub unit: Option<String>,
    pub level: Option<String>,
    pub channel: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub notice: Option<String>,
}

fn day_start(s: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(domain::calendar::start_of(d))
}

async fn list_page(st: &AppState, ctx: &Ctx, q: OrdersQuery, problem: Option<String>, status: StatusCode) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let now = st.now();
    let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let mut problems = Vec::new();
    let state = match some(&q.state) {
        Some(s) => WoState::parse(&s).or_else(|| {
            problems.push(lang.t("未知的状态。", "Unknown state."));
            None
        }),
        None => None,
    };
    let level = match some(&q.level) {
        Some(s) => domain::Level::parse(&s).or_else(|| {
            problems.push(lang.t("未知的评价等级。", "Unknown level."));
            None
        }),
        None => None,
    };
    let from = some(&q.from).and_then(|s| {
        day_start(&s).or_else(|| {
            problems.push(lang.t("开始日期应为 YYYY-MM-DD。", "From: a date YYYY-MM-DD."));
            None
        })
    });
    let until = some(&q.to).and_then(|s| {
        day_start(&s).map(|d| d + chrono::Duration::days(1)).or_else(|| {
            problems.push(lang.t("结束日期应为 YYYY-MM-DD。", "To: a date YYYY-MM-DD."));
            None
        })
    });
    let (mut problem, mut status) = (problem, status);
    if !problems.is_empty() {
        problem = Some(problems.join(" "));
        status = StatusCode::BAD_REQUEST;
    }
    let filter = Filter {
        state,
        overdue: q.overdue.is_some(),
        unit_code: some(&q.unit),
        level,
        channel: some(&q.channel),
        from,
        until,
        ..Default::default()
    };
    let rows = match store::work_orders::list(&st.db, &ctx.actor, &filter, now, 200).await {
        Ok(r) => r,
        Err(store::Error::Invalid { reason, .. }) => {
            problem = Some(format!("{}：{}", lang.t("单位编码", "Unit code"), text::reason(lang, &reason)));
            status = StatusCode::BAD_REQUEST;
            let filter = Filter { unit_code: None, ..filter };
            store::work_orders::list(&st.db, &ctx.actor, &filter, now, 200).await?
        }
        Err(e) => return Err(e.into()),
    };
    let flagged = match store::work_orders::flagged(&st.db, &ctx.actor, 100).await {
        Ok(rows) => Some(
            rows.into_iter()
                .map(|f| FlaggedLine {
                    place_rating_id: f.place_rating_id,
                    place: match f.window {
                        Some(w) => format!("{} · {w}", f.hall),
                        None => f.hall,
                    },
                    level: lang.level(f.level).to_string(),
                    reason: text::repeat_reason(lang, &f.reason),
                    comment: f.comment.unwrap_or_default(),
                    at: fmt(f.created_at),
                })
                .collect(),
        ),
        Err(store::Error::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    let handlers = store::work_orders::handlers(&st.db, &st.config.data_key, &ctx.actor)
        .await?
        .into_iter()
        .map(|h| HandlerLine {
            unit_code: h.unit_code,
            unit_name: h.unit_name,
            job_number: h.job_number.unwrap_or_else(|| "—".into()),
            phone: h.phone.unwrap_or_default(),
        })
        .collect();
    let notice = match q.notice.as_deref() {
        Some("handler") => Some(lang.t("负责人已保存。", "The handler is saved.").to_string()),
        _ => None,
    };
    let data = WorkOrdersView {
        notice,
        problem,
        filter: WorkOrderFilter {
            state: q.state.clone().unwrap_or_default(),
            overdue: q.overdue.is_some(),
            unit: q.unit.clone().unwrap_or_default(),
            level: q.level.clone().unwrap_or_default(),
            channel: q.channel.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
        },
        states: WoState::ALL
            .into_iter()
            .map(|s| (s.code().to_string(), text::wo_state(lang, s).to_string()))
            .collect(),
        levels: domain::Level::ALL
            .into_iter()
            .filter(|l| l.is_bad())
            .map(|l| (l.code().to_string(), lang.level(l).to_string()))
            .collect(),
        channels: domain::Channel::ALL
            .into_iter()
            .filter(|c| *c != domain::Channel::Default)
            .map(|c| (c.code().to_string(), text::channel(lang, c).to_string()))
            .collect(),
        lines: rows.into_iter().map(|r| line(lang, r, now)).collect(),
        flagged,
        handlers,
    };
    let nav = ctx.nav();
    Ok(ctx.page(st, status, lang.t("差评工单", "Work orders").to_string(), move || {
        view! { <WorkOrdersPage nav=nav data=data/> }
    }))
}

/// `GET /admin/work-orders`
pub async fn list(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<OrdersQuery>,
) -> Result<Response, PageError> {
    list_page(&st, &ctx, q, None, StatusCode::OK).await
}

async fn order_page(
    st: &AppState,
    ctx: &Ctx,
    id: i32,
    notice: Option<String>,
    problem: Option<(String, String)>,
    typed: Vec<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let now = st.now();
    let d = store::work_orders::detail(&st.db, &st.config.data_key, &ctx.actor, id, now).await?;
    let r = &d.row;
    let mut facts = vec![
        (
            lang.t("评价", "Rating").to_string(),
            format!("{} · {}", lang.level(r.level), channel_label(lang, &r.channel)),
        ),
        (lang.t("评价时间", "Rated at").to_string(), fmt(d.rated_at)),
    ];
    if let Some(n) = &r.case_number {
        facts.push((lang.t("办件编号", "Case number").to_string(), n.clone()));
    }
    if !d.item.is_empty() {
        facts.push((lang.t("事项", "Service item").to_string(), d.item.clone()));
    }
    facts.push((
        lang.t("大厅 / 窗口", "Hall / window").to_string(),
        if d.window.is_empty() {
            r.hall.clone()
        } else {
            format!("{} · {}", r.hall, d.window)
        },
    ));
    if let Some(s) = &d.staff {
        facts.push((lang.t("工作人员", "Staff").to_string(), s.clone()));
    }
    facts.push((
        lang.t("责任单位", "Responsible unit").to_string(),
        r.unit
            .as_ref()
            .map(|(c, n)| format!("{n} ({c})"))
            .unwrap_or_else(|| lang.t("服务中心", "The hall's center").to_string()),
    ));
    if !d.tags.is_empty() {
        let tags: Vec<&str> = d
            .tags
            .iter()
            .map(|t| match (domain::Tag::parse(t), lang) {
                (Some(tag), Lang::Zh) => tag.label_zh(),
                (Some(tag), Lang::En) => tag.label_en(),
                (None, _) => t.as_str(),
            })
            .collect();
        facts.push((lang.t("差评原因", "Reasons").to_string(), tags.join("、")));
    }
    if let Some(c) = &d.comment {
        facts.push((lang.t("评价内容", "Comment").to_string(), c.clone()));
    }
    if let Some(p) = &d.phone {
        facts.push((lang.t("评价人手机", "Rater's mobile").to_string(), p.clone()));
    }
    facts.push((
        lang.t("实名评价", "Real name").to_string(),
        text::wo_word(lang, if r.real_name { "true" } else { "false" }).to_string(),
    ));
    if let Some(t) = d.tier {
        facts.push((lang.t("办理类型", "Tier").to_string(), text::wo_tier(lang, t).to_string()));
    }
    if !r.flags.is_empty() {
        facts.push((lang.t("内容标记", "Content flags").to_string(), flags_text(lang, &r.flags)));
    }
    facts.push((lang.t("回访次数", "Revisits").to_string(), d.revisits.to_string()));
    if d.rating_excluded {
        facts.push((
            lang.t("统计", "Statistics").to_string(),
            lang.t(
                "申诉成立，该评价不计入统计（保留记录）",
                "Appeal upheld: the rating is excluded from statistics (kept on record)",
            )
            .to_string(),
        ));
    }
    let first_contact_overdue = if r.state == WoState::New { r.overdue_days } else { 0 };
    let mut deadlines = vec![(
        lang.t("首次联系核实", "First contact").to_string(),
        if r.state == WoState::New {
            due_text(lang, Some(r.first_contact_due), first_contact_overdue, now)
        } else {
            format!("{} · {}", fmt_due(r.first_contact_due), lang.t("已完成", "done"))
        },
    )];
    if let Some(h) = r.handle_due {
        let running = r.due == Some(h);
        deadlines.push((
            format!(
                "{}{}",
                lang.t("办理期限", "Handling"),
                if d.extended { lang.t("（已延期）", " (extended)") } else { "" }
            ),
            if running {
                due_text(lang, Some(h), r.overdue_days, now)
            } else {
                fmt_due(h)
            },
        ));
    }
    if let Some(c) = r.closed_at {
        deadlines.push((lang.t("办结时间", "Closed at").to_string(), fmt(c)));
    }
    let reply = d
        .reply
        .as_ref()
        .map(|rep| {
            [
                ("investigation", &rep.investigation),
                ("process", &rep.process),
                ("measures", &rep.measures),
                ("result", &rep.result),
                ("signed_by", &rep.signed_by),
            ]
            .into_iter()
            .map(|(k, v)| (text::wo_word(lang, k).to_string(), v.clone()))
            .collect()
        })
        .unwrap_or_default();
    let timeline = d
        .timeline
        .iter()
        .map(|t| TimelineLine {
            at: fmt(t.at),
            who: if t.actor == "system" {
                lang.t("系统", "system").to_string()
            } else {
                format!(
                    "{} ({})",
                    t.actor,
                    domain::Role::parse(&t.role).map(|r| text::role(lang, r)).unwrap_or_default()
                )
            },
            action: text::wo_action(lang, &t.action).to_string(),
            change: if t.from_state == t.to_state {
                String::new()
            } else {
                format!(
                    "{} → {}",
                    WoState::parse(&t.from_state).map(|s| text::wo_state(lang, s)).unwrap_or_default(),
                    WoState::parse(&t.to_state).map(|s| text::wo_state(lang, s)).unwrap_or_default()
                )
            },
            detail: t
                .detail
                .iter()
                .map(|(k, v)| {
                    let word = text::wo_word(lang, k);
                    let value = match (k.as_str(), text::wo_word(lang, v)) {
                        ("tier", _) => Tier::parse(v).map(|t| text::wo_tier(lang, t).to_string()).unwrap_or(v.clone()),
                        ("level", _) => domain::Level::parse(v).map(|l| lang.level(l).to_string()).unwrap_or(v.clone()),
                        ("handle_due", _) | ("due", _) => DateTime::parse_from_rfc3339(v)
                            .map(|t| fmt_due(t.with_timezone(&Utc)))
                            .unwrap_or(v.clone()),
                        ("flags", _) => flags_text(lang, &v.split(',').map(str::to_string).collect::<Vec<_>>()),
                        (_, "") => v.clone(),
                        (_, w) => w.to_string(),
                    };
                    (if word.is_empty() { k.clone() } else { word.to_string() }, value)
                })
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            files: t
                .files
                .iter()
                .map(|(fid, name, size)| {
                    (
                        format!("/admin/work-orders/{id}/files/{fid}"),
                        name.clone(),
                        format!("{} KB", (size + 1023) / 1024),
                    )
                })
                .collect(),
        })
        .collect();
    let data = WorkOrderView {
        id,
        state: text::wo_state(lang, r.state).to_string(),
        overdue_days: r.overdue_days,
        notice,
        problem,
        facts,
        deadlines,
        reply,
        timeline,
        actions: d.actions.iter().map(|a| a.to_string()).collect(),
        max_extension: d.max_extension,
        unit_deadline_max: d.unit_deadline_max,
        typed,
    };
    let nav = ctx.nav();
    let title = format!("{} #{id}", lang.t("差评工单", "Work order"));
    Ok(ctx.page(st, status, title, move || view! { <WorkOrderPage nav=nav data=data/> }))
}

#[derive(Debug, Default, Deserialize)]
pub struct OrderQuery {
    pub lang: Option<String>,
    pub done: Option<String>,
    /// An SMS to the rater was queued by the step.
    pub told: Option<String>,
}

/// `GET /admin/work-orders/{id}`
pub async fn order(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<OrderQuery>,
) -> Result<Response, PageError> {
    let id: i32 = id.parse().map_err(|_| PageError::NotFound)?;
    let lang = ctx.lang;
    let told = q.told.is_some();
    let notice = q.done.as_deref().map(|a| {
        format!(
            "{}{}{}",
            lang.t("已完成：", "Done: "),
            text::wo_action(lang, a),
            if told {
                lang.t("。已向评价人发送短信。", ". An SMS to the rater is queued.")
            } else {
                ""
            }
        )
    });
    order_page(&st, &ctx, id, notice, None, vec![], StatusCode::OK).await
}

fn step_of(action: &str, f: &HashMap<String, String>, files: Vec<Evidence>) -> Result<Step, (&'static str, store::Reason)> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let how = || Contact::parse(&get("how")).ok_or(("how", store::Reason::Unknown(get("how"))));
    Ok(match action {
        "verify" => Step::Verify {
            how: how()?,
            said: get("said"),
            tier: Tier::parse(&get("tier")).ok_or(("tier", store::Reason::Required))?,
            days: match get("days").trim() {
                "" => None,
                d => Some(d.parse().map_err(|_| ("days", store::Reason::OutOfRange { min: 0, max: 90 }))?),
            },
            why: get("why"),
        },
        "start" => Step::Start,
        "reply" => Step::Reply(Reply {
            investigation: get("investigation"),
            process: get("process"),
            measures: get("measures"),
            result: get("result"),
            signed_by: get("signed_by"),
        }),
        "qc_pass" => Step::QcPass,
        "qc_return" => Step::QcReturn { reason: get("reason") },
        "request_extension" => Step::RequestExtension {
            days: get("days")
                .trim()
                .parse()
                .map_err(|_| ("days", store::Reason::OutOfRange { min: 1, max: 90 }))?,
            reason: get("reason"),
        },
        "grant_extension" => Step::GrantExtension,
        "refuse_extension" => Step::RefuseExtension { reason: get("reason") },
        "appeal" => Step::Appeal {
            kind: AppealKind::parse(&get("kind")).ok_or(("kind", store::Reason::Unknown(get("kind"))))?,
            reason: get("reason"),
            files,
        },
        "uphold_appeal" => Step::UpholdAppeal { note: get("note") },
        "reject_appeal" => Step::RejectAppeal { note: get("note") },
        "revisit" => Step::Revisit {
            how: how()?,
            outcome: get("outcome"),
            satisfied: match get("satisfied").as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        },
        _ => return Err(("action", store::Reason::Unknown(action.to_string()))),
    })
}

/// `POST /admin/work-orders/{id}/{action}`: one step; a refused step shows
/// the order again with the reason (409 naming the allowed steps, 422 naming
/// the field, 403 outside the person's part).
pub async fn step(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path((id, action)): Path<(String, String)>,
    req: Request,
) -> Result<Response, PageError> {
    let id: i32 = id.parse().map_err(|_| PageError::NotFound)?;
    ctx.set_path(format!("/admin/work-orders/{id}"));
    let lang = ctx.lang;
    let Ok((fields, files)) = fields_and_files(req, &st, "evidence").await else {
        // Nothing was read, so nothing is changed.
        let problem = (
            "evidence".to_string(),
            lang.t(
                "提交的内容无法读取：文件过大（每个不超过 5 MB）或上传中断，未作任何更改。",
                "The form could not be read: a file is too large (5 MB each) or the upload broke off. Nothing was changed.",
            )
            .to_string(),
        );
        return order_page(&st, &ctx, id, None, Some(problem), vec![], StatusCode::PAYLOAD_TOO_LARGE).await;
    };
    let files = files.into_iter().map(|(name, bytes)| Evidence { name, bytes }).collect();
    ctx.check_csrf(fields.get("_csrf").map(String::as_str)).await?;
    let typed: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| *k != "_csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if action == "rerate" {
        let sent = store::work_orders::invite_rerating(&st.db, &st.config.data_key, &ctx.actor, id, &st.config.public_url, &ctx.meta).await;
        return match sent {
            Ok((_, told)) => {
                let sms = if told { "&told=1" } else { "" };
                Ok(Redirect::to(&format!("/admin/work-orders/{id}?done=rerate{sms}")).into_response())
            }
            Err(e @ store::Error::Conflict(_)) => {
                let (status, _, sentence) = refusal(lang, e)?;
                order_page(&st, &ctx, id, None, Some((String::new(), sentence)), typed, status).await
            }
            Err(e) => Err(e.into()),
        };
    }
    let step = match step_of(&action, &fields, files) {
        Ok(s) => s,
        Err(("action", _)) => return Err(PageError::NotFound),
        Err((field, reason)) => {
            let problem = (
                field.to_string(),
                format!("{}：{}", text::wo_word(lang, field), text::reason(lang, &reason)),
            );
            return order_page(&st, &ctx, id, None, Some(problem), typed, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match store::work_orders::act(&st.db, &ctx.actor, id, step, &ctx.meta).await {
        Ok(done) => {
            let sms = if done.rater_told { "&told=1" } else { "" };
            Ok(Redirect::to(&format!("/admin/work-orders/{id}?done={action}{sms}")).into_response())
        }
        Err(e @ (store::Error::Invalid { .. } | store::Error::Conflict(_))) => {
            let (status, field, sentence) = refusal(lang, e)?;
            let word = text::wo_word(lang, field);
            let sentence = if word.is_empty() {
                sentence
            } else {
                format!("{word}：{sentence}")
            };
            order_page(&st, &ctx, id, None, Some((field.to_string(), sentence)), typed, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/work-orders/{id}/files/{file}`: appeal evidence, scoped like its order.
pub async fn evidence(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (Ok(id), Ok(file)) = (id.parse::<i32>(), file.parse::<i32>()) else {
        return Err(PageError::NotFound);
    };
    let (name, content_type, bytes) = store::work_orders::file(&st.db, &ctx.actor, id, file).await?;
    let ascii: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c)).collect();
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                    if ascii.is_empty() { "evidence".into() } else { ascii },
                    crate::web::url_part(&name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".into()),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /admin/work-orders/promote/{place_rating}`: the center turns a
/// flagged bad rating into an order.
pub async fn promote(
    State(st): State<AppState>,
    Signed(mut ctx, _): Signed<Admin>,
    Path(p): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    ctx.set_path("/admin/work-orders");
    ctx.check_csrf_form(&body).await?;
    let p: i32 = p.parse().map_err(|_| PageError::NotFound)?;
    let id = store::work_orders::promote(&st.db, &ctx.actor, p, &ctx.meta).await?;
    Ok(Redirect::to(&format!("/admin/work-orders/{id}?done=promote")).into_response())
}

/// `POST /admin/work-orders/handler` (`unit`, `job_number`, `phone`).
pub async fn set_handler(State(st): State<AppState>, Signed(mut ctx, _): Signed<Admin>, body: Bytes) -> Result<Response, PageError> {
    ctx.set_path("/admin/work-orders");
    let form = form_map(&body).ok_or(PageError::CsrfFailed)?;
    ctx.check_csrf(form.get("_csrf").map(String::as_str)).await?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let lang = ctx.lang;
    match store::work_orders::set_handler(
        &st.db,
        &st.config.data_key,
        &ctx.actor,
        &get("unit"),
        &get("job_number"),
        &get("phone"),
        &ctx.meta,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/admin/work-orders?notice=handler").into_response()),
        Err(e @ store::Error::Invalid { .. }) => {
            let (status, field, sentence) = refusal(lang, e)?;
            let label = match field {
                "phone" => lang.t("手机号", "Mobile"),
                "job_number" => lang.t("负责人工号", "Job number"),
                _ => lang.t("单位", "Unit"),
            };
            list_page(&st, &ctx, OrdersQuery::default(), Some(format!("{label}：{sentence}")), status).await
        }
        Err(e) => Err(e.into()),
    }
}
