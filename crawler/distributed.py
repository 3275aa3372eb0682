"""The Scrapy add-on that turns `scrapy crawl SITE` into a worker of a distributed crawl when `REDIS_URL` is set
(`-s REDIS_URL=redis://HOST:PORT/DB` or the environment variable).

Without REDIS_URL it changes nothing. With it, the crawl keeps its spider, its item pipelines up to segment and its
downloader middlewares, and swaps what touches shared state:

- the scheduler: `crawler.frontier.RunScheduler` (scrapy-redis's, on the run's keys) instead of Scrapy's;
- `crawler.frontier.AckMiddleware` (spider middleware, last on the output) strikes handled requests off the
  worker's in-flight ledger;
- `crawler.politeness.SharedDelayMiddleware` (downloader middleware) shares each host's pace among workers (and
  the per-process random variation of the delay is off, `DOWNLOAD_DELAY_JITTER` or `RANDOMIZE_DOWNLOAD_DELAY`:
  the shared booking sets each request's moment);
- the store pipeline gives way to `pipelines.stream.StreamPipeline`, which puts statements on the Redis stream
  that `statements writer` drains into the SQLite file: a worker never opens the file;
- progress lines come from the writer, which sees every worker's statements (the Progress extension is off).
"""

from __future__ import annotations

from typing import Any

from statements.stream import RedisUnavailable


class RedisWorker:
    """Scrapy add-on (setting `ADDONS`): worker mode when REDIS_URL is set; see the module.

    Raises:
        RedisUnavailable: REDIS_URL is set but scrapy-redis is not installed (`pip install -e '.[redis]'`).
    """

    def update_settings(self, settings: Any) -> None:
        if not settings.get("REDIS_URL"):
            return
        try:
            from crawler.frontier import AckMiddleware, RunScheduler
            from crawler.politeness import SharedDelayMiddleware
        except ImportError as error:
            raise RedisUnavailable(
                f"REDIS_URL is set but Redis support is not installed ({error}): pip install -e '.[redis]'"
            ) from None
        from crawler.extensions import Progress
        from pipelines.store import StorePipeline
        from pipelines.stream import StreamPipeline

        settings.set("SCHEDULER", RunScheduler, "addon")
        # Last on a callback's output (spider middlewares see it in decreasing order), after anything that drops.
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", AckMiddleware, 1)
        # After robots.txt and retries, before the download (or the WARC replay at 990).
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", SharedDelayMiddleware, 950)
        # The shared pace hands each request its moment; a per-process random factor on top (0.5-1.5 x the delay,
        # applied after the booking) would send some late, next to another worker's.
        from scrapy.settings import default_settings

        if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):  # Scrapy 2.19 and later
            settings.set("DOWNLOAD_DELAY_JITTER", 0, "addon")
        else:
            settings.set("RANDOMIZE_DOWNLOAD_DELAY", False, "addon")
        settings.replace_in_component_priority_dict("ITEM_PIPELINES", StorePipeline, StreamPipeline)
        settings.set_in_component_priority_dict("EXTENSIONS", Progress, None)
