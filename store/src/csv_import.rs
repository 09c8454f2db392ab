//! CSV import of windows, staff and service items. Excel in China saves CSV as
//! GBK, so both UTF-8 (with or without BOM) and GBK are read. The whole file is
//! checked first: one bad row (reported by line and column) imports nothing; a
//! good file imports in one transaction, each row audited.

use std::collections::BTreeMap;

use sea_orm::TransactionTrait;

use crate::accounts::Actor;
use crate::admin::{self, Input, Kind};
use crate::audit::Meta;
use crate::{immediate, Db, Error, Result};

/// Files above this are refused (100 000 staff rows fit well under it).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column's header as in the file, or empty for a whole-row problem.
    pub column: String,
    pub problem: RowProblem,
}

/// What is wrong with a row (or the file), in types; `app::text` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The file's shape (encoding, header, columns), as the CSV reader says it.
    File(String),
    /// A field the record's rules refuse.
    Invalid(crate::Reason),
    /// Outside the importer's scope.
    Forbidden,
    Conflict(crate::Conflict),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported { created: usize, updated: usize, unchanged: usize },
    Rejected(Vec<RowError>),
}

/// The template's header: Chinese label then the field name, e.g. `工号 code`
/// would be awkward in Excel, so the header is the Chinese label alone; English
/// field names are accepted too.
pub fn template(kind: Kind) -> Option<String> {
    if !kind.importable() {
        return None;
    }
    let header: Vec<&str> = kind.fields().iter().map(|f| f.zh).collect();
    let example = match kind {
        Kind::Items => "11210100MB0001-003,企业变更登记,U-MARKET",
        Kind::Windows => "W07,7号窗口 综合受理,H-SY-01,U-MARKET",
        Kind::Staff => "S1007,孙悦,U-MARKET,",
        _ => "",
    };
    // A UTF-8 BOM so that Excel opens the template with the right encoding.
    Some(format!("\u{feff}{}\r\n{example}\r\n", header.join(",")))
}

/// UTF-8 (BOM stripped) when the bytes are valid UTF-8, else GBK/GB18030.
pub fn decode(bytes: &[u8]) -> std::result::Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err("the file is neither UTF-8 nor GBK text / 文件既不是 UTF-8 也不是 GBK 编码".into());
    }
    Ok(text.into_owned())
}

fn header_matches(field: &admin::Field, h: &str) -> bool {
    let h = h.trim().trim_start_matches('\u{feff}');
    h == field.zh || h.eq_ignore_ascii_case(field.name) || h.eq_ignore_ascii_case(field.en)
}

fn err(line: u64, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.to_string(),
        problem: RowProblem::File(message.into()),
    }
}

/// Checks and imports a file. Database errors are returned as `Err`; problems
/// with the file's content come back as `Outcome::Rejected`.
pub async fn import(db: &Db, actor: &Actor, kind: Kind, bytes: &[u8], meta: &Meta) -> Result<Outcome> {
    if !kind.importable() || !admin::can_list(actor, kind) {
        return Err(Error::Forbidden);
    }
    if bytes.len() > MAX_BYTES {
        return Ok(Outcome::Rejected(vec![err(
            0,
            "",
            format!("the file is larger than {} MB", MAX_BYTES / 1024 / 1024),
        )]));
    }
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(m) => return Ok(Outcome::Rejected(vec![err(0, "", m)])),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Ok(Outcome::Rejected(vec![err(1, "", e.to_string())])),
    };
    let fields = kind.fields();
    let mut columns: Vec<(usize, &admin::Field)> = Vec::new();
    let mut errors = Vec::new();
    for field in fields {
        match headers.iter().position(|h| header_matches(field, h)) {
            Some(i) => columns.push((i, field)),
            None if matches!(field.input, Input::Url) => {}
            None => errors.push(err(
                1,
                field.zh,
                format!("missing column `{}` / 缺少列「{}」", field.name, field.zh),
            )),
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Rejected(errors));
    }
    // The file line a record starts on, from its byte offset (quoted fields may
    // span lines, so records and lines are not one to one).
    let (mut counted_to, mut line_at) = (0usize, 1u64);
    let mut line_of = |byte: u64| {
        let mut byte = (byte as usize).min(text.len());
        // After a CRLF the reader reports the record at the LF.
        while byte < text.len() && matches!(text.as_bytes()[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte >= counted_to {
            line_at += text.as_bytes()[counted_to..byte].iter().filter(|b| **b == b'\n').count() as u64;
            counted_to = byte;
        }
        line_at
    };
    let mut rows: Vec<(u64, BTreeMap<String, String>)> = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_of(p.byte())).unwrap_or(0);
                errors.push(err(line, "", e.to_string()));
                continue;
            }
        };
        let line = rec.position().map(|p| line_of(p.byte())).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut form = BTreeMap::new();
        for (i, field) in &columns {
            form.insert(field.name.to_string(), rec.get(*i).unwrap_or("").trim().to_string());
        }
        let code = form.get("code").cloned().unwrap_or_default();
        if let Some(first) = seen.insert(code.clone(), line) {
            errors.push(err(
                line,
                fields[0].zh,
                format!("`{code}` is also on line {first} / 与第 {first} 行重复"),
            ));
        }
        rows.push((line, form));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(err(2, "", "the file has no data rows / 文件没有数据行"));
    }
    admin::remembering(write_rows(db, actor, kind, rows, errors, meta)).await
}

/// Checks every row, then writes them all, or nothing when a row is refused.
async fn write_rows(
    db: &Db,
    actor: &Actor,
    kind: Kind,
    rows: Vec<(u64, BTreeMap<String, String>)>,
    mut errors: Vec<RowError>,
    meta: &Meta,
) -> Result<Outcome> {
    let fields = kind.fields();
    // Pass 1: every row checked against the same rules as a save, reading
    // only — no transaction holds the writer while a large file is checked.
    let mut plan: Vec<(u64, Option<String>, BTreeMap<String, String>)> = Vec::with_capacity(rows.len());
    let codes: Vec<String> = rows.iter().filter_map(|(_, f)| f.get("code").cloned()).collect();
    let existing = admin::existing(db, kind, &codes).await?;
    for (line, mut form) in rows {
        let code = form.get("code").cloned().unwrap_or_default();
        // An imported row updates an existing object and keeps it active.
        form.insert("active".into(), "on".into());
        // As an update of the object with this code; as a create when there is none.
        let target = existing.contains(&code).then(|| code.clone());
        let outcome = admin::check(db, actor, kind, target.as_deref(), &form).await.map(|()| target);
        match outcome {
            Ok(target) => plan.push((line, target, form)),
            Err(Error::Forbidden) => errors.push(err(
                line,
                fields[0].zh,
                format!("`{code}` is outside your scope / 不在您的管理范围内"),
            )),
            Err(e) => errors.push(row_error(fields, line, e)?),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(Outcome::Rejected(errors));
    }
    // Pass 2: written in short transactions (at most ~40 ms each), so that a
    // rating submitted meanwhile waits for one of them at most (issue 13 item
    // 12), never for the whole file.
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    let mut rest = plan.iter().peekable();
    while rest.peek().is_some() {
        let txn = db.begin_with_options(immediate()).await?;
        let started = std::time::Instant::now();
        let mut chunk = (0, 0, 0);
        while started.elapsed() < CHUNK_TIME {
            let Some((line, target, form)) = rest.next() else { break };
            match admin::save_in(&txn, actor, kind, target.as_deref(), form, meta).await {
                Ok((_, "create")) => chunk.0 += 1,
                Ok((_, "update")) => chunk.1 += 1,
                Ok(_) => chunk.2 += 1,
                Err(e) => {
                    // Only a change made between the two passes gets here
                    // (someone took a code meanwhile): this chunk is undone,
                    // what was written before it stays, and the file says so.
                    txn.rollback().await?;
                    let done = created + updated + unchanged;
                    let mut errors = vec![row_error(fields, *line, e)?];
                    if done > 0 {
                        errors.push(err(
                            *line,
                            "",
                            format!(
                                "the {done} rows before this one were imported; fix this row and import the file again \
                                 (imported rows then count as unchanged) / 此行之前的 {done} 行已导入；改正此行后重新导入整个文件即可（已导入的行记为未变）"
                            ),
                        ));
                    }
                    return Ok(Outcome::Rejected(errors));
                }
            }
        }
        txn.commit().await?;
        created += chunk.0;
        updated += chunk.1;
        unchanged += chunk.2;
    }
    Ok(Outcome::Imported {
        created,
        updated,
        unchanged,
    })
}

/// How long one write transaction of an import may hold the writer.
const CHUNK_TIME: std::time::Duration = std::time::Duration::from_millis(40);

/// A refused row as the import page lists it; database errors pass through.
fn row_error(fields: &[admin::Field], line: u64, e: Error) -> Result<RowError> {
    Ok(match e {
        Error::Invalid { field, reason } => {
            let column = fields.iter().find(|f| f.name == field).map(|f| f.zh).unwrap_or(field);
            RowError {
                line,
                column: column.to_string(),
                problem: RowProblem::Invalid(reason),
            }
        }
        Error::Forbidden => RowError {
            line,
            column: String::new(),
            problem: RowProblem::Forbidden,
        },
        Error::Conflict(c) => RowError {
            line,
            column: fields[0].zh.to_string(),
            problem: RowProblem::Conflict(c),
        },
        e @ Error::Db(_) => return Err(e),
        other => err(line, "", other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_and_utf8_with_bom_decode_alike() {
        let (gbk, _, _) = encoding_rs::GBK.encode("工号,姓名\r\n");
        assert_eq!(decode(&gbk).unwrap(), "工号,姓名\r\n");
        assert_eq!(decode("\u{feff}工号".as_bytes()).unwrap(), "工号");
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn template_headers_match_the_fields() {
        let t = template(Kind::Windows).unwrap();
        assert!(t.starts_with("\u{feff}窗口编码,窗口名称,所在大厅,运行部门\r\n"));
        assert!(template(Kind::Regions).is_none());
    }
}
