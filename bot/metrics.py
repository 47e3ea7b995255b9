"""Prometheus metrics (prometheus-client), in one registry of briefbot's own.

Served with `/healthz` by `bot.health` on BRIEFBOT_METRICS_PORT.  Names follow Prometheus'
conventions (https://prometheus.io/docs/practices/naming/): `_total` counters, base units
(seconds).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

POSTS = Counter(
    "briefbot_digest_posts_total",
    "Scheduled digest attempts by outcome (delivered, failed, missed, ...).",
    ["status"],
    registry=REGISTRY,
)
POLLS = Counter(
    "briefbot_feed_polls_total",
    "Feed rows polled (one fetch may serve several).",
    [],
    registry=REGISTRY,
)
FETCH_ERRORS = Counter(
    "briefbot_feed_fetch_errors_total",
    "Feed polls that ended in an error.",
    [],
    registry=REGISTRY,
)
CLAIM_LAG = Histogram(
    "briefbot_feed_claim_lag_seconds",
    "How long after it was due a feed URL was claimed by a worker.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "briefbot_queue_depth",
    "Work due at the last pass: feed URLs due (kind=feeds), digests due (kind=digests).",
    ["kind"],
    registry=REGISTRY,
)
