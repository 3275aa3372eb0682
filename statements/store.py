"""The statements database as a library: open a file (creating or upgrading its schema), read it, write to it.

`Store` is the one handle every part of the project opens: the crawl's item pipeline and `statements reparse`
write through it (`Store.save`, batched by `statements.writer`), the spiders, the CLI, search and export read
through it. The schema is in `statements.schema`, index upkeep in `statements.indexes`, the run log in
`statements.runs`.

The database is the checkpoint: a statement, its version row, its page, its turns and their index rows are
committed together or not at all, in a transaction that starts IMMEDIATE (a crawl's saves share one, committed
every `STATEMENTS_COMMIT_SECONDS`), in WAL mode so readers can query while a crawl writes. A statement that could
not be stored is counted in `Store.lost`, and a crawl that lost any does not record its sections as walked, so the
next incremental crawl looks for it again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from crawler.items import PageItem, Statement
from statements.indexes import repair_indexes
from statements.schema import REQUIRED_TABLES, create_schema
from statements.writer import BatchWriter

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another writer's lock before failing, in milliseconds."""


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
        self.writer = BatchWriter(self, commit_seconds)
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
                repair_indexes(self)
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
            create_schema(db)

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

    @property
    def lost(self) -> int:
        """Statements whose save was reported but which could not be kept (see `BatchWriter.lost`)."""
        return self.writer.lost

    def flush(self) -> None:
        """Commit the batch of saves still open, if any (see `BatchWriter.flush`).

        Raises:
            sqlite3.Error: the batch could not be committed (disk full, I/O error): it is rolled back whole.
        """
        self.writer.flush()

    def keep_rejected(self, page: PageItem, reason: str) -> bool:
        """Keep a rejected statement page without a statement (see `BatchWriter.keep_rejected`)."""
        return self.writer.keep_rejected(page, reason)

    def save(self, page: PageItem, statement: Statement, seen_at: str, touch: bool = True) -> str:
        """Upsert a statement and its page (see `BatchWriter.save`); returns "new", "updated" or "unchanged"."""
        return self.writer.save(page, statement, seen_at, touch)
