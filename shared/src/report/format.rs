//! How durations, shares and times read in a report.

use jiff::tz::TimeZone;

use crate::domain::Timestamp;

/// `45 s`, `12 min`, `1 h 05 min`, `2 d 3 h`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// A share from 0 to 1 as a percentage: `96.7%`, `100%`.
pub fn share(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if (pct - pct.round()).abs() < 0.05 {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// A signed relative change: `+34%`, `-5.2%`.
pub fn change(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct.abs() >= 10.0 {
        format!("{pct:+.0}%")
    } else {
        format!("{pct:+.1}%")
    }
}

/// `Mon 24 Nov 14:00 UTC`.
pub fn time(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.millis()).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%a %-d %b %H:%M UTC").to_string(),
    )
}

/// `Mon 24 Nov`, the day `at` is in `zone` (a title's: the audience's day, not UTC's).
pub fn day(at: Timestamp, zone: &TimeZone) -> String {
    in_zone(at, zone, "%a %-d %b")
}

/// `Mon 24` (chart axes).
#[cfg(feature = "charts")]
pub fn short_day(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.millis())
        .map_or_else(|_| at.to_string(), |t| t.strftime("%a %-d").to_string())
}

/// `24 Nov` (chart axes).
#[cfg(feature = "charts")]
pub fn short_date(at: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.millis())
        .map_or_else(|_| at.to_string(), |t| t.strftime("%-d %b").to_string())
}

/// `17–23 Nov`, `27 Oct – 2 Nov`: the days of a period, its end exclusive (chart axes).
#[cfg(feature = "charts")]
pub fn day_range(period: super::Period) -> String {
    let last = Timestamp::from_millis(period.end().millis() - 1);
    let (Ok(a), Ok(b)) = (
        jiff::Timestamp::from_millisecond(period.start().millis()),
        jiff::Timestamp::from_millisecond(last.millis()),
    ) else {
        return short_date(period.start());
    };
    if a.strftime("%b %Y").to_string() == b.strftime("%b %Y").to_string() {
        format!("{}–{}", a.strftime("%-d"), b.strftime("%-d %b"))
    } else {
        format!("{} – {}", a.strftime("%-d %b"), b.strftime("%-d %b"))
    }
}

/// `24 Nov 2025`, the date `at` is in `zone` (a title's: a morning report in Tokyo is
/// titled with Tokyo's date, the day after UTC's).
pub fn date(at: Timestamp, zone: &TimeZone) -> String {
    in_zone(at, zone, "%-d %b %Y")
}

fn in_zone(at: Timestamp, zone: &TimeZone, format: &str) -> String {
    jiff::Timestamp::from_millisecond(at.millis()).map_or_else(
        |_| at.to_string(),
        |t| t.to_zoned(zone.clone()).strftime(format).to_string(),
    )
}

/// "1 incident", "3 incidents".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(12 * 60 + 5), "12 min");
        assert_eq!(duration(3600 + 5 * 60), "1 h 05 min");
        assert_eq!(duration(2 * 86_400 + 3 * 3600), "2 d 3 h");
    }

    #[test]
    fn shares_changes_and_times() {
        assert_eq!(share(29.0 / 30.0), "96.7%");
        assert_eq!(share(1.0), "100%");
        assert_eq!(change(0.34), "+34%");
        assert_eq!(change(-0.052), "-5.2%");
        let t = Timestamp::parse("2025-11-24T14:00:00Z").unwrap();
        assert_eq!(time(t), "Mon 24 Nov 14:00 UTC");
        assert_eq!(day(t, &TimeZone::UTC), "Mon 24 Nov");
        // Titles read in the audience's zone: 23:00 UTC is the next day in Tokyo.
        let late = Timestamp::parse("2025-11-24T23:00:00Z").unwrap();
        let tokyo = crate::domain::time_zone("Asia/Tokyo").unwrap();
        assert_eq!(date(late, &TimeZone::UTC), "24 Nov 2025");
        assert_eq!(date(late, &tokyo), "25 Nov 2025");
        assert_eq!(day(late, &tokyo), "Tue 25 Nov");
        assert_eq!(count(1, "incident", "incidents"), "1 incident");
    }

    #[cfg(feature = "charts")]
    #[test]
    fn a_week_reads_as_its_days() {
        let week = |end: &str| super::super::Period::week_ending(Timestamp::parse(end).unwrap());
        assert_eq!(day_range(week("2025-11-24T00:00:00Z")), "17–23 Nov");
        assert_eq!(day_range(week("2025-11-03T00:00:00Z")), "27 Oct – 2 Nov");
    }
}
