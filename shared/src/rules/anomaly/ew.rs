//! Exponential weighting stated in time: a half-life in seconds, whatever the spacing.

/// The weight a new observation gets after `dt_secs` under a half-life of `half_life_secs`:
/// with twice the spacing each point counts for about twice as much, so a baseline
/// adapts in the same time on minute data as on hourly data.
pub(super) fn alpha(dt_secs: f64, half_life_secs: f64) -> f64 {
    1.0 - decay(dt_secs, half_life_secs)
}

/// How much of the past survives `dt_secs` under a half-life of `half_life_secs`.
pub(super) fn decay(dt_secs: f64, half_life_secs: f64) -> f64 {
    (-dt_secs.max(0.0) / half_life_secs * std::f64::consts::LN_2).exp()
}

/// A value clipped to `limit` either side of zero (Huber's influence function): one wild
/// point moves an estimate by a bounded amount.
pub(super) fn clip(value: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        value.clamp(-limit, limit)
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_half_life_halves_the_past() {
        assert!((decay(3600.0, 3600.0) - 0.5).abs() < 1e-12);
        assert!((alpha(0.0, 3600.0)).abs() < 1e-12);
        // Twelve 5-minute steps weigh the same as one hour step.
        let fine = (0..12).fold(1.0, |keep, _| keep * decay(300.0, 3600.0));
        assert!((fine - decay(3600.0, 3600.0)).abs() < 1e-12);
    }
}
