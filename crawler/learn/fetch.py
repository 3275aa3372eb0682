"""Fetching for the learner through Scrapy: the project's settings and downloader middlewares, so a live fetch is
polite as crawls are (robots.txt, AutoThrottle and delays, the project's User-Agent) and `REPLAY_WARC` answers
from a recording exactly as it does for crawls."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.faults import fault_reason
from crawler.learn.pages import Fetched
from crawler.learn.process import Fetch, LearnedSite, LearnError, learn
from crawler.schedule import project_settings

logger = logging.getLogger(__name__)


class LearnSpider(scrapy.Spider):
    """Spider `learn` (not a site's): fetches what the learning process asks for, round by round.

    Arguments (keyword, not `-a`): `driver`, the `crawler.learn.process.learn` generator; `progress`, a function
    given one line per round. After the crawl, `result` holds the `LearnedSite`, or `error` why learning stopped.
    """

    name = "learn"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {"crawler.extensions.Progress": None},
    }

    def __init__(
        self,
        driver: Generator[list[str], Fetch, LearnedSite],
        progress: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.driver = driver
        self.progress = progress or (lambda line: None)
        self.result: LearnedSite | None = None
        self.error: str | None = None
        self.wanted: list[str] = []
        self.answers: Fetch = {}
        self.fetched = 0

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """As a site's spider: in replay mode, no delays, AutoThrottle or HTTP cache."""
        super().update_settings(settings)
        if settings.get("REPLAY_WARC"):
            for name, value in {
                "DOWNLOAD_DELAY": 0,
                "AUTOTHROTTLE_ENABLED": False,
                "HTTPCACHE_ENABLED": False,
            }.items():
                settings.set(name, value, priority="spider")

    async def start(self) -> Any:
        """The first round: the listing page."""
        for request in self._advance(None):
            yield request

    def _advance(self, answers: Fetch | None) -> Iterator[scrapy.Request]:
        """Send the answers of a round to the process and request the next round's pages."""
        try:
            urls = next(self.driver) if answers is None else self.driver.send(answers)
            while not urls:
                urls = self.driver.send({})
        except StopIteration as done:
            self.result = done.value
            return
        except LearnError as error:
            self.error = str(error)
            return
        self.wanted, self.answers = list(dict.fromkeys(urls)), {}
        self.progress(f"fetching {len(self.wanted)} page(s) ({self.fetched} so far)")
        for url in self.wanted:
            yield scrapy.Request(
                url, callback=self.on_response, errback=self.on_error, dont_filter=True, meta={"wanted": url}
            )

    def _answer(self, url: str, answer: Fetched | str) -> Iterator[scrapy.Request]:
        self.answers[url] = answer
        self.fetched += 1
        if len(self.answers) == len(self.wanted):
            yield from self._advance(self.answers)

    def on_response(self, response: Response) -> Iterator[scrapy.Request]:
        """A page answered."""
        headers = {
            name.decode("latin-1"): [value.decode("latin-1") for value in values]
            for name, values in response.headers.items()
        }
        fetched = Fetched(response.url, response.status, headers, response.body)
        yield from self._answer(response.meta["wanted"], fetched)

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A page did not answer: its fault reason (an HTTP error keeps its status)."""
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errback failures
        if failure.check(HttpError):
            response = failure.value.response
            answer: Fetched | str = Fetched(response.url, response.status, {}, b"")
            if "replay-missing" in response.flags:
                answer = "missing from the recording"
        else:
            answer = fault_reason(failure)
        yield from self._answer(request.meta["wanted"], answer)


def learn_site(
    url: str,
    name: str,
    pages: int = 20,
    timezone: str | None = None,
    settings: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> LearnedSite:
    """Learn a site from its listing page `url`, fetching through Scrapy in this process (once per process: the
    Twisted reactor does not restart).

    Args:
        url: one listing page of a statement section.
        name: the spider name the module will declare.
        pages: how many statement pages to compare.
        timezone: the site's IANA time zone, where its domain does not tell it.
        settings: Scrapy settings over the project's (`REPLAY_WARC` to learn from a recording).
        progress: called with one line per round of fetches.

    Raises:
        LearnError: learning could not finish; the message says why.
    """
    process = CrawlerProcess(project_settings(settings or {}))
    crawler = process.create_crawler(LearnSpider)
    process.crawl(crawler, driver=learn(url, name, pages, timezone), progress=progress)
    process.start()
    spider: LearnSpider | None = crawler.spider  # type: ignore[assignment]
    if spider is None or spider.result is None:
        raise LearnError(
            spider.error if spider is not None and spider.error else "the fetches did not finish"
        )
    return spider.result
