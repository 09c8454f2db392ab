//! Issue 15: the exchange outbox. One row per fact reported to a provincial
//! or national platform (a rating, a default rating, a static-code or kiosk
//! rating, an exclusion after an upheld appeal, a work order's outcome),
//! written in the same transaction as the fact. `record_id` is the id the
//! platform sees on every attempt, also after a crash. `exchange_inbound`
//! marks the ratings received from a platform (never pushed back);
//! `rating_code` holds the 6-character codes of SMS reminders sent without a
//! link (typed at `/s`).

use sea_orm_migration::{prelude::*, schema::*};

pub struct M0016ExchangeOutbox;

impl MigrationName for M0016ExchangeOutbox {
    fn name(&self) -> &str {
        "m0016_exchange_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016ExchangeOutbox {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("exchange_record")
                .col(pk_auto("id"))
                .col(string_len("record_id", 64))
                .col(string_len("kind", 16))
                .col(integer("source_id"))
                .col(integer("region_id"))
                .col(string_len("state", 16))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(string_len_null("profile", 16))
                .col(integer_null("last_status"))
                .col(text_null("last_answer"))
                .to_owned(),
        )
        .await?;
        m.create_index(super::unique_index("exchange_record", "ux_exchange_record", &["record_id"]))
            .await?;
        m.create_index(super::index("exchange_record", "ix_exchange_due", &["state", "next_attempt_at"]))
            .await?;
        m.create_index(super::index("exchange_record", "ix_exchange_created", &["created_at"]))
            .await?;
        m.create_table(
            Table::create()
                .table("exchange_inbound")
                .col(pk_auto("id"))
                .col(integer("rating_id"))
                .col(string_len("profile", 16))
                .col(timestamp_with_time_zone("received_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(super::unique_index(
            "exchange_inbound",
            "ux_exchange_inbound_rating",
            &["rating_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("rating_code")
                .col(pk_auto("id"))
                .col(string_len("code", 8))
                .col(integer("case_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(super::unique_index("rating_code", "ux_rating_code", &["code"]))
            .await?;
        m.create_index(super::unique_index("rating_code", "ux_rating_code_case", &["case_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rating_code").to_owned()).await?;
        m.drop_table(Table::drop().table("exchange_inbound").to_owned()).await?;
        m.drop_table(Table::drop().table("exchange_record").to_owned()).await
    }
}
