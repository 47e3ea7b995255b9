"""The one guarded way out: every outbound HTTP request briefbot makes goes through `Fetcher`.

A chat user, a feed publisher or a redirect decides which URL is fetched, so the fetcher trusts
none of them:

- only `http` and `https`, and no user name or password in the address (`form_refusal`: they
  would be stored and shown; a message shows such an address as `https://***@host/…`,
  `hide_credentials`); the host is resolved here (getaddrinfo) and refused when ANY of its
  addresses is not globally reachable (loopback, private, link-local, unique-local, shared,
  multicast, reserved, unspecified), judged by the standard library's `ipaddress` module, with
  IPv4 embedded in IPv6 (mapped, NAT64, 6to4, Teredo) judged as the IPv4 address it carries;
- the socket connects to the very address that was checked (our own httpcore network backend),
  so a second DNS answer cannot point it elsewhere; TLS still verifies the original host name;
- redirects are followed here, each hop checked the same way, at most `MAX_REDIRECTS`;
- the body is read as a stream and capped in *decoded* bytes (gzip/deflate are inflated with a
  bounded output size), and a too-large `Content-Length` is refused before reading;
- one deadline covers the whole request (DNS, connect, TLS, every read, every redirect): each
  socket operation may only wait for what is left of it, so a server trickling bytes ends there;
- `close()` aborts every request in flight from any thread (for shutdown) and refuses new ones.

Only `BRIEFBOT_FETCH_ALLOW` (host names and networks) opens the guard. A refused target gets
the same line whatever is or is not listening there, and no packet is ever sent to it.

httpx and httpcore are imported only when a request is made, to keep start-up quick.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import select
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import __version__
from .errors import FetchFailed

if TYPE_CHECKING:
    from .config import Settings

USER_AGENT = f"briefbot/{__version__} (+https://github.com/briefbot/briefbot; news briefing bot)"
MAX_REDIRECTS = 5
DEFAULT_PAGE_BYTES = 5_000_000
DEFAULT_FEED_BYTES = 10_000_000
DEFAULT_FEED_ITEMS = 200
DEFAULT_FEED_PAGES = 20
# The one line every refused target gets: it never says whether anything listens there.
NOT_ALLOWED = "cannot be fetched: the address is not allowed or not reachable"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})  # RFC 9110 §15.4.2 and §15.4.9
# NAT64 prefixes carry an IPv4 address in their last 32 bits (RFC 6052 §2.1, RFC 8215);
# `ipaddress` has no property for them, unlike ipv4_mapped, sixtofour and teredo.
NAT64_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
_CHUNK = 65_536

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# -- which addresses may be reached ------------------------------------------------------------


def is_public(address: IPAddress) -> bool:
    """Tell whether `address` is globally reachable, so briefbot may connect to it unasked.

    False for loopback, private (RFC 1918), shared (100.64/10), link-local (169.254/16,
    fe80::/10), unique-local (fc00::/7), site-local, multicast, reserved and unspecified
    addresses, per the IANA special-purpose registries as `ipaddress` encodes them. An IPv6
    address that carries an IPv4 one (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4
    2002::/16, Teredo 2001::/32) is public only if the IPv4 address is.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if any(address in net for net in NAT64_NETWORKS):
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        embedded = [address.sixtofour, *(address.teredo or ())]
        if any(v4 is not None and not is_public(v4) for v4 in embedded):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


@dataclass(frozen=True)
class AllowList:
    """What an operator opened with BRIEFBOT_FETCH_ALLOW: host names, and IP networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: str | tuple[str, ...] | list[str]) -> AllowList:
        """Build from a comma-separated string (or its parts): host names, IPs or CIDRs.

        Raises ValueError naming the first entry that is neither a host name nor a network
        (e.g. `10.0.0.0/33`, `10.0.0.1/8` with host bits set, `exa mple.com`).
        """
        parts = entries.split(",") if isinstance(entries, str) else list(entries)
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in parts:
            entry = raw.strip()
            if not entry:
                continue
            bare = entry.strip("[]")
            if "/" in entry or _looks_numeric(bare):
                try:
                    networks.append(ipaddress.ip_network(bare, strict=True))
                except ValueError as exc:
                    why = f"{entry!r} is not a valid IP address or network ({exc})"
                    raise ValueError(why) from None
                continue
            name = _host_key(entry)
            if not _HOST_NAME.fullmatch(name):
                raise ValueError(f"{entry!r} is not a host name, IP address or network")
            names.add(name)
        return cls(frozenset(names), tuple(networks))

    def entries(self) -> tuple[str, ...]:
        """The entries in a stable order, as they would be written in the setting."""
        return tuple(sorted(self.names)) + tuple(str(n) for n in self.networks)

    def allows_name(self, host: str) -> bool:
        """Tell whether `host` (any case, with or without a trailing dot) is allowed by name."""
        return _host_key(host) in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Tell whether `address` (or the IPv4 address it maps) is in an allowed network."""
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            a in net for a in candidates for net in self.networks if a.version == net.version
        )


_HOST_NAME = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?:\.(?!-)[a-z0-9_-]{1,63})*")


def _looks_numeric(text: str) -> bool:
    return ":" in text or bool(re.fullmatch(r"[0-9.]+", text))


def _host_key(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


class Stopped(FetchFailed):
    """The fetcher was closed (briefbot is stopping): not the resource's fault, retry later."""


class Blocked(Exception):
    """The target host is not allowed (or does not resolve); no connection was made to it."""


def check_addresses(host: str, addresses: list[IPAddress], allow: AllowList) -> None:
    """Raise Blocked unless `host` is allowed by name or every one of `addresses` may be reached.

    Every address must pass, not just the first: the connection may use any of them.
    """
    if allow.allows_name(host):
        return
    if not addresses:
        raise Blocked(host)
    for address in addresses:
        if not (is_public(address) or allow.allows_address(address)):
            raise Blocked(host)


# -- what an address may look like (judged from the address alone, no DNS) -----------------

# Phrases that follow an address in a message: "<url> is not a web address".
NOT_WEB = "is not a web address"
CREDENTIALS = "has a user name or password in it (briefbot never sends or stores them)"
# A host IPv4's resolver may read as a number: digits, dots, hex (`0x7f.1`).
_NUMERIC = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.I)
# `scheme://userinfo@`: everything up to the authority's last `@` (as urlsplit reads it).
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@", re.I)


def form_refusal(url: str) -> str | None:
    """Why the guard refuses `url` whatever its host resolves to, as a phrase to follow the
    address (`NOT_WEB`: not http(s) with a host, or unreadable; `CREDENTIALS`: a user name or
    password in it, which would be stored and shown); None when its form is fine.

    The guard applies it to every address it is given and every redirect; `parse_feeds` to
    `feeds add`; `refusal` (OPML import) builds on it.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number is no address
    except ValueError:
        return NOT_WEB
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return NOT_WEB
    if parts.username is not None:  # `user@`, `user:password@`, even a bare `@`
        return CREDENTIALS
    return None


def refusal(url: str, allow: AllowList) -> str | None:
    """Why the guard would refuse `url`, judged from the address alone (no DNS: a name is
    checked when it is fetched), as a phrase to follow the address; None if it may be followed.

    Refused: what `form_refusal` refuses (not http(s), credentials); an IP literal that is not
    public (`is_public`: loopback, private, link-local such as cloud metadata 169.254.169.254,
    unspecified…), in any spelling the resolver reads (`127.1`, `2130706433`, `0x7f.0.0.1`,
    `[::ffff:127.0.0.1]`); and `localhost` or a `*.localhost` name, which always mean this
    machine (RFC 6761 §6.3).  What the operator allowed (`allow`, by name or network) passes,
    as it does when fetched.
    """
    why = form_refusal(url)
    if why is not None:
        return why
    host = urlsplit(url).hostname or ""
    if allow.allows_name(host):
        return None
    address = _ip_literal(host)
    if address is not None:
        if is_public(address) or allow.allows_address(address):
            return None
        return f"{NOT_ALLOWED} (not a public address)"
    if host.rstrip(".") == "localhost" or host.rstrip(".").endswith(".localhost"):
        return f"{NOT_ALLOWED} (this machine)"
    return None


def hide_credentials(text: str) -> str:
    """`text` with the user name and password of every address in it masked:
    `https://user:secret@host/rss` -> `https://***@host/rss` (for messages, lists and logs;
    what is stored is never changed)."""
    return _USERINFO.sub(r"\1***@", text)


def _ip_literal(host: str) -> IPAddress | None:
    """`host` as an IP address if it is written as one, as the resolver would read it
    (inet_aton takes IPv4's shorthand, octal and hex forms); None for a name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    if not _NUMERIC.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        return None


def resolve(host: str, port: int, allow: AllowList, attempt: _Attempt | None = None) -> list[Any]:
    """Resolve `host` and check every address; return getaddrinfo's (family, …, sockaddr) rows.

    Numeric spellings (`2130706433`, `0x7f.1`, `017700000001`, `::ffff:127.0.0.1`) are read by
    the C library exactly as a connection would read them, and so are checked as what they are.
    Raises Blocked when the host does not resolve or any address is refused; with an
    `attempt`, waits no longer than its deadline (raises _Aborted) and can be aborted.
    """
    try:
        rows = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        rows = _lookup(host, port, attempt)
    addresses = []
    for row in rows:
        try:
            addresses.append(ipaddress.ip_address(row[4][0]))
        except ValueError:
            raise Blocked(host) from None
    check_addresses(host, addresses, allow)
    return rows


def _lookup(host: str, port: int, attempt: _Attempt | None) -> list[Any]:
    """getaddrinfo for a name, on a daemon thread so a slow resolver cannot outlive the deadline."""
    done = threading.Event()
    box: list[Any] = []

    def work() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            box.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="briefbot-resolve", daemon=True).start()
    if attempt is None:
        done.wait()
    else:
        attempt.wait(done)
    result = box[0]
    if isinstance(result, BaseException):
        raise Blocked(host)
    return result


# -- one request's deadline and abort -------------------------------------------------------


class _Aborted(Exception):
    """The request's deadline passed or the fetcher was closed (see `_Attempt.reason`)."""


class _Attempt:
    """One `Fetcher.get`: its deadline, and the sockets and waits an abort must interrupt."""

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.reason: str | None = None  # "deadline" or "closed"
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._events: list[threading.Event] = []

    def remaining(self) -> float:
        """Seconds left; raises _Aborted once the deadline passed or after `abort`."""
        if self.reason is None and time.monotonic() >= self.deadline:
            self.reason = "deadline"
        if self.reason is not None:
            raise _Aborted(self.reason)
        return self.deadline - time.monotonic()

    def budget(self, sock: socket.socket, timeout: float | None) -> float:
        """Watch `sock` and return the timeout its next operation may use (never past the end)."""
        self.watch(sock)
        left = max(self.remaining(), 0.001)
        return left if timeout is None else min(timeout, left)

    def watch(self, sock: socket.socket) -> None:
        """Make `abort` shut `sock` down (at once, if already aborted)."""
        with self._lock:
            if self.reason == "closed":
                _shutdown(sock)
            elif sock not in self._sockets:
                self._sockets.append(sock)

    def wait(self, event: threading.Event) -> None:
        """Wait for `event` until the deadline; raises _Aborted on deadline or abort."""
        with self._lock:
            self._events.append(event)
        if not event.wait(max(self.remaining(), 0.0)):
            self.remaining()  # sets and raises the deadline
            raise _Aborted("deadline")
        self.remaining()  # an abort also sets the event

    def abort(self, reason: str) -> None:
        """Stop this request from any thread: blocked reads, connects and waits return now."""
        with self._lock:
            if self.reason is None or reason == "closed":
                self.reason = reason
            sockets, events = list(self._sockets), list(self._events)
        for sock in sockets:
            _shutdown(sock)
        for event in events:
            event.set()


def _shutdown(sock: socket.socket) -> None:
    # shutdown() (not close()) wakes a thread blocked in connect/recv on Linux and macOS.
    # The plain-socket method is used on TLS sockets too, so their SSL state is left alone.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_here = threading.local()


def _current() -> _Attempt | None:
    return getattr(_here, "attempt", None)


# -- the network backend: connect only to checked addresses --------------------------------


@contextlib.contextmanager
def _mapped(timeout_error: type[Exception], error: type[Exception]) -> Iterator[None]:
    """Turn socket errors into the httpcore exceptions httpcore expects from a stream."""
    try:
        yield
    except _Aborted:
        raise
    except TimeoutError as exc:  # socket.timeout
        raise timeout_error(str(exc) or "timed out") from exc
    except OSError as exc:
        raise error(str(exc) or type(exc).__name__) from exc


class _Stream:
    """An httpcore network stream over a socket this module connected (httpcore duck-types it)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def _timeout(self, timeout: float | None) -> float | None:
        attempt = _current()
        return timeout if attempt is None else attempt.budget(self._sock, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            self._sock.settimeout(self._timeout(timeout))
            return self._sock.recv(max_bytes)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            while buffer:
                self._sock.settimeout(self._timeout(timeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        import httpcore

        try:
            with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
                self._sock.settimeout(self._timeout(timeout))
                tls = ssl_context.wrap_socket(
                    self._sock, server_hostname=server_hostname, do_handshake_on_connect=False
                )
                tls.settimeout(self._timeout(timeout))  # watches the TLS socket too
                tls.do_handshake()
        except BaseException:
            self.close()
            raise
        return _Stream(tls)

    def get_extra_info(self, info: str) -> Any:
        import ssl

        if info == "ssl_object" and isinstance(self._sock, ssl.SSLSocket):
            return self._sock._sslobj  # type: ignore[attr-defined]  # what httpcore reads for ALPN
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":  # a pooled connection the server closed has EOF waiting
            if self._sock.fileno() < 0:
                return True
            poller = select.poll()
            poller.register(self._sock.fileno(), select.POLLIN)
            return bool(poller.poll(0))
        return None


class _GuardedBackend:
    """An httpcore network backend that resolves, checks, then connects to the checked address."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _Stream:
        import httpcore

        attempt = _current()
        rows = resolve(host, port, self.allow, attempt)
        error: OSError | None = None
        for family, _, proto, _, sockaddr in rows:
            sock = socket.socket(family, socket.SOCK_STREAM, proto)
            try:
                sock.settimeout(timeout if attempt is None else attempt.budget(sock, timeout))
                sock.connect(sockaddr)
                if attempt is not None:
                    attempt.remaining()  # aborted while connecting
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            except BaseException:
                sock.close()
                raise
            return _Stream(sock)
        if isinstance(error, TimeoutError):
            raise httpcore.ConnectTimeout(str(error))
        raise httpcore.ConnectError(str(error) if error else "no address to connect to")

    def connect_unix_socket(self, path: str, timeout: float | None = None, **_: Any) -> _Stream:
        import httpcore

        raise httpcore.ConnectError("briefbot fetches only over TCP")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # httpcore's retry pause; briefbot sets retries=0, so never called


# -- the fetcher -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchPolicy:
    """What one fetcher may do: its deadline, caps and allow-list (settings in bot/config.py).

    `timeout` is seconds for a whole request; byte caps count decoded bytes; `feed_items` is
    the most entries one feed read takes; `feed_pages` the most entry pages one poll fetches.
    """

    timeout: float = 15.0
    page_bytes: int = DEFAULT_PAGE_BYTES
    feed_bytes: int = DEFAULT_FEED_BYTES
    feed_items: int = DEFAULT_FEED_ITEMS
    feed_pages: int = DEFAULT_FEED_PAGES
    allow: AllowList = field(default_factory=AllowList)
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        """The policy the settings describe (BRIEFBOT_HTTP_TIMEOUT, BRIEFBOT_MAX_*, …)."""
        return cls(
            timeout=settings.http_timeout,
            page_bytes=settings.max_page_bytes,
            feed_bytes=settings.max_feed_bytes,
            feed_items=settings.feed_max_items,
            feed_pages=settings.feed_max_pages,
            allow=AllowList.parse(settings.fetch_allow),
        )


@dataclass(frozen=True)
class Fetched:
    """A downloaded resource (status 304: not modified since the validators sent).

    `url` is where the content came from after redirects; `redirects` the URLs each redirect
    led to, in order (the last is `url`); `permanent` is True when there was at least one
    redirect and every one was permanent (301/308), so a stored feed URL may be updated.
    """

    url: str
    content: bytes
    content_type: str
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[str, ...] = ()
    permanent: bool = False

    @property
    def permanent_url(self) -> str | None:
        """The new address to store for the resource, when every redirect was permanent."""
        return self.url if self.redirects and self.permanent else None


class Fetcher:
    """HTTP GET through the guard, with a descriptive User-Agent and one-line failures.

    Thread-safe: one fetcher serves every thread (connections are pooled per host). Built once
    per process by `Core.fetcher` from settings; `close()` aborts whatever is in flight.
    """

    def __init__(self, policy: FetchPolicy | None = None, *, timeout: float | None = None) -> None:
        policy = policy or FetchPolicy()
        if timeout is not None:
            policy = replace(policy, timeout=timeout)
        self.policy = policy
        self.timeout = policy.timeout
        self._lock = threading.Lock()
        self._pool: Any = None
        self._closed = False
        self._attempts: set[_Attempt] = set()

    @property
    def closed(self) -> bool:
        """True once `close()` was called: every fetch now raises Stopped."""
        return self._closed

    @classmethod
    def from_settings(cls, settings: Settings) -> Fetcher:
        """The fetcher the settings describe."""
        return cls(FetchPolicy.from_settings(settings))

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """Download `url` within `policy.timeout` seconds, at most `max_bytes` decoded bytes.

        `max_bytes` defaults to the page cap (`policy.page_bytes`); pass `policy.feed_bytes` for
        feeds. With `etag`/`last_modified` the request is conditional, and an unchanged resource
        comes back as status 304 with no content. Raises FetchFailed with one line on any
        failure: a refused target (not allowed, or not resolving) always gets the same line; an
        address (or redirect) with a user name or password is refused before any request, in a
        line that masks them (`form_refusal`, `hide_credentials`).
        """
        why = form_refusal(url)
        if why is not None:  # before anything else repeats the address
            raise FetchFailed(f"{hide_credentials(url)} {why}")
        cap = max_bytes or self.policy.page_bytes
        attempt = _Attempt(self.policy.timeout)
        with self._lock:
            if self._closed:
                raise Stopped(f"{url} was not fetched: briefbot is stopping")
            self._attempts.add(attempt)
        _here.attempt = attempt
        try:
            return self._follow(url, attempt, _conditional(etag, last_modified), cap)
        except FetchFailed:
            raise
        except Exception as exc:
            failure = self._failure(url, attempt, exc)
            if failure is None:
                raise
            raise failure from None
        finally:
            _here.attempt = None
            with self._lock:
                self._attempts.discard(attempt)

    def close(self) -> None:
        """Abort every request in flight (safe from any thread; returns at once) and refuse more.

        Each aborted `get` raises Stopped (a FetchFailed: "briefbot is stopping") within
        moments; so does every later `get`.
        """
        with self._lock:
            self._closed = True
            attempts, pool, self._pool = list(self._attempts), self._pool, None
        for attempt in attempts:
            attempt.abort("closed")
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.close()

    # -- internals --------------------------------------------------------------------------

    def _connections(self, attempt: _Attempt) -> Any:
        import httpcore

        with self._lock:
            if self._closed:
                attempt.abort("closed")
                raise _Aborted("closed")
            if self._pool is None:
                self._pool = httpcore.ConnectionPool(
                    max_connections=20,
                    max_keepalive_connections=10,
                    keepalive_expiry=5.0,
                    retries=0,
                    network_backend=_GuardedBackend(self.policy.allow),  # type: ignore[arg-type]
                )
            return self._pool

    def _follow(
        self, url: str, attempt: _Attempt, extra: list[tuple[bytes, bytes]], cap: int
    ) -> Fetched:
        import httpcore
        import httpx

        current = httpx.URL(url)
        redirects: list[str] = []
        permanent = True
        for _hop in range(self.policy.max_redirects + 1):
            why = form_refusal(str(current)) or (None if current.raw_host else NOT_WEB)
            if why is not None:
                if not redirects:
                    raise FetchFailed(f"{url} {why}")
                hop = hide_credentials(str(current))[:200]
                raise FetchFailed(f"{url} redirected to {hop}, which {why}")
            target = httpcore.URL(
                scheme=current.raw_scheme,
                host=current.raw_host,
                port=current.port,
                target=current.raw_path,
            )
            headers = [
                (b"Host", current.netloc),
                (b"User-Agent", USER_AGENT.encode()),
                (b"Accept-Encoding", b"gzip, deflate"),
                *extra,
            ]
            lock = _host_lock(str(current))
            if not lock.acquire(timeout=max(attempt.remaining(), 0.0)):
                attempt.remaining()
                raise _Aborted("deadline")
            try:
                left = attempt.remaining()
                timeouts = {"connect": left, "read": left, "write": left, "pool": left}
                with self._connections(attempt).stream(
                    "GET", target, headers=headers, extensions={"timeout": timeouts}
                ) as response:
                    head = _headers(response.headers)
                    status = response.status
                    location = head.get("location")
                    if status in REDIRECT_STATUSES and location:
                        current = current.join(location.strip())
                        redirects.append(str(current))
                        permanent = permanent and status in PERMANENT_STATUSES
                        continue
                    if status == 304:
                        validators = head.get("etag"), head.get("last-modified")
                        return Fetched(
                            str(current),
                            b"",
                            "",
                            304,
                            *validators,
                            tuple(redirects),
                            bool(redirects) and permanent,
                        )
                    if status >= 400:
                        raise FetchFailed(
                            f"{url} answered HTTP {status}",
                            status=status,
                            retry_after=_retry_after(head.get("retry-after")),
                        )
                    content = _read_body(url, response, head, cap)
            finally:
                lock.release()
            return Fetched(
                str(current),
                content,
                head.get("content-type", ""),
                status,
                head.get("etag"),
                head.get("last-modified"),
                tuple(redirects),
                bool(redirects) and permanent,
            )
        raise FetchFailed(f"{url} redirected more than {self.policy.max_redirects} times")

    def _failure(self, url: str, attempt: _Attempt, exc: Exception) -> FetchFailed | None:
        """The one line for an exception from a request (None: a bug, let it propagate)."""
        import httpcore
        import httpx

        if attempt.reason == "closed":
            return Stopped(f"{url} was not fetched: briefbot is stopping")
        if isinstance(exc, Blocked):
            return FetchFailed(f"{url} {NOT_ALLOWED}")
        if attempt.reason == "deadline" or isinstance(exc, httpcore.TimeoutException):
            return FetchFailed(f"{url} did not answer within {self.policy.timeout:g} s")
        if isinstance(exc, httpx.InvalidURL | ValueError | UnicodeError):
            return FetchFailed(f"{url} is not a valid web address")
        if isinstance(exc, httpcore.NetworkError | httpcore.ProtocolError | OSError):
            return FetchFailed(f"cannot reach {url} ({type(exc).__name__})")
        return None


def _conditional(etag: str | None, last_modified: str | None) -> list[tuple[bytes, bytes]]:
    headers = []
    if etag:
        headers.append((b"If-None-Match", etag.encode("latin-1", "replace")))
    if last_modified:
        headers.append((b"If-Modified-Since", last_modified.encode("latin-1", "replace")))
    return headers


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Response headers by lower-case name; repeated ones joined with commas (RFC 9110 §5.3)."""
    out: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1").strip()
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def _read_body(url: str, response: Any, head: dict[str, str], cap: int) -> bytes:
    """The body, decoded, refusing it once it passes `cap` bytes (raw or decoded)."""
    too_large = FetchFailed(f"{url} is larger than {cap / 1_000_000:g} MB")
    length = head.get("content-length", "").split(",")[0].strip()
    if length.isdigit() and int(length) > cap:
        raise too_large
    decoder = _decoder(url, head.get("content-encoding", ""))
    body = bytearray()
    received = 0
    for chunk in response.iter_stream():
        received += len(chunk)
        if received > cap:
            raise too_large
        body += decoder(chunk, cap + 1 - len(body))
        if len(body) > cap:
            raise too_large
    return bytes(body)


def _decoder(url: str, encoding: str) -> Any:
    """A function (chunk, most bytes to return) -> decoded bytes for a Content-Encoding.

    zlib's `max_length` bounds what one chunk may inflate to, so a gzip bomb never grows
    memory past the cap (httpx's own decoders inflate each chunk whole).
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return lambda chunk, _room: chunk
    if len(codings) > 1 or codings[0] not in {"gzip", "x-gzip", "deflate"}:
        raise FetchFailed(f"{url} sent content in an encoding briefbot cannot read ({encoding})")
    # gzip: header required (16 + MAX_WBITS); deflate: zlib-wrapped, or raw as some servers send.
    wbits = [zlib.MAX_WBITS | 16] if codings[0] != "deflate" else [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    state = {"inflater": zlib.decompressobj(wbits[0]), "started": False}

    def decode(chunk: bytes, room: int) -> bytes:
        try:
            out = state["inflater"].decompress(chunk, max(room, 1))
        except zlib.error:
            if state["started"] or len(wbits) == 1:
                raise FetchFailed(f"{url} sent a body that cannot be decoded") from None
            state["inflater"] = zlib.decompressobj(wbits[1])
            out = state["inflater"].decompress(chunk, max(room, 1))
        state["started"] = True
        return out

    return decode


_HOST_LOCKS: dict[str, threading.Lock] = {}
_HOST_LOCKS_GUARD = threading.Lock()


def _host_lock(url: str) -> threading.Lock:
    """The lock that serialises requests to `url`'s host across every thread (politeness)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    with _HOST_LOCKS_GUARD:
        return _HOST_LOCKS.setdefault(host, threading.Lock())


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date; RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
