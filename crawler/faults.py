"""What went wrong with a request, in one word: the fault reasons counted in the `crawls` table and logged.

Government sites time out, reset connections, answer with errors, cut bodies short, send pages far too large
or bombs of compressed zeros, redirect in circles or to other domains, and put challenge pages (a script that
sets a cookie and reloads) in front of their content. Scrapy's downloader middlewares detect each of these;
this module names them, so that a crawl counts each fault by reason (`statements/faults/<reason>` in the stats,
the `faults` column of `crawls`) and logs it once at WARNING with its URL.

Reasons:
    http-NNN: the server answered status NNN (after Scrapy's retries, for 5xx).
    challenge: a bot challenge instead of the page: HTTP 412 or 521 (the statuses the anti-bot services in front
        of Chinese government sites answer with), or any answer whose page is a script that sets a cookie and
        reloads.
    timeout: no complete answer within DOWNLOAD_TIMEOUT.
    connection: the connection was refused, reset or lost before an answer.
    dns: the host name does not resolve.
    truncated: the body ended before its Content-Length (data loss).
    too-large: the body, or its decompressed form (a gzip bomb), is over DOWNLOAD_MAXSIZE.
    redirect-loop: a redirect back to a URL already requested, or more than REDIRECT_MAX_TIMES redirects.
    offsite-redirect: a redirect to a domain the site does not declare (dropped).
    robots: robots.txt forbids the URL.
    other: anything else (the log line gives Scrapy's message).
"""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

CHALLENGE_STATUSES = frozenset({412, 521})
"""Statuses of bot challenges: 521 (Jiasule/加速乐) and 412 (Ruishu/瑞数), which guard many Chinese government
sites, fmprc.gov.cn among them, and answer with a script that sets a cookie and reloads."""

_CHALLENGE_SCRIPT = re.compile(
    rb"document\.cookie\s*=.{0,2000}?(?:location(?:\.href)?\s*=|location\.(?:reload|replace)\s*\(|setTimeout)",
    re.IGNORECASE | re.DOTALL,
)
_CHALLENGE_MARKERS = re.compile(
    rb"__jsl_clearance|cf-browser-verification|cf_chl_|challenge-platform|Just a moment\.\.\.|"
    rb"Attention Required! \| Cloudflare|_waf_|waf_cookie|\$_ts\s*=",
    re.IGNORECASE,
)
_MARKER_WORDS = (b"just a moment", b"attention required", b"challenge", b"_waf_", b"$_ts")
CHALLENGE_MAX_BYTES = 64 * 1024
"""A challenge page is a small page of script; a real page that merely sets a cookie is larger than this."""


def is_challenge(body: bytes, status: int = 200) -> bool:
    """Whether a response is a bot challenge rather than the page asked for: a challenge status (412, 521), or
    a small page (at most `CHALLENGE_MAX_BYTES`) whose script sets a cookie and reloads, or that carries a known
    challenge marker (`__jsl_clearance`, Cloudflare's "Just a moment...")."""
    if status in CHALLENGE_STATUSES:
        return True
    if len(body) > CHALLENGE_MAX_BYTES:
        return False
    lowered = body.lower()
    if b"cookie" not in lowered and not any(marker in lowered for marker in _MARKER_WORDS):
        return False  # the common case, without a regex over the page
    return bool(_CHALLENGE_MARKERS.search(body) or _CHALLENGE_SCRIPT.search(body))


def _reason_of_ignore(message: str) -> str:
    lowered = message.lower()
    if "robots.txt" in lowered:
        return "robots"
    if "max redirections" in lowered:
        return "redirect-loop"
    if "offsite" in lowered:
        return "offsite-redirect"
    if "max size" in lowered or "download_maxsize" in lowered:
        return "too-large"
    return "other"


_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, twisted_errors.TimeoutError, defer.TimeoutError), "timeout"),
    ((CannotResolveHostError, twisted_errors.DNSLookupError), "dns"),
    ((ResponseDataLossError,), "truncated"),
    (
        (
            DownloadConnectionRefusedError,
            DownloadFailedError,
            twisted_errors.ConnectError,
            twisted_errors.ConnectionLost,
            twisted_errors.ConnectionDone,
            ResponseFailed,
            ResponseNeverReceived,
        ),
        "connection",
    ),
)


def fault_reason(failure: Failure | BaseException) -> str:
    """The reason (see the module docstring) of a failed request, from its failure or exception."""
    error = failure.value if isinstance(failure, Failure) else failure
    if isinstance(error, HttpError):
        response = error.response
        return "challenge" if is_challenge(response.body, response.status) else f"http-{response.status}"
    if isinstance(error, IgnoreRequest):
        return _reason_of_ignore(str(error))
    if isinstance(error, (DownloadCancelledError, defer.CancelledError)):
        return "too-large" if "max size" in str(error).lower() else "other"
    if isinstance(error, ResponseFailed) and any("DataLoss" in type(r.value).__name__ for r in error.reasons):
        return "truncated"
    for types, reason in _BY_TYPE:
        if isinstance(error, types):
            return reason
    return "other"
