//! Ratings: from the rating page (a single-use token) and pushed by business
//! systems (an Idempotency-Key), read back in a stable order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{values::mask_phone, Channel, Level, RatingInput, Target, CATALOG_VERSION};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

use crate::crypto::DataKey;
use crate::entities::{idempotency, item, rating, rating_token, service_case, service_window, staff};
use crate::{immediate, Conflict, Db, Error, Reason, Result};

/// What the rating page sends: the item rating, and optionally the staff rating
/// (000 rule 7: the item and the staff member are rated separately).
#[derive(Debug, Clone)]
pub struct PageSubmission {
    pub item: RatingInput,
    pub staff: Option<RatingInput>,
    /// 一件事 (000 rule 7): the item rating covers every unrated case of the
    /// bundle (the staff rating stays with this case).
    pub bundle_whole: bool,
}

/// `companion`: the staff rating of a page submission, stored in the same
/// transaction right after its case's item rating, which already marked the
/// same days stale and told the window: not done twice (two statements fewer
/// per submission on the write path, issue 16).
#[allow(clippy::too_many_arguments)]
async fn insert_rating(
    txn: &DatabaseTransaction,
    case: &service_case::Model,
    target: Target,
    input: &RatingInput,
    channel: Channel,
    pushed_by: Option<i32>,
    now: DateTime<Utc>,
    companion: bool,
) -> Result<rating::Model> {
    let row = rating::ActiveModel {
        case_id: Set(case.id),
        target: Set(target.code().to_string()),
        level: Set(input.level.code().to_string()),
        score: Set(input.level.score()),
        channel: Set(channel.code().to_string()),
        tags: Set(crate::columns::tags_text(input)),
        comment: Set(input.comment.as_ref().map(|c| c.as_str().to_string())),
        rating_count: Set(1),
        catalog_version: Set(CATALOG_VERSION),
        api_client_id: Set(pushed_by),
        issuer_client_id: Set(case.api_client_id),
        created_at: Set(now),
        ..Default::default()
    };
    // A plain shared commit (`crate::group::Deferred`) writes it with its
    // batch-mates' in one statement before the commit, and counts it after.
    let deferred = crate::group::defer(|d| {
        let mut m = row.clone();
        m.id = Set(d.next_rating);
        m.excluded_at = Set(None);
        let m = sea_orm::TryIntoModel::try_into_model(m)?;
        d.next_rating += 1;
        d.said.push((m.id, case.phone_hash.clone(), m.comment.clone(), m.created_at));
        d.counted.push((m.channel.clone(), m.level.clone()));
        d.ratings.push(m.clone());
        Ok::<_, sea_orm::DbErr>(m)
    });
    let counted_later = deferred.is_some();
    let res = match deferred {
        Some(m) => m,
        None => row.insert(txn).await,
    };
    match res {
        Ok(r) => {
            if !counted_later {
                crate::counters::rating_stored(&r.channel, &r.level);
            }
            if !companion {
                // Its day, and its case's completion day (rated), are stale.
                crate::rollup::mark(txn, &[r.created_at, case.completed_at]).await?;
                // Its window's screen and evaluator show "thanks" (issue 16: pushed, not polled).
                crate::notice::window_changed(txn, case.window_id).await?;
            }
            if target == Target::Item {
                crate::defaults::supersede(txn, case.id, r.id, now).await?;
                // Issue 15: reported upward, and (SPEC §5) a bad one's work order opened, in this transaction.
                crate::exchange::rating_stored(txn, case, &r, now).await?;
            } else {
                // SPEC §5: every active bad rating opens its work order, in this transaction.
                crate::work_orders::open_for_rating(txn, case, &r, now).await?;
            }
            Ok(r)
        }
        Err(e) if Error::is_unique_violation(&e) => Err(Error::AlreadyRated),
        Err(e) => Err(e.into()),
    }
}

/// `POST /r/{token}`: stores the page's ratings and uses up the token, together
/// or not at all. A second submit is `AlreadyRated` and stores nothing.
///
/// `db` is the database, or (group commit, `crate::group`) the batch's open
/// transaction: then this submission runs in a savepoint of it, and a failure
/// rolls back only its own writes.
pub async fn rate_by_token<C>(db: &C, token: &str, sub: &PageSubmission, now: DateTime<Utc>) -> Result<Vec<i32>>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin_with_options(immediate()).await?;
    let ids = rate_in(&txn, token, sub, now).await?;
    txn.commit().await?;
    Ok(ids)
}

/// [`rate_by_token`] inside `txn`, which the caller commits, or rolls back
/// on an error (a plain shared commit forgets the deferred rows instead:
/// `crate::group::Deferred`).
pub(crate) async fn rate_in(txn: &DatabaseTransaction, token: &str, sub: &PageSubmission, now: DateTime<Utc>) -> Result<Vec<i32>> {
    let (t, case) = crate::cases::token_case(txn, token).await?;
    if t.used_at.is_some() {
        return Err(Error::AlreadyRated);
    }
    if now >= t.expires_at {
        return Err(Error::Expired);
    }
    let channel = crate::columns::channel(&t.channel)?;
    // A closed work order's one-time re-rating link: stored apart (rating count 3).
    if let Some(id) = crate::work_orders::rerate(txn, &t, &case, &sub.item, channel, now).await? {
        use_token(txn, t.id, now).await?;
        return Ok(vec![id]);
    }
    let mut ids = vec![
        insert_rating(txn, &case, Target::Item, &sub.item, channel, None, now, false)
            .await?
            .id,
    ];
    if sub.bundle_whole {
        for sibling in crate::cases::bundle_siblings(txn, &case).await? {
            let rated = rating::Entity::find()
                .filter(rating::Column::CaseId.eq(sibling.id))
                .filter(rating::Column::Target.eq(Target::Item.code()))
                .one(txn)
                .await?
                .is_some();
            if !rated {
                ids.push(
                    insert_rating(txn, &sibling, Target::Item, &sub.item, channel, None, now, false)
                        .await?
                        .id,
                );
            }
        }
    }
    if let Some(s) = &sub.staff {
        if case.staff_id.is_none() {
            return Err(Error::invalid("staff", Reason::NoStaff));
        }
        ids.push(insert_rating(txn, &case, Target::Staff, s, channel, None, now, true).await?.id);
    }
    use_token(txn, t.id, now).await?;
    Ok(ids)
}

/// Uses up a token. Conditional: of two racing submits exactly one sees a row change.
async fn use_token(txn: &DatabaseTransaction, id: i32, now: DateTime<Utc>) -> Result<()> {
    // A plain shared commit uses its tokens in one statement, each still unused.
    if crate::group::defer(|d| d.tokens.push((id, now))).is_some() {
        return Ok(());
    }
    let used = rating_token::Entity::update_many()
        .col_expr(rating_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(rating_token::Column::Id.eq(id))
        .filter(rating_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(Error::AlreadyRated);
    }
    Ok(())
}

/// A rating pushed by a business system (wire values, not yet checked).
#[derive(Debug, Clone, Default)]
pub struct ApiRatingInput {
    pub case_number: String,
    pub level: String,
    pub target: String,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    pub channel: String,
}

fn api_fingerprint(i: &ApiRatingInput) -> String {
    [
        i.case_number.trim().to_string(),
        i.level.clone(),
        i.target.clone(),
        i.tags.join(","),
        i.comment.clone().unwrap_or_default(),
        i.channel.clone(),
    ]
    .join("\u{1f}")
}

/// `POST /api/v1/ratings`: the page's rules, once per case and target; a repeat
/// under the same Idempotency-Key returns the first answer.
pub async fn rate_by_api(
    db: &Db,
    dk: &DataKey,
    client_id: i32,
    key: &str,
    input: &ApiRatingInput,
    now: DateTime<Utc>,
) -> Result<RatingRecord> {
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || key.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(Error::invalid("Idempotency-Key", Reason::IdempotencyKey));
    }
    let fp = api_fingerprint(input);
    if let Some(r) = replay(db, dk, client_id, key, &fp).await? {
        return Ok(r);
    }
    let parsed = RatingInput::parse(&input.level, &input.tags, input.comment.as_deref())
        .map_err(|e| Error::invalid(e.field(), Reason::Rating(e)))?;
    let target = Target::parse(&input.target).ok_or_else(|| Error::invalid("target", Reason::Unknown(input.target.clone())))?;
    let channel = Channel::parse(&input.channel).ok_or_else(|| Error::invalid("channel", Reason::Unknown(input.channel.clone())))?;
    if !channel.pushable_by_business_system() {
        return Err(Error::invalid("channel", Reason::NotPushable));
    }

    let txn = db.begin_with_options(immediate()).await?;
    let case = find_case_for_client(&txn, client_id, input.case_number.trim()).await?;
    if target == Target::Staff && case.staff_id.is_none() {
        return Err(Error::invalid("target", Reason::NoStaff));
    }
    let outcome = async {
        let r = insert_rating(&txn, &case, target, &parsed, channel, Some(client_id), now, false).await?;
        idempotency::ActiveModel {
            api_client_id: Set(client_id),
            key: Set(key.to_string()),
            request_fingerprint: Set(fp.clone()),
            rating_id: Set(r.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if Error::is_unique_violation(&e) {
                Error::AlreadyRated
            } else {
                e.into()
            }
        })?;
        Ok::<_, Error>(r)
    }
    .await;
    match outcome {
        Ok(r) => {
            txn.commit().await?;
            Ok(records(db, dk, vec![r]).await?.remove(0))
        }
        Err(Error::AlreadyRated) => {
            txn.rollback().await?;
            // A concurrent request with the same key may have won: answer as it did.
            match replay(db, dk, client_id, key, &fp).await? {
                Some(r) => Ok(r),
                None => Err(Error::Conflict(Conflict::Rated {
                    case: case.case_number.clone(),
                    target: target.code(),
                })),
            }
        }
        Err(e) => Err(e),
    }
}

async fn replay(db: &Db, dk: &DataKey, client_id: i32, key: &str, fp: &str) -> Result<Option<RatingRecord>> {
    let Some(k) = idempotency::Entity::find()
        .filter(idempotency::Column::ApiClientId.eq(client_id))
        .filter(idempotency::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if k.request_fingerprint != fp {
        return Err(Error::invalid("Idempotency-Key", Reason::KeyReused));
    }
    let r = rating::Entity::find_by_id(k.rating_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("rating"))?;
    Ok(Some(records(db, dk, vec![r]).await?.remove(0)))
}

/// A case number is unique per issuing system. A key rates the case it
/// reported under that number; another system's case only when an
/// administrator granted the key that case's region or unit (issue 13 item 4),
/// and then only when the number names exactly one such case. A case out of
/// the key's reach reads as unknown, so numbers cannot be probed.
async fn find_case_for_client<C: ConnectionTrait>(conn: &C, client_id: i32, number: &str) -> Result<service_case::Model> {
    if let Some(c) = service_case::Entity::find()
        .filter(service_case::Column::ApiClientId.eq(client_id))
        .filter(service_case::Column::CaseNumber.eq(number))
        .one(conn)
        .await?
    {
        return Ok(c);
    }
    let mut found = service_case::Entity::find()
        .filter(service_case::Column::CaseNumber.eq(number))
        .filter(crate::keys::case_condition(conn, client_id).await?)
        .limit(2)
        .all(conn)
        .await?;
    match found.len() {
        0 => Err(Error::invalid("case_number", Reason::Unknown(number.to_string()))),
        1 => Ok(found.remove(0)),
        _ => Err(Error::Conflict(Conflict::SeveralSystems(number.to_string()))),
    }
}

/// A rating as business systems read it back. The phone is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRecord {
    pub id: i32,
    pub case_number: String,
    pub item_code: String,
    pub window_code: String,
    pub hall_code: String,
    pub staff_number: Option<String>,
    pub region_code: String,
    pub level: Level,
    pub score: i32,
    pub channel: String,
    pub target: String,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    pub rating_count: i32,
    pub catalog_version: i32,
    pub applicant_phone_masked: Option<String>,
    pub real_name: bool,
    pub transactions: i32,
    pub completed_at: DateTime<Utc>,
    pub rated_at: DateTime<Utc>,
}

async fn records(db: &Db, dk: &DataKey, rows: Vec<rating::Model>) -> Result<Vec<RatingRecord>> {
    let case_ids: Vec<i32> = rows.iter().map(|r| r.case_id).collect();
    let cases: HashMap<i32, service_case::Model> = service_case::Entity::find()
        .filter(service_case::Column::Id.is_in(case_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let item_ids: Vec<i32> = cases.values().map(|c| c.item_id).collect();
    let window_ids: Vec<i32> = cases.values().map(|c| c.window_id).collect();
    let staff_ids: Vec<i32> = cases.values().filter_map(|c| c.staff_id).collect();
    let items: HashMap<i32, String> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.code))
        .collect();
    let windows: HashMap<i32, (String, i32)> = service_window::Entity::find()
        .filter(service_window::Column::Id.is_in(window_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, (w.code, w.hall_id)))
        .collect();
    let halls: HashMap<i32, String> = crate::entities::hall::Entity::find()
        .filter(crate::entities::hall::Column::Id.is_in(windows.values().map(|w| w.1).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.code))
        .collect();
    let staff: HashMap<i32, String> = staff::Entity::find()
        .filter(staff::Column::Id.is_in(staff_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.number))
        .collect();
    rows.into_iter()
        .map(|r| {
            let case = cases.get(&r.case_id).ok_or(Error::NotFound("case"))?;
            Ok(RatingRecord {
                id: r.id,
                case_number: case.case_number.clone(),
                item_code: items.get(&case.item_id).cloned().unwrap_or_default(),
                window_code: windows.get(&case.window_id).map(|w| w.0.clone()).unwrap_or_default(),
                hall_code: windows
                    .get(&case.window_id)
                    .and_then(|w| halls.get(&w.1))
                    .cloned()
                    .unwrap_or_default(),
                staff_number: case.staff_id.and_then(|id| staff.get(&id).cloned()),
                region_code: case.region_code.clone(),
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: r.channel,
                target: r.target,
                tags: crate::columns::tags_list(&r.tags),
                comment: r.comment,
                rating_count: r.rating_count,
                catalog_version: r.catalog_version,
                applicant_phone_masked: case
                    .phone_sealed
                    .as_deref()
                    .map(|s| dk.open(s).map(|p| mask_phone(&p)).unwrap_or_else(|| "***".into())),
                real_name: case.real_name,
                transactions: case.transactions,
                completed_at: case.completed_at,
                rated_at: r.created_at,
            })
        })
        .collect()
}

/// Counts per level over all stored ratings: SPEC §8 — every level is counted.
pub async fn count_by_level(db: &Db) -> Result<Vec<(Level, u64)>> {
    use sea_orm::PaginatorTrait;
    let mut out = Vec::new();
    for l in Level::ALL {
        let n = rating::Entity::find().filter(rating::Column::Level.eq(l.code())).count(db).await?;
        out.push((l, n));
    }
    Ok(out)
}

/// Stores an item rating for a case from a channel without a token (SMS
/// reply, hotline, phone invite), inside the caller's transaction.
pub async fn rate_case(txn: &DatabaseTransaction, case_id: i32, input: &RatingInput, channel: Channel, now: DateTime<Utc>) -> Result<i32> {
    let case = service_case::Entity::find_by_id(case_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("case"))?;
    Ok(insert_rating(txn, &case, Target::Item, input, channel, None, now, false).await?.id)
}
