"""The shared spider: listing pages → pagination → statement pages, for any site module.

A site's spider is a subclass that names its `Site` declarations; this class does the walking and knows nothing
of cleaning: it yields one `PageItem` per statement page, with what the listing said of it as hints.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector, SelectorList
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.faults import fault_reason, is_challenge
from crawler.httpcache import page_accepted, page_rejected
from crawler.items import PageItem, PagePart
from crawler.sites.base import Listing, Site
from crawler.urls import rebase_loopback
from crawler.verdict import SITE_CHANGED_MIN_PAGES, run_problems
from pipelines.normalize import canonical_url, listing_date, request_url, statement_id
from pipelines.parts import page_parts
from statements.runs import known_statements, section_walked_at
from statements.store import Store, StoreError
from statements.stream import Published, connect

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")


class SpiderArgumentError(ValueError):
    """A spider argument is malformed (e.g. `since` is not an ISO date, or `since` is after `until`)."""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REVALIDATE = {"Cache-Control": "max-age=0"}
"""Listing pages are always revalidated (HTTP cache, RFC 2616 policy): they change with every new statement."""
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
    it has (`Listing.page_count`) or whose pages link to the next (`Listing.next_page`).

    Arguments:
        since: ISO date; statements dated before it are not stored (a backfill).
        until: ISO date; statements dated after it are not stored (a backfill).
        recheck: N; also refetch the N newest stored statements of each section, to catch edits.
        listing: URL of a listing page to walk (with the pages after it) instead of the site's sections: an
            archive page the sections do not start from (the Prime Minister of Japan's December 2021 list).

    Output: one `PageItem` per statement page, with hints: section, listing_url, listing_title, listing_date
    and neighbours (the entries listed just before and after it: url, title, date).

    Stats: `statements/listing_pages`, `statements/listing_pages_announced`, `statements/section/<name>/links`,
    `statements/duplicate_links` (links to a statement this crawl already requested), `statements/skipped_known`, `statements/skipped_by_listing_date`, `statements/statement_pages`,
    `statements/soft_404_listings` (listing
    pages that are error placeholders: a section moved), `statements/http_errors` (listing or
    statement pages answered with an HTTP error status), `statements/fetch_errors` (no response at all: DNS,
    connection, timeout, after Scrapy's retries), `statements/section/<name>/failed_listings` (listing pages that
    could not be read: see `crawler.verdict`), `statements/problems` (the run's verdict, when it failed).

    A run is judged when it has nothing left to do (`spider_idle`, `crawler.verdict`): one with problems closes
    as "failed" rather than "finished".
    """

    site: ClassVar[Site]
    arguments: ClassVar[tuple[str, ...]] = ("since", "until", "recheck", "listing")

    def __init__(
        self,
        *args: Any,
        since: str | None = None,
        until: str | None = None,
        recheck: str | None = None,
        listing: str | None = None,
        **kwargs: Any,
    ) -> None:
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
        if recheck is not None and not re.fullmatch(r"\d+", str(recheck)):
            raise SpiderArgumentError(f"-a recheck={recheck!r} is not a whole number of statements")
        self.recheck = int(recheck or 0)
        if listing is not None and urlsplit(listing).scheme not in ("http", "https"):
            raise SpiderArgumentError(f"-a listing={listing!r} is not an http(s) URL")
        if listing is not None and not self._allowed(listing):
            raise SpiderArgumentError(
                f"-a listing={listing!r} is not on this site ({', '.join(self.site.allowed_domains)})"
            )
        self.listing = listing
        self.rechecked: Counter[str] = Counter()
        self.requested: set[str] = set()
        """Ids of the statements requested by this crawl: each canonical URL is fetched once, however many links
        (relative, another host, http, `?from=list`, `#top`) lead to it."""
        self.walked_sections: set[str] = set()
        """Sections whose walk reached its end, or a listing page of statements stored before the last walk."""
        self._judged = False
        self._known_store: Store | None = None
        self._published: Published | None = None

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
        self.crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        self.crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        self.crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        if not self.settings.get("REPLAY_WARC") and "noreply" in self.settings.get("USER_AGENT", ""):
            logger.warning("set STATEMENTS_CONTACT to your e-mail address or URL before crawling a live site")
        starts = [(section.name, section.url) for section in self.site.sections]
        if self.listing is not None:
            starts = [(self.listing_section(self.listing), self.listing)]
        for name, url in starts:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section": name, "page": 0},
                headers=REVALIDATE,
            )

    def listing_section(self, url: str) -> str:
        """The section a listing URL given as argument belongs to: the declared section whose first page's
        folder holds it (deepest first; URLs compared in canonical form, so any of the site's hosts will do),
        else "listing"."""
        folders = sorted(
            self.site.sections, key=lambda section: len(posixpath.dirname(section.url)), reverse=True
        )
        canonical = canonical_url(url, self.site, keep_query=True)
        for section in folders:
            folder = posixpath.dirname(canonical_url(section.url, self.site, keep_query=True)) + "/"
            if canonical.startswith(folder):
                return section.name
        return "listing"

    def listing_rules(self, section: str) -> Listing:
        """The listing rules of a section: its own where it has some, else the site's."""
        for declared in self.site.sections:
            if declared.name == section and declared.listing is not None:
                return declared.listing
        return self.site.listing

    def listing_entries(self, response: TextResponse, listing: Listing) -> list[dict[str, Any]]:
        """The statement links of a listing page, in page order, each statement once (links compared by canonical
        URL): dicts with url (absolute, without fragment and query parameters that do not identify the page, see
        `request_url`), title (link text) and date (the listing's date text for the entry, or None)."""
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        # Each link with the element whose text holds its date: its entry block, else its parent.
        links: list[tuple[Selector, SelectorList[Selector]]]
        if listing.entry_block is not None:
            links = [
                (link, SelectorList([block]))
                for block in response.css(listing.entry_block)
                for link in block.css(listing.entry)
            ]
        else:
            links = [(link, link.xpath("..")) for link in response.css(listing.entry)]
        for link, around in links:
            href = link.attrib.get("href")
            if not href:
                continue
            url = request_url(rebase_loopback(response.urljoin(href.strip()), response.url), self.site)
            canonical = canonical_url(url, self.site)
            if not listing.statement_url.search(urlsplit(url).path) or canonical in seen:
                continue
            seen.add(canonical)
            date = None
            if listing.entry_date is not None:
                match = listing.entry_date.search(" ".join(around.xpath(".//text()").getall()))
                date = match.group(0) if match else None
            title = _SPACES.sub(" ", " ".join(link.css("::text").getall())).strip()
            entries.append({"url": url, "title": title, "date": date})
        return entries

    def page_count(self, response: TextResponse, listing: Listing) -> int | None:
        """Number of listing pages the first page announces: 1 (with a warning) when it announces none, at most
        the `MAX_LISTING_PAGES` setting (with a warning), since a broken page may announce millions; None where
        the listing does not announce its pages (`Listing.page_count` is None)."""
        if listing.page_count is None:
            return None
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

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Log a failed request once, without a traceback, and count it by fault reason (`crawler.faults`:
        `statements/faults/<reason>`); a failed listing page does not end its section's walk when the pages
        are counted: the next page is requested.

        An HTTP 404 on a section's first listing page (or its absence from a recording) is logged at INFO:
        sections move or close (the recording of July 2020 holds only one of the five English sections). Any
        other fault is a WARNING with the URL, except a body over DOWNLOAD_MAXSIZE, which Scrapy itself already
        logs at WARNING with the URL.
        """
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errback failures
        stats = self.crawler.stats
        reason = fault_reason(failure)
        entry_point = request.cb_kwargs.get("page") == 0
        if entry_point:
            what = "section entry point"
        elif request.callback == self.parse_listing:
            what = "listing page"
        else:
            what = "statement part" if request.callback == self.parse_part else "statement page"
        tries = len(request.meta.get("faults", ())) + 1
        after = f" (tried {tries} times)" if tries > 1 else ""
        if failure.check(HttpError):
            stats.inc_value("statements/http_errors")
            response = failure.value.response
            if "replay-missing" in response.flags:
                stats.inc_value("statements/replay_missing")
                level = logging.INFO if entry_point else logging.WARNING
                logger.log(level, "%s is missing from the recording: %s", what, request.url)
                return self._after_failed_listing(request)
            moved = entry_point and response.status == 404  # a section that moved or closed: not a fault
            if not moved:
                stats.inc_value(f"statements/faults/{reason}")
                self._listing_failed(request)
            level = logging.INFO if moved else logging.WARNING
            if reason == "challenge":
                logger.log(
                    level,
                    "%s answered with a bot challenge (HTTP %d)%s: %s",
                    what,
                    response.status,
                    after,
                    request.url,
                )
            else:
                logger.log(level, "%s answered HTTP %d%s: %s", what, response.status, after, request.url)
        else:
            stats.inc_value("statements/fetch_errors")
            stats.inc_value(f"statements/faults/{reason}")
            self._listing_failed(request)
            level = logging.DEBUG if reason == "too-large" else logging.WARNING
            logger.log(
                level, "%s failed (%s)%s: %s: %s", what, reason, after, request.url, failure.getErrorMessage()
            )
        return self._after_failed_listing(request)

    def _listing_failed(self, request: scrapy.Request) -> None:
        """Count a listing page that could not be read in its section (`statements/section/<name>/failed_listings`):
        the section is then not recorded as walked, and the run fails (`crawler.verdict`). Other requests: nothing.
        """
        if request.callback == self.parse_listing:
            section = request.cb_kwargs["section"]
            self.crawler.stats.inc_value(f"statements/section/{section}/failed_listings")

    def _after_failed_listing(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """The next listing page after a failed one, where the section's pages are counted."""
        kwargs = request.cb_kwargs
        if request.callback == self.parse_listing and kwargs.get("pages") is not None:
            # Pages counted from the first one: the walk skips the failed page. Pages that link to the next one
            # end their walk here, since the failed page held the link.
            following = self._next_listing(
                kwargs["section"], kwargs["page"], kwargs["pages"], kwargs["first"]
            )
            if following is not None:
                yield following

    def _next_listing(self, section: str, page: int, pages: int, first: str) -> scrapy.Request | None:
        """The request for a section's listing page after `page` (0-based), or None after the last one."""
        if page + 1 >= pages:
            return None
        name = posixpath.basename(urlsplit(first).path) or "index.html"
        stem, dot, suffix = name.rpartition(".")
        listing = self.listing_rules(section)
        return scrapy.Request(
            urljoin(first, listing.page_url.format(n=page + 1, stem=stem, suffix=dot + suffix)),
            callback=self.parse_listing,
            errback=self.on_error,
            cb_kwargs={"section": section, "page": page + 1, "pages": pages, "first": first},
            headers=REVALIDATE,
        )

    def parse_listing(
        self, response: Response, section: str, page: int, pages: int | None = None, first: str | None = None
    ) -> Iterator[scrapy.Request]:
        """Yield requests for the statements a listing page links to (with the listing's hints), then for the
        section's next listing page, one page at a time, newest first, until the walk may stop:

        - a crawl without `since`/`until` (incremental) fetches only statements not yet stored, and stops at the
          first listing page whose statements are all stored, some of them since before the end of the last
          crawl that walked the section (so an interrupted crawl is resumed, never taken for a complete one);
        - a backfill (`since`/`until`) skips the statements the listing dates outside the range and stops at the
          first listing page whose dated statements are all older than `since`;
        - both stop at the last page the first one announces, or at the first page that links to no next one.
          `recheck` refetches the N newest stored statements of each section anyway.
        """
        self._note_recovered(response, "listing page")
        failed = f"statements/section/{section}/failed_listings"
        send = self.crawler.signals.send_catch_log
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value(failed)
            send(page_rejected, response=response, reason="not text")
            logger.warning("listing %s is not a text response: skipped", response.url)
            return
        listing = self.listing_rules(section)
        if is_challenge(response.body, response.status):
            self.crawler.stats.inc_value("statements/faults/challenge")
            self.crawler.stats.inc_value(failed)
            send(page_rejected, response=response, reason="challenge")
            logger.warning("listing page answered with a bot challenge: %s", response.url)
            if response.request is not None:
                yield from self._after_failed_listing(response.request)
            return
        placeholder = self.soft_404(response)
        if placeholder is not None:
            send(page_rejected, response=response, reason="soft-404")
            self.crawler.stats.inc_value("statements/soft_404_listings")
            if page > 0:  # a section's first page as a placeholder is a section gone; a later one, a gap
                self.crawler.stats.inc_value(failed)
            level = logging.INFO if page == 0 else logging.WARNING
            logger.log(level, "listing %s is an error page (%s): skipped", response.url, placeholder)
            return
        stats = self.crawler.stats
        stats.inc_value("statements/listing_pages")
        if page == 0:
            pages, first = self.page_count(response, listing), response.url
            if pages is not None:
                stats.inc_value("statements/listing_pages_announced", pages)
        entries = self.listing_entries(response, listing)
        stats.inc_value(f"statements/section/{section}/links", len(entries))
        if entries:
            send(page_accepted, response=response)
        else:
            send(page_rejected, response=response, reason="no statement link")
            logger.warning("listing %s holds no statement link", response.url)
        ids = [statement_id(canonical_url(entry["url"], self.site)) for entry in entries]
        known = self.known_statements(ids)
        dates = [listing_date(entry["date"], entry["title"], self.site) for entry in entries]
        for index, entry in enumerate(entries):
            date = dates[index]
            if self.backfill and date is not None and not self.in_range(date):
                stats.inc_value("statements/skipped_by_listing_date")
                continue
            if ids[index] in self.requested:  # linked again, by this section or another
                stats.inc_value("statements/duplicate_links")
                continue
            if ids[index] in known:
                if self.rechecked[section] >= self.recheck:
                    stats.inc_value("statements/skipped_known")
                    continue
                self.rechecked[section] += 1
            neighbours = [entries[i] for i in (index - 1, index + 1) if 0 <= i < len(entries)]
            hints = {
                "section": section,
                "listing_url": response.url,
                "listing_title": entry["title"],
                "listing_date": entry["date"],
                "neighbours": neighbours,
            }
            self.requested.add(ids[index])
            yield scrapy.Request(
                entry["url"],
                callback=self.parse_statement,
                errback=self.on_error,
                cb_kwargs={"hints": hints},
                priority=STATEMENT_PRIORITY,
            )
        following = self._following_listing(response, listing, section, page, pages, first or response.url)
        if following is None:
            if not self.backfill and self.listing is None:
                self.walked_sections.add(section)
            return
        if self.backfill:
            dated = [date for date in dates if date is not None]
            if self.since and dated and max(dated) < self.since:
                logger.info("%s: page %d is older than %s: the walk stops", section, page + 1, self.since)
                return
        elif entries and len(known) == len(entries):
            walked_at = self.walked_at(section)
            if walked_at is not None and any(seen <= walked_at for seen in known.values()):
                logger.info("%s: page %d holds only stored statements: the walk stops", section, page + 1)
                if self.listing is None:
                    self.walked_sections.add(section)
                return
        yield following

    def _following_listing(
        self, response: TextResponse, listing: Listing, section: str, page: int, pages: int | None, first: str
    ) -> scrapy.Request | None:
        """The request for the listing page after this one: the next of the announced pages, or the page the
        `next_page` links lead to; None after the last one, or past `MAX_LISTING_PAGES` (with a warning)."""
        if pages is not None:
            return self._next_listing(section, page, pages, first)
        if listing.next_page is None:
            return None
        css, _, attribute = listing.next_page.rpartition("@")
        candidates = [
            response.urljoin(value.strip())
            for value in response.css(css).xpath(f"@{attribute}").getall()
            if value.strip()
        ]
        own = canonical_url(response.url, self.site, keep_query=True)
        positions = [
            index
            for index, url in enumerate(candidates)
            if canonical_url(url, self.site, keep_query=True) == own
        ]
        following = candidates[positions[0] + 1 :] if positions else candidates
        if not following:
            return None
        limit = self.settings.getint("MAX_LISTING_PAGES")
        if limit and page + 1 >= limit:
            logger.warning(
                "%s: the listing goes on after page %d; the walk stops there (MAX_LISTING_PAGES)",
                section,
                page + 1,
            )
            return None
        return scrapy.Request(
            following[0],
            callback=self.parse_listing,
            errback=self.on_error,
            cb_kwargs={"section": section, "page": page + 1, "pages": None, "first": first},
            headers=REVALIDATE,
        )

    def _note_recovered(self, response: Response, what: str) -> None:
        """Count and log once (WARNING) a page that answered only after retries, with their reasons."""
        faults = response.request.meta.get("faults") if response.request is not None else None
        if not faults:
            return
        for reason in faults:
            self.crawler.stats.inc_value(f"statements/retried/{reason}")
        logger.warning(
            "%s answered at try %d, after %s: %s", what, len(faults) + 1, ", ".join(faults), response.url
        )

    def _allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.site.allowed_domains)

    def request_scheduled(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        """Signal handler: count and log once a redirect to a domain the site does not declare, which Scrapy's
        offsite middleware drops without a word (offsite-redirect); a listing page's fails its section."""
        origin = (request.meta.get("redirect_urls") or [None])[0]
        if origin is not None and not self._allowed(request.url):
            self.crawler.stats.inc_value("statements/faults/offsite-redirect")
            self._listing_failed(request)
            logger.warning(
                "%s redirects off the site, to %s (offsite-redirect): dropped", origin, request.url
            )

    def request_dropped(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        """Signal handler: count and log once a redirect back to a URL already requested, which Scrapy's
        duplicate filter drops (redirect-loop); a listing page's fails its section. Other dropped requests
        (statements listed twice) are expected and stay silent."""
        origin = (request.meta.get("redirect_urls") or [None])[0]
        if origin is None or not self._allowed(request.url):
            return
        self.crawler.stats.inc_value("statements/faults/redirect-loop")
        self._listing_failed(request)
        logger.warning("%s redirects to %s, already requested (redirect-loop): dropped", origin, request.url)

    @property
    def backfill(self) -> bool:
        """Whether the crawl is a backfill (a date range was asked for)."""
        return self.since is not None or self.until is not None

    def in_range(self, date: dt.date) -> bool:
        """Whether a date is within `since`–`until` (inclusive; an open end admits everything)."""
        return (self.since is None or date >= self.since) and (self.until is None or date <= self.until)

    def _store(self) -> Store | None:
        if self._known_store is None:
            path = self.settings.get("STATEMENTS_DB") or "statements.db"
            try:
                self._known_store = Store(path, readonly=True)
            except StoreError:
                return None  # no database yet (or not ours: the store pipeline will say so)
        return self._known_store

    def _redis(self) -> Published | None:
        """A worker of a distributed crawl (REDIS_URL set) reads what the writer published in Redis, never the
        file."""
        if self._published is None and self.settings.get("REDIS_URL"):
            self._published = Published(connect(self.settings.get("REDIS_URL")))
        return self._published

    def known_statements(self, ids: list[str]) -> dict[str, str]:
        """Which of these statement ids the database holds: id → first_seen_at."""
        published = self._redis()
        if published is not None:
            return published.known_statements(self.name, ids)
        store = self._store()
        if store is None or not store.db.table("statements").exists():
            return {}
        return known_statements(store, ids)

    def walked_at(self, section: str) -> str | None:
        """When a crawl last finished walking this section to its end (see `section_walked_at`), or None."""
        published = self._redis()
        if published is not None:
            return published.walked_at(self.name, section)
        store = self._store()
        if store is None or not store.db.table("sections").exists():
            return None
        return section_walked_at(store, self.name, section)

    def spider_idle(self, spider: scrapy.Spider | None = None) -> None:
        """Signal handler: judge the run once it has nothing left to do (`crawler.verdict.run_problems`). A run
        with problems logs each once at ERROR, keeps them in the stats (`statements/problems`, the `crawls` row's
        `problems`) and closes as "failed" instead of "finished", so that `scrapy crawl` exits 1.

        Raises:
            CloseSpider: with the reason "failed", when the run has problems.
        """
        if self.settings.get("REDIS_URL"):
            return  # a worker sees part of a distributed run: the writer judges the whole (crawler.verdict)
        stats = self.crawler.stats
        problems = run_problems(
            stats.get_stats(), self.settings.getint("SITE_CHANGED_MIN_PAGES", SITE_CHANGED_MIN_PAGES)
        )
        if not problems:
            return
        if not self._judged:
            self._judged = True
            stats.set_value("statements/problems", problems)
            for problem in problems:
                logger.error("%s: %s", self.name, problem)
        raise CloseSpider("failed")

    def closed(self, reason: str) -> None:
        """Close the read-only connection to the database."""
        if self._known_store is not None:
            self._known_store.close()
            self._known_store = None

    def parse_statement(
        self, response: Response, hints: dict[str, Any]
    ) -> Iterator[PageItem | scrapy.Request]:
        """Yield the statement page as a `PageItem`: URL, status, headers, body as received, and when it was
        fetched (the WARC-Date when replayed, else now, UTC). A page that announces further parts of its article
        (`Site.page_parts`, `pipelines.parts`) is yielded once they are all fetched, one after another, with them
        in `PageItem.parts`; counted in `statements/split_statements` and `statements/part_pages`."""
        self._note_recovered(response, "statement page")
        self.crawler.stats.inc_value("statements/statement_pages")
        item = PageItem(
            site=self.name,
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
            fetched_at=_fetched_at(response),
            hints=hints,
        )
        parts = (
            page_parts(response.url, response.text, self.site) if isinstance(response, TextResponse) else None
        )
        if parts is None or parts.current != 0:
            yield item  # one page (or a part reached on its own, which the extract pipeline rejects)
            return
        self.crawler.stats.inc_value("statements/split_statements")
        yield self._part_request(item, parts.urls, 0)

    def _part_request(self, item: PageItem, urls: tuple[str, ...], index: int) -> scrapy.Request:
        # dont_filter: a part already requested by this crawl (for a recheck, say) must still come back to its
        # statement, which is never yielded otherwise.
        return scrapy.Request(
            urls[index],
            callback=self.parse_part,
            errback=self.on_part_error,
            cb_kwargs={"item": item, "urls": urls, "index": index},
            priority=STATEMENT_PRIORITY + 1,
            dont_filter=True,
        )

    def parse_part(
        self, response: Response, item: PageItem, urls: tuple[str, ...], index: int
    ) -> Iterator[PageItem | scrapy.Request]:
        """Add a fetched part to its statement's page item; request the next part, or yield the item after the
        last."""
        self._note_recovered(response, "statement part")
        self.crawler.stats.inc_value("statements/part_pages")
        item.parts.append(
            PagePart(urls[index], response.status, _headers(response), response.body, _fetched_at(response))
        )
        if index + 1 < len(urls):
            yield self._part_request(item, urls, index + 1)
        else:
            yield item

    def on_part_error(self, failure: Failure) -> Iterator[PageItem]:
        """A part that could not be fetched: logged and counted as any failed request (`on_error`), and its
        statement yielded with the part's fault, for the extract pipeline to drop it as incomplete (counted in
        `statements/incomplete`): a statement is never stored short."""
        list(self.on_error(failure))
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errback failures
        item, urls, index = (request.cb_kwargs[key] for key in ("item", "urls", "index"))
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else 0
        item.parts.append(PagePart(urls[index], status, {}, b"", "", fault=fault_reason(failure)))
        yield item


def _headers(response: Response) -> dict[str, list[str]]:
    """A response's headers as received, name → values."""
    return {
        name.decode("latin-1"): [value.decode("latin-1") for value in values]
        for name, values in response.headers.items()
    }


def _fetched_at(response: Response) -> str:
    """When a response was fetched: the WARC-Date when replayed, else now (ISO 8601, UTC)."""
    return response.meta.get("fetched_at") or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
