"""The Python Lambda a team would write by default, for the cold-start comparison: the
intake's minimal work for one Datadog webhook, run under `awslambdaric` like a Python
3.11 Lambda. At init: the webhook token from Secrets Manager, a DynamoDB client, the
table checked. Per event: the token checked, the webhook parsed, one conditional PutItem.

Run as `python -m awslambdaric handler.handle` with this folder as the working directory
(bench/cold_start.py does, through the project's Lambda Runtime API host).
"""

import hmac
import json
import os
import time

import boto3

TABLE = os.environ["MODELWATCH_TABLE"]
_secrets = boto3.client("secretsmanager")
TOKEN = json.loads(_secrets.get_secret_value(SecretId=os.environ["MODELWATCH_SECRET_ID"])["SecretString"])["webhook_token"]
DYNAMODB = boto3.client("dynamodb")
# The same table check as the Rust functions (runtime::cold_start): a read of a key no item has.
DYNAMODB.get_item(TableName=TABLE, Key={"pk": {"S": "TABLE-CHECK"}, "sk": {"S": "TABLE-CHECK"}})


def _answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handle(event, _context):
    headers = event.get("headers") or {}
    if not hmac.compare_digest(headers.get("x-modelwatch-token", ""), TOKEN):
        return _answer(401, {"error": "unauthorized"})
    try:
        hook = json.loads(event.get("body") or "")
        key = f"datadog:cycle:{hook['alert_cycle_key']}"
        transition = hook["alert_transition"]
    except (ValueError, KeyError, TypeError) as e:
        return _answer(400, {"error": f"not a Datadog webhook: {e}"})
    try:
        DYNAMODB.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": f"ALERT#{key}"},
                "sk": {"S": f"EVENT#{hook.get('id', '')}"},
                "transition": {"S": transition},
                "title": {"S": hook.get("alert_title", "")},
                "received_at": {"N": str(int(time.time() * 1000))},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    except DYNAMODB.exceptions.ConditionalCheckFailedException:
        return _answer(200, {"alert_key": key, "duplicate": True})
    return _answer(202, {"alert_key": key, "stored": True})
