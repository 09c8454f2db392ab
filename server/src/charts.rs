//! Server-rendered SVG charts (plotters' SVG backend; text stays SVG text, so
//! no font is needed here and the browser renders Chinese). Every chart has a
//! `<title>` and `role="img"`; the page shows the same numbers as a table for
//! screen readers and for printing. Labels are escaped by plotters.

use plotters::prelude::*;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 260;

const COLOURS: [RGBColor; 3] = [RGBColor(0x1f, 0x5f, 0xa8), RGBColor(0xc0, 0x39, 0x2b), RGBColor(0x27, 0x8a, 0x4b)];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Puts `title` into the SVG as its accessible name.
fn titled(svg: String, title: &str) -> String {
    match svg.find('>') {
        Some(i) => format!(
            "{} role=\"img\" aria-label=\"{}\"><title>{}</title>{}",
            &svg[..i],
            escape(title).replace('"', "&quot;"),
            escape(title),
            &svg[i + 1..]
        ),
        None => svg,
    }
}

fn label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// Lines of shares (0–1, `None` where there is no denominator) over the
/// `labels` (periods), in percent.
pub fn trend(title: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let n = labels.len().max(1) as f64;
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .x_label_area_size(28)
                .y_label_area_size(44)
                .build_cartesian_2d(-0.5..n - 0.5, 0.0..100.0)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(labels.len().min(12))
                .x_label_formatter(&|x| label(labels, *x))
                .y_label_formatter(&|y| format!("{y:.0}%"))
                .draw()?;
            for (i, (name, values)) in series.iter().enumerate() {
                let colour = COLOURS[i % COLOURS.len()];
                let points: Vec<(f64, f64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(x, v)| v.map(|v| (x as f64, v * 100.0)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
                chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled())))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.3))
                .draw()?;
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::warn!("chart not drawn: {e}");
        }
    }
    titled(svg, title)
}

/// Bars of counts, one per label.
pub fn bars(title: &str, bars: &[(String, u64)]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let top = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64 * 1.15;
        let n = bars.len().max(1) as f64;
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .x_label_area_size(28)
                .y_label_area_size(44)
                .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(bars.len())
                .x_label_formatter(&|x| label(&labels, *x))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw()?;
            chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, *v as f64)], COLOURS[0].filled())
            }))?;
            chart.draw_series(
                bars.iter()
                    .enumerate()
                    .map(|(i, (_, v))| Text::new(v.to_string(), (i as f64 - 0.1, *v as f64 + top * 0.02), ("sans-serif", 12))),
            )?;
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::warn!("chart not drawn: {e}");
        }
    }
    titled(svg, title)
}
