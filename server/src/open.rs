//! `GET /open[?region=CODE]` (好差评公开): the public page. No sign-in, no
//! JavaScript, cached by browsers and proxies for 5 minutes. Without a region:
//! the provinces; with one: it, its sub-regions and its halls, its units
//! ranked, its trend and its rectified cases (anonymised: no rater data,
//! phone and ID numbers masked, staff by job number only where the region's
//! policy says so).

use app::pages::open::{OpenCase, OpenPage, OpenPlace, OpenRank, OpenView};
use app::{render, Lang};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, Months, NaiveDate};
use domain::indicators::{Dimension, Period, Tally};
use domain::values::mask_personal;
use leptos::prelude::*;
use serde::Deserialize;
use store::stats::{Counter, Reader};

use crate::web::{html, Language, Message, PageError, PageQuery};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct OpenQuery {
    pub region: Option<String>,
    pub lang: Option<String>,
}

/// How long browsers and proxies may keep the page.
pub const MAX_AGE_SECS: u32 = 300;

fn columns(lang: Lang) -> Vec<String> {
    [
        "n",
        lang.t("好评率", "Good rate"),
        lang.t("主动评价好评率", "Active good rate"),
        lang.t("差评率", "Bad rate"),
        lang.t("参评率", "Participation"),
        lang.t("差评整改率", "Rectified"),
        lang.t("按期办结率", "On time"),
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

fn cells(t: &Tally) -> Vec<String> {
    let mut c = vec![t.valid().to_string()];
    c.extend(
        [
            t.good_rate(),
            t.active_good_rate(),
            t.bad_rate(),
            t.participation_rate(),
            t.rectification_rate(),
            t.on_time_rate(),
        ]
        .map(|r| r.percent()),
    );
    c
}

fn start(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    domain::calendar::start_of(d)
}

/// `GET /open`
pub async fn open(
    State(st): State<AppState>,
    Language { lang, cookie }: Language,
    PageQuery(q): PageQuery<OpenQuery>,
) -> Result<Response, PageError> {
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let month = today.with_day(1).unwrap_or(today);
    let last_month = month.checked_sub_months(Months::new(1)).unwrap_or(month);
    let year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(month);
    let (lm_from, lm_to) = (start(last_month), start(month));
    let (y_from, y_to) = (start(year), start(today + Duration::days(1)));
    let regions = store::stats::regions(&st.read).await?;
    let code = q.region.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let chosen = match code {
        None => None,
        Some(c) => match regions.iter().find(|r| r.code == c) {
            Some(r) => Some(r.clone()),
            None => {
                let text = lang.t("没有这个地区。", "There is no such region.");
                return Ok(
                    Message::new(StatusCode::NOT_FOUND, app::pages::message::Tone::Problem, text, text, "/open").render(&st, lang, cookie),
                );
            }
        },
    };
    let mut data = OpenView {
        region: chosen.as_ref().map(|r| (r.code.clone(), r.name.clone())),
        regions: regions.iter().map(|r| (r.code.clone(), r.name.clone())).collect(),
        last_month: format!("{} {}", lang.t("上月", "Last month"), last_month.format("%Y-%m")),
        this_year: format!("{} {} – {}", lang.t("本年", "This year"), year, today),
        columns: columns(lang),
        ..Default::default()
    };
    match &chosen {
        None => {
            // The provinces (top regions), each rolled up.
            for r in regions.iter().filter(|r| r.parent.is_none()) {
                let mut counter = Counter::new(&st.read, Reader::Region(r.id)).await?;
                let lm = counter.whole(lm_from, lm_to).await?;
                let y = counter.whole(y_from, y_to).await?;
                data.places.push(OpenPlace {
                    name: r.name.clone(),
                    href: Some(format!("/open?region={}", r.code)),
                    last_month: cells(&lm),
                    this_year: cells(&y),
                });
            }
        }
        Some(region) => {
            let mut counter = Counter::new(&st.read, Reader::Region(region.id)).await?;
            // The region, its direct sub-regions (rolled up), then its halls.
            let shown: Vec<&store::stats::RegionInfo> = std::iter::once(region)
                .chain(regions.iter().filter(|r| r.parent == Some(region.id)))
                .collect();
            let lm = counter.grouped(&[Dimension::Region], None, lm_from, lm_to).await?;
            let y = counter.grouped(&[Dimension::Region], None, y_from, y_to).await?;
            let of = |rows: &[store::stats::Row], code: &str| rows.iter().find(|r| r.key == code).map(|r| r.tally).unwrap_or_default();
            for r in shown {
                data.places.push(OpenPlace {
                    name: r.name.clone(),
                    href: (r.id != region.id).then(|| format!("/open?region={}", r.code)),
                    last_month: cells(&of(&lm, &r.code)),
                    this_year: cells(&of(&y, &r.code)),
                });
            }
            let lm = counter.grouped(&[Dimension::Hall], None, lm_from, lm_to).await?;
            let y = counter.grouped(&[Dimension::Hall], None, y_from, y_to).await?;
            let mut halls: Vec<(String, String)> = y.iter().chain(lm.iter()).map(|r| (r.key.clone(), r.name.clone())).collect();
            halls.sort();
            halls.dedup();
            for (code, name) in halls {
                data.places.push(OpenPlace {
                    name,
                    href: None,
                    last_month: cells(&of(&lm, &code)),
                    this_year: cells(&of(&y, &code)),
                });
            }
            // Units ranked this year, by the region's policy.
            let (policy, _) = store::policies::for_region(&st.read, region.id).await?;
            let mut units = counter.grouped(&[Dimension::Unit], None, y_from, y_to).await?;
            store::stats::rank(&mut units, Dimension::Unit, &policy.weights());
            units.sort_by(|a, b| {
                a.rank
                    .unwrap_or(u32::MAX)
                    .cmp(&b.rank.unwrap_or(u32::MAX))
                    .then(b.tally.valid().cmp(&a.tally.valid()))
                    .then(a.key.cmp(&b.key))
            });
            data.ranking = units
                .iter()
                .filter(|u| u.tally.valid() > 0)
                .map(|u| OpenRank {
                    rank: u.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                    unit: u.name.clone(),
                    n: u.tally.valid(),
                    good_rate: u.tally.good_rate().percent(),
                    score: u.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into()),
                })
                .collect();
            data.rank_rule = match lang {
                Lang::Zh => format!(
                    "按综合得分排名（好评率、差评整改率、按期办结率、参评率加权，各率取 95% 置信下限）；有效评价少于 {} 条的单位不排名（—）。",
                    policy.rank_min_n
                ),
                Lang::En => format!(
                    "Ranked by a composite score (good rate, rectified, on time, participation, each at its 95% lower bound); units with fewer than {} valid ratings are not ranked (—).",
                    policy.rank_min_n
                ),
            };
            let trend = counter.grouped(&[], Some(Period::Month), y_from, y_to).await?;
            let labels: Vec<String> = trend.iter().map(|r| r.period.clone()).collect();
            data.trend_svg = crate::charts::trend(
                &format!("{} · {}", region.name, lang.t("好评率趋势", "Good rate trend")),
                &labels,
                &[(
                    lang.t("好评率", "Good rate").to_string(),
                    trend.iter().map(|r| r.tally.good_rate().value()).collect(),
                )],
            );
            data.trend = trend
                .iter()
                .map(|r| (r.period.clone(), r.tally.good_rate().percent(), r.tally.valid()))
                .collect();
            let ids = store::accounts::region_subtree(&st.read, region.id).await?;
            data.cases = store::work_orders::rectified(&st.read, ids, policy.publish_staff_numbers, 20)
                .await?
                .into_iter()
                .map(|c| OpenCase {
                    closed_on: c.closed_at.with_timezone(&store::console::china()).format("%Y-%m-%d").to_string(),
                    place: [Some(c.hall), c.unit, c.item].into_iter().flatten().collect::<Vec<_>>().join(" · "),
                    level: lang.level(c.level).to_string(),
                    comment: c.comment.as_deref().map(mask_personal).unwrap_or_else(|| "—".into()),
                    result: c.result.as_deref().map(mask_personal).unwrap_or_else(|| "—".into()),
                    staff_number: c.staff_number,
                })
                .collect();
        }
    }
    let title = match &data.region {
        Some((_, name)) => format!("{name} · {}", lang.t("好差评公开", "Ratings in public")),
        None => lang.t("政务服务好差评公开", "Government service ratings in public").to_string(),
    };
    let doc = render::document(
        &st.leptos,
        lang,
        title,
        false,
        None,
        move || view! { <OpenPage lang=lang data=data/> },
    );
    let private = cookie.is_some();
    let mut res = html(StatusCode::OK, doc, cookie);
    let cache = if private {
        "private, max-age=0".to_string()
    } else {
        format!("public, max-age={MAX_AGE_SECS}")
    };
    if let Ok(v) = HeaderValue::from_str(&cache) {
        res.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    Ok(res.into_response())
}
