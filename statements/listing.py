"""Statements without a query: the newest matching some filters, what arrived since a time, who speaks, which
outlets ask, and the values a filter may take. The reads behind `statements list`, `new`, `speakers`, `outlets`
and the feeds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crawler.sites import SITES
from statements.search import Filters
from statements.speakers import speaker_counts
from statements.store import Store

KINDS = ("press_conference", "remarks", "speech", "meeting", "statement", "interview", "news")
"""Kinds a statement may have (`pipelines.normalize`, the sites' kind rules)."""


class UnknownValue(ValueError):
    """A filter value that no statement can have; the message names the known ones."""


def known_values(store: Store, column: str) -> list[str]:
    """The values a filter on `column` (site, language or kind) may take: those of the known sites and kinds,
    and those stored (read from an index)."""
    declared = {
        "site": set(SITES),
        "language": {site.language for site in SITES.values()},
        "kind": set(KINDS),
    }[column]
    stored = {row[0] for row in store.db.execute(f"select distinct {column} from statements") if row[0]}
    return sorted(declared | stored)


def check_value(store: Store, column: str, value: str | None) -> str | None:
    """`value` as stored (case ignored: "FMPRC_EN" is fmprc_en), or None for None.

    Raises:
        UnknownValue: no site, language or kind has that value; the message lists the known ones.
    """
    if value is None:
        return None
    known = known_values(store, column)
    for candidate in known:
        if candidate.casefold() == value.casefold():
            return candidate
    raise UnknownValue(f"unknown {column} {value!r}; known: {', '.join(known)}")


@dataclass(frozen=True)
class Listed:
    """One statement of a listing: id, url, title, date (ISO or None), site, language, kind, speakers (as
    stored), first_seen_at and version (above 1: changed since first seen)."""

    id: str
    url: str
    title: str
    date: str | None
    site: str
    language: str
    kind: str
    speakers: list[str]
    first_seen_at: str
    version: int

    def as_dict(self) -> dict[str, Any]:
        """The statement as a JSON-ready dict."""
        return dict(self.__dict__)


def list_statements(
    store: Store, filters: Filters | None = None, limit: int = 20, by: str = "date"
) -> tuple[list[Listed], int]:
    """The statements matching `filters`, newest first (`by` "date": by their date; "seen": by when they were
    first stored), at most `limit`, and how many match in all."""
    where, params = (filters or Filters()).sql()
    order = "s.date desc, s.id" if by == "date" else "s.first_seen_at desc, s.date desc, s.id"
    rows = store.db.execute(
        "select s.id, s.url, s.title, s.date, s.site, s.language, s.kind, s.speakers, s.first_seen_at, s.version"
        f" from statements s where 1{where} order by {order} limit :limit",
        {**params, "limit": limit},
    ).fetchall()
    total = store.db.execute(f"select count(*) from statements s where 1{where}", params).fetchone()[0]
    return [
        Listed(id_, url, title, date, site, language, kind, json.loads(speakers or "[]"), seen, version)
        for id_, url, title, date, site, language, kind, speakers, seen, version in rows
    ], total


def last_run_start(store: Store) -> str | None:
    """When the most recent crawl started (ISO 8601 UTC), or None when none ran."""
    row = store.db.execute("select max(started_at) from crawls").fetchone()
    return row[0] if row else None


def speakers(store: Store, filters: Filters | None = None) -> list[dict[str, Any]]:
    """Every person who speaks in the statements matching `filters` (with `speaker`: in that person's statements):
    name, statements, turns (answers and announcements), and the spellings merged into the name, most statements
    first."""
    where, params = (filters or Filters()).sql()
    turns = dict(
        store.db.execute(
            "select ss.name, count(*) from turns t join statement_speakers ss"
            " on ss.statement_id = t.statement_id and ss.speaker = t.speaker"
            f" join statements s on s.id = t.statement_id where 1{where} group by ss.name",
            params,
        ).fetchall()
    )
    return [
        {"name": name, "statements": count, "turns": turns.get(name, 0), "spellings": spellings}
        for name, count, spellings in speaker_counts(store.db, where, params)
    ]


def outlets(store: Store, filters: Filters | None = None) -> list[dict[str, Any]]:
    """Every outlet that asks questions in the transcripts matching `filters`, as the pages write it: outlet,
    questions, transcripts, most questions first."""
    where, params = (filters or Filters()).sql()
    rows = store.db.execute(
        "select t.outlet, count(*), count(distinct t.statement_id) from turns t"
        f" join statements s on s.id = t.statement_id where t.role = 'question' and t.outlet is not null{where}"
        " group by t.outlet order by 2 desc, 1",
        params,
    ).fetchall()
    return [{"outlet": outlet, "questions": count, "transcripts": docs} for outlet, count, docs in rows]
