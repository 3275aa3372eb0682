"""The batch writer: how statements, their versions, pages, turns and index rows are written.

A crawl's saves share one write transaction, committed every `commit_seconds` (`STATEMENTS_COMMIT_SECONDS`) and
when the crawl idles or closes; `statements reparse` and tests commit each save on its own. A statement that
fails midway leaves nothing behind: the batch is rolled back and its other statements saved again (a savepoint
per statement would do the same in fewer lines, but each savepoint makes every FTS5 table write its pending terms
to disk as a segment of its own, see `statements.schema`). Index rows of new rows are queued and written at
commit, each index's in rowid order, so that a crawl's index costs one segment per index per commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlite_utils

from crawler.items import PageItem, Statement
from statements import cjk
from statements.schema import INDEX_INSERTS, index_cjk
from statements.speakers import SpeakerUpkeep

if TYPE_CHECKING:
    from statements.store import Store

logger = logging.getLogger(__name__)

ROWIDS_PER_DAY = 1_000_000


def date_rowid(date: str | None, statement_id: str) -> int:
    """The rowid a new statement gets: its date's day number × 1,000,000 plus a number from its id (undated
    statements: day 0). Rowid order is then date order, which lets search rank only the newest hits of a word
    found in very many statements (`statements.search`)."""
    day = dt.date.fromisoformat(date).toordinal() if date else 0
    return day * ROWIDS_PER_DAY + int(statement_id[:8], 16) % ROWIDS_PER_DAY


class BatchWriter:
    """Writes statements through a writable `Store` (its `save`, `flush` and `lost` are this writer's).

    Args:
        store: the database written to.
        commit_seconds: 0: each `save` commits its own transaction. Above 0: saves share a write transaction,
            committed once it is that many seconds old, by `flush` and by the store's `close` (a crawl: 0.5 s,
            `STATEMENTS_COMMIT_SECONDS`). A process killed meanwhile loses at most that much work, which the next
            crawl refetches; nothing half-written is ever committed.
    """

    def __init__(self, store: Store, commit_seconds: float = 0.0) -> None:
        self.store = store
        self.commit_seconds = commit_seconds
        self._batch_started: float | None = None
        self._batch: list[tuple[PageItem, Statement, str, bool]] = []
        self._index_queue: dict[str, list[tuple[Any, ...]]] = {sql: [] for sql in INDEX_INSERTS}
        self._queued_ids: set[str] = set()
        self.speakers = SpeakerUpkeep()
        self.lost = 0
        """Statements whose save was reported but which could not be kept: saved again after a failure of another
        statement of their batch and failing then, or in a batch whose commit failed."""

    @property
    def db(self) -> sqlite_utils.Database:
        """The store's connection."""
        return self.store.db

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
        self._queue_index(statement.id, INDEX_INSERTS[2], [(rowid, text) for rowid, _, text in rows])
        if statement.language in cjk.CJK_LANGUAGES:
            self._queue_index(
                statement.id,
                INDEX_INSERTS[3],
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
        self.speakers.flush(self.db)

    def _drop_index_queue(self) -> None:
        for rows in self._index_queue.values():
            rows.clear()
        self._queued_ids.clear()
        self.speakers.drop()

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
                with self.store.transaction() as db:
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
                # A twin's date (statements.translations) is better evidence than an inference from this page.
                row.update(date=existing["date"], date_source="translation")
            if existing and not touch:
                row["last_seen_at"] = existing["last_seen_at"]
            if existing is None:
                outcome = "new"
                rowid = self.free_rowid(date_rowid(statement.date, statement.id))
                self._insert("statements", {**row, "rowid": rowid, "first_seen_at": seen_at, "version": 1})
                self._queue_index(statement.id, INDEX_INSERTS[0], [(rowid, statement.title, statement.body)])
                if statement.language in cjk.CJK_LANGUAGES:
                    self._queue_index(
                        statement.id,
                        INDEX_INSERTS[1],
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
                index_cjk(self.db, rowid, statement.id, statement.title, statement.body)
            self._save_turns(statement)
            self.speakers.save(db, statement)
        return outcome

    def keep_rejected(self, page: PageItem, reason: str) -> bool:
        """Keep the page of a statement page the pipelines rejected (`reason`: "no-template"), without a statement:
        a `pages` row with `statement_id` NULL and `rejected_reason`, that `statements reparse` turns into a
        statement once the site module reads it. Committed at once (with the batch of saves still open).

        Returns:
            Whether it was kept: a URL whose page belongs to a stored statement keeps that page (a refetch that
            fails never replaces what a statement was read from).
        """
        with self.store.transaction() as db:
            owner = db.execute("select statement_id from pages where url = ?", [page.url]).fetchone()
            if owner is not None and owner[0] is not None:
                return False
            self._insert("pages", {**self._page_row(page, None), "rejected_reason": reason}, replace=True)
        return True

    def free_rowid(self, wanted: int) -> int:
        """`wanted`, or the next rowid of the same day that no statement has."""
        rowid = wanted
        while self.db.execute("select 1 from statements where rowid = ?", [rowid]).fetchone():
            rowid += 1
        return rowid

    @staticmethod
    def _page_row(page: PageItem, statement: Statement | None) -> dict[str, Any]:
        extracted = page.extracted
        return {
            "url": page.url,
            "statement_id": statement.id if statement is not None else None,
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
