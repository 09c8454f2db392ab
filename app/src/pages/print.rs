//! `/print/{window|hall}/{code}`: an A4 poster (one code, the place's name,
//! "扫码评价" and a short instruction) and table cards, six to an A4 page, with
//! print CSS; each code also downloads as SVG and PNG.

use leptos::prelude::*;

use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintCode {
    /// The static URL the code holds.
    pub url: String,
    pub title: String,
    pub subtitle: String,
    /// Inline SVG of the code.
    pub svg: String,
    pub svg_href: String,
    pub png_href: String,
}

#[component]
fn Card(lang: Lang, code: PrintCode) -> impl IntoView {
    view! {
        <div class="card">
            <p class="card-scan">{lang.t("扫码评价", "Scan to rate")}</p>
            <div class="qr" data-url=code.url.clone() inner_html=code.svg.clone()></div>
            <p class="card-title">{code.title.clone()}</p>
            <p class="card-sub">{code.subtitle.clone()}</p>
        </div>
    }
}

#[component]
pub fn PrintPage(lang: Lang, title: String, codes: Vec<PrintCode>, back: String) -> impl IntoView {
    let poster = codes.first().cloned();
    // A window prints six cards of its code; a hall one card per window.
    let cards: Vec<PrintCode> = if codes.len() == 1 {
        std::iter::repeat_n(codes[0].clone(), 6).collect()
    } else {
        codes.iter().skip(1).cloned().collect()
    };
    let pages: Vec<Vec<PrintCode>> = cards.chunks(6).map(|c| c.to_vec()).collect();
    view! {
        <link rel="stylesheet" href=crate::assets::url("/print.css")/>
        <div class="no-print print-help">
            <h1>{title}</h1>
            <p>
                {lang.t(
                    "第 1 页为 A4 海报，其后为桌签（每页 6 张，沿虚线裁开）。打印时请选择 A4 纸、100% 缩放。",
                    "Page 1 is an A4 poster, then table cards (six a page, cut along the dashed lines). Print on A4 at 100% scale.",
                )}
            </p>
            <button type="button" id="print-now">{lang.t("打印", "Print")}</button>
            // An inline script (allowed by its hash), not an onclick attribute: the
            // Content Security Policy allows no inline event handlers.
            <script>"document.getElementById('print-now').addEventListener('click',function(){window.print()});"</script>
            " "
            <a href=back>{lang.t("返回", "Back")}</a>
            <ul class="downloads">
                {codes
                    .iter()
                    .map(|c| {
                        view! {
                            <li>
                                {c.title.clone()} " · "
                                <a href=c.svg_href.clone() download>"SVG"</a> " · "
                                <a href=c.png_href.clone() download>"PNG (1200 px)"</a> " · "
                                <code>{c.url.clone()}</code>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </div>
        {poster.map(|p| view! {
            <section class="poster">
                <p class="poster-scan">{lang.t("扫码评价", "Scan to rate")}</p>
                <div class="qr" data-url=p.url.clone() inner_html=p.svg.clone()></div>
                <p class="poster-title">{p.title.clone()}</p>
                <p class="poster-sub">{p.subtitle.clone()}</p>
                <p class="poster-help">
                    {lang.t(
                        "请用手机扫描二维码，对本次服务作出评价。评价自愿、免费，工作人员看不到您的评价内容。",
                        "Scan the code with your phone to rate the service. Rating is voluntary and free; staff cannot see what you chose.",
                    )}
                </p>
                <p class="poster-brand">{lang.t("政务服务“好差评”", "Government service rating")}</p>
            </section>
        })}
        {pages
            .into_iter()
            .map(|page| view! {
                <section class="cards">
                    {page.into_iter().map(|c| view! { <Card lang=lang code=c/> }).collect_view()}
                </section>
            })
            .collect_view()}
    }
}
