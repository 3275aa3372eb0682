"""A spider that fetches a list of URLs and does nothing with them: the floor a crawl's pipelines are measured
against (benchmarks/crawl_overhead.py). Run from the repository root, so that the project's settings (WARC replay,
robots.txt, retries) apply:

    python -m scrapy runspider benchmarks/bare_spider.py -a urls=URLS.json -s REPLAY_WARC=…
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    """Requests every URL of a JSON list file and drops the responses; no item, no pipeline, no extension."""

    name = "bare"
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "HTTPCACHE_ENABLED": False}

    def __init__(self, urls: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with open(urls, encoding="utf-8") as stream:
            self.urls: list[str] = json.load(stream)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> None:
        """Nothing: the response is dropped."""
