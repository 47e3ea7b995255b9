"""`/healthz` and `/metrics` on BRIEFBOT_METRICS_PORT, for load balancers and Prometheus.

`/healthz` answers 200 "ok" when the database answers a `SELECT 1`, else 503 with one line;
`/metrics` is Prometheus' text format (`bot.metrics.REGISTRY`).  A small threaded HTTP server
of the standard library, on daemon threads, so it never holds up a stop.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from .errors import BadArgument
from .metrics import REGISTRY
from .store import Store

log = logging.getLogger(__name__)


def database_answers(store: Store) -> str | None:
    """None when the database answers `SELECT 1`; otherwise why not (one line)."""
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"
        return f"database not answering: {type(exc).__name__}"
    return None


class HealthServer:
    """The health and metrics endpoint; `start()` listens, `stop()` closes."""

    def __init__(self, store: Store, port: int, host: str = "0.0.0.0") -> None:
        """Bind `host`:`port` (0: any free port); raises `BadArgument` (one line naming
        BRIEFBOT_METRICS_PORT) when it cannot, e.g. when the port is taken."""
        self.store = store
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/healthz":
                    problem = database_answers(owner.store)
                    status, kind = (503 if problem else 200), "text/plain; charset=utf-8"
                    body = (problem or "ok").encode() + b"\n"
                elif self.path.split("?")[0] == "/metrics":
                    status, kind, body = 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
                else:
                    status, kind, body = 404, "text/plain; charset=utf-8", b"not found\n"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("health: " + format, *args)

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:  # e.g. the port is taken (EADDRINUSE) or privileged (EACCES)
            raise BadArgument(
                f"Cannot serve health and metrics on {host}:{port}: "
                f"{exc.strerror or type(exc).__name__}. Set BRIEFBOT_METRICS_PORT to a free "
                "port (0: any free port)."
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="briefbot-health", daemon=True
        )

    @property
    def port(self) -> int:
        """The port it listens on (the one asked for, or the free one chosen for 0)."""
        return self._server.server_address[1]

    def start(self) -> HealthServer:
        """Serve in a background daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
