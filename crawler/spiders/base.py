"""The shared spider: listing pages → pagination → statement pages, for any site module.

A site's spider is a subclass that names its `Site` declarations; this class does the walking and knows nothing
of cleaning: it yields one `PageItem` per statement page, with what the listing said of it as hints.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import PageItem
from crawler.sites.base import Listing, Site

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")


class SpiderArgumentError(ValueError):
    """A spider argument is malformed (e.g. `since` is not an ISO date, or `since` is after `until`)."""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
STATEMENT_PRIORITY = 10
"""Statement pages go before further listing pages, so a crawl stores statements as it walks the listings."""


def parse_date_argument(name: str, value: str | None) -> dt.date | None:
    """Parse an ISO date spider argument (YYYY-MM-DD); None stays None.

    Raises:
        SpiderArgumentError: the value is not an ISO date; the message names the argument.
    """
    if value is None or value == "":
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SpiderArgumentError(f"-a {name}={value!r} is not an ISO date (YYYY-MM-DD)") from None


class StatementSpider(scrapy.Spider):
    """Crawl a site's statement sections.

    Sections: the site module's `sections`; each is a listing whose first page announces how many pages
    it has (`Listing.page_count`), and every page is walked.

    Arguments:
        since: ISO date; statements dated before it are not stored.
        until: ISO date; statements dated after it are not stored.

    Output: one `PageItem` per statement page, with hints: section, listing_url, listing_title, listing_date
    and neighbours (the entries listed just before and after it: url, title, date).

    Stats: `statements/listing_pages`, `statements/statement_pages`, `statements/soft_404_listings` (listing
    pages that are error placeholders: a section moved), `statements/http_errors` (listing or
    statement pages answered with an HTTP error status), `statements/fetch_errors` (no response at all: DNS,
    connection, timeout, after Scrapy's retries).
    """

    site: ClassVar[Site]
    arguments: ClassVar[tuple[str, ...]] = ("since", "until")

    def __init__(self, *args: Any, since: str | None = None, until: str | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - {"name", "_job"})
        if unknown:
            raise SpiderArgumentError(
                f"unknown spider argument {', '.join(f'-a {key}' for key in unknown)};"
                f" this spider takes {', '.join(f'-a {key}' for key in self.arguments)}"
            )
        super().__init__(*args, **kwargs)
        self.since = parse_date_argument("since", since)
        self.until = parse_date_argument("until", until)
        if self.since and self.until and self.since > self.until:
            raise SpiderArgumentError(f"since ({self.since}) is after until ({self.until})")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply the class's custom settings, then, in replay mode (REPLAY_WARC set), turn off what only makes
        sense against a live site: download delays, AutoThrottle and the HTTP cache. Settings given on the
        command line still win."""
        super().update_settings(settings)
        if settings.get("REPLAY_WARC"):
            for name, value in {
                "DOWNLOAD_DELAY": 0,
                "AUTOTHROTTLE_ENABLED": False,
                "HTTPCACHE_ENABLED": False,
                "CONCURRENT_REQUESTS": 32,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            }.items():
                settings.set(name, value, priority="spider")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Yield the first listing page of every section of the site."""
        if not self.settings.get("REPLAY_WARC") and "noreply" in self.settings.get("USER_AGENT", ""):
            logger.warning("set STATEMENTS_CONTACT to your e-mail address or URL before crawling a live site")
        for section in self.site.sections:
            yield scrapy.Request(
                section.url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section": section.name, "page": 0},
            )

    def listing_rules(self, section: str) -> Listing:
        """The listing rules of a section: its own where it has some, else the site's."""
        for declared in self.site.sections:
            if declared.name == section and declared.listing is not None:
                return declared.listing
        return self.site.listing

    def listing_entries(self, response: TextResponse, listing: Listing) -> list[dict[str, Any]]:
        """The statement links of a listing page, in page order: dicts with url (absolute), title (link text)
        and date (the listing's date text for the entry, or None)."""
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        for link in response.css(listing.entry):
            url = response.urljoin(link.attrib["href"].strip())
            if not listing.statement_url.search(urlsplit(url).path) or url in seen:
                continue
            seen.add(url)
            date = None
            if listing.entry_date is not None:
                around = " ".join(link.xpath("..//text()").getall())
                match = listing.entry_date.search(around)
                date = match.group(0) if match else None
            title = _SPACES.sub(" ", " ".join(link.css("::text").getall())).strip()
            entries.append({"url": url, "title": title, "date": date})
        return entries

    def page_count(self, response: TextResponse, listing: Listing) -> int:
        """Number of listing pages the first page announces: 1 (with a warning) when it announces none, at most
        the `MAX_LISTING_PAGES` setting (with a warning), since a broken page may announce millions."""
        match = listing.page_count.search(response.text)
        if match is None:
            logger.warning("no page count on listing %s: only its first page is walked", response.url)
            return 1
        count = max(1, int(next(group for group in match.groups() if group is not None)))
        limit = self.settings.getint("MAX_LISTING_PAGES")
        if limit and count > limit:
            logger.warning(
                "listing %s announces %d pages; only the first %d are walked (MAX_LISTING_PAGES)",
                response.url,
                count,
                limit,
            )
            return limit
        return count

    def soft_404(self, response: TextResponse) -> str | None:
        """What marks a listing page as an error placeholder served with HTTP 200 (`Site.soft_404`), or None."""
        title = " ".join(response.css("title::text").getall())
        start = " ".join(" ".join(response.css("body ::text").getall())[:20_000].split())
        for pattern in self.site.soft_404:
            match = pattern.search(title) or pattern.search(start)
            if match:
                return match.group(0)
        return None

    def on_error(self, failure: Failure) -> None:
        """Log a failed request on one line, without a traceback, and count it.

        An HTTP error status on a section's first listing page is logged at INFO (sections move or close:
        the recording of July 2020 holds only one of the five English sections); on any other page at WARNING.
        A request that got no response at all (DNS, connection, timeout, after Scrapy's retries) is an ERROR.
        """
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errback failures
        stats = self.crawler.stats
        if failure.check(HttpError):
            stats.inc_value("statements/http_errors")
            status = failure.value.response.status
            entry_point = request.cb_kwargs.get("page") == 0
            level = logging.INFO if entry_point else logging.WARNING
            what = "section entry point" if entry_point else "page"
            logger.log(level, "%s answered HTTP %d: %s", what, status, request.url)
            return
        stats.inc_value("statements/fetch_errors")
        logger.error("fetching %s failed: %s", request.url, failure.getErrorMessage())

    def parse_listing(self, response: Response, section: str, page: int) -> Iterator[scrapy.Request]:
        """Yield a request for every statement a listing page links to (with the listing's hints) and, from a
        section's first page, one for every other listing page it announces."""
        if not isinstance(response, TextResponse):
            logger.warning("listing %s is not a text response: skipped", response.url)
            return
        listing = self.listing_rules(section)
        placeholder = self.soft_404(response)
        if placeholder is not None:
            self.crawler.stats.inc_value("statements/soft_404_listings")
            level = logging.INFO if page == 0 else logging.WARNING
            logger.log(level, "listing %s is an error page (%s): skipped", response.url, placeholder)
            return
        self.crawler.stats.inc_value("statements/listing_pages")
        entries = self.listing_entries(response, listing)
        if not entries:
            logger.warning("listing %s holds no statement link", response.url)
        for index, entry in enumerate(entries):
            neighbours = [entries[i] for i in (index - 1, index + 1) if 0 <= i < len(entries)]
            hints = {
                "section": section,
                "listing_url": response.url,
                "listing_title": entry["title"],
                "listing_date": entry["date"],
                "neighbours": neighbours,
            }
            yield scrapy.Request(
                entry["url"],
                callback=self.parse_statement,
                errback=self.on_error,
                cb_kwargs={"hints": hints},
                priority=STATEMENT_PRIORITY,
            )
        if page == 0:
            name = posixpath.basename(urlsplit(response.url).path) or "index.html"
            stem, dot, suffix = name.rpartition(".")
            for number in range(1, self.page_count(response, listing)):
                yield scrapy.Request(
                    response.urljoin(listing.page_url.format(n=number, stem=stem, suffix=dot + suffix)),
                    callback=self.parse_listing,
                    errback=self.on_error,
                    cb_kwargs={"section": section, "page": number},
                )

    def parse_statement(self, response: Response, hints: dict[str, Any]) -> Iterator[PageItem]:
        """Yield the statement page as a `PageItem`: URL, status, headers, body as received, and when it was
        fetched (the WARC-Date when replayed, else now, UTC)."""
        self.crawler.stats.inc_value("statements/statement_pages")
        headers = {
            name.decode("latin-1"): [value.decode("latin-1") for value in values]
            for name, values in response.headers.items()
        }
        fetched_at = (
            response.meta.get("fetched_at") or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        )
        yield PageItem(
            site=self.name,
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=fetched_at,
            hints=hints,
        )
