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
