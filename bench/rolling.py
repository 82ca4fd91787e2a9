"""The rolling statistics the baseline rules compute, with numpy and pandas, on the series
file the Rust rules benchmark reads (MODELWATCH_BENCH_SERIES): rolling mean/σ and rolling
median/MAD over the 1-hour (60-point) window of `mean_1h` and `robust_1h`. Points per
second, median of `--repeat` runs. `--write N` writes the series file first (a week of
minute data: a daily wave and noise, seeded).

    .venv-bench/bin/python bench/rolling.py --write 10080 --series target/bench/series.csv --out target/bench/rolling.json
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

WINDOW = 60
START = 1_790_000_000


def write(path: Path, points: int) -> None:
    rng = np.random.default_rng(7)
    i = np.arange(points)
    values = 1.0 + 0.5 * np.sin((i / 60.0 % 24.0) / 24.0 * 2 * np.pi) + 0.1 * (rng.random(points) - 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for t, v in zip(START + i * 60, values):
            f.write(f"{int(t)},{float(v)!r}\n")


def timed(fn, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=Path, required=True)
    ap.add_argument("--write", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if a.write:
        write(a.series, a.write)
    frame = pd.read_csv(a.series, header=None, names=["t", "v"])
    s = frame["v"]
    x = s.to_numpy()

    def mad(w):
        return np.median(np.abs(w - np.median(w)))

    cases = {
        "pandas rolling mean/σ": lambda: (s.rolling(WINDOW).mean(), s.rolling(WINDOW).std()),
        "numpy rolling mean/σ": lambda: (sliding_window_view(x, WINDOW).mean(axis=1), sliding_window_view(x, WINDOW).std(axis=1, ddof=1)),
        "pandas rolling median/MAD": lambda: (s.rolling(WINDOW).median(), s.rolling(WINDOW).apply(mad, raw=True)),
        "numpy rolling median/MAD": lambda: (lambda w: (np.median(w, axis=1), np.median(np.abs(w - np.median(w, axis=1)[:, None]), axis=1)))(
            sliding_window_view(x, WINDOW)),
    }
    out = {"points": len(x), "window": WINDOW, "numpy": np.__version__, "pandas": pd.__version__, "repeat": a.repeat, "cases": {}}
    for name, fn in cases.items():
        secs = timed(fn, a.repeat)
        out["cases"][name] = {"seconds": secs, "points_per_s": len(x) / secs}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
