//! Reading a `timestamp,value` series as exported from Datadog or the NAB corpus.

use super::Point;
use crate::domain::Timestamp;

/// A row that is not `timestamp,value`, by line and column (1-based, header included),
/// printed `line:column:` as configuration errors are, after the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SeriesError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

const TIMESTAMP_EXPECTED: &str = "a timestamp such as 2014-04-10 00:00:00 (UTC), 2014-04-10T00:00:00Z, or epoch seconds or milliseconds";

/// A series as read from a file: its rows in file order, and the points evaluation reads
/// (time order, one per timestamp), with what had to be done to get them.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Every data row, in file order.
    pub rows: Vec<Point>,
    /// The points in time order, rows with the same timestamp averaged into one.
    pub points: Vec<Point>,
    /// For each row, the index of its point in `points`.
    pub point_of_row: Vec<usize>,
    /// Rows out of time order or repeating a timestamp, by line.
    pub warnings: Vec<SeriesError>,
}

/// Parses CSV text of `timestamp,value` rows; a first row that is not data
/// (`timestamp,value`) is taken as the header. Blank lines are skipped. Real exports have
/// rows out of order and repeated timestamps: they are sorted into place and averaged for
/// evaluation, each with a warning naming its line.
pub fn parse_series(text: &str) -> Result<Series, SeriesError> {
    let mut rows: Vec<Point> = Vec::new();
    let mut lines: Vec<usize> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let row = raw.trim();
        if row.is_empty() {
            continue;
        }
        let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
        let value_column = indent + row.find(',').map_or(0, |c| row[..c].chars().count() + 1) + 1;
        let error = |column: usize, message: String| SeriesError {
            line,
            column,
            message,
        };
        let Some((ts, value)) = row.split_once(',') else {
            if i == 0 {
                continue;
            }
            return Err(error(
                indent + 1,
                format!("{row:?} has one column: expected timestamp,value"),
            ));
        };
        let (ts, value) = (ts.trim().trim_matches('"'), value.trim().trim_matches('"'));
        let Some(at) = parse_timestamp(ts) else {
            if i == 0 {
                continue;
            }
            return Err(error(
                indent + 1,
                format!("invalid timestamp {ts:?}: expected {TIMESTAMP_EXPECTED}"),
            ));
        };
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                error(
                    value_column,
                    format!("invalid value {value:?}: expected a finite number"),
                )
            })?;
        rows.push(Point::new(at, value));
        lines.push(line);
    }
    Ok(for_evaluation(rows, &lines))
}

/// Sorts `rows` by time (stably) and averages rows with one timestamp, noting each row
/// that was out of order or repeated a timestamp.
fn for_evaluation(rows: Vec<Point>, lines: &[usize]) -> Series {
    let mut warnings = Vec::new();
    let mut latest: Option<usize> = None;
    for (i, row) in rows.iter().enumerate() {
        match latest {
            Some(j) if row.at < rows[j].at => warnings.push(SeriesError {
                line: lines[i],
                column: 1,
                message: format!(
                    "timestamp {} is before line {}'s {}: sorted into place for evaluation",
                    row.at, lines[j], rows[j].at
                ),
            }),
            Some(j) if row.at == rows[j].at => warnings.push(SeriesError {
                line: lines[i],
                column: 1,
                message: format!(
                    "timestamp {} repeats line {}'s: their values are averaged for evaluation",
                    row.at, lines[j]
                ),
            }),
            _ => latest = Some(i),
        }
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].at);
    let mut points: Vec<Point> = Vec::with_capacity(rows.len());
    let mut point_of_row = vec![0; rows.len()];
    let mut count = 0.0;
    for i in order {
        let row = rows[i];
        match points.last_mut() {
            Some(last) if last.at == row.at => {
                count += 1.0;
                last.value += (row.value - last.value) / count;
            }
            _ => {
                points.push(row);
                count = 1.0;
            }
        }
        point_of_row[i] = points.len() - 1;
    }
    Series {
        rows,
        points,
        point_of_row,
        warnings,
    }
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
        let points = parse_series(text).unwrap().points;
        assert_eq!(points.len(), 4);
        assert_eq!(points[0].at, Timestamp::from_secs(1_397_088_000));
        assert_eq!(points[3].at, Timestamp::from_secs(1_397_088_900));
    }

    #[test]
    fn a_bad_row_names_its_line_and_the_expected_form() {
        let err =
            parse_series("timestamp,value\n2014-04-10 00:00:00,1\n\n2014-04-10 00:05:00,abc\n")
                .unwrap_err();
        assert_eq!((err.line, err.column), (4, 21));
        assert!(
            err.to_string()
                .starts_with("4:21: invalid value \"abc\": expected a finite number"),
            "{err}"
        );
        let err = parse_series("timestamp,value\nyesterday,1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message.contains("expected a timestamp such as"),
            "{err}"
        );
    }

    #[test]
    fn rows_out_of_order_or_repeated_are_sorted_and_averaged_with_a_warning() {
        let text = "timestamp,value\n2014-04-10 00:00:00,1\n2014-04-10 00:10:00,5\n2014-04-10 00:05:00,2\n2014-04-10 00:10:00,7\n";
        let s = parse_series(text).unwrap();
        assert_eq!(s.rows.len(), 4);
        let values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
        assert_eq!(values, [1.0, 2.0, 6.0]);
        assert_eq!(s.point_of_row, [0, 2, 1, 2]);
        let warnings: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("4:1: timestamp 2014-04-10T00:05:00Z is before line 3's"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("5:1: timestamp 2014-04-10T00:10:00Z repeats line 3's"),
            "{warnings:?}"
        );
    }
}
