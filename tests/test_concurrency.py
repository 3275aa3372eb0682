"""Readers while a crawl writes, and two crawls on one database at once (a real HTTP server on 127.0.0.1 plays
fmprc.gov.cn, tests/server.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, crawl_command
from tests.server import Site, proxy_environment, serve
from tests.test_live import FAST, STATEMENTS, build_site


@pytest.fixture
def slow_site(tmp_path: Path):
    """The 15 recorded statements, one per listing page, answered after 50 ms: a crawl of a few seconds that
    commits one statement at a time."""
    site = Site(delay=0.05)
    build_site(site, STATEMENTS, per_page=1)
    with serve(site, tmp_path) as proxy:
        yield proxy_environment(proxy)


def _start(db: Path, env: dict[str, str], cache: Path) -> subprocess.Popen[str]:
    command = crawl_command(
        "fmprc_en",
        "-s",
        f"STATEMENTS_DB={db}",
        "-s",
        f"HTTPCACHE_DIR={cache}",
        *FAST,
        "-s",
        "LOG_LEVEL=WARNING",
    )
    return subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """In one read transaction: statements, their FTS rows, and statements without their raw page."""
    connection.execute("begin")
    try:
        statements = connection.execute("select count(*) from statements").fetchone()[0]
        indexed = connection.execute("select count(*) from statements_fts").fetchone()[0]
        orphans = connection.execute(
            "select count(*) from statements s where not exists (select 1 from pages p where p.statement_id = s.id)"
        ).fetchone()[0]
    finally:
        connection.execute("commit")
    return statements, indexed, orphans


def test_readers_see_no_lock_and_consistent_rows_while_a_crawl_writes(slow_site, tmp_path: Path) -> None:
    db = tmp_path / "statements.db"
    crawl = _start(db, slow_site, tmp_path / "cache")
    locked, reads, seen = 0, 0, set()
    deadline = time.monotonic() + 50
    while crawl.poll() is None and time.monotonic() < deadline:
        if not db.exists():
            time.sleep(0.01)
            continue
        # as Datasette opens a file it may not write (mode=ro), and as sqlite3 or pandas would
        for connection in (
            sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None),
            sqlite3.connect(db, isolation_level=None),
        ):
            try:
                statements, indexed, orphans = _read(connection)
            except sqlite3.OperationalError as error:
                if "locked" in str(error) or "busy" in str(error):
                    locked += 1
                elif "no such table" not in str(error):  # the crawl has not made its schema yet
                    raise
            else:
                reads += 1
                seen.add(statements)
                assert indexed == statements and orphans == 0
            finally:
                connection.close()
    _, errors = crawl.communicate(timeout=60)
    assert crawl.returncode == 0, errors[-3000:]
    print(f"{reads} consistent reads, {len(seen)} distinct statement counts, {locked} locked")
    assert locked == 0
    assert reads > 50 and len(seen) > 3  # the readers saw the database grow, statement by statement
    assert _read(sqlite3.connect(db, isolation_level=None)) == (len(STATEMENTS), len(STATEMENTS), 0)


def test_two_crawls_on_one_database_at_once_both_finish_correctly(slow_site, tmp_path: Path) -> None:
    db = tmp_path / "statements.db"
    crawls = [_start(db, slow_site, tmp_path / f"cache{n}") for n in (1, 2)]
    for crawl in crawls:
        _, errors = crawl.communicate(timeout=120)
        assert crawl.returncode == 0, errors[-3000:]
        assert "locked" not in errors and "Traceback" not in errors
    connection = sqlite3.connect(db)
    assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
    assert connection.execute("select count(*), count(distinct url) from statements").fetchone() == (15, 15)
    assert connection.execute("select count(*) from pages").fetchone() == (15,)
    runs = connection.execute("select finish_reason, new, unchanged from crawls order by id").fetchall()
    assert [reason for reason, *_ in runs] == ["finished", "finished"]
    assert (
        sum(new for _, new, _ in runs) == 15
    )  # each statement stored new once; the other crawl found it stored
