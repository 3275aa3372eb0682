"""Page times of Datasette with the project's plugin (not a test: prints figures).

Usage:
    python benchmarks/datasette_pages.py --db statements.db [--repeat 10] [--while-writing]

Starts `datasette DB` on 127.0.0.1 (the plugin loads through its entry point), loads each page once untimed, then
`--repeat` times, and prints p50, p95 and max in milliseconds, and whether any page showed "timed out" or "SQL
Interrupted". Pages: the statements table with its facets (site, language, kind, speakers, year), a search in
English and in Chinese, a site and a speaker chosen by facet, the turns table with its facets (role, speaker,
outlet), a search of turns, and one statement. The database is opened for writing first, so a file made before the
speaker tables gets them (and its new indexes).

With `--while-writing`, a child process writes to the database meanwhile as a crawl does: batches of statements
(copies of stored ones, with new ids) through the store's writer, committed every 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from statements.store import Store


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def write_like_a_crawl(db: Path, stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    """Save copies of stored statements (new ids) through `Store.save` until `stop` is set, committing every
    0.5 s as a crawl does."""
    from crawler.items import PageItem, Statement

    store = Store(db, commit_seconds=0.5)
    rows = store.db.execute(
        "select site, language, title, kind, date, speakers, body from statements order by random() limit 500"
    ).fetchall()
    number = 0
    while not stop.is_set():
        site, language, title, kind, date, speakers, body = rows[number % len(rows)]
        url = f"https://statements.invalid/written-{time.time_ns()}-{number}"
        statement = Statement(
            id=f"{time.time_ns() % 2**63:016x}"[-16:],
            site=site,
            language=language,
            url=url,
            title=title,
            kind=kind,
            date=date,
            date_source="title",
            published_at=None,
            speakers=json.loads(speakers or "[]"),
            paragraphs=body.split("\n\n"),
            body=body,
            content_hash=f"{number:064x}",
        )
        page = PageItem(site=site, url=url, status=200, headers={}, body=body.encode(), fetched_at="")
        store.save(page, statement, "2026-12-03T00:00:00+00:00")
        number += 1
        time.sleep(0.005)
    store.close()
    print(f"  writer: {number} statements saved meanwhile", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("statements.db"))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--while-writing", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    store = Store(args.db)  # upgrades an older file: speaker tables, indexes
    name = args.db.stem
    statement_id = store.db.execute(
        "select statement_id from turns group by statement_id order by count(*) desc limit 1"
    ).fetchone()
    statement_id = statement_id[0] if statement_id else store.db.execute("select id from statements").fetchone()[0]
    site = store.db.execute("select site from statements order by rowid desc limit 1").fetchone()[0]
    speaker = store.db.execute("select name from statement_speakers group by name order by count(*) desc").fetchone()
    store.close()
    print(f"opened for writing (upgrade if needed) in {time.perf_counter() - started:.1f} s")
    pages = {
        "statements": f"/{name}/statements",
        "search en": f"/{name}/statements?_search=sanctions",
        "search zh": f"/{name}/statements?_search=台湾",
        "site facet": f"/{name}/statements?site={site}",
        "speaker facet": f"/{name}/statements?_speaker={urllib.parse.quote(speaker[0]) if speaker else 'x'}",
        "turns": f"/{name}/turns",
        "turns search": f"/{name}/turns?_search=Diaoyu",
        "statement": f"/{name}/statements/{statement_id}",
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", str(args.db), "-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    stop = multiprocessing.Event()
    writer = None
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        if args.while_writing:
            writer = multiprocessing.Process(target=write_like_a_crawl, args=(args.db, stop))
            writer.start()
            time.sleep(2)
        print(f"{'page':14} {'p50':>7} {'p95':>7} {'max':>7}  problems")
        for label, path in pages.items():
            url = base + urllib.parse.quote(path, safe="/?&=%")
            timings, problems = [], set()
            for repeat in range(args.repeat + 1):
                begun = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=60) as response:
                        text = response.read().decode("utf-8", "replace")
                except urllib.error.HTTPError as error:
                    text = f"HTTP {error.code}"
                    problems.add(text)
                if repeat:
                    timings.append((time.perf_counter() - begun) * 1000)
                for sign in ("timed out", "SQL Interrupted", "Internal Server Error"):
                    if sign in text:
                        problems.add(sign)
            print(
                f"{label:14} {statistics.median(timings):>5.0f} ms {_percentile(timings, 0.95):>5.0f} ms"
                f" {max(timings):>5.0f} ms  {', '.join(sorted(problems)) or '-'}",
                flush=True,
            )
    finally:
        stop.set()
        if writer is not None:
            writer.join(timeout=30)
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
