//! Regional policies on the admin pages: inherited down the tree, set where a
//! region decides, bad numbers refused with nothing changed, scope enforced.
#![allow(clippy::unwrap_used)] // a failing unwrap is a failing test

use domain::Role;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(a_center_sets_its_policy_and_the_rest_is_inherited,);

async fn a_center_sets_its_policy_and_the_rest_is_inherited(app: TestApp) {
    let system = app.signed_in(Role::SystemAdmin, None, "pol0").await;
    let (status, page) = system.get("/admin/policies/140100").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("7 天 后默认为 基本满意") && page.contains("必须实名") && page.contains("山西"),
        "{page}"
    );
    let (_, page) = system.get("/admin/policies/533100").await;
    assert!(page.contains("5 个工作日 后默认为 基本满意") && page.contains("德宏"), "{page}");

    let center = app.signed_in(Role::CenterAdmin, Some("210100"), "pol1").await;
    let (status, page) = center.get("/admin/policies/210100").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("5 个工作日 后默认为 满意") && page.contains("辽宁"),
        "inherited from Liaoning: {page}"
    );
    // Out of scope answers as a missing region does (issue 13 item 16): codes cannot be probed.
    let (status, out_of_scope) = center.get("/admin/policies/210200").await;
    assert_eq!(status, 404, "Dalian is not this center's");
    let (status, missing) = center.get("/admin/policies/999999").await;
    assert_eq!(status, 404);
    assert_eq!(
        out_of_scope.replace("210200", "X"),
        missing.replace("999999", "X"),
        "the same page for both"
    );
    assert_eq!(center.post_page("/admin/policies/210200", &[("reminder_hours", "48")]).await.0, 404);

    let (status, page) = center
        .post_page(
            "/admin/policies/210100",
            &[("default_after_n", "0"), ("default_after_unit", "days")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("超出允许范围"), "{page}");
    let (status, _) = center.post_page("/admin/policies/210100", &[("reminder_hours", "soon")]).await;
    assert_eq!(status, 422);
    assert_eq!(app.count_rows("region_policy").await, 4, "nothing changed: the demo's four");

    let (status, location) = center
        .post_page(
            "/admin/policies/210100",
            &[
                ("default_level", "basically_satisfied"),
                ("default_after_n", "7"),
                ("default_after_unit", "days"),
                ("reminder_hours", "48"),
                ("citation", "沈阳市试行"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/admin/policies/210100?saved=1"));
    let (_, page) = center.get("/admin/policies/210100?saved=1").await;
    assert!(
        page.contains("已保存") && page.contains("7 天 后默认为 基本满意") && page.contains("48 h"),
        "{page}"
    );
    assert!(page.contains("15 个工作日"), "what the city does not set stays Liaoning's");
    assert_eq!(
        center.get("/admin/policies/210000").await.0,
        404,
        "the province is above this center: out of scope reads as missing"
    );
    assert_eq!(
        app.scalar("SELECT action || ' ' || object_code || ' ' || actor AS v FROM audit_log WHERE action = 'policy_set'")
            .await
            .as_deref(),
        Some("policy_set 210100 pol1")
    );
    let unit = app.signed_in(Role::UnitAdmin, Some("U-MARKET"), "pol2").await;
    assert_eq!(unit.get("/admin/policies/210100").await.0, 403, "policies are the center's");
    // Dalian still follows Liaoning.
    let (_, page) = system.get("/admin/policies/210200").await;
    assert!(page.contains("5 个工作日 后默认为 满意"), "{page}");
}
