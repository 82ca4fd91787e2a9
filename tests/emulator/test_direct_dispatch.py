"""DynamoDB's requests handed straight to moto's handlers (direct_dispatch.py) answer as
moto's own dispatcher does: the same statuses, bodies and headers for the same sequence of
requests (successes, refusals, errors, the stream), each way starting from a reset moto.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import json
import unittest
import zlib

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

import direct_dispatch

TABLE = "modelwatch-direct"
AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0")
# Differ between two runs by nature: times, ids, ARNs and labels made of times.
VOLATILE = {"CreationDateTime", "CreationRequestDateTime", "LatestStreamArn", "LatestStreamLabel", "StreamArn", "StreamLabel",
            "ShardIterator", "NextShardIterator", "SequenceNumber", "StartingSequenceNumber",
            "ApproximateCreationDateTime", "eventID", "ShardId", "TableId", "TableArn", "IndexArn",
            "LastIncreaseDateTime", "LastDecreaseDateTime", "SizeBytes"}
# Headers that differ between two answers by nature.
VOLATILE_HEADERS = {"x-amzn-requestid", "date", "content-length", "x-amz-crc32"}


def item(pk, sk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"S": sk}}
    out.update({k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in attrs.items()})
    return out


def scrub(value):
    if isinstance(value, dict):
        return {k: ("…" if k in VOLATILE else scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class Session:
    """One way of serving, from a reset moto; `call` returns what a client would compare."""

    def __init__(self, app):
        self.client = Client(app)
        self.client.post("/moto-api/reset")
        self.shard_iterator = None

    def raw(self, target, body, raw_body=None):
        return self.client.post("/", data=raw_body if raw_body is not None else json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, "Authorization": AUTH,
            "X-Amz-Date": "20261203T120000Z"})

    def call(self, target, body, raw_body=None):
        try:
            r = self.raw(target, body, raw_body)
        except Exception as e:  # moto's own failures (the server answers them 500)
            return "raised", type(e).__name__, str(e)
        data = r.get_data()
        crc = r.headers.get("x-amz-crc32")
        if crc is not None and int(crc) != zlib.crc32(data):
            raise AssertionError(f"{target}: x-amz-crc32 {crc} does not match its body")
        try:
            parsed = scrub(json.loads(data)) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        headers = sorted((k.lower(), v) for k, v in r.headers.items() if k.lower() not in VOLATILE_HEADERS)
        return r.status_code, parsed, headers


def sequence(s: Session) -> list:
    d = "DynamoDB_20120810."
    answers = [s.call(d + "CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "open-alerts", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                                  {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})]
    answers.append(s.call(d + "PutItem", {"TableName": TABLE, "Item": item("ALERT#a", "STATE", gsi1pk="OPEN", gsi1sk="1#a", version=1)}))
    answers.append(s.call(d + "PutItem", {"TableName": TABLE, "Item": item("ALERT#a", "STATE"),
                                          "ConditionExpression": "attribute_not_exists(pk)"}))
    answers.append(s.call(d + "GetItem", {"TableName": TABLE, "ConsistentRead": True,
                                          "Key": {"pk": {"S": "ALERT#a"}, "sk": {"S": "STATE"}}}))
    answers.append(s.call(d + "Query", {"TableName": TABLE, "IndexName": "open-alerts",
                                        "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": {":p": {"S": "OPEN"}}}))
    answers.append(s.call(d + "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": item("ALERT#a", "STATE", version=2),
                 "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}},
        {"Put": {"TableName": TABLE, "Item": item("SEEN#x", "GROUPS", groups="g")}}]}))
    answers.append(s.call(d + "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": item("ALERT#a", "STATE", version=3),
                 "ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}}]}))
    answers.append(s.call(d + "GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}}))
    answers.append(s.call(d + "GetItem", {"TableName": TABLE, "Key": {"id": {"S": "x"}}}))
    answers.append(s.call(d + "DescribeTable", {"TableName": TABLE}))
    answers.append(s.call(d + "Query", {}, raw_body="{not json"))
    answers.append(s.call(d + "NoSuchOperation", {}))
    # The stream, as the local poller reads it.
    arn = json.loads(s.raw(d + "DescribeTable", {"TableName": TABLE}).get_data())["Table"]["LatestStreamArn"]
    st = "DynamoDBStreams_20120810."
    described = json.loads(s.raw(st + "DescribeStream", {"StreamArn": arn}).get_data())
    answers.append(s.call(st + "DescribeStream", {"StreamArn": arn}))
    shard = described["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = json.loads(s.raw(st + "GetShardIterator", {"StreamArn": arn, "ShardId": shard,
                                                          "ShardIteratorType": "TRIM_HORIZON"}).get_data())["ShardIterator"]
    answers.append(s.call(st + "GetRecords", {"ShardIterator": iterator}))
    answers.append(s.call(st + "GetRecords", {"ShardIterator": "not-an-iterator"}))
    return answers


class DirectDispatch(unittest.TestCase):
    def test_dynamodb_answers_as_through_motos_dispatcher(self):
        dispatcher = DomainDispatcherApplication(create_backend_app)
        through_moto = sequence(Session(dispatcher))
        taken = []
        handler_for = direct_dispatch.handler_for
        direct_dispatch.handler_for = lambda environ: taken.append(handler_for(environ)) or taken[-1]
        try:
            direct = sequence(Session(direct_dispatch.DirectDispatch(dispatcher)))
        finally:
            direct_dispatch.handler_for = handler_for
        self.assertGreaterEqual(sum(h is not None for h in taken), len(direct), "served the direct way")
        self.maxDiff = None
        self.assertEqual(len(through_moto), len(direct))
        for i, (want, got) in enumerate(zip(through_moto, direct)):
            self.assertEqual(want, got, f"request {i}")
        statuses = [a[0] for a in direct]
        self.assertIn(400, statuses, "the sequence reaches moto's refusals too")
        self.assertGreaterEqual(statuses.count(200), 8)

    def test_only_dynamodbs_own_requests_are_taken(self):
        taken = lambda **env: direct_dispatch.handler_for(dict({"REQUEST_METHOD": "POST", "PATH_INFO": "/"}, **env))  # noqa: E731
        self.assertIsNotNone(taken(HTTP_X_AMZ_TARGET="DynamoDB_20120810.GetItem"))
        self.assertIsNotNone(taken(HTTP_X_AMZ_TARGET="DynamoDBStreams_20120810.GetRecords"))
        self.assertIsNone(taken(HTTP_X_AMZ_TARGET="secretsmanager.GetSecretValue"))
        self.assertIsNone(taken())
        self.assertIsNone(taken(HTTP_X_AMZ_TARGET="DynamoDB_20120810.GetItem", PATH_INFO="/moto-api/reset"))
        self.assertIsNone(taken(HTTP_X_AMZ_TARGET="DynamoDB_20120810.GetItem", REQUEST_METHOD="GET"))


if __name__ == "__main__":
    unittest.main()
