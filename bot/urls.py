"""URL normalisation: one article, one address, however a feed decorates its links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track where a click came from.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "ga_", "hsa_", "vero_", "oly_")
# Generic names such as `ref` or `src` are left alone: some sites route pages with them.
_TRACKING = frozenset(
    "fbclid gclid dclid msclkid yclid igshid twclid cmpid ocid ito ref_src smid "
    "_hsenc _hsmi mkt_tok soc_src soc_trk at_medium at_campaign wt_mc".split()
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Canonical form: lower-case scheme and host, no default port, no anchor fragment, no
    tracking parameters, remaining parameters sorted, no trailing slash on the path."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
    )
    path = parts.path.rstrip("/") or "/"
    # http and https of one page are one page.
    scheme = "https" if scheme in {"http", "https"} else scheme
    # A fragment is usually an anchor on the page, but "#/story/2" or "#!/…" is a route.
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    return urlunsplit((scheme, host, path, urlencode(query), fragment))
