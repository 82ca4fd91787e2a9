"""Cold starts of every function's release binary, and of a Python 3.11 handler doing the
intake's minimal work under awslambdaric, through the project's Lambda Runtime API host
(tests/deploy), with the template's environment, the secret in the emulator's Secrets
Manager and the fakes: the deploy smoke test's setup, reused.

Each run starts a fresh process with its first event already queued (as Lambda has the
event that caused the cold start waiting), and records:
  init            exec -> the first GET /runtime/invocation/next
  first response  exec -> the answer to that event posted back
  CPU             the process's own CPU time, read just after that answer arrived (the
                  rest of first response is waiting: for the emulator, the fakes, the
                  Runtime API host, or a core)
  waiting for a core  the time its threads were ready to run but had no core (the
                  scheduler's run-queue delay, read with CPU, summed over the threads)
  peak RSS        VmHWM after the first answer
  emulator        the emulator's own time answering the process's requests before that
                  answer (its call log's `ms`, summed over the requests it took up in the
                  run), and how many: for a function that waits for each answer (the
                  intakes), time it spent waiting, not working
The floor, a function that does nothing (bench/floor: the standard library asking for
the event and answering it), runs beside them: what starting a process and the Runtime
API host's two round trips cost every function.
The escalator's first event is the stream batch of the intake's first webhook of that run
(one new alert: its page to two Slack channels and PagerDuty), its warm one the second's.
Runs are interleaved (floor, intake, python, escalator, evaluator, reporter, then again) so that
a change in the machine's load falls on every function alike.

    MODELWATCH_EMULATOR_CALLS=$PWD/target/bench/cold-start/calls.jsonl \
        tests/emulator/with-dynamodb .venv-sam/bin/python bench/cold_start.py --runs 20 --out target/bench/cold_start.json
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "target/bench/cold-start"
OUT.mkdir(parents=True, exist_ok=True)
if not os.environ.get("MODELWATCH_EMULATOR_CALLS"):
    sys.exit("cold_start: run inside tests/emulator/with-dynamodb with MODELWATCH_EMULATOR_CALLS set (the emulator's call log)")
sys.path[:0] = [str(ROOT / "tests/deploy"), str(ROOT / "infra/checks")]

import events as ev  # noqa: E402
import smoke as sm  # noqa: E402
import template_model as tm  # noqa: E402
from function_process import FunctionProcess  # noqa: E402

RELEASE = Path(os.environ.get("MODELWATCH_BENCH_BIN", ROOT / "target/release"))
CALLS = Path(os.environ["MODELWATCH_EMULATOR_CALLS"])
# The binaries the runs start: the functions and the floor.
BINARIES = ("intake", "escalator", "evaluator", "reporter", "runtime-floor")
PYTHON = ROOT / ".venv-bench/bin/python"
FIXTURE = json.loads((ROOT / "tests/fixtures/datadog/10_recommended_triggered.json").read_text())
RECOVERED = json.loads((ROOT / "tests/fixtures/datadog/11_recommended_recovered.json").read_text())


def webhook(token: str, monitor: int, fixture: dict = FIXTURE) -> dict:
    """The recommended Datadog webhook of monitor `monitor`: an alert of its own (the alert
    key is the monitor and the scope), so a new alert takes the full write path."""
    # Sent now, as Datadog's $DATE says: the intake believes a sender's time only within
    # seven days before arrival, and the fixture's own date ages past that.
    now = str(int(time.time() * 1000))
    hook = dict(fixture, alert_id=str(monitor), alert_cycle_key=f"{monitor}{fixture['alert_cycle_key']}",
                id=f"{monitor}{fixture['id']}", date=now, last_updated=now)
    auth = {"content-type": "application/json", "x-modelwatch-token": token}
    return ev.http("POST", "/webhooks/datadog", json.dumps(hook).encode(), auth)


def item_size(value) -> int:
    """DynamoDB's item size rules (bytes): names plus values; numbers about 1 byte per two
    digits plus 1; maps and lists 3 bytes plus 1 per element."""
    def one(v: dict) -> int:
        (kind, x), = v.items()
        if kind == "S":
            return len(x.encode())
        if kind == "N":
            return (len(x.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
        if kind == "B":
            return len(x)
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + one(e) + 1 for k, e in x.items())
        if kind == "L":
            return 3 + sum(one(e) + 1 for e in x)
        if kind in ("SS", "NS", "BS"):
            return sum(one({kind[0]: e}) for e in x)
        return 0
    return sum(len(k.encode()) + one(v) for k, v in value.items())


# infra/table.json's one global secondary index (open-alerts): its keys, and the bytes
# DynamoDB adds to each index entry (the index and table keys are in the item already,
# the projection being ALL).
INDEX_KEYS = ("gsi1pk", "gsi1sk")
INDEX_ENTRY_OVERHEAD = 100


def index_units(old: dict | None, new: dict | None) -> int:
    """Write units the open-alerts index takes for one item's change: the index is written
    as a table is, 1 WCU per 1 KB of the entry, once when the entry is put, updated or
    deleted, twice when its keys change (the old entry deleted, the new one put)."""
    def entry(item):
        if item is None or "gsi1pk" not in item:
            return None
        return tuple(item.get(k) and json.dumps(item[k], sort_keys=True) for k in INDEX_KEYS)
    kb = lambda item: -(-(item_size(item) + INDEX_ENTRY_OVERHEAD) // 1024)  # noqa: E731
    was, now = entry(old), entry(new)
    if was is None and now is None:
        return 0
    if was is not None and now is not None and was != now:
        return kb(old) + kb(new)
    return kb(new) if now is not None else kb(old)


def units(label: str, lines: list, before: dict, changed: dict, answer, alert_key: str) -> dict:
    """Requests and capacity units one invocation took, by DynamoDB's on-demand rules:
    a strongly consistent read 1 RCU per 4 KB (at least 1), a standard write 1 WCU per
    1 KB per item, a transactional write 2 WCU per 1 KB per item; and the open-alerts
    index's writes (`index_units`), counted apart and in the write units."""
    sizes = {f"{k[0]}|{k[1]}": item_size(v) for k, v in changed.items()}
    index = sum(index_units(before.get(k), v) for k, v in changed.items())
    read_units = write_units = 0.0
    requests = []
    for c in lines:
        op = c.get("operation")
        requests.append(op + (f" ({len(c.get('items', []))} items)" if c.get("items") else ""))
        if op == "GetItem":
            # The alert's STATE item as it was before (absent: the minimum, 1 unit).
            alert = [v for k, v in before.items() if k[1] == "STATE" and alert_key in k[0]]
            read_units += max(1, -(-max([item_size(v) for v in alert] or [0]) // 4096))
        elif op == "TransactWriteItems":
            write_units += 2 * sum(-(-s // 1024) for s in sizes.values()) if changed else 0
        elif op in ("PutItem", "UpdateItem"):
            write_units += sum(-(-s // 1024) for s in sizes.values()) if changed else 1
    return {"case": label, "requests": requests, "items_written": sizes, "read_units": read_units,
            "write_units": write_units + index, "index_write_units": index,
            "answer": (answer or {}).get("body") if isinstance(answer, dict) else None}


def calls_mark() -> int:
    """Where the emulator's call log ends now: what `calls_since` reads from."""
    return CALLS.stat().st_size if CALLS.exists() else 0


def calls_since(mark: int, key: str) -> list[dict]:
    """The requests signed with `key` that the emulator logged after `mark`."""
    with open(CALLS, "rb") as f:
        f.seek(mark)
        written = f.read()
    # A line being appended right now is not one of them yet.
    lines = map(json.loads, written[:written.rfind(b"\n") + 1].splitlines())
    return [c for c in lines if c.get("key") == key]


def emulator_time(mark: int, key: str, start: float, end: float) -> tuple[float, int]:
    """The emulator's own time (ms) on the requests signed with `key` that it took up
    between `start` and `end` (time.monotonic(): the clock of its call log's `at`), and
    how many, from its call log after `mark`. The emulator answers one request at a
    time, so this is how long it was busy with the function's requests; for a function
    that waits for each answer before going on (the intakes), how long it waited."""
    mine = [c for c in calls_since(mark, key) if start <= c["at"] <= end]
    return sum(c["ms"] for c in mine), len(mine)


def ok_answer(outcome) -> str | None:
    if outcome is None:
        return "no answer"
    if not outcome.ok:
        return f"error {json.dumps(outcome.body)[:300]}"
    body = outcome.body
    if isinstance(body, dict) and "statusCode" in body and body["statusCode"] >= 300:
        return f"HTTP {body['statusCode']} {str(body.get('body'))[:200]}"
    return None


class Bench:
    def __init__(self, runs: int):
        self.runs = runs
        sm.OUT = OUT
        # The optimised fakes (make bench builds them): Slack's and PagerDuty's answer time is
        # not the function's, and a debug fake's schema check took 0.5-2 ms a call.
        sm.BIN = Path(os.environ.get("MODELWATCH_FAKES_BIN", ROOT / "target/release"))
        self.s = sm.Smoke()
        self.samples: dict[str, list[dict]] = {}
        self.failures: list[str] = []

    def setup(self, binaries: tuple = BINARIES) -> None:
        missing = [str(RELEASE / b) for b in binaries if not (RELEASE / b).is_file()]
        if missing:
            sys.exit(f"cold_start: {', '.join(missing)} not found: expected release builds "
                     "(make bench builds them, as `cargo build --release --locked` of the functions and modelwatch-bench-floor)")
        s = self.s
        self.urls = s.start_fakes()
        params = {"EnvironmentName": "bench", "DatadogSite": "datadoghq.eu"}
        cfn = tm.translate(sm.TEMPLATE, params)
        self.table = tm.table_name_of(cfn, params)
        s.create_table(self.table)
        secret_name, generate = tm.secret_spec(cfn, params)
        arn = s.sm.create_secret(Name=secret_name, SecretString=s.secret_value(generate, True))["ARN"]
        s.resolver = tm.test_values(cfn, params, self.table, arn)
        self.fns = {f.binary: f for f in tm.functions(cfn, tm.source(sm.TEMPLATE)).values()}
        self.token = json.loads(s.sm.get_secret_value(SecretId=arn)["SecretString"])[generate["GenerateStringKey"]]
        self.extra = {"AWS_ENDPOINT_URL": s.endpoint, "MODELWATCH_SLACK_URL": self.urls["SLACK_URL"],
                      "MODELWATCH_PAGERDUTY_URL": self.urls["PAGERDUTY_URL"], "MODELWATCH_DATADOG_URL": self.urls["DATADOG_URL"]}
        self.stream_arn = s.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        self.seen_records: set[str] = set()

    def measure(self, label: str, fn: tm.Function, command, event, warm_event=None, env_extra=None) -> None:
        env = self.s.env_for(fn, dict(self.extra, **(env_extra or {})))
        arn = self.s.resolver.resolve({"Fn::GetAtt": [fn.logical_id, "Arn"]})
        timeout = int(fn.props.get("Timeout", 3))
        proc = FunctionProcess(label, command, env, OUT / f"{label}.log", arn, timeout)
        first = proc.api.submit(event, timeout)
        calls_from = calls_mark()
        with proc:
            first.done.wait(timeout)
            rss, (cpu, core_wait) = proc.peak_rss_kib(), proc.scheduled_ms() or (None, None)
            problem = ok_answer(first.outcome)
            sample = {"init_ms": (proc.api.polled_at - proc.started_at) * 1000,
                      "first_response_ms": (first.answered_at - proc.started_at) * 1000 if first.answered_at else None,
                      "cpu_ms": cpu, "core_wait_ms": core_wait, "peak_rss_kib": rss}
            if first.answered_at:
                served = emulator_time(calls_from, env["AWS_ACCESS_KEY_ID"], proc.started_at, first.answered_at)
                sample["emulator_ms"], sample["emulator_requests"] = served
            if warm_event is not None and not problem:
                started = time.monotonic()
                outcome, answered = proc.api.invoke_timed(warm_event, timeout)
                problem = ok_answer(outcome)
                sample["warm_ms"] = (answered - started) * 1000
                sample["peak_rss_kib"] = proc.peak_rss_kib()
        if problem:
            self.failures.append(f"{label}: {problem} (log: {OUT / (label + '.log')})")
            return
        self.samples.setdefault(label, []).append(sample)

    def scan(self) -> dict:
        items, kwargs = {}, {"TableName": self.table}
        while True:
            out = self.s.dynamodb.scan(**kwargs)
            for it in out["Items"]:
                items[(it["pk"]["S"], it["sk"]["S"])] = it
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def capacity(self) -> None:
        """DynamoDB requests and capacity units per webhook: one intake process, a new
        webhook, the same webhook again (Datadog's retry), and a second new one. The store
        does not ask for ReturnConsumedCapacity, and moto answers it with a constant anyway,
        so units are computed from the items with DynamoDB's sizing rules."""
        fn = self.fns["intake"]
        key = f"ASIASMOKE{fn.binary.upper()}"
        env = self.s.env_for(fn, self.extra)
        arn = self.s.resolver.resolve({"Fn::GetAtt": [fn.logical_id, "Arn"]})
        first = webhook(self.token, 1001)
        self.capacity_cases = []
        with FunctionProcess("capacity-intake", RELEASE / "intake", env, OUT / "capacity-intake.log", arn, 10) as proc:
            for label, monitor, event in (("new alert", 1001, first), ("duplicate (same webhook again)", 1001, first),
                                          ("recovery of that alert", 1001, webhook(self.token, 1001, RECOVERED)),
                                          ("second new alert", 1002, webhook(self.token, 1002))):
                mark, before = calls_mark(), self.scan()
                outcome = proc.invoke(event)
                if ok_answer(outcome):
                    self.failures.append(f"capacity {label}: {ok_answer(outcome)}")
                lines = calls_since(mark, key)
                after = self.scan()
                changed = {k: v for k, v in after.items() if before.get(k) != v}
                self.capacity_cases.append(units(label, lines, before, changed, outcome.body if outcome else None, f"datadog:monitor:{monitor}|"))
        # The escalator delivering what those webhooks changed, and two evaluator runs of
        # the same minute (the second is the steady state: nothing new to write).
        records = self.new_stream_batch()["Records"]
        self.capacity_other = {"escalator": self.calls_of("escalator", [("deliveries", {"Records": records})]),
                               "escalator_records": len(records)}
        event = self.s.scheduled_events(self.fns["evaluator"], None)[0][1]
        self.capacity_other["evaluator"] = self.calls_of("evaluator", [("first run", event), ("second run", event)])

    def calls_of(self, name: str, invocations: list) -> dict:
        """The DynamoDB and Secrets Manager operations one process made at init and per invocation."""
        fn = self.fns[name]
        key = f"ASIASMOKE{fn.binary.upper()}"
        env = self.s.env_for(fn, self.extra)
        arn = self.s.resolver.resolve({"Fn::GetAtt": [fn.logical_id, "Arn"]})
        ops = lambda since: [c["operation"] + (f" ({len(c['items'])} items)" if c.get("items") else "")  # noqa: E731
                             for c in calls_since(since, key)]
        out = {}
        mark = calls_mark()
        with FunctionProcess(f"capacity-{name}", RELEASE / name, env, OUT / f"capacity-{name}.log", arn, int(fn.props.get("Timeout", 3))) as proc:
            out["init"] = ops(mark)
            for label, event in invocations:
                mark = calls_mark()
                outcome = proc.invoke(event)
                if ok_answer(outcome):
                    self.failures.append(f"capacity {name} {label}: {ok_answer(outcome)}")
                out[label] = ops(mark)
        return out

    def sustained(self, count: int) -> None:
        """Peak RSS under load: one intake process taking `count` new webhooks in a row (one
        execution environment takes one event at a time), then one escalator process taking
        the stream batches they made; warm round trips for both."""
        f = self.fns
        self.sustained_results = {}
        env = self.s.env_for(f["intake"], self.extra)
        arn = self.s.resolver.resolve({"Fn::GetAtt": [f["intake"].logical_id, "Arn"]})
        self.new_stream_batch()  # what earlier phases wrote is not this phase's
        with FunctionProcess("sustained-intake", RELEASE / "intake", env, OUT / "sustained-intake.log", arn, 10) as proc:
            times = []
            for i in range(count):
                started = time.monotonic()
                outcome, answered = proc.api.invoke_timed(webhook(self.token, 100_000 + i), 10)
                if ok_answer(outcome):
                    self.failures.append(f"sustained intake {i}: {ok_answer(outcome)}")
                    break
                times.append((answered - started) * 1000)
            self.sustained_results["intake"] = {"events": len(times), "round_trip_ms": times, "peak_rss_kib": proc.peak_rss_kib()}
        records = self.new_stream_batch()["Records"]
        size = int(f["escalator"].mappings[0].get("BatchSize", 100))
        env = self.s.env_for(f["escalator"], self.extra)
        arn = self.s.resolver.resolve({"Fn::GetAtt": [f["escalator"].logical_id, "Arn"]})
        with FunctionProcess("sustained-escalator", RELEASE / "escalator", env, OUT / "sustained-escalator.log", arn, 60) as proc:
            times = []
            for i in range(0, len(records), size):
                started = time.monotonic()
                outcome, answered = proc.api.invoke_timed({"Records": records[i:i + size]}, 60)
                if ok_answer(outcome):
                    self.failures.append(f"sustained escalator batch {i // size}: {ok_answer(outcome)}")
                    break
                times.append((answered - started) * 1000)
            self.sustained_results["escalator"] = {"events": len(times), "records": len(records), "batch_size": size,
                                                   "round_trip_ms": times, "peak_rss_kib": proc.peak_rss_kib()}

    def new_stream_batch(self) -> dict:
        """The records the last intake run added that Lambda would hand the escalator."""
        mapping = self.fns["escalator"].mappings[0]
        fresh = [r for r in ev.stream_records(self.s.streams, self.stream_arn) if r["eventID"] not in self.seen_records]
        self.seen_records.update(r["eventID"] for r in fresh)
        return {"Records": [r for r in fresh if ev.passes(mapping.get("FilterCriteria"), r)]}

    @staticmethod
    def of_monitor(batch: dict, monitor: int) -> dict:
        """The records of monitor `monitor`'s alert: the batch Lambda hands the escalator for
        that one webhook's write when nothing else is waiting (the mapping's batching window
        is 0)."""
        pk = f"ALERT#datadog:monitor:{monitor}|"
        return {"Records": [r for r in batch["Records"] if r["dynamodb"]["Keys"]["pk"]["S"].startswith(pk)]}

    def run(self) -> None:
        f = self.fns
        evaluator_event = self.s.scheduled_events(f["evaluator"], None)[0][1]
        reporter_event = self.s.scheduled_events(f["reporter"], None)[0][1]
        python = [PYTHON, "-m", "awslambdaric", "handler.handle"]
        py_env = {"PYTHONPATH": str(ROOT / "bench/python_intake"), "PYTHONDONTWRITEBYTECODE": "1"}
        for i in range(self.runs):
            self.measure("floor", f["intake"], RELEASE / "runtime-floor", webhook(self.token, 10_000 + i))
            self.measure("intake", f["intake"], RELEASE / "intake", webhook(self.token, 20_000 + i), webhook(self.token, 30_000 + i))
            batch = self.new_stream_batch()
            self.measure("python-intake", f["intake"], python, webhook(self.token, 40_000 + i), webhook(self.token, 50_000 + i), py_env)
            # The escalator's first event is the first webhook's alert, its warm one the
            # second's, as the intake's. The batch's other records (the last escalator's own
            # writes, the evaluator's alerts) are left out: they are not what a cold start
            # waits on.
            first, second = self.of_monitor(batch, 20_000 + i), self.of_monitor(batch, 30_000 + i)
            if first["Records"] and second["Records"]:
                self.measure("escalator", f["escalator"], RELEASE / "escalator", first, second)
            else:
                self.failures.append(f"run {i}: an intake write left no stream record that passes the escalator's filter")
            self.measure("evaluator", f["evaluator"], RELEASE / "evaluator", evaluator_event)
            self.measure("reporter", f["reporter"], RELEASE / "reporter", reporter_event)
            print(f"cold start run {i + 1}/{self.runs} done", file=sys.stderr)

    def stop(self) -> None:
        self.s.fakes.terminate()
        self.s.fakes.wait()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--sustained", type=int, default=200, help="webhooks for the peak-RSS-under-load phase")
    p.add_argument("--out", type=Path, default=ROOT / "target/bench/cold_start.json")
    a = p.parse_args()
    b = Bench(a.runs)
    b.setup()
    try:
        b.capacity()
        b.run()
        b.sustained(a.sustained)
    finally:
        b.stop()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"runs": a.runs, "samples": b.samples, "capacity": b.capacity_cases, "capacity_other": getattr(b, "capacity_other", {}),
                                 "sustained": getattr(b, "sustained_results", {}), "failures": b.failures,
                                 "memory_mb": {k: int(v.props.get("MemorySize", 128)) for k, v in b.fns.items()}}, indent=1))
    for f in b.failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"cold start: {sum(map(len, b.samples.values()))} samples, {len(b.failures)} failures -> {a.out}")
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
