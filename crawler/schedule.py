"""Scheduled runs: several spiders one after the other in one process, with a verdict for cron.

`run_crawls` runs the spiders in turn (never two at once against the same ministry) through Scrapy's
CrawlerRunner, then judges each run: a spider that could not start or did not run to its end, a run the spider
judged failed (`crawler.verdict`: nothing fetched, a listing page that could not be read, a site that changed), or
a section that yielded statement links in the spider's previous finished run and was not read now, is a problem.
`statements crawl` prints one line per problem and exits 1.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from crawler.sites import get_site
from crawler.verdict import run_problems
from statements.store import Store, StoreError


@dataclass
class CrawlResult:
    """What one spider's run came to.

    Attributes:
        site: spider name.
        stats: the run's Scrapy stats (empty when the spider could not start).
        error: why the spider could not start, or None.
        problems: one-line reasons this run counts as failed (empty when it went well).
    """

    site: str
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts of the run."""
        get = self.stats.get
        rejected = sum(value for key, value in self.stats.items() if key.startswith("statements/rejected/"))
        failed = get("statements/fetch_errors", 0) + get("statements/http_errors", 0)
        faults = sorted(
            (key.removeprefix("statements/faults/"), value)
            for key, value in self.stats.items()
            if key.startswith("statements/faults/")
        )
        line = (
            f"{self.site}: {get('statements/new', 0)} new, {get('statements/updated', 0)} updated,"
            f" {get('statements/unchanged', 0)} unchanged, {rejected} rejected;"
            f" {get('statements/listing_pages', 0)} listing and {get('statements/statement_pages', 0)} statement"
            f" pages, {failed} failed requests"
        )
        return line + (f" ({', '.join(f'{reason} {count}' for reason, count in faults)})" if faults else "")


def project_settings(overrides: dict[str, Any]) -> Any:
    """This project's Scrapy settings (crawler.settings), with `overrides` at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(
        {key: value for key, value in overrides.items() if value is not None}, priority="cmdline"
    )
    return settings


def previous_sections(db_path: str, site: str, before: int | None = None) -> dict[str, int]:
    """Statement links per section in the site's last finished crawl (before crawl id `before`), from the
    database's `crawls` table; {} when there is none."""
    try:
        store = Store(db_path, readonly=True)
    except StoreError:
        return {}
    try:
        if "sections" not in store.db.table("crawls").columns_dict:
            return {}
        row = store.db.execute(
            "select sections from crawls where spider = ? and finish_reason = 'finished' and id < ?"
            " order by id desc limit 1",
            [site, before if before is not None else 2**62],
        ).fetchone()
    finally:
        store.close()
    return json.loads(row[0]) if row and row[0] else {}


def judge(result: CrawlResult, before: dict[str, int]) -> list[str]:
    """The problems of a run: the spider's verdict (`crawler.verdict`, as the run recorded it, else judged from
    its stats), a run that did not run to its end, and sections that yielded statement links in the previous
    finished run (`before`: links per section) and were not read in this one."""
    if result.error is not None:
        return [f"{result.site}: could not start: {result.error}"]
    stats = result.stats
    problems = []
    reason = stats.get("finish_reason")
    if reason not in ("finished", "failed"):
        problems.append(f"{result.site}: the crawl ended with {reason!r}, not 'finished'")
    recorded = stats.get("statements/problems")
    verdict = recorded if recorded is not None else run_problems(stats)
    problems += [f"{result.site}: {problem}" for problem in verdict]
    for section, links in sorted(before.items()):
        read = f"statements/section/{section}/links" in stats
        failed = stats.get(f"statements/section/{section}/failed_listings")  # in the verdict already
        if links and not read and not failed:
            problems.append(f"{result.site}: section {section} yielded no statement link ({links} last time)")
    return problems


def run_crawls(sites: list[str], overrides: dict[str, Any], arguments: dict[str, str]) -> list[CrawlResult]:
    """Run the spiders `sites` one after another in this process and judge each run (see the module docstring).

    Args:
        sites: spider names.
        overrides: Scrapy settings (STATEMENTS_DB, REPLAY_WARC, LOG_LEVEL, …).
        arguments: spider arguments (since, until, recheck) given to every spider.

    Raises:
        UnknownSiteError: a name is no known site.
    """
    for site in sites:
        get_site(site)
    settings = project_settings(overrides)
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor
    from twisted.internet import defer

    install_reactor(settings.get("TWISTED_REACTOR"))
    from twisted.internet import reactor as installed

    reactor: Any = installed  # Twisted types the global reactor as an interface

    configure_logging(settings)
    runner = CrawlerRunner(settings)
    db_path = settings.get("STATEMENTS_DB") or "statements.db"
    results: list[CrawlResult] = []

    @defer.inlineCallbacks  # type: ignore[misc]
    def sequence() -> Any:
        for site in sites:
            result = CrawlResult(site)
            before = previous_sections(db_path, site)
            crawler = runner.create_crawler(site)
            try:
                yield runner.crawl(crawler, **arguments)
            except Exception as error:  # noqa: BLE001  # a spider that cannot start is reported, not raised
                result.error = str(error) or type(error).__name__
            if crawler.stats is not None and result.error is None:
                result.stats = dict(crawler.stats.get_stats())
            result.problems = judge(result, before)
            results.append(result)

    def stop(_: Any) -> None:
        reactor.stop()

    sequence().addBoth(stop)
    reactor.run(installSignalHandlers=True)
    return results
