//! Signed-in people: sign-in, sessions, CSRF, lockout, roles scoped by the
//! organisation tree, the audit trail, CSV import, the staff console, and
//! applicant phones sealed at rest. Each scope boundary has a test that fails
//! if its check is removed.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use chrono::Duration;
use domain::Role;
use sea_orm::ConnectionTrait;

use crate::helpers::{Browser, TestApp, NEW_PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    sign_in_forces_a_new_password_then_opens_the_role_home,
    wrong_passwords_slow_the_next_tries_instead_of_locking,
    an_idle_session_must_sign_in_again_and_sign_out_ends_it,
    a_form_without_its_csrf_token_changes_nothing,
    a_unit_administrator_reaches_only_their_units_windows_staff_and_items,
    a_center_administrator_reaches_only_their_region,
    window_staff_see_their_console_but_no_administration,
    the_system_administrator_creates_an_api_key_shown_once_and_revokes_it,
    every_change_and_sign_in_is_in_the_append_only_audit_trail,
    deleting_something_with_history_deactivates_it,
    a_gbk_csv_with_one_bad_row_imports_nothing_and_a_good_one_imports_all,
    the_console_shows_whether_a_case_was_rated_but_never_how,
    applicant_phones_are_sealed_at_rest_and_masked_on_the_api,
    administrators_manage_accounts_only_below_them_in_their_scope,
    staff_photos_are_uploaded_inside_the_scope_and_served,
);

async fn sign_in_forces_a_new_password_then_opens_the_role_home(app: TestApp) {
    let anon = Browser::new(&app.base);
    assert_eq!(anon.get("/admin").await, (303, "/login".into()), "signed out: to the sign-in page");
    let (status, page) = anon.get("/login").await;
    assert_eq!(status, 200);
    assert!(page.contains("工作人员登录") && page.contains("name=\"job_number\""));

    let (_, first) = store::accounts::create(&app.db, Role::CenterAdmin, Some("210100"), "c1", app.now())
        .await
        .unwrap();
    let b = Browser::new(&app.base);
    let (status, page) = b.sign_in("c1", "Wrong-password-1").await;
    assert_eq!(status, 401);
    assert!(page.contains("工号或密码不正确"), "{page}");
    let (status, page) = b.sign_in("nobody", &first).await;
    assert_eq!(status, 401, "an unknown job number reads the same");
    assert!(page.contains("工号或密码不正确"));

    assert_eq!(b.sign_in("c1", &first).await, (303, "/account/password".into()));
    assert_eq!(
        b.get("/admin").await,
        (303, "/account/password".into()),
        "nothing else until the password is changed"
    );
    let (status, page) = b
        .post_page("/account/password", &[("current", &first), ("new", "short"), ("repeat", "short")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("密码至少 10 个字符"), "{page}");
    let (status, page) = b
        .post_page(
            "/account/password",
            &[("current", "Not-the-1st"), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("当前密码不正确"));
    assert_eq!(
        b.post_page(
            "/account/password",
            &[("current", &first), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)]
        )
        .await,
        (303, "/admin".into())
    );
    let (status, page) = b.get("/admin").await;
    assert_eq!(status, 200);
    assert!(page.contains("中心管理员") && page.contains("210100"), "role and scope are shown");

    // The old password no longer works; the new one does, without a forced change.
    let again = Browser::new(&app.base);
    assert_eq!(again.sign_in("c1", &first).await.0, 401);
    assert_eq!(again.sign_in("c1", NEW_PASSWORD).await, (303, "/admin".into()));
    let cookie_flags = reqwest::Client::new()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        cookie_flags.contains("HttpOnly") && cookie_flags.contains("SameSite=Lax"),
        "{cookie_flags}"
    );
}

async fn wrong_passwords_slow_the_next_tries_instead_of_locking(app: TestApp) {
    let (_, first) = store::accounts::create(&app.db, Role::UnitAdmin, Some("U-MARKET"), "u1", app.now())
        .await
        .unwrap();
    let b = Browser::new(&app.base);
    for _ in 0..4 {
        assert_eq!(b.sign_in("u1", "Wrong-password-1").await.0, 401);
    }
    let (status, page) = b.sign_in("u1", "Wrong-password-1").await;
    assert_eq!(status, 429);
    assert!(page.contains("尝试次数过多，请 2 秒后再试"), "the fifth try waits: {page}");
    let (status, _) = b.sign_in("u1", &first).await;
    assert_eq!(status, 429, "from the same address even the right password waits");
    // The administrator sees it, and sees no lock.
    let admin = app.signed_in(Role::SystemAdmin, None, "root-u1").await;
    let (_, page) = admin.get("/admin/accounts/u1").await;
    assert!(page.contains("登录受限至"), "{page}");
    app.advance(Duration::seconds(3));
    assert_eq!(b.sign_in("u1", &first).await, (303, "/account/password".into()));
    let throttled = app
        .scalar("SELECT action AS v FROM audit_log WHERE actor = 'u1' AND action = 'sign_in_throttled'")
        .await;
    assert_eq!(throttled.as_deref(), Some("sign_in_throttled"), "the refusal is audited");
}

async fn an_idle_session_must_sign_in_again_and_sign_out_ends_it(app: TestApp) {
    let b = app.signed_in(Role::SystemAdmin, None, "root1").await;
    assert_eq!(b.get("/admin").await.0, 200);
    app.advance(Duration::minutes(29));
    assert_eq!(b.get("/admin").await.0, 200, "activity keeps the session");
    app.advance(Duration::minutes(31));
    assert_eq!(b.get("/admin").await, (303, "/login?expired=1".into()));
    let (_, page) = b.get("/login?expired=1").await;
    assert!(page.contains("已自动退出"));

    let b = Browser::new(&app.base);
    assert_eq!(b.sign_in("root1", NEW_PASSWORD).await, (303, "/admin".into()));
    assert_eq!(b.post_page("/logout", &[]).await, (303, "/login".into()));
    assert_eq!(b.get("/admin").await, (303, "/login".into()));
}

async fn a_form_without_its_csrf_token_changes_nothing(app: TestApp) {
    let b = app.signed_in(Role::SystemAdmin, None, "root2").await;
    let before = app.count_rows("hall").await;
    let fields = [("code", "H-NEW"), ("name", "新大厅"), ("region", "210100")];
    let (status, page) = b.post_raw("/admin/halls", &fields).await;
    assert_eq!(status, 403);
    assert!(page.contains("表单已失效"));
    let (status, _) = b
        .post_raw(
            "/admin/halls",
            &[("_csrf", "forged"), ("code", "H-NEW"), ("name", "x"), ("region", "210100")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.count_rows("hall").await, before, "nothing stored");
    assert_eq!(
        b.post_page("/admin/halls", &fields).await,
        (303, "/admin/halls/H-NEW?notice=saved".into())
    );
    assert_eq!(app.count_rows("hall").await, before + 1);
    // Sign-in itself needs the token from the sign-in page.
    let anon = Browser::new(&app.base);
    assert_eq!(
        anon.post_raw("/login", &[("job_number", "root2"), ("password", NEW_PASSWORD)])
            .await
            .0,
        403
    );
}

async fn a_unit_administrator_reaches_only_their_units_windows_staff_and_items(app: TestApp) {
    let b = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "um1").await;
    // Lists hold only the unit's objects.
    let (status, windows) = b.get("/admin/windows").await;
    assert_eq!(status, 200);
    assert!(windows.contains("W01") && windows.contains("W02"), "{windows}");
    assert!(
        !windows.contains("W03") && !windows.contains("DL01"),
        "other units' windows are not listed"
    );
    let (_, staff) = b.get("/admin/staff?q=S100").await;
    assert!(staff.contains("S1001") && !staff.contains("S1003"));
    let (_, items) = b.get("/admin/items").await;
    assert!(items.contains("11210100MB0001-001") && !items.contains("11210100MB0002-001"));
    // Own objects open; others' answer 403 by URL guessing.
    assert_eq!(b.get("/admin/windows/W01").await.0, 200);
    assert_eq!(b.get("/admin/windows/W03").await.0, 403);
    assert_eq!(b.get("/admin/staff/S1003").await.0, 403);
    assert_eq!(b.get("/admin/items/11210100MB0002-001").await.0, 403);
    for kind in ["regions", "units", "halls", "clients"] {
        assert_eq!(b.get(&format!("/admin/{kind}")).await.0, 403, "{kind} are not a unit's business");
    }
    assert_eq!(b.get("/admin/audit").await.0, 403);
    // Writes: another unit's window cannot be changed, and nothing can be moved out.
    let (status, _) = b
        .post_page(
            "/admin/windows/W03",
            &[("name", "改名"), ("hall", "H-SY-01"), ("unit", "U-SOCIAL"), ("active", "on")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.scalar("SELECT name AS v FROM service_window WHERE code = 'W03'")
            .await
            .as_deref(),
        Some("3号窗口 社保医保")
    );
    let (status, _) = b
        .post_page(
            "/admin/windows/W01",
            &[("name", "1号窗口"), ("hall", "H-SY-01"), ("unit", "U-SOCIAL"), ("active", "on")],
        )
        .await;
    assert_eq!(status, 403, "moving a window to another unit is outside the scope");
    let (status, _) = b
        .post_page(
            "/admin/windows",
            &[("code", "W99"), ("name", "新窗口"), ("hall", "H-SY-01"), ("unit", "U-SOCIAL")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(b.post_page("/admin/windows/W03/delete", &[]).await.0, 403);
    // Nor can another unit's window be pulled into this unit.
    let (status, _) = b
        .post_page(
            "/admin/windows/W03",
            &[("name", "3号窗口"), ("hall", "H-SY-01"), ("unit", "U-MARKET"), ("active", "on")],
        )
        .await;
    assert_eq!(status, 403, "taking over another unit's window");
    assert_eq!(
        app.scalar("SELECT u.code AS v FROM service_window w JOIN unit u ON u.id = w.unit_id WHERE w.code = 'W03'")
            .await
            .as_deref(),
        Some("U-SOCIAL")
    );
    assert_eq!(app.scalar("SELECT code AS v FROM service_window WHERE code = 'W99'").await, None);
    // Inside the scope, it works.
    let (status, to) = b
        .post_page(
            "/admin/windows/W01",
            &[
                ("name", "1号窗口 企业开办"),
                ("hall", "H-SY-01"),
                ("unit", "U-MARKET"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/windows/W01?notice=saved"));
    let (status, to) = b
        .post_page("/admin/staff", &[("code", "S1099"), ("name", "新同事"), ("unit", "U-MARKET")])
        .await;
    assert_eq!((status, to.as_str()), (303, "/admin/staff/S1099?notice=saved"));
    // The unit's form offers only its own unit.
    let (_, form) = b.get("/admin/windows/new").await;
    assert!(form.contains("U-MARKET") && !form.contains("U-SOCIAL"));
}

async fn a_center_administrator_reaches_only_their_region(app: TestApp) {
    let b = app.signed_in(Role::CenterAdmin, Some("210100"), "cs1").await;
    let (_, windows) = b.get("/admin/windows").await;
    assert!(windows.contains("W01") && windows.contains("W06") && !windows.contains("DL01"));
    let (_, units) = b.get("/admin/units").await;
    assert!(units.contains("U-MARKET") && !units.contains("U-DL-MARKET"));
    let (_, halls) = b.get("/admin/halls").await;
    assert!(halls.contains("H-SY-01") && !halls.contains("H-DL-01"));
    for path in [
        "/admin/windows/DL01",
        "/admin/units/U-DL-MARKET",
        "/admin/halls/H-DL-01",
        "/admin/staff/D2001",
        "/admin/items/11210200MB0001-001",
        "/admin/regions/210200",
        "/admin/regions/210000",
        "/admin/clients",
    ] {
        assert_eq!(b.get(path).await.0, 403, "{path}");
    }
    assert_eq!(b.get("/admin/units/U-SOCIAL").await.0, 200);
    // Moving a window into another city's hall is refused; a district under the city is allowed.
    let (status, _) = b
        .post_page(
            "/admin/windows/W01",
            &[("name", "1号窗口"), ("hall", "H-DL-01"), ("unit", "U-MARKET"), ("active", "on")],
        )
        .await;
    assert_eq!(status, 422, "a 沈阳 unit's window cannot stand in a 大连 hall (issue 13 item 1)");
    let (status, _) = b
        .post_page(
            "/admin/windows/DL01",
            &[("name", "大连1号窗口"), ("hall", "H-SY-01"), ("unit", "U-MARKET"), ("active", "on")],
        )
        .await;
    assert_eq!(status, 403, "pulling another city's window into this one");
    let (status, _) = b
        .post_page("/admin/regions", &[("code", "210102"), ("name", "和平区"), ("parent", "210100")])
        .await;
    assert_eq!(status, 303);
    let (status, _) = b
        .post_page("/admin/regions", &[("code", "210202"), ("name", "中山区"), ("parent", "210200")])
        .await;
    assert_eq!(status, 403, "not under Dalian");
    assert_eq!(app.scalar("SELECT code AS v FROM region WHERE code = '210202'").await, None);
    // Invalid input is explained on the form and stores nothing.
    let (status, page) = b
        .post_page("/admin/regions", &[("code", "21x"), ("name", ""), ("parent", "210100")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("没有保存任何内容") || page.contains("无效"), "{page}");
}

async fn window_staff_see_their_console_but_no_administration(app: TestApp) {
    let b = app.signed_in(Role::WindowStaff, Some("W01"), "S1001").await;
    let (status, page) = b.get("/staff").await;
    assert_eq!(status, 200);
    assert!(page.contains("1号窗口") && page.contains("/w/W01/screen"), "{page}");
    assert_eq!(b.get("/admin").await.0, 403);
    assert_eq!(b.get("/admin/windows/W01").await.0, 403);
    assert_eq!(b.get("/admin/windows").await.0, 403);
    let admin = app.signed_in(Role::SystemAdmin, None, "root3").await;
    assert_eq!(admin.get("/staff").await.0, 403, "the console is for window staff");
}

async fn the_system_administrator_creates_an_api_key_shown_once_and_revokes_it(app: TestApp) {
    let b = app.signed_in(Role::SystemAdmin, None, "root4").await;
    for kind in ["regions", "units", "halls", "windows", "staff", "items", "clients"] {
        assert_eq!(b.get(&format!("/admin/{kind}")).await.0, 200, "{kind}");
    }
    assert_eq!(b.get("/admin/windows/DL01").await.0, 200);
    let (status, page) = b.post_page("/admin/clients", &[("name", "不动产登记系统")]).await;
    assert_eq!(status, 201);
    let at = page.find("id=\"api-key\"").expect("key shown");
    let start = at + page[at..].find('>').unwrap() + 1;
    let key = page[start..].split('<').next().unwrap().to_string();
    assert!(key.starts_with("hc_"));
    let (status, _) = app
        .http
        .get(app.url("/api/v1/items"))
        .bearer_auth(&key)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200, "the shown key works");
    let (_, list) = b.get("/admin/clients").await;
    assert!(
        list.contains("不动产登记系统") && !list.contains(&key),
        "the key is never shown again"
    );
    let id = store::keys::authenticate(&app.db, &key).await.unwrap().id;
    assert_eq!(b.post_page(&format!("/admin/clients/{id}/delete"), &[]).await.0, 303);
    let status = app
        .http
        .get(app.url("/api/v1/items"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401, "a revoked key stops working");
}

async fn every_change_and_sign_in_is_in_the_append_only_audit_trail(app: TestApp) {
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ua1").await;
    unit.post_page(
        "/admin/windows/W02",
        &[
            ("name", "2号窗口 新名称"),
            ("hall", "H-SY-01"),
            ("unit", "U-MARKET"),
            ("active", "on"),
        ],
    )
    .await;
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "ca1").await;
    let (status, page) = center.get("/admin/audit?person=ua1&object=W02").await;
    assert_eq!(status, 200);
    assert!(page.contains("update") && page.contains("windows:W02"), "{page}");
    assert!(
        page.contains("2号窗口 综合受理") && page.contains("2号窗口 新名称"),
        "before and after"
    );
    assert!(page.contains("127.0.0.1"), "the address is recorded");
    let (_, signins) = center.get("/admin/audit?person=ua1&object=accounts").await;
    assert!(signins.contains("sign_in") && signins.contains("password_change"), "{signins}");
    // A Dalian change is not in Shenyang's view of the trail.
    let root = app.signed_in(Role::SystemAdmin, None, "root5").await;
    root.post_page(
        "/admin/windows/DL01",
        &[
            ("name", "大连1号窗口 改"),
            ("hall", "H-DL-01"),
            ("unit", "U-DL-MARKET"),
            ("active", "on"),
        ],
    )
    .await;
    let (_, all) = root.get("/admin/audit?object=DL01").await;
    assert!(all.contains("windows:DL01"));
    let (_, shenyang) = center.get("/admin/audit?object=DL01").await;
    assert!(!shenyang.contains("windows:DL01"));
    // Unit administrators have no audit search; the database refuses edits.
    assert_eq!(unit.get("/admin/audit").await.0, 403);
    let n = app.count_rows("audit_log").await;
    assert!(app.db.execute_unprepared("UPDATE audit_log SET actor = 'x'").await.is_err());
    assert!(app.db.execute_unprepared("DELETE FROM audit_log").await.is_err());
    assert_eq!(app.count_rows("audit_log").await, n);
}

async fn deleting_something_with_history_deactivates_it(app: TestApp) {
    app.report_case("DEL-1", "W02", Some("S1002")).await;
    let b = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ud1").await;
    assert_eq!(
        b.post_page("/admin/windows/W02/delete", &[]).await,
        (303, "/admin/windows/W02?notice=deactivated".into())
    );
    assert_eq!(
        app.scalar("SELECT code AS v FROM service_window WHERE code = 'W02'")
            .await
            .as_deref(),
        Some("W02"),
        "kept"
    );
    let res = app
        .post_json("/api/v1/cases", &crate::helpers::case_body("DEL-2", "W02", None))
        .await;
    assert_eq!(res.status().as_u16(), 422, "an inactive window takes no new cases");
    b.post_page("/admin/staff", &[("code", "S1098"), ("name", "临时"), ("unit", "U-MARKET")])
        .await;
    assert_eq!(
        b.post_page("/admin/staff/S1098/delete", &[]).await,
        (303, "/admin/staff?notice=deleted".into())
    );
    assert_eq!(
        app.scalar("SELECT number AS v FROM staff WHERE number = 'S1098'").await,
        None,
        "no history: gone"
    );
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

async fn a_gbk_csv_with_one_bad_row_imports_nothing_and_a_good_one_imports_all(app: TestApp) {
    let b = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ui1").await;
    let (status, template) = b.get("/admin/import/staff/template.csv").await;
    assert_eq!(status, 200);
    assert!(template.starts_with('\u{feff}') && template.contains("工号,姓名,所属部门"));
    let staff_before = app.count_rows("staff").await;
    let bad = gbk("工号,姓名,所属部门\r\nS2001,孙悦,U-MARKET\r\nS2002,,U-MARKET\r\nS2003,吴昊,U-MARKET\r\n");
    let (status, page) = b.upload("staff", bad).await;
    assert_eq!(status, 422);
    assert!(page.contains("没有导入任何记录"), "{page}");
    assert!(page.contains("<td>3</td><td>姓名</td>"), "line 3, column 姓名: {page}");
    assert_eq!(app.count_rows("staff").await, staff_before, "nothing imported");
    let outside = gbk("工号,姓名,所属部门\r\nS2001,孙悦,U-SOCIAL\r\n");
    let (status, page) = b.upload("staff", outside).await;
    assert_eq!(status, 422, "another unit's staff are outside the scope");
    assert!(page.contains("<td>2</td>"));
    let good = gbk("工号,姓名,所属部门\r\nS2001,孙悦,U-MARKET\r\nS2002,钱多多,U-MARKET\r\nS1001,王丽丽,U-MARKET\r\n");
    let (status, page) = b.upload("staff", good).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("新增 2 条，更新 1 条"), "{page}");
    assert_eq!(app.count_rows("staff").await, staff_before + 2);
    assert_eq!(
        app.scalar("SELECT name AS v FROM staff WHERE number = 'S2002'").await.as_deref(),
        Some("钱多多")
    );
    let audited = app
        .scalar("SELECT object_code AS v FROM audit_log WHERE object_kind = 'staff' AND object_code = 'S2002' AND action = 'create'")
        .await;
    assert_eq!(audited.as_deref(), Some("S2002"));
    // UTF-8 with a BOM, as the template downloads, imports too.
    let (status, _) = b
        .upload(
            "items",
            "\u{feff}事项编码,事项名称,实施部门\r\n11210100MB0001-009,企业注销登记,U-MARKET\r\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.scalar("SELECT name AS v FROM service_item WHERE code = '11210100MB0001-009'")
            .await
            .as_deref(),
        Some("企业注销登记")
    );
}

async fn the_console_shows_whether_a_case_was_rated_but_never_how(app: TestApp) {
    app.report_case("CON-1", "W01", Some("S1001")).await;
    let rated = app.report_case("CON-2", "W01", Some("S1001")).await;
    let url = rated["rating_url"].as_str().unwrap().to_string();
    let (status, _) = app
        .post_form(
            &url,
            &[("level", "very_dissatisfied"), ("tags", "attitude"), ("comment", "窗口秘密意见XYZ")],
        )
        .await;
    assert_eq!(status, 201);
    // The console's day follows Beijing time; the cases completed 09:30 on 2026-11-27.
    let today = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.advance(today - app.now());
    let b = app.signed_in(Role::WindowStaff, Some("W01"), "S1001").await;
    let (status, page) = b.get("/staff").await;
    assert_eq!(status, 200);
    assert!(page.contains("CON-1") && page.contains("CON-2"), "{page}");
    assert!(page.contains("已评价 1 件"), "{page}");
    for secret in ["窗口秘密意见XYZ", "非常不满意", "very_dissatisfied", "态度"] {
        assert!(!page.contains(secret), "the console must not show `{secret}`");
    }
}

async fn applicant_phones_are_sealed_at_rest_and_masked_on_the_api(app: TestApp) {
    app.report_case("PH-1", "W01", None).await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT applicant_phone, phone_sealed, phone_hash, request_fingerprint FROM service_case WHERE case_number = 'PH-1'"
                .to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    let plain: Option<String> = row.try_get("", "applicant_phone").unwrap();
    let sealed: Option<String> = row.try_get("", "phone_sealed").unwrap();
    let fp: String = row.try_get("", "request_fingerprint").unwrap();
    assert_eq!(plain, None);
    let sealed = sealed.expect("sealed");
    assert!(
        !sealed.contains("13800131234") && !fp.contains("13800131234"),
        "no plaintext at rest"
    );
    let key = store::crypto::DataKey::from_hex(crate::helpers::TEST_DATA_KEY).unwrap();
    assert_eq!(key.open(&sealed).as_deref(), Some("13800131234"));
    let hash: Option<String> = row.try_get("", "phone_hash").unwrap();
    assert_eq!(hash, Some(key.hash("13800131234")));
    // Resending the identical case is still recognised as identical.
    let res = app
        .post_json("/api/v1/cases", &crate::helpers::case_body("PH-1", "W01", None))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // Older plaintext rows are sealed at start-up.
    app.db
        .execute_unprepared("UPDATE service_case SET applicant_phone = '13900001111', phone_sealed = NULL WHERE case_number = 'PH-1'")
        .await
        .unwrap();
    assert_eq!(store::crypto::seal_legacy(&app.db, &key).await.unwrap(), 1);
    let sealed = app
        .scalar("SELECT phone_sealed AS v FROM service_case WHERE case_number = 'PH-1'")
        .await
        .unwrap();
    assert_eq!(key.open(&sealed).as_deref(), Some("13900001111"));
    assert_eq!(
        app.scalar("SELECT applicant_phone AS v FROM service_case WHERE case_number = 'PH-1'")
            .await,
        None
    );
}

fn secret_in(page: &str) -> String {
    let at = page.find("id=\"secret\"").expect("secret shown");
    let start = at + page[at..].find('>').unwrap() + 1;
    page[start..].split('<').next().unwrap().to_string()
}

async fn administrators_manage_accounts_only_below_them_in_their_scope(app: TestApp) {
    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "cm1").await;
    let (_, form) = center.get("/admin/accounts/new").await;
    assert!(
        form.contains("value=\"unit_admin\"") && !form.contains("value=\"system_admin\""),
        "only roles below are offered"
    );
    // Creates a unit administrator in Shenyang; the first password is shown once and works.
    let (status, page) = center
        .post_page(
            "/admin/accounts",
            &[("job_number", "soc-admin"), ("role", "unit_admin"), ("scope", "U-SOCIAL")],
        )
        .await;
    assert_eq!(status, 201, "{page}");
    let first = secret_in(&page);
    assert_eq!(
        Browser::new(&app.base).sign_in("soc-admin", &first).await,
        (303, "/account/password".into())
    );
    // Outside the region, above the role, or the center's own level: refused, nothing stored.
    for (role, scope) in [
        ("unit_admin", "U-DL-MARKET"),
        ("system_admin", ""),
        ("center_admin", "210100"),
        ("window_staff", "DL01"),
    ] {
        let (status, _) = center
            .post_page("/admin/accounts", &[("job_number", "x-denied"), ("role", role), ("scope", scope)])
            .await;
        assert_eq!(status, 403, "{role} {scope}");
    }
    assert_eq!(
        app.scalar("SELECT job_number AS v FROM account WHERE job_number = 'x-denied'")
            .await,
        None
    );
    let (status, page) = center
        .post_page(
            "/admin/accounts",
            &[("job_number", "x-bad"), ("role", "unit_admin"), ("scope", "U-NOPE")],
        )
        .await;
    assert_eq!(status, 422, "an unknown scope code is explained: {page}");
    // The list shows the accounts of the scope, not Dalian's nor the system administrator's.
    store::accounts::create(&app.db, Role::UnitAdmin, Some("U-DL-MARKET"), "dl-admin", app.now())
        .await
        .unwrap();
    store::accounts::create(&app.db, Role::SystemAdmin, None, "root-x", app.now())
        .await
        .unwrap();
    let (_, list) = center.get("/admin/accounts").await;
    assert!(
        list.contains("soc-admin") && !list.contains("dl-admin") && !list.contains("root-x"),
        "{list}"
    );
    assert_eq!(center.get("/admin/accounts/dl-admin").await.0, 403);
    assert_eq!(center.post_page("/admin/accounts/dl-admin/reset", &[]).await.0, 403);
    assert_eq!(
        center.post_page("/admin/accounts/cm1/deactivate", &[]).await.0,
        403,
        "not one's own account"
    );

    // A slowed account is freed by an unlock or a password reset, which forces a change again.
    let b = Browser::new(&app.base);
    for _ in 0..5 {
        b.sign_in("soc-admin", "Wrong-password-1").await;
    }
    assert!(b.sign_in("soc-admin", &first).await.1.contains("尝试次数过多"));
    let (_, page) = center.get("/admin/accounts/soc-admin").await;
    assert!(page.contains("登录受限至"), "{page}");
    assert_eq!(
        center.post_page("/admin/accounts/soc-admin/unlock", &[]).await,
        (303, "/admin/accounts/soc-admin?notice=unlock".into())
    );
    assert!(!center.get("/admin/accounts/soc-admin").await.1.contains("登录受限至"));
    let (status, page) = center.post_page("/admin/accounts/soc-admin/reset", &[]).await;
    assert_eq!(status, 200);
    let second = secret_in(&page);
    assert_ne!(first, second);
    assert_eq!(b.sign_in("soc-admin", &second).await, (303, "/account/password".into()));

    // A unit administrator manages only the window staff of the unit's windows.
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "um9").await;
    let (status, _) = unit
        .post_page(
            "/admin/accounts",
            &[("job_number", "S1002"), ("role", "window_staff"), ("scope", "W02")],
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = unit
        .post_page(
            "/admin/accounts",
            &[("job_number", "S1003"), ("role", "window_staff"), ("scope", "W03")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(unit.get("/admin/accounts/soc-admin").await.0, 403);

    // Deactivating ends the person's sessions at once.
    let staff = app.signed_in(Role::WindowStaff, Some("W01"), "S1001").await;
    assert_eq!(staff.get("/staff").await.0, 200);
    assert_eq!(
        unit.post_page("/admin/accounts/S1001/deactivate", &[]).await,
        (303, "/admin/accounts/S1001?notice=deactivate".into())
    );
    assert_eq!(staff.get("/staff").await, (303, "/login".into()));
    assert_eq!(Browser::new(&app.base).sign_in("S1001", NEW_PASSWORD).await.0, 401);
    let (_, trail) = center.get("/admin/audit?object=S1001").await;
    assert!(trail.contains("deactivate") && trail.contains("um9"), "{trail}");
    // Window staff have no account administration.
    let w = app.signed_in(Role::WindowStaff, Some("W04"), "S1004").await;
    assert_eq!(w.get("/admin/accounts").await.0, 403);
}

async fn post_photo(b: &Browser, job: &str, bytes: Vec<u8>) -> (u16, String) {
    let token = b.csrf("/account/password").await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .part("photo", reqwest::multipart::Part::bytes(bytes).file_name("face.png"));
    let res = b
        .http
        .post(format!("{}/admin/photo/{job}", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let loc = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    (status, loc.unwrap_or(res.text().await.unwrap()))
}

async fn staff_photos_are_uploaded_inside_the_scope_and_served(app: TestApp) {
    let b = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "ph1").await;
    let png = server::qr::png("photo", 4).unwrap();
    assert_eq!(
        post_photo(&b, "S1001", png.clone()).await,
        (303, "/admin/staff/S1001?notice=photo".into())
    );
    let res = app.http.get(app.url("/staff-photo/S1001")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    let (_, page) = b.get("/admin/staff/S1001").await;
    assert!(
        page.contains("class=\"staff-photo\"") && page.contains("/staff-photo/S1001?v="),
        "{page}"
    );
    // Not an image, another unit's staff: refused, nothing changes.
    let (status, page) = post_photo(&b, "S1001", b"GIF89a not really".to_vec()).await;
    assert_eq!(status, 422);
    assert!(page.contains("JPEG"), "{page}");
    assert_eq!(post_photo(&b, "S1003", png.clone()).await.0, 403);
    assert_eq!(
        app.http.get(app.url("/staff-photo/S1003")).send().await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(
        app.scalar("SELECT action AS v FROM audit_log WHERE action = 'photo'")
            .await
            .as_deref(),
        Some("photo")
    );
    // Photos come only from this server (issue 13 item 15): an outside or
    // protocol-relative address is refused and the photo stays; a device never
    // receives one even when an older record holds it.
    for evil in [
        "//evil.example/track.png",
        "https://evil.example/track.png",
        "/staff-photo/../x",
        "javascript:alert(1)",
    ] {
        let (status, page) = b
            .post_page(
                "/admin/staff/S1001",
                &[("code", "S1001"), ("name", "王丽"), ("unit", "U-MARKET"), ("photo_url", evil)],
            )
            .await;
        assert_eq!(status, 422, "{evil}: {page}");
        assert!(page.contains("/staff-photo/"), "the error names what is accepted: {page}");
    }
    assert!(
        app.scalar("SELECT photo_url AS v FROM staff WHERE number = 'S1001'")
            .await
            .is_some_and(|u| u.starts_with("/staff-photo/S1001?v=")),
        "unchanged"
    );
    assert!(store::photos::is_own_photo("/staff-photo/S1001?v=1764000000"));
    assert!(!store::photos::is_own_photo("/staff-photo/S1001?v=1&x=//evil"));
    // A new colleague with a photo and no cases can still be deleted.
    b.post_page("/admin/staff", &[("code", "S1097"), ("name", "新人"), ("unit", "U-MARKET")])
        .await;
    assert_eq!(post_photo(&b, "S1097", png).await.0, 303);
    assert_eq!(
        b.post_page("/admin/staff/S1097/delete", &[]).await,
        (303, "/admin/staff?notice=deleted".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_audited_and_otherwise_ignored() {
    for trusted in [true, false] {
        let app = TestApp::start_with(crate::helpers::Backend::Sqlite, |c| c.trust_forwarded = trusted).await;
        let (_, first) = store::accounts::create(&app.db, Role::SystemAdmin, None, "px1", app.now())
            .await
            .unwrap();
        let b = Browser::new(&app.base);
        let token = b.csrf("/login").await;
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("_csrf", token.as_str()), ("job_number", "px1"), ("password", first.as_str())])
            .finish();
        let res = b
            .http
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", "198.51.100.9, 203.0.113.7")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let address = app
            .scalar("SELECT address AS v FROM audit_log WHERE action = 'sign_in' AND actor = 'px1'")
            .await;
        let want = if trusted { "203.0.113.7" } else { "127.0.0.1" };
        assert_eq!(
            address.as_deref(),
            Some(want),
            "trusted = {trusted}: the address the proxy saw, else the peer"
        );
    }
}
