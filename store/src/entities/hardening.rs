//! Tables of issue 13 (hardening).

pub mod attempt_guard {
    use sea_orm::entity::prelude::*;

    /// Failed attempts under one key (`signin:acct:…`, `signin:addr:…`,
    /// `signin:pair:…`, `pair:addr:…`), counted from `first_at`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attempt_guard")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub failures: i32,
        pub first_at: DateTimeUtc,
        pub last_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod phone_check {
    //! A rater's phone proven by a 6-digit SMS code (issue 13 item 6).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "phone_check")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub phone_hash: String,
        pub phone_sealed: String,
        /// Keyed hash of the code; the code itself is only in the SMS.
        pub code_hash: String,
        pub tries: i32,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub verified_at: Option<DateTimeUtc>,
        /// Keyed hash of the token the proven browser carries until it rates.
        #[sea_orm(unique)]
        pub token_hash: Option<String>,
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod exchange_record {
    use sea_orm::entity::prelude::*;

    /// Issue 15: one fact in the exchange outbox. `kind`: `rating` (a case's
    /// item rating, first or follow-up), `place` (static code, kiosk),
    /// `default`, `exclusion` / `exclusion_place` (of that rating), or
    /// `rectification` (a closed work order); `source_id` is that row's id.
    /// `state`: pending, sending, accepted, refused.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_record")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub record_id: String,
        pub kind: String,
        pub source_id: i32,
        pub region_id: i32,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        /// The profile of the last attempt.
        pub profile: Option<String>,
        /// The platform's HTTP status of the last attempt (none: no answer).
        pub last_status: Option<i32>,
        /// The platform's answer or the transport error, at most 500 characters.
        pub last_answer: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod exchange_inbound {
    use sea_orm::entity::prelude::*;

    /// Issue 15: a rating received from a platform (`POST
    /// /api/v1/exchange/inbound`), in the profile it came in.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exchange_inbound")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub rating_id: i32,
        pub profile: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rating_code {
    use sea_orm::entity::prelude::*;

    /// Issue 15: the 6-character code of a case's SMS reminder sent without
    /// a link; typed at `/s`, it opens the case's rating page.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rating_code")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub code: String,
        #[sea_orm(unique)]
        pub case_id: i32,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
