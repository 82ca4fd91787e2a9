"""The events each function gets in AWS, built as AWS builds them: API Gateway HTTP API
(payload 2.0) requests for the intake's routes, EventBridge's scheduled event, Scheduler's
input, and DynamoDB stream batches read from the emulator's stream, filtered by the
template's FilterCriteria and shaped as Lambda hands them over."""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

REGION = "us-east-1"
ACCOUNT = "123456789012"


def http(method: str, path: str, body: bytes = b"", headers: dict | None = None, binary: bool = False,
         route: str | None = None, path_parameters: dict | None = None) -> dict:
    """An API Gateway HTTP API event. API Gateway lowercases header names and base64s
    bodies that are not text (Slack's form posts arrive so); a route with a `{param}`
    keeps its template in `routeKey` and the values in `pathParameters`."""
    now = time.time()
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    headers.setdefault("user-agent", "modelwatch-deploy-smoke")
    if body:
        headers["content-length"] = str(len(body))
    route_key = f"{method} {route or path}"
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "smoke",
            "domainName": "smoke.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "smoke",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": headers["user-agent"]},
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "body": base64.b64encode(body).decode() if binary else body.decode(),
        "isBase64Encoded": binary,
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def slack_signed(path: str, form: dict, signing_secret: str) -> dict:
    """A Slack request signed as Slack signs it (v0, HMAC-SHA256 of v0:timestamp:body)."""
    body = urlencode(form).encode()
    stamp = str(int(time.time()))
    sig = hmac.new(signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return http(
        "POST",
        path,
        body,
        {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={sig}"},
        binary=True,
    )


def slack_command(text: str, signing_secret: str) -> dict:
    return slack_signed(
        "/slack/commands",
        {
            "token": "legacy", "team_id": "T0SMOKE", "channel_id": "C0SMOKE", "channel_name": "modelwatch",
            "user_id": "U0SMOKE", "user_name": "smoke", "command": "/modelwatch", "text": text,
            "response_url": "https://hooks.slack.com/commands/T0SMOKE/1/abc", "trigger_id": "1.2.3",
        },
        signing_secret,
    )


def slack_button(action_id: str, alert_key: str, cycle: int, signing_secret: str) -> dict:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0SMOKE", "username": "smoke", "name": "smoke", "team_id": "T0SMOKE"},
        "api_app_id": "A0MW", "token": "legacy", "trigger_id": "1.2.3",
        "team": {"id": "T0SMOKE", "domain": "smoke"},
        "container": {"type": "message", "message_ts": "1795730500.000100", "channel_id": "C0SMOKE", "is_ephemeral": False},
        "channel": {"id": "C0SMOKE", "name": "modelwatch"},
        "response_url": "https://hooks.slack.com/actions/T0SMOKE/1/abc",
        "actions": [{
            "action_id": action_id, "block_id": "actions", "type": "button",
            "text": {"type": "plain_text", "text": "Acknowledge"},
            "value": json.dumps({"key": alert_key, "cycle": cycle}),
            "action_ts": f"{int(time.time())}.000200",
        }],
    }
    return slack_signed("/slack/interactions", {"payload": json.dumps(payload)}, signing_secret)


def pagerduty_signed(body: bytes, secret: str) -> dict:
    """A PagerDuty v3 webhook: X-PagerDuty-Signature v1=HMAC-SHA256 of the body."""
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return http("POST", "/webhooks/pagerduty", body, {"content-type": "application/json", "x-pagerduty-signature": f"v1={sig}"})


def scheduled(rule_arn: str, at: int) -> dict:
    """EventBridge's scheduled event (a rule without Input) for the instant `at`."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": ACCOUNT, "time": datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": REGION,
        "resources": [rule_arn], "detail": {},
    }


# EventBridge Scheduler's context attributes, which it replaces in a schedule's Input when
# it invokes the target (scheduler/latest/UserGuide/managing-schedule-context-attributes).
SCHEDULER_ATTRIBUTES = ("schedule-arn", "scheduled-time", "execution-id", "attempt-number")


def schedule_input(text: str, schedule_arn: str, at: int, attempt: int = 1) -> dict:
    """A schedule's Input as EventBridge Scheduler hands it to the target for the instant
    `at`: its context attributes replaced, and any other `<aws.scheduler.…>` refused, as
    Scheduler knows no other."""
    values = {
        "schedule-arn": schedule_arn,
        "scheduled-time": datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "execution-id": uuid.uuid4().hex[:16],
        "attempt-number": str(attempt),
    }
    for name, value in values.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    unknown = re.findall(r"<aws\.scheduler\.[^>]*>", text)
    if unknown:
        raise ValueError(f"schedule Input uses {unknown}: expected only {', '.join(SCHEDULER_ATTRIBUTES)}")
    return json.loads(text)


def _matches(pattern, value) -> bool:
    """Lambda's event filter patterns, the part the template may use: nested objects,
    lists of allowed values, numeric, prefix, anything-but and exists. Anything else
    fails loudly. (The escalator's own matcher is shared/src/event_filter.rs; this one
    only decides which records the smoke test hands over, as Lambda would.)"""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            _matches(p, value.get(k)) if not _exists_rule(p) else _exists(p, k in value) for k, p in pattern.items()
        )
    if not isinstance(pattern, list):
        raise ValueError(f"filter pattern value {pattern!r}: expected an object or a list")
    return any(_one(rule, value) for rule in pattern)


def _exists_rule(p) -> bool:
    return isinstance(p, list) and len(p) == 1 and isinstance(p[0], dict) and "exists" in p[0]


def _exists(p, present: bool) -> bool:
    return p[0]["exists"] == present


def _one(rule, value) -> bool:
    if not isinstance(rule, dict):
        return value == rule
    (op, arg), = rule.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "anything-but":
        excluded = arg if isinstance(arg, list) else [arg]
        return value is not None and value not in excluded
    if op == "numeric":
        # Only JSON numbers: a stream record's {"N": "2"} is a string, which Lambda's
        # numeric filter never matches.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        x = float(value)
        checks = {">": x.__gt__, ">=": x.__ge__, "<": x.__lt__, "<=": x.__le__, "=": x.__eq__}
        return all(checks[arg[i]](float(arg[i + 1])) for i in range(0, len(arg), 2))
    raise ValueError(f"filter operator {op!r} is not emulated by the deploy smoke test")


def passes(filters: dict | None, record: dict) -> bool:
    """Whether Lambda would hand `record` to the function under `FilterCriteria`."""
    patterns = [json.loads(f["Pattern"]) for f in (filters or {}).get("Filters", [])]
    return not patterns or any(_matches(p, record) for p in patterns)


def stream_records(streams, stream_arn: str) -> list:
    """Every record of the table's stream from its start, as Lambda's event shapes them."""
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = streams.get_records(ShardIterator=it, Limit=1000)
            for r in out["Records"]:
                d = dict(r["dynamodb"])
                if isinstance(d.get("ApproximateCreationDateTime"), datetime):
                    d["ApproximateCreationDateTime"] = d["ApproximateCreationDateTime"].timestamp()
                records.append({
                    "eventID": r["eventID"], "eventName": r["eventName"], "eventVersion": r.get("eventVersion", "1.1"),
                    "eventSource": "aws:dynamodb", "awsRegion": r.get("awsRegion", REGION), "dynamodb": d,
                    "eventSourceARN": stream_arn,
                })
            if not out["Records"]:
                break
            it = out.get("NextShardIterator")
    return records
