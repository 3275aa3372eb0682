"""Politeness across workers: a site's request rate is the same with one worker or fifty.

Scrapy spaces the requests to a host by `DOWNLOAD_DELAY` (AutoThrottle raises the delay when the site slows
down), but only within one process; scrapy-redis shares the queue, not that pace, so N workers would send N times
the requests a site agreed to. `SharedDelayMiddleware` makes the pace shared: before a request goes out, the worker
books the host's next free moment in Redis (one Lua script on the server's clock: the booking is atomic and the
machines' clocks do not matter) and waits for it. Requests to one host start at least the delay apart across all
workers; each worker keeps its own `CONCURRENT_REQUESTS_PER_DOMAIN`, so a slow site may see that many connections
per worker, but never more requests per second than the delay allows.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import task

from statements import stream

logger = logging.getLogger(__name__)

_BOOK = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now_ms, free)
redis.call('SET', KEYS[1], start + tonumber(ARGV[1]), 'PX', start - now_ms + tonumber(ARGV[1]) + 60000)
return start - now_ms
"""


class SharedDelayMiddleware:
    """Downloader middleware (set by the `crawler.distributed.RedisWorker` add-on when REDIS_URL is set): each
    request waits for its host's next free moment, booked in Redis for all workers.

    The interval is the larger of `DOWNLOAD_DELAY` and the delay the worker's own download slot for the host has
    now (AutoThrottle adapts it to the site's latency); 0 (replay mode) books nothing.
    """

    def __init__(self, client: Any, crawler: Any) -> None:
        self.client = client
        self.crawler = crawler
        self.delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self._book = client.register_script(_BOOK)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedDelayMiddleware:
        url = crawler.settings.get("REDIS_URL")
        if not url:
            raise NotConfigured
        return cls(stream.connect(url), crawler)

    def interval(self, request: Request) -> float:
        """Seconds between two requests to the request's host, across all workers."""
        delay = self.delay
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if downloader is not None:
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                delay = max(delay, slot.delay)
        return delay

    def book(self, host: str, interval: float) -> float:
        """Book the host's next free moment for a request; returns the seconds to wait for it."""
        return int(self._book(keys=[stream.slot_key(host)], args=[int(interval * 1000)])) / 1000

    async def process_request(self, request: Request) -> None:
        interval = self.interval(request)
        host = urlparse_cached(request).hostname
        if interval <= 0 or not host:
            return
        wait = self.book(host, interval)
        if wait > 0:
            self.crawler.stats.inc_value("statements/shared_delay_waits")
            from twisted.internet import reactor  # the one Scrapy installed, not a default one at import

            await maybe_deferred_to_future(task.deferLater(reactor, wait))
