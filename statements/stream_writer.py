"""The writer of a distributed crawl: the one process that writes the SQLite file while any number of workers
crawl (`statements writer --redis URL --db FILE`; the message format and keys are in `statements.stream`).

It reads the stream as the consumer group `writers`, a batch at a time (`batch` entries, 200 by default), saves
the batch's statements through `Store.save` and commits them in one transaction with their outcomes (new, updated,
unchanged) added to their run's `crawls` row and the id of the last entry written (table `stream_progress`),
and only then acknowledges and deletes the batch's entries. A writer killed at any point loses nothing and counts
nothing twice: entries not acknowledged stay pending in the group and are read again by the next writer (pending
entries of any consumer are claimed at start), which skips those the file says it wrote already.

Runs: a `start` message makes the run's `crawls` row (arguments: the spider's, plus `run`, the run id); `worker`
messages add each worker's counts (requests, listing and statement pages, faults, …) to it; the `end` message
completes it, links translations and records the sections walked to their end, unless a statement of the run
could not be stored.

What incremental crawls read in the file is published to Redis (`statements:<site>:known`, `:walked`): all of it
at start (so a file replaced or restored is what workers see), then each committed batch and each finished run.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from crawler.verdict import run_problems, stats_of_row
from statements import stream
from statements.runs import finish_crawl, start_crawl, utc_now
from statements.store import Store
from statements.translations import link_translations

logger = logging.getLogger(__name__)

OUTCOMES = ("new", "updated", "unchanged")
JSON_COUNTS = ("sections", "failed_listings", "rejected_reasons", "faults", "retried")
"""`crawls` columns holding JSON objects of counts: summed key by key."""


@dataclass
class Run:
    """A run being written: its `crawls` row and what was stored of it."""

    crawl_id: int
    spider: str
    stored: Counter[str] = field(default_factory=Counter)
    lost: int = 0


def _order(entry_id: str) -> tuple[int, int]:
    """A stream entry id ("1720000000000-3": ms and sequence) as a sortable pair."""
    ms, _, sequence = entry_id.partition("-")
    return int(ms), int(sequence or 0)


class StreamWriter:
    """Drains the stream into a writable `Store` (see the module).

    Args:
        client: redis-py client (bytes in and out).
        store: the database, opened writable; its batches are committed by this writer (open it with a
            `commit_seconds` longer than a batch takes, e.g. 3600).
        consumer: this writer's name in the consumer group.
        batch: entries read and committed at a time.
        clock: the current time as ISO 8601 UTC (`first_seen_at`, `last_seen_at`, `walked_at`).
    """

    def __init__(
        self,
        client: Any,
        store: Store,
        consumer: str = "writer",
        batch: int = 200,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.client = client
        self.store = store
        self.consumer = consumer
        self.batch = batch
        self.clock = clock
        self.runs: dict[str, Run] = {}
        self.totals: Counter[str] = Counter()
        self._deltas: dict[int, Counter[str]] = {}
        self._saved: dict[str, list[str]] = {}
        self._reading_pending = True
        self._pending_from = "0-0"
        self.written = "0-0"
        """Id of the last stream entry whose effect is committed to the file."""
        self._uncommitted: str | None = None

    def prepare(self) -> None:
        """Create the consumer group if missing (reading the stream from its start: workers may have sent
        statements before any writer ran), claim the entries other consumers left pending, and publish the
        database's known statements and walked sections."""
        import redis

        try:
            self.client.xgroup_create(stream.STREAM, stream.GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        start = "0-0"
        while True:
            start, claimed, *_ = self.client.xautoclaim(
                stream.STREAM, stream.GROUP, self.consumer, min_idle_time=0, start_id=start, count=1000
            )
            if claimed:
                logger.info("claimed %d pending entries", len(claimed))
            if start in (b"0-0", "0-0"):
                break
        with self.store.transaction() as db:
            db.execute("create table if not exists stream_progress (stream text primary key, last_id text)")
            row = db.execute(
                "select last_id from stream_progress where stream = ?", [stream.STREAM]
            ).fetchone()
        self.written = row[0] if row else "0-0"
        self.publish_all()

    def publish_all(self) -> None:
        """Make Redis's copy of the known statements and walked sections that of the file (each site's hash
        replaced at once, so workers never see half of it)."""
        db = self.store.db
        sites = [row[0] for row in db.execute("select distinct site from statements")]
        for key in self.client.scan_iter(match=stream.known_key("*"), count=1000):
            if key.decode() not in {stream.known_key(site) for site in sites}:
                self.client.delete(key)
        count = 0
        for site in sites:
            staging = stream.known_key(site) + ":staging"
            self.client.delete(staging)
            pipe = self.client.pipeline(transaction=False)
            for index, (statement_id, first_seen_at, content_hash) in enumerate(
                db.execute("select id, first_seen_at, content_hash from statements where site = ?", [site]), 1
            ):
                pipe.hset(staging, statement_id, stream.known_value(first_seen_at, content_hash))
                if index % 5000 == 0:
                    pipe.execute()
                count += 1
            pipe.execute()
            self.client.rename(staging, stream.known_key(site))
        walked: dict[str, dict[str, str]] = {}
        if db.table("sections").exists():
            for site, section, walked_at in db.execute("select site, section, walked_at from sections"):
                walked.setdefault(site, {})[section] = walked_at
        for key in self.client.scan_iter(match=stream.walked_key("*"), count=1000):
            self.client.delete(key)
        for site, sections in walked.items():
            self.client.hset(stream.walked_key(site), mapping=sections)
        logger.info("published %d stored statements and %d walked sections to Redis", count, len(walked))

    def step(self, block_ms: int = 1000) -> int:
        """Read one batch (entries left pending by an earlier delivery first), write it, acknowledge it; returns
        how many entries it held (0: nothing came within `block_ms`).

        Raises:
            sqlite3.Error: the batch could not be committed: nothing of it is acknowledged.
        """
        if self._reading_pending:
            reply = self.client.xreadgroup(
                stream.GROUP, self.consumer, {stream.STREAM: self._pending_from}, count=self.batch
            )
            entries = reply[0][1] if reply else []
            if not entries:
                self._reading_pending = False
                return self.step(block_ms)
            self._pending_from = entries[-1][0]
        else:
            reply = self.client.xreadgroup(
                stream.GROUP, self.consumer, {stream.STREAM: ">"}, count=self.batch, block=block_ms
            )
            entries = reply[0][1] if reply else []
        if not entries:
            return 0
        for entry_id, fields in entries:
            if not fields:  # deleted from the stream after its delivery: written and acknowledged before
                continue
            if _order(entry_id.decode()) <= _order(self.written):
                self.totals["already written"] += 1  # committed by a writer killed before its acknowledgement
                continue
            self._handle(entry_id, fields)
        self._commit()
        ids = [entry_id for entry_id, _ in entries]
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(stream.STREAM, stream.GROUP, *ids)
        pipe.xdel(stream.STREAM, *ids)
        pipe.execute()
        return len(entries)

    def _handle(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        kind = stream.text(fields, "kind")
        if kind == "statement":
            self._save(entry_id, fields)
            return
        self._commit()  # a run's messages come after its statements: those are committed and counted first
        if kind == "start":
            self._run(
                entry_id.decode(),  # a run's id is the id of its start message
                stream.text(fields, "spider"),
                stream.json_field(fields, "arguments", {}),
                stream.text(fields, "started_at") or self.clock(),
            )
        elif kind == "worker":
            self._worker_left(entry_id, fields)
        elif kind == "end":
            self._end(fields)
        else:
            self.totals["bad"] += 1
            logger.error(
                "stream entry %s is not a message of this project (kind %r): skipped", entry_id, kind
            )
        # Start and end messages are idempotent (the run's row is found by its id; the end sets the same fields
        # again); a worker's counts are written in the transaction that records its entry as written.
        self._uncommitted = entry_id.decode()
        self._commit()

    def _run(
        self, run: str, spider: str, arguments: dict[str, Any] | None = None, started_at: str | None = None
    ) -> Run:
        """The run's state, with its `crawls` row found (a writer restarted mid-run) or made."""
        found = self.runs.get(run)
        if found is not None:
            return found
        row = self.store.db.execute(
            "select id from crawls where spider = ? and json_extract(arguments, '$.run') = ?"
            " order by id desc limit 1",
            [spider, run],
        ).fetchone()
        if row is not None:
            crawl_id = int(row[0])
        else:
            self._commit()  # the statements saved so far are committed with their entries, not by start_crawl
            crawl_id = start_crawl(
                self.store, spider, {**(arguments or {}), "run": run}, started_at or self.clock()
            )
            logger.info("run %s of %s started (crawl %d)", run, spider, crawl_id)
        self.runs[run] = Run(crawl_id, spider)
        return self.runs[run]

    def _save(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        try:
            item = stream.decode_statement(fields)
        except ValueError as error:
            self.totals["bad"] += 1
            logger.error("stream entry %s is not a statement message (%s): skipped", entry_id, error)
            return
        statement = item.statement
        assert statement is not None  # decode_statement makes one
        run = self._run(stream.text(fields, "run"), item.site)
        try:
            outcome = self.store.save(item, statement, self.clock())
        except Exception as error:  # noqa: BLE001  # any failure of one statement: undone, the batch's others kept
            run.lost += 1
            self.totals["lost"] += 1
            logger.error("could not store %s (%s): the next crawl fetches it again", item.url, error)
            self._uncommitted = entry_id.decode()
            return
        self._uncommitted = entry_id.decode()
        run.stored[outcome] += 1
        self.totals[outcome] += 1
        self._deltas.setdefault(run.crawl_id, Counter())[outcome] += 1
        self._saved.setdefault(item.site, []).append(statement.id)

    def _commit(self) -> None:
        """Commit the statements saved since the last commit together with their counts and the id of the last
        entry handled (in the store's open batch, committed by `Store.flush`), then publish them as known."""
        if self._uncommitted is None:
            return
        db = self.store.db
        for crawl_id, delta in self._deltas.items():
            db.execute(
                "update crawls set new = coalesce(new, 0) + ?, updated = coalesce(updated, 0) + ?,"
                " unchanged = coalesce(unchanged, 0) + ? where id = ?",
                [delta["new"], delta["updated"], delta["unchanged"], crawl_id],
            )
        db.execute(
            "insert or replace into stream_progress (stream, last_id) values (?, ?)",
            [stream.STREAM, self._uncommitted],
        )
        try:
            self.store.flush()  # commits the batch of saves, these writes with it
            if db.conn.in_transaction:  # no save was open (every one failed): these writes alone
                db.conn.commit()
        except BaseException:
            if db.conn.in_transaction:
                db.conn.rollback()
            raise
        self.written, self._uncommitted, self._deltas = self._uncommitted, None, {}
        for ids in self._saved.values():
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows += self.store.db.execute(
                    f"select site, id, first_seen_at, content_hash from statements where id in"
                    f" ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            stream.publish_known(self.client, rows)
        self._saved = {}

    def _worker_left(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        """Add a worker's counts to its run's `crawls` row."""
        run = self._run(stream.text(fields, "run"), stream.text(fields, "spider"))
        counts: dict[str, Any] = stream.json_field(fields, "counts", {})
        with self.store.transaction() as db:
            db.execute(  # the counts are added once: this entry is written with them
                "insert or replace into stream_progress (stream, last_id) values (?, ?)",
                [stream.STREAM, entry_id.decode()],
            )
            cursor = db.execute("select * from crawls where id = ?", [run.crawl_id])
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
            update = {}
            for column, value in counts.items():
                if column not in row or column in OUTCOMES:
                    continue
                if column in JSON_COUNTS:
                    merged = Counter(orjson.loads(row[column] or "{}"))
                    merged.update(orjson.loads(value) if isinstance(value, str) else value)
                    update[column] = orjson.dumps(dict(sorted(merged.items()))).decode()
                elif isinstance(value, int):
                    update[column] = (row[column] or 0) + value
            if update:
                db.table("crawls").update(run.crawl_id, update)
        logger.info(
            "worker %s left run %s of %s (%s)",
            stream.text(fields, "worker"),
            stream.text(fields, "run"),
            run.spider,
            stream.text(fields, "reason"),
        )

    def _end(self, fields: dict[bytes, bytes]) -> None:
        """Complete a run's `crawls` row; record and publish the sections its workers walked to their end."""
        run_id = stream.text(fields, "run")
        run = self._run(run_id, stream.text(fields, "spider"))
        reason = stream.text(fields, "reason")
        walked = sorted(section for section in stream.text(fields, "walked").split("\n") if section)
        if walked and run.lost:
            logger.warning(
                "%d statements of run %s could not be stored: no section is recorded as walked, so the next crawl"
                " looks for them again",
                run.lost,
                run_id,
            )
            walked = []
        stored = self.store.db.execute(
            "select new, updated, unchanged from crawls where id = ?", [run.crawl_id]
        ).fetchone()
        # The run's counts from its row (a writer restarted mid-run has seen part of it); 0, not NULL, as in
        # one process.
        counts: dict[str, Any] = {key: value or 0 for key, value in zip(OUTCOMES, stored, strict=True)}
        if counts["new"] or counts["updated"]:
            link_translations(self.store, run.spider)
        # The run is judged once, on the counts of all its workers: each saw only a part of it.
        cursor = self.store.db.execute("select * from crawls where id = ?", [run.crawl_id])
        summed = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
        problems = run_problems(stats_of_row(summed)) if reason == "finished" else []
        if problems:
            for problem in problems:
                logger.error("%s: %s", run.spider, problem)
            reason = "failed"
            counts["problems"] = orjson.dumps(problems).decode()
        finished_at = self.clock()
        finish_crawl(self.store, run.crawl_id, counts, finished_at, reason, (run.spider, walked))
        if walked:
            self.client.hset(stream.walked_key(run.spider), mapping=dict.fromkeys(walked, finished_at))
        row = self.store.db.execute(
            "select new, updated, unchanged, requests from crawls where id = ?", [run.crawl_id]
        ).fetchone()
        logger.info(
            "run %s of %s finished (%s): %d new, %d updated, %d unchanged, %d requests; sections walked: %s",
            run_id,
            run.spider,
            reason,
            *(value or 0 for value in row),
            ", ".join(walked) or "none",
        )
        del self.runs[run_id]

    def active_workers(self) -> int:
        """Workers whose heartbeat has not expired."""
        return sum(1 for _ in self.client.scan_iter(match=stream.WORKER_PATTERN, count=1000))

    def backlog(self) -> int:
        """Entries in the stream not yet written and acknowledged."""
        return int(self.client.xlen(stream.STREAM))

    def progress_line(self, elapsed: float) -> str:
        """One line for a user watching: statements stored (new, updated, unchanged), the rate, the backlog and
        the workers active. Example: "stored 480 statements (480 new, 0 updated, 0 unchanged), 960/min; 35
        waiting in the stream; 2 workers active"."""
        stored = sum(self.totals[key] for key in OUTCOMES)
        line = (
            f"stored {stored} statements ({self.totals['new']} new, {self.totals['updated']} updated,"
            f" {self.totals['unchanged']} unchanged), {stored / max(elapsed / 60, 1e-9):.0f}/min;"
            f" {self.backlog()} waiting in the stream; {self.active_workers()} workers active"
        )
        if self.totals["lost"]:
            line += f"; {self.totals['lost']} could not be stored"
        return line

    def run(
        self,
        until_idle: float | None = None,
        progress: float = 30.0,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Write until `stop()` is true, or, with `until_idle` (seconds), once the stream has been empty and no
        worker active for that long; a progress line every `progress` seconds (0: none) and one at the end.

        Raises:
            sqlite3.Error: a batch could not be committed (disk full): it stays pending for the next writer.
        """
        self.prepare()
        started = last_activity = last_progress = time.monotonic()
        try:
            while not stop():
                handled = self.step(block_ms=500)
                now = time.monotonic()
                if handled or self.active_workers():
                    last_activity = now
                elif until_idle is not None and now - last_activity >= until_idle:
                    logger.info("no statement and no active worker for %s s: the writer stops", until_idle)
                    break
                if progress and now - last_progress >= progress:
                    logger.info("%s", self.progress_line(now - started))
                    last_progress = now
        except sqlite3.Error as error:
            logger.error(
                "could not commit a batch to %s (%s): it stays in the stream", self.store.path, error
            )
            raise
        finally:
            logger.info("%s", self.progress_line(time.monotonic() - started))
