//! Hardening (issue 13): sign-in and pairing throttles, sessions ended by a
//! password change, and pairing codes that a few wrong guesses invalidate.

use sea_orm_migration::{prelude::*, schema::*};

pub struct M0012Hardening;

impl MigrationName for M0012Hardening {
    fn name(&self) -> &str {
        "m0012_hardening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0012Hardening {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Failed attempts by key (a job number, an address, a pair of both):
        // what throttles sign-in and pairing-code guesses.
        m.create_table(
            Table::create()
                .table("attempt_guard")
                .col(string_len("key", 200).primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone("first_at"))
                .col(timestamp_with_time_zone("last_at"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("account")
                .add_column(integer("session_epoch").default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("device")
                .add_column(integer("pairing_failures").default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("device")
                .drop_column(Alias::new("pairing_failures"))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("account").drop_column(Alias::new("session_epoch")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Alias::new("attempt_guard")).to_owned()).await
    }
}
