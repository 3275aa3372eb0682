"""Peak memory of `statements export` in every format, at two sizes (not a test: prints figures).

Usage:
    python benchmarks/export_memory.py --source statements.db [--db /tmp/export-memory.db] [--rows 100000]
        [--before DIR]

Builds `--db`: `--rows` statements copied, with new ids, from the source database's (a crawl of the recordings,
README), their real titles and bodies in turn (White House briefings of 40 KB among them), then exports from it
the first 1,615 rows (as many as the White House recording has) and all of them, each format in a child
process, and prints each export's peak RSS (getrusage) and time. Memory is flat when the two sizes give the
same figure. With `--before DIR` (a checkout of an earlier version, e.g. `git archive COMMIT | tar -x -C DIR`),
each export is run with that code too, alternately with this one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from statements.store import Store

_EXPORT = """
import resource, sys
from statements.cli import main
try:
    main(sys.argv[1:])
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def build(source: Path, target: Path, rows: int) -> None:
    """Write `rows` statements to `target`, copied in turn from the source's (new id, url and rowid)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    store = Store(target)
    store.db.execute("attach database ? as source", [str(source)])
    have = store.db.execute("select count(*) from source.statements").fetchone()[0]
    columns = "site, language, title, kind, date, date_source, published_at, speakers, body, content_hash"
    with store.transaction() as db:
        for start in range(0, rows, have):
            db.execute(
                f"insert into statements (rowid, id, url, {columns}, first_seen_at, last_seen_at, version)"
                f" select :start + row_number() over (order by rowid), printf('%016x', :start + row_number()"
                f" over (order by rowid)), 'https://statements.invalid/' || (:start + row_number() over"
                f" (order by rowid)), {columns}, first_seen_at, last_seen_at, 1 from source.statements"
                f" order by rowid limit :count",
                {"start": start, "count": min(have, rows - start)},
            )
    store.db.execute("detach database source")
    store.close()


def export_peak(db: Path, fmt: str, *arguments: str, code: Path | None = None) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `statements export --format FMT ARGUMENTS` of `db` in a child process, with
    the project's code in `code` (None: this checkout)."""
    output = Path(f"/tmp/export-memory.{fmt}")
    started = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _EXPORT,
            "export",
            "--db",
            str(db),
            "--format",
            fmt,
            "-o",
            str(output),
            *arguments,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(code)} if code else None,
        cwd=code,
    )
    elapsed = time.perf_counter() - started
    output.unlink(missing_ok=True)
    return elapsed, int(run.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("statements.db"))
    parser.add_argument("--db", type=Path, default=Path("/tmp/export-memory.db"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--reuse", action="store_true", help="export from an existing --db without building it"
    )
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version to measure too")
    args = parser.parse_args()
    if not args.reuse:
        started = time.perf_counter()
        build(args.source, args.db, args.rows)
        print(f"built {args.rows:,} statements in {time.perf_counter() - started:.0f} s")
    store = Store(args.db, readonly=True)
    total = store.db.execute("select count(*) from statements").fetchone()[0]
    until = store.db.execute("select date from statements order by date limit 1 offset 1614").fetchone()[0]
    small = store.db.execute("select count(*) from statements where date <= ?", [until]).fetchone()[0]
    store.close()
    versions = [("before", args.before.resolve()), ("after", None)] if args.before else [("after", None)]
    print(f"{'code':7} {'format':8} {'rows':>8} {'peak RSS':>9} {'time':>7}")
    for fmt in ("jsonl", "csv", "parquet"):
        for rows, arguments in ((small, ["--until", until]), (total, [])):
            for label, code in versions:
                seconds, peak = export_peak(args.db.resolve(), fmt, *arguments, code=code)
                print(f"{label:7} {fmt:8} {rows:>8,} {peak / 1024:>6.0f} MiB {seconds:>6.1f} s", flush=True)


if __name__ == "__main__":
    main()
