//! sea-orm entities: one module per table. Rows are mapped to domain types in the
//! use-case modules, never handed to the web layer as input types.

pub mod region {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "region")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// 行政区划代码, up to 12 digits.
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub parent_id: Option<i32>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        /// The center's 差评处置负责人 for this region: told once a day of overdue orders.
        pub handler_account_id: Option<i32>,
        pub handler_phone_sealed: Option<String>,
        pub handler_phone_hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod unit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "unit")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub region_id: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
        /// 差评处置负责人: the account told of new and overdue work orders.
        pub handler_account_id: Option<i32>,
        /// Their mobile number, sealed like an applicant's; its keyed hash.
        pub handler_phone_sealed: Option<String>,
        pub handler_phone_hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hall {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hall")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub region_id: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod service_window {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_window")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub hall_id: i32,
        pub unit_id: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod staff {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// 工号
        #[sea_orm(unique)]
        pub number: String,
        pub name: String,
        pub unit_id: i32,
        pub photo_url: Option<String>,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_item")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// 事项编码
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub unit_id: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_client {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_client")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        /// SHA-256 of the key, hex. The key itself is shown once and never stored.
        #[sea_orm(unique)]
        pub key_hash: String,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        /// A region (and below) whose cases the key may read and rate besides
        /// its own (issue 13 item 4); at most one of this and `scope_unit_id`.
        pub scope_region_id: Option<i32>,
        /// A unit whose cases (by item or window) the key may read and rate.
        pub scope_unit_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod service_case {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_case")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub api_client_id: i32,
        /// 办件编号, unique per issuing system.
        pub case_number: String,
        pub item_id: i32,
        pub window_id: i32,
        pub staff_id: Option<i32>,
        /// 行政区划代码 of the hall's region at the time the case came in.
        pub region_code: String,
        /// Legacy plaintext column: emptied at start-up, never written.
        pub applicant_phone: Option<String>,
        pub applicant_name: Option<String>,
        pub real_name: bool,
        pub accepted_at: Option<DateTimeUtc>,
        pub completed_at: DateTimeUtc,
        /// 笔数: a batch is rated once for all its transactions.
        pub transactions: i32,
        pub bundle_id: Option<String>,
        /// Canonical form of the request, to tell an identical resend from a conflicting one.
        pub request_fingerprint: String,
        /// AES-256-GCM sealed applicant phone (see `crate::crypto`).
        pub phone_sealed: Option<String>,
        /// Keyed hash of the phone, for look-ups without decrypting.
        pub phone_hash: Option<String>,
        pub created_at: DateTimeUtc,
        /// When the default rating is due (from the region's policy); set by
        /// the default-rating job, far in the future when there is none.
        pub default_due_at: Option<DateTimeUtc>,
        /// When the reminder job looks at the case next (a case with a
        /// phone); cleared once it is reminded, rated or too old (M0017).
        pub reminder_due_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rating_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rating_token")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub token: String,
        pub case_id: i32,
        pub channel: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rating {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rating")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub case_id: i32,
        pub target: String,
        pub level: String,
        pub score: i32,
        pub channel: String,
        /// Tag codes, comma-separated, in catalog order.
        pub tags: String,
        pub comment: Option<String>,
        /// GB/T 39046 评价次数: 1 first rating, 2 follow-up; 3 is haocha's
        /// re-rating after a work order closed (counted apart from both).
        pub rating_count: i32,
        pub catalog_version: i32,
        /// The business system that pushed the rating, if one did.
        pub api_client_id: Option<i32>,
        /// The business system that issued the case: it reads the rating back.
        pub issuer_client_id: i32,
        pub created_at: DateTimeUtc,
        /// Set when an appeal was upheld: kept, marked, out of statistics.
        pub excluded_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_key")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub api_client_id: i32,
        pub key: String,
        pub request_fingerprint: String,
        pub rating_id: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// 工号: what the person signs in with.
        #[sea_orm(unique)]
        pub job_number: String,
        pub name: String,
        pub role: String,
        /// Region, unit or window code, by role; none for the system administrator.
        pub scope_code: Option<String>,
        /// argon2id PHC string.
        pub password_hash: String,
        pub must_change_password: bool,
        pub failed_attempts: i32,
        pub locked_until: Option<DateTimeUtc>,
        pub active: bool,
        /// Raised when the password changes: sessions signed in under an older
        /// epoch are ended (issue 13 item 8).
        pub session_epoch: i32,
        pub created_at: DateTimeUtc,
        pub last_sign_in_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod web_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_session")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The session's data as JSON.
        pub data: String,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    /// Append-only: database triggers refuse UPDATE and DELETE.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub at: DateTimeUtc,
        pub account_id: Option<i32>,
        /// Job number of the person (or the job number tried, for failed sign-ins).
        pub actor: String,
        pub role: String,
        pub action: String,
        pub object_kind: String,
        pub object_code: String,
        pub before: Option<String>,
        pub after: Option<String>,
        pub address: Option<String>,
        /// Region the object belongs to, so center administrators see their part.
        pub region_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod place_rating {
    use sea_orm::entity::prelude::*;

    /// A rating of a window or hall without a case: from its static QR code
    /// (002 rule 12). Repeats are kept and flagged, never dropped (SPEC §8).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "place_rating")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub hall_id: i32,
        pub window_id: Option<i32>,
        pub target: String,
        pub level: String,
        pub score: i32,
        pub channel: String,
        pub tags: String,
        pub comment: Option<String>,
        pub catalog_version: i32,
        /// The form's one-time submission id: a resend stores nothing new.
        #[sea_orm(unique)]
        pub submission_id: String,
        /// Random id of the rating browser (a cookie), for the repeat rule.
        pub rater_id: String,
        /// Keyed hash of the sending address, for the burst rule.
        pub address_hash: Option<String>,
        /// `same_browser` or `burst` when flagged for review; none when counted.
        pub repeat_reason: Option<String>,
        pub counted: bool,
        /// When it was received.
        pub created_at: DateTimeUtc,
        /// The kiosk (paired device) it was made on; none for static codes.
        pub device_id: Option<i32>,
        /// When the citizen rated, as the kiosk says, if it was queued offline
        /// (within the last 7 days); `created_at` counts.
        pub rated_at: Option<DateTimeUtc>,
        /// Set when an appeal was upheld: kept, marked, out of statistics.
        pub excluded_at: Option<DateTimeUtc>,
        /// Where the region requires real names: the rater's phone, proven
        /// by an SMS code, sealed (AES-256-GCM) and keyed-hashed.
        pub phone_sealed: Option<String>,
        pub phone_hash: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod staff_photo {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_photo")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub staff_id: i32,
        pub content_type: String,
        pub bytes: Vec<u8>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod device {
    use sea_orm::entity::prelude::*;

    /// A window evaluator (评价器): a tablet paired to one window.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "device")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub window_id: i32,
        /// One-time pairing code, until the tablet uses it.
        pub pairing_code: Option<String>,
        pub pairing_expires_at: Option<DateTimeUtc>,
        /// SHA-256 of the device credential (the cookie the tablet keeps).
        pub credential_hash: Option<String>,
        pub paired_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        /// Wrong codes tried while this pairing code was open; at
        /// [`domain::access::PAIRING_TRIES`] the code is void.
        pub pairing_failures: i32,
        /// `evaluator` (its window only) or `kiosk` (any window of the hall, or the hall).
        pub kind: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod calendar_year {
    use sea_orm::entity::prelude::*;

    /// A working-day calendar year as an administrator loaded it (the file's text).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_year")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub body: String,
        pub loaded_by: String,
        pub loaded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod region_policy {
    use sea_orm::entity::prelude::*;

    /// What a region sets of its policy (`domain::policy::PolicyOverride` as JSON).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "region_policy")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub region_id: i32,
        pub body: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod default_rating {
    use sea_orm::entity::prelude::*;

    /// The level a case got because nobody rated it in time (channel
    /// `default`), counted apart from active ratings. An active rating that
    /// arrives later supersedes it; the row stays as history.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "default_rating")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub case_id: i32,
        pub level: String,
        pub score: i32,
        /// The region whose policy gave it.
        pub policy_region: String,
        pub due_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub superseded_by: Option<i32>,
        pub superseded_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sms_message {
    use sea_orm::entity::prelude::*;

    /// One SMS, outgoing (`reminder`, `reply`) or incoming (`inbound`). The
    /// phone number is sealed like an applicant's (AES-GCM) and never logged.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sms_message")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// Sent to the gateway with every attempt, so it can drop duplicates.
        #[sea_orm(unique)]
        pub message_id: String,
        /// `reminder:{case}`: a message that must exist at most once.
        #[sea_orm(unique)]
        pub dedupe_key: Option<String>,
        pub direction: String,
        pub kind: String,
        pub case_id: Option<i32>,
        pub phone_sealed: String,
        pub phone_hash: String,
        pub body: String,
        /// queued, sending, sent, failed, cancelled; `received` for inbound.
        pub state: String,
        pub attempts: i32,
        /// Quiet hours: not sent before this (08:00 after a 21:00–08:00 night).
        pub not_before: DateTimeUtc,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        pub gateway: Option<String>,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hotline_call {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_call")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub call_id: String,
        pub rating_id: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod work_orders;
pub use work_orders::{work_order, work_order_event, work_order_file};

mod hardening;
pub use hardening::{attempt_guard, exchange_inbound, exchange_record, phone_check, rating_code};
