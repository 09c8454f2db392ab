//! The one-time re-rating link after an order closed.

use super::*;

/// How long a re-rating link stays open.
pub const RERATING_DAYS: i64 = 15;

/// After a closed order (not by an upheld appeal), the center sends the
/// rater a one-time re-rating link (`/s/1/re…`, by SMS when the case has a
/// phone). Once per order; audited. Returns the link's path.
pub async fn invite_rerating(
    db: &Db,
    key: &crate::crypto::DataKey,
    actor: &Actor,
    id: i32,
    public_url: &str,
    meta: &Meta,
) -> Result<(String, bool)> {
    let now = meta.now;
    let txn = db.begin_with_options(immediate()).await?;
    let o = work_order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    if !sees(actor, &o, None) || actor.role == Role::WindowStaff {
        return Err(Error::Forbidden);
    }
    let state = State::parse(&o.state).unwrap_or(State::New);
    let Some(case) = (match o.case_id {
        Some(c) => service_case::Entity::find_by_id(c).one(&txn).await?,
        None => None,
    }) else {
        // A static-code or kiosk rating has no one to send a link to.
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    };
    if state != State::Closed || o.rating_excluded || o.rerating_token_id.is_some() {
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    }
    if !may(actor, &o, &Step::QcPass) {
        return Err(Error::Forbidden);
    }
    let token = crate::entities::rating_token::ActiveModel {
        token: Set(crate::random_token(16)),
        case_id: Set(case.id),
        channel: Set(domain::Channel::SmsLink.code().into()),
        expires_at: Set(now + Duration::days(RERATING_DAYS)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let updated = work_order::Entity::update_many()
        .col_expr(work_order::Column::ReratingTokenId, Expr::value(token.id))
        .filter(work_order::Column::Id.eq(o.id))
        .filter(work_order::Column::ReratingTokenId.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Error::Conflict(Conflict::Transition(wo::IllegalTransition {
            state: state.code(),
            action: "rerate",
            allowed: vec![],
        })));
    }
    let path = crate::sms::rerate_path(key, o.id);
    event(
        &txn,
        o.id,
        &EventBy::of(actor),
        "rerate_invite",
        state,
        state,
        Some(json!({ "days": RERATING_DAYS })),
        now,
    )
    .await?;
    crate::audit::append(
        &txn,
        crate::audit::Entry {
            who: &Who::from(actor),
            action: "work_order.rerate_invite",
            object_kind: "work_order",
            object_code: &o.id.to_string(),
            before: None,
            after: Some(json!({ "link": path })),
            region_id: Some(o.region_id),
        },
        meta,
    )
    .await?;
    let mut told = false;
    if let (Some(sealed), Some(hash)) = (&case.phone_sealed, &case.phone_hash) {
        told = crate::sms::queue_sealed(
            &txn,
            crate::sms::Sealed {
                kind: "work_order",
                case_id: Some(case.id),
                sealed,
                hash,
                body: &format!("【好差评】您反映的问题已整改完毕，欢迎再次评价：{public_url}{path}"),
                dedupe_key: Some(format!("wo-rerate:{}", o.id)),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok((path, told))
}

/// The rating token of an order's re-rating link (for `/s/1/re…`).
pub async fn rerating_token(db: &Db, order_id: i32) -> Result<String> {
    let o = work_order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("work order"))?;
    let t = crate::entities::rating_token::Entity::find_by_id(o.rerating_token_id.ok_or(Error::NotFound("link"))?)
        .one(db)
        .await?
        .ok_or(Error::NotFound("link"))?;
    Ok(t.token)
}

/// Inside `rate_by_token`: when `t` is an order's re-rating link, stores the
/// item rating as that order's re-rating (rating count 3, counted apart; no
/// new order) and returns its id; `None` for any other link.
pub(crate) async fn rerate(
    txn: &DatabaseTransaction,
    t: &crate::entities::rating_token::Model,
    case: &service_case::Model,
    input: &domain::RatingInput,
    channel: domain::Channel,
    now: DateTime<Utc>,
) -> Result<Option<i32>> {
    // A shared commit looked up its batch's re-rating links at once.
    if crate::group::cached(|c| c.rerating.get(&t.token).copied()) == Some(false) {
        return Ok(None);
    }
    let Some(o) = work_order::Entity::find()
        .filter(work_order::Column::ReratingTokenId.eq(t.id))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let r = rating::ActiveModel {
        case_id: Set(case.id),
        target: Set(domain::Target::Item.code().to_string()),
        level: Set(input.level.code().to_string()),
        score: Set(input.level.score()),
        channel: Set(channel.code().to_string()),
        tags: Set(crate::columns::tags_text(input)),
        comment: Set(input.comment.as_ref().map(|c| c.as_str().to_string())),
        rating_count: Set(3),
        catalog_version: Set(domain::CATALOG_VERSION),
        api_client_id: Set(None),
        issuer_client_id: Set(case.api_client_id),
        created_at: Set(now),
        excluded_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if Error::is_unique_violation(&e) {
            Error::AlreadyRated
        } else {
            e.into()
        }
    })?;
    crate::counters::rating_stored(&r.channel, &r.level);
    crate::rollup::mark(txn, &[r.created_at]).await?;
    work_order::Entity::update_many()
        .col_expr(work_order::Column::ReratingId, Expr::value(r.id))
        .filter(work_order::Column::Id.eq(o.id))
        .exec(txn)
        .await?;
    let state = State::parse(&o.state).unwrap_or(State::Closed);
    event(
        txn,
        o.id,
        &EventBy {
            account_id: None,
            actor: "rater".into(),
            role: "rater".into(),
        },
        "rerated",
        state,
        state,
        Some(json!({ "level": input.level.code() })),
        now,
    )
    .await?;
    Ok(Some(r.id))
}

/// Which of `tokens` are closed orders' re-rating links (one statement for a
/// shared commit's batch, `crate::group`).
pub(crate) async fn rerating_links<C: ConnectionTrait>(conn: &C, tokens: &[&str]) -> Result<std::collections::HashSet<String>> {
    use crate::entities::rating_token;
    let q = Query::select()
        .column((rating_token::Entity, rating_token::Column::Token))
        .from(work_order::Entity)
        .inner_join(
            rating_token::Entity,
            Expr::col((rating_token::Entity, rating_token::Column::Id)).equals((work_order::Entity, work_order::Column::ReratingTokenId)),
        )
        .and_where(Expr::col((rating_token::Entity, rating_token::Column::Token)).is_in(tokens.iter().copied()))
        .to_owned();
    let mut out = std::collections::HashSet::new();
    for row in conn.query_all(&q).await? {
        out.insert(row.try_get::<String>("", "token")?);
    }
    Ok(out)
}
