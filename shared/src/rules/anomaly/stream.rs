//! The anomaly rule over one group's points as the evaluator sees them: the detector runs
//! forward through the data once, so each evaluation costs the points it has not yet read,
//! and an evaluation at an earlier instant starts again from the first point.

use super::episode::Episodes;
use super::{Anomaly, Detector, Reading};
use crate::domain::Timestamp;
use crate::rules::check::number;
use crate::rules::evaluate::words;
use crate::rules::{Direction, Evaluation, Group, Monitor, NoDataPolicy, Point, State};

#[derive(Debug, Clone, Default)]
pub(crate) struct Stream {
    detector: Detector,
    episodes: Episodes,
    /// The next point to read.
    next: usize,
    /// The instant up to which points have been read.
    until_ms: Option<i64>,
    /// The latest point's reading and its probability in the rule's direction.
    last: Option<(Reading, f64)>,
    /// The state one evaluation before `until_ms`, and at it.
    states: (State, State),
}

impl Stream {
    /// Reads every point at or before `until_ms`.
    fn advance(&mut self, rule: &Anomaly, what: &str, points: &[Point], until_ms: i64) {
        let quiet_ms = i64::try_from(rule.quiet_secs)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(1000);
        while let Some(point) = points.get(self.next).filter(|p| p.at.millis() <= until_ms) {
            self.next += 1;
            let Some(reading) = self.detector.update(point.at.millis(), point.value) else {
                continue;
            };
            let p = rule.p(&reading);
            let rare = !reading.learning && p < rule.p_limit(reading.spacing_secs);
            self.episodes.observe(reading.at_ms, rare, quiet_ms, || {
                sentence(what, &reading, p)
            });
            self.last = Some((reading, p));
        }
        self.until_ms = Some(until_ms);
    }

    fn state(&self) -> State {
        if self.episodes.current().is_some() {
            State::Alert
        } else {
            State::Ok
        }
    }

    /// Reads the points up to `now` and returns the state one evaluation earlier and at
    /// `now`, and the latest point's score: all a backtest needs at most instants.
    pub fn states(
        &mut self,
        monitor: &Monitor,
        rule: &Anomaly,
        points: &[Point],
        now: Timestamp,
    ) -> (State, State, f64) {
        let now_ms = now.millis();
        match self.until_ms {
            Some(u) if u == now_ms => {}
            Some(u) if u > now_ms => {
                *self = Self::default();
                return self.states(monitor, rule, points, now);
            }
            _ => {
                let what = monitor.metric.as_deref().unwrap_or(&monitor.id);
                let every_ms = i64::try_from(monitor.every_secs.max(1)).unwrap_or(60) * 1000;
                self.advance(rule, what, points, now_ms - every_ms);
                let previous = self.state();
                self.advance(rule, what, points, now_ms);
                self.states = (previous, self.state());
            }
        }
        let score = self
            .last
            .as_ref()
            .filter(|(r, _)| !r.learning)
            .map_or(0.0, |(_, p)| (1.0 - p).clamp(0.0, 1.0));
        (self.states.0, self.states.1, score)
    }

    /// The evaluation of `monitor` (whose rule is `rule`) on `group` at `now`.
    pub fn at(
        &mut self,
        monitor: &Monitor,
        rule: &Anomaly,
        group: &Group,
        points: &[Point],
        now: Timestamp,
    ) -> Evaluation {
        let now_ms = now.millis();
        let (mut previous, mut state, score) = self.states(monitor, rule, points, now);
        let what = monitor.metric.as_deref().unwrap_or(&monitor.id);
        // The previous instant without data is judged as this one is, so a steady silence
        // is no change (only when its newest reading is known: one before that instant).
        let every_ms = i64::try_from(monitor.every_secs.max(1)).unwrap_or(60) * 1000;
        if let Some((r, _)) = self
            .last
            .as_ref()
            .filter(|(r, _)| r.at_ms <= now_ms - every_ms)
        {
            previous = after_no_data(monitor, previous, r.at_ms, now_ms - every_ms);
        }

        let window_ms = i64::try_from(monitor.window_secs).unwrap_or(i64::MAX / 4_000) * 1000;
        let fresh = self
            .last
            .as_ref()
            .filter(|(r, _)| r.at_ms > now_ms - window_ms);
        let episode = self.episodes.current();
        let (value, threshold, score, reason) = match fresh {
            Some((r, p)) => {
                let side = match rule.direction {
                    Direction::Above => 1.0,
                    Direction::Below => -1.0,
                    Direction::Both => (r.value - r.expected).signum(),
                };
                let threshold = (!r.learning).then(|| r.bound(rule.p_limit(r.spacing_secs), side));
                let now_words = sentence(what, r, *p);
                let reason = match episode {
                    Some(e) if e.last_ms != r.at_ms => format!("{}; now {now_words}", e.reason),
                    _ => now_words,
                };
                (Some(r.value), threshold, score, reason)
            }
            None => {
                // Within Datadog's reporting delay a late point may still come: no change.
                let delay_ms =
                    i64::try_from(monitor.no_data_after_secs()).unwrap_or(i64::MAX / 4_000) * 1000;
                let late = self
                    .last
                    .as_ref()
                    .is_some_and(|(r, _)| r.at_ms > now_ms - delay_ms);
                let missing = if late {
                    format!(
                        "no point of {what} in the last {} yet (Datadog may still be delivering it)",
                        words(monitor.window_secs)
                    )
                } else {
                    format!(
                        "no data for {what} in the last {}",
                        words(monitor.no_data_after_secs())
                    )
                };
                state = match &self.last {
                    Some((r, _)) => after_no_data(monitor, state, r.at_ms, now_ms),
                    None => after_no_data(monitor, state, i64::MIN / 2, now_ms),
                };
                let reason = match episode {
                    Some(e) => format!("{}; now {missing}", e.reason),
                    None => missing,
                };
                (None, None, 0.0, reason)
            }
        };
        Evaluation {
            monitor: monitor.id.clone(),
            group: group.clone(),
            at: now,
            state,
            previous,
            value,
            threshold,
            score,
            reason,
            first_breach_at: episode
                .filter(|_| state != State::Ok)
                .map(|e| Timestamp::from_millis(e.first_ms)),
            // The stream carries its state through missing data: an ok state is known.
            clear: state == State::Ok,
        }
    }
}

/// The state at `t_ms` under the monitor's no-data policy, the newest reading being at
/// `last_ms`: unchanged while it is within the window or Datadog's reporting delay.
fn after_no_data(monitor: &Monitor, state: State, last_ms: i64, t_ms: i64) -> State {
    let after_ms = i64::try_from(monitor.no_data_after_secs()).unwrap_or(i64::MAX / 4_000) * 1000;
    if last_ms > t_ms - after_ms {
        return state;
    }
    match monitor.no_data {
        NoDataPolicy::Ignore => state,
        NoDataPolicy::Warn | NoDataPolicy::Alert => State::NoData,
        NoDataPolicy::Resolve => State::Ok,
    }
}

/// One reading in words: the value, what was expected and how rare the deviation is.
fn sentence(what: &str, r: &Reading, p: f64) -> String {
    if r.learning {
        return format!(
            "{what} {}: still learning the series (its first day)",
            number(r.value)
        );
    }
    let side = if r.value >= r.expected {
        "above"
    } else {
        "below"
    };
    let run = if r.run > 1 {
        format!(", the {} point in a row {side} it", ordinal(r.run))
    } else {
        String::new()
    };
    format!(
        "{what} {} is {side} its expected {} ± {} from the {}{run}: {}",
        number(r.value),
        number(r.expected),
        number(r.spread),
        r.fit.words(),
        one_in(p)
    )
}

/// "2nd", "3rd", "11th": which point of a run.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "a 1-in-45,000 deviation": a probability as odds a person reads at a glance.
fn one_in(p: f64) -> String {
    let odds = 1.0 / p.max(f64::MIN_POSITIVE);
    if odds >= 1e12 {
        return "rarer than 1 in a trillion".to_owned();
    }
    // Two significant digits, grouped by thousands.
    let digits = odds.log10().floor() as i32;
    let unit = 10f64.powi((digits - 1).max(0));
    let rounded = ((odds / unit).round() * unit) as u64;
    let text = rounded.to_string();
    let mut grouped = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("a 1-in-{grouped} deviation")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_counted_in_words() {
        let words: Vec<String> = [2, 3, 4, 11, 12, 21, 22].map(ordinal).to_vec();
        assert_eq!(words, ["2nd", "3rd", "4th", "11th", "12th", "21st", "22nd"]);
    }

    #[test]
    fn odds_read_at_a_glance() {
        assert_eq!(one_in(0.5), "a 1-in-2 deviation");
        assert_eq!(one_in(1.0 / 45_321.0), "a 1-in-45,000 deviation");
        assert_eq!(one_in(2.2e-7), "a 1-in-4,500,000 deviation");
        assert_eq!(one_in(1e-15), "rarer than 1 in a trillion");
    }
}
