//! Issue 13, second slice: device kinds (a hall-wide kiosk is paired only by a
//! center or system administrator; an evaluator rates its own window) and API
//! key scopes (a key reads and rates the cases it reported, or those of the
//! region or unit an administrator granted it), and real-name checks: where a
//! region's policy requires real names, a static-code rating is given after a
//! 6-digit SMS code proves the rater's phone (`phone_check`), and the rating
//! keeps that phone (sealed and hashed).

use sea_orm_migration::{prelude::*, schema::*};

pub struct M0013DevicesAndKeys;

impl MigrationName for M0013DevicesAndKeys {
    fn name(&self) -> &str {
        "m0013_devices_and_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013DevicesAndKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `evaluator` (one window) or `kiosk` (the whole hall).
        m.alter_table(
            Table::alter()
                .table("device")
                .add_column(string_len("kind", 16).default("evaluator"))
                .to_owned(),
        )
        .await?;
        // At most one of the two: the region (and below) or the unit whose
        // cases a key may read and rate besides its own.
        m.alter_table(
            Table::alter()
                .table("api_client")
                .add_column(integer_null("scope_region_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("api_client")
                .add_column(integer_null("scope_unit_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("phone_check")
                .col(pk_auto("id"))
                .col(string_len("phone_hash", 64))
                .col(text("phone_sealed"))
                .col(string_len("code_hash", 64))
                .col(integer("tries").default(0))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("verified_at"))
                .col(string_len_null("token_hash", 64).unique_key())
                .col(timestamp_with_time_zone_null("used_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_phone_check_phone")
                .table(Alias::new("phone_check"))
                .col(Alias::new("phone_hash"))
                .col(Alias::new("created_at"))
                .to_owned(),
        )
        .await?;
        for col in ["phone_sealed", "phone_hash"] {
            m.alter_table(Table::alter().table("place_rating").add_column(text_null(col)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["phone_hash", "phone_sealed"] {
            m.alter_table(Table::alter().table("place_rating").drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("phone_check").to_owned()).await?;
        for col in ["scope_unit_id", "scope_region_id"] {
            m.alter_table(Table::alter().table("api_client").drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        m.alter_table(Table::alter().table("device").drop_column(Alias::new("kind")).to_owned())
            .await
    }
}
