//! Cases in from business systems, and what the window screen and the rating
//! page need to know about a case.

use chrono::{DateTime, Duration, Utc};
use domain::{CaseNumber, Channel, Phone};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use crate::crypto::DataKey;
use crate::entities::{hall, item, rating_token, region, service_case, service_window, staff, unit};
use crate::{immediate, random_token, Conflict, Db, Error, Reason, Result};

/// A case as a business system reports it (wire values, not yet checked).
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    pub case_number: String,
    pub item_code: String,
    pub window_code: String,
    pub staff_number: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_name: Option<String>,
    pub real_name: bool,
    pub accepted_at: Option<String>,
    pub completed_at: String,
    pub transactions: Option<i64>,
    pub bundle_id: Option<String>,
}

/// What the caller gets back: the same for an identical resend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReceipt {
    pub id: i32,
    pub token: String,
    /// false when this was an identical resend of a stored case.
    pub created: bool,
}

struct CheckedCase {
    case_number: CaseNumber,
    phone: Option<Phone>,
    applicant_name: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    completed_at: DateTime<Utc>,
    transactions: i32,
    bundle_id: Option<String>,
}

fn parse_time(field: &'static str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::invalid(field, Reason::NotTime))
}

fn short_text(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(Error::invalid(field, Reason::TooLong { max })),
        Some(t) if t.chars().any(char::is_control) => Err(Error::invalid(field, Reason::ControlCharacters)),
        Some(t) => Ok(Some(t.to_string())),
    }
}

fn check(input: &CaseInput) -> Result<CheckedCase> {
    let case_number = CaseNumber::parse(&input.case_number).map_err(|e| Error::invalid("case_number", Reason::Value(e)))?;
    let phone = match input.applicant_phone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(Phone::parse(p).map_err(|e| Error::invalid("applicant_phone", Reason::Value(e)))?),
    };
    let applicant_name = short_text("applicant_name", input.applicant_name.as_deref(), 64)?;
    let bundle_id = short_text("bundle_id", input.bundle_id.as_deref(), 64)?;
    let completed_at = parse_time("completed_at", &input.completed_at)?;
    let accepted_at = input.accepted_at.as_deref().map(|s| parse_time("accepted_at", s)).transpose()?;
    if let Some(a) = accepted_at {
        if a > completed_at {
            return Err(Error::invalid("accepted_at", Reason::AfterCompletion));
        }
    }
    let transactions = match input.transactions {
        None => 1,
        Some(n @ 1..=10_000) => n as i32,
        Some(_) => return Err(Error::invalid("transactions", Reason::OutOfRange { min: 1, max: 10_000 })),
    };
    Ok(CheckedCase {
        case_number,
        phone,
        applicant_name,
        accepted_at,
        completed_at,
        transactions,
        bundle_id,
    })
}

/// The canonical form of a case, to tell an identical resend from a conflicting one.
fn fingerprint(input: &CaseInput, c: &CheckedCase, key: &DataKey) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    [
        input.item_code.trim().to_string(),
        input.window_code.trim().to_string(),
        opt(&input.staff_number.as_ref().map(|s| s.trim().to_string())),
        // The keyed hash, never the number: the fingerprint is stored.
        c.phone.as_ref().map(|p| key.hash(p.expose())).unwrap_or_default(),
        opt(&c.applicant_name),
        input.real_name.to_string(),
        c.accepted_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        c.completed_at.to_rfc3339(),
        c.transactions.to_string(),
        opt(&c.bundle_id),
    ]
    .join("\u{1f}")
}

/// Whether a unit's region is `region` or one above it: its items and people
/// may be served at windows there.
async fn unit_serves<C: ConnectionTrait>(conn: &C, unit_id: i32, region: i32) -> Result<bool> {
    match unit::Entity::find_by_id(unit_id).one(conn).await? {
        Some(u) => crate::accounts::region_within(conn, region, u.region_id).await,
        None => Ok(false),
    }
}

/// `POST /api/v1/cases`: stores a completed case and its dynamic-QR token.
///
/// Idempotent per issuing system and case number: an identical resend returns the
/// stored receipt; a different body under the same number is a conflict.
pub async fn create_case(
    db: &Db,
    key: &DataKey,
    client_id: i32,
    input: &CaseInput,
    now: DateTime<Utc>,
    token_ttl: Duration,
) -> Result<CaseReceipt> {
    let checked = check(input)?;
    // A completion in the future would pin the window's screen to this case
    // (issue 13 item 5); a few minutes of clock skew are allowed.
    if checked.completed_at > now + Duration::minutes(5) {
        return Err(Error::invalid("completed_at", Reason::InFuture));
    }
    let fp = fingerprint(input, &checked, key);
    if let Some(existing) = find_issued(db, client_id, checked.case_number.as_str()).await? {
        return receipt_for_resend(db, existing, &fp).await;
    }

    let txn = db.begin_with_options(immediate()).await?;
    let item = item::Entity::find()
        .filter(item::Column::Code.eq(input.item_code.trim()))
        .filter(item::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("item_code", Reason::Unknown(input.item_code.trim().to_string())))?;
    let window = service_window::Entity::find()
        .filter(service_window::Column::Code.eq(input.window_code.trim()))
        .filter(service_window::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("window_code", Reason::Unknown(input.window_code.trim().to_string())))?;
    let staff_row = match input.staff_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            staff::Entity::find()
                .filter(staff::Column::Number.eq(n))
                .filter(staff::Column::Active.eq(true))
                .one(&txn)
                .await?
                .ok_or_else(|| Error::invalid("staff_number", Reason::Unknown(n.to_string())))?,
        ),
    };
    let staff_id = staff_row.as_ref().map(|s| s.id);
    let staff_unit = staff_row.as_ref().map(|s| s.unit_id);
    let hall = hall::Entity::find_by_id(window.hall_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let region = region::Entity::find_by_id(hall.region_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("region"))?;
    // The item's and the staff member's units belong to the window's region or
    // one above it (a 大连 item or person is refused on a 沈阳 window).
    if !unit_serves(&txn, item.unit_id, hall.region_id).await? {
        return Err(Error::invalid("item_code", Reason::NotOfWindowRegion));
    }
    if let Some(s) = staff_unit {
        if !unit_serves(&txn, s, hall.region_id).await? {
            return Err(Error::invalid("staff_number", Reason::NotOfWindowRegion));
        }
    }

    let inserted = service_case::ActiveModel {
        api_client_id: Set(client_id),
        case_number: Set(checked.case_number.as_str().to_string()),
        item_id: Set(item.id),
        window_id: Set(window.id),
        staff_id: Set(staff_id),
        region_code: Set(region.code),
        applicant_phone: Set(None),
        phone_sealed: Set(checked.phone.as_ref().map(|p| key.seal(p.expose()))),
        phone_hash: Set(checked.phone.as_ref().map(|p| key.hash(p.expose()))),
        applicant_name: Set(checked.applicant_name.clone()),
        real_name: Set(input.real_name),
        accepted_at: Set(checked.accepted_at),
        completed_at: Set(checked.completed_at),
        transactions: Set(checked.transactions),
        bundle_id: Set(checked.bundle_id.clone()),
        request_fingerprint: Set(fp.clone()),
        created_at: Set(now),
        // A case with a phone may get a reminder: the job looks at it from then on.
        reminder_due_at: Set(checked.phone.is_some().then_some(checked.completed_at)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let case = match inserted {
        Ok(c) => {
            // Its completion day's numbers change (issue 14 rollups).
            crate::rollup::mark(&txn, &[c.completed_at]).await?;
            c
        }
        Err(e) if Error::is_unique_violation(&e) => {
            // A concurrent identical request won the race: answer as for a resend.
            txn.rollback().await?;
            let existing = find_issued(db, client_id, checked.case_number.as_str())
                .await?
                .ok_or(Error::NotFound("case"))?;
            return receipt_for_resend(db, existing, &fp).await;
        }
        Err(e) => return Err(e.into()),
    };
    let token = issue_token(&txn, case.id, Channel::DynamicQr, now, token_ttl).await?;
    // The window's screen shows the new case's QR code (issue 16: pushed, not polled).
    crate::notice::window_changed(&txn, case.window_id).await?;
    txn.commit().await?;
    Ok(CaseReceipt {
        id: case.id,
        token,
        created: true,
    })
}

async fn find_issued(db: &Db, client_id: i32, number: &str) -> Result<Option<service_case::Model>> {
    Ok(service_case::Entity::find()
        .filter(service_case::Column::ApiClientId.eq(client_id))
        .filter(service_case::Column::CaseNumber.eq(number))
        .one(db)
        .await?)
}

async fn receipt_for_resend(db: &Db, existing: service_case::Model, fp: &str) -> Result<CaseReceipt> {
    if existing.request_fingerprint != fp {
        return Err(Error::Conflict(Conflict::CaseResent(existing.case_number)));
    }
    let token = rating_token::Entity::find()
        .filter(rating_token::Column::CaseId.eq(existing.id))
        .order_by_asc(rating_token::Column::Id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("rating token"))?;
    Ok(CaseReceipt {
        id: existing.id,
        token: token.token,
        created: false,
    })
}

pub(crate) async fn issue_token<C: ConnectionTrait>(
    conn: &C,
    case_id: i32,
    channel: Channel,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<String> {
    let token = random_token(16);
    rating_token::ActiveModel {
        token: Set(token.clone()),
        case_id: Set(case_id),
        channel: Set(channel.code().to_string()),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// An unused link of the case on `channel` still valid for 10 minutes, or a
/// new one: pages that offer a case's link do not mint one per view.
pub(crate) async fn open_token<C: ConnectionTrait>(
    conn: &C,
    case_id: i32,
    channel: Channel,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<String> {
    let existing = rating_token::Entity::find()
        .filter(rating_token::Column::CaseId.eq(case_id))
        .filter(rating_token::Column::Channel.eq(channel.code()))
        .filter(rating_token::Column::UsedAt.is_null())
        .filter(rating_token::Column::ExpiresAt.gt(now + Duration::minutes(10)))
        .order_by_desc(rating_token::Column::Id)
        .one(conn)
        .await?;
    match existing {
        Some(t) => Ok(t.token),
        None => issue_token(conn, case_id, channel, now, ttl).await,
    }
}

/// What a rater and a window screen are shown about a case. No applicant data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    pub case_id: i32,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub staff: Option<StaffView>,
    pub transactions: i32,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffView {
    pub number: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Open,
    Used,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    pub token: String,
    pub state: TokenState,
    pub expires_at: DateTime<Utc>,
    pub case: CaseView,
}

pub(crate) async fn case_view<C: ConnectionTrait>(conn: &C, case: &service_case::Model) -> Result<CaseView> {
    let item = item::Entity::find_by_id(case.item_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("item"))?;
    let window = service_window::Entity::find_by_id(case.window_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let hall = hall::Entity::find_by_id(window.hall_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let staff = match case.staff_id {
        Some(id) => staff::Entity::find_by_id(id).one(conn).await?.map(|s| StaffView {
            number: s.number,
            name: s.name,
        }),
        None => None,
    };
    Ok(CaseView {
        case_id: case.id,
        case_number: case.case_number.clone(),
        item_code: item.code,
        item_name: item.name,
        window_code: window.code,
        window_name: window.name,
        hall_name: hall.name,
        staff,
        transactions: case.transactions,
        completed_at: case.completed_at,
    })
}

fn state_of(t: &rating_token::Model, now: DateTime<Utc>) -> TokenState {
    if t.used_at.is_some() {
        TokenState::Used
    } else if now >= t.expires_at {
        TokenState::Expired
    } else {
        TokenState::Open
    }
}

/// A rating link and its case: the one look-up every use of a token starts
/// from (the page, its submission, the follow-up). Unknown tokens are `NotFound`.
pub(crate) async fn token_case<C: ConnectionTrait>(conn: &C, token: &str) -> Result<(rating_token::Model, service_case::Model)> {
    use sea_orm::{JoinType, QuerySelect as _};
    // A shared commit read its batch's tokens at once (`crate::group`).
    if let Some(hit) = crate::group::cached(|c| c.tokens.get(token).cloned()) {
        return Ok(hit);
    }
    // The token with its case: one statement (every rating page and submit).
    let to_case: sea_orm::RelationDef = rating_token::Entity::belongs_to(service_case::Entity)
        .from(rating_token::Column::CaseId)
        .to(service_case::Column::Id)
        .into();
    let (t, case) = rating_token::Entity::find()
        .join(JoinType::LeftJoin, to_case)
        .select_also(service_case::Entity)
        .filter(rating_token::Column::Token.eq(token))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("rating link"))?;
    Ok((t, case.ok_or(Error::NotFound("case"))?))
}

/// The rating page's view of a token. Unknown tokens are `NotFound`.
pub async fn token_view(db: &Db, token: &str, now: DateTime<Utc>) -> Result<TokenView> {
    let (t, case) = token_case(db, token).await?;
    token_view_of(db, t, &case, now).await
}

pub(crate) async fn token_view_of(db: &Db, t: rating_token::Model, case: &service_case::Model, now: DateTime<Utc>) -> Result<TokenView> {
    Ok(TokenView {
        state: state_of(&t, now),
        token: t.token,
        expires_at: t.expires_at,
        case: case_view(db, case).await?,
    })
}

/// What the citizen-facing screen at a window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowScreen {
    pub window_id: i32,
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    /// The most recent completed case at the window and its QR token.
    pub current: Option<TokenView>,
}

pub async fn window_screen(db: &Db, window_code: &str, now: DateTime<Utc>) -> Result<WindowScreen> {
    let window = service_window::Entity::find()
        .filter(service_window::Column::Code.eq(window_code))
        .one(db)
        .await?
        .ok_or(Error::NotFound("window"))?;
    let hall = hall::Entity::find_by_id(window.hall_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("hall"))?;
    let latest = service_case::Entity::find()
        .filter(service_case::Column::WindowId.eq(window.id))
        .order_by_desc(service_case::Column::CompletedAt)
        .order_by_desc(service_case::Column::Id)
        .one(db)
        .await?;
    let current = match latest {
        None => None,
        Some(case) => {
            let token = rating_token::Entity::find()
                .filter(rating_token::Column::CaseId.eq(case.id))
                .filter(rating_token::Column::Channel.eq(Channel::DynamicQr.code()))
                .order_by_desc(rating_token::Column::Id)
                .one(db)
                .await?;
            match token {
                Some(t) => Some(token_view_of(db, t, &case, now).await?),
                None => None,
            }
        }
    };
    Ok(WindowScreen {
        window_id: window.id,
        window_code: window.code,
        window_name: window.name,
        hall_name: hall.name,
        current,
    })
}

/// The other cases of a case's bundle (一件事): same issuing system, same bundle id.
pub async fn bundle_siblings<C: ConnectionTrait>(conn: &C, case: &service_case::Model) -> Result<Vec<service_case::Model>> {
    let Some(bundle) = case.bundle_id.as_deref().filter(|b| !b.is_empty()) else {
        return Ok(Vec::new());
    };
    Ok(service_case::Entity::find()
        .filter(service_case::Column::ApiClientId.eq(case.api_client_id))
        .filter(service_case::Column::BundleId.eq(bundle))
        .filter(service_case::Column::Id.ne(case.id))
        .order_by_asc(service_case::Column::Id)
        .all(conn)
        .await?)
}

/// Sets `column` of each listed case to its own time, in one statement (a
/// `CASE` over the ids): the jobs that schedule new cases (default ratings,
/// reminders) did one `UPDATE` per case — at a few hundred new cases a second,
/// tens of thousands of statements a minute on the writer (issue 16).
pub(crate) async fn set_times<C: ConnectionTrait>(conn: &C, column: service_case::Column, times: &[(i32, DateTime<Utc>)]) -> Result<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let Some(((first_id, first_at), rest)) = times.split_first() else {
        return Ok(());
    };
    let id = || Expr::col((service_case::Entity, service_case::Column::Id));
    let mut case = Expr::case(id().eq(*first_id), Expr::value(*first_at));
    for (i, at) in rest {
        case = case.case(id().eq(*i), Expr::value(*at));
    }
    service_case::Entity::update_many()
        .col_expr(column, case.finally(Expr::col((service_case::Entity, column))).into())
        .filter(service_case::Column::Id.is_in(times.iter().map(|t| t.0)))
        .exec(conn)
        .await?;
    Ok(())
}

/// The tokens among `tokens` that exist, each with its case (one statement;
/// a token without its case is left out: reading it alone says why).
pub(crate) async fn tokens_cases<C: ConnectionTrait>(conn: &C, tokens: &[&str]) -> Result<Vec<(rating_token::Model, service_case::Model)>> {
    use sea_orm::{JoinType, QuerySelect as _};
    let to_case: sea_orm::RelationDef = rating_token::Entity::belongs_to(service_case::Entity)
        .from(rating_token::Column::CaseId)
        .to(service_case::Column::Id)
        .into();
    Ok(rating_token::Entity::find()
        .join(JoinType::InnerJoin, to_case)
        .select_also(service_case::Entity)
        .filter(rating_token::Column::Token.is_in(tokens.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(t, c)| c.map(|c| (t, c)))
        .collect())
}
