"""The Runtime API host speaks as Lambda's does where the functions' runtime clients can
tell: one persistent connection for the GET of an event and the POST of its answer, and a
body it cannot delimit refused instead of read as the next request."""

import http.client
import json
import unittest

from runtime_api import PREFIX, RuntimeApi


class RuntimeApiHost(unittest.TestCase):
    def setUp(self):
        self.api = RuntimeApi("arn:aws:lambda:eu-west-1:123456789012:function:test").start()
        self.addCleanup(self.api.stop)
        host, port = self.api.address.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=5)
        self.addCleanup(self.conn.close)

    def next_event(self):
        self.conn.request("GET", f"{PREFIX}/invocation/next")
        answer = self.conn.getresponse()
        return answer, json.loads(answer.read())

    def test_an_event_and_its_answer_share_one_connection(self):
        pending = self.api.submit({"n": 1}, 5)
        answer, event = self.next_event()
        self.assertEqual((answer.status, event), (200, {"n": 1}))
        self.assertFalse(answer.will_close, "the host closed the connection after the event")
        request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
        sock = self.conn.sock
        self.conn.request("POST", f"{PREFIX}/invocation/{request_id}/response", body=b'{"ok": true}',
                          headers={"Content-Type": "application/json"})
        posted = self.conn.getresponse()
        posted.read()
        self.assertEqual(posted.status, 202)
        self.assertIs(self.conn.sock, sock, "the answer went out on a new connection")
        self.assertTrue(pending.done.wait(5))
        self.assertEqual((pending.outcome.ok, pending.outcome.body), (True, {"ok": True}))

    def refused(self, headers: dict, body: bytes):
        pending = self.api.submit({"n": 2}, 5)
        answer, _ = self.next_event()
        request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
        self.conn.putrequest("POST", f"{PREFIX}/invocation/{request_id}/response", skip_accept_encoding=True)
        for name, value in headers.items():
            self.conn.putheader(name, value)
        self.conn.endheaders(body)
        posted = self.conn.getresponse()
        message = json.loads(posted.read())["errorMessage"]
        self.assertEqual(posted.status, 411)
        self.assertIn("expected Content-Length", message)
        self.assertTrue(posted.will_close, "the unread body would be taken for the next request")
        self.assertIsNone(pending.outcome, "a refused answer was recorded")
        return message

    def test_a_chunked_answer_is_refused_by_name(self):
        message = self.refused({"Transfer-Encoding": "chunked"}, b'c\r\n{"ok": true}\r\n0\r\n\r\n')
        self.assertIn("'chunked'", message)

    def test_a_length_not_in_digits_is_refused_by_name(self):
        message = self.refused({"Content-Length": "twelve"}, b'{"ok": true}')
        self.assertIn("'twelve'", message)

    def test_a_waiting_request_is_let_go_when_the_host_stops(self):
        self.conn.timeout = 3
        self.conn.request("GET", f"{PREFIX}/invocation/next")
        # The host has the request (not a connection still in the listen queue, which the
        # stop would reset) and is waiting for an event.
        self.assertTrue(self.api.polled.wait(5), "the host never had the request")
        self.api.stop()
        # The connection ends (no answer, nothing kept open) instead of running out the timeout.
        with self.assertRaises(http.client.RemoteDisconnected):
            self.conn.getresponse()


if __name__ == "__main__":
    unittest.main()
