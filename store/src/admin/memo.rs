//! Reference look-ups (a unit's id by its code, a hall's region, a unit's
//! code and name) remembered for the length of one import: a 30,000-row file
//! names the same few units and halls on every row (issue 13 item 12).
//! Outside [`remembering`] nothing is remembered.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::Kind;

/// A reference's (code, name), or none when there is no such reference.
type CodeName = Option<(String, String)>;

#[derive(Default)]
struct Memo {
    ids: Mutex<HashMap<(Kind, String), Option<i32>>>,
    codes: Mutex<HashMap<(Kind, i32), CodeName>>,
    regions: Mutex<HashMap<(Kind, i32), Option<i32>>>,
}

tokio::task_local! {
    static MEMO: Arc<Memo>;
}

/// Runs `f` with reference look-ups remembered.
pub async fn remembering<F: Future>(f: F) -> F::Output {
    MEMO.scope(Arc::new(Memo::default()), f).await
}

fn with<T>(pick: impl FnOnce(&Memo) -> Option<T>) -> Option<T> {
    MEMO.try_with(|m| pick(m)).ok().flatten()
}

/// Only reference kinds are remembered: the rows being written are not.
fn remembered(kind: Kind) -> bool {
    matches!(kind, Kind::Regions | Kind::Units | Kind::Halls)
}

pub(super) fn id(kind: Kind, code: &str) -> Option<Option<i32>> {
    if !remembered(kind) {
        return None;
    }
    with(|m| m.ids.lock().ok()?.get(&(kind, code.to_string())).copied())
}

pub(super) fn keep_id(kind: Kind, code: &str, id: Option<i32>) {
    if remembered(kind) {
        with(|m| m.ids.lock().ok()?.insert((kind, code.to_string()), id));
    }
}

pub(super) fn code(kind: Kind, id: i32) -> Option<CodeName> {
    with(|m| m.codes.lock().ok()?.get(&(kind, id)).cloned())
}

pub(super) fn keep_code(kind: Kind, id: i32, v: CodeName) {
    with(|m| m.codes.lock().ok()?.insert((kind, id), v));
}

/// The region of a unit or hall.
pub(super) fn region(kind: Kind, id: i32) -> Option<Option<i32>> {
    with(|m| m.regions.lock().ok()?.get(&(kind, id)).copied())
}

pub(super) fn keep_region(kind: Kind, id: i32, v: Option<i32>) {
    with(|m| m.regions.lock().ok()?.insert((kind, id), v));
}
