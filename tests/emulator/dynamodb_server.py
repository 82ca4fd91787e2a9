"""The tests' DynamoDB emulator: moto's server, handling one request at a time.

moto's own command serves through werkzeug's development server, which closes every
connection after one answer: each request cost a new TCP connection and a new thread,
as much again as moto's work for a GetItem. Here http_server.py serves it from one
thread, keeping connections open as DynamoDB does for its clients.

moto applies the items of a TransactWriteItems one by one without isolating them from
other requests, so two concurrent transactions on one item can both pass their version
check (a lost update), and a cancelled transaction can leave one of its puts behind.
DynamoDB serialises conflicting transactions; serialising every request here gives the
tests the same guarantee, so a race the tests stage is one DynamoDB could produce.

With MODELWATCH_EMULATOR_CALLS set to a file, every request is also appended to it as a
JSON line (see calls.py), with when it was taken up and how long it took: the deploy
smoke test compares the AWS calls each function made with what its IAM role allows, and
the benchmarks tell the emulator's time from the function's.

Transactions and queries cost what they touch, not the whole table (scaling.py), what
never changes is not recomputed per request (fixed_costs.py), comparing two strings or
numbers skips moto's chain of type checks (scalar_values.py), a field of an answer is
taken from its dict without moto's search of aliases, which is made once per field of a
shape (response_fields.py), an item's attribute values are written into the answer
as moto holds them, without its walk of their shape (attribute_values.py), and DynamoDB's
requests go straight to moto's handler, without its Flask application around it
(direct_dispatch.py).

    python dynamodb_server.py HOST PORT
"""

import logging
import os
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from calls import CallLog, describe
from direct_dispatch import DirectDispatch
from http_server import serve
import attribute_values
import fixed_costs
import response_fields
import scalar_values
import scaling


class OneAtATime:
    def __init__(self, app, calls=None):
        self.app = app
        self.calls = calls
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            taken_up = time.monotonic()
            # Described before moto reads the body.
            line = describe(environ) if self.calls is not None else None
            try:
                # Read the whole answer inside the lock: moto may produce it lazily.
                return list(self.app(environ, start_response))
            finally:
                # Logged whether moto answered or raised (the server answers that 500).
                if line is not None:
                    line["at"] = taken_up
                    line["ms"] = round((time.monotonic() - taken_up) * 1000, 3)
                    self.calls.record(line)


def application(calls=None) -> OneAtATime:
    """The emulator as a WSGI application."""
    scaling.install()
    fixed_costs.install()
    scalar_values.install()
    response_fields.install()
    attribute_values.install()
    return OneAtATime(DirectDispatch(DomainDispatcherApplication(create_backend_app)), calls)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # Errors go to the log.
    logging.basicConfig(level=logging.WARNING)
    calls_path = os.environ.get("MODELWATCH_EMULATOR_CALLS")
    calls = CallLog(calls_path) if calls_path else None
    serve(application(calls), host, port)


if __name__ == "__main__":
    main()
