//! Lookups that ran on every rating without an index: `POST /r/{token}` asks
//! whether its token is a work order's re-rating link (`rerating_token_id`),
//! and a case's orders are found by `case_id` (case page, notices, scope).

use sea_orm_migration::prelude::*;

pub struct M0015OrderLookups;

impl MigrationName for M0015OrderLookups {
    fn name(&self) -> &str {
        "m0015_order_lookups"
    }
}

const INDEXES: [(&str, &str, &str); 2] = [
    ("work_order", "ix_order_rerating_token", "rerating_token_id"),
    ("work_order", "ix_order_case", "case_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for M0015OrderLookups {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, col) in INDEXES {
            m.create_index(super::index(table, name, &[col])).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
