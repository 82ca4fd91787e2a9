"""Records which AWS operation each request to the emulator asked for, and with which
credentials, as JSON lines: how the deploy smoke test learns what a function called.

Each function process runs with an access key of its own (as each Lambda runs with its
own role's credentials), so a call is attributed by the key in its SigV4 signature,
never by timing. One line per request:

    {"key": "ASIA...", "service": "dynamodb", "operation": "Query",
     "resources": [{"TableName": "t", "IndexName": "open-alerts"}],
     "items": [["Put", "t", "ALERT#m|q|g"], ...], "at": 81234.5678, "ms": 0.612}

`items` lists the parts of a DynamoDB transaction or batch, each with the partition key
of the item it touches (IAM checks each part's own action, and a policy may hold an action
to some keys: `dynamodb:LeadingKeys`); a single-item call names its key in
`leading_keys`. `at` is when the emulator took the request up (CLOCK_MONOTONIC in
seconds, the clock of Python's `time.monotonic()` in any process of the machine) and `ms`
how long it took to answer: the benchmarks split a cold start's time between the emulator
and the function with them. Item values other than partition keys, and secret values, are
never written.
"""

import io
import json
import re
from urllib.parse import parse_qs

# SigV4: "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...".
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/aws4_request")
# Request fields that name the resource an operation acts on.
RESOURCE_FIELDS = ("TableName", "IndexName", "SecretId", "StreamArn", "QueueUrl", "Name")
# Largest body read to find the operation (JSON and query protocols; never S3 uploads).
MAX_BODY = 1 << 20
# The partition key attribute of the project's table (infra/table.json; the deploy checks
# hold the two together).
PARTITION_KEY = "pk"


def _body(environ) -> bytes:
    """Reads the body and puts it back for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if length <= 0 or length > MAX_BODY:
        return b""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _partition_key(spec: dict) -> list:
    """`[value]` of the partition key a request part names (its `Key`, or the `Item` it
    puts), or `[]` when it names none as a string."""
    item = spec.get("Key") or spec.get("Item") or {}
    value = item.get(PARTITION_KEY) if isinstance(item, dict) else None
    return [value["S"]] if isinstance(value, dict) and isinstance(value.get("S"), str) else []


def _parts(body: dict) -> list:
    """The per-item operations of TransactWriteItems/TransactGetItems/Batch*Item, each
    `[kind, table]` and the item's partition key when it names one."""
    parts = []
    for entry in body.get("TransactItems", []):
        for kind, spec in entry.items():
            parts.append([kind, spec.get("TableName", ""), *_partition_key(spec)])
    for table, requests in (body.get("RequestItems") or {}).items():
        if isinstance(requests, list):  # BatchWriteItem: [{"PutRequest": {"Item": ...}}, ...]
            for r in requests:
                parts.extend([kind.removesuffix("Request"), table, *_partition_key(spec)] for kind, spec in r.items())
        else:  # BatchGetItem: {"Keys": [...]}
            parts.extend(["Get", table, *_partition_key({"Key": key})] for key in requests.get("Keys", []))
    return parts


def describe(environ) -> dict:
    """What one request asked for."""
    found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    key, service = found.groups() if found else ("", "")
    line = {"key": key, "service": service, "method": environ.get("REQUEST_METHOD", "")}
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    content_type = environ.get("CONTENT_TYPE", "")
    if target:  # JSON protocol (DynamoDB, Secrets Manager, ...): "Prefix.Operation"
        line["operation"] = target.rsplit(".", 1)[-1]
        try:
            body = json.loads(_body(environ) or b"{}")
        except ValueError:
            body = {}
        line["resources"] = [{f: body[f] for f in RESOURCE_FIELDS if isinstance(body.get(f), str)}]
        parts = _parts(body)
        if parts:
            line["items"] = parts
        elif _partition_key(body):  # GetItem, PutItem, UpdateItem, DeleteItem
            line["leading_keys"] = _partition_key(body)
    elif "x-www-form-urlencoded" in content_type or "Action=" in environ.get("QUERY_STRING", ""):
        # Query protocol (SQS, STS, IAM, CloudFormation): Action in the body or the URL.
        form = parse_qs(environ.get("QUERY_STRING", ""))
        if "x-www-form-urlencoded" in content_type:
            form.update(parse_qs(_body(environ).decode("utf-8", "replace")))
        line["operation"] = (form.get("Action") or [""])[0]
    else:  # REST (S3, Lambda, ...): the method and path say it.
        line["operation"] = ""
        line["path"] = environ.get("PATH_INFO", "")
    return line


class CallLog:
    """Appends one JSON line per request to `path`."""

    def __init__(self, path: str):
        self.path = path

    def record(self, line: dict) -> None:
        """Appends `line` (`describe`'s, with `at` and `ms` added by the server)."""
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
