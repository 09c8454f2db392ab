//! Issue 14, first slice: the indicators of `/admin/stats` against a
//! hand-computed fixture made through the real paths (API pushes, a static
//! code, a repeat, a default), scoped by role.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::{Datelike, Duration, Timelike};
use domain::calendar::Calendar;
use domain::Role;
use serde_json::{json, Value};

use crate::helpers::{case_body, Browser, TestApp};
use crate::on_both_databases;

on_both_databases!(
    the_indicators_count_every_source_and_keep_defaults_and_flags_apart,
    breakdowns_rank_with_small_samples_held_back_and_export_the_same_numbers,
    a_monthly_report_names_the_units_ranked_last_two_months_running,
);

async fn push(app: &TestApp, idem: &str, number: &str, level: &str, tags: &[&str]) {
    push_comment(app, idem, number, level, tags, None).await
}

async fn push_comment(app: &TestApp, idem: &str, number: &str, level: &str, tags: &[&str], comment: Option<&str>) {
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", idem)
        .json(&json!({"case_number": number, "level": level, "tags": tags, "comment": comment, "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// The indicator row `name` of the page: (value, n).
fn row(html: &str, name: &str) -> (String, String) {
    let at = html
        .find(&format!("<th scope=\"row\">{name}</th>"))
        .unwrap_or_else(|| panic!("{name} in {html}"));
    let cells: Vec<String> = html[at..]
        .split("<td class=\"num\">")
        .skip(1)
        .take(2)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    (cells[0].clone(), cells.get(1).cloned().unwrap_or_default())
}

async fn the_indicators_count_every_source_and_keep_defaults_and_flags_apart(app: TestApp) {
    let completed = app.now() - Duration::hours(1);
    for number in ["ST-1", "ST-2", "ST-3", "ST-4"] {
        let mut body = case_body(number, "W01", None);
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    }
    push(&app, "st1", "ST-1", "very_satisfied", &[]).await;
    push(&app, "st2", "ST-2", "dissatisfied", &["efficiency"]).await;
    push(&app, "st3", "ST-3", "satisfied", &[]).await;
    // A static code: one counted rating, then a repeat from the same browser (flagged).
    let phone = Browser::new(&app.base);
    for id in ["statsStatic000000001", "statsStatic000000002"] {
        let (status, _) = phone.get("/q/1/w/W02").await;
        assert_eq!(status, 200);
        let (status, html) = phone.post_raw("/q/1/w/W02", &[("submission", id), ("level", "satisfied")]).await;
        assert!(status == 201, "{html}");
    }
    // ST-4 is left unrated: Liaoning's default (满意) after 5 working days.
    app.advance(Calendar::builtin().deadline(completed, 5) - app.now() + Duration::days(1));
    let admin = app.signed_in(Role::SystemAdmin, None, "stadm").await;
    assert_eq!(admin.post_page("/admin/outbox/run", &[]).await.0, 200);
    assert_eq!(app.count_rows("default_rating").await, 1);

    // Hand-computed: completed 4, rated 3; valid 5 = 3 pushed + 1 default + 1 static;
    // good 4 (非常满意 1, 满意 3), of which 1 default; bad 1; flagged 1 apart.
    let period = "/admin/stats?from=2026-01-01&to=2030-01-01";
    let (status, html) = admin.get(period).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(row(&html, "参评率"), ("75.0%".into(), "3 / 4".into()));
    assert_eq!(row(&html, "未评价率"), ("25.0%".into(), "1 / 4".into()));
    assert_eq!(row(&html, "好评率"), ("80.0%".into(), "4 / 5".into()));
    assert_eq!(row(&html, "主动评价好评率"), ("75.0%".into(), "3 / 4".into()));
    assert_eq!(row(&html, "满意率"), ("80.0%".into(), "4 / 5".into()));
    assert_eq!(row(&html, "差评率"), ("20.0%".into(), "1 / 5".into()));
    assert_eq!(row(&html, "差评整改率"), ("0.0%".into(), "0 / 1".into()), "the order is still open");
    // (10 + 3 + 8 + 8 + 8) / 5 = 7.40
    assert_eq!(row(&html, "平均分"), ("7.40".into(), "5".into()));
    assert_eq!(row(&html, "默认评价").0, "1");
    assert_eq!(row(&html, "重复/刷评标记").0, "1");
    assert_eq!(row(&html, "办结办件").0, "4");

    // The center of 沈阳 sees the same; a unit sees only its own (U-SOCIAL: none,
    // and a rate without a denominator is “—”, not 0 %); staff see nothing.
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "stctr").await;
    let (_, html) = center.get(period).await;
    assert_eq!(row(&html, "好评率"), ("80.0%".into(), "4 / 5".into()));
    let social = app.signed_in(Role::UnitAdmin, Some("U-SOCIAL"), "stsoc").await;
    let (_, html) = social.get(period).await;
    assert_eq!(row(&html, "好评率"), ("—".into(), "0 / 0".into()));
    assert_eq!(row(&html, "办结办件").0, "0");
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "stwin").await;
    assert_eq!(staff.get(period).await.0, 403);
    // A period before anything happened, and a bad date.
    let (_, html) = admin.get("/admin/stats?from=2020-01-01&to=2020-02-01").await;
    assert_eq!(row(&html, "好评率").1, "0 / 0");
    let (status, html) = admin.get("/admin/stats?from=2026-13-01").await;
    assert_eq!(status, 422);
    assert!(html.contains("日期无效"));
    let (_, html) = admin.get("/admin/stats?lang=en").await;
    assert!(html.contains("Good rate"));
}

async fn stats_json(app: &TestApp, key: &str, query: &str) -> (u16, Value) {
    let res = app
        .http
        .get(app.url(&format!("/api/v1/stats?{query}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn by_key<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {body}"))
}

async fn breakdowns_rank_with_small_samples_held_back_and_export_the_same_numbers(app: TestApp) {
    // The cases complete an hour before their ratings: both on one Beijing day.
    if app.now().with_timezone(&store::console::china()).hour() < 2 {
        app.advance(Duration::hours(2));
    }
    let completed = app.now() - Duration::hours(1);
    let today = app.now().with_timezone(&store::console::china()).date_naive();
    // 沈阳: four cases of U-MARKET's item at W01, two of U-SOCIAL's at W03.
    for (number, window, item) in [
        ("BD-A1", "W01", "11210100MB0001-001"),
        ("BD-A2", "W01", "11210100MB0001-001"),
        ("BD-A3", "W01", "11210100MB0001-001"),
        ("BD-A4", "W01", "11210100MB0001-001"),
        ("BD-B1", "W03", "11210100MB0002-001"),
        ("BD-B2", "W03", "11210100MB0002-001"),
    ] {
        let mut body = case_body(number, window, None);
        body["item_code"] = json!(item);
        body["completed_at"] = json!(completed.to_rfc3339());
        body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
        assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
    }
    push(&app, "a1", "BD-A1", "very_satisfied", &[]).await;
    push(&app, "a2", "BD-A2", "satisfied", &[]).await;
    push(&app, "a3", "BD-A3", "dissatisfied", &["efficiency"]).await;
    push_comment(
        &app,
        "a4",
        "BD-A4",
        "very_dissatisfied",
        &["attitude"],
        Some("=HYPERLINK(\"http://x\")"),
    )
    .await;
    push(&app, "b1", "BD-B1", "satisfied", &[]).await;
    push(&app, "b2", "BD-B2", "satisfied", &[]).await;
    let phone = Browser::new(&app.base);
    assert_eq!(phone.get("/q/1/w/W02").await.0, 200);
    let (status, _) = phone
        .post_raw("/q/1/w/W02", &[("submission", "breakdownStatic00001"), ("level", "satisfied")])
        .await;
    assert_eq!(status, 201);

    // By unit, this month, for a key granted 沈阳: U-MARKET 5 valid (4 pushed + the
    // static code at its window W02), U-SOCIAL 2. Too few to rank (policy: 30).
    let scope = store::keys::resolve_scope(&app.db, Some("210100")).await.unwrap();
    let (_, city) = store::keys::create(&app.db, "city platform", scope, app.now()).await.unwrap();
    let period = format!("from={}&to={}", today - Duration::days(3), today);
    let (status, body) = stats_json(&app, &city, &format!("dimension=unit&period=year&{period}")).await;
    assert_eq!(status, 200, "{body}");
    let market = by_key(&body, "U-MARKET");
    assert_eq!(market["name"], "沈阳市市场监督管理局");
    assert_eq!(market["period"], today.format("%Y").to_string());
    assert_eq!(
        (market["n"].as_u64(), market["completed"].as_u64(), market["rated"].as_u64()),
        (Some(5), Some(4), Some(4))
    );
    assert_eq!(market["good_rate"], 0.6);
    assert_eq!(market["bad_rate"], 0.4);
    assert_eq!(market["satisfaction_rate"], 0.6);
    assert_eq!(market["participation_rate"], 1.0);
    assert_eq!(market["rectification_rate"], 0.0, "two open orders");
    assert_eq!(market["levels"]["very_dissatisfied"], 1);
    // (10 + 8 + 3 + 0 + 8) / 5 = 5.8
    assert_eq!(market["average_score"], 5.8);
    assert!(market["rank"].is_null(), "5 < 30 ratings: {market}");
    assert_eq!(by_key(&body, "U-SOCIAL")["n"], 2);
    // The reporting system's own key: its cases only (no static code).
    let (_, own) = stats_json(&app, &app.key, &format!("dimension=unit&period=month&{period}")).await;
    assert_eq!(by_key(&own, "U-MARKET")["n"], 4);
    // By channel and by region (rolled up; the key sees 沈阳 only).
    let (_, channels) = stats_json(&app, &city, &format!("dimension=channel&period=month&{period}")).await;
    assert_eq!(by_key(&channels, "online")["n"], 6);
    assert_eq!(by_key(&channels, "static_qr")["n"], 1);
    assert_eq!(by_key(&channels, "static_qr")["name"], "静态二维码");
    let (_, regions) = stats_json(&app, &city, &format!("dimension=region&period=quarter&{period}")).await;
    assert_eq!(regions["rows"].as_array().unwrap().len(), 1, "{regions}");
    assert_eq!(by_key(&regions, "210100")["n"], 7);
    // Two dimensions: each unit split by channel.
    let (status, split) = stats_json(&app, &city, &format!("dimension=unit&then=channel&period=year&{period}")).await;
    assert_eq!(status, 200, "{split}");
    let cell = |unit: &str, channel: &str| {
        split["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == unit && r["key2"] == channel)
            .map(|r| r["n"].as_u64().unwrap())
    };
    assert_eq!(
        (
            cell("U-MARKET", "online"),
            cell("U-MARKET", "static_qr"),
            cell("U-SOCIAL", "online")
        ),
        (Some(4), Some(1), Some(2))
    );
    assert_eq!(cell("U-SOCIAL", "static_qr"), None);
    let (status, body) = stats_json(&app, &city, "dimension=unit&then=unit").await;
    assert_eq!((status, body["field"].as_str()), (422, Some("then")));
    let (_, days) = stats_json(&app, &city, &format!("dimension=window&period=day&{period}")).await;
    assert_eq!(by_key(&days, "W01")["period"], today.format("%Y-%m-%d").to_string());
    // Bad queries: 422 naming the field, nothing guessed.
    for (query, field) in [
        ("dimension=hour", "dimension"),
        ("period=decade", "period"),
        ("from=2026-02-30", "from"),
        ("from=2026-12-05&to=2026-12-01", "to"),
        ("period=day&from=2020-01-01&to=2026-01-01", "to"),
    ] {
        let (status, body) = stats_json(&app, &city, query).await;
        assert_eq!((status, body["field"].as_str()), (422, Some(field)), "{query}: {body}");
    }

    // The province ranks from 1 rating and alerts above 1 bad rating in 30 days.
    let admin = app.signed_in(Role::SystemAdmin, None, "bdadm").await;
    let (status, html) = admin
        .post_page(
            "/admin/policies/210000",
            &[("rank_min_n", "1"), ("alert_bad_30d", "1"), ("rank_weights", "60/20/10/10")],
        )
        .await;
    assert!(status == 200 || status == 303, "{status} {html}");
    let (_, body) = stats_json(&app, &city, &format!("dimension=unit&period=year&{period}")).await;
    let (market, social) = (by_key(&body, "U-MARKET"), by_key(&body, "U-SOCIAL"));
    // Scores by hand: U-SOCIAL (0.6·W(2,2) + 0.1·W(2,2)) / 0.7; U-MARKET
    // (0.6·W(3,5) + 0.2·W(0,2) + 0.1·W(4,4)) / 0.9 — Wilson lower bounds.
    use domain::indicators::wilson_lower as w;
    let social_score = 100.0 * w(2, 2);
    let market_score = 100.0 * (0.6 * w(3, 5) + 0.2 * w(0, 2) + 0.1 * w(4, 4)) / 0.9;
    assert!((social["score"].as_f64().unwrap() - social_score).abs() < 0.01, "{social}");
    assert!((market["score"].as_f64().unwrap() - market_score).abs() < 0.01, "{market}");
    assert_eq!((social["rank"].as_u64(), market["rank"].as_u64()), (Some(1), Some(2)));
    assert_eq!(body["rows"][0]["key"], "U-SOCIAL", "ranked first, listed first");
    // A bad policy value changes nothing.
    let (status, html) = admin.post_page("/admin/policies/210000", &[("rank_weights", "50/20/10/10")]).await;
    assert_eq!(status, 422, "{html}");

    // The page of Liaoning's center (ranked by Liaoning's policy): the same
    // ranking, the charts (SVG with a title) and their tables, the alerts.
    let admin = app.signed_in(Role::CenterAdmin, Some("210000"), "bdctr").await;
    let (status, html) = admin.get(&format!("/admin/stats?dimension=unit&{period}")).await;
    assert_eq!(status, 200, "{html}");
    let table = html
        .split("<table class=\"list breakdown\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    let social_at = table.find("U-SOCIAL").unwrap();
    let market_at = table.find("U-MARKET").unwrap();
    assert!(social_at < market_at, "rank 1 first");
    assert!(html.matches("<svg").count() >= 3 && html.contains("<title>"), "charts");
    assert!(html.contains("好评率趋势"));
    let alerts = html
        .split("<table class=\"list alerts\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(alerts.contains("U-MARKET") && alerts.contains("11210100MB0001-001"), "{alerts}");
    assert!(!alerts.contains("U-SOCIAL"), "{alerts}");
    let (status, _) = admin.get("/admin/stats?dimension=hour").await;
    assert_eq!(status, 422);
    let (status, html) = admin.get(&format!("/admin/stats?dimension=unit&then=channel&{period}")).await;
    assert_eq!(status, 200);
    let table = html
        .split("<table class=\"list breakdown\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        table.contains("静态二维码 (static_qr)") && table.contains("网上办事 (online)"),
        "{table}"
    );

    // Exports: CSV with a BOM, XLSX read back; the same numbers.
    let res = admin
        .http
        .get(format!("{}/admin/stats.csv?dimension=unit&{period}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM");
    let csv = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("U-MARKET,沈阳市市场监督管理局,") && l.contains(",60.0%,")),
        "{csv}"
    );
    let res = admin
        .http
        .get(format!("{}/admin/stats.xlsx?dimension=unit&{period}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let book = res.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
    assert_eq!(xlsx.sheet_names(), ["总体", "单位"]);
    let sheet = xlsx.worksheet_range("单位").unwrap();
    let market_row = sheet.rows().find(|r| r[0] == "U-MARKET").unwrap();
    assert_eq!(market_row[6].to_string(), "5", "n");
    assert_eq!(market_row[7].to_string(), "60.0%");
    // The ratings export: masked, and a formula neutralised.
    let res = admin
        .http
        .get(format!("{}/admin/ratings.csv?case=BD-A4", app.base))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    let res = admin
        .http
        .get(format!("{}/admin/ratings.xlsx?window=W01", app.base))
        .send()
        .await
        .unwrap();
    let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let sheet = xlsx.worksheet_range("评价记录").unwrap();
    assert_eq!(sheet.rows().count(), 5, "a header and W01's four ratings");
    assert!(sheet.rows().any(|r| r.iter().any(|c| *c == "'=HYPERLINK(\"http://x\")")));
    assert_eq!(admin.get("/admin/stats.csv?from=nope").await.0, 422);
    let unit = app.signed_in(Role::WindowStaff, Some("W01"), "bdwin").await;
    assert_eq!(unit.get("/admin/stats.csv").await.0, 403);
}

/// Reports a case completed an hour ago at `window` for `item`.
async fn case_at(app: &TestApp, number: &str, window: &str, item: &str) {
    let completed = app.now() - Duration::hours(1);
    let mut body = case_body(number, window, None);
    body["item_code"] = json!(item);
    body["completed_at"] = json!(completed.to_rfc3339());
    body["accepted_at"] = json!((completed - Duration::minutes(20)).to_rfc3339());
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status(), 201);
}

async fn a_monthly_report_names_the_units_ranked_last_two_months_running(app: TestApp) {
    let admin = app.signed_in(Role::SystemAdmin, None, "mradm").await;
    let (status, html) = admin.post_page("/admin/policies/210000", &[("rank_min_n", "1")]).await;
    assert!(status == 200 || status == 303, "{status} {html}");
    let first = app.now().with_timezone(&store::console::china()).date_naive();
    // This month: the market's case rated bad, social security's good.
    case_at(&app, "MR-A1", "W01", "11210100MB0001-001").await;
    case_at(&app, "MR-B1", "W03", "11210100MB0002-001").await;
    push(&app, "mra1", "MR-A1", "dissatisfied", &["efficiency"]).await;
    push(&app, "mrb1", "MR-B1", "satisfied", &[]).await;
    // The 15th of next month: the same again.
    let next = first
        .with_day(1)
        .unwrap()
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .with_day(15)
        .unwrap();
    let target = domain::calendar::start_of(next) + Duration::hours(10);
    app.advance(target - app.now());
    case_at(&app, "MR-A2", "W01", "11210100MB0001-001").await;
    case_at(&app, "MR-B2", "W03", "11210100MB0002-001").await;
    push(&app, "mra2", "MR-A2", "very_dissatisfied", &["attitude"]).await;
    push(&app, "mrb2", "MR-B2", "very_satisfied", &[]).await;

    let center = app.signed_in(Role::CenterAdmin, Some("210000"), "mrctr").await;
    let (status, html) = center.get(&format!("/admin/reports/monthly?month={}", next.format("%Y-%m"))).await;
    assert_eq!(status, 200, "{html}");
    let last = html
        .split("<ul class=\"last-twice\">")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(last.contains("沈阳市市场监督管理局") && !last.contains("人力资源"), "{last}");
    let units = html
        .split("<table class=\"list ranking\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(units.find("U-SOCIAL").unwrap() < units.find("U-MARKET").unwrap(), "{units}");
    assert!(html.contains("有效差评（生成工单）"), "work-order summary");
    // The first month had no month before it with ratings: nobody to name.
    let (_, html) = center.get(&format!("/admin/reports/monthly?month={}", first.format("%Y-%m"))).await;
    let last = html
        .split("<ul class=\"last-twice\">")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(!last.contains("沈阳市市场监督管理局"), "{last}");
    let (status, html) = center.get("/admin/reports/monthly?month=2026-13").await;
    assert_eq!(status, 422);
    assert!(html.contains("YYYY-MM"));
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "mrwin").await;
    assert_eq!(staff.get("/admin/reports/monthly").await.0, 403);
}

/// Issue 16: on PostgreSQL two transactions writing facts of the same day do
/// not wait for each other's commit (the day's stale mark has a row per
/// connection shard), and the rollup job still clears every shard of the day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_of_one_day_do_not_queue_on_its_stale_mark_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::start(crate::helpers::Backend::Postgres).await;
    let url = app.state.config.database_url.clone();
    let today = store::rollup::day_of(chrono::Utc::now());
    async fn shard(txn: &sea_orm::DatabaseTransaction) -> i32 {
        txn.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT (pg_backend_pid() % {})::int4 AS s", store::rollup::SHARDS),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i32>("", "s")
        .unwrap()
    }
    let first_db = store::connect(&url).await.unwrap();
    let first = first_db.begin().await.unwrap();
    let first_shard = shard(&first).await;
    // A second connection on another shard (pids mostly differ modulo 32).
    let mut others = Vec::new();
    let second = loop {
        let db = store::connect(&url).await.unwrap();
        let txn = db.begin().await.unwrap();
        others.push(db);
        if shard(&txn).await != first_shard {
            break txn;
        }
        assert!(others.len() < 20, "no connection on another shard");
    };
    store::rollup::mark_days(&first, [today]).await.unwrap();
    // The first has not committed: the second marks the same day at once.
    tokio::time::timeout(std::time::Duration::from_secs(2), store::rollup::mark_days(&second, [today]))
        .await
        .expect("the second writer does not wait for the first one's commit")
        .unwrap();
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    let day = today.format("%Y-%m-%d").to_string();
    async fn stale(app: &TestApp, day: &str) -> String {
        let q = format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM stat_dirty WHERE day = '{day}' AND version > done");
        app.scalar(&q).await.unwrap()
    }
    assert!(
        stale(&app, &day).await.parse::<i64>().unwrap() >= 2,
        "both shards of the day are stale"
    );
    store::rollup::run(&app.db, 10, None).await.unwrap();
    assert_eq!(stale(&app, &day).await, "0", "the rollup job clears every shard of the day");
}
