"""Rate limits for the loopback platform fakes: token buckets keyed by what the platform keys
its limits by (a channel, a token), so a load run and a test can count the 429s they earn.

Real seconds (`time.monotonic`), not a test's fake clock: the clients being limited wait in
real time.  Figures are the platforms' published ones, passed in by the fakes:
Slack chat.postMessage "one message per second per channel" with short bursts, Web API tiers
per method and workspace (docs.slack.dev/apis/web-api/rate-limits); Discord's global 50
requests per second per bot and per-route buckets (docs.discord.com/developers/topics/
rate-limits; 5 messages per 5 seconds per channel is what Discord's headers show for
POST /channels/{id}/messages).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """`burst` requests at once, refilled at `per_second`; one bucket per key."""

    per_second: float
    burst: int
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, t)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one request of `key`: 0.0 if allowed, else seconds until one is (> 0)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.per_second

    def remaining(self, key: str, now: float | None = None) -> tuple[int, float]:
        """Whole requests `key` may still make now, and seconds until its bucket is full."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        return int(tokens), (self.burst - tokens) / self.per_second


@dataclass
class Limiter:
    """Named buckets and a count of the requests each refused (`limited`)."""

    buckets: dict[str, Bucket] = field(default_factory=dict)
    limited: Counter[str] = field(default_factory=Counter)

    def check(self, name: str, key: str) -> float:
        """0.0 if `name`'s bucket lets `key` through now, else the wait (and count it)."""
        bucket = self.buckets.get(name)
        if bucket is None:
            return 0.0
        wait = bucket.take(key)
        if wait > 0:
            self.limited[name] += 1
        return wait


def whole_seconds(wait: float) -> int:
    """A wait as Slack's Retry-After states it: whole seconds, at least 1."""
    return max(1, math.ceil(wait))
