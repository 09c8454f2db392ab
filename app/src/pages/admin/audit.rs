//! The audit trail page.

use leptos::prelude::*;

use super::{encode, Nav, Notice, Shell};
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object: String,
    pub before: String,
    pub after: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    pub person: String,
    pub object: String,
    pub from: String,
    pub to: String,
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub error: Option<String>,
}

#[component]
pub fn AuditPage(nav: Nav, audit: AuditView) -> impl IntoView {
    let lang = nav.lang;
    let link = {
        let (p, o, f, t) = (audit.person.clone(), audit.object.clone(), audit.from.clone(), audit.to.clone());
        move |page: u64| {
            format!(
                "/admin/audit?person={}&object={}&from={}&to={}&page={page}",
                encode(&p),
                encode(&o),
                encode(&f),
                encode(&t)
            )
        }
    };
    let prev = (audit.page > 1).then(|| view! { <a href=link(audit.page - 1) rel="prev">{lang.t("上一页", "Previous")}</a> });
    let next = (audit.page < audit.pages).then(|| view! { <a href=link(audit.page + 1) rel="next">{lang.t("下一页", "Next")}</a> });
    view! {
        <Shell nav=nav title=lang.t("审计日志", "Audit trail").to_string()>
            <Notice text=audit.error problem=true/>
            <form method="get" action="/admin/audit" class="filter" role="search">
                <label><span>{lang.t("人员工号", "Person (job number)")}</span><input name="person" value=audit.person.clone()/></label>
                <label><span>{lang.t("对象（编码或类型）", "Object (code or kind)")}</span><input name="object" value=audit.object.clone()/></label>
                <label><span>{lang.t("起始日期", "From")}</span><input name="from" type="date" value=audit.from.clone()/></label>
                <label><span>{lang.t("截止日期", "To")}</span><input name="to" type="date" value=audit.to.clone()/></label>
                <button type="submit">{lang.t("查询", "Search")}</button>
            </form>
            <p class="muted count">
                {match lang {
                    Lang::Zh => format!("共 {} 条", audit.total),
                    Lang::En => format!("{} entries", audit.total),
                }}
            </p>
            <table class="list audit">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("时间", "Time")}</th>
                        <th scope="col">{lang.t("人员", "Person")}</th>
                        <th scope="col">{lang.t("角色", "Role")}</th>
                        <th scope="col">{lang.t("操作", "Action")}</th>
                        <th scope="col">{lang.t("对象", "Object")}</th>
                        <th scope="col">{lang.t("修改前", "Before")}</th>
                        <th scope="col">{lang.t("修改后", "After")}</th>
                        <th scope="col">{lang.t("来源地址", "From address")}</th>
                    </tr>
                </thead>
                <tbody>
                    {audit
                        .rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{r.at}</td>
                                    <td>{r.actor}</td>
                                    <td>{r.role}</td>
                                    <td>{r.action}</td>
                                    <td>{r.object}</td>
                                    <td><code>{r.before}</code></td>
                                    <td><code>{r.after}</code></td>
                                    <td>{r.address}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <nav class="pager" aria-label=lang.t("翻页", "Pages")>{prev} " " {next}</nav>
        </Shell>
    }
}
