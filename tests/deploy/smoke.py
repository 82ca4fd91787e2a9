"""Deploy smoke test: each function's real binary, run as Lambda runs it, with exactly
the environment infra/template.yaml gives it, answers the events the template wires to
it; the AWS calls each made are exactly what its IAM role allows.

Run by `make test-deploy-smoke` (part of `make test`) inside tests/emulator/with-dynamodb
with MODELWATCH_EMULATOR_CALLS set, after `cargo build --workspace --bins`:

    .venv-sam/bin/python tests/deploy/smoke.py

Two rounds: the secret fully configured, and the secret as the first deploy leaves it
(only the generated webhook_token), when scheduled runs must skip, not fail.
"""

import json
import os
import re
import secrets as rand
import string
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "infra/checks"), str(Path(__file__).parent)]

import boto3  # noqa: E402

import events as ev  # noqa: E402
import iam_check  # noqa: E402
import template_model as tm  # noqa: E402
from function_process import FunctionProcess, InitFailed  # noqa: E402

OUT = ROOT / "target/deploy-smoke"
BIN = Path(os.environ.get("MODELWATCH_SMOKE_BIN", ROOT / "target/debug"))
# Another template (a scratch copy with a deliberate fault) to show the checks fail.
TEMPLATE = Path(os.environ.get("MODELWATCH_SMOKE_TEMPLATE", tm.TEMPLATE))
FIXTURES = ROOT / "tests/fixtures"
HARNESS_KEY = "ASIASMOKEHARNESS"
SLACK_TOKEN = "xoxb-deploy-smoke"
DATADOG_API_KEY = "deploy-smoke-api-key"
DATADOG_APP_KEY = "deploy-smoke-app-key"
SIGNING_SECRET = "deploy-smoke-slack-signing-secret"
PAGERDUTY_SECRET = "deploy-smoke-pagerduty-webhook-secret"
MODEL_TOKEN = "deploy-smoke-model-token"
# The alert that tests/fixtures/datadog/10_recommended_triggered.json opens.
ALERT = "datadog:cycle:7405829345121344999"
# Test values for the entries of the template's SecretStringTemplate.
CONFIGURED = {
    "datadog_api_key": DATADOG_API_KEY,
    "datadog_app_key": DATADOG_APP_KEY,
    "pagerduty_routing_key_oncall": "ONCALL0SMOKE0123456789ABCDEFGHIJ",
    "pagerduty_routing_key_senior": "SENIOR0SMOKE0123456789ABCDEFGHIJ",
    "pagerduty_webhook_secret": PAGERDUTY_SECRET,
    "slack_bot_token": SLACK_TOKEN,
    "slack_signing_secret": SIGNING_SECRET,
    # Not in the template's secret: a deployment adds one entry per probe endpoint's token.
    "probe_model_token": MODEL_TOKEN,
}


class Smoke:
    def __init__(self):
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        self.calls_path = os.environ.get("MODELWATCH_EMULATOR_CALLS")
        if not (self.endpoint and self.calls_path):
            sys.exit("smoke: run inside tests/emulator/with-dynamodb with MODELWATCH_EMULATOR_CALLS set (make test-deploy-smoke)")
        self.failures: list[str] = []
        self.results: list[tuple] = []
        self.keys: dict[str, str] = {}  # access key -> function logical id
        session = boto3.session.Session(aws_access_key_id=HARNESS_KEY, aws_secret_access_key="smoke", region_name=tm.REGION)
        client = lambda name: session.client(name, endpoint_url=self.endpoint)  # noqa: E731
        self.dynamodb, self.streams, self.sm = client("dynamodb"), client("dynamodbstreams"), client("secretsmanager")

    # ------------------------------------------------------------------ setup
    def start_fakes(self) -> dict:
        # The configuration compiled into the binaries (shared/build.rs picks the same one).
        bundled = os.environ.get("MODELWATCH_CONFIG") or next(
            p for p in ("infra/deployment/modelwatch.yaml", "infra/modelwatch.example.yaml") if (ROOT / p).is_file())
        config = (ROOT / bundled).read_text(encoding="utf-8")
        self.bundled_config = config
        channels = sorted(set(re.findall(r"\"#([a-z0-9_-]+)\"", config)))
        args = [str(BIN / "modelwatch-fakes"), "--slack-token", SLACK_TOKEN,
                "--datadog-api-key", DATADOG_API_KEY, "--datadog-app-key", DATADOG_APP_KEY,
                "--model-token", MODEL_TOKEN]
        for i, name in enumerate(channels):
            args += ["--slack-channel", f"C{i + 1:08}:{name}"]
        # An error rate that jumps to 20 % two minutes before the evaluator's instant, so
        # that the evaluator opens an alert then (its writes are exercised, not only its
        # reads). Its scheduled event carries that instant as EventBridge's `time`.
        self.evaluate_at = int(time.time()) // 60 * 60
        series = [{"metric": "llm.requests.error_rate",
                   "tags": {"env": "prod", "model": "chat-large", "model_version": "v7", "team": "ml-platform"},
                   "points": [[(self.evaluate_at - m * 60) * 1000, 0.2 if m <= 2 else 0.001] for m in range(90, -1, -1)]}]
        (OUT / "datadog-series.json").write_text(json.dumps(series))
        args += ["--datadog-series", str(OUT / "datadog-series.json")]
        self.fakes = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(OUT / "fakes.log", "w"), text=True)
        urls = {}
        while "DATADOG_APP_KEY" not in urls:
            line = self.fakes.stdout.readline()
            if not line:
                sys.exit(f"smoke: {args[0]} exited before printing its URLs; see {OUT / 'fakes.log'}")
            k, _, v = line.strip().partition("=")
            urls[k] = v
        return urls

    def prober_config(self, model_url: str) -> Path:
        """The bundled configuration with probe cases against the fake model endpoint (its
        URL is known only now, so the prober reads this file: MODELWATCH_CONFIG_FILE). One
        case passes; the other fails, so the prober's writes are exercised too."""
        if re.search(r"^probes:", self.bundled_config, re.MULTILINE):
            sys.exit("smoke: the bundled configuration has its own probes: section; the smoke test adds one")
        probes = f"""
probes:
  budget: 20s
  timeout: 5s
  endpoints:
    - {{ name: smoke-model, kind: openai, url: "{model_url}", secret: probe_model_token }}
  cases:
    - {{ id: smoke-capital, model: chat-large, endpoint: smoke-model, prompt: What is the capital of France?, expect: {{ contains: [Paris] }} }}
    - {{ id: smoke-failing, model: chat-large, endpoint: smoke-model, prompt: Say hello., expect: {{ contains: [Paris] }} }}
"""
        path = OUT / "prober-modelwatch.yaml"
        path.write_text(self.bundled_config.rstrip("\n") + "\n" + probes, encoding="utf-8")
        return path

    def create_table(self, name: str) -> None:
        spec = json.loads((ROOT / "infra/table.json").read_text())
        ttl = spec.pop("TimeToLiveSpecification")
        spec["StreamSpecification"]["StreamEnabled"] = True  # the API's spelling of "has a stream"
        self.dynamodb.create_table(TableName=name, **spec)
        self.dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)

    def secret_value(self, generate: dict, configured: bool) -> str:
        """The secret as CloudFormation's GenerateSecretString makes it, filled in or not."""
        value = json.loads(generate["SecretStringTemplate"])
        alphabet = string.ascii_letters + string.digits
        if not generate.get("ExcludePunctuation"):
            alphabet += "!#$%&()*+,-./:;<=>?@[]^_{|}~"
        value[generate["GenerateStringKey"]] = "".join(rand.choice(alphabet) for _ in range(generate.get("PasswordLength", 32)))
        unknown = sorted(set(value) - set(CONFIGURED) - {generate["GenerateStringKey"]})
        if unknown:
            sys.exit(f"smoke: the template's secret has entries {unknown} with no test value: add them to CONFIGURED in {__file__}")
        if configured:
            value.update(CONFIGURED)
        return json.dumps(value)

    # ------------------------------------------------------------------ running
    def env_for(self, fn: tm.Function, extra: dict) -> dict:
        """What Lambda gives the process: the template's variables, resolved, and the
        runtime's own; plus the test-only endpoints (emulator, fakes)."""
        p = fn.props
        r = self.resolver
        name = r.resolve(p["FunctionName"])
        group = r.resolve(p.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{name}"))
        key = f"ASIASMOKE{fn.binary.upper()}"
        self.keys[key] = fn.logical_id
        env = {k: str(r.resolve(v)) for k, v in fn.env.items()}
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(p.get("MemorySize", 128)),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": group, "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/02/[$LATEST]0123456789abcdef",
            "AWS_REGION": tm.REGION, "AWS_DEFAULT_REGION": tm.REGION,
            "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "smoke", "AWS_SESSION_TOKEN": "smoke",
            "_HANDLER": p.get("Handler", "bootstrap"), "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "TZ": ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        })
        if p.get("LoggingConfig", {}).get("LogFormat") == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env.update(extra)
        return env

    def run(self, round_: str, fn: tm.Function, invocations: list, extra_env: dict) -> list:
        """Starts the function, hands it each (label, event, check), stops it. Returns
        the function's JSON log lines."""
        log = OUT / f"{round_}-{fn.binary}.log"
        arn = self.resolver.resolve({"Fn::GetAtt": [fn.logical_id, "Arn"]})
        try:
            proc = FunctionProcess(fn.binary, BIN / fn.binary, self.env_for(fn, extra_env), log, arn, int(fn.props.get("Timeout", 3)))
            with proc:
                for label, event, check in invocations:
                    started = time.time()
                    outcome = proc.invoke(event)
                    problem = check(outcome)
                    self.results.append((round_, fn.binary, label, "ok" if not problem else "FAIL", f"{(time.time() - started) * 1000:.0f} ms",
                                         self.summary(outcome.body)))
                    if problem:
                        self.failures.append(f"{round_}: {fn.binary} {label}: {problem} (log: {log.relative_to(ROOT)})")
                return proc.log_lines()
        except InitFailed as e:
            self.results.append((round_, fn.binary, "init", "FAIL", "", ""))
            self.failures.append(f"{round_}: {e}")
            return []

    @staticmethod
    def summary(body) -> str:
        """A short view of an answer for the table (an HTTP answer's status and body)."""
        if isinstance(body, dict) and "statusCode" in body:
            return f"HTTP {body['statusCode']} {str(body.get('body', ''))[:60]}"
        return json.dumps(body)[:90]

    # ------------------------------------------------------------------ checks
    @staticmethod
    def answered(outcome) -> str | None:
        if not outcome.ok:
            return f"answered with an error: {json.dumps(outcome.body)[:400]}"
        return None

    @staticmethod
    def posted_whole(outcome) -> str | None:
        """A report posted with every chart and reply: a chart Slack refused would leave
        only its alt text in the channel."""
        if not outcome.ok:
            return f"answered with an error: {json.dumps(outcome.body)[:400]}"
        body = outcome.body if isinstance(outcome.body, dict) else {}
        failed = {k: body.get(k) for k in ("charts_failed", "replies_failed") if body.get(k)}
        if failed:
            return f"posted with failures {failed}; expected every chart and reply delivered (see the reporter's log)"
        return None

    @staticmethod
    def wrote_an_alert(outcome):
        """The evaluator's (prober's) run must store the alert the fake's error rate (the
        failing probe case) opens, or the IAM comparison would never see its writes."""
        if not outcome.ok:
            return f"answered with an error: {json.dumps(outcome.body)[:400]}"
        if not (isinstance(outcome.body, dict) and outcome.body.get("written", 0) >= 1):
            return f"answered {json.dumps(outcome.body)[:300]}; expected written >= 1 (the Datadog fake's error rate opens an alert)"
        return None

    @staticmethod
    def http_status(*expected):
        def check(outcome):
            if not outcome.ok:
                return f"answered with an error: {json.dumps(outcome.body)[:400]}"
            status = outcome.body.get("statusCode") if isinstance(outcome.body, dict) else None
            if status not in expected:
                return f"HTTP {status}, expected {' or '.join(map(str, expected))}: {str(outcome.body.get('body'))[:300]}"
            return None
        return check

    @staticmethod
    def no_batch_failures(outcome):
        if not outcome.ok:
            return f"answered with an error: {json.dumps(outcome.body)[:400]}"
        if outcome.body.get("batchItemFailures"):
            return f"reported failed records {outcome.body['batchItemFailures']}, expected none"
        return None

    @staticmethod
    def skipped(outcome):
        """The contract for a scheduled run while the secret is unfilled."""
        body = outcome.body
        if not outcome.ok:
            return (f"answered with an error ({json.dumps(body)[:300]}); expected success with "
                    f'{{"skipped": "not configured", "missing": [...]}} (an error every minute fires its Errors alarm)')
        if not (isinstance(body, dict) and body.get("skipped") == "not configured" and body.get("missing")):
            return f'answered {json.dumps(body)[:300]}; expected {{"skipped": "not configured", "missing": [the secret entries]}}'
        return None

    # ------------------------------------------------------------------ the rounds
    def intake_events(self, fn: tm.Function, token: str) -> list:
        dd = (FIXTURES / "datadog/10_recommended_triggered.json").read_bytes()
        pd = (FIXTURES / "pagerduty/incident_acknowledged.json").read_bytes()
        deployment = json.dumps({"model": "chat-large", "version": "v8", "environment": "prod",
                                 "time": int(time.time() * 1000), "link": "https://ci.example.com/chat-large/v8"}).encode()
        silence = json.dumps({"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
                              "created_by": "smoke test", "comment": "v8 rollout"}).encode()
        auth = {"content-type": "application/json", "x-modelwatch-token": token}
        ok = self.http_status
        events = [
            ("GET /healthz", ev.http("GET", "/healthz"), ok(200)),
            ("POST /webhooks/datadog (triggered fixture)", ev.http("POST", "/webhooks/datadog", dd, auth), ok(200, 202)),
            ("POST /slack/commands subscribe daily", ev.slack_command("subscribe daily", SIGNING_SECRET), ok(200)),
            ("POST /slack/commands subscribe weekly", ev.slack_command("subscribe weekly", SIGNING_SECRET), ok(200)),
            ("POST /slack/commands unsubscribe daily", ev.slack_command("unsubscribe daily", SIGNING_SECRET), ok(200)),
            ("POST /slack/commands list", ev.slack_command("list", SIGNING_SECRET), ok(200)),
            ("POST /slack/commands status", ev.slack_command("status", SIGNING_SECRET), ok(200)),
            ("POST /slack/commands silence", ev.slack_command("silence chat-large chat-latency 2h", SIGNING_SECRET), ok(200)),
            ("POST /slack/interactions acknowledge", ev.slack_button("modelwatch_acknowledge", ALERT, 1, SIGNING_SECRET), ok(200)),
            ("POST /webhooks/pagerduty (acknowledged fixture)", ev.pagerduty_signed(pd, PAGERDUTY_SECRET), ok(200, 202)),
            ("POST /deployments", ev.http("POST", "/deployments", deployment, auth), ok(200, 201)),
            ("POST /silences", ev.http("POST", "/silences", silence, auth), ok(201)),
            ("GET /silences", ev.http("GET", "/silences", b"", auth), ok(200)),
            # An id no silence has: the route, its authentication and its 404 answer.
            ("DELETE /silences/{id}", ev.http("DELETE", "/silences/sil-1-0000", b"", auth, route="/silences/{id}",
                                              path_parameters={"id": "sil-1-0000"}), ok(404)),
        ]
        covered = {tuple(label.split(" ")[:2]) for label, _, _ in events}
        for route in sorted(set(fn.routes) - covered):
            self.failures.append(f"intake: the template routes {' '.join(route)} to {fn.logical_id} but the smoke test sends it nothing (add an event)")
        for route in sorted(covered - set(fn.routes)):
            self.failures.append(f"intake: the smoke test sends {' '.join(route)}, a route the template does not give {fn.logical_id}")
        return events

    def scheduled_events(self, fn: tm.Function, check) -> list:
        """What the template's rules and schedules send to `fn`."""
        out = []
        for rule in fn.rules:
            rule_arn = f"arn:aws:events:{tm.REGION}:{tm.ACCOUNT}:rule/{rule['name']}"
            event = json.loads(rule["Input"]) if "Input" in rule else ev.scheduled(rule_arn, self.evaluate_at)
            out.append((f"{rule['name']} {json.dumps(event)[:60]}", event, check))
        for sched in fn.schedules:
            schedule_arn = f"arn:aws:scheduler:{tm.REGION}:{tm.ACCOUNT}:schedule/default/{sched['name']}"
            event = ev.schedule_input(self.resolver.resolve(sched["Input"]), schedule_arn, self.evaluate_at)
            out.append((f"{sched['name']} {json.dumps(event)}", event, check))
        return out

    def stream_batches(self, fn: tm.Function, table: str) -> list:
        stream_arn = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        mapping = fn.mappings[0]
        records = ev.stream_records(self.streams, stream_arn)
        passed = [r for r in records if ev.passes(mapping.get("FilterCriteria"), r)]
        print(f"stream: {len(records)} records, {len(passed)} pass the template's FilterCriteria")
        if not passed:
            self.failures.append(f"escalator: none of the {len(records)} stream records the intake's writes made passes the template's "
                                 f"FilterCriteria, so Lambda would never deliver an alert (expected the alert's STATE item to pass)")
        size = int(mapping.get("BatchSize", 100))
        return [(f"stream batch of {len(passed[i:i + size])}", {"Records": passed[i:i + size]}, self.no_batch_failures)
                for i in range(0, len(passed), size)]

    def check_not_configured_logs(self, round_: str, fn: tm.Function, lines: list, runs: int) -> None:
        said = [line for line in lines if (line.get("fields") or line).get("message") == "not configured"]
        with_missing = [line for line in said if "missing" in (line.get("fields") or {}) or "missing" in line]
        if len(with_missing) < runs:
            self.failures.append(f"{round_}: {fn.binary}: {len(with_missing)} JSON log lines with message \"not configured\" and a "
                                 f"`missing` field for {runs} scheduled runs; expected one per run")

    def main(self) -> int:
        OUT.mkdir(parents=True, exist_ok=True)
        started = time.time()
        urls = self.start_fakes()
        try:
            params = {"EnvironmentName": "smoke", "DatadogSite": "datadoghq.eu"}
            sam = tm.source(TEMPLATE)
            cfn = tm.translate(TEMPLATE, params)
            table = tm.table_name_of(cfn, params)
            self.create_table(table)
            secret_name, generate = tm.secret_spec(cfn, params)
            secret_arn = self.sm.create_secret(Name=secret_name, SecretString=self.secret_value(generate, True))["ARN"]
            self.resolver = tm.test_values(cfn, params, table, secret_arn)
            fns = {f.binary: f for f in tm.functions(cfn, sam).values()}
            token = json.loads(self.sm.get_secret_value(SecretId=secret_arn)["SecretString"])[generate["GenerateStringKey"]]
            fakes = {"AWS_ENDPOINT_URL": self.endpoint, "MODELWATCH_SLACK_URL": urls["SLACK_URL"], "MODELWATCH_PAGERDUTY_URL": urls["PAGERDUTY_URL"],
                     "MODELWATCH_DATADOG_URL": urls["DATADOG_URL"]}

            # Round 1: configured. The intake's writes feed the escalator's stream batches.
            self.run("configured", fns["intake"], self.intake_events(fns["intake"], token), fakes)
            esc = fns["escalator"]
            self.run("configured", esc, self.stream_batches(esc, table) + self.scheduled_events(esc, self.answered), fakes)
            self.run("configured", fns["evaluator"], self.scheduled_events(fns["evaluator"], self.wrote_an_alert), fakes)
            prober_env = fakes | {"MODELWATCH_CONFIG_FILE": str(self.prober_config(urls["MODEL_URL"]))}
            self.run("configured", fns["prober"], self.scheduled_events(fns["prober"], self.wrote_an_alert), prober_env)
            self.run("configured", fns["reporter"], self.scheduled_events(fns["reporter"], self.posted_whole), fakes)

            # Round 2: the secret as the first deploy leaves it.
            self.sm.put_secret_value(SecretId=secret_arn, SecretString=json.dumps({generate["GenerateStringKey"]: token} | {
                k: "" for k in json.loads(generate["SecretStringTemplate"])}))
            recovered = (FIXTURES / "datadog/11_recommended_recovered.json").read_bytes()
            auth = {"content-type": "application/json", "x-modelwatch-token": token}
            self.run("first-deploy", fns["intake"], [
                ("GET /healthz", ev.http("GET", "/healthz"), self.http_status(200)),
                # Datadog needs only the generated webhook_token: it works from the first deploy.
                ("POST /webhooks/datadog (recovered fixture)", ev.http("POST", "/webhooks/datadog", recovered, auth), self.http_status(200, 202)),
            ], fakes)
            for name in ("escalator", "evaluator", "prober", "reporter"):
                runs = self.scheduled_events(fns[name], self.skipped)
                lines = self.run("first-deploy", fns[name], runs, prober_env if name == "prober" else fakes)
                if lines:
                    self.check_not_configured_logs("first-deploy", fns[name], lines, len(runs))

            self.check_iam(cfn, fns, {secret_name: secret_arn})
        finally:
            self.fakes.terminate()
            self.fakes.wait()
        self.report(time.time() - started)
        return 1 if self.failures else 0

    def check_iam(self, cfn: dict, fns: dict, secret_arns: dict) -> None:
        calls = [json.loads(line) for line in Path(self.calls_path).read_text().splitlines() if line.strip()]
        by_fn = {}
        for c in calls:
            if c["key"] in (HARNESS_KEY, ""):  # the test's own calls; unsigned readiness probes
                continue
            if c["key"] not in self.keys:
                self.failures.append(f"IAM: a call with unknown credentials {c['key']!r}: {c}")
                continue
            by_fn.setdefault(self.keys[c["key"]], []).append(c)
        rows = []
        for fn in sorted(fns.values(), key=lambda f: f.logical_id):
            role = cfn["Resources"][fn.role_id]
            uses = iam_check.code_uses(by_fn.get(fn.logical_id, []), secret_arns) + iam_check.feature_uses(fn, self.resolver)
            r, f = iam_check.compare(fn.binary, iam_check.grants(role, self.resolver), uses)
            rows += r
            self.failures += [f"IAM: {x}" for x in f]
        print("\nAWS calls and IAM grants per function (code = called by the function's process in this run):")
        print(iam_check.table(rows))

    def report(self, seconds: float) -> None:
        print("\nInvocations:")
        for r in self.results:
            print(f"  {r[0]:13} {r[1]:10} {r[3]:4} {r[4]:>8}  {r[2][:48]:48}  -> {r[5]}")
        for f in self.failures:
            print(f"FAIL {f}", file=sys.stderr)
        ok = sum(1 for r in self.results if r[3] == "ok")
        print(f"\ndeploy smoke: {ok} invocations answered as expected, {len(self.results) - ok} did not; "
              f"{len(self.failures)} failures; {seconds:.1f} s")


if __name__ == "__main__":
    sys.exit(Smoke().main())
