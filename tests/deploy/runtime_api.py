"""A Lambda Runtime API host on loopback: hands events to a function's real `bootstrap`
and collects its answers, as the Lambda service does (2018-06-01 API).

    GET  /2018-06-01/runtime/invocation/next            the next event, with its headers
    POST /2018-06-01/runtime/invocation/{id}/response   the function's answer
    POST /2018-06-01/runtime/invocation/{id}/error      the function's error
    POST /2018-06-01/runtime/init/error                 the function could not start

One function process at a time, one invocation at a time, as one Lambda execution
environment works. HTTP/1.1 with persistent connections, as the Lambda service's: the
runtime clients keep theirs (lambda_runtime's pooled hyper client, awslambdaric's curl
handle), so a function's POST and its next GET go out on the connection it already has.
"""

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
_REFUSED = object()  # a request body the host did not read (and answered already)


@dataclass
class Outcome:
    """What came back for one invocation (or for init)."""

    ok: bool
    body: object
    error_type: str = ""


@dataclass
class _Pending:
    request_id: str
    event: object
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None
    answered_at: float = 0.0  # time.monotonic() when the answer arrived


class RuntimeApi:
    """The host. `invoke` blocks until the function answers or `timeout` passes."""

    def __init__(self, function_arn: str):
        self.function_arn = function_arn
        self.events: queue.Queue[_Pending] = queue.Queue()
        self.pending: dict[str, _Pending] = {}
        self.init_error: Outcome | None = None
        self.polled = threading.Event()  # the function asked for its first event: init done
        self.polled_at = 0.0  # time.monotonic() of that first request (the benchmarks' "ready")
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """The value of AWS_LAMBDA_RUNTIME_API."""
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "RuntimeApi":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def invoke(self, event, timeout_s: float) -> Outcome | None:
        """Hands `event` to the function; None if it did not answer within `timeout_s`."""
        return self.invoke_timed(event, timeout_s)[0]

    def invoke_timed(self, event, timeout_s: float) -> tuple[Outcome | None, float]:
        """`invoke`, and the time.monotonic() at which the answer arrived (0 if none)."""
        p = self.submit(event, timeout_s)
        p.done.wait(timeout_s)
        return p.outcome, p.answered_at

    def submit(self, event, timeout_s: float) -> _Pending:
        """Queues `event` without waiting: queued before the function starts, it is there
        for its first request, as Lambda has the event that caused a cold start waiting."""
        p = _Pending(
            request_id=str(uuid.uuid4()),
            event=event,
            deadline_ms=int((time.time() + timeout_s) * 1000),
        )
        self.pending[p.request_id] = p
        self.events.put(p)
        return p

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the function's own log is what matters
                pass

            def _answer(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the function process was stopped meanwhile

            def _body(self):
                """The request's body, or _REFUSED (answered already) when its length is
                not given as Content-Length."""
                length = self.headers.get("Content-Length") or "0"
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower() or not length.isdigit():
                    # Unread, the body would be taken for the next request on the connection:
                    # the answer closes it.
                    self._answer(411, {"errorMessage": f"a body without a length (Content-Length {length!r}, "
                                                       f"Transfer-Encoding {self.headers.get('Transfer-Encoding')!r}): "
                                                       "expected Content-Length in digits"},
                                 {"Connection": "close"})
                    return _REFUSED
                raw = self.rfile.read(int(length))
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return raw.decode("utf-8", "replace")

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._answer(404, {"errorMessage": f"no route {self.path}"})
                if not api.polled.is_set():
                    api.polled_at = time.monotonic()
                    api.polled.set()
                while not api.stopping.is_set():
                    try:
                        p = api.events.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"
                    return self._answer(
                        200,
                        p.event,
                        {
                            "Lambda-Runtime-Aws-Request-Id": p.request_id,
                            "Lambda-Runtime-Deadline-Ms": str(p.deadline_ms),
                            "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                            "Lambda-Runtime-Trace-Id": trace,
                        },
                    )
                # Stopping with no event: the connection ends unanswered, not kept open.
                self.close_connection = True

            def do_POST(self):
                body = self._body()
                if body is _REFUSED:
                    return
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = Outcome(False, body, self.headers.get("Lambda-Runtime-Function-Error-Type", ""))
                    return self._answer(202, {"status": "OK"})
                parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
                p = api.pending.get(parts[0]) if len(parts) == 2 else None
                if p is None or parts[1] not in ("response", "error"):
                    return self._answer(400, {"errorMessage": f"unknown invocation {self.path}"})
                p.answered_at = time.monotonic()
                if parts[1] == "response":
                    p.outcome = Outcome(True, body)
                else:
                    p.outcome = Outcome(False, body, self.headers.get("Lambda-Runtime-Function-Error-Type", ""))
                # Acknowledge before telling the test: it may stop the process right after.
                self._answer(202, {"status": "OK"})
                p.done.set()

        return Handler
