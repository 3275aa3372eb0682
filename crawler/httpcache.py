"""The HTTP cache of live crawls: Scrapy's, keeping only what the crawl accepted.

Scrapy's HttpCacheMiddleware stores a response as it arrives, before the spider and the item pipelines have read
it. A bot challenge, a "系统维护" placeholder, a page with an empty body or one that matches no template, sent with
`Cache-Control: max-age` or an old `Last-Modified` (from which the RFC 2616 policy reckons a freshness of a tenth
of the page's age), was then served from the cache on the next runs for as long as the server allowed, rejected
every time, while the real page stayed unfetched. And its RFC 2616 policy answers a request that failed (HTTP 5xx,
or no answer: a refused connection, a timeout) with the stale copy it holds, so a listing page that failed every
retry was read as if it had answered, no fault was counted and its section recorded as walked.

Here (same settings, HTTPCACHE_*):

- `AcceptedOnlyCacheMiddleware` keeps a response aside until the crawl has judged it: a statement page is
  accepted when it came through the item pipelines (`item_scraped`, or dropped as out of a backfill's range),
  rejected when a pipeline rejected it (`PageItem.rejected`); a listing page is judged by the spider
  (`page_accepted`, `page_rejected` signals). Only accepted responses are stored; a rejected one is not, and the
  entry the cache held for its request (a fresh copy served again, or the one it replaced) is removed. A response
  nobody judges (a redirect, robots.txt, an HTTP error) is not stored.
- `FailureIsNotStalePolicy` (RFC 2616 otherwise) never takes a stale copy for a 5xx answer, and the middleware
  never answers a failed download with one: the failure reaches the retry middleware and the spider, which count
  it (`crawler.faults`).
- `FilesystemCacheStorage` is Scrapy's, able to remove an entry.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions import httpcache
from scrapy.http import Response

logger = logging.getLogger(__name__)

page_accepted = object()
"""Signal (arguments: response): the spider read this listing page as a listing."""
page_rejected = object()
"""Signal (arguments: response, reason): the spider could not use this listing page (a challenge, a
placeholder, no statement link)."""


class FailureIsNotStalePolicy(httpcache.RFC2616Policy):
    """Scrapy's RFC 2616 policy, except that a 5xx answer is the answer: the cached copy is not served in its place
    (RFC 2616 allows it; for an archive it hides a failure, see the module docstring)."""

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class FilesystemCacheStorage(httpcache.FilesystemCacheStorage):
    """Scrapy's filesystem cache storage, which can also remove the entry of a request."""

    def remove_response(self, spider: Any, request: Request) -> bool:
        """Remove the cached response of `request`; whether there was one."""
        path = Path(self._get_request_path(spider, request))
        if not path.exists():
            return False
        shutil.rmtree(path, ignore_errors=True)
        return True


class AcceptedOnlyCacheMiddleware(HttpCacheMiddleware):
    """Downloader middleware: Scrapy's HttpCacheMiddleware (HTTPCACHE_* settings) storing only the responses the
    crawl accepted, removing the entries of those it rejected, never serving a stale copy for a failed download
    (see the module docstring).

    Stats: Scrapy's `httpcache/*`, and `httpcache/rejected` (responses not stored or entries removed because the
    crawl rejected them).

    Raises:
        TypeError: HTTPCACHE_STORAGE cannot remove an entry (use `crawler.httpcache.FilesystemCacheStorage`).
    """

    def __init__(self, settings: Any, stats: Any) -> None:
        super().__init__(settings, stats)
        if not callable(getattr(self.storage, "remove_response", None)):
            raise TypeError(
                f"HTTPCACHE_STORAGE {settings['HTTPCACHE_STORAGE']} cannot remove an entry: use"
                " crawler.httpcache.FilesystemCacheStorage"
            )
        self._waiting: dict[bytes, tuple[Request, Response]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> AcceptedOnlyCacheMiddleware:
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(middleware.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(middleware.accept, signal=page_accepted)
        crawler.signals.connect(middleware.reject, signal=page_rejected)
        return middleware

    def _key(self, request: Request) -> bytes:
        return self.crawler.request_fingerprinter.fingerprint(request)

    def _cache_response(self, response: Response, request: Request) -> None:
        if self.policy.should_cache_response(response, request):
            self._waiting[self._key(request)] = (request, response)
        else:
            self.stats.inc_value("httpcache/uncacheable")

    def process_exception(self, request: Request, exception: Exception) -> None:
        request.meta.pop("cached_response", None)  # no stale copy for a download that failed

    def accept(self, response: Response) -> None:
        """Store the response the crawl accepted, if it waits to be (a fresh copy served from the cache does
        not)."""
        if response.request is None:
            return
        waiting = self._waiting.pop(self._key(response.request), None)
        if waiting is not None:
            self.stats.inc_value("httpcache/store")
            self.storage.store_response(self.crawler.spider, *waiting)

    def reject(self, response: Response, reason: str = "") -> None:
        """Forget the response the crawl rejected, and remove its request's entry from the cache."""
        if response.request is None:
            return
        self._waiting.pop(self._key(response.request), None)
        self.stats.inc_value("httpcache/rejected")
        if self.storage.remove_response(self.crawler.spider, response.request):
            logger.info("removed from the HTTP cache (%s): %s", reason or "rejected", response.url)

    def item_scraped(self, item: Any, response: Response, spider: Any = None) -> None:
        """Signal handler: a statement page came through the item pipelines."""
        self.accept(response)

    def item_dropped(
        self, item: Any, response: Response, exception: BaseException, spider: Any = None
    ) -> None:
        """Signal handler: a page the pipelines rejected (`PageItem.rejected`) is rejected; one dropped for another
        reason (out of a backfill's range) was read and is accepted."""
        reason = getattr(item, "rejected", None)
        if reason:
            self.reject(response, reason)
        else:
            self.accept(response)

    def spider_closed(self, spider: Any) -> None:
        self._waiting.clear()
        super().spider_closed(spider)
