"""Stream pipeline: a worker's store. Hands each statement of a distributed crawl, with its page and turns, to the
Redis stream that `statements writer` drains into the SQLite file (see `statements.stream`); the worker never
opens the file.

`RedisSink` is the sink (put / close); `StreamPipeline` is the item pipeline around it, which the
`crawler.distributed.RedisWorker` add-on puts in place of `StorePipeline` when REDIS_URL is set.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from crawler.items import PageItem
from pipelines.store import drop_out_of_range
from statements import stream

logger = logging.getLogger(__name__)


class RedisSink:
    """Puts page items with their statement on the Redis stream of a run.

    Args:
        client: redis-py client.
        run: the run's id (see `crawler.frontier`).
        max_backlog: `backlog_full` is true while the stream holds more entries than this (the writer is behind).
    """

    def __init__(self, client: Any, run: str, max_backlog: int = 10_000) -> None:
        self.client = client
        self.run = run
        self.max_backlog = max_backlog

    def put(self, item: PageItem, settles: tuple[str, str] | None = None) -> None:
        """Add the item (its `statement` set) to the stream; `settles`: a worker's ledger entry (hash key, token)
        deleted in the same transaction (see `crawler.frontier.Worker.settle`).

        Raises:
            redis.RedisError: Redis could not take it.
        """
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(stream.STREAM, stream.encode_statement(self.run, item))
        if settles is not None:
            pipe.hdel(*settles)
        pipe.execute()

    def backlog_full(self) -> bool:
        """Whether the stream holds more than `max_backlog` entries not yet written."""
        return bool(self.max_backlog) and self.client.xlen(stream.STREAM) > self.max_backlog

    def close(self) -> None:
        """Nothing is buffered: every `put` is on the stream when it returns."""


class StreamPipeline:
    """Item pipeline of a worker: drops statements outside the spider's `since`/`until` range (as the store
    pipeline does), puts the others on the stream, and waits while the stream's backlog is over
    `REDIS_STREAM_MAX_BACKLOG` entries (a writer far behind must not fill Redis's memory).

    Stats: `statements/sent`, `statements/out_of_range`, `statements/dateless`, `statements/stream_errors`
    (statements Redis did not take: logged at ERROR; the worker then records no section as walked, so the next
    crawl looks for them again), `statements/backlog_waits`.
    """

    BACKLOG_CHECK_EVERY = 50
    """Statements sent between two looks at the stream's length."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.sink: RedisSink | None = None
        self.worker: Any = None
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StreamPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        from crawler.frontier import worker_for

        self.worker = worker_for(self.crawler)
        assert self.worker.run is not None, "the run scheduler joins a run before pipelines open"
        self.sink = RedisSink(
            self.worker.client,
            self.worker.run,
            self.crawler.settings.getint("REDIS_STREAM_MAX_BACKLOG", 10_000),
        )

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or item.statement is None or self.sink is None:
            return item
        stats = self.crawler.stats
        drop_out_of_range(item, self.crawler.spider, stats)
        import redis

        settles = self.worker.settle(item)
        try:
            self.sink.put(item, settles)
        except redis.RedisError as error:
            stats.inc_value("statements/stream_errors")
            logger.error(
                "could not send %s to the Redis stream (%s): the next crawl fetches it", item.url, error
            )
            raise DropItem(f"not sent to Redis: {item.url}", log_level="DEBUG") from None
        stats.inc_value("statements/sent")
        if item.statement.date is None:
            stats.inc_value("statements/dateless")
            logger.warning("no date found or inferred for %s", item.url)
        self.sent += 1
        if self.sent % self.BACKLOG_CHECK_EVERY == 0:
            from twisted.internet import reactor

            while self.sink.backlog_full():
                stats.inc_value("statements/backlog_waits")
                await maybe_deferred_to_future(task.deferLater(reactor, 1.0))
        return item

    def close_spider(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None
