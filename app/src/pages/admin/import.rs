//! The CSV import page of a kind of record.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};

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
