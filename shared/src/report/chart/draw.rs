//! Drawing a chart into an in-memory bitmap and encoding it as PNG.

use plotters::prelude::*;

use super::super::document::Chart;
use super::font::{FAMILY, ensure_registered, face};
use super::text::Canvas;
use super::{ChartData, bars, trend};
use crate::report::ReportError;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 640;

/// Type sizes in pixels at full size (halved at Slack's preview width).
pub(super) const TITLE_PX: u32 = 40;
pub(super) const AXIS_PX: u32 = 30;
pub(super) const LABEL_PX: u32 = 28;
pub(super) const NOTE_PX: u32 = 22;

pub(super) fn font(px: u32) -> TextStyle<'static> {
    (FAMILY, px).into_font().color(&RGBColor(40, 40, 40))
}

/// A drawing failure, named after the chart.
pub(super) fn failed(chart: &Chart) -> impl Fn(&dyn std::fmt::Display) -> ReportError + '_ {
    move |e| ReportError::Chart {
        chart: chart.id.clone(),
        message: e.to_string(),
    }
}

/// Draws `chart` and returns the PNG file's bytes.
pub fn render(chart: &Chart) -> Result<Vec<u8>, ReportError> {
    let rgb = pixels(chart)?;
    encode(&rgb).map_err(|e| failed(chart)(&e))
}

/// Draws `chart`: `WIDTH` × `HEIGHT` pixels, three bytes (RGB) each, row by row.
pub(super) fn pixels(chart: &Chart) -> Result<Vec<u8>, ReportError> {
    ensure_registered()?;
    let font = face()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let bitmap = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT));
        let root = Canvas::new(bitmap, font).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(chart)(&e))?;
        match &chart.data {
            ChartData::Trend {
                label,
                unit,
                period,
                series,
            } => trend::draw(&root, chart, (label, *unit), *period, series)?,
            ChartData::IncidentsPerDay(days) => bars::incidents(&root, chart, days)?,
            ChartData::ResponseTimesPerWeek(weeks) => bars::response_times(&root, chart, weeks)?,
        }
        root.present().map_err(|e| failed(chart)(&e))?;
    }
    Ok(rgb)
}

fn encode(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}
