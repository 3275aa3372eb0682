"""Run the item pipelines again over the raw pages stored in the database: no network, no recrawl.

A better cleaner, date rule or segmenter then reaches every statement already stored; an article split over several
pages is rebuilt from the stored bytes of all its parts (`pipelines.parts`). Statements whose text
changes get a new version (the previous text goes to `statement_versions`); metadata (date, kind, speakers)
and turns are refreshed; `last_seen_at` is left as it was, since nothing was seen again. A page that the
pipelines now reject leaves its stored statement as it is and is counted. Pages kept without a statement (they
matched no template of their site module: `pages.rejected_reason`) become statements once the module reads them,
counted as new.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterator

from crawler.items import PageItem, PagePart, Statement
from crawler.sites import get_site
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize
from pipelines.segment import segment
from statements.runs import utc_now
from statements.store import Store
from statements.translations import link_translations

logger = logging.getLogger(__name__)


def process_page(page: PageItem) -> Statement:
    """Extract, normalize and segment one recorded page, as the crawl's item pipelines do; sets
    `page.extracted` and `page.statement` and returns the statement.

    Raises:
        NotAStatement: the page is not a statement page (the reason says why).
        UnknownSiteError: `page.site` names no known site.
    """
    site = get_site(page.site)
    page.extracted = extract(page, site)
    page.statement = normalize(page, page.extracted, site)
    page.statement.turns = segment(page.statement, site)
    return page.statement


def count_pages(store: Store, site: str | None = None) -> int:
    """How many statement pages are stored (all sites, or one); the further parts of split articles are not
    counted: they come with their first page."""
    where, params = ("and site = ?", [site]) if site else ("", [])
    return int(
        store.db.execute(f"select count(*) from pages where part_of is null {where}", params).fetchone()[0]
    )


def stored_pages(store: Store, site: str | None = None) -> Iterator[PageItem]:
    """The statement pages stored in the database (all sites, or one), rebuilt as page items, one at a time, each
    with the further parts of its article where it was split (`PageItem.parts`, from the rows whose `part_of` is
    its URL, in order): memory holds one article whatever the size of the database, and the caller may write
    between two pages."""
    where, params = ("and site = ?", [site]) if site else ("", [])
    rowids = [
        rowid
        for (rowid,) in store.db.execute(
            f"select rowid from pages where part_of is null {where} order by rowid", params
        )
    ]
    for rowid in rowids:
        row = store.db.execute(
            "select site, url, status, headers, body, fetched_at, hints from pages where rowid = ?", [rowid]
        ).fetchone()
        if row is None:  # deleted meanwhile
            continue
        site_name, url, status, headers, body, fetched_at, hints = row
        rows = store.db.execute(
            "select url, status, headers, body, fetched_at, hints from pages where part_of = ?", [url]
        ).fetchall()
        rows.sort(key=lambda part: json.loads(part[5] or "{}").get("part", 0))
        parts = [
            PagePart(
                part_url,
                part_status,
                json.loads(part_headers or "{}"),
                zlib.decompress(part_body),
                fetched or "",
            )
            for part_url, part_status, part_headers, part_body, fetched, _ in rows
        ]
        yield PageItem(
            site=site_name,
            url=url,
            status=status,
            headers=json.loads(headers or "{}"),
            body=zlib.decompress(body),
            fetched_at=fetched_at or "",
            hints=json.loads(hints or "{}"),
            parts=parts,
        )


def reparse(
    store: Store, site: str | None = None, advance: Callable[[int], None] | None = None
) -> Counter[str]:
    """Re-run extract, normalize and segment over the stored pages, those kept without a statement included, and
    save what comes out.

    Args:
        store: a writable database.
        site: only this site's pages (spider name), or None for all.
        advance: called with 1 after each page (a progress bar's update).

    Returns:
        Counts: "new", "updated", "unchanged" (as `Store.save` returns them) and "rejected/<reason>".
    """
    counts: Counter[str] = Counter()
    now = utc_now()
    saved: dict[str, set[str]] = {}
    for page in stored_pages(store, site):
        try:
            statement = process_page(page)
        except NotAStatement as rejection:
            counts[f"rejected/{rejection.reason}"] += 1
            kept = store.db.execute(
                "select statement_id, rejected_reason from pages where url = ?", [page.url]
            ).fetchone()
            if kept is not None and kept[0] is None:
                if kept[1] != rejection.reason:
                    with store.transaction() as db:
                        db.execute(
                            "update pages set rejected_reason = ? where url = ?", [rejection.reason, page.url]
                        )
                logger.warning("still not a statement (%s), page kept: %s", rejection, page.url)
            else:
                logger.warning("now rejected (%s), stored statement kept: %s", rejection, page.url)
        else:
            counts[store.save(page, statement, now, touch=False)] += 1
            saved.setdefault(page.site, set()).add(statement.id)
        if advance is not None:
            advance(1)
    for name, ids in sorted(saved.items()):
        link_translations(store, name, ids)
    return counts
