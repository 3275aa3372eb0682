"""URL rules shared by the spiders and the learner."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

LOOPBACK = frozenset(("localhost", "127.0.0.1", "::1", "0.0.0.0"))


def rebase_loopback(url: str, page_url: str) -> str:
    """A link that a saved copy of a page points at a loopback host, read as the relative link it was.

    A browser that saved a page served from a local copy resolved the site's relative links against
    `http://localhost/` (the Belarus MFA listing of raw/mfa-by links `http://localhost/bf7e69d3fec2c5f0.html` for
    its `bf7e69d3fec2c5f0.html`): such a link's last path segment (and query) is resolved against the page's own
    URL. Links of a page that is itself on a loopback host, and links to any other host, are returned as they are.
    """
    parts = urlsplit(url)
    if (parts.hostname or "") not in LOOPBACK or (urlsplit(page_url).hostname or "") in LOOPBACK:
        return url
    name = parts.path.rsplit("/", 1)[-1]
    return urljoin(page_url, urlunsplit(("", "", name, parts.query, "")))
