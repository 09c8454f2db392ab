//! The working-day calendar page.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};

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
