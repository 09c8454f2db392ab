//! One set of migrations for SQLite and PostgreSQL. Uniqueness that the product
//! promises (one rating per case, target and count; one case per number and
//! issuing system; single-use tokens) is enforced here, not only in code.

use sea_orm_migration::{prelude::*, schema::*};

mod m0012;
mod m0013;
pub(crate) mod m0014;
mod m0015;
mod m0016;
mod m0017;
mod m0018;
use m0012::M0012Hardening;
use m0013::M0013DevicesAndKeys;
use m0014::M0014StatRollups;
use m0015::M0015OrderLookups;
use m0016::M0016ExchangeOutbox;
use m0017::M0017GrowingReads;
use m0018::M0018WriteContention;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Init),
            Box::new(M0002Accounts),
            Box::new(M0003PlaceRatings),
            Box::new(M0004StaffPhotos),
            Box::new(M0005Devices),
            Box::new(M0006KioskRatings),
            Box::new(M0007CalendarYears),
            Box::new(M0008PoliciesAndDefaults),
            Box::new(M0009SmsOutbox),
            Box::new(M0010HotlineCalls),
            Box::new(M0011WorkOrders),
            Box::new(M0012Hardening),
            Box::new(M0013DevicesAndKeys),
            Box::new(M0014StatRollups),
            Box::new(M0015OrderLookups),
            Box::new(M0016ExchangeOutbox),
            Box::new(M0017GrowingReads),
            Box::new(M0018WriteContention),
        ]
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

/// Accounts, sessions, the audit trail, phone numbers sealed at rest, and
/// deactivation for every organisation object.
struct M0002Accounts;

impl MigrationName for M0002Accounts {
    fn name(&self) -> &str {
        "m0002_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Accounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for t in ["region", "unit", "hall"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .add_column(boolean("active").default(true))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(Table::alter().table("staff").add_column(string_null("photo_url")).to_owned())
            .await?;
        // AES-256-GCM sealed phone (nonce ‖ ciphertext, base64) and its keyed hash;
        // the old plaintext column is emptied at start-up by `store::crypto::seal_legacy`.
        m.alter_table(
            Table::alter()
                .table("service_case")
                .add_column(text_null("phone_sealed"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("service_case")
                .add_column(string_len_null("phone_hash", 64))
                .to_owned(),
        )
        .await?;
        m.create_index(index("service_case", "ix_case_phone_hash", &["phone_hash"])).await?;
        m.create_table(
            Table::create()
                .table("account")
                .col(pk_auto("id"))
                .col(string_len_uniq("job_number", 64))
                .col(string("name"))
                .col(string_len("role", 32))
                .col(string_len_null("scope_code", 64))
                .col(string("password_hash"))
                .col(boolean("must_change_password"))
                .col(integer("failed_attempts"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_sign_in_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("web_session")
                .col(string_len("id", 64).primary_key())
                .col(text("data"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("web_session", "ix_session_expires", &["expires_at"])).await?;
        m.create_table(
            Table::create()
                .table("audit_log")
                .col(pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(integer_null("account_id"))
                .col(string_len("actor", 64))
                .col(string_len("role", 32))
                .col(string_len("action", 32))
                .col(string_len("object_kind", 32))
                .col(string_len("object_code", 128))
                .col(text_null("before"))
                .col(text_null("after"))
                .col(string_len_null("address", 64))
                .col(integer_null("region_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_log", "ix_audit_at", &["at"])).await?;
        m.create_index(index("audit_log", "ix_audit_actor", &["actor", "at"])).await?;
        m.create_index(index("audit_log", "ix_audit_object", &["object_kind", "object_code"]))
            .await?;
        // The audit trail is append-only in the database itself, not only in code.
        let conn = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    conn.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_log_no_{op} BEFORE {op} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                    ))
                    .await?;
                }
            }
            _ => {
                conn.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["audit_log", "web_session", "account"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}

/// Ratings of a window or hall from its static QR code (no case).
struct M0003PlaceRatings;

impl MigrationName for M0003PlaceRatings {
    fn name(&self) -> &str {
        "m0003_place_ratings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003PlaceRatings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("place_rating")
                .col(pk_auto("id"))
                .col(integer("hall_id"))
                .col(integer_null("window_id"))
                .col(string_len("target", 16))
                .col(string_len("level", 32))
                .col(integer("score"))
                .col(string_len("channel", 32))
                .col(string("tags"))
                .col(text_null("comment"))
                .col(integer("catalog_version"))
                .col(string_len_uniq("submission_id", 64))
                .col(string_len("rater_id", 64))
                .col(string_len_null("address_hash", 64))
                .col(string_len_null("repeat_reason", 32))
                .col(boolean("counted"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("place_rating", "hall_id", "hall"))
                .foreign_key(&mut fk("place_rating", "window_id", "service_window"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("place_rating", "ix_place_rating_rater", &["rater_id", "created_at"]))
            .await?;
        m.create_index(index("place_rating", "ix_place_rating_address", &["address_hash", "created_at"]))
            .await?;
        m.create_index(index("place_rating", "ix_place_rating_window", &["window_id", "created_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("place_rating")).to_owned()).await
    }
}

/// Uploaded staff photos, kept in the database with everything else.
struct M0004StaffPhotos;

impl MigrationName for M0004StaffPhotos {
    fn name(&self) -> &str {
        "m0004_staff_photos"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004StaffPhotos {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("staff_photo")
                .col(integer("staff_id").primary_key())
                .col(string_len("content_type", 32))
                .col(blob("bytes"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("staff_photo", "staff_id", "staff"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("staff_photo")).to_owned()).await
    }
}

/// Window evaluators paired to windows.
struct M0005Devices;

impl MigrationName for M0005Devices {
    fn name(&self) -> &str {
        "m0005_devices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Devices {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("device")
                .col(pk_auto("id"))
                .col(integer("window_id"))
                .col(string_len_null("pairing_code", 16))
                .col(timestamp_with_time_zone_null("pairing_expires_at"))
                .col(string_len_null("credential_hash", 64))
                .col(timestamp_with_time_zone_null("paired_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("device", "window_id", "service_window"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("device", "ix_device_credential", &["credential_hash"]))
            .await?;
        m.create_index(index("device", "ix_device_pairing", &["pairing_code"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("device")).to_owned()).await
    }
}

/// Kiosk ratings are place ratings made on a paired device: which device, and
/// when the citizen rated (a rating queued offline arrives later).
struct M0006KioskRatings;

impl MigrationName for M0006KioskRatings {
    fn name(&self) -> &str {
        "m0006_kiosk_ratings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006KioskRatings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("place_rating")
                .add_column(integer_null("device_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("place_rating")
                .add_column(timestamp_with_time_zone_null("rated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("place_rating", "ix_place_rating_device", &["device_id", "created_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_place_rating_device")
                .table(Alias::new("place_rating"))
                .to_owned(),
        )
        .await?;
        for c in ["rated_at", "device_id"] {
            m.alter_table(Table::alter().table("place_rating").drop_column(Alias::new(c)).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Working-day calendar years loaded by an administrator (the built-in years
/// are in `domain/calendar/`; a loaded year overrides its built-in file).
struct M0007CalendarYears;

impl MigrationName for M0007CalendarYears {
    fn name(&self) -> &str {
        "m0007_calendar_years"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007CalendarYears {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_year")
                .col(integer("year").primary_key())
                .col(text("body"))
                .col(string_len("loaded_by", 64))
                .col(timestamp_with_time_zone("loaded_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("calendar_year")).to_owned()).await
    }
}

/// Regional policies (inherited down the region tree) and default ratings of
/// cases left unrated (kept apart from active ratings, SPEC §8).
struct M0008PoliciesAndDefaults;

impl MigrationName for M0008PoliciesAndDefaults {
    fn name(&self) -> &str {
        "m0008_policies_and_defaults"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008PoliciesAndDefaults {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("region_policy")
                .col(integer("region_id").primary_key())
                .col(text("body"))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("region_policy", "region_id", "region"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("default_rating")
                .col(pk_auto("id"))
                .col(integer("case_id"))
                .col(string_len("level", 32))
                .col(integer("score"))
                .col(string_len("policy_region", 12))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(integer_null("superseded_by"))
                .col(timestamp_with_time_zone_null("superseded_at"))
                .foreign_key(&mut fk("default_rating", "case_id", "service_case"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("default_rating", "ux_default_rating_case", &["case_id"]))
            .await?;
        // When the case gets its default rating, computed once by the job from
        // the policy and the calendar (null: not yet looked at).
        m.alter_table(
            Table::alter()
                .table("service_case")
                .add_column(timestamp_with_time_zone_null("default_due_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("service_case", "ix_case_default_due", &["default_due_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_case_default_due")
                .table(Alias::new("service_case"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("service_case")
                .drop_column(Alias::new("default_due_at"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Alias::new("default_rating")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("region_policy")).to_owned()).await
    }
}

/// SMS, outbox pattern: every message is a row before it is sent; the sender
/// claims rows, and a resend after a crash carries the same message id.
struct M0009SmsOutbox;

impl MigrationName for M0009SmsOutbox {
    fn name(&self) -> &str {
        "m0009_sms_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009SmsOutbox {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sms_message")
                .col(pk_auto("id"))
                .col(string_len("message_id", 40))
                .col(string_len_null("dedupe_key", 64))
                .col(string_len("direction", 8))
                .col(string_len("kind", 16))
                .col(integer_null("case_id"))
                .col(text("phone_sealed"))
                .col(string_len("phone_hash", 64))
                .col(text("body"))
                .col(string_len("state", 16))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("not_before"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(string_len_null("gateway", 16))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("sms_message", "ux_sms_message_id", &["message_id"]))
            .await?;
        m.create_index(unique_index("sms_message", "ux_sms_dedupe", &["dedupe_key"]))
            .await?;
        m.create_index(index("sms_message", "ix_sms_due", &["state", "next_attempt_at"]))
            .await?;
        m.create_index(index("sms_message", "ix_sms_phone", &["phone_hash", "created_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("sms_message")).to_owned()).await
    }
}

/// Hotline calls already turned into a rating (the IVR may call the webhook
/// again for the same call).
struct M0010HotlineCalls;

impl MigrationName for M0010HotlineCalls {
    fn name(&self) -> &str {
        "m0010_hotline_calls"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0010HotlineCalls {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("hotline_call")
                .col(pk_auto("id"))
                .col(string_len("call_id", 64))
                .col(integer("rating_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("hotline_call", "rating_id", "rating"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("hotline_call", "ux_hotline_call", &["call_id"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("hotline_call")).to_owned()).await
    }
}

/// 差评工单 (SPEC §5): one order per bad rating (case or place), its timeline,
/// appeal evidence, each unit's 差评处置负责人, and exclusion marks on ratings.
struct M0011WorkOrders;

impl MigrationName for M0011WorkOrders {
    fn name(&self) -> &str {
        "m0011_work_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0011WorkOrders {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("work_order")
                .col(pk_auto("id"))
                .col(integer_null("rating_id"))
                .col(integer_null("place_rating_id"))
                .col(integer_null("case_id"))
                .col(integer("hall_id"))
                .col(integer("region_id"))
                .col(integer_null("unit_id"))
                .col(string_len("level", 32))
                .col(string_len("channel", 32))
                .col(boolean("real_name"))
                .col(string_len("state", 32))
                .col(string_len_null("resume_state", 32))
                .col(string_len_null("tier", 16))
                .col(boolean("extended"))
                .col(boolean("rating_excluded"))
                .col(string_len("flags", 64))
                .col(timestamp_with_time_zone("opened_at"))
                .col(timestamp_with_time_zone("first_contact_due"))
                .col(timestamp_with_time_zone_null("contacted_at"))
                .col(timestamp_with_time_zone_null("handle_due"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(text_null("reply"))
                .col(text_null("result"))
                .col(integer("revisits").default(0))
                .col(integer("overdue_days").default(0))
                .col(timestamp_with_time_zone_null("notified_at"))
                .col(string_len_null("escalated_on", 10))
                .col(string_len("opened_by", 64))
                .col(integer_null("rerating_token_id"))
                .col(integer_null("rerating_id"))
                .foreign_key(&mut fk("work_order", "rating_id", "rating"))
                .foreign_key(&mut fk("work_order", "place_rating_id", "place_rating"))
                .foreign_key(&mut fk("work_order", "hall_id", "hall"))
                .to_owned(),
        )
        .await?;
        // One order per rating, whatever races.
        m.create_index(unique_index("work_order", "ux_work_order_rating", &["rating_id"]))
            .await?;
        m.create_index(unique_index("work_order", "ux_work_order_place_rating", &["place_rating_id"]))
            .await?;
        m.create_index(index("work_order", "ix_work_order_unit", &["unit_id", "state"]))
            .await?;
        m.create_index(index("work_order", "ix_work_order_region", &["region_id", "state"]))
            .await?;
        m.create_table(
            Table::create()
                .table("work_order_event")
                .col(pk_auto("id"))
                .col(integer("order_id"))
                .col(timestamp_with_time_zone("at"))
                .col(integer_null("account_id"))
                .col(string_len("actor", 64))
                .col(string_len("role", 32))
                .col(string_len("action", 32))
                .col(string_len("from_state", 32))
                .col(string_len("to_state", 32))
                .col(text_null("detail"))
                .foreign_key(&mut fk("work_order_event", "order_id", "work_order"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("work_order_event", "ix_work_order_event_order", &["order_id", "id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("work_order_file")
                .col(pk_auto("id"))
                .col(integer("order_id"))
                .col(integer("event_id"))
                .col(string_len("name", 128))
                .col(string_len("content_type", 32))
                .col(integer("size"))
                .col(blob("bytes"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("work_order_file", "order_id", "work_order"))
                .foreign_key(&mut fk("work_order_file", "event_id", "work_order_event"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("work_order_file", "ix_work_order_file_order", &["order_id"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table("unit")
                .add_column(integer_null("handler_account_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("unit")
                .add_column(text_null("handler_phone_sealed"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("unit")
                .add_column(string_len_null("handler_phone_hash", 64))
                .to_owned(),
        )
        .await?;
        for t in ["rating", "place_rating"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .add_column(timestamp_with_time_zone_null("excluded_at"))
                    .to_owned(),
            )
            .await?;
        }
        // The center's 负责人 (per region), told once a day of its overdue orders.
        m.alter_table(
            Table::alter()
                .table("region")
                .add_column(integer_null("handler_account_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("region")
                .add_column(text_null("handler_phone_sealed"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("region")
                .add_column(string_len_null("handler_phone_hash", 64))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["rating", "place_rating"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .drop_column(Alias::new("excluded_at"))
                    .to_owned(),
            )
            .await?;
        }
        for t in ["unit", "region"] {
            for c in ["handler_phone_hash", "handler_phone_sealed", "handler_account_id"] {
                m.alter_table(Table::alter().table(Alias::new(t)).drop_column(Alias::new(c)).to_owned())
                    .await?;
            }
        }
        for t in ["work_order_file", "work_order_event", "work_order"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
