"""Full-text search over a statements database.

A query with CJK characters searches the bigram index `statements_fts_zh` (see `pipelines.cjk`): each of its
space-separated words is found exactly where it occurs as a substring, in title or body, and all words must be
present. Any other query goes to `statements_fts`, the porter-stemmed word index, in FTS5 query syntax, exactly
as `sqlite-utils search` passes it ("sanction" finds "sanctions"; `"one country two systems"` is a phrase; `Hong
AND Kong`, `Diaoyu OR Senkaku`, `Xinjiang NOT cotton`). Hits are ranked by relevance (bm25), then newest first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from pipelines import cjk
from pipelines.store import Store

SNIPPET_CHARS = 40
"""Characters of context on each side of a hit in a CJK snippet."""
RANK_LIMIT = 2_000
"""Most hits of a query ranked by relevance; beyond, only the newest are (see `search`). bm25 costs about 10 µs
a hit at a million statements (benchmarks/million.py): 2,000 keeps a search near 10 ms warm."""


_QUERY_ERRORS = ("fts5", "syntax error", "unterminated string", "no such column", "unknown special query")
"""Words of SQLite's messages for a malformed FTS5 query (as opposed to a database fault)."""


class BadQuery(ValueError):
    """The query is empty or not valid FTS5 syntax; the message says why."""


@dataclass(frozen=True)
class Filters:
    """Conditions a hit must meet besides matching the query.

    Attributes:
        site: spider name ("fmprc_en"), or None for any.
        language: ISO 639-1 code, or None for any.
        kind: press_conference, remarks, …, or None for any.
        speaker: a name that must be among the statement's speakers, or None.
        since: first ISO date of the range (inclusive), or None.
        until: last ISO date of the range (inclusive), or None.
    """

    site: str | None = None
    language: str | None = None
    kind: str | None = None
    speaker: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """The WHERE conditions on table `s` (statements), each starting with " and ", and their named
        parameters (:site, :language, :kind, :speaker, :since, :until)."""
        conditions, params = [], {}
        for column in ("site", "language", "kind"):
            value = getattr(self, column)
            if value is not None:
                conditions.append(f"s.{column} = :{column}")
                params[column] = value
        if self.speaker is not None:
            conditions.append("exists (select 1 from json_each(s.speakers) where json_each.value = :speaker)")
            params["speaker"] = self.speaker
        if self.since is not None:
            conditions.append("s.date >= :since")
            params["since"] = self.since.isoformat()
        if self.until is not None:
            conditions.append("s.date <= :until")
            params["until"] = self.until.isoformat()
        return "".join(f" and {condition}" for condition in conditions), params


@dataclass(frozen=True)
class Hit:
    """One statement found: id, url, title, date (ISO or None), site, language, kind and a snippet with the
    matching words between [ and ]."""

    id: str
    url: str
    title: str
    date: str | None
    site: str
    language: str
    kind: str
    snippet: str

    def as_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict."""
        return asdict(self)


def _cjk_snippet(text: str, words: list[str]) -> str:
    positions = [(text.find(word), word) for word in words if word in text]
    if not positions:
        return text[: 2 * SNIPPET_CHARS].replace("\n\n", " ")
    start, word = min(positions)
    left = max(0, start - SNIPPET_CHARS)
    right = min(len(text), start + len(word) + SNIPPET_CHARS)
    snippet = text[left:right]
    for each in words:
        snippet = snippet.replace(each, f"[{each}]")
    return ("…" if left else "") + snippet.replace("\n\n", " ") + ("…" if right < len(text) else "")


def _run(store: Store, sql: str, params: dict[str, Any], query: str) -> list[tuple[Any, ...]]:
    try:
        return store.db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as error:
        if any(sign in str(error) for sign in _QUERY_ERRORS):
            raise BadQuery(f"{query!r} is not a valid full-text query ({error})") from None
        raise


def _word_snippets(store: Store, match: str, rowids: list[int]) -> dict[int, str]:
    """rowid → snippet (hits between [ and ]) of the given statements for an FTS5 query. One query by rowid list:
    joined to a ranked subquery instead, SQLite would run the MATCH again for each hit, reading the whole
    doclist of a common word each time (a second per search at a million statements)."""
    if not rowids:
        return {}
    marks = ", ".join("?" for _ in rowids)
    rows = store.db.execute(
        f"select rowid, snippet(statements_fts, -1, '[', ']', '…', 16) from statements_fts"
        f" where statements_fts match ? and rowid in ({marks})",
        [match, *rowids],
    ).fetchall()
    return dict(rows)


def search(store: Store, query: str, filters: Filters | None = None, limit: int = 20) -> list[Hit]:
    """Statements matching `query` (see the module docstring), best first.

    A word found in more than `RANK_LIMIT` statements is ranked among its newest `RANK_LIMIT` hits only
    (statement rowids follow dates, see `pipelines.store.date_rowid`), widened until `limit` hits pass the
    filters: ranking every hit of a word found in most statements is what makes full-text search slow.

    Args:
        store: the database (may be read only).
        query: words to find; FTS5 syntax for non-CJK queries.
        filters: other conditions (None: none).
        limit: most hits returned (≥ 1).

    Raises:
        BadQuery: the query is empty or its FTS5 syntax is invalid.
    """
    if not query.strip():
        raise BadQuery("empty query")
    where, params = (filters or Filters()).sql()
    params["limit"] = limit
    columns = "s.id, s.url, s.title, s.date, s.site, s.language, s.kind"
    words: list[str] = []
    if cjk.has_cjk(query):
        words = query.split()
        table = "statements_fts_zh"
        params["match"] = " ".join(cjk.match_phrase(word) for word in words)
        sql = (
            f"select {columns}, s.body from statements_fts_zh f join statements s on s.id = f.statement_id"
            f" where statements_fts_zh match :match and f.rowid >= :newest{where}"
            f" order by bm25(statements_fts_zh), s.date desc limit :limit"
        )
    else:
        table = "statements_fts"
        params["match"] = query
        # Rank the hits first; snippets are made afterwards for the few kept (see `_word_snippets`).
        sql = (
            f"select {columns}, s.rowid from statements_fts f join statements s on s.rowid = f.rowid"
            f" where statements_fts match :match and f.rowid >= :newest{where}"
            f" order by f.rank, s.date desc limit :limit"
        )
    found = _run(
        store,
        f"select count(*) from (select rowid from {table} where {table} match :match limit :cap)",
        {"match": params["match"], "cap": RANK_LIMIT + 1},
        query,
    )[0][0]
    cap = RANK_LIMIT
    while True:
        newest = None
        if found > cap:
            newest = _run(
                store,
                f"select rowid from {table} where {table} match :match order by rowid desc"
                f" limit 1 offset :offset",
                {"match": params["match"], "offset": cap - 1},
                query,
            )[0][0]
        rows = _run(store, sql, {**params, "newest": newest if newest is not None else -(2**63)}, query)
        if newest is None or len(rows) >= limit:
            break
        cap *= 8
    snippets = {} if words else _word_snippets(store, params["match"], [row[7] for row in rows])
    hits = []
    for row in rows:
        snippet = _cjk_snippet(f"{row[2]}\n\n{row[7]}", words) if words else snippets.get(row[7], "")
        statement_id, url, title, date, site, language, kind = row[:7]
        hits.append(
            Hit(statement_id, url, title, date, site, language, kind, re.sub(r"\s+", " ", snippet).strip())
        )
    return hits


@dataclass(frozen=True)
class TurnHit:
    """One turn found: its statement (id, url, date, site), position, role, speaker, outlet, follow_up, text."""

    statement_id: str
    url: str
    date: str | None
    site: str
    position: int
    role: str
    speaker: str | None
    outlet: str | None
    follow_up: bool
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The turn as a JSON-ready dict."""
        return asdict(self)


def search_turns(
    store: Store,
    query: str | None = None,
    filters: Filters | None = None,
    outlet: str | None = None,
    role: str | None = None,
    limit: int = 100,
) -> list[TurnHit]:
    """Turns of press conference transcripts, in date order (newest first), then transcript order.

    Args:
        store: the database (may be read only).
        query: words the turn's text must match, by the rules of `search` (English FTS5 syntax with stemming;
            Chinese words found wherever they occur); None for all turns.
        filters: conditions on the statement (site, language, kind, date range); `speaker` is the turn's speaker.
        outlet: only questions whose outlet contains this text (case-insensitive).
        role: only turns of this role (question, answer, statement, note).
        limit: most turns returned (≥ 1).

    Raises:
        BadQuery: the query is empty or its FTS5 syntax is invalid.
    """
    filters = filters or Filters()
    speaker = filters.speaker
    where, params = dataclasses.replace(filters, speaker=None).sql()
    params["limit"] = limit
    if speaker is not None:
        where += " and t.speaker = :turn_speaker collate nocase"
        params["turn_speaker"] = speaker
    if outlet is not None:
        where += " and instr(lower(t.outlet), lower(:outlet)) > 0"
        params["outlet"] = outlet
    if role is not None:
        where += " and t.role = :role"
        params["role"] = role
    source = "turns t"
    if query is not None:
        if not query.strip():
            raise BadQuery("empty query")
        if cjk.has_cjk(query):
            source = (
                "turns_fts_zh f join turns t on t.statement_id = f.statement_id and t.position = f.position"
            )
            where += " and turns_fts_zh match :match"
            params["match"] = " ".join(cjk.match_phrase(word) for word in query.split())
        else:
            source = "turns_fts f join turns t on t.rowid = f.rowid"
            where += " and turns_fts match :match"
            params["match"] = query
    sql = (
        "select t.statement_id, s.url, s.date, s.site, t.position, t.role, t.speaker, t.outlet, t.follow_up, t.text"
        f" from {source} join statements s on s.id = t.statement_id where 1{where}"
        " order by s.date desc, s.id, t.position limit :limit"
    )
    rows = _run(store, sql, params, query or "")
    return [
        TurnHit(statement_id, url, date, site, position, role, speaker, outlet, bool(follow_up), text)
        for statement_id, url, date, site, position, role, speaker, outlet, follow_up, text in rows
    ]
