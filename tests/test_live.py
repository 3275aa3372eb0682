"""Live crawls (no replay) against a real HTTP server on 127.0.0.1 playing fmprc.gov.cn: incremental runs,
versions of edited statements, conditional GET, and resuming after SIGKILL.

The site served: the 15 recorded English statement pages of tests/fixtures/fmprc_en, listed, newest first, on
listing pages built from the recorded listing template (`default.shtml`, its links and `countPage` replaced).
"""

from __future__ import annotations

import math
import random
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, crawl_command, run_crawl, statement_fixtures
from tests.server import Page, Site, proxy_environment, serve

LISTING = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"
TEMPLATE = (FIXTURES / "fmprc_en" / "listing" / "default.shtml").read_text(encoding="utf-8")
PER_PAGE = 4
FAST = (
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "RETRY_TIMES=1",
    "-s",
    "LOG_LEVEL=INFO",
)


def _statements() -> list:
    pages = [p for p in statement_fixtures("fmprc_en") if p.url.startswith(LISTING)]
    return sorted(pages, key=lambda page: int(re.search(r"/t(\d+)\.shtml$", page.url).group(1)), reverse=True)


STATEMENTS = _statements()


def _listing(entries: list, page: int, pages: int) -> bytes:
    items = "".join(
        f'<li><a href="./{entry.url.rsplit("/", 1)[1]}" target="_blank">{entry.meta["expected"]["title"]}</a></li>\n'
        for entry in entries
    )
    html = re.sub(
        r"(<div class=\"newsLst_mod\">\s*<ul>).*?(</ul>)",
        lambda m: m.group(1) + items + m.group(2),
        TEMPLATE,
        count=1,
        flags=re.S,
    )
    html = html.replace("var currentPage = 0;", f"var currentPage = {page};")
    return html.replace("var countPage = 13", f"var countPage = {pages}").encode("utf-8")


def build_site(site: Site, statements: list, etags: bool = False, per_page: int = PER_PAGE) -> None:
    """Serve `statements` (newest first) and the listing pages that list them, `per_page` a page."""
    site.pages.clear()
    pages = max(1, math.ceil(len(statements) / per_page))
    for number in range(pages):
        name = "default.shtml" if number == 0 else f"default_{number}.shtml"
        chunk = statements[number * per_page : (number + 1) * per_page]
        site.pages[LISTING + name] = Page(_listing(chunk, number, pages))
    for statement in statements:
        body = statement.path.read_bytes()
        etag = f'"{abs(hash(body))}"' if etags else None
        site.pages[statement.url] = Page(body, etag=etag)


def _ids_and_hashes(db_path: Path) -> set[tuple[str, str]]:
    return set(sqlite3.connect(db_path).execute("select id, content_hash from statements").fetchall())


@pytest.fixture
def server(tmp_path: Path):
    site = Site()
    with serve(site, tmp_path) as proxy:
        yield site, proxy_environment(proxy)


def _crawl(db_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    run = run_crawl(
        "fmprc_en",
        "-s",
        f"STATEMENTS_DB={db_path}",
        "-s",
        f"HTTPCACHE_DIR={db_path.parent / 'cache'}",
        *FAST,
        *args,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    return run


def test_an_incremental_crawl_fetches_exactly_the_new_statement_pages(server, tmp_path: Path) -> None:
    site, env = server
    db_path = tmp_path / "statements.db"
    earlier, new = STATEMENTS[3:], STATEMENTS[:3]
    build_site(site, earlier)  # the site as it stood before its three newest statements
    _crawl(db_path, env)
    assert set(site.requested("/t")) == {statement.url for statement in earlier}
    site.clear_log()
    build_site(site, STATEMENTS)
    _crawl(db_path, env)
    assert sorted(site.requested("/t")) == sorted(statement.url for statement in new)
    # the three new ones pushed the listing one page on: page 1 holds only new and stored statements, page 2 only
    # stored ones, where the walk stops
    assert site.requested(LISTING + "default") == [LISTING + "default.shtml", LISTING + "default_1.shtml"]
    db = sqlite3.connect(db_path)
    assert db.execute("select count(*) from statements").fetchone() == (len(STATEMENTS),)
    assert db.execute("select new, statement_pages from crawls order by id").fetchall() == [
        (len(earlier), len(earlier)),
        (3, 3),
    ]
    site.clear_log()
    _crawl(db_path, env)  # nothing new: one listing page, no statement page
    assert site.requested("/t") == []
    assert site.requested(LISTING + "default") == [LISTING + "default.shtml"]


def test_an_edited_statement_becomes_a_new_version_and_a_304_counts_as_unchanged(
    server, tmp_path: Path
) -> None:
    site, env = server
    db_path = tmp_path / "statements.db"
    build_site(site, STATEMENTS, etags=True)
    _crawl(db_path, env)
    newest = STATEMENTS[0]
    edited = newest.path.read_bytes().replace(
        b"Diaoyu Dao and its affiliated islands", b"Diaoyu Dao and its islands"
    )
    site.pages[newest.url] = Page(edited, etag='"edited"')
    site.clear_log()
    _crawl(db_path, env, "-a", "recheck=2")  # the two newest are fetched again
    assert sorted(site.requested("/t")) == sorted(s.url for s in STATEMENTS[:2])
    statuses = {served.url: served.status for served in site.log}
    assert statuses[STATEMENTS[1].url] == 304  # revalidated with If-None-Match, not sent again
    assert site.log[[s.url for s in site.log].index(STATEMENTS[1].url)].headers.get("if-none-match")
    db = sqlite3.connect(db_path)
    assert db.execute("select updated, unchanged from crawls order by id desc limit 1").fetchone() == (1, 1)
    version, body = db.execute("select version, body from statements where url = ?", [newest.url]).fetchone()
    assert version == 2 and "Diaoyu Dao and its islands are China's inherent territory" in body
    old = db.execute("select version, body from statement_versions").fetchall()
    assert [v for v, _ in old] == [1] and "Diaoyu Dao and its affiliated islands" in old[0][1]


def _wait_for_crawl_row(db_path: Path, run: int, process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the database holds `run` rows in `crawls` (the crawl process has opened it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if db_path.exists():
            try:
                if sqlite3.connect(db_path).execute("select count(*) from crawls").fetchone()[0] >= run:
                    return
            except sqlite3.OperationalError:
                pass  # the schema is being created
        time.sleep(0.02)
    raise AssertionError(f"crawl {run} did not open {db_path} within {timeout} s")


def test_killed_crawls_resume_to_the_same_database(server, tmp_path: Path) -> None:
    site, env = server
    # one statement per listing page: the walk is a long chain of requests, so every kill lands inside a crawl
    build_site(site, STATEMENTS, per_page=1)
    reference = tmp_path / "reference.db"
    _crawl(reference, env)
    expected = _ids_and_hashes(reference)
    assert len(expected) == len(STATEMENTS)

    site.delay = 0.2  # a slow server, so that the kills land in the middle of the crawl
    db_path = tmp_path / "killed.db"
    command = crawl_command(
        "fmprc_en", "-s", f"STATEMENTS_DB={db_path}", "-s", f"HTTPCACHE_DIR={tmp_path / 'c'}", *FAST
    )
    moments = random.Random(20201).sample([x / 10 for x in range(2, 22)], 5)
    stored = []
    for run, moment in enumerate(moments, start=1):
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**__import__("os").environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Each kill lands a random moment after the crawl has opened the database (its `crawls` row is there):
        # how long Python and Scrapy take to start varies tenfold with the machine's load.
        _wait_for_crawl_row(db_path, run, process)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        stored.append(sqlite3.connect(db_path).execute("select count(*) from statements").fetchone()[0])
    assert max(stored) < len(STATEMENTS)  # each kill interrupted the crawl
    site.delay = 0
    _crawl(db_path, env)  # the same command again, uninterrupted
    assert _ids_and_hashes(db_path) == expected
    db = sqlite3.connect(db_path)
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert db.execute("select count(*) from pages").fetchone() == (len(STATEMENTS),)
