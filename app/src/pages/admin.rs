//! Pages of signed-in people: sign-in, password change, the administration of
//! the organisation tree, CSV import, the audit trail and the staff console.
//! All server-rendered; every form works without JavaScript.

use leptos::prelude::*;

use super::LangSwitch;
use crate::Lang;

/// The frame around every signed-in page: who is signed in, what they may open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nav {
    pub lang: Lang,
    pub name: String,
    pub job_number: String,
    pub role_label: String,
    pub csrf: String,
    /// (href, label) of the sections this role may open.
    pub links: Vec<(String, String)>,
    /// The path of this page, for the language switch and the current link.
    pub path: String,
}

/// Styles of signed-in pages (public/admin.css), linked only from them.
const ADMIN_CSS: &str = "/admin.css";

/// The hidden CSRF field every form carries.
#[component]
pub fn Csrf(token: String) -> impl IntoView {
    view! { <input type="hidden" name="_csrf" value=token/> }
}

#[component]
pub fn Shell(nav: Nav, title: String, children: Children) -> impl IntoView {
    let lang = nav.lang;
    let links = nav
        .links
        .iter()
        .map(|(href, label)| {
            // `/admin` is the start page, not a prefix of every section.
            let current = nav.path == *href || (href != "/admin" && nav.path.starts_with(&format!("{href}/")));
            view! {
                <a href=href.clone() aria-current=current.then_some("page")>{label.clone()}</a>
            }
        })
        .collect_view();
    view! {
        <link rel="stylesheet" href=ADMIN_CSS/>
        <div class="admin">
            <header class="admin-top">
                <span class="brand">{lang.t("haocha 好差评管理", "haocha administration")}</span>
                <nav class="admin-nav" aria-label=lang.t("管理导航", "Administration")>{links}</nav>
                <div class="who">
                    <span class="who-name">{nav.name.clone()} " (" {nav.job_number.clone()} ")"</span>
                    " "
                    <span class="who-role">{nav.role_label.clone()}</span>
                    " "
                    <a href="/account/password">{lang.t("修改密码", "Change password")}</a>
                    <form method="post" action="/logout" class="inline">
                        <Csrf token=nav.csrf.clone()/>
                        <button type="submit" class="link-button">{lang.t("退出", "Sign out")}</button>
                    </form>
                    <LangSwitch lang=lang path=nav.path.clone()/>
                </div>
            </header>
            <main class="admin-main">
                <h1>{title}</h1>
                {children()}
            </main>
        </div>
    }
}

#[component]
pub fn Notice(text: Option<String>, #[prop(optional)] problem: bool) -> impl IntoView {
    text.map(|t| {
        let class = if problem { "notice problem" } else { "notice ok" };
        view! { <p class=class role=if problem { "alert" } else { "status" }>{t}</p> }
    })
}

#[component]
pub fn SignInPage(lang: Lang, csrf: String, job_number: String, error: Option<String>, notice: Option<String>) -> impl IntoView {
    view! {
        <link rel="stylesheet" href=ADMIN_CSS/>
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

/// One section on the administration start page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub href: String,
    pub label: String,
    pub text: String,
}

#[component]
pub fn AdminHome(nav: Nav, scope_text: String, sections: Vec<Section>) -> impl IntoView {
    let lang = nav.lang;
    view! {
        <Shell nav=nav title=lang.t("管理首页", "Administration").to_string()>
            <p class="scope">{scope_text}</p>
            <ul class="sections">
                {sections
                    .into_iter()
                    .map(|s| view! { <li><a href=s.href>{s.label}</a> " " <span class="muted">{s.text}</span></li> })
                    .collect_view()}
            </ul>
        </Shell>
    }
}

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

/// Minimal percent-encoding for query values in links.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

#[component]
pub fn ImportPage(nav: Nav, slug: String, label: String, errors: Vec<ImportError>, result: Option<String>) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let failed = !errors.is_empty();
    let table = failed.then(|| {
        view! {
            <p class="notice problem" role="alert">
                {lang.t("文件有错误，没有导入任何记录。请改正后重新上传：", "The file has errors; nothing was imported. Fix them and upload again:")}
            </p>
            <table class="list import-errors">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("行号", "Line")}</th>
                        <th scope="col">{lang.t("列", "Column")}</th>
                        <th scope="col">{lang.t("问题", "Problem")}</th>
                    </tr>
                </thead>
                <tbody>
                    {errors
                        .into_iter()
                        .map(|e| view! { <tr><td>{e.line}</td><td>{e.column}</td><td>{e.message}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        <Shell nav=nav title=format!("{} · {}", label, lang.t("CSV 批量导入", "CSV import"))>
            <Notice text=result/>
            {table}
            <p>
                {lang.t(
                    "支持 UTF-8 和 GBK 编码（Excel 另存为 CSV 即可）。整个文件检查无误后一次性导入；任何一行有错都不会导入。已存在的编码将被更新。",
                    "UTF-8 and GBK are both read (Excel's Save as CSV works). The whole file is checked and imported at once; one bad row imports nothing. Existing codes are updated.",
                )}
            </p>
            <p><a href=format!("/admin/import/{slug}/template.csv") download>{lang.t("下载模板 CSV", "Download the template CSV")}</a></p>
            <form method="post" action=format!("/admin/import/{slug}") enctype="multipart/form-data" class="form">
                <Csrf token=csrf/>
                <label>
                    <span>{lang.t("CSV 文件", "CSV file")}</span>
                    <input type="file" name="file" accept=".csv,text/csv" required/>
                </label>
                <button type="submit" class="submit">{lang.t("上传并导入", "Upload and import")}</button>
            </form>
        </Shell>
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRow {
    pub case_number: String,
    pub item_name: String,
    pub completed_at: String,
    pub rated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleView {
    pub window_code: String,
    pub window_name: String,
    pub hall_name: String,
    pub rows: Vec<ConsoleRow>,
    pub notice: Option<String>,
}

#[component]
pub fn ConsolePage(nav: Nav, console: ConsoleView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let rated = console.rows.iter().filter(|r| r.rated).count();
    let total = console.rows.len();
    let code = console.window_code.clone();
    view! {
        <Shell nav=nav title=lang.t("我的窗口", "My window").to_string()>
            <p class="window-card">
                <strong class="window-name">{console.window_name.clone()}</strong>
                " · " {console.hall_name} " · " <span class="muted">{console.window_code}</span>
            </p>
            <p>
                <a class="button" href=format!("/w/{code}/screen")>{lang.t("打开窗口评价屏", "Open the window screen")}</a>
                " "
                <a class="button secondary" href=format!("/print/window/{code}")>{lang.t("打印窗口评价二维码", "Print the window's rating code")}</a>
            </p>
            <Notice text=console.notice.clone()/>
            <h2>{lang.t("今日办结", "Completed today")}</h2>
            <p class="count">
                {match lang {
                    Lang::Zh => format!("今日办结 {total} 件，已评价 {rated} 件。"),
                    Lang::En => format!("{total} completed today, {rated} rated."),
                }}
            </p>
            <p class="hint">
                {lang.t(
                    "评价内容对工作人员保密：这里只显示是否已评价。",
                    "Ratings are confidential to staff: only whether a case was rated is shown here.",
                )}
            </p>
            <table class="list console">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("办件编号", "Case number")}</th>
                        <th scope="col">{lang.t("事项", "Service item")}</th>
                        <th scope="col">{lang.t("办结时间", "Completed")}</th>
                        <th scope="col">{lang.t("评价", "Rated")}</th>
                        <th scope="col">{lang.t("评价器", "Evaluator")}</th>
                    </tr>
                </thead>
                <tbody>
                    {(total == 0).then(|| view! { <tr><td colspan="5">{lang.t("今天还没有办结的业务。", "No cases completed today yet.")}</td></tr> })}
                    {console
                        .rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{r.case_number.clone()}</td>
                                    <td>{r.item_name}</td>
                                    <td>{r.completed_at}</td>
                                    <td class=if r.rated { "rated yes" } else { "rated no" }>
                                        {if r.rated { lang.t("✓ 已评价", "✓ Rated") } else { lang.t("— 未评价", "— Not yet") }}
                                    </td>
                                    <td>
                                        {(!r.rated).then(|| {
                                            let csrf = csrf.clone();
                                            view! {
                                                <form method="post" action="/staff/invite" class="inline">
                                                    <Csrf token=csrf/>
                                                    <input type="hidden" name="case_number" value=r.case_number.clone()/>
                                                    <button type="submit">{lang.t("邀请评价", "Invite rating")}</button>
                                                </form>
                                            }
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRowView {
    pub label: String,
    pub status: String,
    pub revoke_action: Option<String>,
}

/// `/admin/devices/{window}`: the window's evaluators, pairing and revoking.
#[component]
pub fn DevicesPage(
    nav: Nav,
    window_code: String,
    window_name: String,
    rows: Vec<DeviceRowView>,
    code: Option<(String, String)>,
    public_url: String,
) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    view! {
        <Shell nav=nav title=format!("{} · {}", lang.t("评价器", "Evaluators"), window_name)>
            {code.map(|(code, until)| view! {
                <div class="notice ok" role="status">
                    <p>{lang.t("在评价器上打开以下地址并输入配对码：", "On the evaluator, open this address and enter the pairing code:")}</p>
                    <p><code>{format!("{public_url}/device/pair")}</code></p>
                    <p>{lang.t(
                        "自助终端（触屏、断网可用）请打开以下地址，在屏幕键盘上输入配对码：",
                        "For a self-service kiosk (touch, works offline) open this address and enter the code on its keypad:",
                    )}</p>
                    <p><code>{format!("{public_url}/device/app/")}</code></p>
                    <p class="pairing-code" id="pairing-code">{code}</p>
                    <p>{lang.t("有效期至 ", "Valid until ")} {until} {lang.t("，只能使用一次。", "; it works once.")}</p>
                </div>
            })}
            <form method="post" action=format!("/admin/devices/{window_code}/pair") class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit">{lang.t("生成配对码", "Show a pairing code")}</button>
            </form>
            <table class="list devices">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("评价器", "Evaluator")}</th>
                        <th scope="col">{lang.t("状态", "Status")}</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let csrf = csrf.clone();
                            view! {
                                <tr>
                                    <td>{r.label}</td>
                                    <td>{r.status}</td>
                                    <td>
                                        {r.revoke_action.map(|a| view! {
                                            <form method="post" action=a class="inline">
                                                <Csrf token=csrf/>
                                                <button type="submit" class="danger">{lang.t("吊销", "Revoke")}</button>
                                            </form>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <p><a href=format!("/admin/windows/{window_code}")>{lang.t("返回窗口", "Back to the window")}</a></p>
        </Shell>
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxMessage {
    pub message_id: String,
    pub kind: String,
    /// Masked.
    pub phone: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub error: String,
    pub created: String,
    pub not_before: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxView {
    pub result: Option<String>,
    /// Demo gateway: offer a form that plays a citizen's SMS reply.
    pub simulate_reply: bool,
    pub messages: Vec<OutboxMessage>,
    /// (case number, level label, policy region, given at, superseded)
    pub defaults: Vec<(String, String, String, String, bool)>,
}

/// `/admin/outbox`: the background jobs, run at once on demand.
#[component]
pub fn OutboxPage(nav: Nav, data: OutboxView) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    view! {
        <Shell nav=nav title=lang.t("后台任务", "Jobs").to_string()>
            <Notice text=data.result/>
            <p>{lang.t(
                "后台任务每分钟自动运行：办结 24 小时后仍未评价、留有手机号的办件发送一条提醒短信（含评价链接和回复说明；21:00–08:00 不发送，次日 8 点再发；每件只发一次）；超过本地区规定期限仍未评价的办件给予默认评价（单独统计，之后的主动评价会取代它并保留记录）。演示时可立即运行：",
                "The jobs run every minute by themselves: an unrated case with a phone gets one reminder SMS 24 hours after completion (with its link and the reply digits; never between 21:00 and 08:00, never twice); a case left unrated past its region's delay gets the default rating (counted apart; a later active rating supersedes it and the default stays on record). Run them now:",
            )}</p>
            <form method="post" action="/admin/outbox/run" class="inline">
                <Csrf token=csrf.clone()/>
                <button type="submit">{lang.t("立即运行后台任务", "Run the jobs now")}</button>
            </form>
            {data.simulate_reply.then(|| view! {
                <h2>{lang.t("模拟市民回复短信（演示）", "Play a citizen's SMS reply (demo)")}</h2>
                <p>{lang.t(
                    "未配置短信网关时，短信只保存在发件箱中。可在此模拟市民用手机回复提醒短信（如回复“5”）。",
                    "Without an SMS gateway messages stay in this outbox. Play a citizen replying to a reminder here (e.g. \"5\").",
                )}</p>
                <form method="post" action="/admin/outbox/reply" class="inline">
                    <Csrf token=csrf.clone()/>
                    <label><span>{lang.t("手机号", "Phone")}</span><input name="phone" inputmode="tel" required/></label>
                    <label><span>{lang.t("回复内容", "Reply")}</span><input name="text" required maxlength="70"/></label>
                    <button type="submit">{lang.t("模拟回复", "Play the reply")}</button>
                </form>
            })}
            <h2>{lang.t("短信发件箱", "SMS outbox")}</h2>
            <table class="list sms">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("类型", "Kind")}</th>
                        <th scope="col">{lang.t("手机号", "Phone")}</th>
                        <th scope="col">{lang.t("内容", "Text")}</th>
                        <th scope="col">{lang.t("状态", "State")}</th>
                        <th scope="col">{lang.t("尝试次数", "Attempts")}</th>
                        <th scope="col">{lang.t("生成 / 最早发送", "Created / not before")}</th>
                        <th scope="col">{lang.t("消息编号", "Message id")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.messages.into_iter().map(|m| {
                        let row_class = format!("sms-{}", m.state);
                        view! {
                        <tr class=row_class>
                            <td>{m.kind}</td>
                            <td>{m.phone}</td>
                            <td class="sms-body">{m.body}</td>
                            <td>{m.state} {(!m.error.is_empty()).then(|| view! { <br/><span class="muted">{m.error}</span> })}</td>
                            <td>{m.attempts}</td>
                            <td>{m.created} " / " {m.not_before}</td>
                            <td><code>{m.message_id}</code></td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
            <h2>{lang.t("默认评价", "Default ratings")}</h2>
            <table class="list defaults">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("办件编号", "Case")}</th>
                        <th scope="col">{lang.t("默认等级", "Default level")}</th>
                        <th scope="col">{lang.t("依据地区", "Policy of region")}</th>
                        <th scope="col">{lang.t("给出时间", "Given at")}</th>
                        <th scope="col">{lang.t("状态", "Status")}</th>
                    </tr>
                </thead>
                <tbody>
                    {data.defaults.into_iter().map(|(case, level, region, at, superseded)| view! {
                        <tr>
                            <td>{case}</td>
                            <td>{level} " " <span class="muted">{lang.t("（默认）", "(default)")}</span></td>
                            <td>{region}</td>
                            <td>{at}</td>
                            <td>{if superseded { lang.t("已被主动评价取代", "Superseded by an active rating") } else { lang.t("有效", "In force") }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Shell>
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneCaseView {
    pub case_number: String,
    pub window_code: String,
    pub completed: String,
    /// Masked.
    pub phone: String,
    pub rated: bool,
}

/// `/admin/phone-rating`: the center records a rating a rater gave on the
/// phone (电话邀评, 002 rule 11). Plain forms; who entered it is audited.
#[component]
pub fn PhoneRatingPage(
    nav: Nav,
    number: String,
    case: Option<PhoneCaseView>,
    notice: Option<String>,
    error: Option<String>,
) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let form = case.map(|c| {
        let rated = c.rated;
        view! {
            <dl class="case">
                <div><dt>{lang.t("办件编号", "Case")}</dt><dd>{c.case_number.clone()}</dd></div>
                <div><dt>{lang.t("窗口", "Window")}</dt><dd>{c.window_code}</dd></div>
                <div><dt>{lang.t("办结时间", "Completed")}</dt><dd>{c.completed}</dd></div>
                <div><dt>{lang.t("联系电话", "Phone")}</dt><dd>{c.phone}</dd></div>
            </dl>
            {if rated {
                view! { <p class="notice ok" role="status">{lang.t("该办件已有评价，无需电话邀评。", "This case is rated already.")}</p> }.into_any()
            } else {
                view! {
                    <form method="post" action="/admin/phone-rating" class="form">
                        <Csrf token=csrf.clone()/>
                        <input type="hidden" name="case_number" value=c.case_number/>
                        <fieldset>
                            <legend>{lang.t("评价人在电话中给出的评价", "The rating the rater gave on the phone")}</legend>
                            {domain::Level::ALL.into_iter().map(|l| view! {
                                <label class="choice"><input type="radio" name="level" value=l.code() required/>" " {lang.level(l)}</label>
                            }).collect_view()}
                        </fieldset>
                        <fieldset>
                            <legend>{lang.t("原因（差评至少选一项）", "Reasons (at least one for a bad rating)")}</legend>
                            {domain::TAGS.into_iter().map(|t| view! {
                                <label class="choice"><input type="checkbox" name="tags" value=t.code()/>" " {match lang { Lang::Zh => t.label_zh(), Lang::En => t.label_en() }}</label>
                            }).collect_view()}
                        </fieldset>
                        <label>
                            <span>{lang.t("评价人的意见（选填，如实记录）", "The rater's words (optional, as said)")}</span>
                            <textarea name="comment" maxlength="500" rows="3"></textarea>
                        </label>
                        <button type="submit" class="submit">{lang.t("如实录入评价", "Record this rating")}</button>
                    </form>
                }.into_any()
            }}
        }
    });
    view! {
        <Shell nav=nav title=lang.t("电话邀评", "Phone invitation").to_string()>
            <Notice text=notice/>
            <Notice text=error problem=true/>
            <p>{lang.t(
                "对未主动评价的办件，工作人员可电话邀请评价人评价，并如实录入其评价（渠道“电话邀评”，录入人记入审计日志）。",
                "For cases not rated, staff may call the rater and record the rating they give, as given (channel phone_invite; who entered it is audited).",
            )}</p>
            <form method="get" action="/admin/phone-rating" class="inline">
                <label>
                    <span>{lang.t("办件编号", "Case number")}</span>
                    <input name="case" value=number required/>
                </label>
                <button type="submit">{lang.t("查找", "Find")}</button>
            </form>
            {form}
        </Shell>
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYearRow {
    pub year: i32,
    pub source: String,
    pub holidays: usize,
    pub working_weekends: usize,
}

/// `/admin/calendar`: the working-day calendar's years and loading a new one.
#[component]
pub fn CalendarPage(nav: Nav, years: Vec<CalendarYearRow>, notice: Option<String>, error: Option<String>) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    view! {
        <Shell nav=nav title=lang.t("工作日历", "Working-day calendar").to_string()>
            <Notice text=notice/>
            <Notice text=error problem=true/>
            <p>{lang.t(
                "工作日按国务院办公厅每年发布的节假日安排计算：法定节假日放假，调休的周末上班。2020–2026 年已内置；新的一年公布后，请按下列格式上传（每行一个日期或日期段，R 表示放假，W 表示调休上班）。任何一行有错都不会导入。",
                "Working days follow the State Council's yearly holiday notice: public holidays are rest days, adjusted weekends (调休) are working days. 2020–2026 are built in; when a new year is published, upload it in this format (one date or range a line, R rest, W working). One bad line loads nothing.",
            )}</p>
            <pre class="sample">"# 2027\n2027-01-01 R 元旦\n2027-02-06..2027-02-13 R 春节\n2027-02-14 W 春节调休上班"</pre>
            <table class="list calendar">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("年份", "Year")}</th>
                        <th scope="col">{lang.t("来源", "Source")}</th>
                        <th scope="col">{lang.t("放假天数", "Holiday days")}</th>
                        <th scope="col">{lang.t("调休上班", "Working weekends")}</th>
                        <th scope="col">{lang.t("逐日核对", "Every day")}</th>
                    </tr>
                </thead>
                <tbody>
                    {years.into_iter().map(|y| view! {
                        <tr>
                            <td>{y.year}</td>
                            <td>{y.source}</td>
                            <td>{y.holidays}</td>
                            <td>{y.working_weekends}</td>
                            <td><a href=format!("/admin/calendar/{}.txt", y.year)>{format!("{}.txt", y.year)}</a></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form method="post" action="/admin/calendar" enctype="multipart/form-data" class="form">
                <Csrf token=csrf/>
                <label>
                    <span>{lang.t("年份", "Year")}</span>
                    <input name="year" inputmode="numeric" pattern="[0-9]{4}" required/>
                </label>
                <label>
                    <span>{lang.t("节假日文件（UTF-8 文本）", "Holiday file (UTF-8 text)")}</span>
                    <input type="file" name="file" accept=".txt,text/plain" required/>
                </label>
                <button type="submit" class="submit">{lang.t("检查并导入", "Check and load")}</button>
            </form>
        </Shell>
    }
}

/// One field of the policy form: what the region sets (empty: inherited) and
/// what is in force.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyForm {
    pub region_code: String,
    pub region_name: String,
    /// "" (inherit), "none", or a level code.
    pub default_level: String,
    pub default_after: (String, String),
    pub reminder_hours: String,
    pub follow_up_within: (String, String),
    /// "" (inherit), "required", "encouraged".
    pub real_name: String,
    pub first_contact: (String, String),
    pub rectify: (String, String),
    pub rectify_extension: (String, String),
    pub citation: String,
    /// The policy in force, one line per rule.
    pub effective: Vec<(String, String)>,
}

#[component]
fn SpanInput(lang: Lang, name: &'static str, label: &'static str, value: (String, String)) -> impl IntoView {
    let (n, unit) = value;
    view! {
        <label>
            <span>{label}</span>
            <span class="span-input">
                <input name=format!("{name}_n") value=n inputmode="numeric" size="4" placeholder=lang.t("继承", "inherit")/>
                <select name=format!("{name}_unit")>
                    <option value="working_days" selected=unit != "days">{lang.t("个工作日", "working days")}</option>
                    <option value="days" selected=unit == "days">{lang.t("天", "days")}</option>
                </select>
            </span>
        </label>
    }
}

/// `/admin/policies/{region}`: what a region sets of its policy; every empty
/// field is inherited from the region above.
#[component]
pub fn PolicyPage(nav: Nav, form: PolicyForm, notice: Option<String>, error: Option<String>) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let level_options = domain::Level::ALL.map(|l| (l.code(), lang.level(l)));
    let dl = form.default_level.clone();
    let rn = form.real_name.clone();
    view! {
        <Shell nav=nav title=format!("{} · {}", lang.t("评价政策", "Rating policy"), form.region_name)>
            <Notice text=notice/>
            <Notice text=error problem=true/>
            <h2>{lang.t("现行政策", "In force")}</h2>
            <dl class="case policy">
                {form.effective.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
            <h2>{lang.t("本地区设置（留空则沿用上级）", "Set here (empty: inherited from above)")}</h2>
            <form method="post" action=format!("/admin/policies/{}", form.region_code) class="form">
                <Csrf token=csrf/>
                <label>
                    <span>{lang.t("未评价时的默认等级", "Default level when not rated")}</span>
                    <select name="default_level">
                        <option value="" selected=dl.is_empty()>{lang.t("继承上级", "Inherit")}</option>
                        <option value="none" selected=dl == "none">{lang.t("不设默认评价", "No default rating")}</option>
                        {level_options.into_iter().map(|(code, label)| {
                            let sel = dl == code;
                            view! { <option value=code selected=sel>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <SpanInput lang=lang name="default_after" label=lang.t("默认评价期限（办结后）", "Default after (from completion)") value=form.default_after/>
                <label>
                    <span>{lang.t("提醒短信（办结后小时数）", "Reminder SMS (hours after completion)")}</span>
                    <input name="reminder_hours" value=form.reminder_hours inputmode="numeric" placeholder=lang.t("继承", "inherit")/>
                </label>
                <SpanInput lang=lang name="follow_up_within" label=lang.t("追加评价期限（首评后）", "Follow-up within (after the first rating)") value=form.follow_up_within/>
                <label>
                    <span>{lang.t("实名评价", "Real-name rating")}</span>
                    <select name="real_name">
                        <option value="" selected=rn.is_empty()>{lang.t("继承上级", "Inherit")}</option>
                        <option value="required" selected=rn == "required">{lang.t("必须实名", "Required")}</option>
                        <option value="encouraged" selected=rn == "encouraged">{lang.t("鼓励实名", "Encouraged")}</option>
                    </select>
                </label>
                <SpanInput lang=lang name="first_contact" label=lang.t("差评首次联系时限", "Bad rating: first contact within") value=form.first_contact/>
                <SpanInput lang=lang name="rectify" label=lang.t("整改时限", "Rectify within") value=form.rectify/>
                <SpanInput lang=lang name="rectify_extension" label=lang.t("整改延期上限", "Extension at most") value=form.rectify_extension/>
                <label>
                    <span>{lang.t("政策依据", "Source of these rules")}</span>
                    <input name="citation" value=form.citation maxlength="200"/>
                </label>
                <button type="submit" class="submit">{lang.t("保存", "Save")}</button>
            </form>
        </Shell>
    }
}
