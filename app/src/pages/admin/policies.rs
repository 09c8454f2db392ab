//! The rating policy page of a region.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};
use crate::Lang;

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
    pub device_per_minute: String,
    pub device_queue_hours: String,
    /// "60/20/10/10" or "" (inherit).
    pub rank_weights: String,
    pub rank_min_n: String,
    pub alert_bad_30d: String,
    /// "" (inherit), "yes", "no".
    pub publish_staff_numbers: String,
    pub follow_up_within: (String, String),
    /// "" (inherit), "required", "encouraged".
    pub real_name: String,
    pub first_contact: (String, String),
    pub rectify: (String, String),
    pub rectify_extension: (String, String),
    /// "" (inherit), "yes", "no".
    pub unit_sets_deadline: String,
    /// Issue 15: "" (inherit) or a profile (gbt39046, province-a, province-b).
    pub exchange_profile: String,
    pub exchange_dept_prefix: String,
    pub exchange_data_source: String,
    /// "" (inherit), "yes", "no".
    pub sms_rating_code: String,
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
    let usd = form.unit_sets_deadline.clone();
    let psn = form.publish_staff_numbers.clone();
    let xp = form.exchange_profile.clone();
    let src = form.sms_rating_code.clone();
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
                <label>
                    <span>{lang.t("评价器/自助终端每分钟评价上限（超出的标记为异常、不计入）", "Ratings per minute per evaluator or kiosk (more are flagged, not counted)")}</span>
                    <input name="device_per_minute" value=form.device_per_minute inputmode="numeric" placeholder=lang.t("继承", "inherit")/>
                </label>
                <label>
                    <span>{lang.t("设备离线评价最长保留（小时，更早的拒收）", "Offline ratings accepted from a device up to (hours; older are refused)")}</span>
                    <input name="device_queue_hours" value=form.device_queue_hours inputmode="numeric" placeholder=lang.t("继承", "inherit")/>
                </label>
                <label>
                    <span>{lang.t("排名权重 %（好评率/差评整改率/按期办结率/参评率，合计 100）", "Ranking weights % (good / rectified / on time / participation, total 100)")}</span>
                    <input name="rank_weights" value=form.rank_weights placeholder=lang.t("继承（默认 60/20/10/10）", "inherit (default 60/20/10/10)")/>
                </label>
                <label>
                    <span>{lang.t("参与排名的最少有效评价数", "Fewest valid ratings to be ranked")}</span>
                    <input name="rank_min_n" value=form.rank_min_n inputmode="numeric" placeholder=lang.t("继承（默认 30）", "inherit (default 30)")/>
                </label>
                <label>
                    <span>{lang.t("差评集中预警：30 天内差评超过（且超过自身基线两倍）", "Concentration alert: bad ratings in 30 days above (and above twice the usual)")}</span>
                    <input name="alert_bad_30d" value=form.alert_bad_30d inputmode="numeric" placeholder=lang.t("继承（默认 5）", "inherit (default 5)")/>
                </label>
                <label>
                    <span>{lang.t("公开页面显示整改案例的工作人员工号", "The public page shows the staff job number of rectified cases")}</span>
                    <select name="publish_staff_numbers">
                        <option value="" selected=psn.is_empty()>{lang.t("继承上级（默认不显示）", "Inherit (default: no)")}</option>
                        <option value="no" selected=psn == "no">{lang.t("不显示", "No")}</option>
                        <option value="yes" selected=psn == "yes">{lang.t("显示工号（不显示姓名）", "Job number (never the name)")}</option>
                    </select>
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
                    <span>{lang.t("办理期限由谁确定", "Who sets the handling deadline")}</span>
                    <select name="unit_sets_deadline">
                        <option value="" selected=usd.is_empty()>{lang.t("继承上级", "Inherit")}</option>
                        <option value="no" selected=usd == "no">{lang.t("按办理类型（1、5、15）", "By tier (1, 5, 15)")}</option>
                        <option value="yes" selected=usd == "yes">{lang.t("核实时由单位确定（不超过整改时限）", "The unit, at verification (within the rectification limit)")}</option>
                    </select>
                </label>
                <label>
                    <span>{lang.t("评价提醒短信的链接", "Link in the reminder SMS")}</span>
                    <select name="sms_rating_code">
                        <option value="" selected=src.is_empty()>{lang.t("继承上级（默认签名链接）", "Inherit (default: signed link)")}</option>
                        <option value="no" selected=src == "no">{lang.t("每件一条签名链接", "A signed link per case")}</option>
                        <option value="yes" selected=src == "yes">{lang.t("固定网址 /s + 6 位评价码（短信网关不接受变量链接时）", "Fixed address /s + 6-character code (for gateways that refuse links in variables)")}</option>
                    </select>
                </label>
                <label>
                    <span>{lang.t("上报平台的数据格式", "Format reported to the platform")}</span>
                    <select name="exchange_profile">
                        <option value="" selected=xp.is_empty()>{lang.t("继承上级（默认 GB/T 39046）", "Inherit (default GB/T 39046)")}</option>
                        <option value="gbt39046" selected=xp == "gbt39046">"GB/T 39046-2020"</option>
                        <option value="province-a" selected=xp == "province-a">{lang.t("省级格式 A", "Province format A")}</option>
                        <option value="province-b" selected=xp == "province-b">{lang.t("省级格式 B", "Province format B")}</option>
                    </select>
                </label>
                <label>
                    <span>{lang.t("上报部门编码前缀", "Department code prefix for reports")}</span>
                    <input name="exchange_dept_prefix" value=form.exchange_dept_prefix maxlength="32" placeholder=lang.t("继承", "inherit")/>
                </label>
                <label>
                    <span>{lang.t("上报数据来源（dataSource）", "Data source for reports (dataSource)")}</span>
                    <input name="exchange_data_source" value=form.exchange_data_source maxlength="32" placeholder=lang.t("继承", "inherit")/>
                </label>
                <label>
                    <span>{lang.t("政策依据", "Source of these rules")}</span>
                    <input name="citation" value=form.citation maxlength="200"/>
                </label>
                <button type="submit" class="submit">{lang.t("保存", "Save")}</button>
            </form>
        </Shell>
    }
}
