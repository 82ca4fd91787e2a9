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
        self.assertEqual((transact["key"], transact["operation"], transact["items"]), ("ASIATWO", "TransactWriteItems", [["Put", TABLE]]))
        self.assertEqual((get["key"], get["operation"]), ("ASIATWO", "GetItem"))
        # Taken up in order, within the test's own reading of the same clock, and each
        # answered before the next was taken up (one request at a time).
        for earlier, later in ((create, transact), (transact, get)):
            self.assertLessEqual(earlier["at"] + earlier["ms"] / 1000, later["at"] + 1e-6)
        self.assertLessEqual(before, create["at"])
        self.assertLessEqual(get["at"] + get["ms"] / 1000, after + 1e-6)
        for line in (create, transact, get):
            self.assertGreater(line["ms"], 0)

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
