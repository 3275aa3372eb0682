"""The verdict on one crawl, from its Scrapy stats: the problems that make a run failed.

A crawl that runs to its end is not yet a good one. The spider judges its run when it has nothing left to do
(`StatementSpider.spider_idle`; a distributed crawl is judged by its writer on the counts of all its workers,
`stats_of_row`): a run with problems logs each at ERROR, closes with the reason "failed" instead of
"finished", records them in its `crawls` row (`problems`), and `scrapy crawl` exits 1. `statements crawl` applies
the same verdict (`crawler.schedule.judge`), with what only the previous run can tell.

Problems:
    nothing fetched: no listing page could be read while requests failed (no network, DNS, the site down or
        answering errors): the run learnt nothing, however quietly it finished.
    listing pages failed: a listing page answered an error, a bot challenge or a placeholder after the retries, or
        did not answer (a section's first page answering 404 is a section that moved: not a problem). Its section
        is not recorded as walked, so the next crawl walks it again.
    site changed, listing: a section's listing was read but yields no statement link: the site module's link
        pattern no longer matches the site.
    site changed, statement pages: most statement pages of the run match no template of the site module: more
        than half of them, and at least `SITE_CHANGED_MIN_PAGES` (so that one odd page linked from a listing, in a
        run that fetched two, is not taken for a redesign). The pages are kept (`pages` rows with
        `rejected_reason` "no-template"), and `statements reparse` makes statements of them once the module is
        fixed.
"""

from __future__ import annotations

import json
from typing import Any

SITE_CHANGED_MIN_PAGES = 3
"""Fewest statement pages matching no template that can show a site changed (setting of the same name)."""

_LINKS = ("statements/section/", "/links")
_FAILED = ("statements/section/", "/failed_listings")


def _per_section(stats: dict[str, Any], affixes: tuple[str, str]) -> dict[str, int]:
    prefix, suffix = affixes
    return {
        key.removeprefix(prefix).removesuffix(suffix): value
        for key, value in stats.items()
        if key.startswith(prefix) and key.endswith(suffix)
    }


def failed_sections(stats: dict[str, Any]) -> list[str]:
    """Sections of which a listing page could not be read, or that yielded no statement link: never recorded as
    walked to their end."""
    failed = {section for section, count in _per_section(stats, _FAILED).items() if count}
    quiet = {section for section, links in _per_section(stats, _LINKS).items() if not links}
    return sorted(failed | quiet)


def stats_of_row(row: dict[str, Any]) -> dict[str, Any]:
    """The stats `run_problems` reads, rebuilt from a run's `crawls` row (`statements.runs.crawl_counts` made its
    columns): how a distributed crawl, whose workers each see a part of the run, is judged once, by the writer,
    on the counts of all its workers summed."""

    def counts(column: str) -> dict[str, int]:
        return json.loads(row.get(column) or "{}")

    stats: dict[str, Any] = {
        f"statements/{key}": row.get(key) or 0
        for key in ("listing_pages", "statement_pages", "fetch_errors", "http_errors")
    }
    stats.update({f"statements/section/{name}/links": value for name, value in counts("sections").items()})
    stats.update(
        {f"statements/section/{name}/failed_listings": n for name, n in counts("failed_listings").items()}
    )
    stats.update({f"statements/rejected/{reason}": n for reason, n in counts("rejected_reasons").items()})
    return stats


def run_problems(stats: dict[str, Any], min_pages: int = SITE_CHANGED_MIN_PAGES) -> list[str]:
    """The problems of a run (see the module docstring), one line each, from its Scrapy stats; [] for a good run.

    Args:
        stats: the crawl's stats (`statements/...` keys of `StatementSpider` and the item pipelines).
        min_pages: `SITE_CHANGED_MIN_PAGES`.
    """
    problems = []
    failed = stats.get("statements/fetch_errors", 0) + stats.get("statements/http_errors", 0)
    if not stats.get("statements/listing_pages") and failed:
        problems.append(f"no listing page could be read ({failed} requests failed)")
    failed_listings = {section: count for section, count in _per_section(stats, _FAILED).items() if count}
    if failed_listings and not problems:  # when nothing could be read, that says it all
        problems.append(
            f"{sum(failed_listings.values())} listing pages could not be read (see the warnings); not walked to"
            f" the end: {', '.join(sorted(failed_listings))}"
        )
    for section, links in sorted(_per_section(stats, _LINKS).items()):
        if not links:
            problems.append(
                f"the site has changed? section {section}: its listing yields no statement link (the site"
                " module's statement_url or entry selector no longer matches)"
            )
    pages = stats.get("statements/statement_pages", 0)
    unmatched = stats.get("statements/rejected/no-template", 0)
    if unmatched >= min_pages and unmatched * 2 > pages:
        problems.append(
            f"the site has changed? {unmatched} of {pages} statement pages match no template of the site module;"
            " their pages are kept: fix the module, then run `statements reparse`"
        )
    return problems
