"""Scrapy extensions: progress of long crawls.

`Progress` logs, every `PROGRESS_INTERVAL` seconds (0 turns it off), one line a user watching a long backfill can
read: listing pages walked of the total the site's listings announce, statements stored (new, updated,
unchanged), the rate, and an estimate of the time left from the listing pages still to walk.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    """One progress line from a crawl's stats after `elapsed` seconds.

    Example: "listing pages 12/67, statements stored 480 (480 new, 0 updated, 0 unchanged), 96/min, about
    4 min left". The estimate assumes the walk goes to the last announced page (an incremental crawl that stops
    early takes less); listings whose pages only link to the next one announce nothing, so neither total nor
    estimate is shown for them ("listing pages 115, …").
    """
    walked = stats.get("statements/listing_pages", 0)
    announced = stats.get("statements/listing_pages_announced", 0)
    new, updated, unchanged = (stats.get(f"statements/{key}", 0) for key in ("new", "updated", "unchanged"))
    stored = new + updated + unchanged
    minutes = max(elapsed / 60, 1e-9)
    pages = (
        f"{walked}/{announced}" if announced else str(walked)
    )  # listings that link to the next page announce none
    line = (
        f"listing pages {pages}, statements stored {stored} ({new} new, {updated} updated,"
        f" {unchanged} unchanged), {stored / minutes:.0f}/min"
    )
    if walked and announced > walked:
        left = (announced - walked) * elapsed / walked
        line += f", about {left / 60:.0f} min left" if left >= 60 else f", about {left:.0f} s left"
    return line


class Progress:
    """Extension: log `progress_line` every `PROGRESS_INTERVAL` seconds, and once when the spider closes."""

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        logger.info(
            "%s: %s", self.crawler.spider.name, progress_line(self.crawler.stats.get_stats(), self.elapsed())
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.log()
