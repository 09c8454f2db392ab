//! The evaluators of a window: pairing and revoking.

use leptos::prelude::*;

use super::{Csrf, Nav, Shell};

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
    /// Center and system administrators may pair a hall-wide kiosk.
    #[prop(optional)]
    may_pair_kiosk: bool,
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
            {may_pair_kiosk.then(|| view! {
                <form method="post" action=format!("/admin/devices/{window_code}/pair") class="inline">
                    <Csrf token=csrf.clone()/>
                    <input type="hidden" name="kind" value="kiosk"/>
                    <button type="submit">{lang.t("自助终端配对码（全大厅）", "Kiosk pairing code (whole hall)")}</button>
                </form>
            })}
            <p class="hint">{lang.t(
                "评价器与窗口屏只评价/显示本窗口；自助终端可评价本大厅任一窗口或整个大厅，只能由中心或系统管理员配对。",
                "An evaluator or window screen serves this window only; a kiosk rates any window of the hall or the hall itself and is paired only by a center or system administrator.",
            )}</p>
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
