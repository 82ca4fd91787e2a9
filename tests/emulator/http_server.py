"""A single-threaded HTTP/1.1 server for one WSGI application: the emulator's.

The emulator serves one request at a time anyway (dynamodb_server.py), so a thread pool
only adds hand-offs: under waitress a request went from the polling thread to a worker
and its answer back, and each hand-off waited for the GIL (py-spy on the local stack at
100 webhooks a second: about 40 % of the emulator's samples in poll, send and
Condition.wait around moto's work). Here one thread polls every connection (epoll) and
answers each complete request in turn, keeping connections open as DynamoDB does.

What it accepts is what the AWS SDKs and curl send: a request line, headers, and a body
of `Content-Length` bytes (`Expect: 100-continue` answered). A chunked body is refused with 411 (the SDKs send a length for
DynamoDB, Streams and Secrets Manager calls); an oversized head with 431.

    serve(app, "127.0.0.1", 8000)
"""

import io
import selectors
import socket
import sys
from urllib.parse import unquote

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
RECV = 256 * 1024


class BadRequest(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


class Connection:
    def __init__(self, sock: socket.socket, peer):
        self.sock = sock
        self.peer = peer
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.close_after_write = False
        # Whether the request being read was told `100 Continue` already.
        self.continued = False
        self.events = selectors.EVENT_READ
        self.closed = False


def parse_head(head: bytes):
    """(method, target, version, headers as (lower-case name, value) pairs)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest("400 Bad Request", f"request line {lines[0][:100]!r}: expected METHOD TARGET HTTP/1.x")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest("400 Bad Request", f"header line {line[:100]!r}: expected NAME: VALUE")
        headers.append((name.lower(), value.strip()))
    return parts[0], parts[1], parts[2], headers


def environ_for(method, target, version, headers, body: bytes, server, peer) -> dict:
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, "latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": version,
        "REMOTE_ADDR": peer[0] if peer else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name != "content-length":
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def answer(status: str, headers: list, body: bytes, keep_alive: bool) -> bytes:
    names = {name.lower() for name, _ in headers}
    headers = list(headers)
    if "content-length" not in names:
        headers.append(("Content-Length", str(len(body))))
    headers.append(("Connection", "keep-alive" if keep_alive else "close"))
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def call(app, environ) -> tuple:
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers
        return lambda data: started.setdefault("written", []).append(data)

    result = app(environ, start_response)
    try:
        body = b"".join(started.pop("written", [])) + b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return started["status"], started["headers"], body


class Server:
    def __init__(self, app, host: str, port: int):
        self.app = app
        self.listener = socket.create_server((host, port), backlog=4096)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()[:2]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)

    def serve_forever(self):
        while True:
            for key, events in self.selector.select():
                if key.fileobj is self.listener:
                    self.accept()
                    continue
                conn = key.data
                if events & selectors.EVENT_WRITE:
                    self.flush(conn)
                    if not conn.closed and not conn.outbox and conn.inbox:
                        self.serve_ready(conn)  # requests that came while the answer went out
                elif events & selectors.EVENT_READ:
                    self.read(conn)

    def accept(self):
        while True:
            try:
                sock, peer = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # out of descriptors: the client retries
                print(f"http_server: accept: {e}", file=sys.stderr)
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.selector.register(sock, selectors.EVENT_READ, Connection(sock, peer))

    def close(self, conn: Connection):
        if not conn.closed:
            conn.closed = True
            self.selector.unregister(conn.sock)
            conn.sock.close()

    def read(self, conn: Connection):
        try:
            data = conn.sock.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close(conn)
            return
        conn.inbox += data
        self.serve_ready(conn)

    def serve_ready(self, conn: Connection):
        """Answers every complete request in the connection's buffer, in order."""
        while not conn.close_after_write:
            end = conn.inbox.find(b"\r\n\r\n")
            if end < 0:
                if len(conn.inbox) > MAX_HEAD:
                    self.refuse(conn, BadRequest("431 Request Header Fields Too Large", f"request head over {MAX_HEAD} bytes"))
                break
            try:
                method, target, version, headers = parse_head(bytes(conn.inbox[:end]))
                fields = dict(headers)
                if "transfer-encoding" in fields:
                    raise BadRequest("411 Length Required", "a chunked body: this server reads Content-Length bodies only")
                length = fields.get("content-length", "0")
                if not length.isdigit() or int(length) > MAX_BODY:
                    raise BadRequest("400 Bad Request", f"Content-Length {length[:30]!r}: expected 0 to {MAX_BODY}")
            except BadRequest as e:
                self.refuse(conn, e)
                break
            start, stop = end + 4, end + 4 + int(length)
            if len(conn.inbox) < stop:
                # A client asking first (botocore's S3 uploads) would wait a second for this.
                if fields.get("expect", "").lower() == "100-continue" and not conn.continued:
                    conn.continued = True
                    self.send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
                break
            conn.continued = False
            body = bytes(conn.inbox[start:stop])
            del conn.inbox[:stop]
            connection = fields.get("connection", "").lower()
            keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
            try:
                status, out_headers, out = call(self.app, environ_for(method, target, version, headers, body, self.address, conn.peer))
            except Exception as e:  # the application failed: say so, keep serving others
                print(f"http_server: {method} {target}: {e!r}", file=sys.stderr)
                status, out_headers, out, keep_alive = "500 Internal Server Error", [("Content-Type", "text/plain")], b"emulator error\n", False
            conn.close_after_write = not keep_alive
            self.send(conn, answer(status, out_headers, b"" if method == "HEAD" else out, keep_alive))
            if conn.outbox or conn.closed:
                break

    def refuse(self, conn: Connection, error: BadRequest):
        conn.inbox.clear()
        conn.close_after_write = True
        self.send(conn, answer(error.status, [("Content-Type", "text/plain")], f"{error}\n".encode(), False))

    def send(self, conn: Connection, data: bytes):
        conn.outbox += data
        self.flush(conn)

    def flush(self, conn: Connection):
        try:
            sent = conn.sock.send(conn.outbox)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close(conn)
            return
        del conn.outbox[:sent]
        if not conn.outbox and conn.close_after_write:
            self.close(conn)
            return
        # Until an answer is out, its connection is not read: answers leave in order.
        wanted = selectors.EVENT_WRITE if conn.outbox else selectors.EVENT_READ
        if wanted != conn.events:
            conn.events = wanted
            self.selector.modify(conn.sock, wanted, conn)


def serve(app, host: str, port: int):
    Server(app, host, port).serve_forever()
