//! `GET /api/v1/stats`: the indicators of the calling key's scope (its own
//! cases; with a granted region or unit, that scope's every rating), broken
//! down by a dimension and a period — the numbers of `/admin/stats`, by the
//! same code (`store::stats`, `domain::indicators`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Datelike, NaiveDate};
use domain::indicators::{Dimension, Period, Rate};
use domain::Level;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiClient, ApiQuery};
use crate::web::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// `unit` (default), `item`, `window`, `staff`, `hall`, `region` (rolled up the tree) or `channel`.
    pub dimension: Option<String>,
    /// A second dimension splitting each row (e.g. `dimension=unit&then=channel`); optional.
    pub then: Option<String>,
    /// `day`, `week` (ISO), `month` (default), `quarter` or `year`, in Beijing time.
    pub period: Option<String>,
    /// First day, `YYYY-MM-DD` (default: the first of this month).
    pub from: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
}

/// Valid first ratings per level.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelCounts {
    pub very_satisfied: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub dissatisfied: u64,
    pub very_dissatisfied: u64,
}

/// One row: one key (unit code, item code, window code, job number, hall
/// code, region code or channel) in one period. Rates are shares 0–1, null
/// without a denominator; `n` is the number of valid ratings behind them.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsRow {
    pub key: String,
    pub name: String,
    /// With `then`: the second dimension's key and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name2: Option<String>,
    /// `2026-12-05`, `2026-W49`, `2026-12`, `2026-Q4` or `2026`.
    pub period: String,
    /// Cases completed in the period (by their completion day; none under `channel`).
    pub completed: u64,
    /// Of those, cases with an active first rating.
    pub rated: u64,
    /// 参评率 = rated / completed.
    pub participation_rate: Option<f64>,
    /// 好评率 = (非常满意 + 满意 + 基本满意) / valid.
    pub good_rate: Option<f64>,
    /// 主动评价好评率: the good rate without default ratings.
    pub active_good_rate: Option<f64>,
    /// 满意率 = (非常满意 + 满意) / valid.
    pub satisfaction_rate: Option<f64>,
    /// 差评率 = (不满意 + 非常不满意) / valid.
    pub bad_rate: Option<f64>,
    /// 未评价率 = (completed − rated) / completed.
    pub unrated_rate: Option<f64>,
    /// 10 / 8 / 6 / 3 / 0 averaged over valid ratings.
    pub average_score: Option<f64>,
    pub levels: LevelCounts,
    /// Default ratings (counted in the levels, also shown apart).
    pub defaults: u64,
    /// Excluded after an upheld appeal (in no rate).
    pub excluded: u64,
    /// Flagged as repeat or burst (in no rate).
    pub flagged: u64,
    /// Follow-ups (评价次数 2) and re-ratings after a work order (in no rate).
    pub follow_ups: u64,
    pub re_ratings: u64,
    /// 差评整改率, 按期办结率, 实名差评回访率.
    pub rectification_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub revisit_rate: Option<f64>,
    /// Composite score 0–100 (the region policy's weights over Wilson lower bounds).
    pub score: Option<f64>,
    /// Rank among the period's rows (regions: among sub-regions of one region);
    /// null for halls and channels and below the policy's fewest ratings.
    pub rank: Option<u32>,
    /// Valid ratings.
    pub n: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsPage {
    pub dimension: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub rows: Vec<StatsRow>,
}

fn share(r: Rate) -> Option<f64> {
    r.value().map(|v| (v * 10_000.0).round() / 10_000.0)
}

fn invalid(field: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
}

fn day(field: &'static str, s: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| invalid(field, &format!("{field}: a date YYYY-MM-DD"))),
    }
}

pub fn row(r: store::stats::Row, dim: Dimension, then: Option<Dimension>) -> StatsRow {
    let t = r.tally;
    let label = |d: Dimension, key: &str, name: String| match (d, domain::Channel::parse(key)) {
        (Dimension::Channel, Some(c)) => app::text::channel(app::Lang::Zh, c).to_string(),
        _ => name,
    };
    let name = label(dim, &r.key, r.name);
    let (key2, name2) = match then {
        Some(d) => (Some(r.key2.clone()), Some(label(d, &r.key2, r.name2))),
        None => (None, None),
    };
    StatsRow {
        key: r.key,
        name,
        key2,
        name2,
        period: r.period,
        completed: t.completed,
        rated: t.rated,
        participation_rate: share(t.participation_rate()),
        good_rate: share(t.good_rate()),
        active_good_rate: share(t.active_good_rate()),
        satisfaction_rate: share(t.satisfaction_rate()),
        bad_rate: share(t.bad_rate()),
        unrated_rate: share(t.unrated_rate()),
        average_score: t.average_score().map(|a| (a * 100.0).round() / 100.0),
        levels: LevelCounts {
            very_satisfied: t.of_level(Level::VerySatisfied),
            satisfied: t.of_level(Level::Satisfied),
            basically_satisfied: t.of_level(Level::BasicallySatisfied),
            dissatisfied: t.of_level(Level::Dissatisfied),
            very_dissatisfied: t.of_level(Level::VeryDissatisfied),
        },
        defaults: t.defaults(),
        excluded: t.excluded,
        flagged: t.flagged,
        follow_ups: t.follow_ups,
        re_ratings: t.re_ratings,
        rectification_rate: share(t.rectification_rate()),
        on_time_rate: share(t.on_time_rate()),
        revisit_rate: share(t.revisit_rate()),
        score: r.score.map(|s| (s * 100.0).round() / 100.0),
        rank: r.rank,
        n: t.valid(),
    }
}

/// Indicators by dimension and period.
///
/// Over the key's scope: the ratings of the cases it reported, and with a
/// granted region or unit (`haocha api-key create NAME --scope CODE`) every
/// rating there (case ratings of every channel, static-code and kiosk
/// ratings, defaults). Defaults, excluded, flagged, follow-ups and re-ratings
/// are counted apart and never mixed into the rates. At most 10 years, and
/// at most 366 days by `day`.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "stats", params(StatsQuery),
    security(("api_key" = [])),
    responses((status = 200, body = StatsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn stats(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<StatsPage>, ApiError> {
    let dim_code = q.dimension.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("unit");
    let dim =
        Dimension::parse(dim_code).ok_or_else(|| invalid("dimension", "dimension: unit, item, window, staff, hall, region or channel"))?;
    let then = match q.then.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(
            Dimension::parse(t)
                .filter(|t| *t != dim)
                .ok_or_else(|| invalid("then", "then: another of unit, item, window, staff, hall, region, channel"))?,
        ),
    };
    let period_code = q.period.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("month");
    let period = Period::parse(period_code).ok_or_else(|| invalid("period", "period: day, week, month, quarter or year"))?;
    let today = st.now().with_timezone(&store::console::china()).date_naive();
    let from = day("from", q.from.as_deref(), today.with_day(1).unwrap_or(today))?;
    let to = day("to", q.to.as_deref(), today)?;
    if to < from {
        return Err(invalid("to", "to: on or after from"));
    }
    let days = (to - from).num_days() + 1;
    if days > 3660 || (period == Period::Day && days > 366) {
        return Err(invalid("to", "to: at most 10 years after from (366 days by day)"));
    }
    let reader = store::stats::Reader::Client(client);
    let dims: Vec<Dimension> = std::iter::once(dim).chain(then).collect();
    let mut rows = store::stats::grouped_by(
        &st.read,
        reader,
        &dims,
        Some(period),
        domain::calendar::start_of(from),
        domain::calendar::start_of(to.succ_opt().unwrap_or(to)),
    )
    .await?;
    let policy = store::stats::ranking_policy(&st.read, reader).await?;
    store::stats::rank(&mut rows, dim, &policy.weights());
    rows.sort_by(|a, b| {
        a.period
            .cmp(&b.period)
            .then(a.key2.cmp(&b.key2))
            .then(a.rank.unwrap_or(u32::MAX).cmp(&b.rank.unwrap_or(u32::MAX)))
            .then(a.key.cmp(&b.key))
    });
    Ok(Json(StatsPage {
        dimension: dim.code().to_string(),
        period: period.code().to_string(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        rows: rows.into_iter().map(|r| row(r, dim, then)).collect(),
    }))
}
