//! Bar charts: incidents per day stacked by level, and median response times per week.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::document::Chart;
use super::super::format;
use super::super::response::Measure;
use super::draw::{AXIS_PX, LABEL_PX, NOTE_PX, TITLE_PX, failed, font};
use super::{DayIncidents, WeekResponse};
use crate::domain::Level;
use crate::report::ReportError;

const LEVEL_COLOURS: [RGBColor; 3] = [
    RGBColor(242, 183, 5),
    RGBColor(242, 116, 5),
    RGBColor(200, 30, 30),
];
const MEASURE_COLOURS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(148, 103, 189),
    RGBColor(23, 160, 140),
];

/// Slots per week in the response chart: a gap, MTTD, MTTA, MTTR, a gap.
const SLOTS: u32 = 5;
/// The grey of "no data" notes.
const NO_DATA: RGBColor = RGBColor(120, 120, 120);

/// A y-axis top with some head room: a round number above `max`.
fn top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max * 1.1;
    let magnitude = 10f64.powf((raw / 5.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|s| s * magnitude)
        .find(|s| *s >= raw / 5.0)
        .unwrap_or(raw);
    (raw / step).ceil() * step
}

/// The label under the segment `x` when it is a group's centre slot.
fn label_at(labels: &[String], x: &SegmentValue<u32>, slots: u32, centre: u32) -> String {
    match x {
        SegmentValue::CenterOf(i) if i % slots == centre => labels
            .get((i / slots) as usize)
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

pub(super) fn incidents<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    days: &[DayIncidents],
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let err = failed(chart);
    let labels: Vec<String> = days
        .iter()
        .map(|d| format::short_day(d.day.start()))
        .collect();
    let max = days
        .iter()
        .map(|d| d.by_level.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    // Head room above the tallest bar keeps the legend clear of the bars.
    let y_max = top(max as f64 * 1.25).max(4.0);
    let n = days.len().max(1) as u32;
    let mut ctx = ChartBuilder::on(root)
        .caption(&chart.title, font(TITLE_PX))
        .margin(24)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d((0u32..n - 1).into_segmented(), 0f64..y_max)
        .map_err(|e| err(&e))?;
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(n as usize)
        .y_labels(6)
        .x_label_formatter(&|x| label_at(&labels, x, 1, 0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("day opened (UTC)")
        .y_desc("incidents (alerts not marked false positive)")
        .axis_desc_style(font(AXIS_PX))
        .label_style(font(LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| err(&e))?;
    for (li, level) in Level::ALL.iter().enumerate() {
        let colour = LEVEL_COLOURS[li];
        let bars = days.iter().enumerate().filter_map(move |(i, d)| {
            let below: usize = d.by_level[..li].iter().sum();
            let n = d.by_level[li];
            (n > 0).then(|| {
                let x = i as u32;
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(x), below as f64),
                        (SegmentValue::Exact(x + 1), (below + n) as f64),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 16, 16);
                bar
            })
        });
        ctx.draw_series(bars)
            .map_err(|e| err(&e))?
            .label(level.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 24, y + 10)], colour.filled()));
    }
    ctx.configure_series_labels()
        .label_font(font(LABEL_PX))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))
}

pub(super) fn response_times<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    weeks: &[WeekResponse],
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let err = failed(chart);
    let labels: Vec<String> = weeks.iter().map(|w| format::day_range(w.week)).collect();
    let max_secs = weeks
        .iter()
        .flat_map(|w| Measure::ALL.map(|m| w.times.get(m).median_secs.unwrap_or(0)))
        .max()
        .unwrap_or(0);
    let (per, unit) = if max_secs >= 3 * 3600 {
        (3600.0, "hours")
    } else {
        (60.0, "minutes")
    };
    let y_max = top(max_secs as f64 / per * 1.35);
    // Five slots a week: a gap, MTTD, MTTA, MTTR, a gap; the label sits under MTTA.
    let slots = weeks.len().max(1) as u32 * SLOTS;
    let mut ctx = ChartBuilder::on(root)
        .caption(&chart.title, font(TITLE_PX))
        .margin(24)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d((0u32..slots - 1).into_segmented(), 0f64..y_max)
        .map_err(|e| err(&e))?;
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(slots as usize)
        .y_labels(6)
        .x_label_formatter(&|x| label_at(&labels, x, SLOTS, 2))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("week (UTC; alerts count in the week they opened)")
        .y_desc(format!("median ({unit})"))
        .axis_desc_style(font(AXIS_PX))
        .label_style(font(LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| err(&e))?;
    for (mi, measure) in Measure::ALL.iter().enumerate() {
        let colour = MEASURE_COLOURS[mi];
        let bars = weeks.iter().enumerate().filter_map(move |(i, w)| {
            let secs = w.times.get(*measure).median_secs?;
            let x = i as u32 * SLOTS + 1 + mi as u32;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(x), 0.0),
                    (SegmentValue::Exact(x + 1), secs as f64 / per),
                ],
                colour.filled(),
            );
            bar.set_margin(0, 0, 3, 3);
            Some(bar)
        });
        ctx.draw_series(bars)
            .map_err(|e| err(&e))?
            .label(format!("{} ({})", measure.abbreviation(), measure.name()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 24, y + 10)], colour.filled()));
    }
    // A week without a figure says so: an empty slot would read as a zero.
    let quiet = font(NOTE_PX)
        .color(&NO_DATA)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let base = y_max * 0.02;
    ctx.draw_series(
        gaps(weeks)
            .into_iter()
            .map(|(text, x)| Text::new(text, (SegmentValue::CenterOf(x), base), quiet.clone())),
    )
    .map_err(|e| err(&e))?;
    ctx.configure_series_labels()
        .label_font(font(LABEL_PX))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))
}

/// What the response chart writes where a bar is missing, and in which slot: "no data"
/// across a week without any figure, "n/a" in the slot of each missing measure otherwise.
fn gaps(weeks: &[WeekResponse]) -> Vec<(&'static str, u32)> {
    weeks
        .iter()
        .enumerate()
        .flat_map(|(i, w)| {
            let group = i as u32 * SLOTS;
            let missing: Vec<u32> = (0..Measure::ALL.len() as u32)
                .filter(|mi| {
                    w.times
                        .get(Measure::ALL[*mi as usize])
                        .median_secs
                        .is_none()
                })
                .collect();
            if missing.len() == Measure::ALL.len() {
                vec![("no data", group + 2)]
            } else {
                missing
                    .into_iter()
                    .map(|mi| ("n/a", group + 1 + mi))
                    .collect()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::report::{Period, ResponseTimes};

    #[test]
    fn a_week_without_figures_says_no_data_instead_of_drawing_zero() {
        let week = |n: i64| Period::week_ending(Timestamp::from_secs(n * 7 * 86_400));
        let mut partial = ResponseTimes::of(&[]);
        partial.resolve.median_secs = Some(600);
        let weeks = [
            WeekResponse {
                week: week(10),
                times: ResponseTimes::of(&[]),
            },
            WeekResponse {
                week: week(11),
                times: partial,
            },
        ];
        // Week 0: one note across its middle slot (MTTA's); week 1: MTTD's and MTTA's
        // slots (6 and 7) are marked, MTTR (8) has its bar.
        assert_eq!(gaps(&weeks), [("no data", 2), ("n/a", 6), ("n/a", 7)]);
    }
}
