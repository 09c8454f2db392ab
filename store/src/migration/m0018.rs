//! Two waits on the rating write path, found by `scripts/bench.sh`'s rating
//! submissions (issue 16):
//! - The repeated-comment check (002 rule 5(二) 重复: the same phone said the
//!   same words within 7 days) looked through every case of the phone, rating
//!   by rating: 1.8 ms a bad rating for a phone with 14 k cases (an agent, or
//!   the benchmark), three quarters of SQLite's writer time at 200 ratings/s.
//!   For a phone with many cases it now looks through the ratings with the
//!   same words, by an index on the comment's first 200 characters and the
//!   time (a prefix: PostgreSQL's index entries are limited to ≈ 2.7 kB).
//! - `stat_dirty` had one row per day: on PostgreSQL every rating of the day
//!   bumped that row and held its lock until it committed (27 ms a rating at
//!   300/s). It now has a row per day and shard (`crate::rollup::SHARDS`), the
//!   primary key `(day, shard)`; existing rows become shard 0.

use sea_orm_migration::prelude::*;

pub struct M0018WriteContention;

impl MigrationName for M0018WriteContention {
    fn name(&self) -> &str {
        "m0018_write_contention"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018WriteContention {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        c.execute_unprepared("CREATE INDEX ix_rating_comment ON rating (substr(comment, 1, 200), created_at)")
            .await?;
        for sql in [
            "CREATE TABLE stat_dirty_sharded (day VARCHAR(10) NOT NULL, shard INTEGER NOT NULL DEFAULT 0, \
             version BIGINT NOT NULL DEFAULT 1, done BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (day, shard))",
            "INSERT INTO stat_dirty_sharded (day, shard, version, done) SELECT day, 0, version, done FROM stat_dirty",
            "DROP TABLE stat_dirty",
            "ALTER TABLE stat_dirty_sharded RENAME TO stat_dirty",
        ] {
            c.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        for sql in [
            "CREATE TABLE stat_dirty_day (day VARCHAR(10) NOT NULL PRIMARY KEY, version BIGINT NOT NULL DEFAULT 1, \
             done BIGINT NOT NULL DEFAULT 0)",
            // Every day that had a mark is stale again: the rollup job recomputes it.
            "INSERT INTO stat_dirty_day (day, version, done) SELECT day, 1, 0 FROM stat_dirty GROUP BY day",
            "DROP TABLE stat_dirty",
            "ALTER TABLE stat_dirty_day RENAME TO stat_dirty",
            "DROP INDEX ix_rating_comment",
        ] {
            c.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
