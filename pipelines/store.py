"""Store pipeline: hands each statement of a crawl, with its page, to the database writer (`statements.store`),
skips statements outside a backfill's range, keeps the run's `crawls` row, and links translations at the end.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from twisted.internet import task

from crawler.items import PageItem
from crawler.verdict import failed_sections
from statements.runs import crawl_counts, finish_crawl, start_crawl, utc_now
from statements.store import Store
from statements.translations import link_translations

logger = logging.getLogger(__name__)

KEEP_REJECTED = frozenset({"no-template"})
"""Rejection reasons whose pages are kept (without a statement): a page of no template may be a statement the site
module cannot read any more; challenges, placeholders and empty bodies are not worth keeping."""


def drop_out_of_range(item: PageItem, spider: Any, stats: Any) -> None:
    """Count and drop (DropItem, logged at DEBUG) a statement outside the spider's `since`/`until` range; an
    undated statement is outside any range."""
    statement = item.statement
    since, until = getattr(spider, "since", None), getattr(spider, "until", None)
    if statement is None or not (since or until):
        return
    if (
        statement.date is None
        or (since and statement.date < since.isoformat())
        or (until and statement.date > until.isoformat())
    ):
        stats.inc_value("statements/out_of_range")
        raise DropItem(f"dated {statement.date}, outside the range asked for: {item.url}", log_level="DEBUG")


class StorePipeline:
    """Item pipeline: writes each statement (with its page) to the database named by the `STATEMENTS_DB` setting,
    skips statements outside the spider's `since`/`until` range, and keeps the run's `crawls` row."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("STATEMENTS_DB") or "statements.db"
        self.commit_seconds = crawler.settings.getfloat("STATEMENTS_COMMIT_SECONDS", 0.5)
        self.flusher: task.LoopingCall | None = None
        self.store: Store | None = None
        self.crawl_id: int | None = None
        self.saved: set[str] = set()
        """Ids of the statements this crawl saved (new, updated or unchanged): those linked to translations."""
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = Store(self.path, commit_seconds=self.commit_seconds)
        if self.commit_seconds > 0:
            # An idle crawl (waiting on a slow site) commits what it holds all the same.
            self.flusher = task.LoopingCall(self._flush)
            self.flusher.start(self.commit_seconds, now=False)
        arguments = {
            key: getattr(spider, key) for key in ("since", "until", "recheck") if getattr(spider, key, None)
        }
        self.crawl_id = start_crawl(
            self.store, spider.name, {k: str(v) for k, v in arguments.items()}, utc_now()
        )
        logger.info("storing statements in %s (crawl %s)", self.path, self.crawl_id)

    def _flush(self) -> None:
        """Commit the open batch (every `STATEMENTS_COMMIT_SECONDS`); a failed commit is logged and the timer goes
        on (a LoopingCall stops at its first exception): the batch is lost whole and refetched next time."""
        if self.store is None:
            return
        try:
            self.store.flush()
        except sqlite3.Error as error:
            self.crawler.stats.inc_value("statements/commit_errors")
            logger.error(
                "could not commit the last statements to %s (%s): the next crawl fetches them",
                self.path,
                error,
            )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or item.statement is None or self.store is None:
            return item
        statement = item.statement
        stats = self.crawler.stats
        drop_out_of_range(item, self.crawler.spider, stats)
        outcome = self.store.save(item, statement, utc_now())
        self.saved.add(statement.id)
        stats.inc_value(f"statements/{outcome}")
        if statement.date is None:
            stats.inc_value("statements/dateless")
            logger.warning("no date found or inferred for %s", item.url)
        return item

    def item_dropped(self, item: Any, response: Any = None, exception: Any = None) -> None:
        """Signal handler: keep the page of a statement page that matched no template of the site module
        (`KEEP_REJECTED`), so that `statements reparse` reads it once the module is fixed (see
        `crawler.verdict`: when most pages of a run match none, the site has changed); counted as
        `statements/kept_pages`."""
        if not isinstance(item, PageItem) or item.rejected not in KEEP_REJECTED or self.store is None:
            return
        if self.store.keep_rejected(item, item.rejected):
            self.crawler.stats.inc_value("statements/kept_pages")

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Link the statements the crawl saved to their translations, complete the `crawls` row (and, for a crawl
        that ran to its end, record the sections it walked to their end, less those of which a listing page could
        not be read or that yielded no statement link), close the database."""
        if self.flusher is not None and self.flusher.running:
            self.flusher.stop()
        if self.store is None or self.crawl_id is None:
            return
        self.store.flush()
        stats = self.crawler.stats
        if self.saved:
            link_translations(self.store, spider.name, self.saved)
        walked = []
        if reason in ("finished", "failed"):  # ran to its end ("failed": see crawler.verdict)
            unread = set(failed_sections(stats.get_stats()))
            walked = sorted(set(getattr(spider, "walked_sections", ())) - unread)
        incomplete = stats.get_value("statements/incomplete", 0)
        if walked and (self.store.lost or incomplete):
            logger.warning(
                "%d statements could not be stored: no section is recorded as walked, so the next crawl looks"
                " for them again",
                self.store.lost + incomplete,
            )
            walked = []
        finish_crawl(
            self.store,
            self.crawl_id,
            crawl_counts(stats.get_stats()),
            utc_now(),
            reason,
            (spider.name, walked),
        )
        self.store.close()
        self.store = None
