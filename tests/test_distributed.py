"""Distributed crawls: workers (`scrapy crawl SITE -s REDIS_URL=…`) on a real redis-server started on a free port
of 127.0.0.1, and the writer (`statements writer`).

The corpus tests replay the Chinese recording (1,000 statements) with two workers and compare the writer's file
with what one process stores; they kill a worker and the writer with SIGKILL mid-way. Without redis-server
(`apt-get install redis-server`) the tests are skipped, unless CI is set: then they fail.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.frontier import TOKEN, LedgerQueue, Worker
from crawler.politeness import SharedDelayMiddleware
from statements import stream
from statements.reparse import process_page
from statements.store import Store
from statements.stream_writer import StreamWriter
from tests.conftest import REPO, FixturePage, crawl_command, fixture_pages, run_crawl
from tests.redis_server import redis_server, redis_server_binary
from tests.server import Page, Site, proxy_environment, serve
from tests.test_live import STATEMENTS, build_site

WARC = Path("fmprc-2020") / "fmprc-2020.warc.gz"
PRESS_CONFERENCE = "pc_2020-07-03_zhao-lijian_t1794584.shtml"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A redis-server of this module's tests."""
    if redis_server_binary() is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    """A client of an emptied server."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushall()
    yield connection
    connection.close()


def _page_item(name: str = PRESS_CONFERENCE) -> Any:
    page = next(page for page in fixture_pages("fmprc_zh") if page.path.name == name)
    item = page.page_item("fmprc_zh")
    process_page(item)
    return item


def test_a_stream_message_round_trips_the_page_item_with_its_statement_and_turns() -> None:
    item = _page_item()
    assert len(item.statement.turns) > 10  # a transcript: the turns travel too
    message = stream.encode_statement("1-0", item)
    assert len(message[b"body"]) < len(item.body) / 2  # compressed on the worker
    decoded = stream.decode_statement(message)
    assert decoded == item
    assert decoded.statement.turns == item.statement.turns
    with pytest.raises(ValueError, match="not a statement message"):
        stream.decode_statement({b"kind": b"statement", b"item": b"{}", b"body": message[b"body"]})


def _start_run(client: redis.Redis, spider: str = "fmprc_zh", timeout: float = 60) -> Worker:
    worker = Worker(client, spider, timeout)
    worker.join({})
    return worker


def test_requests_a_dead_worker_held_go_back_to_the_queue(client: redis.Redis) -> None:
    spider = get_crawler().spidercls("fmprc_zh")
    first, second = _start_run(client), _start_run(client)
    assert first.run == second.run
    queue = LedgerQueue(client, spider, first.key("requests"), first)
    for number in range(3):
        queue.push(Request(f"https://www.fmprc.gov.cn/t{number}.shtml"))
    taken = [queue.pop(), queue.pop()]
    assert all(request.meta[TOKEN] for request in taken)
    assert client.zcard(first.key("requests")) == 1 and client.hlen(first.inflight_key) == 2
    first.callback_done(taken[0].meta[TOKEN])  # handled: struck off the ledger
    assert client.hlen(first.inflight_key) == 1
    assert not second.check()  # the first worker is busy: the second waits
    client.delete(stream.worker_key(first.worker))  # its heartbeat lapses: taken for dead
    assert not second.check()  # its unfinished request is queued again, so there is work
    queued = sorted(client.zrange(first.key("requests"), 0, -1))
    assert len(queued) == 2 and not client.exists(first.inflight_key)
    again = LedgerQueue(client, spider, second.key("requests"), second)
    assert {again.pop().url, again.pop().url} == {taken[1].url, "https://www.fmprc.gov.cn/t2.shtml"}


def test_the_last_worker_of_an_exhausted_run_ends_it_and_clears_the_frontier(client: redis.Redis) -> None:
    first, second = _start_run(client), _start_run(client)
    client.sadd(first.key("dupefilter"), "seen")
    assert not first.check()  # the second is still busy (it joined as busy)
    assert second.check() is False  # done, but the first has not concluded yet
    assert first.check() is True
    assert first.leave({"requests": 3}, ["spokesperson"], "finished") is False
    assert second.check() is True
    assert second.leave({"requests": 4}, [], "finished") is True
    kinds = [fields[b"kind"] for _, fields in client.xrange(stream.STREAM)]
    assert kinds == [b"start", b"worker", b"worker", b"end"]
    end = client.xrange(stream.STREAM)[-1][1]
    assert end[b"walked"] == b"spokesperson" and end[b"run"] == first.run.encode()
    assert not client.exists(stream.run_pointer("fmprc_zh"), first.key("dupefilter"), first.key("workers"))
    assert _start_run(client).run != first.run  # the next crawl is a new run


def test_the_writer_acknowledges_only_what_it_committed(client: redis.Redis, tmp_path: Path) -> None:
    start = client.xadd(
        stream.STREAM, {"kind": "start", "spider": "fmprc_zh", "arguments": "{}", "started_at": "x"}
    )
    items = [_page_item(page.path.name) for page in fixture_pages("fmprc_zh") if "expected" in page.meta][:5]
    for item in items:
        client.xadd(stream.STREAM, stream.encode_statement(start.decode(), item))
    broken = Store(tmp_path / "s.db", commit_seconds=3600)
    writer = StreamWriter(client, broken, batch=10)
    writer.prepare()

    def disk_full() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    broken.flush = disk_full  # the batch's commit fails
    with pytest.raises(sqlite3.OperationalError):
        writer.step()
    broken.writer.flush = disk_full  # nor does closing commit it
    broken.db.rollback()
    broken.db.close()
    assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 6  # nothing acknowledged
    store = Store(tmp_path / "s.db", commit_seconds=3600)
    assert store.db.execute("select count(*) from statements").fetchone()[0] == 0
    again = StreamWriter(client, store, consumer="another", batch=10)
    again.prepare()  # claims the entries the first writer left pending
    assert again.step() == 6
    assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 0 and client.xlen(stream.STREAM) == 0
    rows = store.db.execute("select id, content_hash from statements").fetchall()
    assert sorted(rows) == sorted((item.statement.id, item.statement.content_hash) for item in items)
    assert store.db.execute("select new, arguments from crawls").fetchone() == (
        5,
        f'{{"run": "{start.decode()}"}}',
    )
    published = stream.Published(client).known_statements("fmprc_zh", [items[0].statement.id, "0" * 16])
    assert list(published) == [items[0].statement.id]
    store.close()


def test_a_writer_killed_between_its_commit_and_its_acknowledgement_counts_nothing_twice(
    client: redis.Redis, tmp_path: Path
) -> None:
    start = client.xadd(
        stream.STREAM, {"kind": "start", "spider": "fmprc_zh", "arguments": "{}", "started_at": "x"}
    )
    items = [_page_item(page.path.name) for page in fixture_pages("fmprc_zh") if "expected" in page.meta][:3]
    for item in items:
        client.xadd(stream.STREAM, stream.encode_statement(start.decode(), item))
    client.xadd(stream.STREAM, {"kind": "end", "run": start, "spider": "fmprc_zh", "reason": "finished"})
    store = Store(tmp_path / "s.db", commit_seconds=3600)
    first = StreamWriter(client, store, batch=10)
    first.prepare()

    class Killed(Exception):
        """The process dies here."""

    def killed(*_: Any, **__: Any) -> None:
        raise Killed

    first.client = type(
        "Dying", (), {"pipeline": killed, "hset": client.hset, "xreadgroup": client.xreadgroup}
    )()
    with pytest.raises(Killed):  # dies publishing the committed statements: nothing acknowledged
        first.step()
    store.close()
    assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 5
    store = Store(tmp_path / "s.db", commit_seconds=3600)
    again = StreamWriter(client, store, consumer="another", batch=10)
    again.prepare()
    assert again.step() == 5 and again.totals["already written"] == 4  # the start and the 3 statements
    assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 0
    assert store.db.execute("select new, updated, unchanged, finish_reason from crawls").fetchall() == [
        (3, 0, 0, "finished")
    ]
    store.close()


def test_shared_delay_spaces_requests_to_a_host_across_workers(client: redis.Redis, redis_url: str) -> None:
    crawlers = [get_crawler(settings_dict={"REDIS_URL": redis_url, "DOWNLOAD_DELAY": 0.2}) for _ in range(2)]
    middlewares = [SharedDelayMiddleware.from_crawler(crawler) for crawler in crawlers]
    waits = [middlewares[n % 2].book("www.fmprc.gov.cn", 0.2) for n in range(10)]
    assert waits == pytest.approx([0.2 * n for n in range(10)], abs=0.05)  # booked back to back, 200 ms apart
    assert middlewares[1].book("www.whitehouse.gov", 0.2) == 0  # another host has its own pace


class TimedSite(Site):
    """The test server's site, noting when each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str]] = []

    def respond(self, method: str, url: str, headers: dict[str, str]) -> Page:
        with self.lock:
            self.arrivals.append((time.monotonic(), url))
        return super().respond(method, url, headers)


def _worker(
    redis_url: str, log: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a worker of fmprc_zh (or the spider in `args`) logging to `log`."""
    spider = args[0] if args and not args[0].startswith("-") else "fmprc_zh"
    rest = args[1:] if args and not args[0].startswith("-") else args
    command = crawl_command(
        spider, "-s", f"REDIS_URL={redis_url}", "-s", "REDIS_WORKER_TIMEOUT=3", "-s", "LOG_LEVEL=INFO", *rest
    )
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=output, env={**os.environ, **(env or {})}
        )


def _writer(redis_url: str, db: Path, log: Path, until_idle: float = 3) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "statements.cli", "writer", "--redis", redis_url, "--db", str(db)]
    command += ["--until-idle", str(until_idle), "--progress", "5", "--batch", "100"]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=output)


def _wait_for_a_worker(redis_url: str, timeout: float = 120) -> None:
    """Wait until a worker has joined a run (its heartbeat is there)."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while not any(client.scan_iter(match=stream.WORKER_PATTERN)):
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.1)
    client.close()


def _finish(process: subprocess.Popen[bytes], log: Path, timeout: float = 600) -> str:
    assert process.wait(timeout=timeout) == 0, log.read_text()[-3000:]
    return log.read_text()


def test_a_sites_pace_holds_across_workers(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    site = TimedSite()
    # The 15 recorded statements and two copies of each at other URLs: 45 statements, 3 listing pages.
    copies = [
        FixturePage(page.path, {**page.meta, "url": page.url.replace("/t", f"/t{n}")})
        for n in (8, 9)
        for page in STATEMENTS
    ]
    build_site(site, [*copies, *STATEMENTS], per_page=15)
    delay = 0.2
    with serve(site, tmp_path) as proxy:
        logs = [tmp_path / f"worker{n}.log" for n in range(2)]
        settings = (
            "-s",
            f"DOWNLOAD_DELAY={delay}",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CONCURRENT_REQUESTS=4",
            "-s",
        )
        workers = [
            _worker(
                redis_url,
                log,
                "fmprc_en",
                *settings,
                "HTTPCACHE_ENABLED=False",
                "-s",
                f"STATEMENTS_DB={tmp_path / 'never.db'}",
                env=proxy_environment(proxy),
            )
            for log in logs
        ]
        texts = [_finish(worker, log) for worker, log in zip(workers, logs, strict=True)]
    times = sorted(arrival for arrival, url in site.arrivals if "www.fmprc.gov.cn" in url)
    assert len(times) >= 49  # robots.txt, 3 listing pages, 45 statements
    requests = [int(re.search(r"'downloader/request_count': (\d+)", text).group(1)) for text in texts]
    assert min(requests) >= 10, requests  # both workers fetched
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Booked 200 ms apart: one request per 200 ms on average, most gaps 200 ms (a busy machine delays a few
    # requests after their booking, so single gaps vary). Without the shared pace two workers send twice the rate.
    assert sum(gaps) / len(gaps) >= delay * 0.95, gaps
    assert sorted(gaps)[len(gaps) // 2] >= delay * 0.9, gaps
    assert sum(gap < delay / 2 for gap in gaps) <= len(gaps) // 10, gaps
    assert not (tmp_path / "never.db").exists()  # a worker never opens the file


def test_the_writer_says_in_one_line_when_redis_cannot_be_reached(tmp_path: Path) -> None:
    from tests.server import free_port

    result = subprocess.run(
        [sys.executable, "-m", "statements.cli", "writer", "--redis", f"redis://127.0.0.1:{free_port()}/0"]
        + ["--db", str(tmp_path / "s.db")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach Redis at redis://127.0.0.1:")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _ids_and_hashes(db: Path) -> set[tuple[str, str]]:
    connection = sqlite3.connect(db)
    try:
        return set(connection.execute("select id, content_hash from statements").fetchall())
    finally:
        connection.close()


def _sent(log: str) -> int:
    match = re.search(r"'statements/sent': (\d+)", log)
    return int(match.group(1)) if match else 0


def _replay(corpus: Path) -> tuple[str, ...]:
    """Settings of a worker replaying the Chinese recording. Four requests at a time: replayed responses come at
    once, and a worker taking 32 (replay mode's default) would hold a listing page's whole frontier."""
    return ("-s", f"REPLAY_WARC={corpus / WARC}", "-s", "CONCURRENT_REQUESTS=4")


@pytest.fixture(scope="module")
def one_process(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chinese recording crawled by one process, as without Redis."""
    db = tmp_path_factory.mktemp("one") / "statements.db"
    run = run_crawl("fmprc_zh", "-s", f"REPLAY_WARC={corpus / WARC}", "-s", f"STATEMENTS_DB={db}")
    assert run.returncode == 0, run.stderr[-3000:]
    return db


@pytest.fixture(scope="module")
def two_runs(corpus: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two distributed crawls of the Chinese recording, each by two workers with the writer running alongside."""
    folder = tmp_path_factory.mktemp("two_runs")
    redis.Redis.from_url(redis_url).flushall()
    db = folder / "statements.db"
    replay = (*_replay(corpus), "-s", f"STATEMENTS_DB={folder / 'never.db'}")
    logs: dict[str, str] = {}
    for number in (1, 2):
        worker_logs = [folder / f"run{number}-worker{n}.log" for n in range(2)]
        workers = [_worker(redis_url, log, *replay) for log in worker_logs]
        _wait_for_a_worker(redis_url)
        writer_log = folder / f"writer{number}.log"
        writer = _writer(redis_url, db, writer_log)  # alongside the workers, exits 3 s after they stop
        for n, (worker, log) in enumerate(zip(workers, worker_logs, strict=True)):
            logs[f"run{number}-worker{n}"] = _finish(worker, log)
        logs[f"writer{number}"] = _finish(writer, writer_log)
    return {"db": db, "logs": logs, "folder": folder}


@pytest.mark.slow
def test_two_workers_and_the_writer_store_what_one_process_stores(two_runs, one_process: Path) -> None:
    expected = _ids_and_hashes(one_process)
    assert len(expected) == 1000
    assert _ids_and_hashes(two_runs["db"]) == expected
    turns = "select count(*) from turns"
    assert (
        sqlite3.connect(two_runs["db"]).execute(turns).fetchone()
        == sqlite3.connect(one_process).execute(turns).fetchone()
    )
    logs = two_runs["logs"]
    sent = [_sent(logs[f"run1-worker{n}"]) for n in range(2)]
    assert sum(sent) == 1000 and min(sent) > 100, sent  # both workers fetched and extracted
    for name, log in logs.items():
        assert "Traceback" not in log and " ERROR: " not in log, name
    assert not (two_runs["folder"] / "never.db").exists()  # no worker opened the file


@pytest.mark.slow
def test_a_distributed_crawl_is_one_crawls_row_with_the_summed_counts(two_runs) -> None:
    db = sqlite3.connect(two_runs["db"])
    rows = db.execute(
        "select spider, new, updated, unchanged, statement_pages, listing_pages, finish_reason, sections"
        " from crawls order by id"
    ).fetchall()
    assert rows[0] == ("fmprc_zh", 1000, 0, 0, 1000, 67, "finished", '{"spokesperson":1000}')
    finished = (
        r"run \d+-\d+ of fmprc_zh finished \(finished\): 1000 new, 0 updated, 0 unchanged, \d+ requests;"
    )
    assert re.search(finished + " sections walked: spokesperson", two_runs["logs"]["writer1"])
    assert re.search(
        r"stored \d+ statements \(\d+ new, 0 updated, 0 unchanged\), \d+/min", two_runs["logs"]["writer1"]
    )
    stats = subprocess.run(
        [sys.executable, "-m", "statements.cli", "stats", "--db", str(two_runs["db"])],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    assert re.search(r"^\s+1\s+fmprc_zh\s+\S+\s+finished\s+1000\s+0\s+0\s", stats, flags=re.MULTILINE), stats


@pytest.mark.slow
def test_a_second_distributed_run_fetches_one_listing_page_per_section_and_no_statement_page(
    two_runs,
) -> None:
    db = sqlite3.connect(two_runs["db"])
    second = db.execute(
        "select new, updated, unchanged, statement_pages, listing_pages, finish_reason from crawls where id = 2"
    ).fetchone()
    assert second == (0, 0, 0, 0, 1, "finished")
    assert db.execute("select section, crawl_id from sections").fetchall() == [("spokesperson", 2)]
    assert db.execute("select count(*) from crawls").fetchone()[0] == 2
    assert db.execute("select count(*) from statements where version != 1").fetchone()[0] == 0


@pytest.fixture(scope="module")
def killed(corpus: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A distributed crawl in which one of two workers is killed (SIGKILL) mid-crawl and started again; then
    the writer, killed mid-drain and started again. Returns what was seen on the way."""
    folder = tmp_path_factory.mktemp("killed")
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    replay = (*_replay(corpus), "-s", f"STATEMENTS_DB={folder / 'never.db'}")
    logs = [folder / f"worker{n}.log" for n in range(3)]
    workers = [_worker(redis_url, logs[0], *replay), _worker(redis_url, logs[1], *replay)]
    deadline = time.monotonic() + 300
    # Killed once 300 statements are out and while it holds requests (a busy machine may start it late).
    ledger = f"{stream.PREFIX}:fmprc_zh:*:inflight:*:{workers[0].pid}:*"
    while client.xlen(stream.STREAM) < 300 or not any(
        client.hlen(key) for key in client.scan_iter(match=ledger)
    ):
        assert time.monotonic() < deadline and all(worker.poll() is None for worker in workers)
        time.sleep(0.01)
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait()
    sent_before_kill = client.xlen(stream.STREAM)
    workers.append(_worker(redis_url, logs[2], *replay))
    texts = [_finish(worker, log) for worker, log in zip(workers[1:], logs[1:], strict=True)]
    messages = [fields for _, fields in client.xrange(stream.STREAM)]
    statement_ids = [
        stream.decode_statement(fields).statement.id for fields in messages if fields[b"kind"] == b"statement"
    ]
    db = folder / "statements.db"
    writer_log = folder / "writer.log"
    writer = _writer(redis_url, db, writer_log)
    deadline = time.monotonic() + 300
    stored = 0
    while stored < 300:
        assert time.monotonic() < deadline and writer.poll() is None
        time.sleep(0.05)
        if db.exists():
            try:
                connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                stored = connection.execute("select count(*) from statements").fetchone()[0]
                connection.close()
            except sqlite3.OperationalError:  # the schema is not there yet
                stored = 0
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    left = client.xlen(stream.STREAM)
    pending = client.xpending(stream.STREAM, stream.GROUP)["pending"]
    writer_text = _finish(_writer(redis_url, db, writer_log), writer_log)
    return {
        "db": db,
        "sent_before_kill": sent_before_kill,
        "statement_ids": statement_ids,
        "worker_logs": texts,
        "writer_log": writer_text,
        "stored_before_kill": stored,
        "left": left,
        "pending": pending,
    }


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_and_started_again_loses_nothing_and_sends_nothing_twice(
    killed, one_process: Path
) -> None:
    assert 300 <= killed["sent_before_kill"] < 900  # killed mid-crawl
    reclaimed = sum(
        int(match)
        for log in killed["worker_logs"]
        for match in re.findall(r"(\d+) requests of dead workers", log)
    )
    assert reclaimed > 0  # it held requests when it died: they were handed to the others
    expected = {statement_id for statement_id, _ in _ids_and_hashes(one_process)}
    assert len(killed["statement_ids"]) == 1000  # each statement sent once
    assert set(killed["statement_ids"]) == expected


@pytest.mark.slow
def test_the_writer_killed_mid_drain_and_started_again_loses_nothing(killed, one_process: Path) -> None:
    assert 300 <= killed["stored_before_kill"] < 1000 and killed["left"] > 0  # killed mid-drain
    assert _ids_and_hashes(killed["db"]) == _ids_and_hashes(one_process)
    db = sqlite3.connect(killed["db"])
    counts = db.execute("select new, updated, unchanged, finish_reason from crawls").fetchone()
    assert counts == (1000, 0, 0, "finished")  # nothing counted twice
    assert db.execute("select count(*) from statements where version != 1").fetchone()[0] == 0
    assert killed["pending"] > 0  # the batch in hand when it died, written by the next writer
    assert f"claimed {killed['pending']} pending entries" in killed["writer_log"]
