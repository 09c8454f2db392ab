//! Tables of issue 12 (差评工单): the order, its timeline, its evidence files.

pub mod work_order {
    use sea_orm::entity::prelude::*;

    /// 差评工单: one per bad rating (a case's `rating_id` or a place's
    /// `place_rating_id`), owned by `unit_id` (none: the hall's center).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub rating_id: Option<i32>,
        #[sea_orm(unique)]
        pub place_rating_id: Option<i32>,
        pub case_id: Option<i32>,
        pub hall_id: i32,
        pub region_id: i32,
        pub unit_id: Option<i32>,
        pub level: String,
        pub channel: String,
        /// The case was rated under a real name (a revisit is required).
        pub real_name: bool,
        /// `domain::work_order::State` code.
        pub state: String,
        pub resume_state: Option<String>,
        pub tier: Option<String>,
        pub extended: bool,
        pub rating_excluded: bool,
        /// Content flags for the center: `abuse`, `duplicate` (comma-separated).
        pub flags: String,
        pub opened_at: DateTimeUtc,
        pub first_contact_due: DateTimeUtc,
        pub contacted_at: Option<DateTimeUtc>,
        pub handle_due: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        /// The reply's elements as JSON (investigation, process, measures, result, signed_by).
        pub reply: Option<String>,
        /// How it ended: the reply's result, or the appeal's decision.
        pub result: Option<String>,
        pub revisits: i32,
        /// Working days late when the escalation job last looked.
        pub overdue_days: i32,
        /// When the unit's 负责人 was told of the new order.
        pub notified_at: Option<DateTimeUtc>,
        /// The Beijing day (YYYY-MM-DD) of the last overdue notice.
        pub escalated_on: Option<String>,
        /// `system` (opened with the rating) or the job number that promoted a flagged rating.
        pub opened_by: String,
        /// The one-time re-rating link the center sent after closing (a `rating_token`).
        pub rerating_token_id: Option<i32>,
        /// The re-rating it brought (a `rating` with `rating_count` 3).
        pub rerating_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod work_order_event {
    use sea_orm::entity::prelude::*;

    /// One step of an order's timeline: who, when, what, and its details (JSON).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub order_id: i32,
        pub at: DateTimeUtc,
        pub account_id: Option<i32>,
        pub actor: String,
        pub role: String,
        pub action: String,
        pub from_state: String,
        pub to_state: String,
        pub detail: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod work_order_file {
    use sea_orm::entity::prelude::*;

    /// Appeal evidence (PDF, JPEG, PNG ≤ 5 MB, checked by content).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order_file")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub order_id: i32,
        pub event_id: i32,
        pub name: String,
        pub content_type: String,
        pub size: i32,
        pub bytes: Vec<u8>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
