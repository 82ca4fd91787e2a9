"""`make bench`: runs every benchmark under bench/ in turn and writes docs/benchmarks.md
(the machine, each command with the load average beside it, medians and spreads, the
goals of issue #17 met or missed, and the cost model).

The builds come first (the Makefile does them): release functions (`make build`'s
profile), the optimised fakes, local stack and demo, oha, the benchmarks' venv.
BENCH_QUICK=1: a fast smoke of the same steps (few runs, short loads, 1,000 groups).
"""

import json
import math
import os
import platform
import re
import shlex
import statistics
from collections import Counter
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "target/bench"
DOC = Path(os.environ.get("MODELWATCH_BENCH_DOC", ROOT / "docs/benchmarks.md"))
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
PY = str(ROOT / ".venv-bench/bin/python")
SAM_PY = str(ROOT / ".venv-sam/bin/python")
WITH = str(ROOT / "tests/emulator/with-dynamodb")

# Prices: shared/reference/README.md, "Numbers to design against" (read 2026-12-02).
PRICE_DATE = "2026-12-02 (as stated in shared/reference/README.md, \"Numbers to design against\")"
GB_S = 0.0000133334  # Lambda arm64, per GB-second
PER_REQUEST = 0.20 / 1e6
WCU = 0.625 / 1e6
RCU = 0.125 / 1e6
MONTH_MIN = 60 * 24 * 30

log: list[dict] = []


def run(label: str, cmd: list, env: dict | None = None, timeout: int = 3600) -> subprocess.CompletedProcess:
    before = os.getloadavg()
    started = time.monotonic()
    print(f"== {label}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
    p = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE, text=True, timeout=timeout)
    after = os.getloadavg()
    shown_env = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    shown = ((shown_env + " " if shown_env else "") + shlex.join(cmd)).replace(f"{ROOT}/", "")
    log.append({"label": label, "command": shown,
                "seconds": time.monotonic() - started, "load_before": before, "load_after": after, "rc": p.returncode})
    if p.returncode != 0:
        print(p.stdout[-3000:], file=sys.stderr)
        print(f"bench: {label} failed ({p.returncode})", file=sys.stderr)
    return p


def load_of(label: str) -> str:
    e = next((x for x in log if x["label"] == label), None)
    if not e:
        return "not run"
    return f"load {e['load_before'][0]:.2f} → {e['load_after'][0]:.2f} (1-min avg)"


def med(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values) -> str:
    values = sorted(v for v in values if v is not None)
    if not values:
        return "–"
    q = statistics.quantiles(values, n=4) if len(values) >= 4 else [values[0], 0, values[-1]]
    return f"{values[0]:.1f} / {q[0]:.1f}–{q[2]:.1f} / {values[-1]:.1f}"


def fmt(v, digits=1, unit="") -> str:
    return "–" if v is None else f"{v:,.{digits}f}{unit}"


def escape(text: str) -> str:
    """Text for a Markdown table cell: code, its pipes escaped."""
    return "`" + text.replace("|", "\\|") + "`"


def machine(measured: str) -> list[str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "?")
    mem = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "?")
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    py = subprocess.run([PY, "--version"], capture_output=True, text=True).stdout.strip()
    return [f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other builders: timings are noisy; "
            f"the load average is beside every figure)", f"- Memory: {mem}; kernel {platform.release()}",
            f"- {rustc}; {py} (the baseline's interpreter); moto 5.2.5 as DynamoDB (served one request at a time by tests/emulator/http_server.py)",
            f"- Date: {measured}; mode: {'BENCH_QUICK (smoke: too few runs to quote)' if QUICK else 'full'}"]


# ---------------------------------------------------------------------------- steps
def step_rolling() -> dict:
    series = OUT / "series.csv"
    out = OUT / "rolling.json"
    run("rolling", [PY, "bench/rolling.py", "--write", "10080", "--series", str(series), "--out", str(out),
                    "--repeat", "3" if QUICK else "7"])
    return json.loads(out.read_text()) if out.exists() else {}


def criterion(group: str, name: str) -> dict | None:
    f = ROOT / "target/criterion" / group / name / "new/estimates.json"
    if not f.exists():
        return None
    e = json.loads(f.read_text())
    return {"median_ns": e["median"]["point_estimate"], "lo_ns": e["median"]["confidence_interval"]["lower_bound"],
            "hi_ns": e["median"]["confidence_interval"]["upper_bound"]}


def step_rust_benches() -> dict:
    groups = "1000" if QUICK else "10000"
    args = ["--warm-up-time", "1", "--measurement-time", "2"] if QUICK else []
    env = {"MODELWATCH_BENCH_SERIES": str(OUT / "series.csv"), "MODELWATCH_BENCH_GROUPS": groups}
    p = run("rust benches", ["cargo", "bench", "--locked", "--workspace", "--bench", "lifecycle", "--bench", "webhook",
                                  "--bench", "rules", "--bench", "fleet", "--", *args], env)
    (OUT / "rust-benches.txt").write_text(p.stdout)
    fleet = next((json.loads(ln) for ln in p.stdout.splitlines() if ln.startswith('{"config"')), {})
    cases = {"rolling mean/σ statistics (60-point window)": criterion("rolling_statistics", "mean_sd_60"),
             "rolling median/MAD statistics (60-point window)": criterion("rolling_statistics", "median_mad_60")}
    cases.update({n: criterion("baseline_points", n) for n in ("mean_1h", "robust_1h", "robust_daily_7d")})
    cases["mean_1h, every evaluation in words"] = criterion("baseline_evaluations", "mean_1h")
    cases["anomaly detector"] = criterion("anomaly", "detector_year_of_minutes")
    return {"fleet": fleet, "cases": cases, "stdout": p.stdout}


def step_cold_start() -> dict:
    out = OUT / "cold_start.json"
    calls = OUT / "cold-start/calls.jsonl"
    calls.parent.mkdir(parents=True, exist_ok=True)
    calls.unlink(missing_ok=True)
    run("cold start", [WITH, SAM_PY, "bench/cold_start.py", "--runs", "3" if QUICK else "20",
                          "--sustained", "20" if QUICK else "200", "--out", str(out)],
        {"MODELWATCH_EMULATOR_CALLS": str(calls)})
    return json.loads(out.read_text()) if out.exists() else {}


def step_local_stack() -> dict:
    out = OUT / "local_stack.json"
    run("local stack", [WITH, PY, "bench/local_stack.py", "--out", str(out), *(["--quick"] if QUICK else [])])
    return json.loads(out.read_text()) if out.exists() else {}


def step_demo() -> dict:
    """`make demo`'s replay of two simulated days (the optimised demo binary, as `make demo`
    builds it): its own "done in N s" and the whole command's wall time."""
    p = run("demo", [WITH, str(ROOT / "target/release/modelwatch-demo")], timeout=900)
    found = re.search(r"^done in (\d+) s: (\d+) stream batches delivered \((\d+) retried\), nothing lost or doubled", p.stdout, re.M)
    result = {"replay_s": int(found.group(1)) if found else None, "batches": int(found.group(2)) if found else None,
              "wall_s": next(e["seconds"] for e in log if e["label"] == "demo"), "rc": p.returncode}
    (OUT / "demo.json").write_text(json.dumps(result))
    return result


# ---------------------------------------------------------------------------- report
def cold_section(cs: dict, goals: list) -> list[str]:
    s = cs.get("samples", {})
    lines = ["## 1. Cold start", "",
             f"`{next((x['command'] for x in log if x['label'] == 'cold start'), '')}` — {load_of('cold start')}", "",
             "Each function's release binary (`make build`'s profile: fat LTO, opt-level 3; x86_64 here, "
             "arm64 in AWS) as one fresh process per run through the project's Lambda Runtime API host "
             "(tests/deploy/runtime_api.py, as the deploy smoke test runs them), with the template's environment, "
             "the secret read from the emulator's Secrets Manager, the clients built and the table checked at init (the escalator checks it by reading the silences in force, which its first event then uses), "
             "and its first event already queued. init = exec → first `GET /runtime/invocation/next`; first "
             "response = exec → the answer posted back; CPU = the process's own CPU time, read from "
             "/proc/PID/task/*/schedstat just after that answer arrived (so it includes the little the process did "
             "after it); the rest of first response is waiting for the emulator, the fakes (optimised builds) and the Runtime API host, "
             "or for one of the two cores they share; waiting for a core = the time the process's threads were ready "
             "to run but had none (schedstat's run-queue delay, read with CPU, summed over the threads: the "
             "configuration parse's thread may wait without delaying the answer): what a busy machine adds; peak RSS = VmHWM after the answer (after one warm webhook "
             "too for the intakes, one more alert for the escalator). The escalator's first event is the stream batch "
             "of one new alert (the intake's webhook of that run), which it pages in full: two Slack posts and a "
             "PagerDuty trigger, each recorded; its warm event is the next alert's. Runs interleaved so load falls on all alike. The Python baseline "
             "(bench/python_intake/handler.py, Python 3.11, awslambdaric 4.2.2, boto3) does the intake's minimal "
             "work: at init the secret and the table check; per event the token check, parsing, one conditional "
             "PutItem. The evaluator and reporter do their whole job against the fakes (the evaluator reads the "
             "example configuration's monitors from the Datadog fake; the reporter posts the daily health check).", "",
             "The floor is a function that does nothing (bench/floor: the standard library taking the event and "
             "answering it), run beside them: what starting a process and the Runtime API host's two round trips cost "
             "any function. Emulator = the emulator's own time answering the process's requests before its first "
             "response, summed (from its call log, tests/emulator/calls.py, on the benchmark's clock): for the "
             "intakes, which wait for each answer, time they waited, not worked; functions that have several "
             "requests out at once may work meanwhile.", "",
             "| function | runs | init median (ms) | init min / IQR / max | first response median (ms) | first response min / IQR / max | CPU to first response median (ms) | waiting for a core median (ms) | emulator before first response median (ms, requests) | warm round trip (ms) | peak RSS median (MB) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("floor", "intake", "python-intake", "escalator", "evaluator", "reporter"):
        v = s.get(name, [])
        if not v and name == "floor":
            continue  # a run from before the floor was measured
        served = [x.get("emulator_ms") for x in v]
        requests = sorted({x.get("emulator_requests") for x in v if x.get("emulator_requests") is not None})
        lines.append(f"| {name} | {len(v)} | {fmt(med([x['init_ms'] for x in v]))} | {spread([x['init_ms'] for x in v])} | "
                     f"{fmt(med([x['first_response_ms'] for x in v]))} | {spread([x['first_response_ms'] for x in v])} | "
                     f"{fmt(med([x.get('cpu_ms') for x in v]))} | {fmt(med([x.get('core_wait_ms') for x in v]))} | "
                     f"{fmt(med(served))}{count_range(requests)} | "
                     f"{fmt(med([x.get('warm_ms') for x in v]))} | {fmt(med([x['peak_rss_kib'] / 1024 for x in v]))} |")
    sus = cs.get("sustained", {})
    for name, r in sus.items():
        lines.append("")
        lines.append(f"Under load, one {name} process: {r['events']} events in a row"
                     + (f" ({r['records']} stream records in batches of up to {r['batch_size']})" if name == "escalator" else " (new alerts)")
                     + f", warm round trip median {fmt(med(r['round_trip_ms']))} ms (p99 {fmt(sorted(r['round_trip_ms'])[int(0.99 * (len(r['round_trip_ms']) - 1))] if r['round_trip_ms'] else None)} ms), "
                     f"peak RSS {r['peak_rss_kib'] / 1024:.1f} MB.")
    rust = med([x["first_response_ms"] for x in s.get("intake", [])])
    py = med([x["first_response_ms"] for x in s.get("python-intake", [])])
    ratio = py / rust if rust and py else None
    lines += ["", f"Python ÷ Rust intake at first response: **{fmt(ratio)}×** (init: "
              f"{fmt(med([x['init_ms'] for x in s.get('python-intake', [])]) / med([x['init_ms'] for x in s.get('intake', [])]) if s.get('intake') and s.get('python-intake') else None)}×).", ""]
    lines += harness_share(s)
    if cs.get("failures"):
        lines += ["Failures: " + "; ".join(cs["failures"][:5]), ""]
    for name in ("intake", "escalator"):
        v = s.get(name, [])
        i, f = med([x["init_ms"] for x in v]), med([x["first_response_ms"] for x in v])
        # The larger of the cold starts' median and the process under load.
        loaded = sus.get(name, {}).get("peak_rss_kib")
        rss = max((m for m in (med([x["peak_rss_kib"] / 1024 for x in v]), loaded and loaded / 1024) if m), default=None)
        goals.append((f"{name} init ≤ 10 ms median", i is not None and i <= 10, f"{fmt(i)} ms"))
        goals.append((f"{name} first response ≤ 20 ms median", f is not None and f <= 20, f"{fmt(f)} ms"))
        goals.append((f"{name} peak RSS ≤ 20 MB (cold and under load)", rss is not None and rss <= 20, f"{fmt(rss)} MB (largest)"))
    goals.append(("intake ≥ 25× faster than Python at first response", ratio is not None and ratio >= 25, f"{fmt(ratio)}×"))
    return lines


def count_range(counts: list) -> str:
    """" (4)", or " (17–19)" when runs differ; nothing without counts."""
    if not counts:
        return ""
    return f" ({counts[0]})" if counts[0] == counts[-1] else f" ({counts[0]}–{counts[-1]})"


def harness_share(s: dict) -> list[str]:
    """The intakes' first responses split into what every function pays here (the floor,
    the emulator's answers) and the rest (the function's own work, and waiting for a core)."""
    floor = med([x["first_response_ms"] for x in s.get("floor", [])])
    rest = {}
    for name in ("intake", "python-intake"):
        v = [x for x in s.get(name, []) if x.get("emulator_ms") is not None]
        if floor is None or not v:
            return []
        rest[name] = (med([x["emulator_ms"] for x in v]), med([x["first_response_ms"] - x["emulator_ms"] - floor for x in v]))
    (rust_emulator, rust_rest), (py_emulator, py_rest) = rest["intake"], rest["python-intake"]
    return [f"Where the intakes' first responses go (medians, ms): the floor {fmt(floor)} for both; the emulator answering "
            f"their requests {fmt(rust_emulator)} (Rust) and {fmt(py_emulator)} (Python); the rest, each one's own work "
            f"and its waits for a core, {fmt(rust_rest)} and {fmt(py_rest)}: "
            f"{fmt(py_rest / rust_rest if rust_rest and rust_rest > 0 else None)}× on that rest. The floor and the emulator are "
            "this harness's (in AWS the Runtime API is local to the sandbox, and DynamoDB and Secrets Manager are network "
            "round trips of their own), so the ratio at first response follows them as much as the functions.", ""]


def capacity_section(cs: dict, goals: list) -> list[str]:
    lines = ["### DynamoDB requests and capacity per webhook", "",
             "From the same run (one intake process, four webhooks in a row); requests from the emulator's call log "
             "(tests/emulator/calls.py), attributed by the function's own credentials. The store does not ask for "
             "`ReturnConsumedCapacity` (no occurrence in shared/src/store), and moto answers it with a constant, so the "
             "units are computed from the items written and read with DynamoDB's on-demand rules: a strongly "
             "consistent read 1 RCU per 4 KB (at least 1), a transactional write 2 WCU per 1 KB per item, and the "
             "`open-alerts` index written as a table is (1 WCU per 1 KB of the entry, the whole item and 100 bytes, "
             "projection ALL; twice when the entry's keys change): an open alert, or a resolved one still owing, is in it.", "",
             "| webhook | requests | items written (bytes) | read units | write units (of which the index) | answer |", "|---|---|---|---|---|---|"]
    for c in cs.get("capacity", []):
        sizes = ", ".join(f"{k.split('#')[0]} {v}" for k, v in c["items_written"].items()) or "none"
        index = c.get("index_write_units")
        written = f"{c['write_units']:g}" + (f" ({index:g})" if index is not None else " (index not counted)")
        lines.append(f"| {c['case']} | {len(c['requests'])}: {', '.join(c['requests'])} | {sizes} | {c['read_units']:g} | {written} | {escape(str(c.get('answer'))[:60])} |")
    other = cs.get("capacity_other", {})
    if other:
        lines += ["", "Operations of the other functions, one process each, from the same call log:", "",
                  "| function | phase | operations |", "|---|---|---|"]
        for name in ("escalator", "evaluator"):
            for phase, ops in other.get(name, {}).items():
                extra = f" ({other.get('escalator_records')} stream records)" if name == "escalator" and phase == "deliveries" else ""
                counted = ", ".join(f"{op} ×{n}" for op, n in Counter(ops).most_common())
                lines.append(f"| {name} | {phase}{extra} | {len(ops)}: {counted} |")
    caps = {c["case"]: c for c in cs.get("capacity", [])}
    dup, new = caps.get("duplicate (same webhook again)"), caps.get("new alert")
    if dup:
        goals.append(("duplicate webhook costs one read", len(dup["requests"]) == 1 and dup["requests"][0] == "GetItem",
                      f"{len(dup['requests'])} request(s): {', '.join(dup['requests'])}"))
    if new:
        goals.append(("new webhook at most 2 requests", len(new["requests"]) <= 2,
                      f"{len(new['requests'])}: {', '.join(new['requests'])}; {new['read_units']:g} RCU + {new['write_units']:g} WCU"))
    return lines + [""]


def local_section(ls: dict, goals: list) -> list[str]:
    lines = ["## 2. Page latency on the local stack", "",
             f"`{next((x['command'] for x in log if x['label'] == 'local stack'), '')}` — {load_of('local stack')}", "",
             "`make local`'s stack (tests/src/bin/modelwatch-local.rs, optimised build (bench profile), one process: intake routes, "
             "escalator reading the emulator's stream, fakes) on a fresh table per case; webhooks for new alerts sent "
             "open-loop at the rate; latency = intake's answer → the PagerDuty fake receiving the trigger. The loop "
             "reads the stream every `MODELWATCH_STREAM_POLL_MS` (1,000 ms as `make local`; Lambda's event source "
             "mapping polls a shard about 4 times a second); the 100 ms rows show the poll interval's share.", "",
             "| rate (webhooks/s) | poll (ms) | sent | accepted | paged | achieved (accepted/s) | p50 (ms) | p99 (ms) | max (ms) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in ls.get("latency", []):
        lines.append(f"| {c['rate_per_s']:g} | {c['poll_ms']} | {c['sent']} | {c['accepted']} | {c['paged']} | {fmt(c['achieved_per_s'])} | "
                     f"{fmt(c['p50_ms'], 0)} | {fmt(c['p99_ms'], 0)} | {fmt(c['max_ms'], 0)} |")
    at100 = next((c for c in ls.get("latency", []) if c["rate_per_s"] == 100 and c["poll_ms"] == 1000), None)
    if at100:
        goals.append(("page latency p99 ≤ 2 s at 100 webhooks/s (local stack)",
                      at100["p99_ms"] is not None and at100["p99_ms"] <= 2000 and at100["paged"] == at100["sent"],
                      f"p99 {fmt(at100['p99_ms'], 0)} ms, {at100['paged']}/{at100['sent']} paged, {fmt(at100['achieved_per_s'])} accepted/s"))
    lines += ["", "## 3. Intake throughput (oha)", "",
              "oha 1.16.0 (crates.io, `cargo install --locked` into .tools/) against the local stack's intake, "
              "10 s per concurrency (3 s in BENCH_QUICK), one webhook body: the first request opens the alert, every "
              "later one is Datadog's retry of it (the duplicate path: one GetItem). The errors are the requests still "
              "in flight when the duration ends (oha counts them; one per connection). New alerts per second are the "
              "latency rows' \"achieved\" column (2 requests each, the transaction the slow part on moto).", "",
              "| concurrency | requests/s | p50 (ms) | p99 (ms) | 2xx | errors |", "|---|---|---|---|---|---|"]
    for c in ls.get("throughput", []):
        if "error" in c:
            lines.append(f"| {c['case']} | failed: {c['error'][:80]} | | | | |")
            continue
        lines.append(f"| {c['concurrency']} | {fmt(c['requests_per_s'])} | {fmt(c['p50_ms'])} | {fmt(c['p99_ms'])} | {c['ok']} | {c['errors']} |")
        c["command"] = c.get("command", "").replace(f"{ROOT}/", "")
    if ls.get("throughput"):
        lines += ["", f"Command (per concurrency C): `{ls['throughput'][0].get('command', '').replace('-c 1', '-c C')}`"]
    return lines + [""]


def evaluator_section(rb: dict, rolling: dict, goals: list) -> list[str]:
    lines = ["## 4. Evaluator", "",
             f"`{next((x['command'] for x in log if x['label'] == 'rust benches'), '')}` — {load_of('rust benches')}; "
             f"`{next((x['command'] for x in log if x['label'] == 'rolling'), '')}` — {load_of('rolling')}", "",
             "Points per second on the same series file numpy/pandas read "
             f"({rolling.get('points', '?')} minute points, target/bench/series.csv; shared/benches/rules.rs, criterion, "
             "bench profile: opt-level 3, no LTO). *Rolling … statistics*: the baseline rule's own statistics "
             "(`rules::mean_sd_by`, `rules::median_mad`) over the 60-point window ending at every point — what "
             "numpy/pandas compute. *mean_1h*, *robust_1h*, *robust_daily_7d*: a whole rule evaluation at every point "
             "as a backtest asks it (`Evaluator::states`: window aggregation p95, the baseline, trigger 3 of 5 with the "
             "60-instant replay carried forward); *every evaluation in words*: `Evaluator::at`, the reason written "
             "at every point, as the evaluator Lambda does for each instant it evaluates. numpy/pandas: "
             f"numpy {rolling.get('numpy', '?')}, pandas {rolling.get('pandas', '?')}, median of {rolling.get('repeat', '?')} runs.", "",
             "| what | points/s (median) | criterion 95 % CI of the median time |", "|---|---|---|"]
    pts = rolling.get("points", 10080)
    rust_mean = rule_mean = None
    for name, c in rb.get("cases", {}).items():
        if not c:
            lines.append(f"| Rust {name} | not run | |")
            continue
        n = 365 * 1440 if name == "anomaly detector" else pts
        rate = n / (c["median_ns"] / 1e9)
        if name.startswith("rolling mean/σ"):
            rust_mean = rate
        if name == "mean_1h":
            rule_mean = rate
        lines.append(f"| Rust {name} | {rate:,.0f} | {c['lo_ns'] / 1e6:.2f}–{c['hi_ns'] / 1e6:.2f} ms per pass |")
    for name, c in rolling.get("cases", {}).items():
        lines.append(f"| {name} | {c['points_per_s']:,.0f} | |")
    pandas_mean = rolling.get("cases", {}).get("pandas rolling mean/σ", {}).get("points_per_s")
    goals.append(("evaluator ≥ 10 M points/s per core, rolling mean/σ", rust_mean is not None and rust_mean >= 1e7, f"{fmt(rust_mean, 0)} points/s"))
    goals.append(("evaluator faster than numpy/pandas (rolling mean/σ)", bool(rust_mean and pandas_mean and rust_mean > pandas_mean),
                  f"{fmt(rust_mean, 0)} vs pandas {fmt(pandas_mean, 0)} points/s"))
    goals.append(("a whole mean/σ rule evaluation ≥ 10 M points/s per core (our own, beyond the issue's rolling mean/σ)", rule_mean is not None and rule_mean >= 1e7,
                  f"{fmt(rule_mean, 0)} points/s (mean_1h)"))
    f = rb.get("fleet", {})
    lines += ["", "### One run over the fleet", "",
              "functions/evaluator/benches/fleet.rs: bench/fleet.yaml's ten monitors (four thresholds, six 1-hour "
              "mean/robust baselines, each replaying 60 instants) over "
              f"{f.get('groups', 0):,} groups each (model × version × prod), from Datadog-shaped answer bodies read by "
              "the client's own parser (`parse_timeseries`), read and evaluated as `Evaluator::run` does (`reads`: the monitors "
              "of one window together while their expected points fit `POINTS_PER_READ`; `Pass`: each monitor's points dropped "
              "once it is evaluated) and through `signals`: the evaluator's "
              "work after the HTTP requests, in the bench profile (the Lambda's release profile adds fat LTO). "
              "Peak RSS is the process's VmHWM, the generated answer bodies included (the evaluator holds the same bytes).", "",
              "| groups × monitors | points | largest answer (MB) | parse + group (ms) | evaluate (ms) | signals (ms) | wall (ms) | peak RSS (MB) | signals | Datadog requests per run |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    if f:
        lines.append(f"| {f['groups']:,} × {f['monitors']} | {f['points']:,} | {f['largest_answer_mb']:.0f} | {f['parse_ms']:,.0f} | "
                     f"{f['evaluate_ms']:,.0f} | {f['signals_ms']:,.0f} | {f['wall_ms_without_generating']:,.0f} | "
                     f"{f['peak_rss_kib'] / 1024:,.0f} | {f['signals']} | {f['datadog_requests']} |")
        lines += ["", f"Datadog requests per run: {f['datadog_requests']} for the fleet's ten monitors at {f['groups']:,} groups, "
                  f"{f.get('datadog_requests_50_groups', '?')} at 50 groups (functions/evaluator/src/fetch.rs `reads`: one request "
                  "per distinct window while its monitors' expected points fit, so at 10,000 groups a window's monitors are read "
                  f"one or two at a time), {f['example_config_datadog_requests']} for infra/modelwatch.example.yaml's "
                  f"{f['example_config_monitors']} monitors at 50 groups (long baselines take two: recent points at the cadence, history coarser)."]
        ok = f.get("groups", 0) >= 10000
        goals.append(("evaluator 10k × 10 run under 10 s", ok and f["wall_ms_without_generating"] < 10000,
                      f"{f['wall_ms_without_generating'] / 1000:.1f} s for {f['groups']:,} groups"))
        goals.append(("evaluator 10k × 10 run ≤ 128 MB", ok and f["peak_rss_kib"] / 1024 <= 128,
                      f"{f['peak_rss_kib'] / 1024:.0f} MB for {f['groups']:,} groups"))
    return lines + [""]


def demo_section(demo: dict, goals: list) -> list[str]:
    lines = ["## 6. `make demo`", "",
             f"`{next((x['command'] for x in log if x['label'] == 'demo'), '')}` — {load_of('demo')}", "",
             "Two simulated days of the shipped scenario minute by minute through the real handlers on the emulator "
             "(tests/src/bin/modelwatch-demo.rs, optimised build); exits non-zero if anything was lost or doubled.", "",
             "| the demo's own \"done in\" (setup, replay, summary) | whole command, emulator start included | stream batches | exit |",
             "|---|---|---|---|",
             f"| {demo.get('replay_s', '–')} s | {fmt(demo.get('wall_s'))} s | {demo.get('batches', '–')} | {demo.get('rc', '–')} |", ""]
    if demo:
        ok = demo.get("rc") == 0 and demo.get("replay_s") is not None and demo["replay_s"] <= 30
        goals.append(("`make demo` replays its two days in ≤ 30 s after the build", ok,
                      f"{demo.get('replay_s', '–')} s (whole command {fmt(demo.get('wall_s'))} s)"))
    return lines


def cost_section(cs: dict, rb: dict) -> list[str]:
    s = cs.get("samples", {})
    mem = cs.get("memory_mb", {})
    caps = {c["case"]: c for c in cs.get("capacity", [])}
    warm_intake = med([x.get("warm_ms") for x in s.get("intake", [])]) or 0
    esc_work = med([x["first_response_ms"] - x["init_ms"] for x in s.get("escalator", [])]) or 0
    eval_work = med([x["first_response_ms"] - x["init_ms"] for x in s.get("evaluator", [])]) or 0
    other = cs.get("capacity_other", {})
    reads = lambda ops: sum(op.split(" ")[0] in ("GetItem", "Query", "BatchGetItem") for op in ops)  # noqa: E731
    writes = lambda ops: sum(op.split(" ")[0] in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem") for op in ops)  # noqa: E731
    delivered = max(1, other.get("escalator_records", 1))
    esc_reads = reads(other.get("escalator", {}).get("deliveries", [])) / delivered
    esc_writes = writes(other.get("escalator", {}).get("deliveries", [])) / delivered
    ev_reads = reads(other.get("evaluator", {}).get("second run", []))
    ev_writes = writes(other.get("evaluator", {}).get("second run", []))
    new, rec = caps.get("new alert", {}), caps.get("recovery of that alert", {})
    gb = lambda fn: mem.get(fn, 128) / 1024  # noqa: E731
    billed = lambda ms: math.ceil(ms)  # noqa: E731  1 ms billing granularity
    # One alert: opened and recovered by Datadog webhooks (2 intake invocations), each
    # change delivered by the escalator (2 stream batches, here one alert each: the worst case).
    intake_gbs = 2 * gb("intake") * billed(warm_intake) / 1000
    esc_gbs = 2 * gb("escalator") * billed(esc_work) / 1000
    ddb_alert = (new.get("read_units", 0) + rec.get("read_units", 0)) * RCU + (new.get("write_units", 0) + rec.get("write_units", 0)) * WCU
    # Each escalator write is the alert item (over 1 KB: 2 WCU), and while the alert is open or
    # owes its resolve it rewrites the item's open-alerts index entry too: as many units as
    # the intake's new alert measured for it.
    esc_index = new.get("index_write_units", 0)
    esc_ddb = 2 * (esc_reads * RCU + esc_writes * (2 + esc_index) * WCU)
    per_alert = (intake_gbs + esc_gbs) * GB_S + 4 * PER_REQUEST + ddb_alert + esc_ddb
    f = rb.get("fleet", {})
    # 50 models x 10 monitors every minute: the evaluator's compute scales with groups x monitors
    # from the fleet run; its Datadog requests per run are the fleet's at 50 groups; each takes
    # a round trip to Datadog's API (assumed 150 ms, not measured here).
    group_monitors = 50 * 10
    per_gm_ms = (f.get("wall_ms_without_generating", 0) / max(1, f.get("groups", 1) * f.get("monitors", 1))) if f else 0
    dd_requests = f.get("datadog_requests_50_groups", f.get("datadog_requests", 0))
    eval_ms = per_gm_ms * group_monitors + dd_requests * 150 + max(0.0, eval_work)
    eval_month_gbs = MONTH_MIN * gb("evaluator") * billed(eval_ms) / 1000
    esc_tick_gbs = MONTH_MIN * gb("escalator") * billed(max(esc_work, 1)) / 1000
    eval_month_ddb = MONTH_MIN * (ev_reads * RCU + ev_writes * 2 * WCU)
    month_fixed = (eval_month_gbs + esc_tick_gbs) * GB_S + 2 * MONTH_MIN * PER_REQUEST + eval_month_ddb
    lines = ["## 5. Cost", "",
             f"Prices: Lambda arm64 ${GB_S}/GB-s + $0.20 per million requests; DynamoDB on demand $0.625 per million "
             f"write units, $0.125 per million read units; from {PRICE_DATE}. Memory sizes from infra/template.yaml: "
             + ", ".join(f"{k} {v} MB" for k, v in sorted(mem.items())) + ". Durations are this machine's (x86_64, "
             "against moto on loopback), billed at 1 ms granularity; AWS arm64 and real DynamoDB differ.", "",
             "### Per million alerts", "",
             "One alert = opened and recovered by two Datadog webhooks (intake warm round trip "
             f"{fmt(warm_intake)} ms each) and two escalator deliveries (its measured work after init, {fmt(esc_work)} ms, "
             "one alert per batch: the worst case); DynamoDB units as measured in §1 (new + recovery) plus the "
             f"escalator's {esc_reads:.2g} reads and {esc_writes:.2g} writes per stream record delivered (§1's "
             f"escalator row of the operations table; each read 1 RCU, each write 2 WCU, the alert item being over 1 KB, "
             f"and {esc_index:g} WCU for its open-alerts index entry, as the new alert's measured). "
             "Stream reads by Lambda are free. The escalator's time here is against fakes that answer at once; "
             "Slack and PagerDuty take longer, and the escalator is billed for that wait.", "",
             "| item | per alert | per million alerts |", "|---|---|---|",
             f"| Lambda GB-s (intake + escalator) | {intake_gbs + esc_gbs:.6f} GB-s | ${(intake_gbs + esc_gbs) * GB_S * 1e6:.2f} |",
             f"| Lambda requests (4) | 4 | ${4 * PER_REQUEST * 1e6:.2f} |",
             f"| DynamoDB (intake) | {new.get('read_units', 0) + rec.get('read_units', 0):g} RCU + {new.get('write_units', 0) + rec.get('write_units', 0):g} WCU | ${ddb_alert * 1e6:.2f} |",
             f"| DynamoDB (escalator) | {2 * esc_reads:g} RCU + {2 * esc_writes * (2 + esc_index):g} WCU | ${esc_ddb * 1e6:.2f} |",
             f"| **total** | | **${per_alert * 1e6:.2f}** |", "",
             "### Per month: 50 models × 10 monitors, evaluated every minute", "",
             f"{MONTH_MIN:,} evaluator runs a month (30 days). Per run: {dd_requests} Datadog requests (bench/fleet.yaml's windows; "
             f"each assumed to take 150 ms round trip, not measured), compute {per_gm_ms * 1000:.1f} µs per group × monitor from "
             f"the fleet run × 500, plus the measured run against the fakes; {ev_reads:g} DynamoDB reads and {ev_writes:g} writes per "
             "steady-state run (§1's evaluator row: the example configuration's second run of a minute). The escalator's "
             "escalation clock also runs every minute.", "",
             "| item | per month |", "|---|---|",
             f"| evaluator GB-s ({fmt(eval_ms, 0)} ms × {gb('evaluator'):.2f} GB × {MONTH_MIN:,}) | ${eval_month_gbs * GB_S:.2f} |",
             f"| escalator clock GB-s | ${esc_tick_gbs * GB_S:.2f} |",
             f"| Lambda requests ({2 * MONTH_MIN:,}) | ${2 * MONTH_MIN * PER_REQUEST:.2f} |",
             f"| DynamoDB (evaluator) | ${eval_month_ddb:.2f} |",
             f"| Datadog API calls | {dd_requests * MONTH_MIN:,} a month ({dd_requests} a minute): no per-call price, counts against the timeseries endpoint's rate limit |",
             f"| **total before alerts** | **${month_fixed:.2f}** (+ ${per_alert * 1e6:.2f} per million alerts) |", ""]
    return lines


def saved(name: str) -> dict:
    f = OUT / name
    return json.loads(f.read_text()) if f.exists() else {}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    global log
    now = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    if os.environ.get("BENCH_REPORT_ONLY"):  # rewrite the page from the last run's results
        log = saved("log.json").get("log", [])
        # The figures are as old as the run that measured them, not this rewrite.
        measured = saved("log.json").get("measured", f"unknown (page rewritten {now})")
        rolling, rb, cs, ls = saved("rolling.json"), saved("rust_benches.json"), saved("cold_start.json"), saved("local_stack.json")
        demo = saved("demo.json")
    else:
        # BENCH_ONLY=rust,rolling (of rolling, rust, cold, local, demo): rerun those steps and
        # keep the last run's results for the others.
        only = {x.strip() for x in os.environ.get("BENCH_ONLY", "").split(",") if x.strip()}
        if only - {"rolling", "rust", "cold", "local", "demo"}:
            print(f"bench: BENCH_ONLY={os.environ['BENCH_ONLY']!r}: expected steps among rolling, rust, cold, local, demo", file=sys.stderr)
            return 2
        wanted = lambda step: not only or step in only  # noqa: E731
        kept = [] if not only else saved("log.json").get("log", [])
        rolling = step_rolling() if wanted("rolling") else saved("rolling.json")
        if wanted("rust"):
            rb = step_rust_benches()
            (OUT / "rust_benches.json").write_text(json.dumps(rb))
        else:
            rb = saved("rust_benches.json")
        cs = step_cold_start() if wanted("cold") else saved("cold_start.json")
        ls = step_local_stack() if wanted("local") else saved("local_stack.json")
        demo = step_demo() if wanted("demo") else saved("demo.json")
        fresh = {e["label"] for e in log}
        log = [e for e in kept if e["label"] not in fresh] + log
        measured = now if not only else f"{now} ({', '.join(sorted(only))}; the other steps from the run before)"
        (OUT / "log.json").write_text(json.dumps({"log": log, "measured": measured}))
    goals: list = []
    note = os.environ.get("BENCH_NOTE", "")
    body = ["# Benchmarks", "",
            "Written by `make bench` (bench/run.py; `BENCH_QUICK=1 make bench` for a fast smoke). Every figure "
            "is from one run of it on the machine below; rerun to refresh. Issue #17.", "", "## Machine", "", *machine(measured), *([f"- Note: {note}"] if note else []), ""]
    body += cold_section(cs, goals) + capacity_section(cs, goals) + local_section(ls, goals) + evaluator_section(rb, rolling, goals) + cost_section(cs, rb) + demo_section(demo, goals)
    table = ["## Goals (issue #17)", "", "| goal | measured | met |", "|---|---|---|"]
    table += [f"| {g} | {m} | {'met' if ok else '**missed**'} |" for g, ok, m in goals]
    notes = Path(__file__).with_name("findings.md")
    split = body.index("## 1. Cold start")
    body = body[:split] + table + [""] + ([notes.read_text(), ""] if notes.exists() else []) + body[split:]
    body += ["## Commands", "", "| step | command | seconds | load average before → after (1/5/15 min) | exit |", "|---|---|---|---|---|"]
    body += [f"| {e['label']} | `{e['command']}` | {e['seconds']:.0f} | {'/'.join(f'{x:.2f}' for x in e['load_before'])} → "
             f"{'/'.join(f'{x:.2f}' for x in e['load_after'])} | {e['rc']} |" for e in log]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(body) + "\n")
    print(f"bench: wrote {DOC.relative_to(ROOT) if DOC.is_relative_to(ROOT) else DOC}")
    return 1 if any(e["rc"] != 0 for e in log) else 0


if __name__ == "__main__":
    sys.exit(main())
