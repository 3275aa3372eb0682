"""Store pipeline: statements, their versions, the raw pages and the run log in SQLite (sqlite-utils).

Tables (see DESIGN.md): `statements` (one row per canonical URL, `id` derived from it), `statement_versions`
(earlier texts of statements whose content hash changed), `pages` (the recorded bytes, zlib-compressed, with
status, headers, the encoding chosen and the listing hints, so `statements reparse` can rebuild everything),
`crawls` (one row per run, with counts) and the FTS5 table `statements_fts` over title and body (porter
stemming), which `sqlite-utils search` and Datasette use as is. Chinese statements are also indexed in
`statements_fts_zh`, as character bigrams (see `pipelines.cjk`). `turns` has `turns_fts` and `turns_fts_zh`.

How the indexes are kept in sync (see `FTS_TRIGGERS`): the store indexes each row it inserts, in the same
transaction; triggers change the index when a row's text is updated or the row deleted. There is no insert
trigger: a table trigger makes SQLite open a statement journal, and each one makes every FTS5 table of the
transaction write its pending terms to disk as a new segment, so a crawl wrote a segment per statement and per
turn and spent its time merging them (saving the 1,000 Chinese statements of the 2020 recording took 10.1 s with
sqlite-utils' triggers and a savepoint per statement, 5.0 s this way). Rows inserted by another program are
indexed the next time the store opens the file for writing (`Store.repair_indexes`).

The database is the checkpoint: a statement, its version row, its page, its turns and their index rows are
committed together or not at all, in a transaction that starts IMMEDIATE (a crawl's saves share one, committed
every `STATEMENTS_COMMIT_SECONDS`), in WAL mode so readers can query while a crawl writes. A statement that could
not be stored is counted in `Store.lost`, and a crawl that lost any does not record its sections as walked, so the
next incremental crawl looks for it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from scrapy import signals
from scrapy.exceptions import DropItem
from twisted.internet import task

from crawler.items import PageItem, Statement
from pipelines import cjk
from pipelines.translations import link_translations

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another writer's lock before failing, in milliseconds."""


ROWIDS_PER_DAY = 1_000_000


def date_rowid(date: str | None, statement_id: str) -> int:
    """The rowid a new statement gets: its date's day number × 1,000,000 plus a number from its id (undated
    statements: day 0). Rowid order is then date order, which lets search rank only the newest hits of a word
    found in very many statements (`pipelines.search`)."""
    day = dt.date.fromisoformat(date).toordinal() if date else 0
    return day * ROWIDS_PER_DAY + int(statement_id[:8], 16) % ROWIDS_PER_DAY


def utc_now() -> str:
    """The current time as an ISO 8601 string in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


TABLES: dict[str, tuple[dict[str, type], dict[str, Any]]] = {
    "statements": (
        {
            "id": str,
            "site": str,
            "language": str,
            "url": str,
            "title": str,
            "kind": str,
            "date": str,
            "date_source": str,
            "published_at": str,
            "speakers": str,
            "body": str,
            "content_hash": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "version": int,
            "site_language": str,
            "language_source": str,
        },
        {"pk": "id", "not_null": {"site", "language", "url", "title", "body", "content_hash", "version"}},
    ),
    "statement_versions": (
        {
            "statement_id": str,
            "version": int,
            "title": str,
            "body": str,
            "content_hash": str,
            "first_seen_at": str,
            "replaced_at": str,
        },
        {"pk": ("statement_id", "version"), "foreign_keys": [("statement_id", "statements", "id")]},
    ),
    "pages": (
        {
            "url": str,
            "statement_id": str,
            "site": str,
            "status": int,
            "headers": str,
            "body": bytes,
            "body_sha256": str,
            "encoding": str,
            "encoding_reason": str,
            "template": str,
            "fetched_at": str,
            "hints": str,
            "translations": str,
            "part_of": str,
        },
        {"pk": "url", "foreign_keys": [("statement_id", "statements", "id")]},
    ),
    "translations": (
        {"statement_id": str, "translated_id": str, "method": str},
        {
            "pk": ("statement_id", "translated_id"),
            "foreign_keys": [("statement_id", "statements", "id"), ("translated_id", "statements", "id")],
        },
    ),
    "crawls": (
        {
            "id": int,
            "spider": str,
            "arguments": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "requests": int,
            "listing_pages": int,
            "statement_pages": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "rejected": int,
            "rejected_reasons": str,
            "out_of_range": int,
            "dateless": int,
            "soft_404s": int,
            "http_errors": int,
            "fetch_errors": int,
            "faults": str,
            "retried": str,
            "errors": int,
            "sections": str,
            "incomplete": int,
        },
        {"pk": "id"},
    ),
    "sections": (
        {"site": str, "section": str, "walked_at": str, "crawl_id": int},
        {"pk": ("site", "section")},
    ),
    "turns": (
        {
            "statement_id": str,
            "position": int,
            "role": str,
            "speaker": str,
            "outlet": str,
            "follow_up": int,
            "text": str,
        },
        {
            "pk": ("statement_id", "position"),
            "foreign_keys": [("statement_id", "statements", "id")],
            "not_null": {"role", "text"},
        },
    ),
}
"""Every table of the database: columns (name → Python type) and sqlite-utils `create` options."""

INDEXES = (
    ("statements", ["url"], True),
    ("statements", ["site", "date"], False),
    ("pages", ["statement_id"], False),
    ("pages", ["part_of"], False),
    ("turns", ["outlet"], False),
    ("turns", ["speaker"], False),
)
"""(table, columns, unique) of every index."""

_INDEX_INSERTS = (
    "insert into statements_fts (rowid, title, body) values (?, ?, ?)",
    "insert into statements_fts_zh (rowid, statement_id, title, body) values (?, ?, ?, ?)",
    "insert into turns_fts (rowid, text) values (?, ?)",
    "insert into turns_fts_zh (rowid, statement_id, position, text) values (?, ?, ?, ?)",
)
"""The index rows `Store.save` writes for new rows: statement text, its bigrams, turn text, its bigrams."""

_CJK_LANGUAGE_LIST = sorted(cjk.CJK_LANGUAGES)
_CJK_STATEMENTS = f"language in ({', '.join('?' * len(_CJK_LANGUAGE_LIST))})"
"""The condition on `statements` of those in the bigram index (parameters: `_CJK_LANGUAGE_LIST`)."""
_CJK_TURNS = f"statement_id in (select id from statements where {_CJK_STATEMENTS})"
"""The condition on `turns` of those in the bigram index (same parameters)."""

FTS_TRIGGERS = {
    "statements_au": (
        "create trigger statements_au after update of title, body on statements begin"
        " insert into statements_fts (statements_fts, rowid, title, body)"
        " values ('delete', old.rowid, old.title, old.body);"
        " insert into statements_fts (rowid, title, body) values (new.rowid, new.title, new.body); end"
    ),
    "turns_au": (
        "create trigger turns_au after update of text on turns begin"
        " insert into turns_fts (turns_fts, rowid, text) values ('delete', old.rowid, old.text);"
        " insert into turns_fts (rowid, text) values (new.rowid, new.text); end"
    ),
    "statements_ai": None,
    "turns_ai": None,
}
"""The triggers that keep `statements_fts` and `turns_fts` in sync, replacing the ones sqlite-utils makes (name →
SQL; None: no such trigger). Update triggers fire only when the indexed text changes, so refreshing
`last_seen_at` re-indexes nothing; inserts are indexed by `Store.save` itself (see the module docstring). The
delete triggers are sqlite-utils' own."""

REQUIRED_TABLES = ("statements", "pages", "crawls", "statements_fts")
# `turns` and the later tables are created in older files of this project when they are opened for writing.
"""Tables every statements database has; a file without them was made by another tool."""


class StoreError(Exception):
    """The database cannot be used: missing, not SQLite, or made by another tool. The message says which."""


class Store:
    """The statements database.

    Args:
        path: SQLite file path, or ":memory:".
        readonly: open an existing database for reading only: nothing is created or changed.
        commit_seconds: 0 (the default): each `save` commits its own transaction. Above 0: saves share a write
            transaction, committed once it is that many seconds old, by `flush` and by `close` (a crawl: 0.5 s,
            `STATEMENTS_COMMIT_SECONDS`). A process killed meanwhile loses at most that much work, which the next
            crawl refetches; nothing half-written is ever committed (a statement that fails midway is undone by
            rolling the batch back and saving its other statements again).

    Writable, the schema is created when missing (and extended, never dropped, when an older version of this
    project made the file).

    Raises:
        StoreError: (read only) the file does not exist; (both) it is not an SQLite database, or it lacks the
            statements tables (another tool made it).
    """

    def __init__(self, path: str | Path, readonly: bool = False, commit_seconds: float = 0.0) -> None:
        self.path = str(path)
        self.readonly = readonly
        self.commit_seconds = commit_seconds
        self._batch_started: float | None = None
        self._batch: list[tuple[PageItem, Statement, str, bool]] = []
        self._index_queue: dict[str, list[tuple[Any, ...]]] = {sql: [] for sql in _INDEX_INSERTS}
        self._queued_ids: set[str] = set()
        self.lost = 0
        """Statements whose save was reported but which could not be kept: saved again after a failure of another
        statement of their batch and failing then, or in a batch whose commit failed."""
        if readonly:
            if not Path(path).is_file():
                raise StoreError(f"no database at {path}")
            connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        else:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        self.db = sqlite_utils.Database(connection)
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            tables = set(self.db.table_names())
            if readonly or tables:
                self._check_tables(tables, readonly)
            if not readonly:
                if self.path != ":memory:":
                    self._enable_wal()
                    # In WAL mode, NORMAL loses no committed transaction when the process dies (kill -9), only,
                    # at worst, the last ones on a power cut; FULL would fsync every statement.
                    self.db.execute("PRAGMA synchronous = NORMAL")
                self.ensure_schema()
                self.repair_indexes()
        except sqlite3.DatabaseError as error:
            self.db.close()
            if "locked" in str(error) or "busy" in str(error):
                raise StoreError(
                    f"{path} is locked: another process held its write lock for over {BUSY_TIMEOUT_MS // 1000} s"
                ) from None
            raise StoreError(f"{path} is not an SQLite database ({error})") from None
        except StoreError:
            self.db.close()
            raise

    def _enable_wal(self) -> None:
        """Switch the file to WAL mode, waiting up to `BUSY_TIMEOUT_MS` for other connections.

        SQLite answers `PRAGMA journal_mode=wal` with "database is locked" at once, without calling the busy
        handler, while another process opens or writes the same new file (two crawls started together on a
        fresh DB showed it: about one start in a hundred), so the switch is retried here.

        Raises:
            sqlite3.OperationalError: the file stayed locked for the whole timeout.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.01
        while True:
            try:
                self.db.enable_wal()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def repair_indexes(self) -> dict[str, int]:
        """Index the statements and turns that lack index rows, as rows written by another program, or by a
        version of this project from before 2026-12-02 (whose store left indexing to insert triggers this one
        drops), would. Run on every writable open: rows and word-index rows are counted (under 10 ms at 100,000
        statements, `benchmarks/million.py --count 100000`); only when the word index of statements or turns
        lacks rows are the bigram indexes counted too (170 ms each there: no index on `language`), since every
        writer that skips one skips both. A repair logs a WARNING first: it may take minutes on a large file.

        Returns:
            index name → rows it lacked (only indexes that were repaired).
        """
        checks: tuple[tuple[str, str, list[str], str], ...] = (
            (
                "statements_fts",
                "select count(*) from statements",
                [],
                "select count(*) from statements_fts_docsize",
            ),
            ("turns_fts", "select count(*) from turns", [], "select count(*) from turns_fts_docsize"),
            (
                "statements_fts_zh",
                f"select count(*) from statements where {_CJK_STATEMENTS}",
                _CJK_LANGUAGE_LIST,
                "select count(*) from statements_fts_zh",
            ),
            (
                "turns_fts_zh",
                f"select count(*) from turns where {_CJK_TURNS}",
                _CJK_LANGUAGE_LIST,
                "select count(*) from turns_fts_zh",
            ),
        )
        repaired: dict[str, int] = {}
        short = set()
        for index, rows_sql, params, indexed_sql in checks:
            if index.endswith("_zh") and index.removesuffix("_zh") not in short:
                continue
            rows = self.db.execute(rows_sql, params).fetchone()[0]
            indexed = self.db.execute(indexed_sql).fetchone()[0]
            if rows == indexed:
                continue
            short.add(index)
            logger.warning(
                "%s: %s has %d index rows for %d rows (rows written by another program, or by an older version"
                " of this project): re-indexing",
                self.path,
                index,
                indexed,
                rows,
            )
            with self.transaction() as db:
                if index in ("statements_fts", "turns_fts"):
                    db.execute(f"insert into {index} ({index}) values ('rebuild')")
                elif index == "statements_fts_zh":
                    db.execute("delete from statements_fts_zh")
                    self._fill_cjk_index()
                else:
                    db.execute("delete from turns_fts_zh")
                    self._fill_cjk_turn_index()
            repaired[index] = rows - indexed
        return repaired

    def _check_tables(self, tables: set[str], readonly: bool) -> None:
        missing = [name for name in REQUIRED_TABLES if name not in tables]
        if not missing:
            return
        if readonly or "statements" in tables:
            raise StoreError(
                f"{self.path} is not a statements database (no {', '.join(missing)} table): another tool made it"
            )

    def close(self) -> None:
        """Commit any open batch of saves and close the connection."""
        if not self.readonly:
            self.flush()
        self.db.close()

    def ensure_schema(self) -> None:
        """Create every table, index, FTS table and trigger that is missing, in one transaction (a crash leaves
        the file as it was)."""
        with self.transaction() as db:
            self._create_schema(db)

    def _create_schema(self, db: sqlite_utils.Database) -> None:
        for name, (columns, options) in TABLES.items():
            table = db.table(name)
            table.create(columns, **options, if_not_exists=True)
            present = table.columns_dict
            for column, kind in columns.items():
                if column not in present:  # a file made by an older version of this project
                    table.add_column(column, kind)
        for name, indexed, unique in INDEXES:
            db.table(name).create_index(indexed, unique=unique, if_not_exists=True)
        hidden = {row[1] for row in db.execute("pragma table_xinfo(statements)")}
        if "year" not in hidden:  # a column Datasette can facet on, computed from the date
            db.execute(
                "alter table statements add column year text generated always as (substr(date, 1, 4)) virtual"
            )
        if not db.table("statements_fts").exists():
            db.table("statements").enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
        if not db.table("turns_fts").exists():
            db.table("turns").enable_fts(["text"], create_triggers=True, tokenize="porter")
        if not db.table("statements_fts_zh").exists():
            self._create_cjk_index()
        if not db.table("turns_fts_zh").exists():
            self._create_cjk_turn_index()
        self._set_fts_triggers()

    def _set_fts_triggers(self) -> None:
        """Make the FTS triggers those of `FTS_TRIGGERS`, replacing sqlite-utils' (files made before them)."""
        present = dict(
            self.db.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall()
        )
        for name, sql in FTS_TRIGGERS.items():
            if present.get(name) == sql:
                continue
            if name in present:
                self.db.execute(f"drop trigger {name}")
            if sql is not None:
                self.db.execute(sql)

    def _create_cjk_index(self) -> None:
        """Create the bigram index of CJK statements (see `pipelines.cjk`), fill it from the statements already
        stored, and make deleting a statement delete its index row."""
        db = self.db
        db.execute(
            "create virtual table statements_fts_zh using fts5(statement_id unindexed, title, body,"
            " tokenize = 'unicode61')"
        )
        db.execute(
            "create trigger statements_fts_zh_ad after delete on statements begin"
            " delete from statements_fts_zh where rowid = old.rowid; end"
        )
        self._fill_cjk_index()

    def _fill_cjk_index(self) -> None:
        """Write the bigram index rows of every stored CJK statement."""
        rows = self.db.execute(
            f"select rowid, id, title, body from statements where {_CJK_STATEMENTS}", _CJK_LANGUAGE_LIST
        ).fetchall()
        for rowid, statement_id, title, body in rows:
            self._index_cjk(rowid, statement_id, title, body)

    def _create_cjk_turn_index(self) -> None:
        """The bigram index of the turns of CJK statements, like `statements_fts_zh`."""
        db = self.db
        db.execute(
            "create virtual table turns_fts_zh using fts5(statement_id unindexed, position unindexed, text,"
            " tokenize = 'unicode61')"
        )
        db.execute(
            "create trigger turns_fts_zh_ad after delete on turns begin"
            " delete from turns_fts_zh where rowid = old.rowid; end"
        )
        self._fill_cjk_turn_index()

    def _fill_cjk_turn_index(self) -> None:
        """Write the bigram index rows of every stored turn of a CJK statement (the index holds none of them)."""
        rows = self.db.execute(
            f"select rowid, statement_id, position, text from turns where {_CJK_TURNS} order by rowid",
            _CJK_LANGUAGE_LIST,
        ).fetchall()
        self.db.conn.executemany(
            _INDEX_INSERTS[3],
            [
                (rowid, statement_id, position, cjk.index_text(text))
                for rowid, statement_id, position, text in rows
            ],
        )

    def _save_turns(self, statement: Statement) -> None:
        """Replace a statement's turns (and their index rows) with `statement.turns`."""
        db = self.db
        existing = [
            (role, speaker, outlet, bool(follow_up), text)
            for role, speaker, outlet, follow_up, text in db.execute(
                "select role, speaker, outlet, follow_up, text from turns where statement_id = ? order by position",
                [statement.id],
            )
        ]
        wanted = [(t.role, t.speaker, t.outlet, t.follow_up, t.text) for t in statement.turns]
        if existing == wanted:
            return
        if existing:
            db.execute("delete from turns where statement_id = ?", [statement.id])
        db.conn.executemany(
            "insert into turns (statement_id, position, role, speaker, outlet, follow_up, text)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    statement.id,
                    turn.position,
                    turn.role,
                    turn.speaker,
                    turn.outlet,
                    int(turn.follow_up),
                    turn.text,
                )
                for turn in statement.turns
            ],
        )
        rows = db.execute(
            "select rowid, position, text from turns where statement_id = ?", [statement.id]
        ).fetchall()
        self._queue_index(statement.id, _INDEX_INSERTS[2], [(rowid, text) for rowid, _, text in rows])
        if statement.language in cjk.CJK_LANGUAGES:
            self._queue_index(
                statement.id,
                _INDEX_INSERTS[3],
                [(rowid, statement.id, position, cjk.index_text(text)) for rowid, position, text in rows],
            )

    def _queue_index(self, statement_id: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Queue index rows (rowid first) of one statement's new rows, written by `_write_index_queue`."""
        if rows:
            self._index_queue[sql].extend(rows)
            self._queued_ids.add(statement_id)

    def _write_index_queue(self) -> None:
        """Write the queued index rows, each index's in rowid order, in the open transaction.

        FTS5 keeps the terms of the rows inserted in a transaction in memory and writes them as one segment at
        commit, but only while rowids ascend: a lower rowid (a crawl walks newest first, and rowids follow dates)
        makes it write a segment per row, as does any savepoint or statement journal (a table trigger opens one).
        Written this way, a crawl's index costs one segment per index per commit."""
        for sql, rows in self._index_queue.items():
            if rows:
                rows.sort(key=lambda row: row[0])
                self.db.conn.executemany(sql, rows)
                rows.clear()
        self._queued_ids.clear()

    def _drop_index_queue(self) -> None:
        for rows in self._index_queue.values():
            rows.clear()
        self._queued_ids.clear()

    def _index_cjk(self, rowid: int, statement_id: str, title: str, body: str) -> None:
        self.db.execute("delete from statements_fts_zh where rowid = ?", [rowid])
        self.db.execute(_INDEX_INSERTS[1], [rowid, statement_id, cjk.index_text(title), cjk.index_text(body)])

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that takes the write lock at once (BEGIN IMMEDIATE) and commits on exit, or rolls
        back if the block raises. A batch of saves still open is committed first."""
        self.flush()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    @contextmanager
    def _statement_writes(
        self, redo: tuple[PageItem, Statement, str, bool]
    ) -> Iterator[sqlite_utils.Database]:
        """The writes of one statement (`redo`: the arguments of its `save`): a transaction of their own, or,
        when `commit_seconds` is set, part of a batch committed once it is that old (`flush` commits it sooner).

        A statement whose writes fail leaves nothing behind and the batch's other statements stay: the batch is
        rolled back and its earlier saves are made again. (A savepoint per statement would do the same in fewer
        lines, but each savepoint makes every FTS5 table write its pending terms to disk as a segment of its
        own.)"""
        if self.commit_seconds <= 0:
            try:
                with self.transaction() as db:
                    yield db
                    self._write_index_queue()
            finally:
                self._drop_index_queue()
            return
        if self._batch_started is None:
            self.db.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()
        try:
            yield self.db
        except BaseException:
            self._redo_batch()
            raise
        self._batch.append(redo)
        if time.monotonic() - self._batch_started >= self.commit_seconds:
            self.flush()

    def _redo_batch(self) -> None:
        """Roll the open batch back and save its statements again (a statement of it failed midway). One that
        fails again (the file locked by another writer meanwhile, the same fault) is logged and counted in
        `lost`; the others are saved all the same."""
        batch, self._batch = self._batch, []
        self._batch_started = None
        self._drop_index_queue()
        self.db.conn.rollback()
        for page, statement, seen_at, touch in batch:
            try:
                self.save(page, statement, seen_at, touch)
            except Exception as error:
                self.lost += 1
                logger.error("could not store %s again after another statement failed (%s)", page.url, error)

    def flush(self) -> None:
        """Commit the batch of saves still open, if any.

        Raises:
            sqlite3.Error: the batch could not be committed (disk full, I/O error): it is rolled back whole, so the
                file holds none of its statements and no index row without its statement; the next crawl fetches
                them again.
        """
        if self._batch_started is None:
            return
        self._batch_started = None
        batch, self._batch = self._batch, []
        try:
            self._write_index_queue()
            self.db.commit()
        except BaseException:
            self.lost += len(batch)
            self._drop_index_queue()
            if self.db.conn.in_transaction:
                self.db.conn.rollback()
            raise

    def _insert(self, table: str, row: dict[str, Any], replace: bool = False) -> None:
        """Insert one row (column → value) with plain SQL: sqlite-utils' `insert` wraps each row in a savepoint
        and reads the schema first (see `_statement_writes` for what a savepoint costs)."""
        columns = ", ".join(f'"{column}"' for column in row)
        verb = "insert or replace" if replace else "insert"
        self.db.execute(
            f'{verb} into "{table}" ({columns}) values ({", ".join("?" * len(row))})', list(row.values())
        )

    def _update_statement(self, statement_id: str, row: dict[str, Any]) -> None:
        assignments = ", ".join(f'"{column}" = ?' for column in row)
        self.db.execute(f"update statements set {assignments} where id = ?", [*row.values(), statement_id])

    def save(self, page: PageItem, statement: Statement, seen_at: str, touch: bool = True) -> str:
        """Upsert a statement and its page in one transaction.

        Args:
            page: the recorded page (its `extracted` must be set).
            statement: the normalized statement.
            seen_at: ISO 8601 UTC time of this sighting (the crawl's clock), or of the reparse.
            touch: whether the statement was seen again (a crawl): False leaves `last_seen_at` as it was
                (a reparse of stored pages).

        Returns:
            "new" (no row had this id), "updated" (the content hash changed: the previous text went to
            `statement_versions` and `version` went up) or "unchanged" (same text: `last_seen_at` and metadata
            such as kind, date and speakers are refreshed). In every case the statement's turns are replaced
            by `statement.turns`, so a better segmenter takes effect on the next crawl or reparse.
        """
        row = {
            "id": statement.id,
            "site": statement.site,
            "language": statement.language,
            "url": statement.url,
            "title": statement.title,
            "kind": statement.kind,
            "date": statement.date,
            "date_source": statement.date_source,
            "published_at": statement.published_at,
            "speakers": json.dumps(statement.speakers, ensure_ascii=False),
            "body": statement.body,
            "content_hash": statement.content_hash,
            "last_seen_at": seen_at,
            "site_language": statement.site_language,
            "language_source": statement.language_source,
        }
        with self._statement_writes((page, statement, seen_at, touch)) as db:
            cursor = db.execute(
                "select version, title, body, content_hash, first_seen_at, last_seen_at, date, date_source,"
                " language from statements where id = ?",
                [statement.id],
            )
            found = cursor.fetchone()
            existing = (
                dict(zip([column[0] for column in cursor.description], found, strict=True)) if found else None
            )
            if existing and statement.id in self._queued_ids:
                self._write_index_queue()  # saved earlier in this batch: its update must find its index rows
            if (
                existing
                and existing["date_source"] == "translation"
                and statement.date_source in ("inferred", "none")
            ):
                # A twin's date (pipelines.translations) is better evidence than an inference from this page.
                row.update(date=existing["date"], date_source="translation")
            if existing and not touch:
                row["last_seen_at"] = existing["last_seen_at"]
            if existing is None:
                outcome = "new"
                rowid = self.free_rowid(date_rowid(statement.date, statement.id))
                self._insert("statements", {**row, "rowid": rowid, "first_seen_at": seen_at, "version": 1})
                self._queue_index(statement.id, _INDEX_INSERTS[0], [(rowid, statement.title, statement.body)])
                if statement.language in cjk.CJK_LANGUAGES:
                    self._queue_index(
                        statement.id,
                        _INDEX_INSERTS[1],
                        [
                            (
                                rowid,
                                statement.id,
                                cjk.index_text(statement.title),
                                cjk.index_text(statement.body),
                            )
                        ],
                    )
            elif existing["content_hash"] != statement.content_hash:
                outcome = "updated"
                self._insert(
                    "statement_versions",
                    {
                        "statement_id": statement.id,
                        "version": existing["version"],
                        "title": existing["title"],
                        "body": existing["body"],
                        "content_hash": existing["content_hash"],
                        "first_seen_at": existing["first_seen_at"],
                        "replaced_at": seen_at,
                    },
                    replace=True,
                )
                self._update_statement(statement.id, {**row, "version": existing["version"] + 1})
            else:
                outcome = "unchanged"  # the same title and body: only metadata is written, nothing re-indexed
                for column in ("title", "body", "content_hash"):
                    del row[column]
                self._update_statement(statement.id, row)
            self._insert("pages", self._page_row(page, statement), replace=True)
            self._save_parts(page, statement)
            # The bigram indexes follow the language column: a statement whose language changed (a reparse that
            # found Spanish text on an English site) leaves the index of its old language.
            relanguaged = existing is not None and existing["language"] != statement.language
            if relanguaged:
                (rowid,) = db.execute("select rowid from statements where id = ?", [statement.id]).fetchone()
                db.execute("delete from statements_fts_zh where rowid = ?", [rowid])
                # its turns are written again, with the index rows of the new language (triggers drop the old)
                db.execute("delete from turns where statement_id = ?", [statement.id])
            if statement.language in cjk.CJK_LANGUAGES and (outcome == "updated" or relanguaged):
                (rowid,) = db.execute("select rowid from statements where id = ?", [statement.id]).fetchone()
                self._index_cjk(rowid, statement.id, statement.title, statement.body)
            self._save_turns(statement)
        return outcome

    def free_rowid(self, wanted: int) -> int:
        """`wanted`, or the next rowid of the same day that no statement has."""
        rowid = wanted
        while self.db.execute("select 1 from statements where rowid = ?", [rowid]).fetchone():
            rowid += 1
        return rowid

    @staticmethod
    def _page_row(page: PageItem, statement: Statement) -> dict[str, Any]:
        extracted = page.extracted
        return {
            "url": page.url,
            "statement_id": statement.id,
            "site": page.site,
            "status": page.status,
            "headers": json.dumps(page.headers, ensure_ascii=False),
            "body": zlib.compress(page.body, 6),
            "body_sha256": hashlib.sha256(page.body).hexdigest(),
            "encoding": extracted.encoding if extracted else None,
            "encoding_reason": extracted.encoding_reason if extracted else None,
            "template": extracted.template if extracted else None,
            "fetched_at": page.fetched_at,
            "hints": json.dumps(page.hints, ensure_ascii=False),
            "translations": json.dumps(extracted.translations if extracted else {}, ensure_ascii=False),
        }

    def _save_parts(self, page: PageItem, statement: Statement) -> None:
        """Keep the raw bytes of the further parts of a split article (`pipelines.parts`) in `pages`, each at its
        own URL with `part_of` the first part's URL and its number in `hints` ({"part": 2, "of": 3}), so that
        `statements reparse` joins them again; parts a previous version of the article had and this one lacks
        go."""
        self.db.execute("delete from pages where part_of = ?", [page.url])
        read = {
            url: (encoding, reason)
            for url, encoding, reason in (page.extracted.parts if page.extracted else [])
        }
        for number, part in enumerate(page.parts, start=2):
            encoding, reason = read.get(part.url, (None, None))
            self._insert(
                "pages",
                {
                    "url": part.url,
                    "statement_id": statement.id,
                    "site": page.site,
                    "status": part.status,
                    "headers": json.dumps(part.headers, ensure_ascii=False),
                    "body": zlib.compress(part.body, 6),
                    "body_sha256": hashlib.sha256(part.body).hexdigest(),
                    "encoding": encoding,
                    "encoding_reason": reason,
                    "template": page.extracted.template if page.extracted else None,
                    "fetched_at": part.fetched_at,
                    "hints": json.dumps({"part": number, "of": len(page.parts) + 1}),
                    "translations": "{}",
                    "part_of": page.url,
                },
                replace=True,
            )

    def start_crawl(self, spider: str, arguments: dict[str, Any], started_at: str) -> int:
        """Insert the `crawls` row of a run that starts now; returns its id."""
        with self.transaction() as db:
            table = db.table("crawls")
            table.insert({"spider": spider, "arguments": json.dumps(arguments), "started_at": started_at})
            return int(str(table.last_pk))

    def finish_crawl(
        self,
        crawl_id: int,
        counts: dict[str, Any],
        finished_at: str,
        reason: str,
        walked: tuple[str, list[str]] | None = None,
    ) -> None:
        """Complete a `crawls` row with the run's counts (column name → value) and why it finished; `walked`
        (site, section names) records the sections this crawl walked to their end: every statement stored by
        now, and every one older in their listings, is stored."""
        with self.transaction() as db:
            db.table("crawls").update(
                crawl_id, {**counts, "finished_at": finished_at, "finish_reason": reason}
            )
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


def find_statement(store: Store, key: str) -> dict[str, Any] | None:
    """A statement by id or URL (canonicalized with the site rules of every known site), with its speakers as a
    list, its turns (position, role, speaker, outlet, follow_up, text) and its translations (id, url, title,
    language, method); None when there is none."""
    from crawler.sites import SITES
    from pipelines.normalize import canonical_url, statement_id

    ids = {key} | {statement_id(canonical_url(key, site)) for site in SITES.values() if "://" in key}
    rows = list(
        store.db.query(
            f"select * from statements where id in ({', '.join('?' * len(ids))}) or url = ?", [*ids, key]
        )
    )
    if not rows:
        return None
    record = dict(rows[0])
    record["speakers"] = json.loads(record["speakers"] or "[]")
    record["translations"] = list(
        store.db.query(
            "select s.id, s.url, s.title, s.language, t.method from translations t"
            " join statements s on s.id = t.translated_id where t.statement_id = ? order by s.language",
            [record["id"]],
        )
    )
    record["turns"] = [
        {**turn, "follow_up": bool(turn["follow_up"])}
        for turn in store.db.query(
            "select position, role, speaker, outlet, follow_up, text from turns where statement_id = ?"
            " order by position",
            [record["id"]],
        )
    ]
    return record


def database_stats(store: Store, runs: int = 10) -> dict[str, Any]:
    """What a database holds: statement and turn counts, date range, statements per site and language (with
    their first and last date), per year and per kind, and the `runs` most recent `crawls` rows."""
    db = store.db
    first, last = db.execute("select min(date), max(date) from statements").fetchone()
    return {
        "statements": db.execute("select count(*) from statements").fetchone()[0],
        "turns": db.execute("select count(*) from turns").fetchone()[0] if db.table("turns").exists() else 0,
        "first_date": first,
        "last_date": last,
        "by_site": list(
            db.query(
                "select site, language, count(*) as statements, min(date) as first, max(date) as last"
                " from statements group by site, language order by site"
            )
        ),
        "by_year": list(
            db.query(
                "select coalesce(substr(date, 1, 4), 'undated') as year, count(*) as statements from statements"
                " group by 1 order by 1"
            )
        ),
        "by_kind": list(
            db.query("select kind, count(*) as statements from statements group by kind order by 2 desc")
        ),
        "crawls": list(db.query("select * from crawls order by id desc limit ?", [runs])),
    }


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
    return {
        "sections": json.dumps(sections, sort_keys=True),
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
    }


class StorePipeline:
    """Item pipeline: writes each statement (with its page) to the database named by the `STATEMENTS_DB` setting,
    skips statements outside the spider's `since`/`until` range, and keeps the run's `crawls` row."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("STATEMENTS_DB") or "statements.db"
        self.commit_seconds = crawler.settings.getfloat("STATEMENTS_COMMIT_SECONDS", 0.5)
        self.flusher: task.LoopingCall | None = None
        self.store: Store | None = None
        self.crawl_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = Store(self.path, commit_seconds=self.commit_seconds)
        if self.commit_seconds > 0:
            # An idle crawl (waiting on a slow site) commits what it holds all the same.
            self.flusher = task.LoopingCall(self._flush)
            self.flusher.start(self.commit_seconds, now=False)
        arguments = {
            key: getattr(spider, key) for key in ("since", "until", "recheck") if getattr(spider, key, None)
        }
        self.crawl_id = self.store.start_crawl(
            spider.name, {k: str(v) for k, v in arguments.items()}, utc_now()
        )
        logger.info("storing statements in %s (crawl %s)", self.path, self.crawl_id)

    def _flush(self) -> None:
        """Commit the open batch (every `STATEMENTS_COMMIT_SECONDS`); a failed commit is logged and the timer goes
        on (a LoopingCall stops at its first exception): the batch is lost whole and refetched next time."""
        if self.store is None:
            return
        try:
            self.store.flush()
        except sqlite3.Error as error:
            self.crawler.stats.inc_value("statements/commit_errors")
            logger.error(
                "could not commit the last statements to %s (%s): the next crawl fetches them",
                self.path,
                error,
            )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or item.statement is None or self.store is None:
            return item
        statement = item.statement
        stats = self.crawler.stats
        spider = self.crawler.spider
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        if since or until:
            if (
                statement.date is None
                or (since and statement.date < since.isoformat())
                or (until and statement.date > until.isoformat())
            ):
                stats.inc_value("statements/out_of_range")
                raise DropItem(
                    f"dated {statement.date}, outside the range asked for: {item.url}", log_level="DEBUG"
                )
        outcome = self.store.save(item, statement, utc_now())
        stats.inc_value(f"statements/{outcome}")
        if statement.date is None:
            stats.inc_value("statements/dateless")
            logger.warning("no date found or inferred for %s", item.url)
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Link the crawl's statements to their translations, complete the `crawls` row (and, for a finished
        crawl, record the sections it walked to their end), close the database."""
        if self.flusher is not None and self.flusher.running:
            self.flusher.stop()
        if self.store is None or self.crawl_id is None:
            return
        self.store.flush()
        stats = self.crawler.stats
        if stats.get_value("statements/new") or stats.get_value("statements/updated"):
            link_translations(self.store, spider.name)
        walked = sorted(getattr(spider, "walked_sections", ())) if reason == "finished" else []
        incomplete = stats.get_value("statements/incomplete", 0)
        if walked and (self.store.lost or incomplete):
            logger.warning(
                "%d statements could not be stored: no section is recorded as walked, so the next crawl looks"
                " for them again",
                self.store.lost + incomplete,
            )
            walked = []
        self.store.finish_crawl(
            self.crawl_id, crawl_counts(stats.get_stats()), utc_now(), reason, (spider.name, walked)
        )
        self.store.close()
        self.store = None
