//! The only parts of haocha's pages that ship to the browser as wasm.
//!
//! Each island renders the same markup on the server as in the browser: without
//! wasm the page is a plain HTML form (or a self-refreshing screen); with wasm the
//! island takes over the form for instant feedback without a reload.

use domain::{Level, Polarity, Tag, TAGS};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Lang;

/// Nothing to do: calling it makes the linker keep this module's exports.
pub fn linked() {}

/// Tags offered for the staff member: the dimensions about people.
pub const STAFF_TAGS: [Tag; 5] = [Tag::Attitude, Tag::Norms, Tag::Competence, Tag::Efficiency, Tag::Integrity];

/// Everything the rating form needs, serialised into the page for hydration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormInit {
    /// Where the form posts: `/r/{token}` for a case, `/q/1/w/{code}` for a static code.
    pub action: String,
    /// The one-time submission id of a static code's form (a resend stores nothing new).
    pub submission: Option<String>,
    /// The first fieldset's legend when it is not the service item (static codes).
    pub legend: Option<String>,
    pub lang: Lang,
    /// "王丽（工号 S1001）" when the case has a staff member to rate.
    pub staff_label: Option<String>,
    pub level: Option<String>,
    pub tags: Vec<String>,
    pub comment: String,
    pub staff_level: Option<String>,
    pub staff_tags: Vec<String>,
    /// A message from the server after a refused no-JS submission.
    pub error: Option<String>,
    /// A 一件事 bundle with unrated items: whether this rating covers them all
    /// (`Some(true)` checked by default).
    #[serde(default)]
    pub bundle_whole: Option<bool>,
}

pub fn tag_phrase(lang: Lang, tag: Tag, level: Option<Level>) -> String {
    match (level, lang) {
        (None, Lang::Zh) => tag.label_zh().to_string(),
        (None, Lang::En) => tag.label_en().to_string(),
        (Some(l), Lang::Zh) => tag.phrase_zh(if l.is_bad() { Polarity::Reason } else { Polarity::Praise }),
        (Some(l), Lang::En) => tag.phrase_en(if l.is_bad() { Polarity::Reason } else { Polarity::Praise }),
    }
}

fn toggle(list: RwSignal<Vec<String>>, code: &'static str, on: bool) {
    list.update(|v| {
        v.retain(|c| c != code);
        if on {
            v.push(code.to_string());
        }
    });
}

/// Five large level buttons (text + face, never colour alone, none pre-selected)
/// and the tag checkboxes whose wording follows the chosen level.
/// The five levels and the tags: shared by the rating page's island and the
/// kiosk bundle (`device/`).
#[component]
pub fn LevelAndTags(
    lang: Lang,
    name: &'static str,
    tag_name: &'static str,
    tags_offered: Vec<Tag>,
    level: RwSignal<Option<Level>>,
    tags: RwSignal<Vec<String>>,
    required: bool,
) -> impl IntoView {
    let initial_level = level.get_untracked();
    let initial_tags = tags.get_untracked();
    let needs_reason = move || level.get().is_some_and(|l| l.is_bad()) && tags.with(|t| t.is_empty());
    view! {
        <div class="levels" role="radiogroup">
            {Level::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <label class="level" class:bad=l.is_bad()>
                            <input
                                type="radio"
                                name=name
                                value=l.code()
                                checked=initial_level == Some(l)
                                required=required
                                on:change=move |_| level.set(Some(l))
                            />
                            <span class="face" aria-hidden="true">{l.icon()}</span>
                            <span class="text">{lang.level(l)}</span>
                        </label>
                    }
                })
                .collect_view()}
        </div>
        <p class="hint" class:alert=needs_reason>
            {lang.t("选择“不满意”或“非常不满意”时，请至少勾选一项原因。", "For a bad rating, tick at least one reason.")}
        </p>
        <div class="tags">
            {tags_offered
                .into_iter()
                .map(|tag| {
                    let code = tag.code();
                    view! {
                        <label class="tag">
                            <input
                                type="checkbox"
                                name=tag_name
                                value=code
                                checked=initial_tags.iter().any(|c| c == code)
                                on:change=move |ev| toggle(tags, code, event_target_checked(&ev))
                            />
                            <span>{move || tag_phrase(lang, tag, level.get())}</span>
                        </label>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Leptos writes `<textarea>` children unescaped (it treats them like `<script>`):
/// escape them here, or a comment containing `</textarea>` would break out of the
/// form when the server shows it again. Browsers decode these entities in a textarea.
pub fn escape_rcdata(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The check the server makes too (`domain::RatingInput::parse`), shown before sending.
fn client_check(lang: Lang, level: Option<Level>, tags: &[String], staff_level: Option<Level>, staff_tags: &[String]) -> Option<String> {
    // The server's own rule (`RatingInput::parse`) and its own words, checked
    // before sending so that a slow network is not spent on a refusal.
    let code = level.map(|l| l.code()).unwrap_or("");
    if let Err(e) = domain::RatingInput::parse(code, tags, None) {
        return Some(crate::text::rating_error(lang, &e, false).to_string());
    }
    if let Some(l) = staff_level {
        if let Err(e) = domain::RatingInput::parse(l.code(), staff_tags, None) {
            return Some(crate::text::rating_error(lang, &e, true).to_string());
        }
    }
    None
}

#[island]
pub fn RatingForm(init: FormInit) -> impl IntoView {
    let lang = init.lang;
    let level = RwSignal::new(init.level.as_deref().and_then(Level::parse));
    let tags = RwSignal::new(init.tags.clone());
    let staff_level = RwSignal::new(init.staff_level.as_deref().and_then(Level::parse));
    let staff_tags = RwSignal::new(init.staff_tags.clone());
    let comment = RwSignal::new(init.comment.clone());
    let error = RwSignal::new(init.error.clone());
    let done = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    // Effects run only in the browser: marks the form as taken over by wasm.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // StoredValue is Copy, so the handlers below are Copy and the form can be re-rendered.
    let action = StoredValue::new(format!("{}?lang={}", init.action, lang.code()));
    let submission = StoredValue::new(init.submission.clone());
    let legend = init
        .legend
        .clone()
        .unwrap_or_else(|| lang.t("对办理事项的评价", "Your rating of the service").to_string());
    let staff_label = StoredValue::new(init.staff_label.clone());
    let offers_bundle = init.bundle_whole.is_some();
    let bundle_whole = RwSignal::new(init.bundle_whole.unwrap_or(false));

    #[cfg(feature = "hydrate")]
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        error.set(None);
        let mut fields: Vec<(&str, String)> = Vec::new();
        if let Some(l) = level.get_untracked() {
            fields.push(("level", l.code().to_string()));
        }
        for t in tags.get_untracked() {
            fields.push(("tags", t));
        }
        fields.push(("comment", comment.get_untracked()));
        if let Some(id) = submission.get_value() {
            fields.push(("submission", id));
        }
        if let Some(l) = staff_level.get_untracked() {
            fields.push(("staff_level", l.code().to_string()));
        }
        for t in staff_tags.get_untracked() {
            fields.push(("staff_tags", t));
        }
        if bundle_whole.get_untracked() {
            fields.push(("bundle", "whole".to_string()));
        }
        let url = action.get_value();
        leptos::task::spawn_local(async move {
            match crate::islands::client::post_form(&url, &fields).await {
                Ok(reply) if reply.ok => done.set(Some(reply.message)),
                Ok(reply) => error.set(Some(reply.message)),
                Err(()) => error.set(Some(
                    lang.t(
                        "网络异常，评价尚未提交，请稍后重试。",
                        "Network problem: not sent yet, please try again.",
                    )
                    .into(),
                )),
            }
            sending.set(false);
        });
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if let Some(msg) = client_check(
            lang,
            level.get_untracked(),
            &tags.get_untracked(),
            staff_level.get_untracked(),
            &staff_tags.get_untracked(),
        ) {
            ev.prevent_default();
            error.set(Some(msg));
        } else {
            #[cfg(feature = "hydrate")]
            send(ev);
        }
    };
    view! {
        // Both parts are always in the page and `hidden` switches between them:
        // smaller wasm than re-rendering through `Show`, and the same for SSR.
        <div class="result ok" role="status" hidden=move || done.get().is_none()>
            <p class="result-icon" aria-hidden="true">"✓"</p>
            <h2>{lang.t("评价成功，感谢您的评价！", "Thank you, your rating is saved.")}</h2>
            <p>{move || done.get().unwrap_or_default()}</p>
        </div>
        <form
            class="rating-form"
            method="post"
            action=action.get_value()
            on:submit=on_submit
            data-hydrated=move || hydrated.get().then_some("true")
            hidden=move || done.get().is_some()
        >
                {submission.get_value().map(|id| view! { <input type="hidden" name="submission" value=id/> })}
                <fieldset>
                    <legend>{legend}</legend>
                    <LevelAndTags
                        lang=lang
                        name="level"
                        tag_name="tags"
                        tags_offered=TAGS.to_vec()
                        level=level
                        tags=tags
                        required=true
                    />
                    {offers_bundle.then(|| view! {
                        <label class="tag bundle-whole">
                            <input
                                type="checkbox"
                                name="bundle"
                                value="whole"
                                checked=bundle_whole.get_untracked()
                                on:change=move |ev| bundle_whole.set(event_target_checked(&ev))
                            />
                            <span>{lang.t("此评价适用于“一件事”的全部事项（整体评价）", "This rating covers every item of the bundle (rate as a whole)")}</span>
                        </label>
                    })}
                    <label class="comment">
                        <span>{lang.t("意见或建议（选填）", "Comments (optional)")}</span>
                        <textarea
                            name="comment"
                            maxlength="500"
                            rows="3"
                            on:input=move |ev| comment.set(event_target_value(&ev))
                        >
                            {escape_rcdata(&comment.get_untracked())}
                        </textarea>
                    </label>
                </fieldset>
                {staff_label
                    .get_value()
                    .map(|label| {
                        view! {
                            <fieldset class="staff">
                                <legend>
                                    {lang.t("对工作人员的评价（选填）：", "Rate the staff member (optional): ")} {label}
                                </legend>
                                <LevelAndTags
                                    lang=lang
                                    name="staff_level"
                                    tag_name="staff_tags"
                                    tags_offered=STAFF_TAGS.to_vec()
                                    level=staff_level
                                    tags=staff_tags
                                    required=false
                                />
                            </fieldset>
                        }
                    })}
                <p class="error" role="alert">
                    {move || error.get()}
                </p>
                <button type="submit" class="submit" disabled=move || sending.get()>
                    {move || {
                        if sending.get() { lang.t("正在提交…", "Sending…") } else { lang.t("提交评价", "Submit rating") }
                    }}
                </button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    //! Browser-only helpers: fetch through web-sys (no extra crates).

    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    pub struct Reply {
        pub ok: bool,
        pub message: String,
    }

    fn encode(fields: &[(&str, String)]) -> String {
        fields
            .iter()
            .map(|(k, v)| format!("{}={}", js_sys::encode_uri_component(k), js_sys::encode_uri_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Posts the form as `application/x-www-form-urlencoded` and reads the JSON reply.
    pub async fn post_form(url: &str, fields: &[(&str, String)]) -> Result<Reply, ()> {
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&encode(fields)));
        let headers = web_sys::Headers::new().map_err(|_| ())?;
        headers.set("Content-Type", "application/x-www-form-urlencoded").map_err(|_| ())?;
        headers.set("Accept", "application/json").map_err(|_| ())?;
        init.set_headers(&headers);
        let window = web_sys::window().ok_or(())?;
        let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| ())?;
        let resp: web_sys::Response = resp.dyn_into().map_err(|_| ())?;
        let json = JsFuture::from(resp.json().map_err(|_| ())?).await.map_err(|_| ())?;
        let message = js_sys::Reflect::get(&json, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default();
        Ok(Reply { ok: resp.ok(), message })
    }
}
