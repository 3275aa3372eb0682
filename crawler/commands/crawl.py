"""`scrapy crawl SPIDER`: Scrapy's command, which exits 1 only when the spider could not start, made to exit 1
also when the run did not finish well: closed "failed" (the spider's verdict, `crawler.verdict`: nothing could be
fetched, a listing page could not be read, the site changed), or stopped before its end ("shutdown" after
Ctrl-C, a CLOSESPIDER_* limit). The reason is the run's `finish_reason`, in its `crawls` row too."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler


class Command(ScrapyCrawl):
    """Scrapy's `crawl`, exiting 1 unless the run's finish reason is "finished"."""

    def __init__(self) -> None:
        super().__init__()
        self._run: Crawler | None = None

    def _create_crawler(self, spidercls: Any) -> Crawler:
        self._run = super()._create_crawler(spidercls)
        return self._run

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        stats = self._run.stats if self._run is not None else None
        if stats is not None and stats.get_value("finish_reason") not in (None, "finished"):
            self.exitcode = 1
