"""The run log: one `crawls` row per crawl with its counts, the `sections` each crawl walked to their end, and
what incremental crawls ask of the database (which statements are stored, when a section was last walked).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statements.store import Store


def utc_now() -> str:
    """The current time as an ISO 8601 string in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def start_crawl(store: Store, spider: str, arguments: dict[str, Any], started_at: str) -> int:
    """Insert the `crawls` row of a run that starts now; returns its id."""
    with store.transaction() as db:
        table = db.table("crawls")
        table.insert({"spider": spider, "arguments": json.dumps(arguments), "started_at": started_at})
        return int(str(table.last_pk))


def finish_crawl(
    store: Store,
    crawl_id: int,
    counts: dict[str, Any],
    finished_at: str,
    reason: str,
    walked: tuple[str, list[str]] | None = None,
) -> None:
    """Complete a `crawls` row with the run's counts (column name → value) and why it finished; `walked`
    (site, section names) records the sections this crawl walked to their end: every statement stored by
    now, and every one older in their listings, is stored."""
    with store.transaction() as db:
        db.table("crawls").update(crawl_id, {**counts, "finished_at": finished_at, "finish_reason": reason})
        site, sections = walked or ("", [])
        for section in sections:
            db.table("sections").upsert(
                {"site": site, "section": section, "walked_at": finished_at, "crawl_id": crawl_id},
                pk=("site", "section"),
            )


def known_statements(store: Store, ids: list[str]) -> dict[str, str]:
    """Which of these statement ids are stored: id → first_seen_at (ISO 8601 UTC)."""
    known: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        known.update(
            store.db.execute(
                f"select id, first_seen_at from statements where id in ({', '.join('?' * len(chunk))})", chunk
            ).fetchall()
        )
    return known


def section_walked_at(store: Store, site: str, section: str) -> str | None:
    """When (ISO 8601 UTC, the end of the crawl) a section was last walked to its end or to statements already
    stored before, or None: every statement first seen by then, and everything older than it in the listing, is
    stored."""
    row = store.db.execute(
        "select walked_at from sections where site = ? and section = ?", [site, section]
    ).fetchone()
    return row[0] if row else None


def _by_reason(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}


def crawl_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The `crawls` columns a run's Scrapy stats give (see `StorePipeline` and the spiders for the keys)."""
    rejected = {
        key.removeprefix("statements/rejected/"): value
        for key, value in stats.items()
        if key.startswith("statements/rejected/")
    }
    sections = {
        key.removeprefix("statements/section/").removesuffix("/links"): value
        for key, value in stats.items()
        if key.startswith("statements/section/") and key.endswith("/links")
    }
    failed_listings = {
        key.removeprefix("statements/section/").removesuffix("/failed_listings"): value
        for key, value in stats.items()
        if key.startswith("statements/section/") and key.endswith("/failed_listings")
    }
    return {
        "sections": json.dumps(sections, sort_keys=True),
        "failed_listings": json.dumps(failed_listings, sort_keys=True),
        "soft_404s": rejected.get("soft-404", 0) + stats.get("statements/soft_404_listings", 0),
        "requests": stats.get("downloader/request_count", 0),
        "listing_pages": stats.get("statements/listing_pages", 0),
        "statement_pages": stats.get("statements/statement_pages", 0),
        "new": stats.get("statements/new", 0),
        "updated": stats.get("statements/updated", 0),
        "unchanged": stats.get("statements/unchanged", 0),
        "rejected": sum(rejected.values()),
        "rejected_reasons": json.dumps(rejected, sort_keys=True),
        "out_of_range": stats.get("statements/out_of_range", 0),
        "dateless": stats.get("statements/dateless", 0),
        "http_errors": stats.get("statements/http_errors", 0),
        "fetch_errors": stats.get("statements/fetch_errors", 0),
        "faults": json.dumps(_by_reason(stats, "statements/faults/"), sort_keys=True),
        "retried": json.dumps(_by_reason(stats, "statements/retried/"), sort_keys=True),
        "errors": stats.get("log_count/ERROR", 0),
        "incomplete": stats.get("statements/incomplete", 0),
        "problems": json.dumps(stats.get("statements/problems", []), ensure_ascii=False),
    }
