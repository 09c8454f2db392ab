//! A rating link's page, read in one pass: the link and its case, the
//! follow-up state, and the other items of a 一件事 bundle. Nothing is written
//! here: `GET /r/{token}` never opens a write transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::cases::{bundle_siblings, token_case, token_view_of, TokenView};
use crate::entities::{item, rating_token, service_case};
use crate::follow_up::{status_of, FollowUp};
use crate::{Db, Result};

/// Everything a rating link's page shows, read in one pass; nothing is written
/// (a GET never opens a write transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingLink {
    pub view: TokenView,
    pub follow_up: FollowUp,
    /// The other items of the case's 一件事 bundle.
    pub bundle: Vec<BundleItem>,
}

pub async fn rating_link(db: &Db, token: &str, now: DateTime<Utc>) -> Result<RatingLink> {
    let (t, case) = token_case(db, token).await?;
    let follow_up = status_of(db, &case, now).await?;
    let channel = t.channel.clone();
    let view = token_view_of(db, t, &case, now).await?;
    let bundle = bundle_of(db, &case, &channel, now).await?;
    Ok(RatingLink { view, follow_up, bundle })
}

/// One other item of a bundle, as its rating page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleItem {
    pub item_name: String,
    /// Its own rating link: an unused one of the same channel still valid
    /// (issued with the case, or with the SMS link). `None` when there is none;
    /// the whole-bundle rating still covers the item.
    pub token: Option<String>,
    pub rated: bool,
}

/// The other items of `case`'s bundle, read only.
async fn bundle_of(db: &Db, case: &service_case::Model, channel: &str, now: DateTime<Utc>) -> Result<Vec<BundleItem>> {
    let mut out = Vec::new();
    for c in bundle_siblings(db, case).await? {
        let rated = crate::entities::rating::Entity::find()
            .filter(crate::entities::rating::Column::CaseId.eq(c.id))
            .filter(crate::entities::rating::Column::Target.eq(domain::Target::Item.code()))
            .one(db)
            .await?
            .is_some();
        let token = rating_token::Entity::find()
            .filter(rating_token::Column::CaseId.eq(c.id))
            .filter(rating_token::Column::Channel.eq(channel))
            .filter(rating_token::Column::UsedAt.is_null())
            .filter(rating_token::Column::ExpiresAt.gt(now))
            .order_by_desc(rating_token::Column::Id)
            .one(db)
            .await?
            .map(|t| t.token);
        let item_name = item::Entity::find_by_id(c.item_id)
            .one(db)
            .await?
            .map(|i| i.name)
            .unwrap_or_default();
        out.push(BundleItem { item_name, token, rated });
    }
    Ok(out)
}
