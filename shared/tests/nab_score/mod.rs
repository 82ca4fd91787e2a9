//! NAB's scoring rules (as ../shared/tools/nab_score.py implements them), for the
//! regression test: probation, windows, the sigmoid reward for early detection, the cost
//! of each detection outside a window by its distance from the last one, normalisation,
//! and the threshold sweep.

/// A cost profile: what a detected window, a missed one and a false detection are worth.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub tp: f64,
    pub fn_: f64,
    pub fp: f64,
}

pub const STANDARD: Profile = Profile {
    tp: 1.0,
    fn_: 1.0,
    fp: 0.11,
};
pub const LOW_FP: Profile = Profile {
    tp: 1.0,
    fn_: 1.0,
    fp: 0.22,
};

/// One file: its anomaly scores per row and its windows as inclusive row ranges.
pub struct File {
    pub scores: Vec<f64>,
    pub windows: Vec<(usize, usize)>,
}

fn sigmoid(p: f64) -> f64 {
    if p > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * p).exp()) - 1.0
    }
}

/// One scored row: its score, its unweighted value, and its window (corpus-wide id).
type Row = (f64, f64, Option<usize>);

/// Every scored row, and for each window whether it is scored (not wholly in probation).
fn rows(files: &[File]) -> (Vec<Row>, Vec<bool>) {
    let earliest = sigmoid(-1.0);
    let mut out = Vec::new();
    let mut window_scored = Vec::new();
    for f in files {
        let n = f.scores.len();
        let probation = ((0.15 * n as f64).floor()).min(750.0) as usize;
        let mut windows = f.windows.clone();
        windows.sort();
        let base = window_scored.len();
        window_scored.extend(windows.iter().map(|&(_, r)| r >= probation));
        for (i, &score) in f.scores.iter().enumerate().skip(probation) {
            let inside = windows.iter().position(|&(l, r)| (l..=r).contains(&i));
            let value = match inside {
                Some(k) => {
                    let (l, r) = windows[k];
                    let width = (r - l + 1) as f64;
                    sigmoid(-((r - i + 1) as f64) / width) / earliest
                }
                None => match windows.iter().rev().find(|&&(_, r)| r < i) {
                    Some(&(l, r)) => {
                        let width = (r - l + 1) as f64;
                        sigmoid((i - r) as f64 / (width - 1.0).max(1.0))
                    }
                    None => -1.0,
                },
            };
            out.push((score, value, inside.map(|k| base + k)));
        }
    }
    (out, window_scored)
}

/// The normalised score (100 perfect, 0 for a detector that never fires) at the best
/// threshold, or at `threshold` when given.
pub fn normalised(files: &[File], profile: Profile, threshold: Option<f64>) -> f64 {
    let (mut rows, window_scored) = rows(files);
    let labelled: usize = files.iter().map(|f| f.windows.len()).sum();
    let scored = window_scored.iter().filter(|s| **s).count();
    let null = -profile.fn_ * scored as f64;
    let perfect = profile.tp * labelled as f64;
    if let Some(t) = threshold {
        rows.retain(|r| r.0 >= t);
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best_in: Vec<Option<f64>> = vec![None; window_scored.len()];
    let mut total = null;
    let mut best = if threshold.is_some() {
        f64::NEG_INFINITY
    } else {
        null
    };
    for (i, &(score, value, window)) in rows.iter().enumerate() {
        match window {
            Some(k) => {
                let v = (profile.tp * value).max(-profile.fn_);
                let before = best_in[k].unwrap_or(-profile.fn_);
                if v > before || best_in[k].is_none() {
                    total += v.max(before) - before;
                    best_in[k] = Some(v.max(before));
                }
            }
            None => total += profile.fp * value,
        }
        let boundary = rows.get(i + 1).is_none_or(|next| next.0 != score);
        if boundary && (threshold.is_none() || i + 1 == rows.len()) {
            best = best.max(total);
        }
    }
    if rows.is_empty() {
        best = null;
    }
    100.0 * (best - null) / (perfect - null)
}
