//! The `haocha` binary as an operator's script uses it.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use std::process::Command;

use sea_orm::{ConnectionTrait, EntityTrait};

fn haocha(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_haocha"))
        .args(args)
        .env("HAOCHA_DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .env("HAOCHA_DATA_KEY", crate::helpers::TEST_DATA_KEY)
        .output()
        .expect("run haocha");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn demo_and_api_key_create_print_a_working_key_alone_on_stdout() {
    let dir = std::env::temp_dir().join(format!("haocha_cli_{}", store::random_token(6)));
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());

    let (ok, demo_out, demo_err) = haocha(&url, &["demo"]);
    assert!(ok, "{demo_err}");
    let demo_key = demo_out.trim();
    assert_eq!(demo_out.lines().count(), 1, "only the key on stdout: {demo_out:?}");
    assert!(demo_key.starts_with("hc_"));
    assert!(
        demo_err.contains("7 windows") && demo_err.contains("11 service items"),
        "{demo_err}"
    );

    let (ok, again, _) = haocha(&url, &["demo"]);
    assert!(ok);
    assert_eq!(again, "", "the demo key is printed once");

    let (ok, key_out, err) = haocha(&url, &["api-key", "create", "审批系统"]);
    assert!(ok, "{err}");
    let key = key_out.trim();
    assert_eq!(key_out, format!("{key}\n"));
    assert_ne!(key, demo_key);

    // Issue 13 item 4: a key granted a region; an unknown scope makes none.
    let (ok, scoped_out, err) = haocha(&url, &["api-key", "create", "市级平台", "--scope", "210100"]);
    assert!(ok, "{err}");
    let (ok, _, err) = haocha(&url, &["api-key", "create", "错误范围", "--scope", "NOPE"]);
    assert!(!ok && err.contains("scope"), "{err}");

    let db = store::open(&url).await.expect("open");
    for k in [demo_key, key] {
        store::keys::authenticate(&db, k).await.expect("the printed key works");
    }
    let scoped = store::keys::authenticate(&db, scoped_out.trim()).await.expect("scoped key works");
    let granted = store::keys::KeyScope {
        region_id: scoped.scope_region_id,
        unit_id: scoped.scope_unit_id,
    };
    assert_eq!(store::keys::scope_code(&db, granted).await.unwrap(), "210100");
    let clients = store::entities::api_client::Entity::find().all(&db).await.unwrap();
    assert!(!clients.iter().any(|c| c.name == "错误范围"), "a refused key is not made");
    let screen = store::cases::window_screen(&db, "W01", chrono::Utc::now()).await.expect("W01");
    assert!(screen.current.is_some(), "demo data puts a case on every window screen");
    // The after-visit path is there at once: one reminder due, one default due.
    let key = store::crypto::DataKey::from_hex(crate::helpers::TEST_DATA_KEY).unwrap();
    let now = chrono::Utc::now();
    assert_eq!(store::sms::queue_reminders(&db, &key, "http://demo", now).await.unwrap(), 1);
    let calendar = store::calendar::load(&db).await.unwrap();
    assert_eq!(store::defaults::run(&db, &calendar, now).await.unwrap().given, 1);
    // 差评工单 in several states: one overdue (new), one in appeal, one closed after a revisit, one new.
    let states: Vec<String> = ["W1", "W2", "W3", "W4"]
        .iter()
        .map(|s| format!("DEMO-{}-{s}", now.format("%Y%m%d")))
        .collect();
    let mut seen = Vec::new();
    for number in &states {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT w.state, w.revisits, w.first_contact_due FROM work_order w JOIN service_case c ON c.id = w.case_id WHERE c.case_number = '{number}'"),
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("an order for {number}"));
        seen.push((
            row.try_get::<String>("", "state").unwrap(),
            row.try_get::<i32>("", "revisits").unwrap(),
            row.try_get::<chrono::DateTime<chrono::Utc>>("", "first_contact_due").unwrap() < now,
        ));
    }
    assert_eq!(seen[0], ("new".to_string(), 0, true), "overdue");
    assert_eq!(seen[1].0, "appeal_requested");
    assert_eq!((seen[2].0.as_str(), seen[2].1), ("closed", 1));
    assert_eq!(seen[3].0, "new");

    let (ok, _, err) = haocha("mysql://nowhere/db", &["migrate"]);
    assert!(!ok && err.contains("cannot open database"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn user_create_prints_a_first_password_that_signs_in_and_refuses_bad_scopes() {
    let dir = std::env::temp_dir().join(format!("haocha_cli_{}", store::random_token(6)));
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());
    let (ok, _, err) = haocha(&url, &["demo"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("admin") && err.contains("center01") && err.contains("unit01") && err.contains("S1001"),
        "one account per role: {err}"
    );

    let (ok, out, err) = haocha(&url, &["user", "create", "--role", "unit_admin", "--scope", "U-SOCIAL", "U-SOC-01"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "the password alone on stdout: {out:?}");
    let password = out.trim();
    let db = store::open(&url).await.expect("open");
    let meta = store::audit::Meta {
        now: chrono::Utc::now(),
        address: None,
    };
    let id = store::accounts::sign_in(&db, "U-SOC-01", password, &meta)
        .await
        .expect("db")
        .expect("the printed password signs in");
    let actor = store::accounts::actor(&db, id).await.expect("db").expect("actor");
    assert!(actor.must_change_password && actor.role == domain::Role::UnitAdmin);

    let (ok, out, err) = haocha(&url, &["user", "create", "--role", "unit_admin", "--scope", "U-NOPE", "X1"]);
    assert!(!ok && out.is_empty() && err.contains("U-NOPE"), "{err}");
    let (ok, _, err) = haocha(&url, &["user", "create", "--role", "janitor", "X2"]);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = haocha(&url, &["user", "create", "--role", "unit_admin", "--scope", "U-SOCIAL", "U-SOC-01"]);
    assert!(!ok && err.contains("already exists"), "{err}");

    // A forgotten demo password: a new first password, alone on stdout.
    let (ok, out, err) = haocha(&url, &["user", "reset-password", "admin"]);
    assert!(ok, "{err}");
    let fresh = out.trim().to_string();
    assert_eq!(out, format!("{fresh}\n"));
    let id = store::accounts::sign_in(&db, "admin", &fresh, &meta)
        .await
        .expect("db")
        .expect("the new password signs in");
    assert!(
        store::accounts::actor(&db, id)
            .await
            .expect("db")
            .expect("actor")
            .must_change_password
    );
    let (ok, _, err) = haocha(&url, &["user", "reset-password", "nobody"]);
    assert!(!ok && err.contains("no account"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn calendar_days_prints_every_date_and_a_loaded_year_is_checked_whole() {
    let dir = std::env::temp_dir().join(format!("haocha_cli_{}", store::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());

    let (ok, out, err) = haocha(&url, &["calendar", "days", "2024"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 366);
    assert_eq!(lines[0], "2024-01-01 R");
    assert!(
        lines.contains(&"2024-02-04 W") && lines.contains(&"2024-02-18 W"),
        "working Sundays"
    );
    assert!(lines.contains(&"2024-10-07 R") && lines.contains(&"2024-10-12 W"));
    let (_, out, _) = haocha(&url, &["calendar", "days", "2025"]);
    for day in 1..=8 {
        assert!(out.contains(&format!("2025-10-0{day} R\n")), "2025-10-0{day}");
    }

    // 2027 is not published yet: only the week, and a warning.
    let (ok, out, err) = haocha(&url, &["calendar", "days", "2027"]);
    assert!(ok && err.contains("no holidays are loaded for 2027"), "{err}");
    assert!(out.contains("2027-01-01 W\n"));

    // A file with one bad line loads nothing.
    let bad = dir.join("2027-bad.txt");
    std::fs::write(&bad, "2027-01-01 R 元旦\n2027-02-30 R 春节\n").unwrap();
    let (ok, _, err) = haocha(&url, &["calendar", "load", "2027", bad.to_str().unwrap()]);
    assert!(!ok && err.contains("第 2 行") && err.contains("nothing was loaded"), "{err}");
    let (_, out, _) = haocha(&url, &["calendar", "days", "2027"]);
    assert!(out.contains("2027-01-01 W\n"), "nothing half-loaded");

    let good = dir.join("2027.txt");
    std::fs::write(
        &good,
        "# 2027\n2027-01-01 R 元旦\n2027-02-06..2027-02-13 R 春节\n2027-02-14 W 春节调休上班\n",
    )
    .unwrap();
    let (ok, _, err) = haocha(&url, &["calendar", "load", "2027", good.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (_, out, _) = haocha(&url, &["calendar", "days", "2027"]);
    assert!(out.contains("2027-01-01 R\n") && out.contains("2027-02-08 R\n") && out.contains("2027-02-14 W\n"));
    let (_, years, _) = haocha(&url, &["calendar", "years"]);
    assert!(years.contains("2026 ") && years.contains("built in"), "{years}");
    assert!(years.contains("2027 9 holidays, 1 working weekends"), "{years}");
    assert!(
        years.lines().any(|l| l.starts_with("2027") && l.contains("loaded by cli")),
        "{years}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn rollup_brings_the_statistics_up_to_date_and_rebuild_redoes_every_day() {
    let dir = std::env::temp_dir().join(format!("haocha_cli_{}", store::random_token(6)));
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());
    let (ok, _, err) = haocha(&url, &["demo"]);
    assert!(ok, "{err}");
    // The demo's ratings, defaults and orders made days stale; one run clears them.
    let (ok, out, err) = haocha(&url, &["rollup"]);
    assert!(ok, "{err}");
    let days: u32 = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(days >= 1 && out.contains("days rolled up"), "{out}");
    let (_, out, _) = haocha(&url, &["rollup"]);
    assert!(out.starts_with("0 days"), "nothing left: {out}");
    // After a bulk load with SQL nothing is marked: --rebuild redoes every day with data.
    let db = store::open(&url).await.unwrap();
    db.execute_unprepared("DELETE FROM stat_rollup").await.unwrap();
    let (_, out, _) = haocha(&url, &["rollup", "--rebuild"]);
    let again: u32 = out.split_whitespace().next().unwrap().parse().unwrap();
    assert!(again >= days, "{out}");
    let rows = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM stat_rollup".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(rows.try_get::<i64>("", "n").unwrap() > 0);
    let _ = std::fs::remove_dir_all(dir);
}
