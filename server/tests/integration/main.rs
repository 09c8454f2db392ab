//! haocha's integration tests: the real router on port 0, spoken to over HTTP,
//! each test on a fresh SQLite file and again on a fresh PostgreSQL database.

mod helpers;

mod after_visit;
mod api_ratings;
mod bundles;
mod calendar;
mod cases;
mod cli;
mod crash;
mod defaults;
mod devices;
mod exchange;
mod group_commit;
mod hardening;
mod kiosk;
mod ops;
mod page_ratings;
mod people;
mod places;
mod policies;
mod push;
mod ratings_list;
mod scaleout;
mod screen_and_docs;
mod sms;
mod sms_code;
mod stats;
mod work_orders;

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::TestApp::start($crate::helpers::Backend::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::TestApp::start($crate::helpers::Backend::Postgres).await).await
                }
            }
        )*
    };
}
