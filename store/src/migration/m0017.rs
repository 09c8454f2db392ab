//! Reads that grew with every stored rating (found by `scripts/bench.sh` at
//! 11 M ratings): the reminder job's `NOT IN (every rated case)` each minute
//! (8 s, holding SQLite's one connection), a key's ratings sorted whole (17 s
//! a page), and the start-up look for phones stored in plain text (4.5 s).
//! - `service_case.reminder_due_at`: when the reminder job should look at a
//!   case (set for a case with a phone; cleared once the job is done with it),
//!   indexed; cases of the last 30 days with a phone get one now.
//! - `rating (issuer_client_id, created_at, id)` and `(api_client_id,
//!   created_at, id)`: a key's ratings in list order.
//! - `service_case (api_client_id, completed_at)`: a key's cases completed in
//!   a period (statistics for a key read every case of the key: 2 s).
//! - `service_case (applicant_phone)`: the few legacy plain-text phones.

use chrono::{Duration, Utc};
use sea_orm_migration::{prelude::*, schema::*};

pub struct M0017GrowingReads;

impl MigrationName for M0017GrowingReads {
    fn name(&self) -> &str {
        "m0017_growing_reads"
    }
}

const INDEXES: [(&str, &str, &[&str]); 5] = [
    ("service_case", "ix_case_reminder_due", &["reminder_due_at"]),
    ("service_case", "ix_case_client_completed", &["api_client_id", "completed_at"]),
    ("service_case", "ix_case_legacy_phone", &["applicant_phone"]),
    ("rating", "ix_rating_issuer_at", &["issuer_client_id", "created_at", "id"]),
    ("rating", "ix_rating_pusher_at", &["api_client_id", "created_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for M0017GrowingReads {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("service_case")
                .add_column(timestamp_with_time_zone_null("reminder_due_at"))
                .to_owned(),
        )
        .await?;
        for (table, name, cols) in INDEXES {
            m.create_index(super::index(table, name, cols)).await?;
        }
        // Cases that may still get a reminder: the job looks at them at once
        // (it waits for each region's delay and skips the rated and reminded).
        let since = Utc::now() - Duration::days(30);
        let update = Query::update()
            .table(Alias::new("service_case"))
            .value(Alias::new("reminder_due_at"), Expr::col(Alias::new("completed_at")))
            .and_where(Expr::col(Alias::new("phone_sealed")).is_not_null())
            .and_where(Expr::col(Alias::new("completed_at")).gt(since))
            .to_owned();
        m.exec_stmt(update).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("service_case")
                .drop_column(Alias::new("reminder_due_at"))
                .to_owned(),
        )
        .await
    }
}
