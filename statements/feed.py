"""Atom feeds (RFC 4287) of statements: the newest first stored, for feed readers, per site, speaker or search.

An entry is a statement: its canonical URL is its id and its link, `updated` is when it was first stored or last
changed, `published` the time the page gives (else its date, at midnight UTC), its speakers are its authors
(else its office), its first paragraph the summary and its body the content (text).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree as ET

from crawler.sites import SITES
from statements.search import Filters, count_matches, match_condition
from statements.store import Store

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)

ENTRY_COLUMNS = (
    "s.id, s.url, s.title, s.date, s.published_at, s.site, s.language, s.kind, s.speakers, s.body,"
    " s.first_seen_at, (select max(replaced_at) from statement_versions v where v.statement_id = s.id)"
)


def feed_entries(
    store: Store, filters: Filters | None = None, query: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The `limit` statements matching `filters` (and the search `query`, as `statements search` finds it) first
    stored most recently, newest first (an index gives them in that order): dicts with the columns of `ENTRY_COLUMNS` (speakers a list,
    `updated` the later of first_seen_at and the last change).

    Raises:
        statements.search.BadQuery: the query is not valid (see `statements.search`).
    """
    where, params = (filters or Filters()).sql()
    if query is not None:
        count_matches(store, query)  # checks the query and bounds its cost, as the search does
        condition, more = match_condition(query, "s.rowid")
        where += f" and {condition}"
        params.update(more)
    rows = store.db.execute(
        f"select {ENTRY_COLUMNS} from statements s where 1{where}"
        " order by s.first_seen_at desc, s.date desc limit :limit",
        {**params, "limit": limit},
    ).fetchall()
    keys = ("id", "url", "title", "date", "published_at", "site", "language", "kind", "speakers", "body")
    entries = []
    for row in rows:
        entry = dict(zip(keys, row[:10], strict=True))
        entry["speakers"] = json.loads(entry["speakers"] or "[]")
        entry["updated"] = max(row[10] or "", row[11] or "")
        entries.append(entry)
    return entries


def _timestamp(value: str | None) -> str:
    """An RFC 3339 date-time from a stored ISO time or date (a date is taken at midnight UTC)."""
    if not value:
        return "1970-01-01T00:00:00Z"
    if len(value) == 10:
        return f"{value}T00:00:00Z"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.isoformat()


def atom_feed(entries: list[dict[str, Any]], title: str, feed_id: str, self_url: str | None = None) -> bytes:
    """The Atom document (UTF-8 bytes) of `entries` (as `feed_entries` gives them).

    Args:
        entries: the statements, newest first.
        title: the feed's title ("fmprc_en: new statements").
        feed_id: a permanent IRI naming this feed (the same feed must keep it).
        self_url: where the feed is served, when it is (its rel="self" link).
    """
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    updated = max((entry["updated"] for entry in entries), default="")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _timestamp(updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "ministry statements"
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "ministry statements"
    if self_url:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    for entry in entries:
        element = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(element, f"{{{ATOM}}}id").text = entry["url"]
        ET.SubElement(element, f"{{{ATOM}}}title").text = entry["title"]
        ET.SubElement(element, f"{{{ATOM}}}updated").text = _timestamp(entry["updated"])
        ET.SubElement(element, f"{{{ATOM}}}published").text = _timestamp(
            entry["published_at"] or entry["date"]
        )
        site = SITES.get(entry["site"])
        for name in entry["speakers"] or [site.office if site else entry["site"]]:
            ET.SubElement(ET.SubElement(element, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = name
        ET.SubElement(
            element, f"{{{ATOM}}}link", rel="alternate", href=entry["url"], hreflang=entry["language"]
        )
        ET.SubElement(element, f"{{{ATOM}}}category", term=entry["kind"])
        ET.SubElement(element, f"{{{ATOM}}}summary").text = entry["body"].split("\n\n", 1)[0]
        content = ET.SubElement(element, f"{{{ATOM}}}content", type="text")
        content.text = entry["body"]
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="utf-8", xml_declaration=False
    )
