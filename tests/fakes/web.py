"""A small threaded HTTP server on loopback that serves canned responses and records requests.

Tests register `path -> (status, content type, body)` and read back what was requested, so
fetching, feed handling and page extraction run over real HTTP without touching the Internet.
It listens on 127.0.0.1 unless told another loopback address (127.0.0.2, ::1), which is how the
fetch guard's tests put a recording server where a refused URL points. `serve_raw` hands a path
to a function that writes the answer itself (hostile servers: endless, trickling, lying).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    path: str
    headers: dict[str, str]


# A raw responder: (the request handler, an event set when the server stops) -> None.
Responder = Callable[[BaseHTTPRequestHandler, threading.Event], None]


@dataclass
class WebServer:
    """A loopback server; `routes` may be changed while it runs."""

    host: str = "127.0.0.1"
    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    # Extra behaviour per path: answers served in turn (the last repeats), an ETag that makes
    # a matching If-None-Match get 304, extra headers, and a delay before answering.
    queued: dict[str, list[tuple[int, str, bytes, dict[str, str]]]] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    raw: dict[str, Responder] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)  # set on every request
    stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebServer:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                extra: dict[str, str] = {}
                with owner._lock:
                    owner.requests.append(Recorded(self.path, dict(self.headers.items())))
                    owner.received.set()
                    responder = owner.raw.get(self.path)
                if responder is not None:
                    self.close_connection = True
                    # OSError: the client hung up, as a hostile server's client should.
                    with contextlib.suppress(OSError):
                        responder(self, owner.stopping)
                    return
                with owner._lock:
                    queue = owner.queued.get(self.path)
                    if queue:
                        status, content_type, body, extra = queue[0]
                        if len(queue) > 1:
                            queue.pop(0)
                    else:
                        status, content_type, body = owner.routes.get(
                            self.path, (404, "text/plain; charset=utf-8", b"not found")
                        )
                    etag = owner.etags.get(self.path)
                    delay = owner.delays.get(self.path, 0.0)
                if delay:
                    threading.Event().wait(delay)  # a slow server, not a test waiting
                if etag and status == 200:
                    extra = {**extra, "ETag": etag}
                    if self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output quiet

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family

            def handle_error(self, request: object, client_address: object) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)  # type: ignore[arg-type]
                # a client that hung up on a hostile responder is the expected outcome

        self._server = Server((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, path: str = "/") -> str:
        """The full URL of `path` on this server."""
        if not path.startswith("/"):
            path = "/" + path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def serve(
        self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8"
    ) -> str:
        """Serve `body` with status 200 at `path`; return its URL."""
        return self.serve_status(path, 200, body, content_type)

    def serve_status(
        self,
        path: str,
        status: int,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
    ) -> str:
        """Serve `body` with `status` at `path`; return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = (status, content_type, data)
        return self.url(path)

    def serve_in_turn(
        self,
        path: str,
        answers: list[tuple[int, bytes | str]],
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Answer `path` with each (status, body) in turn; the last one repeats."""
        with self._lock:
            self.queued[path] = [
                (status, content_type, b.encode() if isinstance(b, str) else b, headers or {})
                for status, b in answers
            ]
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer `path` with a redirect to `location`; return its URL."""
        return self.serve_in_turn(path, [(status, b"")], "text/plain", {"Location": location})

    def serve_raw(self, path: str, responder: Responder) -> str:
        """Let `responder` write the whole answer to `path` itself; return its URL."""
        with self._lock:
            self.raw[path] = responder
        return self.url(path)

    def requests_to(self, path: str) -> list[Recorded]:
        """The requests made for one path."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [r.path for r in self.requests]


@pytest.fixture
def web() -> Iterator[WebServer]:
    """A running loopback web server, shut down after the test."""
    server = WebServer().start()
    try:
        yield server
    finally:
        server.stop()
