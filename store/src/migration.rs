//! One set of migrations for SQLite and PostgreSQL. Uniqueness that the product
//! promises (one rating per case, target and count; one case per number and
//! issuing system; single-use tokens) is enforced here, not only in code.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(M0001Init)]
    }
}

struct M0001Init;

impl MigrationName for M0001Init {
    fn name(&self) -> &str {
        "m0001_init"
    }
}

fn fk(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(Alias::new(from), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn unique_index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Alias::new(table)).unique();
    for c in cols {
        idx.col(Alias::new(*c));
    }
    idx.to_owned()
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Alias::new(table));
    for c in cols {
        idx.col(Alias::new(*c));
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Init {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("region")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 12))
                .col(string("name"))
                .col(integer_null("parent_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("region", "parent_id", "region"))
                .to_owned(),
        )
        .await?;
        for (table, parent) in [("unit", "region"), ("hall", "region")] {
            m.create_table(
                Table::create()
                    .table(table)
                    .col(pk_auto("id"))
                    .col(string_len_uniq("code", 64))
                    .col(string("name"))
                    .col(integer("region_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(table, "region_id", parent))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("service_window")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 64))
                .col(string("name"))
                .col(integer("hall_id"))
                .col(integer("unit_id"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("service_window", "hall_id", "hall"))
                .foreign_key(&mut fk("service_window", "unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("staff")
                .col(pk_auto("id"))
                .col(string_len_uniq("number", 64))
                .col(string("name"))
                .col(integer("unit_id"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("staff", "unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("service_item")
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 64))
                .col(string("name"))
                .col(integer("unit_id"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("service_item", "unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_client")
                .col(pk_auto("id"))
                .col(string("name"))
                .col(string_len_uniq("key_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("service_case")
                .col(pk_auto("id"))
                .col(integer("api_client_id"))
                .col(string_len("case_number", 50))
                .col(integer("item_id"))
                .col(integer("window_id"))
                .col(integer_null("staff_id"))
                .col(string_len("region_code", 12))
                .col(string_len_null("applicant_phone", 32))
                .col(string_null("applicant_name"))
                .col(boolean("real_name"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(timestamp_with_time_zone("completed_at"))
                .col(integer("transactions"))
                .col(string_len_null("bundle_id", 64))
                .col(text("request_fingerprint"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("service_case", "api_client_id", "api_client"))
                .foreign_key(&mut fk("service_case", "item_id", "service_item"))
                .foreign_key(&mut fk("service_case", "window_id", "service_window"))
                .foreign_key(&mut fk("service_case", "staff_id", "staff"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "service_case",
            "ux_case_client_number",
            &["api_client_id", "case_number"],
        ))
        .await?;
        m.create_index(index("service_case", "ix_case_number", &["case_number"])).await?;
        m.create_index(index(
            "service_case",
            "ix_case_window_completed",
            &["window_id", "completed_at", "id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("rating_token")
                .col(pk_auto("id"))
                .col(string_len_uniq("token", 64))
                .col(integer("case_id"))
                .col(string_len("channel", 32))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("rating_token", "case_id", "service_case"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("rating_token", "ix_token_case", &["case_id"])).await?;
        m.create_table(
            Table::create()
                .table("rating")
                .col(pk_auto("id"))
                .col(integer("case_id"))
                .col(string_len("target", 16))
                .col(string_len("level", 32))
                .col(integer("score"))
                .col(string_len("channel", 32))
                .col(string("tags"))
                .col(text_null("comment"))
                .col(integer("rating_count"))
                .col(integer("catalog_version"))
                .col(integer_null("api_client_id"))
                .col(integer("issuer_client_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("rating", "case_id", "service_case"))
                .foreign_key(&mut fk("rating", "issuer_client_id", "api_client"))
                .foreign_key(&mut fk("rating", "api_client_id", "api_client"))
                .to_owned(),
        )
        .await?;
        // SPEC §10: every rating is stored exactly once, enforced by the database.
        m.create_index(unique_index("rating", "ux_rating_once", &["case_id", "target", "rating_count"]))
            .await?;
        m.create_index(index("rating", "ix_rating_issuer", &["issuer_client_id", "id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("idempotency_key")
                .col(pk_auto("id"))
                .col(integer("api_client_id"))
                .col(string_len("key", 255))
                .col(text("request_fingerprint"))
                .col(integer("rating_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("idempotency_key", "api_client_id", "api_client"))
                .foreign_key(&mut fk("idempotency_key", "rating_id", "rating"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("idempotency_key", "ux_idempotency", &["api_client_id", "key"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "idempotency_key",
            "rating",
            "rating_token",
            "service_case",
            "api_client",
            "service_item",
            "staff",
            "service_window",
            "hall",
            "unit",
            "region",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
