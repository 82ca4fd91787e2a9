"""The tests' DynamoDB emulator: moto's server, handling one request at a time.

moto applies the items of a TransactWriteItems one by one without isolating them from
other requests, so two concurrent transactions on one item can both pass their version
check (a lost update), and a cancelled transaction can leave one of its puts behind.
DynamoDB serialises conflicting transactions; serialising every request here gives the
tests the same guarantee, so a race the tests stage is one DynamoDB could produce.

    python dynamodb_server.py HOST PORT
"""

import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class OneAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # Read the whole answer inside the lock: moto may produce it lazily.
            return list(self.app(environ, start_response))


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
