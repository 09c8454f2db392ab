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
