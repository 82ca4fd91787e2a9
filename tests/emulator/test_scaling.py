"""The emulator's scaling patches (scaling.py), through the emulator's own server
(dynamodb_server.py) as the tests reach it.

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
from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import dynamodb_server  # noqa: E402

TABLE = "modelwatch-test"


def put(pk, sk, **attrs):
    item = {"pk": {"S": pk}, "sk": {"S": sk}}
    item.update({k: {"S": v} for k, v in attrs.items()})
    return {"Put": {"TableName": TABLE, "Item": item}}


def put_if_absent(pk, sk):
    op = put(pk, sk)
    op["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
    return op


class Emulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        cls.server = make_server(
            "127.0.0.1", 0, dynamodb_server.application(), threaded=True,
            request_handler=MotoRequestHandler,
        )
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        self.db = boto3.client("dynamodb", endpoint_url=self.endpoint)
        self.db.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        arn = self.db.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams", endpoint_url=self.endpoint)
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def tearDown(self):
        self.db.delete_table(TableName=TABLE)

    def records(self):
        answer = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = answer["NextShardIterator"]
        return [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in answer["Records"]]

    def items(self):
        return sorted(
            (i["sk"]["S"], i.get("v", {}).get("S")) for i in self.db.scan(TableName=TABLE)["Items"]
        )

    def test_a_transaction_applies_every_item_and_streams_each(self):
        self.db.transact_write_items(TransactItems=[put("a", "1", v="x"), put("a", "2", v="y")])
        self.assertEqual(self.items(), [("1", "x"), ("2", "y")])
        self.assertEqual(self.records(), [("INSERT", "1"), ("INSERT", "2")])

    def test_a_cancelled_transaction_leaves_no_item_and_no_record(self):
        self.db.transact_write_items(TransactItems=[put("a", "0", v="w"), put("a", "1", v="x")])
        self.assertEqual(self.records(), [("INSERT", "0"), ("INSERT", "1")])
        with self.assertRaises(ClientError) as cancelled:
            self.db.transact_write_items(
                TransactItems=[
                    put("a", "2", v="new"),
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                            "UpdateExpression": "SET v = :v",
                            "ExpressionAttributeValues": {":v": {"S": "changed"}},
                        }
                    },
                    put_if_absent("a", "0"),
                ]
            )
        self.assertEqual(cancelled.exception.response["Error"]["Code"], "TransactionCanceledException")
        self.assertEqual(self.items(), [("0", "w"), ("1", "x")], "the put and the update are undone")
        self.assertEqual(self.records(), [], "nothing of the cancelled transaction reaches the stream")
        # The stream goes on from the same iterator: the table was not replaced.
        self.db.transact_write_items(TransactItems=[put("a", "3", v="z")])
        self.assertEqual(self.records(), [("INSERT", "3")])

    def test_an_item_named_twice_is_refused_and_changes_nothing(self):
        self.db.transact_write_items(TransactItems=[put("a", "1", v="x")])
        self.records()
        with self.assertRaises(ClientError):
            self.db.transact_write_items(TransactItems=[put("a", "1", v="y"), put("a", "1", v="z")])
        self.assertEqual(self.items(), [("1", "x")])
        self.assertEqual(self.records(), [])

    def test_the_table_is_not_copied(self):
        tables = dynamodb_backends["123456789012"]["us-east-1"].tables
        table = tables[TABLE]
        self.db.transact_write_items(TransactItems=[put("a", "1")])
        with self.assertRaises(ClientError):
            self.db.transact_write_items(TransactItems=[put("a", "2"), put_if_absent("a", "1")])
        self.assertIs(tables[TABLE], table)

    def query(self, pk, **kwargs):
        pages, start = [], None
        while True:
            asked = dict(
                TableName=TABLE,
                KeyConditionExpression=kwargs.pop("condition", "pk = :pk"),
                ExpressionAttributeValues={":pk": {"S": pk}, **kwargs.pop("values", {})},
                **kwargs,
            )
            if start:
                asked["ExclusiveStartKey"] = start
            answer = self.db.query(**asked)
            pages.append([i["sk"]["S"] for i in answer["Items"]])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return pages
            kwargs = {k: v for k, v in asked.items() if k not in ("TableName", "ExclusiveStartKey")}
            kwargs["condition"] = kwargs.pop("KeyConditionExpression")
            kwargs["values"] = {k: v for k, v in kwargs.pop("ExpressionAttributeValues").items() if k != ":pk"}

    def test_a_query_reads_its_partition_in_key_order(self):
        for pk in ["a", "b", "c"]:
            self.db.transact_write_items(TransactItems=[put(pk, sk, v=pk) for sk in ["3", "1", "5", "2", "4"]])
        self.assertEqual(self.query("b"), [["1", "2", "3", "4", "5"]])
        self.assertEqual(self.query("b", ScanIndexForward=False), [["5", "4", "3", "2", "1"]])
        self.assertEqual(self.query("b", Limit=2), [["1", "2"], ["3", "4"], ["5"]])
        self.assertEqual(
            self.query("c", condition="pk = :pk AND sk > :from", values={":from": {"S": "3"}}),
            [["4", "5"]],
        )
        self.assertEqual(self.query("nobody"), [[]])
        self.assertEqual(len(self.db.scan(TableName=TABLE)["Items"]), 15, "a scan still reads every item")


if __name__ == "__main__":
    unittest.main()
