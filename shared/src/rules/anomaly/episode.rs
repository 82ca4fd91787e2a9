//! Alerting on top of the score: an episode opens at the first point rarer than the
//! limit and stays one alert while rare points keep coming; it ends after a quiet time
//! without any. NAB counts only the first detection of an anomaly, and so does a person
//! paged: flare-ups of one incident are one page.

/// The episode in progress, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The first rare point (the onset, for MTTD).
    pub first_ms: i64,
    /// The latest rare point.
    pub last_ms: i64,
    /// Why it opened, in words.
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Episodes {
    open: Option<Episode>,
}

impl Episodes {
    pub fn current(&self) -> Option<&Episode> {
        self.open.as_ref()
    }

    /// Records a point at `at_ms`; `rare` says whether it is past the limit and `reason`
    /// words it (called only when an episode opens).
    pub fn observe(
        &mut self,
        at_ms: i64,
        rare: bool,
        quiet_ms: i64,
        reason: impl FnOnce() -> String,
    ) {
        match (&mut self.open, rare) {
            (Some(e), true) => e.last_ms = at_ms,
            (Some(e), false) if at_ms - e.last_ms >= quiet_ms => self.open = None,
            (Some(_), false) => {}
            (None, true) => {
                self.open = Some(Episode {
                    first_ms: at_ms,
                    last_ms: at_ms,
                    reason: reason(),
                })
            }
            (None, false) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn flare_ups_within_the_quiet_time_are_one_episode() {
        let mut e = Episodes::default();
        let quiet = 6 * HOUR;
        e.observe(0, true, quiet, || "spike".into());
        e.observe(HOUR, false, quiet, || unreachable!());
        e.observe(5 * HOUR, true, quiet, || unreachable!());
        e.observe(10 * HOUR, false, quiet, || unreachable!());
        let open = e.current().unwrap();
        assert_eq!(
            (open.first_ms, open.last_ms, open.reason.as_str()),
            (0, 5 * HOUR, "spike")
        );
        e.observe(11 * HOUR, false, quiet, || unreachable!());
        assert!(e.current().is_none());
        e.observe(12 * HOUR, true, quiet, || "again".into());
        assert_eq!(e.current().unwrap().first_ms, 12 * HOUR);
    }
}
