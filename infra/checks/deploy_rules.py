"""Rules of infra/template.yaml that keep a first deploy working on a new account, each
from AWS's documented behaviour (run by `make test`; `--self-test` shows each rule fails
on the template it was written against).

- No reserved concurrency: Lambda keeps 100 of the account's concurrency unreserved, so
  any reservation needs a quota above 100, and new accounts may have 10.
- The table and the secret survive stack deletion but not a failed first create
  (`DeletionPolicy: RetainExceptOnCreate`); the table's deletion protection is off unless
  asked for (it would stop that rollback). CloudFormation deletes a secret with no
  recovery window, so without the policy the credentials filled in by hand are lost.
- No `SSESpecification` with `SSEEnabled: true`: that switches DynamoDB from its free AWS
  owned key to the AWS managed KMS key, billed per request.
- Metric math over Lambda metrics fills gaps: a function with no data points would make
  a sum missing, and the alarm blind to the others.
- A report's schedule names the time it is for (`<aws.scheduler.scheduled-time>`, which
  Scheduler fills in): Lambda retries a failed or timed-out asynchronous invocation with
  the same event, and only a time in the event lets the retry report the same period and
  find what the run before it posted, instead of posting the report again. And it names
  the schedule's own expression and time zone (`schedule`, `timezone`, as the event's
  `ScheduleExpression` and `ScheduleExpressionTimezone`): the report covers the time since
  the schedule's run before, so another expression there would leave a gap or a repeat.
- The HTTP API's route throttle lets an alert storm through: API Gateway answers a
  throttled request 429 and Datadog never retries a 4xx, so a throttled webhook is an
  alert lost. At least 100 requests a second (the page-latency goal's rate) and a burst
  of 500 (one webhook per group of 50 models x 10 monitors, all at once).
- A log group's `Arn` attribute already ends in `:*` (it covers the group's streams), so
  `${Group.Arn}:*` grants a pattern CloudFormation's documentation never shows.
"""

import copy
import json
import re
import sys
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]


def plain(value):
    """The decoder's mappings carry line numbers; compare as plain JSON."""
    return json.loads(json.dumps(value))


def problems_of(template: dict) -> list[str]:
    problems = []
    resources = template.get("Resources", {})
    defaults = {k: v["Default"] for k, v in template.get("Parameters", {}).items() if "Default" in v}
    globals_fn = template.get("Globals", {}).get("Function", {})
    if "ReservedConcurrentExecutions" in globals_fn:
        problems.append("Globals.Function reserves concurrency: remove ReservedConcurrentExecutions")
    for name, res in resources.items():
        props = res.get("Properties", {})
        if res.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            if "ReservedConcurrentExecutions" in props:
                problems.append(
                    f"{name} reserves {props['ReservedConcurrentExecutions']} concurrent executions: "
                    "expected none (Lambda keeps 100 unreserved; new accounts may have a quota of 10)"
                )
        if res.get("Type") in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Stage"):
            problems += _throttle_problems(name, plain(props.get("DefaultRouteSettings", {})))
        for event_name, event in (props.get("Events") or {}).items():
            problems += _report_schedule_problems(f"{name}.{event_name}", event, defaults)
        problems += _every_minute_retry_problems(name, props)
        if res.get("Type") in ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret"):
            if res.get("DeletionPolicy") != "RetainExceptOnCreate":
                problems.append(
                    f"{name} has DeletionPolicy {res.get('DeletionPolicy')!r}: expected "
                    "RetainExceptOnCreate (kept when the stack is deleted; a failed first create must remove it, "
                    "or every retry fails with 'already exists')"
                )
            if res.get("UpdateReplacePolicy") != "Retain":
                problems.append(
                    f"{name} has UpdateReplacePolicy {res.get('UpdateReplacePolicy')!r}: expected Retain "
                    "(a replacement must not delete what it holds)"
                )
        if res.get("Type") == "AWS::DynamoDB::Table":
            protection = plain(props.get("DeletionProtectionEnabled", False))
            if protection is True or protection == "true":
                problems.append(
                    f"{name} always has deletion protection: expected it off for the first create "
                    "(a parameter the team turns on afterwards)"
                )
            sse = plain(props.get("SSESpecification", {}))
            if sse.get("SSEEnabled") in (True, "true") and sse.get("SSEType") != "KMS":
                problems.append(
                    f"{name} sets SSEEnabled without a KMS key of its own: that is the AWS managed key, "
                    "billed per request; expected no SSESpecification (the free AWS owned key)"
                )
        if res.get("Type") == "AWS::CloudWatch::Alarm":
            for metric in props.get("Metrics", []):
                expression = metric.get("Expression")
                if not expression:
                    continue
                ids = {m["Id"] for m in props["Metrics"] if "MetricStat" in m}
                bare = [i for i in ids if re.search(rf"(?<![\w(]){re.escape(i)}(?!\w)", expression)
                        and not re.search(rf"FILL\(\s*{re.escape(i)}\s*,", expression)]
                if bare:
                    problems.append(
                        f"{name}: expression {expression!r} uses {', '.join(sorted(bare))} without FILL(…, 0): "
                        "a series without data points makes the whole expression missing"
                    )
    log_groups = {n for n, r in resources.items() if r.get("Type") == "AWS::Logs::LogGroup"}
    for text in _subs(resources):
        for group in re.findall(r"\$\{(\w+)\.Arn\}:\*", text):
            if group in log_groups:
                problems.append(
                    f"{text!r} appends ':*' to {group}.Arn, which already ends in ':*' "
                    f"(the group and its streams): expected !GetAtt {group}.Arn"
                )
    return problems


# What an alert storm needs from the HTTP API's route throttle (see the module's doc).
STORM_RATE = 100
STORM_BURST = 500


def _throttle_problems(name: str, settings: dict) -> list[str]:
    """A route throttle below what an alert storm sends."""
    problems = []
    for key, least in (("ThrottlingRateLimit", STORM_RATE), ("ThrottlingBurstLimit", STORM_BURST)):
        value = settings.get(key)
        if isinstance(value, (int, float)) and value < least:
            problems.append(
                f"{name} throttles routes at {key} {value}: expected at least {least} "
                "(API Gateway answers 429 and Datadog never retries a 4xx, so a throttled webhook is an alert lost)"
            )
    return problems


def _with_defaults(value, defaults: dict):
    """A property as deployed with the parameters' defaults: a string, `Ref` of a
    parameter, or `Fn::Sub` of a string naming parameters; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return defaults.get(value["Ref"])
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text, extra = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        known = {**defaults, **{k: v for k, v in extra.items() if isinstance(v, str)}}
        names = re.findall(r"\$\{([^}!]+)\}", text)
        if any(n not in known for n in names):
            return None
        return re.sub(r"\$\{!", "${", re.sub(r"\$\{([^}!]+)\}", lambda m: str(known[m.group(1)]), text))
    return None


def _report_schedule_problems(where: str, event: dict, defaults: dict) -> list[str]:
    """A ScheduleV2 event asking for a report must carry the scheduled time, and its own
    expression and time zone."""
    if event.get("Type") != "ScheduleV2":
        return []
    props = event.get("Properties", {})
    text = _with_defaults(props.get("Input"), defaults)
    if not isinstance(text, str):
        return [f"{where}: its Input cannot be read with the parameters' defaults: expected a string, "
                "or !Sub of one naming parameters that have a Default"] if "Input" in props else []
    try:
        asked = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"{where}: Input is not JSON ({e})"]
    if not isinstance(asked, dict) or "report" not in asked:
        return []
    problems = []
    if asked.get("time") != "<aws.scheduler.scheduled-time>":
        problems.append(f"{where} asks for a report without \"time\": \"<aws.scheduler.scheduled-time>\" in its Input: "
                        "a retried run would report another period and post the report again")
    for key, prop in (("schedule", "ScheduleExpression"), ("timezone", "ScheduleExpressionTimezone")):
        runs_on = _with_defaults(props.get(prop), defaults) or ("UTC" if key == "timezone" else None)
        if asked.get(key) != runs_on:
            problems.append(f"{where} asks for a report with \"{key}\": {json.dumps(asked.get(key))} in its Input, but "
                            f"its {prop} is {json.dumps(runs_on)}: expected the same (written !Sub '...${{Parameter}}...'), "
                            "or the report covers a period the schedule does not run on")
    return problems


# How old an every-minute event may get in Lambda's queue (throttled, say) before it is
# dropped: the next minute's run covers it.
EVERY_MINUTE_EVENT_AGE = 300


def _every_minute_retry_problems(name: str, props: dict) -> list[str]:
    """A function run every minute must not be retried by Lambda, nor run hours late."""
    every_minute = any(
        e.get("Type") in ("Schedule", "ScheduleV2")
        and plain(e.get("Properties", {}).get("Schedule", e.get("Properties", {}).get("ScheduleExpression"))) == "rate(1 minute)"
        for e in (props.get("Events") or {}).values()
    )
    if not every_minute:
        return []
    config = plain(props.get("EventInvokeConfig") or {})
    problems = []
    if config.get("MaximumRetryAttempts") != 0:
        problems.append(
            f"{name} runs every minute with Lambda's retries ({config.get('MaximumRetryAttempts', 'default 2')}): "
            "expected EventInvokeConfig.MaximumRetryAttempts 0 (the next minute's run covers a failed one; a retry "
            "repeats its Datadog queries and probes, three times the load while Datadog is failing)"
        )
    age = config.get("MaximumEventAgeInSeconds")
    if not isinstance(age, int) or age > EVERY_MINUTE_EVENT_AGE:
        problems.append(
            f"{name} runs every minute with MaximumEventAgeInSeconds {age or 'default 21600'}: expected at most "
            f"{EVERY_MINUTE_EVENT_AGE} (a throttled minute would otherwise run up to six hours late)"
        )
    return problems


def _subs(value):
    """Every Fn::Sub string in a part of the template."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::Sub":
                yield inner if isinstance(inner, str) else inner[0]
            else:
                yield from _subs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _subs(inner)


def self_test(template: dict) -> list[str]:
    """Each rule must fail on the mistake it guards against."""
    failures = []
    broken = {
        "reserved concurrency": lambda t: t["Resources"]["EvaluatorFunction"]["Properties"].update(
            {"ReservedConcurrentExecutions": 1}),
        "Retain": lambda t: t["Resources"]["AlertsTable"].update({"DeletionPolicy": "Retain"}),
        "secret's deletion policy": lambda t: t["Resources"]["Secrets"].pop("DeletionPolicy"),
        "secret's replace policy": lambda t: t["Resources"]["Secrets"].pop("UpdateReplacePolicy"),
        "deletion protection": lambda t: t["Resources"]["AlertsTable"]["Properties"].update(
            {"DeletionProtectionEnabled": True}),
        "SSEEnabled": lambda t: t["Resources"]["AlertsTable"]["Properties"].update(
            {"SSESpecification": {"SSEEnabled": True}}),
        "FILL": lambda t: t["Resources"]["ThrottlesAlarm"]["Properties"]["Metrics"][0].update(
            {"Expression": "intake + evaluator + escalator + reporter"}),
        "route throttle": lambda t: t["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"].update(
            {"ThrottlingRateLimit": 50}),
        "report's scheduled time": lambda t: t["Resources"]["ReporterFunction"]["Properties"]["Events"][
            "WeeklyExecutiveReport"]["Properties"].update({"Input": '{"report": "weekly", "audience": "executives"}'}),
        "report's own schedule": lambda t: t["Resources"]["ReporterFunction"]["Properties"]["Events"][
            "DailyHealthCheck"]["Properties"].update({"ScheduleExpression": "cron(0 9 * * ? *)"}),
        "every-minute retries": lambda t: t["Resources"]["EvaluatorFunction"]["Properties"].pop(
            "EventInvokeConfig"),
        "log group Arn": lambda t: t["Resources"]["IntakeRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"].append({"Effect": "Allow", "Action": "logs:PutLogEvents",
                                 "Resource": {"Fn::Sub": "${IntakeLogs.Arn}:*"}}),
    }
    for what, breaks in broken.items():
        copy_ = copy.deepcopy(plain(template))
        breaks(copy_)
        if not problems_of(copy_):
            failures.append(f"the {what} rule did not catch its mistake")
    return failures


def read_template() -> dict | None:
    """infra/template.yaml as plain JSON, or None once its decoding errors are printed."""
    template, errors = decode(str(ROOT / "infra/template.yaml"))
    for e in errors:
        print(f"infra/template.yaml: {e}", file=sys.stderr)
    return None if errors else plain(template)


def main() -> int:
    template = read_template()
    if template is None:
        return 1
    problems = problems_of(template)
    if "--self-test" in sys.argv:
        problems += self_test(template)
    for p in problems:
        print(f"infra/template.yaml: {p}", file=sys.stderr)
    if not problems:
        print("infra/template.yaml keeps the deploy rules (concurrency, table policies, encryption, alarm math, route throttle, report schedules' time and expression, every-minute retries, log ARNs)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
