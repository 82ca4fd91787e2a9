"""Compares what each function's process called on AWS with what its role allows.

Both ways, per function:
- every call the code made must be allowed by the role, on the resource it touched;
- every (action, resource) the role grants must be used by the code, or be one that the
  Lambda service uses on the function's behalf for a feature the template configures
  (its logs, X-Ray with Tracing: Active, an SQS dead-letter queue or on-failure
  destination, a DynamoDB stream event source); and each such feature's actions must be
  granted too, or Lambda cannot deliver to the function.

A statement may hold its DynamoDB item actions to some partition keys, as AWS's
fine-grained access control does (`"Condition": {"ForAllValues:StringLike":
{"dynamodb:LeadingKeys": ["REPORT#*"]}}`, or `StringEquals`): a call is allowed by it only
when the emulator logged the partition key of every item it touched, and each matches.
"""

import fnmatch
import re
from dataclasses import dataclass

from template_model import REGION, ACCOUNT, Function, Resolver

# The IAM action each part of a DynamoDB transaction needs (there is no
# dynamodb:TransactWriteItems action: IAM checks each item's own).
TRANSACT_PARTS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")


@dataclass(frozen=True)
class Use:
    action: str
    resource: str
    why: str  # "code" or the template feature that needs it
    # The partition keys of the items a DynamoDB call touched (IAM's dynamodb:LeadingKeys);
    # empty when the call named none (a Query, a stream read, another service).
    leading_keys: tuple = ()


@dataclass(frozen=True)
class Grant:
    action: str
    resource: str
    # The dynamodb:LeadingKeys values of the statement's condition, as written (every key
    # of a call must match one); None: no condition.
    leading_keys: tuple | None = None
    # StringLike (`*` and `?` are wildcards) or StringEquals (each value is itself).
    wildcards: bool = True

    def key_matches(self, key: str) -> bool:
        return any(_matches(_glob(v, self.wildcards), key) for v in self.leading_keys or ())


# The one condition this check can evaluate: the operator (whether its values have
# wildcards), on dynamodb:LeadingKeys alone.
LEADING_KEY_OPERATORS = {"ForAllValues:StringLike": True, "ForAllValues:StringEquals": False}


def _glob(value: str, wildcards: bool) -> str:
    """An IAM string condition's value as an fnmatch pattern: IAM has no `[...]` classes,
    and StringEquals no wildcards at all."""
    return re.sub(r"(\[)" if wildcards else r"([*?\[])", r"[\1]", value)


def _dynamodb_arn(resource: dict) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{resource.get('TableName', '?')}"
    return f"{arn}/index/{resource['IndexName']}" if "IndexName" in resource else arn


def code_uses(calls: list, secret_arns: dict) -> list:
    """The IAM (action, resource) of each logged call. `secret_arns` maps a secret's name
    to its ARN (a SecretId may be either)."""
    uses = []
    for c in calls:
        service, op = c.get("service", ""), c.get("operation", "")
        resource = (c.get("resources") or [{}])[0]
        if not op:
            uses.append(Use(f"{service}:?", f"{c.get('method')} {c.get('path')}", "code"))
        elif service == "dynamodb" and c.get("items"):
            for kind, table, *key in c["items"]:
                action = TRANSACT_PARTS.get(kind) if op.startswith("Transact") else op
                uses.append(Use(f"dynamodb:{action or kind}", _dynamodb_arn({"TableName": table}), "code", tuple(key)))
        elif service == "dynamodb":
            arn = resource.get("StreamArn") or _dynamodb_arn(resource)
            uses.append(Use(f"dynamodb:{op}", arn, "code", tuple(c.get("leading_keys", ()))))
        elif service == "secretsmanager":
            sid = resource.get("SecretId", "?")
            uses.append(Use(f"secretsmanager:{op}", secret_arns.get(sid, sid), "code"))
        else:
            uses.append(Use(f"{service}:{op}", "*", "code"))
    return uses


def feature_uses(fn: Function, resolver: Resolver) -> list:
    """What Lambda itself does with the function's role for what the template configures."""
    p = fn.props
    uses = []
    group = p.get("LoggingConfig", {}).get("LogGroup")
    group_name = resolver.resolve(group) if group else f"/aws/lambda/{resolver.resolve(p.get('FunctionName', fn.logical_id))}"
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group_name}:log-stream:2026/01/01/[$LATEST]0123abcd"
    for a in ("logs:CreateLogStream", "logs:PutLogEvents"):
        uses.append(Use(a, stream, "function logs"))
    if p.get("TracingConfig", {}).get("Mode") == "Active":
        for a in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
            uses.append(Use(a, "*", "Tracing: Active"))
    dlq = p.get("DeadLetterConfig", {}).get("TargetArn")
    if dlq:
        arn = resolver.resolve(dlq)
        if arn.startswith("arn:aws:sqs:"):
            uses.append(Use("sqs:SendMessage", arn, "DeadLetterQueue (async invocations)"))
    for m in fn.mappings:
        source = resolver.resolve(m["EventSourceArn"])
        if ":dynamodb:" in source:
            for a in STREAM_READ:
                uses.append(Use(a, source, "DynamoDB stream event source"))
        dest = m.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if dest and resolver.resolve(dest).startswith("arn:aws:sqs:"):
            uses.append(Use("sqs:SendMessage", resolver.resolve(dest), "event source OnFailure destination"))
    return uses


def _leading_keys(policy: str, statement: dict) -> tuple[tuple | None, bool]:
    """A statement's condition: its dynamodb:LeadingKeys values (None without a condition)
    and whether they have wildcards."""
    condition = statement.get("Condition")
    if condition is None:
        return None, True
    beyond = (f"policy {policy}, statement {statement.get('Sid', '?')}: the condition {condition} is beyond this check "
              f"(expected one of {sorted(LEADING_KEY_OPERATORS)} on dynamodb:LeadingKeys, alone)")
    if len(condition) != 1:
        raise ValueError(beyond)
    [(operator, tests)] = condition.items()
    if operator not in LEADING_KEY_OPERATORS or list(tests) != ["dynamodb:LeadingKeys"]:
        raise ValueError(beyond)
    values = tests["dynamodb:LeadingKeys"]
    return tuple(values if isinstance(values, list) else [values]), LEADING_KEY_OPERATORS[operator]


def grants(role: dict, resolver: Resolver) -> list:
    """The (action, resource pattern, condition) grants of the role's inline policies."""
    out = []
    for policy in role["Properties"].get("Policies", []):
        for s in resolver.resolve(policy["PolicyDocument"])["Statement"]:
            if s.get("Effect") != "Allow":
                continue
            if "NotAction" in s or "NotResource" in s:
                raise ValueError(f"policy {policy['PolicyName']}: NotAction/NotResource are beyond this check; keep statements plain")
            keys, wildcards = _leading_keys(policy["PolicyName"], s)
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            out.extend(Grant(a, r, keys, wildcards) for a in actions for r in resources)
    if role["Properties"].get("ManagedPolicyArns"):
        raise ValueError("managed policies grant what this check cannot see: keep the roles inline")
    return out


def _matches(pattern: str, value: str) -> bool:
    # IAM wildcards: * any run of characters (colons included), ? one character.
    return fnmatch.fnmatchcase(value, pattern)


def _reaches(grant: Grant, use: Use) -> bool:
    """The grant's action and resource are the use's (its condition aside)."""
    return _matches(grant.action.lower(), use.action.lower()) and _matches(grant.resource, use.resource)


def _covers(grant: Grant, use: Use) -> bool:
    if not _reaches(grant, use):
        return False
    if grant.leading_keys is None:
        return True
    # A call with no key logged cannot be shown to meet the condition: not allowed (IAM
    # would allow a request with no key at all; no item call sends none).
    return bool(use.leading_keys) and all(grant.key_matches(k) for k in use.leading_keys)


def allows(granted: list, use: Use) -> bool:
    return any(_covers(g, use) for g in granted)


def _keys(keys) -> str:
    return ", ".join(sorted(set(keys)))


def compare(name: str, granted: list, uses: list) -> tuple[list, list]:
    """Rows for the table, and failures naming the function, the action, the resource and
    the partition keys a condition refused."""
    rows, failures = [], []
    # Every use is checked (two calls of one action may touch different keys); the table
    # and the failures say each action, resource and verdict once, with the keys refused.
    refused: dict[tuple, list] = {}
    for u in uses:
        ok = allows(granted, u)
        row = (name, u.action, u.resource, u.why, "allowed" if ok else "NOT ALLOWED")
        if row not in rows:
            rows.append(row)
        if not ok:
            refused.setdefault((u.action, u.resource, u.why), []).extend(u.leading_keys)
    for (action, resource, why), keys in refused.items():
        failures.append(
            f"{name}: {'its code called' if why == 'code' else why + ' needs'} {action} on {resource}"
            f"{f' (partition keys {_keys(keys)})' if keys else ''}, which its role does not allow (expected a statement granting it)"
        )
    for g in granted:
        if any(_covers(g, u) for u in uses):
            continue
        condition = f" for partition keys {', '.join(g.leading_keys)}" if g.leading_keys is not None else ""
        rows.append((name, g.action, g.resource + condition, "-", "GRANTED, UNUSED"))
        off_keys = [k for u in uses if _reaches(g, u) for k in u.leading_keys]
        if off_keys:
            failures.append(
                f"{name}: its role grants {g.action} on {g.resource}{condition}, and its calls of it touched other keys "
                f"({_keys(off_keys)}): expected the condition to name the keys the code writes, or the code to keep to them"
            )
        else:
            failures.append(
                f"{name}: its role grants {g.action} on {g.resource}{condition}, which the code never called in the smoke run "
                f"and no template feature needs (expected it removed from the role)"
            )
    return rows, failures


def _short(resource: str) -> str:
    """An ARN without its partition, region and account (all the test deployment's)."""
    return re.sub(rf"^arn:aws:[a-z0-9-]+:{REGION}?:{ACCOUNT}?:", "", resource)


def table(rows: list) -> str:
    rows = [(r[0], r[1], _short(r[2]), r[3], r[4]) for r in rows]
    head = ("function", "action", "resource", "used by", "verdict")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(5)]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])
