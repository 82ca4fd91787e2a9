//! Reading a `timestamp,value` series as exported from Datadog or the NAB corpus.

use super::Point;
use crate::domain::Timestamp;

/// A row that is not `timestamp,value`, by line number (1-based, header included).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SeriesError {
    pub line: usize,
    pub message: String,
}

const TIMESTAMP_EXPECTED: &str = "a timestamp such as 2014-04-10 00:00:00 (UTC), 2014-04-10T00:00:00Z, or epoch seconds or milliseconds";

/// Parses CSV text of `timestamp,value` rows in time order (repeats allowed); a first row that is not
/// data (`timestamp,value`) is taken as the header. Blank lines are skipped.
pub fn parse_series(text: &str) -> Result<Vec<Point>, SeriesError> {
    let mut points: Vec<Point> = Vec::new();
    for (i, row) in text.lines().enumerate() {
        let line = i + 1;
        let row = row.trim();
        if row.is_empty() {
            continue;
        }
        let error = |message: String| SeriesError { line, message };
        let Some((ts, value)) = row.split_once(',') else {
            if i == 0 {
                continue;
            }
            return Err(error(format!(
                "{row:?} has one column: expected timestamp,value"
            )));
        };
        let (ts, value) = (ts.trim().trim_matches('"'), value.trim().trim_matches('"'));
        let Some(at) = parse_timestamp(ts) else {
            if i == 0 {
                continue;
            }
            return Err(error(format!(
                "invalid timestamp {ts:?}: expected {TIMESTAMP_EXPECTED}"
            )));
        };
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| error(format!("invalid value {value:?}: expected a finite number")))?;
        if let Some(last) = points.last()
            && at < last.at
        {
            // Equal timestamps happen in real exports (NAB repeats one); going back does not.
            return Err(error(format!(
                "timestamp {ts} is before the previous row's {}: expected rows in time order",
                last.at
            )));
        }
        points.push(Point::new(at, value));
    }
    Ok(points)
}

/// RFC 3339, epoch seconds or milliseconds, or a civil `YYYY-MM-DD HH:MM:SS` read as UTC.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse(text) {
        return Some(t);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    let ts = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(Timestamp::from_millis(ts.as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nab_epoch_and_rfc3339_timestamps_are_read_alike() {
        let text = "timestamp,value\n2014-04-10 00:00:00,1.5\n1397088300,2\n1397088600000,3\n2014-04-10T00:15:00Z,4\n";
        let points = parse_series(text).unwrap();
        assert_eq!(points.len(), 4);
        assert_eq!(points[0].at, Timestamp::from_secs(1_397_088_000));
        assert_eq!(points[3].at, Timestamp::from_secs(1_397_088_900));
    }

    #[test]
    fn a_bad_row_names_its_line_and_the_expected_form() {
        let err =
            parse_series("timestamp,value\n2014-04-10 00:00:00,1\n\n2014-04-10 00:05:00,abc\n")
                .unwrap_err();
        assert_eq!(err.line, 4);
        assert!(
            err.to_string()
                .contains("invalid value \"abc\": expected a finite number"),
            "{err}"
        );
        let err = parse_series("timestamp,value\nyesterday,1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message.contains("expected a timestamp such as"),
            "{err}"
        );
        let err = parse_series("2014-04-10 00:05:00,1\n2014-04-10 00:00:00,2\n").unwrap_err();
        assert!(err.message.contains("expected rows in time order"), "{err}");
    }
}
