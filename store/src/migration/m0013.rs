//! Issue 13, second slice: device kinds (a hall-wide kiosk is paired only by a
//! center or system administrator; an evaluator rates its own window) and API
//! key scopes (a key reads and rates the cases it reported, or those of the
//! region or unit an administrator granted it).

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
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["scope_unit_id", "scope_region_id"] {
            m.alter_table(Table::alter().table("api_client").drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        m.alter_table(Table::alter().table("device").drop_column(Alias::new("kind")).to_owned())
            .await
    }
}
