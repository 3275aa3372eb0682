"""Search and export at scale: a database of 1,000,000 synthetic statements (not a test: prints figures).

Usage:
    python benchmarks/million.py --source statements.db [--db /tmp/million.db] [--count 1000000] [--reuse]

The statements are built from a database crawled from the recorded corpus (`--source`, e.g. after the replay
crawls of README): each synthetic statement takes a real title and a body of real English paragraphs drawn at
random, as many as a real statement of the corpus has, so lengths and vocabulary are the corpus's (English only:
the Chinese index is measured on the corpus itself by benchmarks/search_corpus.py). Dates are spread over
2000–2026. The database has the project's schema, FTS triggers included.

Printed: build time and database size; p50/p95 of `statements search` (limit 20) for common words (in more than
10% of statements) and rare ones (in at most 1%), each searched once untimed first (that first search, which
reads the word's pages from disk when the database is larger than the OS cache, is reported apart); export rows per second (JSON Lines to /dev/null), twice: the first run
reads from disk what the OS cache lacks, the second finds it there when the database fits; and the peak memory of
an export on this database and on the source one (it should not grow with the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from statements.search import search
from statements.speakers import fill
from statements.store import Store
from statements.writer import ROWIDS_PER_DAY

BATCH = 5000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def build(source: Path, target: Path, count: int, seed: int = 2026) -> None:
    """Write `count` synthetic statements to `target` (see the module docstring)."""
    rng = random.Random(seed)
    corpus = Store(source, readonly=True)
    rows = corpus.db.execute(
        "select title, body, kind, speakers from statements where language = 'en'"
    ).fetchall()
    corpus.close()
    if not rows:
        raise SystemExit(f"{source} holds no English statement: crawl the corpus first (README)")
    paragraphs = [p for _, body, _, _ in rows for p in body.split("\n\n")]
    shapes = [(title, len(body.split("\n\n")), kind, speakers) for title, body, kind, speakers in rows]
    start = dt.date(2000, 1, 1).toordinal()
    span = dt.date(2026, 11, 29).toordinal() - start
    store = Store(target)
    seen = "2026-11-29T00:00:00+00:00"
    for first in range(0, count, BATCH):
        batch = []
        for number in range(first, min(count, first + BATCH)):
            title, length, kind, speakers = rng.choice(shapes)
            body = "\n\n".join(rng.choices(paragraphs, k=length))
            date = dt.date.fromordinal(start + rng.randrange(span)).isoformat()
            rowid = dt.date.fromisoformat(date).toordinal() * ROWIDS_PER_DAY + number  # as date_rowid, unique
            batch.append(
                (
                    rowid,
                    f"{number:016x}",
                    "synthetic_en",
                    "en",
                    f"https://statements.invalid/{number}",
                    f"{title} ({number})",
                    kind,
                    date,
                    "title",
                    speakers,
                    body,
                    f"{number:064x}",
                    seen,
                    seen,
                    1,
                )
            )
        with store.transaction() as db:
            db.conn.executemany(
                "insert into statements (rowid, id, site, language, url, title, kind, date, date_source,"
                " speakers, body, content_hash, first_seen_at, last_seen_at, version)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            # the store indexes the rows it inserts itself (pipelines/store.py: no insert trigger)
            db.conn.executemany(
                "insert into statements_fts (rowid, title, body) values (?, ?, ?)",
                sorted((row[0], row[5], row[10]) for row in batch),
            )
        if (first // BATCH) % 20 == 0:
            print(f"  {first + len(batch)} statements", file=sys.stderr, flush=True)
    with store.transaction() as db:
        fill(db)  # the speaker rows the store's writer would have written (statements.speakers)
    store.close()


def document_frequencies(store: Store) -> list[tuple[str, int]]:
    """(term, number of statements holding it) of the English word index, most frequent first."""
    store.db.execute(
        "create virtual table if not exists temp.vocabulary using fts5vocab(main, statements_fts, row)"
    )
    return store.db.execute("select term, doc from temp.vocabulary order by doc desc").fetchall()


_EXPORT = """
import resource, sys
from statements.cli import main
try:
    main(["export", "--db", sys.argv[1], "-o", sys.argv[2]])
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def export_peak_memory(db: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `statements export` of a whole database to /dev/null, in a child process."""
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _EXPORT, str(db), os.devnull], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    return elapsed, int(run.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("statements.db"))
    parser.add_argument("--db", type=Path, default=Path("/tmp/million.db"))
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure an existing --db without building it")
    args = parser.parse_args()
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        build(args.source, args.db, args.count)
        print(f"built {args.count} statements in {time.perf_counter() - started:.0f} s")
    store = Store(args.db, readonly=True)
    total = store.db.execute("select count(*) from statements").fetchone()[0]
    size = sum(
        Path(f"{args.db}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{args.db}{suffix}").exists()
    )
    print(f"database: {total} statements, {size / 2**30:.2f} GiB")
    frequencies = document_frequencies(store)
    words = [(term, doc) for term, doc in frequencies if term.isalpha() and len(term) > 3]
    common = [pair for pair in words if pair[1] > total * 0.10][:10]
    rarer = [pair for pair in words if pair[1] <= total * 0.01]
    rare = rarer[:: max(1, len(rarer) // 10)][:10]
    for label, chosen in (("common (>10% of statements)", common), ("rare (<=1% of statements)", rare)):
        first, timings = [], []
        for term, _ in chosen:
            for repeat in range(args.repeat + 1):
                started = time.perf_counter()
                search(store, term, limit=20)
                (first if repeat == 0 else timings).append((time.perf_counter() - started) * 1000)
        shown = ", ".join(f"{term} ({doc})" for term, doc in chosen)
        print(
            f"search, {label}: p50 {statistics.median(timings):.1f} ms, p95 {_percentile(timings, 0.95):.1f} ms"
            f" over {len(timings)} searches of: {shown}; first search of each word (pages not yet in the OS"
            f" cache): p50 {statistics.median(first):.1f} ms, max {max(first):.1f} ms"
        )
    store.close()
    if args.source.exists():
        _, small_peak = export_peak_memory(args.source)
        print(f"export of the source database ({args.source}): peak RSS {small_peak / 1024:.0f} MiB")
    for run in ("first", "second"):
        seconds, peak = export_peak_memory(args.db)
        print(
            f"export (jsonl), {run} run: {total / seconds:,.0f} rows/s ({seconds:.0f} s), peak RSS {peak / 1024:.0f} MiB"
        )
    print(json.dumps({"statements": total, "bytes": size}))


if __name__ == "__main__":
    main()
