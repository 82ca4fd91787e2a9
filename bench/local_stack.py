"""Page latency and intake throughput on the local stack (`make local`'s
tests/src/bin/modelwatch-local.rs: the intake's HTTP routes, the escalator reading the
emulator's stream, the fakes), each case on a fresh table and a fresh stack process. The
stack is built optimised (`make bench` builds it in the bench profile), as the functions
are: a debug build measures its own code more than the pipeline.

  latency     webhooks for new alerts sent open-loop at a fixed rate; for each, the time
              from the intake's answer (accepted) to the PagerDuty fake receiving its
              trigger event; with the stream read every 1,000 ms (make local's default)
              and every 100 ms, so the poll interval's share shows; and 100 a second
              for ten seconds with the stream read every 250 ms, as Lambda polls.
  throughput  oha (crates.io, installed by the Makefile) at concurrency 1, 4 and 16:
              one webhook body, so the first request opens an alert and the rest are
              Datadog's retries of it (duplicates); and the new-alert rate the latency
              cases achieved.

Run inside tests/emulator/with-dynamodb; writes JSON:

    tests/emulator/with-dynamodb .venv-bench/bin/python bench/local_stack.py --out target/bench/local_stack.json
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = Path(os.environ.get("MODELWATCH_LOCAL_BIN", ROOT / "target/release/modelwatch-local"))
OHA = Path(os.environ.get("MODELWATCH_OHA", ROOT / ".tools/bin/oha"))
TOKEN = "bench-local-token"
FIXTURE = json.loads((ROOT / "tests/fixtures/datadog/10_recommended_triggered.json").read_text())
OUT = ROOT / "target/bench/local-stack"


def hook(monitor: int) -> dict:
    # Sent now, as Datadog's $DATE says: the intake believes a sender's time only within
    # seven days before arrival, and the fixture's own date ages past that.
    now = str(int(time.time() * 1000))
    return dict(FIXTURE, alert_id=str(monitor), alert_cycle_key=f"{monitor}{FIXTURE['alert_cycle_key']}", id=f"{monitor}{FIXTURE['id']}",
                date=now, last_updated=now)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list, p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))]


class LocalStack:
    """One modelwatch-local process on a table of its own."""

    def __init__(self, name: str, poll_ms: int):
        self.port = free_port()
        self.pd_port = free_port()
        env = dict(os.environ, MODELWATCH_PORT=str(self.port), MODELWATCH_PAGERDUTY_PORT=str(self.pd_port),
                   MODELWATCH_TABLE=f"bench-{name}", MODELWATCH_WEBHOOK_TOKEN=TOKEN,
                   MODELWATCH_STREAM_POLL_MS=str(poll_ms), RUST_LOG="warn")
        OUT.mkdir(parents=True, exist_ok=True)
        self.log = open(OUT / f"{name}.log", "w")
        self.proc = subprocess.Popen([str(LOCAL)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True)
        for line in self.proc.stdout:
            if "is up" in line:
                break
        else:
            sys.exit(f"local_stack: {LOCAL} exited before it was up; see {OUT / (name + '.log')}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/datadog"
        self.pagerduty = f"http://127.0.0.1:{self.pd_port}"

    def webhook(self, monitor: int) -> tuple[int, float]:
        """Sends one webhook of monitor `monitor` (an alert of its own: the alert key is the
        monitor and the scope): (status, wall-clock ms when answered)."""
        body = json.dumps(hook(monitor)).encode()
        req = urllib.request.Request(self.url, body, {"content-type": "application/json", "x-modelwatch-token": TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = 0
        return status, time.time() * 1000

    def received(self) -> list:
        with urllib.request.urlopen(f"{self.pagerduty}/_received", timeout=30) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def latency(rate: float, seconds: float, poll_ms: int, wait_s: float) -> dict:
    name = f"latency-{rate:g}ps-poll{poll_ms}"
    stack = LocalStack(name, poll_ms)
    try:
        n = max(1, int(rate * seconds))
        accepted: dict[str, tuple[int, float]] = {}
        started = time.monotonic()

        def send(i: int) -> None:
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            accepted[f"datadog:monitor:{1_000_000 + i}|"] = stack.webhook(1_000_000 + i)

        with ThreadPoolExecutor(max_workers=min(64, n)) as pool:
            list(pool.map(send, range(n)))
        send_s = time.monotonic() - started
        ok = {k: at for k, (status, at) in accepted.items() if 200 <= status < 300}
        # Wait for every accepted alert's page (or give up after wait_s).
        deadline = time.monotonic() + wait_s
        paged: dict[str, float] = {}
        while time.monotonic() < deadline:
            for r in stack.received():
                body = r.get("body") or {}
                if r.get("path") != "/v2/enqueue" or body.get("event_action") != "trigger":
                    continue
                text = json.dumps(body)
                for k in ok:
                    if k not in paged and k in text:
                        paged[k] = r["at_ms"]
            if len(paged) == len(ok):
                break
            time.sleep(0.5)
        lat = [paged[k] - ok[k] for k in paged]
        return {"case": name, "rate_per_s": rate, "poll_ms": poll_ms, "sent": n, "accepted": len(ok),
                "errors": n - len(ok), "paged": len(paged), "send_seconds": round(send_s, 2),
                "achieved_per_s": round(len(ok) / send_s, 1) if send_s else None,
                "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None}
    finally:
        stack.stop()


def throughput(concurrency: int, seconds: int) -> dict:
    name = f"oha-c{concurrency}"
    if not OHA.exists():
        return {"case": name, "error": f"{OHA} not found: make bench installs it"}
    stack = LocalStack(name, 1000)
    try:
        body = OUT / "oha-webhook.json"
        body.write_text(json.dumps(hook(2_000_000 + concurrency)))
        cmd = [str(OHA), "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-c", str(concurrency),
               "-m", "POST", "-T", "application/json", "-H", f"x-modelwatch-token: {TOKEN}", "-D", str(body), stack.url]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
        if out.returncode != 0:
            return {"case": name, "error": out.stderr[-500:]}
        r = json.loads(out.stdout)
        s, p = r["summary"], r.get("latencyPercentiles", {})
        statuses = r.get("statusCodeDistribution", {})
        ok = sum(v for k, v in statuses.items() if k.startswith("2"))
        return {"case": name, "concurrency": concurrency, "seconds": seconds, "command": " ".join(cmd[:-1] + ["URL"]),
                "requests_per_s": s.get("requestsPerSec"), "p50_ms": (p.get("p50") or 0) * 1000,
                "p99_ms": (p.get("p99") or 0) * 1000, "ok": ok, "statuses": statuses,
                "errors": sum(v for k, v in statuses.items() if not k.startswith("2")) + sum(r.get("errorDistribution", {}).values())}
    finally:
        stack.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "target/bench/local_stack.json")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    secs = {1: 10, 10: 5, 100: 2} if not a.quick else {1: 3, 10: 1, 100: 0.5}
    cases = [(rate, secs[rate], 1000) for rate in (1, 10, 100)] + [(rate, secs[rate], 100) for rate in (1, 10)]
    # Sustained: ten seconds at 100 a second, the stream read at Lambda's pace (4 a second).
    cases.append((100, 10 if not a.quick else 1, 250))
    results = {"latency": [], "throughput": []}
    for rate, seconds, poll in cases:
        results["latency"].append(latency(rate, seconds, poll, wait_s=30 if a.quick else 120))
        print(f"latency {results['latency'][-1]}", file=sys.stderr)
    for c in (1, 4, 16):
        results["throughput"].append(throughput(c, 3 if a.quick else 10))
        print(f"throughput {results['throughput'][-1]}", file=sys.stderr)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
