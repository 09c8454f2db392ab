//! Issue 13, second slice: device kinds (a hall-wide kiosk is paired only by a
//! center or system administrator; an evaluator rates its own window).

use sea_orm_migration::{prelude::*, schema::*};

pub struct M0013DeviceKinds;

impl MigrationName for M0013DeviceKinds {
    fn name(&self) -> &str {
        "m0013_device_kinds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013DeviceKinds {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `evaluator` (one window) or `kiosk` (the whole hall).
        m.alter_table(
            Table::alter()
                .table("device")
                .add_column(string_len("kind", 16).default("evaluator"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("device").drop_column(Alias::new("kind")).to_owned())
            .await
    }
}
