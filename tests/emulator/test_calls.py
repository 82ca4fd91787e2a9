"""The emulator's call log (calls.py, written by dynamodb_server.py): one line per request,
naming the operation, the credentials' key and the items, with when the emulator took the
request up and how long it took to answer, on the clock the benchmarks read.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import io
import json
import tempfile
import time
import unittest
from pathlib import Path

from werkzeug.test import Client

import calls
import dynamodb_server
from calls import CallLog

TABLE = "modelwatch-calls"


def auth(key: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential={key}/20261204/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0")


class CallLogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = Path(self.dir.name) / "calls.jsonl"
        self.client = Client(dynamodb_server.application(CallLog(str(self.path))))
        self.client.post("/moto-api/reset")

    def tearDown(self):
        self.dir.cleanup()

    def call(self, key: str, operation: str, body: dict):
        return self.client.post("/", data=json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}",
            "Authorization": auth(key), "X-Amz-Date": "20261204T120000Z"})

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    def test_each_request_is_one_line_with_its_operation_key_items_and_time(self):
        before = time.monotonic()
        created = self.call("ASIAONE", "CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
        self.assertEqual(created.status_code, 200, created.get_data(as_text=True))
        put = {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "a"}}}}
        self.assertEqual(self.call("ASIATWO", "TransactWriteItems", {"TransactItems": [put]}).status_code, 200)
        # A refused request is logged too: its time is the emulator's all the same.
        missing = self.call("ASIATWO", "GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}})
        self.assertEqual(missing.status_code, 400)
        after = time.monotonic()

        reset, create, transact, get = self.lines()
        self.assertEqual((reset["key"], reset["path"]), ("", "/moto-api/reset"))
        self.assertEqual((create["key"], create["operation"], create["resources"]), ("ASIAONE", "CreateTable", [{"TableName": TABLE}]))
        self.assertEqual((transact["key"], transact["operation"], transact["items"]), ("ASIATWO", "TransactWriteItems", [["Put", TABLE, "a"]]))
        self.assertEqual((get["key"], get["operation"], get["leading_keys"]), ("ASIATWO", "GetItem", ["a"]))
        # Taken up in order, within the test's own reading of the same clock, and each
        # answered before the next was taken up (one request at a time).
        for earlier, later in ((create, transact), (transact, get)):
            self.assertLessEqual(earlier["at"] + earlier["ms"] / 1000, later["at"] + 1e-6)
        self.assertLessEqual(before, create["at"])
        self.assertLessEqual(get["at"] + get["ms"] / 1000, after + 1e-6)
        for line in (create, transact, get):
            self.assertGreater(line["ms"], 0)

    def test_each_item_is_named_by_its_partition_key_for_iam(self):
        # IAM's dynamodb:LeadingKeys holds the partition key of every item a call touches;
        # the deploy smoke test checks a role's key conditions against these.
        self.call("ASIAONE", "CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]})
        item = lambda pk: {"pk": {"S": pk}, "sk": {"S": "S"}, "v": {"S": "not logged"}}  # noqa: E731
        self.call("ASIAONE", "PutItem", {"TableName": TABLE, "Item": item("REPORT#a")})
        self.call("ASIAONE", "UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "REPORT#a"}, "sk": {"S": "S"}},
                                            "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.call("ASIAONE", "BatchWriteItem", {"RequestItems": {TABLE: [
            {"PutRequest": {"Item": item("A")}}, {"DeleteRequest": {"Key": {"pk": {"S": "B"}, "sk": {"S": "S"}}}}]}})
        self.call("ASIAONE", "BatchGetItem", {"RequestItems": {TABLE: {"Keys": [
            {"pk": {"S": "A"}, "sk": {"S": "S"}}, {"pk": {"S": "C"}, "sk": {"S": "S"}}]}}})
        self.call("ASIAONE", "Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                                       "ExpressionAttributeValues": {":p": {"S": "A"}}})
        key = lambda pk: {"pk": {"S": pk}, "sk": {"S": "S"}}  # noqa: E731
        self.call("ASIAONE", "TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": TABLE, "Item": item("T1")}},
            {"Update": {"TableName": TABLE, "Key": key("T2"), "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "x"}}}},
            {"Delete": {"TableName": TABLE, "Key": key("T3")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": key("A"), "ConditionExpression": "attribute_exists(pk)"}}]})
        self.call("ASIAONE", "DeleteItem", {"TableName": TABLE, "Key": key("T1")})
        put, update, batch_write, batch_get, query, transact, delete = self.lines()[2:]
        self.assertEqual(put["leading_keys"], ["REPORT#a"])
        self.assertEqual(update["leading_keys"], ["REPORT#a"])
        self.assertEqual(transact["items"], [["Put", TABLE, "T1"], ["Update", TABLE, "T2"], ["Delete", TABLE, "T3"],
                                             ["ConditionCheck", TABLE, "A"]])
        self.assertEqual(delete["leading_keys"], ["T1"])
        self.assertEqual(batch_write["items"], [["Put", TABLE, "A"], ["Delete", TABLE, "B"]])
        self.assertEqual(batch_get["items"], [["Get", TABLE, "A"], ["Get", TABLE, "C"]])
        # A query names its key in an expression: not read here (no role holds a query to keys).
        self.assertNotIn("leading_keys", query)
        self.assertNotIn("not logged", self.path.read_text())

    def test_the_partition_key_is_the_tables(self):
        table = json.loads((Path(__file__).resolve().parents[2] / "infra/table.json").read_text())
        hash_keys = [k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"]
        self.assertEqual(hash_keys, [calls.PARTITION_KEY])

    def test_a_request_moto_fails_on_is_logged_too(self):
        # The server answers 500 when moto raises; the call still happened, and the deploy
        # smoke test's IAM check must see it.
        def failing(environ, start_response):
            raise RuntimeError("moto failed")

        app = dynamodb_server.OneAtATime(failing, CallLog(str(self.path)))
        environ = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem",
                   "HTTP_AUTHORIZATION": auth("ASIATHREE"), "CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"{}")}
        logged = len(self.lines())  # setUp's reset
        with self.assertRaises(RuntimeError):
            app(environ, lambda *_: None)
        (line,) = self.lines()[logged:]
        self.assertEqual((line["key"], line["operation"]), ("ASIATHREE", "GetItem"))
        self.assertGreaterEqual(line["ms"], 0)


if __name__ == "__main__":
    unittest.main()
