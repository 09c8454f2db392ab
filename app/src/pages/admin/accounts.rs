//! The page of one account: its facts and actions.

use leptos::prelude::*;

use super::{encode, Csrf, Nav, Notice, Shell};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub job_number: String,
    pub name: String,
    pub role_label: String,
    pub scope: String,
    pub status: String,
    pub last_sign_in: String,
    pub active: bool,
    pub locked: bool,
    pub notice: Option<String>,
}

#[component]
pub fn AccountPage(nav: Nav, account: AccountView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let base = format!("/admin/accounts/{}", encode(&account.job_number));
    let action = move |what: &'static str, label: &'static str, class: &'static str| {
        let csrf = csrf.clone();
        view! {
            <form method="post" action=format!("{base}/{what}") class="inline">
                <Csrf token=csrf/>
                <button type="submit" class=class>{label}</button>
            </form>
        }
    };
    view! {
        <Shell nav=nav title=format!("{} · {}", lang.t("账号", "Account"), account.job_number)>
            <Notice text=account.notice.clone()/>
            <dl class="facts">
                <div><dt>{lang.t("工号", "Job number")}</dt><dd>{account.job_number.clone()}</dd></div>
                <div><dt>{lang.t("姓名", "Name")}</dt><dd>{account.name.clone()}</dd></div>
                <div><dt>{lang.t("角色", "Role")}</dt><dd>{account.role_label.clone()}</dd></div>
                <div><dt>{lang.t("管理范围", "Scope")}</dt><dd>{account.scope.clone()}</dd></div>
                <div><dt>{lang.t("状态", "Status")}</dt><dd class="account-status">{account.status.clone()}</dd></div>
                <div><dt>{lang.t("最近登录", "Last sign-in")}</dt><dd>{account.last_sign_in.clone()}</dd></div>
            </dl>
            <div class="toolbar">
                {action("reset", lang.t("重置密码", "Reset password"), "")}
                {account.locked.then(|| action("unlock", lang.t("解除锁定", "Unlock"), ""))}
                {if account.active {
                    action("deactivate", lang.t("停用账号", "Deactivate"), "danger")
                } else {
                    action("activate", lang.t("启用账号", "Activate"), "")
                }}
            </div>
            <p><a href="/admin/accounts">{lang.t("返回列表", "Back to the list")}</a></p>
        </Shell>
    }
}
