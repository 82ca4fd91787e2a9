//! The trend chart: a metric over the period, over a soft band of the period before.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::super::Period;
use super::super::document::Chart;
use super::super::metrics::{PeriodSeries, Point, Unit};
use super::describe::span;
use super::draw::{AXIS_PX, LABEL_PX, TITLE_PX, failed, font};
use super::line::runs;
use crate::report::ReportError;

const CURRENT: RGBColor = RGBColor(31, 119, 180);
/// Light enough for the line to read on top of it.
const PREVIOUS: RGBColor = RGBColor(195, 195, 195);
/// Means per line: five minutes in a day, 42 in a week; about four pixels apart.
const BUCKETS: usize = 288;
/// The band of the period before is `2 * BAND_RADIUS + 1` pixels thick.
const BAND_RADIUS: u32 = 4;
/// Half the width of the dash a lone reading is drawn as, in pixels.
const LONE_HALF_PX: u32 = 5;

/// Hours from `start`.
fn hours(points: &[Point], start: i64) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|(t, v)| ((t.millis() - start) as f64 / 3_600_000.0, *v))
        .collect()
}

/// The axis unit: latency in seconds once it passes 2 s, else the metric's own unit.
fn axis_unit(unit: Unit, max: f64) -> (f64, &'static str) {
    match unit {
        Unit::Millis if max >= 2000.0 => (1000.0, "seconds"),
        Unit::TokensPerMinute if max >= 10_000.0 => (1000.0, "thousand tokens per minute"),
        unit => (1.0, unit.axis_label()),
    }
}

/// A tick label: as few decimals as the value needs.
fn tick(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').to_owned()
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    (label, unit): (&str, Unit),
    period: Period,
    series: &PeriodSeries,
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let err = failed(chart);
    let x_max = period.secs() as f64 / 3600.0;
    let current = runs(
        &hours(&series.current, period.start().millis()),
        x_max,
        BUCKETS,
    );
    let previous = runs(
        &hours(&series.previous, period.previous().start().millis()),
        x_max,
        BUCKETS,
    );
    let values = current.iter().chain(&previous).flatten().map(|p| p.1);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.02).max(1e-6);
    let y_min = if lo >= 0.0 && lo - pad < 0.0 {
        0.0
    } else {
        lo - pad
    };
    // Extra room on top keeps the legend clear of the lines.
    let y_max = hi + pad + (hi - lo) * 0.3;
    let (scale, unit_label) = axis_unit(unit, hi);
    let start = period.start();
    let weekly = period.secs() > 2 * 24 * 3600;
    let x_label = move |h: &f64| {
        let at = start.millis() + (*h * 3_600_000.0) as i64;
        jiff::Timestamp::from_millisecond(at).map_or_else(
            |_| format!("{h:.0} h"),
            |t| {
                let fmt = if weekly { "%a %-d" } else { "%H:%M" };
                t.strftime(fmt).to_string()
            },
        )
    };
    let mut ctx = ChartBuilder::on(root)
        .caption(&chart.title, font(TITLE_PX))
        .margin(24)
        .x_label_area_size(80)
        .y_label_area_size(130)
        .build_cartesian_2d(0f64..x_max, y_min..y_max)
        .map_err(|e| err(&e))?;
    let step = if weekly { 24.0 } else { 3.0 };
    let ticks = (x_max / step).round() as usize + 1;
    ctx.configure_mesh()
        .x_labels(ticks)
        .y_labels(6)
        .x_label_formatter(&x_label)
        .y_label_formatter(&|v| tick(*v / scale))
        .x_desc(if weekly {
            "day (UTC)"
        } else {
            "time of day (UTC)"
        })
        .y_desc(format!("{label} ({unit_label})"))
        .axis_desc_style(font(AXIS_PX))
        .label_style(font(LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| err(&e))?;
    // Data units per pixel, to draw widths in pixels.
    let (w_px, h_px) = ctx.plotting_area().dim_in_pixel();
    let per_px = (
        x_max / f64::from(w_px.max(1)),
        (y_max - y_min) / f64::from(h_px.max(1)),
    );
    let span = span(period);
    // The period before as a wide light band under the line, so where the two coincide
    // both still show: the line inside its halo.
    ctx.draw_series(brush(&previous, per_px, PREVIOUS, BAND_RADIUS))
        .map_err(|e| err(&e))?
        .label(format!("previous {span}"))
        .legend(|(x, y)| {
            let r = BAND_RADIUS as i32;
            Rectangle::new([(x, y - r), (x + 36, y + r)], PREVIOUS.filled())
        });
    ctx.draw_series(brush(&current, per_px, CURRENT, 1))
        .map_err(|e| err(&e))?
        .label(format!("last {span}"))
        .legend(|(x, y)| Rectangle::new([(x, y - 1), (x + 36, y + 1)], CURRENT.filled()));
    ctx.configure_series_labels()
        .label_font(font(LABEL_PX))
        .legend_area_size(52)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))
}

/// The runs as lines `2 * radius + 1` pixels thick, each drawn as one-pixel lines side by
/// side: plotters draws thick lines as polygons whose corners spike far out at the sharp
/// turns of a noisy series (past the plot, over the title).
fn brush(
    runs: &[Vec<(f64, f64)>],
    (x_px, y_px): (f64, f64),
    colour: RGBColor,
    radius: u32,
) -> Vec<PathElement<(f64, f64)>> {
    let r = radius as i32;
    let mut out = Vec::new();
    for run in runs.iter().filter(|r| !r.is_empty()) {
        // A lone point (the last reading after a gap, or a model that stopped just after
        // the period began) is a dash as wide as the line is thick: a path of one point
        // draws nothing.
        let dash;
        let run = match run.as_slice() {
            [(x, y)] => {
                let half = x_px * f64::from(radius.max(LONE_HALF_PX));
                dash = [(x - half, *y), (x + half, *y)];
                &dash[..]
            }
            points => points,
        };
        for dx in -r..=r {
            for dy in -r..=r {
                let (dx, dy) = (f64::from(dx) * x_px, f64::from(dy) * y_px);
                let shifted = run.iter().map(|(x, y)| (x + dx, y + dy));
                out.push(PathElement::new(shifted.collect::<Vec<_>>(), colour));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::super::trend::Trend;
    use super::super::draw::pixels;
    use super::super::trend_chart;
    use super::*;
    use crate::domain::Timestamp;
    use crate::report::MetricKind;

    /// Pixels of exactly `colour`.
    fn count(rgb: &[u8], colour: RGBColor) -> usize {
        rgb.chunks(3)
            .filter(|p| (p[0], p[1], p[2]) == (colour.0, colour.1, colour.2))
            .count()
    }

    #[test]
    fn the_period_before_shows_where_the_last_period_runs_over_it() {
        // The same course both days: the two lines coincide over the whole chart.
        let period = Period::day_ending(Timestamp::from_secs(20 * 86_400));
        let day = |p: Period| -> Vec<Point> {
            (0..288)
                .map(|i| {
                    let v = 1000.0 + 200.0 * (i as f64 / 288.0 * std::f64::consts::TAU).sin();
                    (p.start().plus_secs(i * 300), v)
                })
                .collect()
        };
        let series = PeriodSeries {
            current: day(period),
            previous: day(period.previous()),
        };
        let trend = Trend::of(MetricKind::LatencyP95, &series, 0.05).unwrap();
        let chart = trend_chart(Some("chat-large"), &trend, period, &series);
        let rgb = pixels(&chart).unwrap();
        assert_eq!(
            rgb.len(),
            (super::super::WIDTH * super::super::HEIGHT * 3) as usize
        );
        // The band of the day before stands out on both sides of the line along the
        // plot's width (about 900 pixels), not only in the legend (36 × 7 pixels).
        let band = count(&rgb, PREVIOUS);
        assert!(band > 3 * 900, "the day before shows in {band} pixels only");
        assert!(count(&rgb, CURRENT) > 2 * 900);
    }

    /// A period with one reading, alone after a gap, still shows it on the chart: beside
    /// the legend's swatch, the reading's own dash.
    #[test]
    fn a_lone_reading_is_drawn() {
        let period = Period::day_ending(Timestamp::from_secs(20 * 86_400));
        let drawn = |at: Timestamp| {
            let series = PeriodSeries {
                current: vec![(at, 1500.0)],
                previous: Vec::new(),
            };
            let trend = Trend::of(MetricKind::LatencyP95, &series, 0.05).unwrap();
            let chart = trend_chart(Some("chat-large"), &trend, period, &series);
            count(&pixels(&chart).unwrap(), CURRENT)
        };
        // Outside the period: the legend alone.
        let legend = drawn(period.end().plus_secs(3600));
        let reading = drawn(period.start().plus_secs(6 * 3600)) - legend;
        assert!(reading >= 2 * 5 * 3, "the reading drew {reading} pixels");
    }
}
