//! Pages of signed-in people, one file per section. Every handler takes the
//! signed-in person from [`crate::web::Signed`] (role checked there) and leaves
//! the scope of each record to `store` (one rule, `store::admin::allowed`).

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod console;
pub mod devices;
pub mod exchange;
pub mod home;
pub mod import;
pub mod outbox;
pub mod phone_rating;
pub mod policies;
pub mod ratings;
pub mod records;
pub mod reports;
pub mod sign_in;
pub mod stats;
pub mod work_orders;

use crate::web::PageError;
use serde::Deserialize;

/// The query of a list page (and of pages that show a notice after a redirect).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub lang: Option<String>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub notice: Option<String>,
}

/// Rows on a list page.
pub const PER_PAGE: u64 = 50;

/// The highest `?page=` a list accepts.
pub const MAX_PAGE: u64 = 100_000;

/// `?page=` as a page number from 1 (absent or empty: page 1); anything else
/// than 1–[`MAX_PAGE`] is a 422 page, never a panic or a silent page 1.
pub fn page_number(page: Option<&str>) -> Result<u64, PageError> {
    match page.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or(PageError::OutOfRange),
    }
}
