//! Background jobs inside `haocha serve`, one tokio task each: default
//! ratings, and SMS (reminders queued, the outbox sent). Each run is idempotent and safe with several servers on
//! one PostgreSQL database (see `store::defaults`). Administrators can run the
//! jobs at once from `/admin/outbox` (`admin::outbox`).

use std::time::{Duration, Instant};

use crate::AppState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub defaults: store::defaults::DefaultRun,
    pub reminders: u64,
    pub sms: crate::sms::SendRun,
    pub work_orders: store::work_orders::NoticeRun,
    /// Days whose statistics rollups were brought up to date.
    pub rollup_days: usize,
    /// Exchange records pushed (issue 15).
    pub exchange: crate::exchange::PushRun,
}

/// Stale days the rollup job recomputes per run (oldest first).
pub const ROLLUP_DAYS_PER_RUN: u64 = 62;

/// One run of every job at the app's clock ("run the jobs now"): default
/// ratings, reminders, and sending what the outbox holds.
pub async fn run_all(st: &AppState) -> Result<JobReport, store::Error> {
    let defaults = run_defaults(st).await?;
    let work_orders = store::work_orders::notices(&st.db, st.now()).await?;
    let (reminders, sms) = run_sms(st).await?;
    let rollup_days = store::rollup::run(&st.db, ROLLUP_DAYS_PER_RUN, Some(store::rollup::day_of(st.now()))).await?;
    let exchange = crate::exchange::push_due(&st.db, &st.config.data_key, st.config.exchange.as_ref(), st.now()).await?;
    Ok(JobReport {
        exchange,
        defaults,
        reminders,
        sms,
        work_orders,
        rollup_days,
    })
}

/// Default ratings, one pass at the app's clock.
pub async fn run_defaults(st: &AppState) -> Result<store::defaults::DefaultRun, store::Error> {
    let calendar = store::calendar::load(&st.db).await?;
    store::defaults::run(&st.db, &calendar, st.now()).await
}

/// Reminders queued and the outbox sent, one pass at the app's clock.
pub async fn run_sms(st: &AppState) -> Result<(u64, crate::sms::SendRun), store::Error> {
    let now = st.now();
    let reminders = store::sms::queue_reminders(&st.db, &st.config.data_key, &st.config.public_url, now).await?;
    let sent = crate::sms::send_due(&st.db, &st.config.data_key, st.sms.as_ref(), now).await?;
    Ok((reminders, sent))
}

/// A job's run is logged (with its time, `ms`) when it did something, or when
/// it took a second or more doing nothing: what an operator looks at when the
/// rating latency rises once a minute.
fn slow(t: Instant) -> bool {
    t.elapsed() >= Duration::from_secs(1)
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Runs each job in its own tokio task every `every` until the process ends;
/// an error is logged and the next run tries again.
pub fn spawn(st: AppState, every: Duration) {
    st.jobs.started(every, st.now());
    let defaults = st.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let t = Instant::now();
            match run_defaults(&defaults).await {
                Ok(r) if r.given > 0 || slow(t) => tracing::info!(defaults = r.given, ms = ms(t), "default ratings given"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "default-rating job failed; retrying at the next run"),
            }
            // Work orders: the unit's 负责人 told of new ones; overdue ones escalated once a day.
            let t = Instant::now();
            match store::work_orders::notices(&defaults.db, defaults.now()).await {
                Ok(r) if r.told_new + r.escalated > 0 || slow(t) => {
                    tracing::info!(told_new = r.told_new, escalated = r.escalated, ms = ms(t), "work-order notices")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "work-order job failed; retrying at the next run"),
            }
            // Statistics: stale days' rollups recomputed from the raw rows.
            let t = Instant::now();
            match store::rollup::run(&defaults.db, ROLLUP_DAYS_PER_RUN, Some(store::rollup::day_of(defaults.now()))).await {
                Ok(n) if n > 0 || slow(t) => tracing::info!(days = n, ms = ms(t), "statistics rollups"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "rollup job failed; retrying at the next run"),
            }
            defaults.jobs.beat(0, defaults.now());
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let t = Instant::now();
            match run_sms(&st).await {
                Ok((queued, sent)) if queued + sent.sent + sent.failed > 0 || slow(t) => {
                    tracing::info!(
                        reminders = queued,
                        sms_sent = sent.sent,
                        sms_failed = sent.failed,
                        ms = ms(t),
                        "SMS job"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "SMS job failed; retrying at the next run"),
            }
            // Issue 15: the exchange outbox pushed to the platforms.
            let t = Instant::now();
            match crate::exchange::push_due(&st.db, &st.config.data_key, st.config.exchange.as_ref(), st.now()).await {
                Ok(r) if r.accepted + r.refused + r.failed > 0 || slow(t) => {
                    tracing::info!(
                        accepted = r.accepted,
                        refused = r.refused,
                        failed = r.failed,
                        ms = ms(t),
                        "exchange job"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "exchange job failed; retrying at the next run"),
            }
            st.jobs.beat(1, st.now());
        }
    });
}
