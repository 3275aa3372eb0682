"""Full-text search over a statements database.

A query with CJK characters searches the bigram index `statements_fts_zh` (see `statements.cjk`): each of its
space-separated words is found exactly where it occurs as a substring, in title or body, and all words must be
present. Any other query goes to `statements_fts`, the porter-stemmed word index, in FTS5 query syntax, exactly
as `sqlite-utils search` passes it ("sanction" finds "sanctions"; `"one country two systems"` is a phrase; `Hong
AND Kong`, `Diaoyu OR Senkaku`, `Xinjiang NOT cotton`). Hits are ranked by relevance (bm25), then newest first.

The work of a search is bounded, so that no query keeps it (or a server offering it) busy: a query longer than
`MAX_QUERY_CHARS` characters or with more than `MAX_QUERY_TERMS` terms is refused (`BadQuery`), and a search
still running after `QUERY_SECONDS` is interrupted and refused too. FTS5 hands every occurrence of every term of
the query in a hit to its ranking and snippet functions; its snippet() compared each occurrence with all the
others, so that 200 ORed "a"s took minutes: English snippets are made here from highlight(), in time linear in
the occurrences (`_snippet`), and ranking costs about terms × occurrences a hit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from statements import cjk
from statements.speakers import person_filter
from statements.store import Store

SNIPPET_CHARS = 40
"""Characters of context on each side of a hit in a CJK snippet."""
SNIPPET_TOKENS = 16
"""Words in the snippet of an English hit."""
RANK_LIMIT = 2_000
"""Most hits of a query ranked by relevance; beyond, only the newest are (see `search`). bm25 costs about 10 µs
a hit at a million statements (benchmarks/million.py): 2,000 keeps a search near 10 ms warm."""


MAX_QUERY_CHARS = 1_000
"""Longest query accepted, in characters: a long quoted sentence fits."""
MAX_QUERY_TERMS = 32
"""Most terms in a query: words and "quoted phrases" (a phrase is one term whatever its length; AND, OR, NOT,
NEAR, parentheses and column names are not terms); in a Chinese query, its space-separated words. A hit costs
about terms × occurrences to rank: 32 ORed "the"s take 0.3 s over the 500 English statements of the 2020
recording, 2.3 s over the 1,615 White House briefings (40 KB each)."""
QUERY_SECONDS = 5.0
"""Longest a search may run, in seconds (a search takes milliseconds: benchmarks/README.md); SQLite is interrupted
after that and the search raises `BadQuery`."""
_PROGRESS_STEPS = 1_000
"""SQLite virtual machine instructions between two looks at the clock (FTS5's reads of its index count too)."""

_QUERY_TOKEN = re.compile(
    r'(?P<string>"(?:[^"]|"")*"?)|NEAR\s*\(|,\s*[0-9]+'
    r"|(?P<word>(?:[^\x00-\x7f]|[A-Za-z0-9_\x1a])++)(?P<column>\s*:)?"
)
"""The parts of an FTS5 query that count: a string in double quotes (a phrase); "NEAR(" and a NEAR distance
(",10"), which are no terms; a bareword (FTS5's bareword characters), a column name when ":" follows."""
_OPERATORS = frozenset({"AND", "OR", "NOT"})

_OPEN, _CLOSE = "\x02", "\x03"
"""Marks of a hit in FTS5's highlight(): control characters, which `pipelines.normalize` drops from every text, so
that brackets in a text ("[Laughter]") are never taken for a hit."""
_HIT = re.compile(f"({_OPEN}[^{_CLOSE}]*{_CLOSE})")
_TOKEN = re.compile(r"[^\W_]+")
"""A word as FTS5's unicode61 tokenizer cuts it: letters and digits."""
_ENOUGH_WORDS = re.compile(rf"(?:[\W_]*+[^\W_]++){{{SNIPPET_TOKENS}}}")
"""`SNIPPET_TOKENS` words (possessive: a word is never cut in two), to tell a long stretch in one call."""
_SENTENCE_START = re.compile(f"[.:][ \t\r\n]+(?={_OPEN}?[^\\W_])")
"""Where a sentence starts for FTS5's snippet(): after a full stop or colon and spaces, at a word (or at the
mark of a hit)."""
_PREFIX = re.compile(r'([^\W_]+)"?\s*\*')
"""A prefix term of an FTS5 query (sanction*, "united nat"*): its prefix."""
_ENDINGS = ("ing", "ed")
_SUFFIXES = tuple("ation ition ance ence ancy ency ment ness ion ism ist ity ful er".split())
"""Endings and suffixes that `_stem` drops, one of each at most."""

_QUERY_ERRORS = ("fts5", "syntax error", "unterminated string", "no such column", "unknown special query")
"""Words of SQLite's messages for a malformed FTS5 query (as opposed to a database fault)."""


class BadQuery(ValueError):
    """The query is empty, too long, not valid FTS5 syntax or too costly to run; the message says why."""


def _check(query: str) -> None:
    """Raise `BadQuery` if the query is empty, longer than `MAX_QUERY_CHARS` or has more than `MAX_QUERY_TERMS`
    terms."""
    if not query.strip():
        raise BadQuery("empty query")
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"query too long: {len(query):,} characters, at most {MAX_QUERY_CHARS:,}")
    if cjk.has_cjk(query):
        terms = len(query.split())
    else:
        terms = sum(
            1
            for token in _QUERY_TOKEN.finditer(query)
            if token["string"] or (token["word"] and not token["column"] and token["word"] not in _OPERATORS)
        )
    if terms > MAX_QUERY_TERMS:
        raise BadQuery(f'query too long: {terms:,} terms, at most {MAX_QUERY_TERMS} (words and "phrases")')


def _too_costly() -> BadQuery:
    """The error of a search stopped after `QUERY_SECONDS`."""
    return BadQuery(
        f"query too costly: stopped after {QUERY_SECONDS:g} s (search rarer words, fewer terms or prefixes)"
    )


@contextmanager
def _time_limit(store: Store) -> Iterator[float]:
    """Interrupt the SQL run inside after `QUERY_SECONDS`, and raise `BadQuery` then; yields the deadline (on
    `time.monotonic`) for the work done in Python. SQLite asks the progress handler every `_PROGRESS_STEPS`
    instructions, inside FTS5's reads of its index too; a ranking or highlight function is never cut in the
    middle of a hit, whose cost the term limit bounds."""
    deadline = time.monotonic() + QUERY_SECONDS
    stopped = False

    def stop() -> bool:
        nonlocal stopped
        stopped = time.monotonic() > deadline
        return stopped

    connection = store.db.conn
    connection.set_progress_handler(stop, _PROGRESS_STEPS)
    try:
        yield deadline
    except (sqlite3.OperationalError, BadQuery):
        if not stopped:  # "interrupted", or what the statement interrupted made of it
            raise
        raise _too_costly() from None
    finally:
        connection.set_progress_handler(None, 0)


@dataclass(frozen=True)
class Filters:
    """Conditions a hit must meet besides matching the query.

    Attributes:
        site: spider name ("fmprc_en"), or None for any.
        language: ISO 639-1 code, or None for any.
        kind: press_conference, remarks, …, or None for any.
        speaker: a person who must be among the statement's speakers, by any of their names in any case ("Mr.
            Froman", "michael froman": see `statements.speakers`), or None.
        since: first ISO date of the range (inclusive), or None.
        until: last ISO date of the range (inclusive), or None.
        seen_since: only statements first stored, or changed, at or after this ISO 8601 UTC time, or None.
    """

    site: str | None = None
    language: str | None = None
    kind: str | None = None
    speaker: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    seen_since: str | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """The WHERE conditions on table `s` (statements), each starting with " and ", and their named
        parameters (:site, :language, :kind, :speaker, :since, :until, :seen_since)."""
        conditions, params = [], {}
        for column in ("site", "language", "kind"):
            value = getattr(self, column)
            if value is not None:
                conditions.append(f"s.{column} = :{column}")
                params[column] = value
        if self.speaker is not None:
            conditions.append(person_filter("s.id", "speaker"))
            params["speaker"] = self.speaker
        if self.since is not None:
            conditions.append("s.date >= :since")
            params["since"] = self.since.isoformat()
        if self.until is not None:
            conditions.append("s.date <= :until")
            params["until"] = self.until.isoformat()
        if self.seen_since is not None:
            conditions.append(
                "(s.first_seen_at >= :seen_since or s.id in"
                " (select statement_id from statement_versions where replaced_at >= :seen_since))"
            )
            params["seen_since"] = self.seen_since
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
    # in one pass, longest first: a word repeated or within another (香港, 香港国安法) is marked once
    marked = re.compile("|".join(map(re.escape, sorted(set(words), key=len, reverse=True))))
    snippet = marked.sub(lambda hit: f"[{hit.group()}]", snippet)
    return ("…" if left else "") + snippet.replace("\n\n", " ") + ("…" if right < len(text) else "")


def _run(store: Store, sql: str, params: dict[str, Any], query: str) -> list[tuple[Any, ...]]:
    try:
        return store.db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as error:
        if any(sign in str(error) for sign in _QUERY_ERRORS):
            raise BadQuery(f"{query!r} is not a valid full-text query ({error})") from None
        raise


def _word_snippets(store: Store, match: str, rowids: list[int], deadline: float) -> dict[int, str]:
    """rowid → snippet (hits between [ and ]) of the given statements for an FTS5 query, in one pass of the MATCH
    over the rowids' range. The rowid list is kept from FTS5 (`+rowid`): given it, FTS5 would run the MATCH again
    for each rowid, expanding a prefix query each time; joined to a ranked subquery instead, SQLite would run it
    again for each hit. highlight() marks the hits and `_snippet` picks the window: FTS5's snippet() scores every
    window against every hit of the statement, a cost that grows with the square of the hits (8 ORed "the"s: a
    second for one long briefing). Raises `BadQuery` after `deadline`."""
    if not rowids:
        return {}
    rows = store.db.execute(
        "select rowid, highlight(statements_fts, 0, :open, :close), highlight(statements_fts, 1, :open, :close)"
        " from statements_fts where statements_fts match :match and rowid between :first and :last"
        " and +rowid in (select value from json_each(:rowids))",
        {
            "open": _OPEN,
            "close": _CLOSE,
            "match": match,
            "first": min(rowids),
            "last": max(rowids),
            "rowids": json.dumps(rowids),
        },
    ).fetchall()
    prefixes = [_stem(prefix) for prefix in _PREFIX.findall(match)]  # as the porter tokenizer sees them
    snippets = {}
    for rowid, title, body in rows:
        if time.monotonic() > deadline:
            raise _too_costly()
        snippets[rowid] = _snippet([title or "", body or ""], prefixes)
    return snippets


@lru_cache(maxsize=4_096)
def _stem(word: str) -> str:
    """A rough stem of an English word: lowercase, a plural, an `_ENDINGS` and a `_SUFFIXES` dropped, at most 6
    letters. The forms that one query word finds through the porter tokenizer mostly share it (sanction,
    sanctions, sanctioned; policy, policies; terror, terrorism; election, elected)."""
    word = word.lower()
    for suffix, replacement in (("sses", "ss"), ("ies", "y"), ("ss", "ss"), ("s", "")):
        if word.endswith(suffix):
            word = word[: -len(suffix)] + replacement
            break
    for suffixes, shortest in ((_ENDINGS, 3), (_SUFFIXES, 4)):
        for suffix in suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
                word = word[: -len(suffix)]
                if word[-1] == word[-2] and word[-1] not in "aeiouls":  # stepping, stepped: step
                    word = word[:-1]
                break
    return word.rstrip("e").replace("y", "i")[:6]


def _count(text: str, start: int, end: int) -> int:
    """Words in text[start:end], counted up to `SNIPPET_TOKENS` (more are never in the same window)."""
    if _ENOUGH_WORDS.match(text, start, end):
        return SNIPPET_TOKENS
    return len(_TOKEN.findall(text, start, end))


def _sentence(marked: str, start: int, end: int) -> int | None:
    """How many words before `end` the last sentence that starts in marked[start:end] (a stretch without hits)
    starts, counted up to `SNIPPET_TOKENS`: 0 when one starts at `end`, None when none starts in the stretch."""
    stop = min(len(marked), end + 2)  # the lookahead sees the mark of the hit at `end` and its first letter
    size = 64 * SNIPPET_TOKENS
    while True:
        low = max(start, end - size)
        last = None
        for match in _SENTENCE_START.finditer(marked, low, stop):
            last = match
        if last is not None:
            return _count(marked, last.end(), end)
        if low == start:
            return None
        if _count(marked, low, end) == SNIPPET_TOKENS:  # one starts further back, if any
            return SNIPPET_TOKENS if _SENTENCE_START.search(marked, start, stop) else None
        size *= 4


def _runs(marked: str, prefixes: list[str]) -> tuple[list[tuple[int, int, str, int, int | None]], int]:
    """The hits of a column's text as highlight() marked them, in time linear in the hits, not in the text:
    (word, words, phrase, offset of the mark, first word of its sentence or None) for each marked run of words,
    and the words of the text. Word numbers count at most `SNIPPET_TOKENS` words for a stretch without hits: no
    window holds more. The phrase tells the query's phrases apart: the stems of the words, or for a word that
    starts with a prefix of the query, the prefix. The sentence is None when it starts in a stretch too far
    back for a window from there to hold a hit."""
    runs: list[tuple[int, int, str, int, int | None]] = []
    word = offset = 0
    sentence: int | None = 0
    for index, part in enumerate(_HIT.split(marked)):
        end = offset + len(part)
        if index % 2 == 0:  # a stretch without hits
            word += _count(marked, offset, end)
            before = _sentence(marked, offset, end)
            if before is not None:
                sentence = word - before if before < SNIPPET_TOKENS else None
        else:
            words = _TOKEN.findall(part.lower())
            if words:
                prefix = next((p for p in prefixes if len(words) == 1 and words[0].startswith(p)), None)
                phrase = f"{prefix}*" if prefix else " ".join(map(_stem, words))
                runs.append((word, len(words), phrase, offset, sentence))
                word += len(words)
        offset = end
    return runs, word


def _window_score(runs: list[tuple[int, int, str, int, int | None]], firsts: list[int], start: int) -> int:
    """The score of the window of `SNIPPET_TOKENS` words from word `start`, as FTS5's snippet() scores it: 1,000
    for each run of a phrase first seen, 1 for each repeat."""
    seen: set[str] = set()
    score = 0
    for index in range(bisect_left(firsts, start), len(runs)):
        first, _, phrase, _, _ = runs[index]
        if first >= start + SNIPPET_TOKENS:
            break
        score += 1 if phrase in seen else 1_000
        seen.add(phrase)
    return score


def _best_window(runs: list[tuple[int, int, str, int, int | None]], words: int) -> tuple[int, int]:
    """The best window of `SNIPPET_TOKENS` words of a column, as FTS5's snippet() chooses it but in time linear
    in the hits: (score, first word). A window starts at a hit, then is moved to centre its hits; the window
    that starts at the first word of the hit's sentence is worth 100 more (120 at the text's start)."""
    best = (0, 0)
    firsts = [first for first, _, _, _, _ in runs]
    sentence_scores: dict[int, int] = {}
    counts: dict[str, int] = {}  # phrases of the runs in the window → runs
    entered = 0
    for index, (first, _, phrase, _, sentence) in enumerate(runs):
        while entered < len(runs) and runs[entered][0] < first + SNIPPET_TOKENS:
            counts[runs[entered][2]] = counts.get(runs[entered][2], 0) + 1
            entered += 1
        score = 1_000 * len(counts) + (entered - index) - len(counts)
        span = runs[entered - 1][0] + runs[entered - 1][1] - first
        if score > best[0]:  # centred (rounded toward 0: a phrase longer than the window is cut at both ends)
            best = (score, max(0, min(first - int((SNIPPET_TOKENS - span) / 2), words - SNIPPET_TOKENS)))
        counts[phrase] -= 1
        if not counts[phrase]:
            del counts[phrase]
        if words > SNIPPET_TOKENS and sentence is not None and sentence < first:
            if sentence not in sentence_scores:
                bonus = 120 if sentence == 0 else 100
                sentence_scores[sentence] = _window_score(runs, firsts, sentence) + bonus
            if sentence_scores[sentence] > best[0]:
                best = (sentence_scores[sentence], sentence)
    return best


def _snippet(columns: list[str], prefixes: list[str]) -> str:
    """The snippet of a statement from its columns as highlight() marked them: the best window of
    `SNIPPET_TOKENS` words of any column (the first column at equal scores), its hits between [ and ], "…" where
    the text goes on. `prefixes`: of the query's prefix terms ("sanction*"), as the porter tokenizer sees them."""
    best = (0, 0, 0)
    found = []
    for column, marked in enumerate(columns):
        runs, words = _runs(marked, prefixes)
        found.append(runs)
        score, start = _best_window(runs, words)
        if score > best[0]:
            best = (score, column, start)
    _, column, start = best
    marked, runs = columns[column], found[column]
    begin = 0
    if start:  # the window's first word, found from a run near it: word numbers are exact there
        index = bisect_right([first for first, _, _, _, _ in runs], start) - 1
        if index >= 0 and runs[index][0] + runs[index][1] > start:  # inside a run (a long phrase)
            first, _, _, offset, _ = runs[index]
            begin = list(islice(_TOKEN.finditer(marked, offset), start - first + 1))[-1].start()
        else:  # some words before the next run
            first, _, _, offset, _ = runs[index + 1]
            back, size = first - start, 64 * SNIPPET_TOKENS
            while True:
                low = max(0, offset - size)
                before = list(_TOKEN.finditer(marked, low, offset))
                if len(before) > back or low == 0:
                    break
                size *= 4
            begin = before[-back].start()
    window = list(islice(_TOKEN.finditer(marked, begin), SNIPPET_TOKENS))
    end = window[-1].end() if window and _TOKEN.search(marked, window[-1].end()) else len(marked)
    text = marked[begin:end]
    opened, closed = text.find(_OPEN), text.find(_CLOSE)
    if closed >= 0 and not 0 <= opened < closed:  # the window starts inside a run
        text = _OPEN + text
    if text.rfind(_OPEN) > text.rfind(_CLOSE):  # it ends inside one
        text += _CLOSE
    text = text.replace(_OPEN, "[").replace(_CLOSE, "]")
    return ("…" if start else "") + text + ("…" if end < len(marked) else "")


def statement_match(query: str) -> tuple[str, str]:
    """(index table, MATCH expression) that finds the statements matching `query` (see the module docstring):
    `statements_fts_zh` and the phrases of its words' bigrams for a query with CJK characters, else
    `statements_fts` and the query itself. The index's rowids are the statements' rowids.

    Raises:
        BadQuery: the query is empty or longer than `MAX_QUERY_CHARS` characters or `MAX_QUERY_TERMS` terms.
    """
    _check(query)
    if cjk.has_cjk(query):
        return "statements_fts_zh", " ".join(cjk.match_phrase(word) for word in query.split())
    return "statements_fts", query


def turn_match(query: str) -> tuple[str, str]:
    """(index table, MATCH expression) that finds the turns matching `query`, as `statement_match` does for
    statements: `turns_fts_zh` or `turns_fts`, whose rowids are the turns' rowids.

    Raises:
        BadQuery: as `statement_match`.
    """
    _check(query)
    if cjk.has_cjk(query):
        return "turns_fts_zh", " ".join(cjk.match_phrase(word) for word in query.split())
    return "turns_fts", query


def match_condition(
    query: str, rowid: str = "rowid", turns: bool = False, param: str = "match"
) -> tuple[str, dict[str, str]]:
    """An SQL condition on the rowid column `rowid` of statements (of turns with `turns`) that holds for exactly
    the rows `search` (`search_turns`) finds for `query`, and its parameter: for other tools that search the same
    way (the Datasette plugin's ?_search=).

    Raises:
        BadQuery: as `statement_match`.
    """
    table, match = turn_match(query) if turns else statement_match(query)
    return f"{rowid} in (select rowid from {table} where {table} match :{param})", {param: match}


def count_matches(store: Store, query: str, filters: Filters | None = None) -> int:
    """How many statements `search` finds for `query` with `filters`, all of them (not only `limit`).

    Raises:
        BadQuery: as `search`.
    """
    condition, params = match_condition(query, "s.rowid")
    where, more = (filters or Filters()).sql()
    with _time_limit(store):
        return _run(
            store, f"select count(*) from statements s where {condition}{where}", {**params, **more}, query
        )[0][0]


def search(store: Store, query: str, filters: Filters | None = None, limit: int = 20) -> list[Hit]:
    """Statements matching `query` (see the module docstring), best first.

    A word found in more than `RANK_LIMIT` statements is ranked among its newest `RANK_LIMIT` hits only
    (statement rowids follow dates, see `statements.writer.date_rowid`), widened until `limit` hits pass the
    filters: ranking every hit of a word found in most statements is what makes full-text search slow.

    Args:
        store: the database (may be read only).
        query: words to find; FTS5 syntax for non-CJK queries.
        filters: other conditions (None: none).
        limit: most hits returned (≥ 1).

    Raises:
        BadQuery: the query is empty, longer than `MAX_QUERY_CHARS` characters or `MAX_QUERY_TERMS` terms, or
            its FTS5 syntax is invalid; or the search ran longer than `QUERY_SECONDS` and was stopped.
    """
    table, match = statement_match(query)
    where, params = (filters or Filters()).sql()
    params["limit"] = limit
    params["match"] = match
    columns = "s.id, s.url, s.title, s.date, s.site, s.language, s.kind"
    words: list[str] = []
    if table == "statements_fts_zh":
        words = query.split()
        sql = (
            f"select {columns}, s.body from statements_fts_zh f join statements s on s.id = f.statement_id"
            f" where statements_fts_zh match :match and f.rowid >= :newest{where}"
            f" order by bm25(statements_fts_zh), s.date desc limit :limit"
        )
    else:
        # Rank the hits first; snippets are made afterwards for the few kept (see `_word_snippets`).
        sql = (
            f"select {columns}, s.rowid from statements_fts f join statements s on s.rowid = f.rowid"
            f" where statements_fts match :match and f.rowid >= :newest{where}"
            f" order by f.rank, s.date desc limit :limit"
        )
    with _time_limit(store) as deadline:
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
        snippets = {} if words else _word_snippets(store, params["match"], [row[7] for row in rows], deadline)
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
        BadQuery: the query is empty, too long or not valid FTS5 syntax, or the search was stopped after
            `QUERY_SECONDS` (see `search`).
    """
    source, where, params = _turn_conditions(query, filters, outlet, role)
    params["limit"] = limit
    sql = (
        "select t.statement_id, s.url, s.date, s.site, t.position, t.role, t.speaker, t.outlet, t.follow_up, t.text"
        f" from {source} join statements s on s.id = t.statement_id where 1{where}"
        " order by s.date desc, s.id, t.position limit :limit"
    )
    with _time_limit(store):
        rows = _run(store, sql, params, query or "")
    return [
        TurnHit(statement_id, url, date, site, position, role, speaker, outlet, bool(follow_up), text)
        for statement_id, url, date, site, position, role, speaker, outlet, follow_up, text in rows
    ]


def _turn_conditions(
    query: str | None, filters: Filters | None, outlet: str | None, role: str | None
) -> tuple[str, str, dict[str, Any]]:
    """(FROM clause, WHERE conditions each starting with " and ", parameters) of `search_turns`."""
    filters = filters or Filters()
    speaker = filters.speaker
    where, params = dataclasses.replace(filters, speaker=None).sql()
    if speaker is not None:
        where += " and " + person_filter("t.statement_id", "turn_speaker", "t.speaker")
        params["turn_speaker"] = speaker
    if outlet is not None:
        where += " and instr(lower(t.outlet), lower(:outlet)) > 0"
        params["outlet"] = outlet
    if role is not None:
        where += " and t.role = :role"
        params["role"] = role
    source = "turns t"
    if query is not None:
        table, params["match"] = turn_match(query)
        if table == "turns_fts_zh":
            source = (
                "turns_fts_zh f join turns t on t.statement_id = f.statement_id and t.position = f.position"
            )
        else:
            source = "turns_fts f join turns t on t.rowid = f.rowid"
        where += f" and {table} match :match"
    return source, where, params


def count_turns(
    store: Store,
    query: str | None = None,
    filters: Filters | None = None,
    outlet: str | None = None,
    role: str | None = None,
) -> int:
    """How many turns `search_turns` finds with these arguments, all of them (not only `limit`).

    Raises:
        BadQuery: as `search_turns`.
    """
    source, where, params = _turn_conditions(query, filters, outlet, role)
    sql = f"select count(*) from {source} join statements s on s.id = t.statement_id where 1{where}"
    with _time_limit(store):
        return _run(store, sql, params, query or "")[0][0]


def pair_turns(store: Store, turns: list[TurnHit]) -> list[tuple[TurnHit, TurnHit | None]]:
    """Each question with its answer: (question, the answer after it or None) for each question of `turns`, and
    for each answer whose question is not among them, (its question, the answer). The answer of a question is
    the first answer after it in the transcript before the next question; an answer's question is the last
    question before it. Order of `turns` kept; a pair is listed once."""
    pairs: list[tuple[TurnHit, TurnHit | None]] = []
    seen: set[tuple[str, int]] = set()
    columns = (
        "t.statement_id, s.url, s.date, s.site, t.position, t.role, t.speaker, t.outlet, t.follow_up, t.text"
    )
    for turn in turns:
        if turn.role == "question":
            row = store.db.execute(
                f"select {columns} from turns t join statements s on s.id = t.statement_id"
                " where t.statement_id = ? and t.position > ? and t.role in ('question', 'answer')"
                " order by t.position limit 1",
                [turn.statement_id, turn.position],
            ).fetchone()
            answer = _turn_hit(row) if row and row[5] == "answer" else None
            question: TurnHit | None = turn
        elif turn.role == "answer":
            row = store.db.execute(
                f"select {columns} from turns t join statements s on s.id = t.statement_id"
                " where t.statement_id = ? and t.position < ? and t.role in ('question', 'answer')"
                " order by t.position desc limit 1",
                [turn.statement_id, turn.position],
            ).fetchone()
            question = _turn_hit(row) if row and row[5] == "question" else None
            answer = turn
        else:
            continue
        key = (turn.statement_id, question.position if question else turn.position)
        if key in seen:
            continue
        seen.add(key)
        if question is None:
            pairs.append((turn, None))
        else:
            pairs.append((question, answer))
    return pairs


def _turn_hit(row: tuple[Any, ...]) -> TurnHit:
    statement_id, url, date, site, position, role, speaker, outlet, follow_up, text = row
    return TurnHit(statement_id, url, date, site, position, role, speaker, outlet, bool(follow_up), text)
