//! The phone invitation page: recording a rating given on the phone.

use leptos::prelude::*;

use super::{Csrf, Nav, Notice, Shell};
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneCaseView {
    pub case_number: String,
    /// The business system that reported the case (a number is unique only within it).
    pub system_id: i32,
    pub system: String,
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
    /// When the number names cases of several business systems: (id, name) to choose from.
    #[prop(optional)]
    choices: Vec<(i32, String)>,
    notice: Option<String>,
    error: Option<String>,
) -> impl IntoView {
    let lang = nav.lang;
    let csrf = nav.csrf.clone();
    let choose = (!choices.is_empty()).then(|| {
        let n = super::encode(&number);
        view! {
            <ul class="choices">
                {choices.into_iter().map(|(id, name)| view! {
                    <li><a href=format!("/admin/phone-rating?case={n}&system={id}")>{name}" · "{lang.t("业务系统", "system")}" #"{id}</a></li>
                }).collect_view()}
            </ul>
        }
    });
    let form = case.map(|c| {
        let rated = c.rated;
        view! {
            <dl class="case">
                <div><dt>{lang.t("办件编号", "Case")}</dt><dd>{c.case_number.clone()}</dd></div>
                <div><dt>{lang.t("业务系统", "Business system")}</dt><dd>{c.system.clone()}" #"{c.system_id}</dd></div>
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
                        <input type="hidden" name="system" value=c.system_id.to_string()/>
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
            {choose}
            {form}
        </Shell>
    }
}
