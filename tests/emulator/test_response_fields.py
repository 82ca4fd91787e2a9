"""The emulator's plain-dict field pick (response_fields.py) answers as moto's own does: a
run of every DynamoDB, DynamoDB Streams and Secrets Manager call the functions make,
through the emulator's own application, with each field picked both ways and compared.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import os
import unittest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import logging  # noqa: E402
import threading  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto.core.serialize import (  # noqa: E402
    AttributePicker,
    AttributePickerContext,
    XFormedAttributePicker,
)
from moto.core.utils import get_service_model  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import dynamodb_server  # noqa: E402

TABLE = "modelwatch-fields"
MISSING = object()


def answer(pick, picker, context):
    try:
        return pick(picker, context)
    except Exception as e:  # noqa: BLE001: an error is an answer too
        return ("raised", type(e))


class ResponseFields(unittest.TestCase):
    def test_every_field_of_every_call_is_picked_as_moto_picks_it(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = dynamodb_server.application()  # installs the emulator's patches
        fast = AttributePicker.__call__
        self.assertTrue(getattr(fast, "_plain_dict_first", False))
        moto = fast.moto
        seen = {"fields": 0, "differ": []}

        def both(picker, context):
            mine, theirs = answer(fast, picker, context), answer(moto, picker, context)
            seen["fields"] += 1
            if mine != theirs:
                seen["differ"].append((context.key_path, context.key, mine, theirs))
            return fast(picker, context)

        AttributePicker.__call__ = both
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            self.run_calls(f"http://127.0.0.1:{server.port}")
        finally:
            AttributePicker.__call__ = fast
            server.shutdown()
        self.assertGreater(seen["fields"], 200)
        self.assertEqual(seen["differ"], [])

    def run_calls(self, endpoint):
        db = boto3.client("dynamodb", endpoint_url=endpoint)
        db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            GlobalSecondaryIndexes=[{
                "IndexName": "open-alerts",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                              {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        db.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        described = db.describe_table(TableName=TABLE)["Table"]
        item = {"pk": {"S": "ALERT#1"}, "sk": {"S": "STATE"}, "gsi1pk": {"S": "OPEN"}, "gsi1sk": {"S": "1"},
                "n": {"N": "1.5"}, "b": {"B": b"\x00\x01"}, "t": {"BOOL": True}, "z": {"NULL": True},
                "l": {"L": [{"S": "a"}, {"N": "2"}]}, "m": {"M": {"k": {"SS": ["x", "y"]}}}}
        db.put_item(TableName=TABLE, Item=item, ReturnConsumedCapacity="TOTAL")
        db.put_item(TableName=TABLE, Item=dict(item, n={"N": "2"}), ReturnValues="ALL_OLD")
        with self.assertRaises(ClientError):
            db.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")
        db.get_item(TableName=TABLE, Key={"pk": {"S": "ALERT#1"}, "sk": {"S": "STATE"}}, ConsistentRead=True)
        db.get_item(TableName=TABLE, Key={"pk": {"S": "ALERT#2"}, "sk": {"S": "STATE"}})
        db.update_item(TableName=TABLE, Key={"pk": {"S": "ALERT#1"}, "sk": {"S": "STATE"}},
                       UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}},
                       ReturnValues="ALL_NEW")
        for i in range(5):
            db.put_item(TableName=TABLE, Item={"pk": {"S": "HISTORY#1"}, "sk": {"S": f"{i:03}"}, "n": {"N": str(i)}})
        db.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "HISTORY#1"}},
                 Limit=2, ScanIndexForward=False)
        page = db.query(TableName=TABLE, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                        ExpressionAttributeValues={":p": {"S": "HISTORY#1"}, ":a": {"S": "001"}, ":b": {"S": "004"}},
                        Limit=2)
        db.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "HISTORY#1"}},
                 ExclusiveStartKey=page["LastEvaluatedKey"], Select="COUNT")
        db.query(TableName=TABLE, IndexName="open-alerts", KeyConditionExpression="gsi1pk = :o",
                 ExpressionAttributeValues={":o": {"S": "OPEN"}}, ProjectionExpression="pk, sk, n")
        db.scan(TableName=TABLE, Limit=3, FilterExpression="n > :z", ExpressionAttributeValues={":z": {"N": "0"}})
        db.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "ALERT#3"}, "sk": {"S": "STATE"}}}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "ALERT#1"}, "sk": {"S": "STATE"}},
                        "UpdateExpression": "SET t = :f", "ExpressionAttributeValues": {":f": {"BOOL": False}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "HISTORY#1"}, "sk": {"S": "000"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ], ReturnConsumedCapacity="TOTAL")
        with self.assertRaises(ClientError):
            db.transact_write_items(TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "ALERT#3"}, "sk": {"S": "STATE"}},
                         "ConditionExpression": "attribute_not_exists(pk)",
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            ])
        db.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": "SEEN#1"}, "sk": {"S": "GROUPS"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "HISTORY#1"}, "sk": {"S": "004"}}}},
        ]})
        db.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": {"S": "ALERT#1"}, "sk": {"S": "STATE"}},
                                                        {"pk": {"S": "ALERT#9"}, "sk": {"S": "STATE"}}]}})
        db.delete_item(TableName=TABLE, Key={"pk": {"S": "ALERT#3"}, "sk": {"S": "STATE"}}, ReturnValues="ALL_OLD")
        db.list_tables()
        streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
        shard = streams.describe_stream(StreamArn=described["LatestStreamArn"])["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(StreamArn=described["LatestStreamArn"], ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=100)
        self.assertGreater(len(records["Records"]), 5)
        secrets = boto3.client("secretsmanager", endpoint_url=endpoint)
        secrets.create_secret(Name="modelwatch/fields", SecretString='{"token": "t"}')
        secrets.get_secret_value(SecretId="modelwatch/fields")
        secrets.describe_secret(SecretId="modelwatch/fields")
        db.delete_table(TableName=TABLE)


class AliasedFields(unittest.TestCase):
    """Every member of every DynamoDB, Streams and Secrets Manager answer, from dicts that
    hold each name moto would try for it (alone, and all at once, so the order counts):
    the run above finds every member under its own name or not at all, so it cannot tell
    whether the names tried for a missing member are moto's."""

    def test_every_name_moto_tries_is_tried_in_moto_order(self):
        dynamodb_server.application()  # installs the emulator's patches
        fast = AttributePicker.__call__
        moto = fast.moto
        picker = XFormedAttributePicker()
        compared, differ = 0, []
        for service in ("dynamodb", "dynamodbstreams", "secretsmanager"):
            model = get_service_model(service)
            for operation in model.operation_names:
                for member_key, shape in members(model.operation_model(operation).output_shape):
                    def context(obj):
                        return AttributePickerContext(obj=obj, key=member_key, shape=shape, key_path=operation)
                    names = list(dict.fromkeys(picker.get_possible_keys(context({}))))
                    objs = [{n: f"value of {n}"} for n in names]
                    objs.append({n: f"value of {n}" for n in reversed(names)})
                    objs.append({"unrelated": 1})
                    for obj in objs:
                        mine = answer(fast, picker, context(obj))
                        theirs = answer(moto, picker, context(obj))
                        compared += 1
                        if mine != theirs:
                            differ.append((operation, member_key, shape.name, obj, mine, theirs))
        self.assertGreater(compared, 1_000)
        self.assertEqual(differ, [])


def members(shape, seen=None):
    """(member name, member shape) of every structure reachable from `shape`, each member's
    parent set as moto's serializer sets it."""
    seen = set() if seen is None else seen
    if shape is None or shape.name in seen:
        return
    seen.add(shape.name)
    if shape.type_name == "structure":
        for key, member in shape.members.items():
            member.parent = shape
            yield key, member
            yield from members(member, seen)
    elif shape.type_name == "list":
        yield from members(shape.member, seen)
    elif shape.type_name == "map":
        yield from members(shape.value, seen)


if __name__ == "__main__":
    unittest.main()
