//! The list and edit pages of the organisation tree's records, and the pages
//! showing a new API key or first password once.

use leptos::prelude::*;

use super::{encode, Csrf, Nav, Notice, Shell};
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub href: String,
    pub cells: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView {
    pub slug: String,
    pub label: String,
    pub columns: Vec<String>,
    pub rows: Vec<ListRow>,
    pub total: u64,
    pub q: String,
    pub status: String,
    pub page: u64,
    pub pages: u64,
    pub can_create: bool,
    pub can_import: bool,
    pub notice: Option<String>,
}

#[component]
pub fn ListPage(nav: Nav, list: ListView) -> impl IntoView {
    let lang = nav.lang;
    let base = format!("/admin/{}", list.slug);
    let link = {
        let base = base.clone();
        let q = list.q.clone();
        let status = list.status.clone();
        move |page: u64| format!("{base}?q={}&status={}&page={page}", encode(&q), encode(&status))
    };
    let prev = (list.page > 1).then(|| view! { <a href=link(list.page - 1) rel="prev">{lang.t("上一页", "Previous")}</a> });
    let next = (list.page < list.pages).then(|| view! { <a href=link(list.page + 1) rel="next">{lang.t("下一页", "Next")}</a> });
    let status = list.status.clone();
    let status_opt = move |value: &'static str, label: &'static str| {
        let selected = status == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let empty = list.rows.is_empty();
    let ncols = list.columns.len() + 1;
    view! {
        <Shell nav=nav title=list.label.clone()>
            <Notice text=list.notice.clone()/>
            <div class="toolbar">
                {list.can_create.then(|| view! { <a class="button" href=format!("{base}/new")>{lang.t("新增", "Add")}</a> })}
                {list.can_import.then(|| view! {
                    <a class="button secondary" href=format!("/admin/import/{}", list.slug)>{lang.t("CSV 批量导入", "Import CSV")}</a>
                })}
            </div>
            <form method="get" action=base.clone() class="filter" role="search">
                <label>
                    <span>{lang.t("编码或名称包含", "Code or name contains")}</span>
                    <input name="q" value=list.q.clone() type="search"/>
                </label>
                <label>
                    <span>{lang.t("状态", "Status")}</span>
                    <select name="status">
                        {status_opt("all", lang.t("全部", "All"))}
                        {status_opt("active", lang.t("启用", "Active"))}
                        {status_opt("inactive", lang.t("停用", "Inactive"))}
                    </select>
                </label>
                <button type="submit">{lang.t("筛选", "Filter")}</button>
            </form>
            <p class="muted count">
                {match lang {
                    Lang::Zh => format!("共 {} 条，第 {} / {} 页", list.total, list.page, list.pages.max(1)),
                    Lang::En => format!("{} in all, page {} of {}", list.total, list.page, list.pages.max(1)),
                }}
            </p>
            <table class="list">
                <thead>
                    <tr>
                        {list.columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                        <th scope="col">{lang.t("状态", "Status")}</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan=ncols.to_string()>{lang.t("没有符合条件的记录。", "Nothing matches.")}</td></tr> })}
                    {list
                        .rows
                        .into_iter()
                        .map(|r| {
                            let mut cells = r.cells.into_iter();
                            let first = cells.next().unwrap_or_default();
                            view! {
                                <tr class:inactive=!r.active>
                                    <td><a href=r.href>{first}</a></td>
                                    {cells.map(|c| view! { <td>{c}</td> }).collect_view()}
                                    <td>{if r.active { lang.t("启用", "Active") } else { lang.t("停用", "Inactive") }}</td>
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldInput {
    Text,
    /// Fixed once created (codes).
    Readonly,
    /// (value, label); `optional` adds an empty choice.
    Select {
        options: Vec<(String, String)>,
        optional: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub value: String,
    pub input: FieldInput,
    pub required: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditView {
    pub title: String,
    /// Where the form posts.
    pub action: String,
    pub fields: Vec<FormField>,
    /// `None` on the create form.
    pub active: Option<bool>,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// The delete form's action, when the object exists.
    pub delete_action: Option<String>,
    /// Further pages about the object: (href, label).
    pub links: Vec<(String, String)>,
    /// Staff: the photo upload form's action and the current photo, if any.
    pub photo: Option<(String, Option<String>)>,
    pub back: String,
}

#[component]
pub fn EditPage(nav: Nav, edit: EditView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let fields = edit
        .fields
        .into_iter()
        .map(|f| {
            let id = format!("f-{}", f.name);
            let err_id = format!("e-{}", f.name);
            let invalid = f.error.is_some();
            let describedby = invalid.then(|| err_id.clone());
            let control = match f.input {
                FieldInput::Text => view! {
                    <input id=id.clone() name=f.name.clone() value=f.value.clone() required=f.required aria-invalid=invalid.then_some("true") aria-describedby=describedby.clone()/>
                }
                .into_any(),
                FieldInput::Readonly => view! {
                    <input id=id.clone() name=f.name.clone() value=f.value.clone() readonly/>
                }
                .into_any(),
                FieldInput::Select { options, optional } => {
                    let current = f.value.clone();
                    let known = options.iter().any(|(v, _)| *v == current);
                    view! {
                        <select id=id.clone() name=f.name.clone() required=f.required aria-invalid=invalid.then_some("true") aria-describedby=describedby.clone()>
                            {(optional || !known).then(|| view! { <option value="">{lang.t("（请选择）", "(choose)")}</option> })}
                            {options
                                .into_iter()
                                .map(|(v, label)| {
                                    let selected = v == current;
                                    let text = format!("{label} ({v})");
                                    view! { <option value=v selected=selected>{text}</option> }
                                })
                                .collect_view()}
                        </select>
                    }
                    .into_any()
                }
            };
            view! {
                <div class="field">
                    <label for=id>{f.label}{f.required.then_some(" *")}</label>
                    {control}
                    {f.error.map(|e| view! { <p class="field-error" id=err_id>{e}</p> })}
                </div>
            }
        })
        .collect_view();
    let active = edit.active.map(|a| {
        view! {
            <div class="field check">
                <label><input type="checkbox" name="active" checked=a/> " " {lang.t("启用", "Active")}</label>
            </div>
        }
    });
    let delete = edit.delete_action.map(|action| {
        let csrf = csrf.clone();
        view! {
            <form method="post" action=action class="danger-zone">
                <Csrf token=csrf/>
                <p class="hint">
                    {lang.t(
                        "删除：没有办件等历史记录的直接删除；有历史记录的改为停用，记录保留。",
                        "Delete: removed if it has no history; otherwise deactivated and kept.",
                    )}
                </p>
                <button type="submit" class="danger">{lang.t("删除 / 停用", "Delete / deactivate")}</button>
            </form>
        }
    });
    view! {
        <Shell nav=nav title=edit.title>
            <Notice text=edit.notice/>
            <Notice text=edit.error problem=true/>
            <form method="post" action=edit.action class="form">
                <Csrf token=csrf.clone()/>
                {fields}
                {active}
                <button type="submit" class="submit">{lang.t("保存", "Save")}</button>
                " "
                <a href=edit.back>{lang.t("返回列表", "Back to the list")}</a>
            </form>
            {edit.photo.map(|(action, current)| {
                let csrf = csrf.clone();
                view! {
                    <form method="post" action=action enctype="multipart/form-data" class="form photo-form">
                        <Csrf token=csrf/>
                        {current.map(|src| view! { <img class="staff-photo" src=src alt=lang.t("当前照片", "Current photo")/> })}
                        <label>
                            <span>{lang.t("上传照片（JPEG、PNG 或 WebP，不超过 512 KB）", "Upload a photo (JPEG, PNG or WebP, 512 KB at most)")}</span>
                            <input type="file" name="photo" accept="image/jpeg,image/png,image/webp" required/>
                        </label>
                        <button type="submit">{lang.t("上传照片", "Upload photo")}</button>
                    </form>
                }
            })}
            <p class="object-links">
                {edit.links.into_iter().map(|(href, label)| view! { <a class="button secondary" href=href>{label}</a> " " }).collect_view()}
            </p>
            {delete}
        </Shell>
    }
}

#[component]
pub fn KeyShownPage(nav: Nav, name: String, key: String) -> impl IntoView {
    let lang = nav.lang;
    view! {
        <Shell nav=nav title=lang.t("接口密钥已创建", "API key created").to_string()>
            <p>{name}</p>
            <p class="notice ok" role="status">
                {lang.t(
                    "请立即复制并妥善保存此密钥：它只显示这一次，系统只保存其摘要。",
                    "Copy and keep this key now: it is shown this once; only its hash is stored.",
                )}
            </p>
            <pre class="key" id="api-key">{key}</pre>
            <a href="/admin/clients">{lang.t("返回列表", "Back to the list")}</a>
        </Shell>
    }
}

/// A secret shown once (an account's first password).
#[component]
pub fn SecretPage(nav: Nav, title: String, subject: String, secret: String, back: String) -> impl IntoView {
    let lang = nav.lang;
    view! {
        <Shell nav=nav title=title>
            <p>{subject}</p>
            <p class="notice ok" role="status">
                {lang.t(
                    "请把首次密码当面或通过安全渠道交给本人：它只显示这一次，首次登录后必须修改。",
                    "Hand this first password to the person in a safe way: it is shown this once and must be changed at first sign-in.",
                )}
            </p>
            <pre class="key" id="secret">{secret}</pre>
            <a href=back>{lang.t("返回", "Back")}</a>
        </Shell>
    }
}
