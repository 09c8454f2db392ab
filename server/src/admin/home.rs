//! `/admin`: the administration's start page, its sections by role and scope.

use app::pages::admin::{AdminHome, Section};
use app::text;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use leptos::prelude::*;
use store::accounts::Scope;
use store::admin::Kind;

use crate::web::{Admin, CenterOrSystem, Signed};
use crate::AppState;

/// `GET /admin`
pub async fn admin_home(State(st): State<AppState>, Signed(ctx, _): Signed<Admin>) -> Response {
    use crate::web::extract::Need;
    let lang = ctx.lang;
    let scope_text = match (&ctx.actor.scope, &ctx.actor.scope_code) {
        (Scope::All, _) => lang.t("管理范围：全部", "Scope: everything").to_string(),
        (_, Some(code)) => format!("{}{}", lang.t("管理范围：", "Scope: "), code),
        _ => String::new(),
    };
    let mut sections: Vec<Section> = Kind::ALL
        .into_iter()
        .filter(|k| store::admin::can_list(&ctx.actor, *k))
        .map(|k| Section {
            href: format!("/admin/{}", k.slug()),
            label: text::kind(lang, k),
            text: if k.importable() {
                lang.t("可 CSV 批量导入", "CSV import available").to_string()
            } else {
                String::new()
            },
        })
        .collect();
    sections.push(Section {
        href: "/admin/accounts".into(),
        label: lang.t("账号", "Accounts").into(),
        text: lang
            .t(
                "创建账号、重置密码、解除锁定、停用",
                "Create accounts, reset passwords, unlock, deactivate",
            )
            .into(),
    });
    if CenterOrSystem::fits(&ctx.actor) {
        sections.push(Section {
            href: "/admin/audit".into(),
            label: lang.t("审计日志", "Audit trail").into(),
            text: lang
                .t("按人员、对象、时间查询所有操作", "Every change, by person, object and time")
                .into(),
        });
    }
    let nav = ctx.nav();
    ctx.page(
        &st,
        StatusCode::OK,
        lang.t("管理首页", "Administration").to_string(),
        move || {
            view! { <AdminHome nav=nav scope_text=scope_text sections=sections/> }
        },
    )
}
