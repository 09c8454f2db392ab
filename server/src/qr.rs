//! QR images of rating links, SVG and PNG, sized to scan from arm's length.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Error correction M: survives smudges on a screen or a printed card while
/// keeping modules large.
fn code(data: &str) -> Result<QrCode, qrcode::types::QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
}

pub fn svg(data: &str) -> Result<String, qrcode::types::QrError> {
    Ok(code(data)?
        .render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// The SVG without its XML declaration, for inlining into an HTML page.
pub fn svg_inline(data: &str) -> Result<String, qrcode::types::QrError> {
    let svg = svg(data)?;
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

/// A greyscale PNG: `scale` pixels a module, a 4-module quiet zone.
pub fn png(data: &str, scale: u32) -> Result<Vec<u8>, String> {
    let code = code(data).map_err(|e| e.to_string())?;
    let width = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i as u32 % width + quiet, i as u32 / width + quiet);
            for y in my * scale..(my + 1) * scale {
                let row = (y * side) as usize;
                pixels[row + (mx * scale) as usize..row + ((mx + 1) * scale) as usize].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&pixels).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A PNG at least `min_px` pixels wide, for print (whole pixels a module).
pub fn png_at_least(data: &str, min_px: u32) -> Result<Vec<u8>, String> {
    let modules = code(data).map_err(|e| e.to_string())?.width() as u32 + 8;
    png(data, min_px.div_ceil(modules))
}
