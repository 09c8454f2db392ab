//! Issue 14: statistics that stay fast at 10 M ratings. `stat_rollup` holds,
//! per Beijing day, the [`domain::indicators::Tally`] of every combination of
//! fact kind (`c` case facts, `p` static-code/kiosk ratings, `o` work
//! orders), region, hall, window, unit, owning unit, item, staff member,
//! reporting system and channel. `stat_dirty` counts the changes of each day
//! (`version`) and the change its rollup reflects (`done`): a day is stale
//! while `version > done`. Every write that changes a day's numbers bumps it
//! in its own transaction, reads take stale days from the raw rows, and the
//! rollup job recomputes them. Indexes on the time columns make one day cheap to read.

use sea_orm_migration::{prelude::*, schema::*};

pub struct M0014StatRollups;

impl MigrationName for M0014StatRollups {
    fn name(&self) -> &str {
        "m0014_stat_rollups"
    }
}

/// The counters of a rollup row, in `Tally` order.
pub const COUNTERS: [&str; 23] = [
    "completed",
    "rated",
    "l0",
    "l1",
    "l2",
    "l3",
    "l4",
    "d0",
    "d1",
    "d2",
    "d3",
    "d4",
    "excluded",
    "flagged",
    "follow_ups",
    "re_ratings",
    "rectified",
    "due",
    "closed_on_time",
    "real_name_bad",
    "real_name_bad_revisited",
    "appeals",
    "appeals_upheld",
];

#[async_trait::async_trait]
impl MigrationTrait for M0014StatRollups {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("stat_rollup")
            .col(pk_auto("id"))
            .col(string_len("day", 10))
            .col(string_len("week", 8))
            .col(string_len("month", 7))
            .col(string_len("quarter", 7))
            .col(string_len("year", 4))
            .col(string_len("kind", 1))
            .col(integer_null("region_id"))
            .col(integer_null("hall_id"))
            .col(integer_null("window_id"))
            .col(integer_null("unit_id"))
            .col(integer_null("owner_unit_id"))
            .col(integer_null("item_id"))
            .col(integer_null("staff_id"))
            .col(integer_null("client_id"))
            .col(string_len("channel", 16));
        for c in COUNTERS {
            t.col(big_integer(c).default(0));
        }
        m.create_table(t.to_owned()).await?;
        m.create_index(super::index("stat_rollup", "ix_rollup_day", &["day"])).await?;
        m.create_index(super::index("stat_rollup", "ix_rollup_region_day", &["region_id", "day"]))
            .await?;
        m.create_table(
            Table::create()
                .table("stat_dirty")
                .col(string_len("day", 10).primary_key())
                .col(big_integer("version").default(1))
                .col(big_integer("done").default(0))
                .to_owned(),
        )
        .await?;
        for (table, name, col) in [
            ("rating", "ix_rating_created", "created_at"),
            ("place_rating", "ix_place_rating_created", "created_at"),
            ("default_rating", "ix_default_rating_created", "created_at"),
            ("service_case", "ix_case_completed", "completed_at"),
            ("work_order", "ix_order_opened", "opened_at"),
            ("work_order", "ix_order_handle_due", "handle_due"),
        ] {
            m.create_index(super::index(table, name, &[col])).await?;
        }
        // Facts stored before rollups existed: every day they touch is stale.
        crate::rollup::mark_history_unsharded(m.get_connection())
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            ("rating", "ix_rating_created"),
            ("place_rating", "ix_place_rating_created"),
            ("default_rating", "ix_default_rating_created"),
            ("service_case", "ix_case_completed"),
            ("work_order", "ix_order_opened"),
            ("work_order", "ix_order_handle_due"),
        ] {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        m.drop_table(Table::drop().table("stat_dirty").to_owned()).await?;
        m.drop_table(Table::drop().table("stat_rollup").to_owned()).await
    }
}
