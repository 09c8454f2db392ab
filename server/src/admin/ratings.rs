//! `/admin/ratings` (评价记录): every rating the signed-in administrator's
//! scope covers, from every source, newest first, filtered, paged by keyset
//! (`after` = the cursor of the last row shown). A filter that cannot be read
//! (a bad date, an unknown code) is named on the page and lists nothing.

use app::pages::admin::{RatingLineView, RatingsFilter, RatingsPage, RatingsView};
use app::{text, Lang};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::Deserialize;
use store::browse::{Cursor, Direction, Filter, Line, Mark, Reader, Source};

use crate::web::{Admin, PageError, PageQuery, Signed};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct RatingsQuery {
    pub lang: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub region: Option<String>,
    pub hall: Option<String>,
    pub unit: Option<String>,
    pub window: Option<String>,
    pub staff: Option<String>,
    pub item: Option<String>,
    pub case: Option<String>,
    pub channel: Option<String>,
    pub level: Option<String>,
    pub mark: Option<String>,
    pub after: Option<String>,
}

/// Rows on a page.
const PER_PAGE: u64 = 50;

fn day(s: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().map(domain::calendar::start_of)
}

fn fmt(t: DateTime<Utc>) -> String {
    t.with_timezone(&store::console::china()).format("%Y-%m-%d %H:%M").to_string()
}

fn mark_label(lang: Lang, m: &str) -> &'static str {
    match m {
        "flagged" => lang.t("重复/刷评标记（不计入）", "Flagged (not counted)"),
        "excluded" => lang.t("申诉成立已剔除", "Excluded (appeal upheld)"),
        _ => lang.t("默认评价", "Default ratings"),
    }
}

fn named(v: Option<(String, String)>) -> String {
    v.map(|(code, name)| format!("{name} ({code})")).unwrap_or_default()
}

fn line(lang: Lang, l: Line) -> RatingLineView {
    let mut marks = Vec::new();
    if l.source == Source::Default {
        marks.push(lang.t("默认评价", "Default").to_string());
    }
    if l.superseded {
        marks.push(lang.t("已被主动评价取代", "Replaced by an active rating").to_string());
    }
    if let Some(why) = &l.flagged {
        marks.push(format!("{}：{}", lang.t("不计入", "Not counted"), text::repeat_reason(lang, why)));
    }
    if l.excluded {
        marks.push(lang.t("申诉成立已剔除", "Excluded (appeal upheld)").to_string());
    }
    match l.rating_count {
        2 => marks.push(lang.t("追加评价", "Follow-up").to_string()),
        3 => marks.push(lang.t("整改后再评价", "Re-rating").to_string()),
        _ => {}
    }
    if l.real_name {
        marks.push(lang.t("实名", "Real name").to_string());
    }
    let place = match (&l.hall, &l.window) {
        (Some(h), Some(w)) => format!("{} · {} ({})", h.1, w.1, w.0),
        (Some(h), None) => h.1.clone(),
        (None, Some(w)) => format!("{} ({})", w.1, w.0),
        (None, None) => String::new(),
    };
    RatingLineView {
        at: fmt(l.rated_at),
        channel: domain::Channel::parse(&l.channel)
            .map(|c| text::channel(lang, c).to_string())
            .unwrap_or_else(|| l.channel.clone()),
        level: lang.level(l.level).to_string(),
        bad: l.level.is_bad(),
        target: text::target(lang, &l.target),
        place,
        unit: named(l.unit),
        item: named(l.item),
        staff: named(l.staff),
        case_number: l.case_number,
        comment: l.comment.as_deref().map(domain::values::mask_personal).unwrap_or_default(),
        marks: marks.join("、"),
        work_order: l.work_order_id,
    }
}

/// The query read: the filter, the cursor, and what did not read.
fn read(lang: Lang, q: &RatingsQuery) -> (Filter, Option<Cursor>, Vec<String>) {
    let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mut problems: Vec<String> = Vec::new();
    let mut bad = |zh: &'static str, en: &'static str| problems.push(lang.t(zh, en).to_string());
    let from = some(&q.from).and_then(|s| {
        day(&s).or_else(|| {
            bad("开始日期应为 YYYY-MM-DD。", "From: a date YYYY-MM-DD.");
            None
        })
    });
    let until = some(&q.to).and_then(|s| {
        day(&s).map(|d| d + chrono::Duration::days(1)).or_else(|| {
            bad("结束日期应为 YYYY-MM-DD。", "To: a date YYYY-MM-DD.");
            None
        })
    });
    let channel = some(&q.channel).and_then(|s| {
        domain::Channel::parse(&s).or_else(|| {
            bad("未知的渠道。", "Unknown channel.");
            None
        })
    });
    let level = some(&q.level).and_then(|s| {
        domain::Level::parse(&s).or_else(|| {
            bad("未知的评价等级。", "Unknown level.");
            None
        })
    });
    let mark = some(&q.mark).and_then(|s| {
        Mark::parse(&s).or_else(|| {
            bad("未知的标记。", "Unknown mark.");
            None
        })
    });
    let cursor = some(&q.after).and_then(|s| {
        Cursor::decode(&s).or_else(|| {
            bad("翻页位置无效，请从第一页开始。", "Not a page position: start from the first page.");
            None
        })
    });
    let filter = Filter {
        from,
        until,
        region: some(&q.region),
        hall: some(&q.hall),
        unit: some(&q.unit),
        window: some(&q.window),
        staff: some(&q.staff),
        item: some(&q.item),
        case: some(&q.case),
        channel,
        level,
        mark,
    };
    (filter, cursor, problems)
}

fn field_problem(lang: Lang, field: &str, reason: &store::Reason) -> String {
    let what = match field {
        "region" => lang.t("区划代码", "Region code"),
        "hall" => lang.t("大厅编码", "Hall code"),
        "unit" => lang.t("单位编码", "Unit code"),
        "window" => lang.t("窗口编码", "Window code"),
        "staff" => lang.t("工号", "Job number"),
        _ => lang.t("事项编码", "Item code"),
    };
    format!("{what}：{}", text::reason(lang, reason))
}

/// `GET /admin/ratings`
pub async fn ratings(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<RatingsQuery>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let (filter, cursor, mut problems) = read(lang, &q);
    let (mut lines, mut next) = (Vec::new(), None);
    if problems.is_empty() {
        match store::browse::list(
            &st.read,
            &st.config.data_key,
            Reader::Admin(&ctx.actor),
            &filter,
            cursor,
            Direction::NewestFirst,
            PER_PAGE,
        )
        .await
        {
            Ok((rows, n)) => {
                lines = rows.into_iter().map(|l| line(lang, l)).collect();
                next = n.map(|c| c.encode());
            }
            Err(store::Error::Invalid { field, reason }) => problems.push(field_problem(lang, field, &reason)),
            Err(e) => return Err(e.into()),
        }
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let data = RatingsView {
        problem: (!problems.is_empty()).then(|| problems.join(" ")),
        filter: RatingsFilter {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            region: q.region.clone().unwrap_or_default(),
            hall: q.hall.clone().unwrap_or_default(),
            unit: q.unit.clone().unwrap_or_default(),
            window: q.window.clone().unwrap_or_default(),
            staff: q.staff.clone().unwrap_or_default(),
            item: q.item.clone().unwrap_or_default(),
            case: q.case.clone().unwrap_or_default(),
            channel: q.channel.clone().unwrap_or_default(),
            level: q.level.clone().unwrap_or_default(),
            mark: q.mark.clone().unwrap_or_default(),
        },
        channels: domain::Channel::ALL
            .into_iter()
            .map(|c| (c.code().to_string(), text::channel(lang, c).to_string()))
            .collect(),
        levels: domain::Level::ALL
            .into_iter()
            .map(|l| (l.code().to_string(), lang.level(l).to_string()))
            .collect(),
        marks: ["flagged", "excluded", "default"]
            .into_iter()
            .map(|m| (m.to_string(), mark_label(lang, m).to_string()))
            .collect(),
        lines,
        next,
        paged: cursor.is_some(),
    };
    let nav = ctx.nav();
    Ok(ctx.page(&st, status, lang.t("评价记录", "Ratings").to_string(), move || {
        view! { <RatingsPage nav=nav data=data/> }
    }))
}

/// Rows an export holds at most.
pub const EXPORT_MAX: usize = 100_000;

/// Every rating the filter names (newest first, at most [`EXPORT_MAX`]), as table rows.
async fn export_rows(st: &AppState, ctx: &crate::web::Ctx, q: &RatingsQuery) -> Result<(Vec<String>, Vec<Vec<String>>), PageError> {
    let lang = ctx.lang;
    let (filter, _, problems) = read(lang, q);
    if !problems.is_empty() {
        return Err(PageError::OutOfRange);
    }
    let header = [
        lang.t("评价时间", "Rated at"),
        lang.t("来源", "Source"),
        lang.t("渠道", "Channel"),
        lang.t("等级", "Level"),
        lang.t("分值", "Score"),
        lang.t("评价对象", "Rated"),
        lang.t("评价次数", "Rating count"),
        lang.t("办件编号", "Case number"),
        lang.t("区划代码", "Region code"),
        lang.t("大厅", "Hall"),
        lang.t("窗口", "Window"),
        lang.t("单位", "Unit"),
        lang.t("事项", "Item"),
        lang.t("工作人员", "Staff"),
        lang.t("标签", "Tags"),
        lang.t("评价内容", "Comment"),
        lang.t("标记", "Marks"),
        lang.t("工单", "Order"),
    ]
    .map(str::to_string)
    .to_vec();
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = match store::browse::list(
            &st.read,
            &st.config.data_key,
            Reader::Admin(&ctx.actor),
            &filter,
            cursor,
            Direction::NewestFirst,
            500,
        )
        .await
        {
            Ok(r) => r,
            Err(store::Error::Invalid { .. }) => return Err(PageError::OutOfRange),
            Err(e) => return Err(e.into()),
        };
        for l in page {
            let source = l.source.code().to_string();
            let (level, score, target, count) = (l.level.code().to_string(), l.score, l.target.clone(), l.rating_count);
            let (hall, window) = (named(l.hall.clone()), named(l.window.clone()));
            let region = l.region_code.clone();
            let tags = l.tags.join(",");
            let channel = l.channel.clone();
            let v = line(lang, l);
            rows.push(vec![
                v.at,
                source,
                channel,
                level,
                score.to_string(),
                target,
                count.to_string(),
                v.case_number.unwrap_or_default(),
                region,
                hall,
                window,
                v.unit,
                v.item,
                v.staff,
                tags,
                v.comment,
                v.marks,
                v.work_order.map(|w| w.to_string()).unwrap_or_default(),
            ]);
        }
        match next {
            Some(n) if rows.len() < EXPORT_MAX => cursor = Some(n),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX);
    Ok((header, rows))
}

/// `GET /admin/ratings.csv`: the filtered ratings as CSV (UTF-8 with BOM).
pub async fn ratings_csv(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<RatingsQuery>,
) -> Result<Response, PageError> {
    let (header, rows) = export_rows(&st, &ctx, &q).await?;
    let mut all = vec![header];
    all.extend(rows);
    Ok(crate::web::exports::csv_response("haocha-ratings.csv", &all))
}

/// `GET /admin/ratings.xlsx`: the filtered ratings as an Excel workbook.
pub async fn ratings_xlsx(
    State(st): State<AppState>,
    Signed(ctx, _): Signed<Admin>,
    PageQuery(q): PageQuery<RatingsQuery>,
) -> Result<Response, PageError> {
    let (header, rows) = export_rows(&st, &ctx, &q).await?;
    let sheet = ctx.lang.t("评价记录", "Ratings").to_string();
    crate::web::exports::xlsx_response("haocha-ratings.xlsx", &[(sheet, header, rows)], 4).map_err(PageError::internal)
}
