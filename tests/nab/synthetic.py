#!/usr/bin/env python3
"""Synthetic series through `modelwatch backtest`: does the default anomaly monitor stay
quiet on noise and catch injected anomalies, at 1-, 5-, 30- and 60-minute spacing?

usage: synthetic.py --bin target/release/modelwatch [--config tests/fixtures/nab/modelwatch.yaml]
                    [--monitor default] [--seed 7]

Series (21 days; 10 at 1-minute spacing): noise of several distributions (Gaussian,
Laplace, Student t3, log-normal, Poisson counts, sparse counts, uniform, a flat line), a
daily sine, a daily square wave, a weekday/weekend pattern, daily Poisson counts and a
slow random walk. Each is run clean (every alert is false), with 2 % of rows shuffled out
of order and repeated (the backtest must still run), and with one anomaly injected at 70 %
of its length: a spike, a persisting level shift, a 6-hour drop to a fifth, a slow drift.
Prints, per spacing, the alert openings on clean series and, per anomaly, the delay of
the first opening after onset (minutes, '-' if none) / openings after onset + openings
before onset. The last line totals the false openings.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

DAY = 86400
KINDS = ["gauss", "laplace", "t3", "lognorm", "poisson", "sparse", "uniform", "flat",
         "sine", "square", "weekly", "pois_daily", "walk"]
ANOMALIES = ["spike", "shift", "drop", "drift"]


def base(rng, kind, t):
    n = len(t)
    tod = (t % DAY) / DAY
    dow = (t // DAY) % 7
    if kind == "gauss": return 10 + rng.normal(0, 1, n)
    if kind == "laplace": return 10 + rng.laplace(0, 1, n)
    if kind == "t3": return 10 + rng.standard_t(3, n)
    if kind == "lognorm": return rng.lognormal(2, 0.5, n)
    if kind == "poisson": return rng.poisson(3, n).astype(float)
    if kind == "sparse": return rng.poisson(0.2, n).astype(float)
    if kind == "uniform": return rng.uniform(0, 10, n)
    if kind == "flat": return np.full(n, 5.0)
    if kind == "sine": return 50 + 20 * np.sin(2 * np.pi * tod) + rng.normal(0, 2, n)
    if kind == "square": return np.where((tod > 0.35) & (tod < 0.75), 80, 20) + rng.uniform(-5, 5, n)
    if kind == "weekly":
        return (50 + 20 * np.sin(2 * np.pi * tod)) * np.where(dow >= 5, 0.4, 1.0) + rng.normal(0, 2, n)
    if kind == "pois_daily": return rng.poisson(5 + 4 * np.sin(2 * np.pi * tod)).astype(float)
    if kind == "walk": return 100 + np.cumsum(rng.normal(0, 0.05, n)) + rng.normal(0, 1, n)
    raise ValueError(kind)


def series(rng, kind, spacing, days, anomaly=None):
    start = 1_400_000_000 - 1_400_000_000 % DAY
    t = np.arange(0, days * DAY, spacing, dtype=float) + start
    x = base(rng, kind, t)
    onset = None
    if anomaly:
        i = int(len(t) * 0.7)
        onset = t[i]
        sd = np.std(np.diff(x)) / np.sqrt(2) + 1e-9
        if anomaly == "spike": x[i] += 10 * sd + 0.5 * abs(np.mean(x))
        if anomaly == "shift": x[i:] += 6 * sd + 0.3 * abs(np.mean(x))
        if anomaly == "drop": x[i:i + int(6 * 3600 / spacing)] *= 0.2
        if anomaly == "drift": x[i:] += np.linspace(0, 15 * sd, len(t) - i)
    return t, x, onset


def write(path, t, x, messy=False, rng=None):
    ts = pd.to_datetime(t, unit="s").strftime("%Y-%m-%d %H:%M:%S")
    df = pd.DataFrame({"timestamp": ts, "value": x})
    if messy:
        # Real exports: a few rows repeated, a few swapped with their neighbour.
        idx = rng.choice(len(df) - 2, size=max(1, len(df) // 50), replace=False)
        rows = df.to_dict("records")
        for i in sorted(idx, reverse=True):
            if i % 2:
                rows.insert(i + 1, dict(rows[i]))
            else:
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
        df = pd.DataFrame(rows)
    df.to_csv(path, index=False)
    return len(df)


def openings(a, path):
    out = path + ".alerts.json"
    scores = path + ".scores.csv"
    p = subprocess.run([a.bin, "backtest", "--config", a.config, "--monitor", a.monitor,
                        "--series", path, "--alerts", out, "--scores", scores],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"backtest failed on {path}: {p.stderr.strip()[:300]}")
    rows = sum(1 for _ in open(scores)) - 1
    return [x["opened_at_ms"] / 1000 for x in json.load(open(out))], rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--config", default="tests/fixtures/nab/modelwatch.yaml")
    ap.add_argument("--monitor", default="default")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--spacings", default="60,300,1800,3600", help="seconds, comma-separated")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    total_false = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spacing in [int(x) for x in a.spacings.split(",")]:
            days = 10 if spacing == 60 else 21
            clean_false, early_false, caught, injected = 0, 0, 0, 0
            row = []
            for k in KINDS:
                t, x, _ = series(rng, k, spacing, days)
                path = os.path.join(tmp, f"{k}.csv")
                n = write(path, t, x, messy=(k == "gauss"), rng=rng)
                opened, rows = openings(a, path)
                if rows != n:
                    sys.exit(f"{k}: {n} rows in, {rows} scores out")
                row.append(f"{k}:{len(opened)}")
                total_false += len(opened)
                clean_false += len(opened)
            print(f"clean {spacing:5d}s ", " ".join(row), flush=True)
            for an in ANOMALIES:
                row = []
                for k in KINDS:
                    if k == "flat":
                        continue
                    t, x, onset = series(rng, k, spacing, days, an)
                    path = os.path.join(tmp, f"{k}-{an}.csv")
                    write(path, t, x)
                    opened, _ = openings(a, path)
                    after = [o for o in opened if o >= onset]
                    before = len(opened) - len(after)
                    total_false += before
                    early_false += before
                    injected += 1
                    caught += bool(after) and (after[0] - onset) <= 6 * 3600
                    delay = "-" if not after else "%d" % ((after[0] - onset) / 60)
                    row.append(f"{k}:{delay}/{len(after)}+{before}")
                print(f"  {an:6s}", " ".join(row), flush=True)
            print(f"  {spacing}s: {clean_false} false openings on {len(KINDS)} clean series, "
                  f"{early_false} before onset on {injected} others; "
                  f"{caught} of {injected} anomalies opened an alert within 6 h", flush=True)
    print(f"false openings (clean series and before onset): {total_false}")


if __name__ == "__main__":
    main()
