//! The staff sign-in page and the password change page.

use leptos::prelude::*;

use super::super::LangSwitch;
use super::{Csrf, Nav, Notice, Shell, ADMIN_CSS};
use crate::Lang;

#[component]
pub fn SignInPage(lang: Lang, csrf: String, job_number: String, error: Option<String>, notice: Option<String>) -> impl IntoView {
    view! {
        <link rel="stylesheet" href=crate::assets::url(ADMIN_CSS)/>
        <main class="page narrow">
            <header class="top">
                <span class="brand">{lang.t("haocha 好差评管理", "haocha administration")}</span>
                <LangSwitch lang=lang path="/login".to_string()/>
            </header>
            <h1>{lang.t("工作人员登录", "Staff sign-in")}</h1>
            <Notice text=notice/>
            <Notice text=error problem=true/>
            <form method="post" action="/login" class="form">
                <Csrf token=csrf/>
                <label>
                    <span>{lang.t("工号", "Job number")}</span>
                    <input name="job_number" value=job_number autocomplete="username" required autofocus/>
                </label>
                <label>
                    <span>{lang.t("密码", "Password")}</span>
                    <input name="password" type="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="submit">{lang.t("登录", "Sign in")}</button>
            </form>
            <p class="hint">
                {lang.t(
                    "连续 5 次密码错误将锁定账号 15 分钟。30 分钟无操作需重新登录。",
                    "Five wrong passwords in a row lock the account for 15 minutes. After 30 minutes without activity you sign in again.",
                )}
            </p>
        </main>
    }
}

#[component]
pub fn PasswordPage(nav: Nav, forced: bool, error: Option<String>) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let intro = forced.then(|| {
        lang.t(
            "首次登录或密码已重置：请先设置新密码。",
            "First sign-in or reset password: please set a new password first.",
        )
    });
    view! {
        <Shell nav=nav title=lang.t("修改密码", "Change password").to_string()>
            <Notice text=intro.map(str::to_string)/>
            <Notice text=error problem=true/>
            <form method="post" action="/account/password" class="form narrow-form">
                <Csrf token=csrf/>
                <label>
                    <span>{lang.t("当前密码", "Current password")}</span>
                    <input name="current" type="password" autocomplete="current-password" required/>
                </label>
                <label>
                    <span>{lang.t("新密码", "New password")}</span>
                    <input name="new" type="password" autocomplete="new-password" required minlength="10"/>
                </label>
                <label>
                    <span>{lang.t("再次输入新密码", "New password again")}</span>
                    <input name="repeat" type="password" autocomplete="new-password" required minlength="10"/>
                </label>
                <p class="hint">
                    {lang.t(
                        "至少 10 个字符，包含大写字母、小写字母、数字、符号中的三类，且不含工号。",
                        "At least 10 characters, three of: upper-case, lower-case, digits, symbols; not containing the job number.",
                    )}
                </p>
                <button type="submit" class="submit">{lang.t("保存新密码", "Save new password")}</button>
            </form>
        </Shell>
    }
}
