//! The streaming detector: one point at a time, O(1) work and fixed memory per point, it
//! predicts each value from a local level and from daily and weekly profiles, keeps the
//! model that has predicted best, and says how rare the point's deviation is under it.

use super::Tail;
use super::ew::{alpha, clip};
use super::model::{Model, WARM_POINTS};
use super::season::Season;

/// How long the local level remembers (seconds).
const LEVEL_HALF_LIFE_SECS: f64 = 3600.0;
/// Learning time before any verdict: a whole day, because until the detector has seen one
/// it cannot tell a daily rise from an anomaly (and enough points for a typical deviation).
const WARM_UP_SECS: i64 = 86_400;
/// Gaps remembered to estimate the sampling interval (their median).
const GAPS: usize = 15;
/// Points before the seasonal profiles are laid out at the sampling interval seen so far.
const SEASONS_AFTER: u32 = 16;
const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Whole periods a season is watched before it may be chosen: one to fill the profile,
/// two to compare its predictions with the others'.
const MATURE_PERIODS: i64 = 3;
/// A seasonal model must predict this much better (ratio of mean absolute errors) to be
/// chosen over a simpler one: a profile costs noise, so it has to earn its place.
const SEASON_MARGIN: f64 = 0.9;

/// The model the expectation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The recent level: no seasonality found.
    Level,
    Daily,
    Weekly,
}

impl Fit {
    pub fn words(self) -> &'static str {
        match self {
            Fit::Level => "recent level",
            Fit::Daily => "daily pattern",
            Fit::Weekly => "weekly pattern",
        }
    }
}

/// What the detector says about one point, before it learns from it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub at_ms: i64,
    pub value: f64,
    pub expected: f64,
    /// The typical deviation from `expected`.
    pub spread: f64,
    /// Probability of a deviation at least this far above (below) the expectation; 1 on
    /// the other side and while learning.
    pub p_above: f64,
    pub p_below: f64,
    pub fit: Fit,
    /// Still learning: no verdict.
    pub learning: bool,
    /// The sampling interval the detector sees, in seconds.
    pub spacing_secs: f64,
    tail: Tail,
}

impl Reading {
    /// The value past which a point is as rare as `p` on the side of `sign`.
    pub fn bound(&self, p: f64, sign: f64) -> f64 {
        self.expected + sign.signum() * self.spread * self.tail.quantile(p, sign)
    }
}

/// One series' detector state: a few numbers plus one profile slot per sampling interval
/// of a day and of a week.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    start_ms: Option<i64>,
    last_ms: i64,
    points: u32,
    gaps: Vec<i64>,
    level: f64,
    local: Model,
    seasons: Vec<Season>,
}

impl Detector {
    /// The sampling interval: the median of the last gaps between points, in seconds.
    pub fn spacing_secs(&self) -> f64 {
        if self.gaps.is_empty() {
            return 60.0;
        }
        let mut g = self.gaps.clone();
        g.sort_unstable();
        g[g.len() / 2] as f64 / 1000.0
    }

    /// Reads the point (`at_ms`, `value`) and learns from it. Points must come in time
    /// order; one at or before the last is ignored (the caller merges or skips them).
    pub fn update(&mut self, at_ms: i64, value: f64) -> Option<Reading> {
        let Some(start) = self.start_ms else {
            self.start_ms = Some(at_ms);
            self.last_ms = at_ms;
            self.level = value;
            self.points = 1;
            return Some(self.learning(at_ms, value));
        };
        if at_ms <= self.last_ms || !value.is_finite() {
            return None;
        }
        let gap = at_ms - self.last_ms;
        let dt = gap as f64 / 1000.0;
        self.last_ms = at_ms;
        if self.gaps.len() == GAPS {
            self.gaps.remove(0);
        }
        self.gaps.push(gap);
        self.points = self.points.saturating_add(1);
        if self.seasons.is_empty() && self.points >= SEASONS_AFTER {
            let slot = (self.spacing_secs() * 1000.0).round() as i64;
            let slot = slot.clamp(60_000, 3_600_000);
            self.seasons = vec![
                Season::new(DAY_MS, slot, at_ms),
                Season::new(WEEK_MS, slot, at_ms),
            ];
        }

        let reading = self.read(at_ms, value, start);
        self.learn(at_ms, value, dt);
        Some(reading)
    }

    fn learning(&self, at_ms: i64, value: f64) -> Reading {
        Reading {
            at_ms,
            value,
            expected: self.level,
            spread: 0.0,
            p_above: 1.0,
            p_below: 1.0,
            fit: Fit::Level,
            learning: true,
            spacing_secs: self.spacing_secs(),
            tail: Tail::default(),
        }
    }

    /// The verdict on `value` from what was learned before it.
    fn read(&self, at_ms: i64, value: f64, start: i64) -> Reading {
        // The chosen model: the local level unless a mature season predicts clearly better.
        let mut chosen: (Fit, &Model, f64) = (Fit::Level, &self.local, self.level);
        let mut best = self.local.error.unwrap_or(f64::INFINITY);
        let mut young = Vec::new();
        for (season, fit) in self.seasons.iter().zip([Fit::Daily, Fit::Weekly]) {
            let Some(expected) = season.expected(at_ms) else {
                continue;
            };
            let mature = season.watched(at_ms, MATURE_PERIODS) && season.model.is_warm();
            match season.model.error {
                Some(e) if mature && e < SEASON_MARGIN * best => {
                    chosen = (fit, &season.model, expected);
                    best = e;
                }
                // Seasons are in order of period: a young one is longer than the chosen.
                _ if !mature && season.model.is_warm() => young.push((&season.model, expected)),
                _ => {}
            }
        }
        let (fit, model, expected) = chosen;
        let warm = self.points > WARM_POINTS && at_ms - start >= WARM_UP_SECS * 1000;
        let (Some(spread), true) = (model.scale(expected), warm && model.is_warm()) else {
            return Reading {
                expected,
                fit,
                ..self.learning(at_ms, value)
            };
        };
        let z = (value - expected) / spread;
        let (mut p_above, mut p_below) = side_p(&model.tail, z);
        // Until a longer season has been compared for long enough it cannot accuse, but it
        // can explain: a point it expects is not an anomaly of the level or of a shorter
        // season (the second day's morning rise, the second weekend's quiet).
        for (m, e) in young {
            if let Some(zy) = m.z(value - e, e) {
                let (a, b) = side_p(&m.tail, zy);
                p_above = p_above.max(a);
                p_below = p_below.max(b);
            }
        }
        Reading {
            at_ms,
            value,
            expected,
            spread,
            p_above,
            p_below,
            fit,
            learning: false,
            spacing_secs: self.spacing_secs(),
            tail: model.tail.clone(),
        }
    }

    fn learn(&mut self, at_ms: i64, value: f64, dt: f64) {
        let expected = self.level;
        let residual = value - expected;
        let z = self.local.z(residual, expected);
        self.local.learn(residual, expected, dt);
        self.level = match self.local.shifted(z, value) {
            Some(level) => level,
            None => {
                let limit = self.local.scale(expected).map_or(0.0, |s| 3.0 * s);
                self.level + alpha(dt, LEVEL_HALF_LIFE_SECS) * clip(residual, limit)
            }
        };
        for season in &mut self.seasons {
            let expected = season.expected(at_ms);
            season.learn(at_ms, value, expected, dt);
        }
    }
}

/// The one-sided probabilities of a deviation of `z` typical deviations.
fn side_p(tail: &Tail, z: f64) -> (f64, f64) {
    if z >= 0.0 {
        (tail.p(z), 1.0)
    } else {
        (1.0, tail.p(z))
    }
}
