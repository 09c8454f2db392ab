//! Issue 13 (a security review of the running demo): each finding has a test
//! here or beside the feature it hardens, and each failed on the code before
//! the fix.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::Role;

use crate::helpers::{Backend, Browser, TestApp, NEW_PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    a_password_change_or_reset_ends_the_accounts_other_sessions,
    common_short_and_job_number_passwords_are_refused,
    numbers_out_of_range_in_a_query_are_422_not_a_dropped_connection,
    a_unit_administrator_cannot_put_a_window_in_another_citys_hall,
    cases_from_the_future_or_of_another_region_are_refused,
    a_device_cannot_rate_faster_than_a_queue_of_citizens,
    only_the_center_pairs_a_hall_wide_kiosk_and_an_evaluator_rates_its_window,
    an_api_key_reads_and_rates_only_its_own_cases_unless_granted_a_scope,
    citizens_rate_while_thirty_thousand_staff_are_imported,
    where_real_names_are_required_a_static_rating_needs_a_phone_proven_by_sms_code,
);

/// Posts a form as if from `address` (the server trusts X-Forwarded-For here).
async fn post_from(b: &Browser, address: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    // Pairing forms carry no CSRF token (no session); the others do.
    let token = if path.starts_with("/device/") {
        String::new()
    } else {
        b.csrf(if path == "/login" { "/login" } else { "/account/password" }).await
    };
    let mut all: Vec<(&str, &str)> = if token.is_empty() { vec![] } else { vec![("_csrf", &token)] };
    all.extend_from_slice(fields);
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(all).finish();
    let res = b
        .http
        .post(format!("{}{path}", b.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", address)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status == 303 {
        return (status, res.headers()["location"].to_str().unwrap().to_string());
    }
    (status, res.text().await.unwrap())
}

async fn sign_in_from(b: &Browser, address: &str, job: &str, password: &str) -> (u16, String) {
    post_from(b, address, "/login", &[("job_number", job), ("password", password)]).await
}

/// The page's alert text (the message a person reads).
fn alert(page: &str) -> String {
    let at = page.find("role=\"alert\"").expect("an alert on the page");
    let start = at + page[at..].find('>').unwrap() + 1;
    page[start..].split('<').next().unwrap().to_string()
}

/// Item 7: no lock anyone can trigger. Failures slow the address that made them
/// (and the account, but only from addresses that failed on it); the owner
/// signs in from an address that has not failed; unknown job numbers are
/// answered exactly like known ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_slow_the_guesser_but_not_the_owner() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::start_with(backend, |c| c.trust_forwarded = true).await;
        let (_, first) = store::accounts::create(&app.db, Role::SystemAdmin, None, "adm7", app.now())
            .await
            .unwrap();
        let guesser = Browser::new(&app.base);
        let attacker = "203.0.113.5";
        for i in 0..4 {
            let (status, page) = sign_in_from(&guesser, attacker, "adm7", "Wrong-password-1").await;
            assert_eq!(status, 401, "try {i}: {page}");
        }
        // The fifth try waits: 429 and a sentence, not a lock.
        let (status, known) = sign_in_from(&guesser, attacker, "adm7", "Wrong-password-1").await;
        assert_eq!(status, 429, "{known}");
        assert!(alert(&known).contains("尝试次数过多"), "{known}");
        let (status, _) = sign_in_from(&guesser, attacker, "adm7", &first).await;
        assert_eq!(status, 429, "from the guessing address even the right password waits");

        // An unknown job number, from another address: the very same answers.
        let other = "203.0.113.6";
        for _ in 0..4 {
            assert_eq!(sign_in_from(&guesser, other, "nobody7", "Wrong-password-1").await.0, 401);
        }
        let (status, unknown) = sign_in_from(&guesser, other, "nobody7", "Wrong-password-1").await;
        assert_eq!(status, 429);
        assert_eq!(alert(&unknown), alert(&known), "nothing tells which job numbers exist");

        // The owner, from an address that has not failed, is not held up.
        let owner = Browser::new(&app.base);
        assert_eq!(
            sign_in_from(&owner, "198.51.100.7", "adm7", &first).await,
            (303, "/account/password".into()),
            "the real owner passes"
        );

        // The wait grows: 2 s after the fourth failure, then 4 s after the fifth.
        app.advance(Duration::seconds(3));
        assert_eq!(sign_in_from(&guesser, attacker, "adm7", "Wrong-password-2").await.0, 401);
        let (status, page) = sign_in_from(&guesser, attacker, "adm7", "Wrong-password-3").await;
        assert_eq!(status, 429);
        assert!(alert(&page).contains("4 秒"), "{page}");
        app.advance(Duration::seconds(5));
        assert_eq!(sign_in_from(&guesser, attacker, "adm7", &first).await.0, 303, "after the wait");

        let throttled = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'sign_in_throttled'")
            .await;
        assert_eq!(throttled.as_deref(), Some("4"), "every refused try is audited");
        assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM account WHERE locked_until IS NOT NULL")
                .await
                .as_deref(),
            Some("0"),
            "no account is locked"
        );
    }
}

/// Item 8: a password change ends every other session of the account (the
/// one that changed it goes on); an administrator's reset ends them all.
async fn a_password_change_or_reset_ends_the_accounts_other_sessions(app: TestApp) {
    let first_tab = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ua8").await;
    let other = Browser::new(&app.base);
    assert_eq!(other.sign_in("ua8", NEW_PASSWORD).await, (303, "/admin".into()));
    assert_eq!(other.get("/admin").await.0, 200);
    assert_eq!(first_tab.get("/admin").await.0, 200);

    let newer = "Another-pass-2026";
    let (status, to) = first_tab
        .post_page("/account/password", &[("current", NEW_PASSWORD), ("new", newer), ("repeat", newer)])
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin"));
    assert_eq!(first_tab.get("/admin").await.0, 200, "the session that changed it goes on");
    assert_eq!(
        other.get("/admin").await,
        (303, "/login?expired=1".into()),
        "the other session is ended"
    );
    assert_eq!(other.get("/admin").await, (303, "/login".into()), "and stays ended");

    // An administrator's reset ends the person's sessions too.
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "ca8").await;
    assert_eq!(center.post_page("/admin/accounts/ua8/reset", &[]).await.0, 200);
    assert_eq!(first_tab.get("/admin").await, (303, "/login?expired=1".into()));
}

/// Item 9: under 10 characters, one of the 10,000 most common passwords (in
/// any case), or holding the job number: refused with the reason.
async fn common_short_and_job_number_passwords_are_refused(app: TestApp) {
    let (_, first) = store::accounts::create(&app.db, Role::UnitAdmin, Some("U-MARKET"), "ua9", app.now())
        .await
        .unwrap();
    let b = Browser::new(&app.base);
    assert_eq!(b.sign_in("ua9", &first).await, (303, "/account/password".into()));
    for (password, says) in [
        ("Short-1a", "至少 10 个字符"),
        ("Q1w2e3r4t5", "最常见"),
        ("abcdefghijkl", "至少三类"),
        ("QWERTYUIOP", "最常见"),
        ("Ua9-Spring-2026", "不能包含工号"),
    ] {
        let (status, page) = b
            .post_page("/account/password", &[("current", &first), ("new", password), ("repeat", password)])
            .await;
        assert_eq!(status, 422, "{password}: {page}");
        assert!(alert(&page).contains(says), "{password}: {}", alert(&page));
    }
    let (status, page) = b
        .post_page("/account/password", &[("current", &first), ("new", &first), ("repeat", &first)])
        .await;
    assert_eq!(status, 422, "the first password again is refused");
    assert!(alert(&page).contains("不能与当前密码相同"), "{page}");
    assert_eq!(b.get("/admin").await, (303, "/account/password".into()), "nothing changed");
    assert_eq!(
        b.post_page(
            "/account/password",
            &[("current", &first), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)]
        )
        .await,
        (303, "/admin".into())
    );
}

/// Item 10: pairing codes cannot be guessed. An address that tried five wrong
/// codes waits ten minutes (pages and the kiosk API say 429); five wrong codes
/// tried while a code is open void it, wherever they came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_code_guesses_are_limited_per_address_and_per_code() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::start_with(backend, |c| c.trust_forwarded = true).await;
        let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "pa10").await;
        let code = crate::devices::pairing_code(&admin, "W01").await;
        let wrong = if code == "12345678" { "87654321" } else { "12345678" };
        let d = Browser::new(&app.base);
        let a = "203.0.113.10";
        for _ in 0..4 {
            assert_eq!(post_from(&d, a, "/device/pair", &[("code", wrong)]).await.0, 422);
        }
        // A fifth wrong code, from elsewhere: the open code has seen five and is void.
        let b = "203.0.113.11";
        assert_eq!(post_from(&d, b, "/device/pair", &[("code", wrong)]).await.0, 422);
        let (status, page) = post_from(&d, b, "/device/pair", &[("code", &code)]).await;
        assert_eq!(status, 422, "the guessed-at code no longer pairs: {page}");
        assert_eq!(
            app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM device WHERE paired_at IS NOT NULL")
                .await
                .as_deref(),
            Some("0")
        );
        let (_, devices) = admin.get("/admin/devices/W01").await;
        assert!(!devices.contains(&code), "a void code is no longer shown");

        // The first address: its fifth wrong code is answered, the sixth try waits.
        assert_eq!(post_from(&d, a, "/device/pair", &[("code", wrong)]).await.0, 422);
        let fresh = crate::devices::pairing_code(&admin, "W01").await;
        let (status, page) = post_from(&d, a, "/device/pair", &[("code", &fresh)]).await;
        assert_eq!(status, 429, "{page}");
        assert!(page.contains("错误次数过多"), "{page}");
        let res = d
            .http
            .post(app.url("/device/api/pair"))
            .header("x-forwarded-for", a)
            .header("content-type", "application/json")
            .body(format!("{{\"code\": \"{fresh}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 429);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "too_many_tries");
        // Another address pairs with the fresh code at once.
        assert_eq!(
            post_from(&d, "198.51.100.20", "/device/pair", &[("code", &fresh)]).await,
            (303, "/device".into())
        );
        // Ten minutes later the first address may try again.
        app.advance(Duration::minutes(11));
        let late = crate::devices::pairing_code(&admin, "W02").await;
        assert_eq!(
            post_from(&Browser::new(&app.base), a, "/device/pair", &[("code", &late)]).await.0,
            303
        );
    }
}

/// Item 13: numbers in a query beyond their range answer 422 (JSON on the API,
/// a readable page on admin lists), never a dropped connection.
async fn numbers_out_of_range_in_a_query_are_422_not_a_dropped_connection(app: TestApp) {
    for path in [
        "/api/v1/items?offset=9223372036854775808",
        "/api/v1/staff?offset=18446744073709551615",
    ] {
        let res = app.http.get(app.url(path)).bearer_auth(&app.key).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 422, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["field"], "offset", "{path}: {body}");
    }
    let res = app
        .http
        .get(app.url("/api/v1/windows?offset=999999999&limit=1"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "a far but valid offset is an empty page");
    let admin = app.signed_in(Role::SystemAdmin, None, "root13").await;
    for path in [
        "/admin/staff?page=184467440737095518",
        "/admin/audit?page=0",
        "/admin/accounts?page=-1",
    ] {
        let (status, page) = admin.get(path).await;
        assert_eq!(status, 422, "{path}");
        assert!(page.contains("参数超出范围"), "{path}: {page}");
    }
    assert_eq!(admin.get("/admin/staff?page=2").await.0, 200);
}

/// Item 14: a Content Security Policy that allows exactly the page's own
/// inline scripts (by hash), no framing but the evaluator's frame of a rating
/// page, no referrer (rating links carry tokens), HSTS behind https.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_strict_content_security_policy_and_no_referrer() {
    let app = TestApp::start_with(Backend::Sqlite, |c| c.public_url = "https://haocha.example".into()).await;
    let case = app.report_case("CSP-1", "W01", Some("S1001")).await;
    let url = case["rating_url"].as_str().unwrap().replace("https://haocha.example", &app.base);
    let res = app.http.get(&url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let page = res.text().await.unwrap();
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "the evaluator frames rating pages: {csp}");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "SAMEORIGIN");
    assert!(h["strict-transport-security"].to_str().unwrap().contains("max-age="));
    // Every inline script of the page (the hydration script) is allowed by its hash, and only those.
    let hashes = server::web::headers::inline_script_hashes(&page);
    assert!(!hashes.is_empty(), "the rating page hydrates an island");
    for hsh in &hashes {
        assert!(csp.contains(hsh.as_str()), "{hsh} in {csp}");
    }
    assert_eq!(csp.matches("'sha256-").count(), hashes.len());

    let res = app.http.get(app.url("/login")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
        "{csp}"
    );
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let res = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));

    // Over plain http, no HSTS.
    let plain = TestApp::start(Backend::Sqlite).await;
    let res = plain.http.get(plain.url("/")).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
    assert!(res.headers().get("content-security-policy").is_some());
}

/// Item 1: every reference of a record is checked — a 沈阳 unit's window in a
/// 大连 hall is refused (and nothing is stored), by whoever asks.
async fn a_unit_administrator_cannot_put_a_window_in_another_citys_hall(app: TestApp) {
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ua1").await;
    let windows = app.count_rows("service_window").await;
    let (status, page) = unit
        .post_page(
            "/admin/windows",
            &[("code", "W-EVIL"), ("name", "假窗口"), ("hall", "H-DL-01"), ("unit", "U-MARKET")],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("该大厅不在所属部门的地区"), "{page}");
    let system = app.signed_in(Role::SystemAdmin, None, "root1").await;
    assert_eq!(
        system
            .post_page(
                "/admin/windows",
                &[("code", "W-EVIL"), ("name", "假窗口"), ("hall", "H-DL-01"), ("unit", "U-MARKET")]
            )
            .await
            .0,
        422,
        "the data must hold together for everyone"
    );
    // Moving an existing window there is refused alike.
    let (status, _) = unit
        .post_page(
            "/admin/windows/W01",
            &[
                ("code", "W01"),
                ("name", "1号窗口 综合受理"),
                ("hall", "H-DL-01"),
                ("unit", "U-MARKET"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.count_rows("service_window").await, windows, "nothing stored");
    assert_eq!(
        app.scalar("SELECT h.code AS v FROM service_window w JOIN hall h ON h.id = w.hall_id WHERE w.code = 'W01'")
            .await
            .as_deref(),
        Some("H-SY-01")
    );
    // Inside the unit's region it still works.
    let (status, _) = unit
        .post_page(
            "/admin/windows",
            &[("code", "W-NEW"), ("name", "新窗口"), ("hall", "H-SY-01"), ("unit", "U-MARKET")],
        )
        .await;
    assert_eq!(status, 303);
}

/// Item 5: a completion more than five minutes ahead, and an item or a staff
/// member of another city on this window, are refused (422 naming the field).
async fn cases_from_the_future_or_of_another_region_are_refused(app: TestApp) {
    let mut body = crate::helpers::case_body("FUT-1", "W01", Some("S1001"));
    body["completed_at"] = "3000-01-01T00:00:00+08:00".into();
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status().as_u16(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["field"], "completed_at", "{v}");
    // Two minutes ahead is clock skew: accepted.
    let mut body = crate::helpers::case_body("FUT-2", "W01", Some("S1001"));
    body["completed_at"] = (app.now() + Duration::minutes(2)).to_rfc3339().into();
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status().as_u16(), 201);

    let mut body = crate::helpers::case_body("MIX-1", "W01", None);
    body["item_code"] = "11210200MB0001-001".into();
    let res = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(res.status().as_u16(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["field"], "item_code", "a 大连 item on a 沈阳 window: {v}");
    let res = app
        .post_json("/api/v1/cases", &crate::helpers::case_body("MIX-2", "W01", Some("D2001")))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["field"], "staff_number", "a 大连 person on a 沈阳 window: {v}");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM service_case WHERE case_number IN ('FUT-1', 'MIX-1', 'MIX-2')")
            .await
            .as_deref(),
        Some("0")
    );
    // A 大连 case on a 大连 window is fine.
    let mut body = crate::helpers::case_body("DL-OK", "DL01", Some("D2001"));
    body["item_code"] = "11210200MB0001-001".into();
    assert_eq!(app.post_json("/api/v1/cases", &body).await.status().as_u16(), 201);
}

/// Item 2: a paired kiosk posting ratings faster than the policy's rate per
/// minute (6 by default, by the time of rating) has the surplus stored flagged
/// `device_burst`: not counted, no work order, on the center's review list.
async fn a_device_cannot_rate_faster_than_a_queue_of_citizens(app: TestApp) {
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "kb2").await;
    let code = crate::devices::pairing_code(&admin, "W01").await;
    let kiosk = Browser::new(&app.base);
    let res = kiosk
        .http
        .post(app.url("/device/api/pair"))
        .header("content-type", "application/json")
        .body(format!("{{\"code\": \"{code}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let orders = app.count_rows("work_order").await;
    for i in 0..10 {
        let body = serde_json::json!({
            "submission_id": format!("burstKiosk{i:010}"),
            "window_code": "W01",
            "level": "very_dissatisfied",
            "tags": ["attitude"],
        });
        let res = kiosk
            .http
            .post(app.url("/device/api/ratings"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201, "stored, never dropped: {}", res.text().await.unwrap());
    }
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE counted = TRUE")
            .await
            .as_deref(),
        Some("6"),
        "six a minute count"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE repeat_reason = 'device_burst' AND counted = FALSE")
            .await
            .as_deref(),
        Some("4")
    );
    assert_eq!(app.count_rows("work_order").await, orders + 6, "flagged ones open no order");
    // The next minute counts again.
    app.advance(Duration::seconds(61));
    let body = serde_json::json!({"submission_id": "burstKioskLater00001", "window_code": "W01", "level": "satisfied"});
    let res = kiosk
        .http
        .post(app.url("/device/api/ratings"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE counted = TRUE")
            .await
            .as_deref(),
        Some("7")
    );
}

/// Item 11: the server does not hold what it cannot serve — unfinished
/// headers are cut off, a body that does not arrive is 408, connections beyond
/// the limit get 503 at once, and one address may hold only so many event
/// streams (429).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_and_floods_are_answered_not_held() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.serve_limits.header_timeout = std::time::Duration::from_secs(1);
        c.serve_limits.body_timeout = std::time::Duration::from_secs(1);
        c.serve_limits.max_connections = 3;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let read_all = |mut s: tokio::net::TcpStream| async move {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).to_string()
    };

    // Headers that never end: the connection is closed within the timeout.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let answer = read_all(s).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "closed in time");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A body that never arrives: 408.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let answer = read_all(s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // Three connections held open: the fourth is told 503 at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let answer = read_all(s).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(held);
    // Once they are gone (closed by the header timeout at the latest), pages answer again.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.http.get(app.url("/")).send().await.unwrap().status().as_u16(), 200);

    // Event streams: two per address, the third is 429 (a server of its own:
    // the clients' pooled connections would meet the connection limit above).
    let app = TestApp::start_with(Backend::Sqlite, |c| c.max_streams_per_address = 2).await;
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "st11").await;
    let code = crate::devices::pairing_code(&admin, "W01").await;
    let screen = Browser::new(&app.base);
    assert_eq!(screen.post_raw("/device/pair", &[("code", &code), ("for", "screen")]).await.0, 303);
    drop(admin);
    let mut open = Vec::new();
    for _ in 0..2 {
        let res = screen.http.get(app.url("/w/W01/events")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        open.push(res);
    }
    let res = screen.http.get(app.url("/w/W01/events")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
}

/// Item 2: a unit administrator pairs only its windows' evaluators; a kiosk
/// (any window of the hall, or the hall) is the center's to pair; an evaluator
/// rates its own window and nothing else.
async fn only_the_center_pairs_a_hall_wide_kiosk_and_an_evaluator_rates_its_window(app: TestApp) {
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "kp1").await;
    let devices = app.count_rows("device").await;
    assert_eq!(unit.post_page("/admin/devices/W01/pair", &[("kind", "kiosk")]).await.0, 403);
    assert_eq!(app.count_rows("device").await, devices, "nothing stored");
    let (_, page) = unit.get("/admin/devices/W01").await;
    assert!(!page.contains("自助终端配对码"), "the unit is not offered a kiosk code");
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "kp2").await;
    let (_, page) = center.get("/admin/devices/W01").await;
    assert!(page.contains("自助终端配对码"), "{page}");

    // The unit's evaluator on W01, in kiosk mode: W01 only.
    let code = crate::devices::pairing_code(&unit, "W01").await;
    let evaluator = Browser::new(&app.base);
    let post = |b: &Browser, path: &str, body: serde_json::Value| {
        let req = b
            .http
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    assert_eq!(post(&evaluator, "/device/api/pair", serde_json::json!({"code": code})).await.0, 200);
    let setup: serde_json::Value = evaluator
        .http
        .get(app.url("/device/api/kiosk"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(setup["windows"].as_array().map(Vec::len), Some(1), "{setup}");
    for (window, id) in [(Some("W02"), "evalOther0000000001"), (None, "evalHall00000000001")] {
        let (status, body) = post(
            &evaluator,
            "/device/api/ratings",
            serde_json::json!({"submission_id": id, "window_code": window, "level": "very_satisfied"}),
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("window_code")), "{body}");
    }
    let (status, _) = post(
        &evaluator,
        "/device/api/ratings",
        serde_json::json!({"submission_id": "evalOwn000000000001", "window_code": "W01", "level": "very_satisfied"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating").await.as_deref(),
        Some("1"),
        "only its own window's rating is stored"
    );
}

/// Pushes a rating with `key`; (status, body).
async fn push_with(app: &TestApp, key: &str, idem: &str, number: &str) -> (u16, serde_json::Value) {
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(key)
        .header("idempotency-key", idem)
        .json(&serde_json::json!({"case_number": number, "level": "satisfied", "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn list_with(app: &TestApp, key: &str) -> Vec<String> {
    let res = app.http.get(app.url("/api/v1/ratings")).bearer_auth(key).send().await.unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    body["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case_number"].as_str().unwrap().to_string())
        .collect()
}

async fn an_api_key_reads_and_rates_only_its_own_cases_unless_granted_a_scope(app: TestApp) {
    // System A (the test key) reports two cases; one rated at once.
    app.report_case("SHARED-1", "W01", Some("S1001")).await;
    app.report_case("A-ONLY-1", "W01", Some("S1001")).await;
    app.report_case("A-SOCIAL-1", "W03", None).await;
    assert_eq!(push_with(&app, &app.key, "a1", "SHARED-1").await.0, 201);

    // System B, no scope: A's case is unknown to it, rating or reading.
    let none = store::keys::KeyScope::default();
    let (b_id, b) = store::keys::create(&app.db, "second system", none, app.now()).await.unwrap();
    let (status, body) = push_with(&app, &b, "b1", "A-ONLY-1").await;
    assert_eq!((status, body["field"].as_str()), (422, Some("case_number")), "{body}");
    assert_eq!(app.count_rows("rating").await, 1, "nothing stored for B");
    assert!(list_with(&app, &b).await.is_empty(), "B reads none of A's ratings");
    // B may use the same number for its own case (numbers are unique per system).
    let res = app
        .http
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&b)
        .json(&crate::helpers::case_body("SHARED-1", "W02", None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The phone-rating page says which system a case is of, and asks when a
    // number names two.
    let admin = app.signed_in(Role::SystemAdmin, None, "keysadm").await;
    let (status, html) = admin.get("/admin/phone-rating?case=SHARED-1").await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("test system") && html.contains("second system"), "{html}");
    assert!(html.contains(&format!("system={b_id}")));
    let (status, html) = admin.get(&format!("/admin/phone-rating?case=SHARED-1&system={b_id}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("second system") && html.contains("W02") && !html.contains("W01"),
        "{html}"
    );
    let (status, _) = admin
        .post_page(
            "/admin/phone-rating",
            &[
                ("case_number", "SHARED-1"),
                ("system", &b_id.to_string()),
                ("level", "very_satisfied"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS v FROM rating r JOIN service_case c ON c.id = r.case_id \
             WHERE c.api_client_id = {b_id} AND r.channel = 'phone_invite'"
        ))
        .await
        .as_deref(),
        Some("1"),
        "the phone rating went to B's case, not A's"
    );

    // C, granted 沈阳 (210100): rates and reads A's cases there; an ambiguous
    // number is refused rather than guessed.
    let scope = store::keys::resolve_scope(&app.db, Some("210100")).await.unwrap();
    let (_, c) = store::keys::create(&app.db, "city platform", scope, app.now()).await.unwrap();
    assert_eq!(push_with(&app, &c, "c1", "A-ONLY-1").await.0, 201);
    let (status, body) = push_with(&app, &c, "c2", "SHARED-1").await;
    assert_eq!(status, 409, "{body}");
    let seen = list_with(&app, &c).await;
    assert!(
        seen.contains(&"A-ONLY-1".to_string()) && seen.contains(&"SHARED-1".to_string()),
        "{seen:?}"
    );
    // Work orders read the same way: A's bad rating's order is C's to read, not B's.
    app.report_case("A-BAD-1", "W01", Some("S1001")).await;
    let res = app
        .http
        .post(app.url("/api/v1/ratings"))
        .bearer_auth(&app.key)
        .header("idempotency-key", "a-bad")
        .json(&serde_json::json!({"case_number": "A-BAD-1", "level": "very_dissatisfied", "tags": ["efficiency"], "target": "item", "channel": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let orders = |key: String| {
        let app = &app;
        async move {
            let res = app.http.get(app.url("/api/v1/work-orders")).bearer_auth(key).send().await.unwrap();
            res.json::<serde_json::Value>().await.unwrap()["work_orders"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(orders(app.key.clone()).await, 1);
    assert_eq!(orders(c.clone()).await, 1, "granted 沈阳");
    assert_eq!(orders(b.clone()).await, 0, "not B's");
    // D, granted the social-security unit: its window's case, not the market's.
    let scope = store::keys::resolve_scope(&app.db, Some("U-SOCIAL")).await.unwrap();
    let (_, d) = store::keys::create(&app.db, "social system", scope, app.now()).await.unwrap();
    assert_eq!(push_with(&app, &d, "d1", "A-SOCIAL-1").await.0, 201);
    let (status, body) = push_with(&app, &d, "d2", "A-ONLY-1").await;
    assert_eq!((status, body["field"].as_str()), (422, Some("case_number")));
    assert_eq!(list_with(&app, &d).await, ["A-SOCIAL-1"]);
    assert!(store::keys::resolve_scope(&app.db, Some("NOPE")).await.is_err());

    // /admin/clients names each key's scope; a scope is set when the key is made.
    let (_, html) = admin.get("/admin/clients").await;
    assert!(
        html.contains("210100") && html.contains("U-SOCIAL") && html.contains("仅本系统报送"),
        "{html}"
    );
    let (status, html) = admin
        .post_page("/admin/clients", &[("name", "bad scope"), ("scope", "999999")])
        .await;
    assert_eq!(status, 422, "{html}");
    let (status, html) = admin
        .post_page("/admin/clients", &[("name", "county platform"), ("scope", "210100")])
        .await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("hc_"), "the key is shown once");
}

/// Issue 13 item 12: a 30,000-row staff import (≈ 870 KB) must not make a
/// citizen's rating wait for it, let alone fail.
async fn citizens_rate_while_thirty_thousand_staff_are_imported(app: TestApp) {
    const ROWS: usize = 30_000;
    let mut urls = Vec::new();
    for i in 0..300 {
        let body = app.report_case(&format!("IMP-{i:03}"), "W01", Some("S1001")).await;
        urls.push(body["rating_url"].as_str().unwrap().to_string());
    }
    let mut csv = String::from("工号,姓名,所属部门\r\n");
    for i in 0..ROWS {
        csv.push_str(&format!("T{i:06},导入测试人员{i:05},U-MARKET\r\n"));
    }
    let staff_before = app.count_rows("staff").await;
    let admin = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "imp1").await;
    let import_started = std::time::Instant::now();
    let import = tokio::spawn(async move { admin.upload("staff", csv.into_bytes()).await });

    // Citizens go on rating, one every 25 ms, for as long as the import runs.
    let mut took = Vec::new();
    let mut during = 0;
    for url in &urls {
        if import.is_finished() {
            break;
        }
        let started = std::time::Instant::now();
        let (status, html) = app.post_form(url, &[("level", "very_dissatisfied"), ("tags", "efficiency")]).await;
        took.push(started.elapsed());
        assert_eq!(status, 201, "a rating during the import: {html}");
        during += 1;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (status, page) = import.await.unwrap();
    let import_took = import_started.elapsed();
    assert_eq!(status, 200, "{}", &page[..page.len().min(2000)]);
    assert!(page.contains(&format!("新增 {ROWS} 条")), "{}", &page[..page.len().min(2000)]);
    assert_eq!(app.count_rows("staff").await, staff_before + ROWS as i64);
    assert!(during >= 10, "the import ran long enough to rate during it ({during} ratings)");
    assert_eq!(app.count_rows("rating").await, during as i64, "every rating stored");
    assert_eq!(app.count_rows("work_order").await, during as i64, "and each bad one followed up");
    took.sort();
    let p99 = took[(took.len() * 99).div_ceil(100) - 1];
    eprintln!(
        "ratings during a {ROWS}-row import ({import_took:?}): {during}, median {:?}, p99 {p99:?}, slowest {:?}",
        took[took.len() / 2],
        &took[took.len().saturating_sub(5)..]
    );
    assert!(p99 <= std::time::Duration::from_millis(200), "p99 {p99:?} ≤ 200 ms");
}

async fn check_code(b: &Browser, code: String) -> (u16, String) {
    b.post_raw(
        "/q/1/w/W01/verify",
        &[("action", "check"), ("phone", "13800131234"), ("code", &code)],
    )
    .await
}

/// The code in the newest real-name SMS in the outbox.
async fn newest_code(app: &TestApp) -> String {
    let body = app
        .scalar("SELECT body AS v FROM sms_message WHERE kind = 'real_name_code' ORDER BY id DESC LIMIT 1")
        .await
        .expect("a code was queued");
    body.chars().skip_while(|c| !c.is_ascii_digit()).take(6).collect()
}

/// Issue 13 item 6 (004 第五条 实名制): a region whose policy requires real
/// names counts a static-code rating only from a phone proven by SMS code.
async fn where_real_names_are_required_a_static_rating_needs_a_phone_proven_by_sms_code(app: TestApp) {
    app.require_real_names("210100").await;
    let places = |filter: &str| format!("SELECT CAST(COUNT(*) AS TEXT) AS v FROM place_rating WHERE {filter}");
    let codes = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM sms_message WHERE kind = 'real_name_code'";

    // The code asks for a phone first and shows no rating form.
    let b = Browser::new(&app.base);
    let (status, html) = b.get("/q/1/w/W01").await;
    assert_eq!(status, 200);
    assert!(html.contains("实名评价") && html.contains("name=\"phone\""), "{html}");
    assert!(!html.contains("name=\"submission\""), "no rating form before the phone is proven");
    // A rating posted anyway is refused and stores nothing.
    let rating = [("submission", "realName000000000001"), ("level", "satisfied")];
    let (status, html) = b.post_raw("/q/1/w/W01", &rating).await;
    assert_eq!(status, 422);
    assert!(html.contains("短信验证码验证"), "{html}");
    assert_eq!(app.scalar(&places("1 = 1")).await.as_deref(), Some("0"));

    // A bad number sends nothing; a good one gets one code a minute.
    let verify = "/q/1/w/W01/verify";
    let (status, _) = b.post_raw(verify, &[("action", "send"), ("phone", "12345")]).await;
    assert_eq!(status, 422);
    assert_eq!(app.scalar(codes).await.as_deref(), Some("0"));
    let send = [("action", "send"), ("phone", "13800131234")];
    let (status, html) = b.post_raw(verify, &send).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("验证码已发送至 138****1234") && html.contains("name=\"code\""),
        "{html}"
    );
    let (status, html) = b.post_raw(verify, &send).await;
    assert_eq!(status, 429, "one code per phone per minute");
    assert!(html.contains("秒后再重新获取"), "{html}");
    assert_eq!(app.scalar(codes).await.as_deref(), Some("1"));

    // Five wrong tries void the code; even the right one then fails.
    let right = newest_code(&app).await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        let (status, html) = b
            .post_raw(verify, &[("action", "check"), ("phone", "13800131234"), ("code", wrong)])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains(&format!("还可尝试 {left} 次")), "{html}");
    }
    let (status, html) = check_code(&b, wrong.to_string()).await;
    assert!(status == 422 && html.contains("验证码已失效"), "{html}");
    let (status, _) = check_code(&b, right.clone()).await;
    assert_eq!(status, 422, "a voided code stays void");

    // A code older than 10 minutes is void too.
    app.advance(Duration::seconds(61));
    assert_eq!(b.post_raw(verify, &send).await.0, 200);
    app.advance(Duration::minutes(11));
    let (status, _) = check_code(&b, newest_code(&app).await).await;
    assert_eq!(status, 422, "expired");

    // A fresh code, entered right: the rating form, and the rating counts
    // with the phone it was proven from (kept sealed; the order is real-name).
    assert_eq!(b.post_raw(verify, &send).await.0, 200);
    let (status, to) = check_code(&b, newest_code(&app).await).await;
    assert_eq!((status, to.as_str()), (303, "/q/1/w/W01?lang=zh"));
    let (status, html) = b.get("/q/1/w/W01").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("已验证手机号") && html.contains("138****1234") && html.contains("name=\"submission\""),
        "{html}"
    );
    assert!(!html.contains("13800131234"), "the full number is never shown");
    let bad = [
        ("submission", "realName000000000002"),
        ("level", "very_dissatisfied"),
        ("tags", "efficiency"),
    ];
    let (status, html) = b.post_raw("/q/1/w/W01", &bad).await;
    assert_eq!(status, 201, "{html}");
    assert_eq!(
        app.scalar(&places("counted AND phone_hash IS NOT NULL AND phone_sealed NOT LIKE '%1380013%'"))
            .await
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM work_order WHERE real_name AND place_rating_id IS NOT NULL")
            .await
            .as_deref(),
        Some("1"),
        "its work order is a real-name one (a revisit is required)"
    );

    // One proof, one rating: the next one asks again.
    let again = [("submission", "realName000000000003"), ("level", "satisfied")];
    assert_eq!(b.post_raw("/q/1/w/W01", &again).await.0, 422);
    let (_, html) = b.get("/q/1/w/W01").await;
    assert!(html.contains("name=\"phone\"") && !html.contains("name=\"submission\""));
    assert_eq!(app.scalar(&places("1 = 1")).await.as_deref(), Some("1"));
    // Regions without the rule are as before: 大连's hall rates at once.
    let (status, html) = Browser::new(&app.base).get("/q/1/h/H-DL-01").await;
    assert!(status == 200 && html.contains("name=\"submission\""), "{html}");
}
