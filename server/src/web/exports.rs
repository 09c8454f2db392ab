//! Downloads of tables: CSV (UTF-8 with a BOM, so Excel opens Chinese right)
//! and XLSX (rust_xlsxwriter). A cell that starts with `=`, `+`, `-` or `@`
//! gets a leading `'` so no spreadsheet runs it as a formula (a comment or a
//! name is typed by citizens and staff).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One sheet: its name, its header and its rows.
pub type Table = (String, Vec<String>, Vec<Vec<String>>);

/// A cell as it is written out.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn disposition(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap_or(HeaderValue::from_static("attachment"))
}

/// Rows as a CSV download.
pub fn csv_response(name: &str, rows: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .map(|c| {
                let c = neutralise(c);
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition(name)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        out,
    )
        .into_response()
}

/// Tables (sheet name, header, rows) as an XLSX download. The first
/// `text_cols` columns (codes, names, periods) are text; in the others whole
/// numbers are written as numbers, everything else as text.
pub fn xlsx_response(name: &str, tables: &[Table], text_cols: usize) -> Result<Response, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (sheet, head, rows) in tables {
        let ws = book.add_worksheet();
        let title: String = sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        ws.set_name(if title.is_empty() { "Sheet" } else { &title })?;
        for (c, h) in head.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, neutralise(h), &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let number = c >= text_cols && cell.len() < 16 && (cell == "0" || !cell.starts_with(['0', '+', '-']));
                match cell.parse::<i64>() {
                    Ok(n) if number => ws.write_number(r, c as u16, n as f64)?,
                    _ => ws.write_string(r, c as u16, neutralise(cell))?,
                };
            }
        }
    }
    let bytes = book.save_to_buffer()?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            (header::CONTENT_DISPOSITION, disposition(name)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}
