"""Distributed crawls: statements per second with 1, 2 and 4 workers, and the writer's ceiling (not a test: prints
figures).

Usage:
    python benchmarks/distributed.py [--warc ../shared/corpus/fmprc-2020/fmprc-2020.warc.gz] [--workers 1 2 4]
        [--latency 0.2] [--concurrency 4]

The Chinese recording (67 listing pages, 1,000 statements) is served by the project's test server (tests/server.py,
an HTTPS proxy on 127.0.0.1) with `--latency` seconds added to every response, as a live site answers: the workers
crawl it as a live site (no REPLAY_WARC), each `--concurrency` requests at a time, with no download delay, and
the writer runs alongside them into an empty database (its own redis-server on a free port). For each number of
workers: the time from the workers' start until they all stopped, until the writer had stored the 1,000
statements, the statements per second that makes, and the CPU seconds the workers and the writer used.

The writer's ceiling: the stream filled by a crawl whose writer was not running, then drained by one writer (in
this process) into an empty database, with batches of 50, 200 (the default) and 1000 statements: statements
stored per second from its first read to its last acknowledgement (`--workers` with no number: only this).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.redis_server import redis_server  # the repository is on the path by now
from tests.server import Page, Site, proxy_environment, serve


def recorded_site(warc: Path, latency: float) -> Site:
    """A test-server site answering every recorded response of the WARC, `latency` seconds late."""
    from crawler.middlewares import WarcArchive

    site = Site(delay=latency)
    archive = WarcArchive(warc)
    for url in archive.urls():
        recorded = archive.get(url)
        headers = {name: value for name, value in recorded.headers if name.lower() != "content-length"}
        site.pages[url] = Page(recorded.body, recorded.status, headers)
    archive.close()
    return site


def cpu(who: int) -> float:
    """CPU seconds used so far by this process (the test server) or its children (workers, writer)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def start_worker(
    redis_url: str, folder: Path, number: int, env: dict[str, str], concurrency: int
) -> subprocess.Popen:
    settings = {
        "REDIS_URL": redis_url,
        "STATEMENTS_DB": str(folder / "never.db"),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "HTTPCACHE_ENABLED": "False",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "LOG_LEVEL": "INFO",
        "LOGSTATS_INTERVAL": "0",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "fmprc_zh"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    log = (folder / f"worker{number}.log").open("wb")
    return subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log
    )


def start_writer(redis_url: str, db: Path, folder: Path, batch: int = 200) -> subprocess.Popen:
    command = [sys.executable, "-m", "statements.cli", "writer", "--redis", redis_url, "--db", str(db)]
    command += ["--until-idle", "1", "--progress", "0", "--batch", str(batch), "--log-level", "WARNING"]
    log = (folder / f"writer-{db.stem}.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)


def stored(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return connection.execute("select count(*) from statements").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return 0


def crawl(
    redis_url: str, env: dict[str, str], workers: int, concurrency: int, folder: Path
) -> dict[str, float]:
    """One distributed crawl of the site with `workers` workers and the writer alongside; times in seconds."""
    import redis

    from statements import stream

    redis.Redis.from_url(redis_url).flushall()
    db = folder / f"crawl{workers}.db"
    used = cpu(resource.RUSAGE_CHILDREN), cpu(resource.RUSAGE_SELF)
    started = time.perf_counter()
    processes = [start_worker(redis_url, folder, n, env, concurrency) for n in range(workers)]
    client = redis.Redis.from_url(redis_url)
    # The writer's --until-idle counts from its start: it starts once a worker is there.
    while not any(client.scan_iter(match=stream.WORKER_PATTERN)):
        time.sleep(0.05)
    writer = start_writer(redis_url, db, folder)
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"a worker failed: see {folder}")
    crawled = time.perf_counter() - started
    while stored(db) < 1000:
        if writer.poll() is not None:
            raise SystemExit(f"the writer stopped before storing 1,000 statements: see {folder}")
        time.sleep(0.05)
    written = time.perf_counter() - started
    writer.wait()
    return {
        "crawled": crawled,
        "written": written,
        "cpu": cpu(resource.RUSAGE_CHILDREN) - used[0],
        "server": cpu(resource.RUSAGE_SELF) - used[1],
        "count": stored(db),
    }


def writer_ceiling(redis_url: str, env: dict[str, str], folder: Path, batches: list[int]) -> dict[int, float]:
    """Statements per second one writer (in this process, the test server idle) stores from a full stream, per
    batch size: decoding, saving, committing, acknowledging and publishing, from its first read to its last."""
    import redis

    from statements import stream
    from statements.store import Store
    from statements.stream_writer import StreamWriter

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    processes = [start_worker(redis_url, folder, 10 + n, env, 8) for n in range(2)]
    for process in processes:
        process.wait()
    snapshot = client.dump(stream.STREAM)
    rates = {}
    for batch in batches:
        client.delete(stream.STREAM)
        client.restore(stream.STREAM, 0, snapshot)
        store = Store(folder / f"ceiling{batch}.db", commit_seconds=3600)
        writer = StreamWriter(client, store, batch=batch)
        writer.prepare()
        started = time.perf_counter()
        while writer.step(block_ms=100):
            pass
        rates[batch] = sum(writer.totals[key] for key in ("new", "updated", "unchanged")) / (
            time.perf_counter() - started
        )
        store.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warc", type=Path, default=REPO.parent / "shared" / "corpus" / "fmprc-2020" / "fmprc-2020.warc.gz"
    )
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        site = recorded_site(args.warc.resolve(), args.latency)
        with redis_server(folder / "redis") as redis_url, serve(site, folder) as proxy:
            env = proxy_environment(proxy)
            print(
                f"Chinese recording, 1,000 statements; {args.latency * 1000:.0f} ms added to every response;"
                f" {args.concurrency} requests at a time per worker; writer alongside"
            )
            print(
                "| workers | crawl done | all stored | statements/s | CPU s: workers + writer, test server |"
            )
            print("|---|---|---|---|---|")
            for workers in args.workers:
                figures = crawl(redis_url, env, workers, args.concurrency, folder)
                print(
                    f"| {workers} | {figures['crawled']:.1f} s | {figures['written']:.1f} s |"
                    f" {figures['count'] / figures['written']:.0f} | {figures['cpu']:.1f}, {figures['server']:.1f} |",
                    flush=True,
                )
            site.delay = 0
            rates = writer_ceiling(redis_url, env, folder, [50, 200, 1000])
            print("\nthe writer alone, the stream full (1,000 statements):")
            for batch, rate in rates.items():
                print(f"  --batch {batch}: {rate:.0f} statements/s")


if __name__ == "__main__":
    main()
