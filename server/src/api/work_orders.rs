//! `GET /api/v1/work-orders[/{id}]`: the 差评工单 of the calling business
//! system's cases (SPEC §5), for its own follow-up screens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiClient, ApiQuery};
use crate::web::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct WorkOrdersQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1–200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// One work order (差评工单).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderOut {
    pub id: i32,
    pub case_number: Option<String>,
    pub rating_id: Option<i32>,
    /// `dissatisfied` or `very_dissatisfied`.
    pub level: String,
    /// new, contacted, in_progress, replied, returned, extension_requested, appeal_requested, closed.
    pub state: String,
    /// The responsible unit's code; null: the hall's center.
    pub unit_code: Option<String>,
    /// RFC 3339.
    pub opened_at: String,
    /// By when the rater must be contacted (RFC 3339).
    pub first_contact_due: String,
    /// By when the matter must be handled, once the tier is chosen (RFC 3339).
    pub handle_due: Option<String>,
    pub closed_at: Option<String>,
    /// Working days past the deadline running now; 0 when on time.
    pub overdue_days: u32,
    /// The reply's result (整改结果), or the appeal decision.
    pub result: Option<String>,
}

impl From<store::work_orders::OrderRow> for WorkOrderOut {
    fn from(r: store::work_orders::OrderRow) -> Self {
        WorkOrderOut {
            id: r.id,
            case_number: r.case_number,
            rating_id: r.rating_id,
            level: r.level.code().to_string(),
            state: r.state.code().to_string(),
            unit_code: r.unit.map(|(c, _)| c),
            opened_at: r.opened_at.to_rfc3339(),
            first_contact_due: r.first_contact_due.to_rfc3339(),
            handle_due: r.handle_due.map(|t| t.to_rfc3339()),
            closed_at: r.closed_at.map(|t| t.to_rfc3339()),
            overdue_days: r.overdue_days,
            result: r.result,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrdersPage {
    pub work_orders: Vec<WorkOrderOut>,
    /// Pass as `after` for the next page; null at the end.
    pub next: Option<String>,
}

/// The work orders of your cases, oldest first.
#[utoipa::path(
    get, path = "/api/v1/work-orders", tag = "work orders", params(WorkOrdersQuery),
    security(("api_key" = [])),
    responses((status = 200, body = WorkOrdersPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list_work_orders(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    ApiQuery(q): ApiQuery<WorkOrdersQuery>,
) -> Result<Json<WorkOrdersPage>, ApiError> {
    let after = super::cursor(q.after.as_deref())?;
    let limit = super::page_limit(q.limit, 200)?;
    let rows = store::work_orders::for_client(&st.db, client, after, limit + 1, st.now()).await?;
    let more = rows.len() as u64 > limit;
    let orders: Vec<WorkOrderOut> = rows.into_iter().take(limit as usize).map(WorkOrderOut::from).collect();
    let next = if more { orders.last().map(|o| o.id.to_string()) } else { None };
    Ok(Json(WorkOrdersPage { work_orders: orders, next }))
}

/// One work order of your cases.
#[utoipa::path(
    get, path = "/api/v1/work-orders/{id}", tag = "work orders",
    params(("id" = i32, Path, description = "The work order's id")),
    security(("api_key" = [])),
    responses((status = 200, body = WorkOrderOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn work_order(
    State(st): State<AppState>,
    ApiClient(client): ApiClient,
    Path(id): Path<String>,
) -> Result<Json<WorkOrderOut>, ApiError> {
    let Ok(id) = id.trim().parse::<i32>() else {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "id: a work order id is a number").field("id"));
    };
    let row = store::work_orders::for_client_one(&st.db, client, id, st.now()).await?;
    Ok(Json(WorkOrderOut::from(row)))
}
