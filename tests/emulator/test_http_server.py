"""The emulator's HTTP server (http_server.py) speaks HTTP/1.1 as the SDKs expect.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import json
import os
import socket
import threading
import time
import unittest

import boto3

import dynamodb_server
from http_server import Server


def echo(environ, start_response):
    """Answers with what it was asked; /fail raises; /big answers 8 MB."""
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise RuntimeError("the application failed")
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"x" * (8 * 1024 * 1024)]
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    answer = json.dumps({"method": environ["REQUEST_METHOD"], "path": path, "query": environ["QUERY_STRING"],
                         "type": environ.get("CONTENT_TYPE"), "target": environ.get("HTTP_X_AMZ_TARGET"),
                         "body": body.decode()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [answer]


def start(app) -> Server:
    server = Server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def request(path="/", body=b"", headers="") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def read_answer(sock: socket.socket) -> tuple:
    """(status line, headers, body) of one answer, read to its Content-Length; what
    follows it (the next answer) stays in the socket's buffer here."""
    data = leftovers.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed inside a body")
        body += chunk
    leftovers[sock] = body[length:]
    return lines[0], headers, body[:length]


leftovers: dict = {}


def closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    return not leftovers.get(sock) and sock.recv(1) == b""


class HttpServer(unittest.TestCase):
    def setUp(self):
        self.server = start(echo)
        self.sock = socket.create_connection(self.server.address, timeout=10)

    def tearDown(self):
        self.sock.close()

    def test_a_connection_stays_open_for_the_next_request(self):
        for n in range(3):
            self.sock.sendall(request("/p", f'{{"n":{n}}}'.encode(), "X-Amz-Target: DynamoDB_20120810.GetItem\r\n"))
            status, headers, body = read_answer(self.sock)
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertEqual(headers["connection"], "keep-alive")
            self.assertEqual(json.loads(body), {"method": "POST", "path": "/p", "query": "", "type": "application/json",
                                                "target": "DynamoDB_20120810.GetItem", "body": f'{{"n":{n}}}'})

    def test_a_request_in_pieces_is_answered_once_whole(self):
        whole = request("/a%20b?x=1", b'{"k":"' + b"v" * 100_000 + b'"}')
        for i in range(0, len(whole), 7_001):
            self.sock.sendall(whole[i:i + 7_001])
            time.sleep(0.001)
        _, _, body = read_answer(self.sock)
        answer = json.loads(body)
        self.assertEqual((answer["path"], answer["query"], len(answer["body"])), ("/a b", "x=1", 100_008))

    def test_requests_sent_together_are_answered_in_order(self):
        self.sock.sendall(request("/1") + request("/big") + request("/3"))
        paths = []
        for _ in range(3):
            _, headers, body = read_answer(self.sock)
            paths.append(json.loads(body)["path"] if headers["content-type"] == "application/json" else len(body))
        self.assertEqual(paths, ["/1", 8 * 1024 * 1024, "/3"])

    def test_a_client_that_asks_first_is_told_to_continue(self):
        self.sock.sendall(b"PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        self.sock.settimeout(2)
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += self.sock.recv(1)
        self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
        self.sock.sendall(b"hello")
        status, _, body = read_answer(self.sock)
        self.assertEqual((status, json.loads(body)["body"]), ("HTTP/1.1 200 OK", "hello"))

    def test_connection_close_is_honoured(self):
        self.sock.sendall(request("/", headers="Connection: close\r\n"))
        _, headers, _ = read_answer(self.sock)
        self.assertEqual(headers["connection"], "close")
        self.assertTrue(closed(self.sock))

    def test_a_chunked_body_is_refused_with_411(self):
        self.sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        status, _, body = read_answer(self.sock)
        self.assertEqual(status, "HTTP/1.1 411 Length Required")
        self.assertIn(b"Content-Length", body)
        self.assertTrue(closed(self.sock))

    def test_a_malformed_request_line_is_refused_with_400(self):
        self.sock.sendall(b"HELLO\r\n\r\n")
        status, _, body = read_answer(self.sock)
        self.assertEqual(status, "HTTP/1.1 400 Bad Request")
        self.assertIn(b"expected METHOD TARGET HTTP/1.x", body)

    def test_a_bad_content_length_is_refused_with_400(self):
        self.sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
        status, _, body = read_answer(self.sock)
        self.assertEqual(status, "HTTP/1.1 400 Bad Request")
        self.assertIn(b"Content-Length '-5'", body)

    def test_an_oversized_head_is_refused_with_431(self):
        self.sock.sendall(b"POST / HTTP/1.1\r\n" + b"X-Pad: " + b"p" * (70 * 1024))
        status, _, _ = read_answer(self.sock)
        self.assertEqual(status, "HTTP/1.1 431 Request Header Fields Too Large")

    def test_a_failing_application_answers_500_and_the_server_goes_on(self):
        self.sock.sendall(request("/fail"))
        status, _, _ = read_answer(self.sock)
        self.assertEqual(status, "HTTP/1.1 500 Internal Server Error")
        with socket.create_connection(self.server.address, timeout=10) as other:
            other.sendall(request("/after"))
            self.assertEqual(json.loads(read_answer(other)[2])["path"], "/after")

    def test_a_slow_reader_does_not_hold_up_other_connections(self):
        self.sock.sendall(request("/big"))  # not read yet: the answer waits in the server
        with socket.create_connection(self.server.address, timeout=10) as other:
            other.sendall(request("/other"))
            self.assertEqual(json.loads(read_answer(other)[2])["path"], "/other")
        self.assertEqual(len(read_answer(self.sock)[2]), 8 * 1024 * 1024)


class TheEmulatorThroughIt(unittest.TestCase):
    def test_boto3_talks_to_the_emulator_over_one_connection(self):
        server = start(dynamodb_server.application())
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        ddb = boto3.client("dynamodb", region_name="us-east-1",
                           endpoint_url=f"http://{server.address[0]}:{server.address[1]}")
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        with self.assertRaises(ddb.exceptions.ConditionalCheckFailedException):
            ddb.put_item(TableName="t", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
        self.assertEqual(ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["n"], {"N": "1"})


if __name__ == "__main__":
    unittest.main()
