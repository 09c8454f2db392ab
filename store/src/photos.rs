//! Staff photos (亮明身份): uploaded by administrators, stored in the database
//! (so a backup of the database is a backup of the photos), served at
//! `/staff-photo/{job_number}` for the rating page and window devices.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::json;

use crate::accounts::Actor;
use crate::admin::{self, Kind};
use crate::audit::{self, Entry, Meta, Who};
use crate::entities::{staff, staff_photo};
use crate::{immediate, Db, Error, Reason, Result};

/// Photos above this are refused: a face at evaluator size needs far less.
pub const MAX_BYTES: usize = 512 * 1024;

/// The image type, from the file's first bytes (never from its name).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Stores (or replaces) a staff member's photo, inside the actor's scope, and
/// points the staff record's photo address at it.
pub async fn upload(db: &Db, actor: &Actor, job_number: &str, bytes: &[u8], meta: &Meta) -> Result<String> {
    admin::get(db, actor, Kind::Staff, job_number).await?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid("photo", Reason::FileTooLarge { kb: MAX_BYTES / 1024 }));
    }
    let content_type = sniff(bytes).ok_or_else(|| Error::invalid("photo", Reason::NotImage))?;
    let txn = db.begin_with_options(immediate()).await?;
    let s = staff::Entity::find()
        .filter_by_number(job_number)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("staff"))?;
    staff_photo::Entity::insert(staff_photo::ActiveModel {
        staff_id: Set(s.id),
        content_type: Set(content_type.to_string()),
        bytes: Set(bytes.to_vec()),
        updated_at: Set(meta.now),
    })
    .on_conflict(
        OnConflict::column(staff_photo::Column::StaffId)
            .update_columns([
                staff_photo::Column::ContentType,
                staff_photo::Column::Bytes,
                staff_photo::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    // The version in the address makes caches fetch a replaced photo.
    let url = format!("/staff-photo/{}?v={}", job_number, meta.now.timestamp());
    let before = s.photo_url.clone();
    let unit_id = s.unit_id;
    let mut am: staff::ActiveModel = s.into();
    am.photo_url = Set(Some(url.clone()));
    am.update(&txn).await?;
    let region = crate::entities::unit::Entity::find_by_id(unit_id)
        .one(&txn)
        .await?
        .map(|u| u.region_id);
    audit::append(
        &txn,
        Entry {
            who: &Who::from(actor),
            action: "photo",
            object_kind: Kind::Staff.slug(),
            object_code: job_number,
            before: Some(json!({"photo_url": before})),
            after: Some(json!({"photo_url": url, "bytes": bytes.len(), "type": content_type})),
            region_id: region,
        },
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(url)
}

/// `(content type, bytes)` of a staff member's uploaded photo.
pub async fn photo(db: &Db, job_number: &str) -> Result<(String, Vec<u8>)> {
    let s = staff::Entity::find()
        .filter_by_number(job_number)
        .one(db)
        .await?
        .ok_or(Error::NotFound("staff"))?;
    let p = staff_photo::Entity::find_by_id(s.id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("photo"))?;
    Ok((p.content_type, p.bytes))
}

trait ByNumber {
    fn filter_by_number(self, number: &str) -> Self;
}

impl ByNumber for sea_orm::Select<staff::Entity> {
    fn filter_by_number(self, number: &str) -> Self {
        use sea_orm::{ColumnTrait, QueryFilter};
        self.filter(staff::Column::Number.eq(number))
    }
}

/// Whether `url` is a photo this server serves (`/staff-photo/{job}` with an
/// optional `?v=` version), the only photo address a staff record may hold.
pub fn is_own_photo(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("/staff-photo/") else {
        return false;
    };
    let (job, version) = match rest.split_once("?v=") {
        Some((j, v)) => (j, Some(v)),
        None => (rest, None),
    };
    !job.is_empty()
        && job.len() <= 64
        && job.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '%'))
        && version.is_none_or(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
}
