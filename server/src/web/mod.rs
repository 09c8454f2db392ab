//! The web layer every route module uses, and the only thing they share:
//! extractors (client address, language, the signed-in person, a paired
//! device), the form readers, and the two error types with their one mapping
//! each to HTTP. Route modules (`rating`, `places`, `public`, `admin/…`,
//! `device/…`, `api/…`) import this, `store` and `app` — never each other.

pub mod exports;
pub mod extract;
pub mod forms;
pub mod headers;
pub mod respond;

pub use extract::{
    Admin, Anyone, CenterOrSystem, ClientAddr, Ctx, LangQuery, Language, PageQuery, Paired, PairedApi, Signed, Staff, System,
};
pub use forms::{form_field, form_map, url_part};
pub use respond::{html, json, ApiError, ErrorBody, Message, PageError};
