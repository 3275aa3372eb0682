"""Crawls against a real HTTP server on 127.0.0.1 that injects faults into the recorded pages it serves (see
tests/server.py): every crawl finishes, stores only good statements, never lets a failed refetch replace a stored
one, counts each fault by reason in its `crawls` row and logs it once at WARNING with the URL."""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sites import get_site
from pipelines.extract import extract
from pipelines.normalize import normalize
from tests.conftest import REPO, run_crawl
from tests.server import Page, Site, free_port, proxy_environment, serve
from tests.test_live import FAST, LISTING, STATEMENTS, TEMPLATE, build_site

CHALLENGE = (
    b'<html><head><script>document.cookie="__jsl_clearance=1612345678.9|0|abc;path=/";'
    b"location.href=location.pathname+location.search</script></head><body></body></html>"
)
"""A bot challenge as Jiasule (加速乐) serves it in front of Chinese government sites: set a cookie, reload."""

URLS = [statement.url for statement in STATEMENTS]


def _body(index: int) -> bytes:
    return STATEMENTS[index].path.read_bytes()


def _emptied(index: int) -> bytes:
    """The statement page with its template intact and nothing in its body container."""
    page, count = re.subn(
        rb'(<div class="content">).*?(<div[^>]*id="Appendix)',
        rb"\1</div>\2",
        _body(index),
        count=1,
        flags=re.S,
    )
    assert count == 1
    return page


def _listing_page() -> bytes:
    """The recorded listing page of the section, a page of no statement template."""
    return TEMPLATE.encode("utf-8")


def _crawl(db: Path, env: dict[str, str], *args: str, finish: str = "finished"):
    """Crawl through the server; the run must end with `finish` ("failed": exit 1, see crawler.verdict)."""
    run = run_crawl(
        "fmprc_en",
        "-s",
        f"STATEMENTS_DB={db}",
        "-s",
        "HTTPCACHE_ENABLED=False",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        *FAST,
        *args,
        env=env,
        timeout=120,
    )
    assert run.returncode == (0 if finish == "finished" else 1), run.stderr[-3000:]
    assert "Traceback" not in run.stderr and f"'finish_reason': '{finish}'" in run.stderr
    return run


def _warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING: " in line and "STATEMENTS_CONTACT" not in line]


def _expected_hash(index: int) -> str:
    page = STATEMENTS[index]
    site = get_site("fmprc_en")
    item = page.page_item()
    return normalize(item, extract(item, site), site).content_hash


@pytest.fixture
def server(tmp_path: Path):
    site = Site()
    with serve(site, tmp_path) as proxy:
        yield site, proxy_environment(proxy)


FAULTS = {
    0: ("503, then the page", lambda: [Page(b"busy", 503), Page(_body(0))]),
    1: ("500 every time", lambda: Page(b"oops", 500)),
    2: ("connection reset", lambda: Page(b"", fault="reset")),
    3: ("no answer before the timeout", lambda: Page(b"", fault="stall", seconds=4)),
    4: ("body shorter than its Content-Length", lambda: Page(_body(4), fault="truncate")),
    5: ("slow drip, within the timeout", lambda: Page(_body(5), fault="drip", seconds=1.0)),
    6: ("a 20 MB page", lambda: Page(_body(6) + b" " * (20 * 2**20))),
    7: (
        "a gzip bomb: 200 KB that inflate to 200 MB",
        lambda: Page(
            gzip.compress(b"<html>" + b"\0" * (200 * 2**20)),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        ),
    ),
    8: ("redirect to itself", lambda: Page(b"", 302, {"Location": URLS[8]})),
    9: (
        "redirect to another domain",
        lambda: Page(b"", 302, {"Location": "https://evil.example.com/t.html"}),
    ),
    10: ("challenge, HTTP 521", lambda: Page(CHALLENGE, 521)),
    11: ("challenge, HTTP 412", lambda: Page(CHALLENGE, 412)),
    12: ("challenge, HTTP 200", lambda: Page(CHALLENGE)),
    13: ("the template with an empty body", lambda: Page(_emptied(13))),
}
"""Statement index → (fault, the page or pages served); statement 14 is served as recorded."""


def test_each_fault_is_survived_counted_and_logged_once(server, tmp_path: Path) -> None:
    site, env = server
    build_site(site, STATEMENTS, per_page=20)
    for index, (_, page) in FAULTS.items():
        site.pages[URLS[index]] = page()
    db = tmp_path / "statements.db"
    run = _crawl(db, env)
    connection = sqlite3.connect(db)
    stored = dict(connection.execute("select url, content_hash from statements"))
    # the page behind a 503, the slow one and the untouched one, each exactly as a clean extraction gives it
    assert stored == {URLS[i]: _expected_hash(i) for i in (0, 5, 14)}
    faults, retried, rejected = connection.execute(
        "select faults, retried, rejected_reasons from crawls"
    ).fetchone()
    assert json.loads(faults) == {
        "challenge": 2,
        "connection": 1,
        "http-500": 1,
        "offsite-redirect": 1,
        "redirect-loop": 1,
        "timeout": 1,
        "too-large": 2,
        "truncated": 1,
    }
    assert json.loads(retried) == {"http-503": 1}
    assert json.loads(rejected) == {"challenge": 1, "empty-body": 1}
    warnings = _warnings(run.stderr)
    for index in FAULTS:
        lines = [line for line in warnings if URLS[index] in line]
        # a slow drip within the timeout is no fault; Scrapy adds its one notice per crawl the first time a body is
        # cut short ("Got data loss in …")
        assert len(lines) == {4: 2, 5: 0}.get(index, 1), (FAULTS[index][0], lines)
    assert not [line for line in warnings if URLS[14] in line]


def test_a_failed_refetch_never_replaces_a_stored_statement(server, tmp_path: Path) -> None:
    """Stored statements refetched (recheck) as an empty body, a soft-404 placeholder, a challenge and a 503
    keep their text and version; a real edit still becomes version 2."""
    site, env = server
    build_site(site, STATEMENTS, per_page=20)
    db = tmp_path / "statements.db"
    _crawl(db, env)
    before = dict(sqlite3.connect(db).execute("select url, content_hash from statements"))
    assert len(before) == len(STATEMENTS)
    site.pages[URLS[0]] = Page(_emptied(0))
    site.pages[URLS[1]] = Page(
        "<html><head><title>系统维护</title></head><body>系统维护</body></html>".encode()
    )
    site.pages[URLS[2]] = Page(CHALLENGE)
    site.pages[URLS[3]] = Page(b"busy", 503)
    site.pages[URLS[4]] = Page(
        _body(4).replace(
            b'<div class="content">', b'<div class="content"><p>Correction: a sentence added.</p>', 1
        )
    )
    assert site.pages[URLS[4]].body != _body(4)
    _crawl(db, env, "-a", "recheck=5")
    connection = sqlite3.connect(db)
    after = dict(connection.execute("select url, content_hash from statements"))
    assert {url: after[url] for url in URLS[:4]} == {url: before[url] for url in URLS[:4]}
    versions = dict(connection.execute("select url, version from statements"))
    assert [versions[url] for url in URLS[:5]] == [1, 1, 1, 1, 2]
    assert after[URLS[4]] != before[URLS[4]]
    row = connection.execute(
        "select updated, rejected_reasons, faults from crawls order by id desc"
    ).fetchone()
    assert row[0] == 1
    assert json.loads(row[1]) == {"challenge": 1, "empty-body": 1, "soft-404": 1}
    assert json.loads(row[2]) == {"http-503": 1}


ROBOTS = "https://www.fmprc.gov.cn/robots.txt"
SECTION_PATH = "/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"


@pytest.mark.parametrize(
    ("robots", "obeyed"),
    [
        (
            Page(
                f"User-agent: *\nDisallow: {SECTION_PATH}\n".encode(), headers={"Content-Type": "text/plain"}
            ),
            True,
        ),
        # a byte order mark before the first rule must not hide it
        (
            Page(
                f"\ufeffUser-agent: *\nDisallow: {SECTION_PATH}\n".encode(),
                headers={"Content-Type": "text/plain"},
            ),
            True,
        ),
        # as fmprc.gov.cn does: robots.txt redirects to an HTML error page, which holds no rule
        (Page(b"", 302, {"Location": "https://www.fmprc.gov.cn/error.htm"}), False),
    ],
    ids=["disallowed-section", "bom-before-rules", "redirect-to-html"],
)
def test_robots_txt_is_obeyed(server, tmp_path: Path, robots: Page, obeyed: bool) -> None:
    site, env = server
    build_site(site, STATEMENTS[:3], per_page=20)
    site.pages[ROBOTS] = robots
    site.pages["https://www.fmprc.gov.cn/error.htm"] = Page(b"<html><body>Error</body></html>")
    db = tmp_path / "statements.db"
    # a crawl that robots.txt forbids everything fetches nothing: it has failed (crawler.verdict)
    run = _crawl(db, env, finish="failed" if obeyed else "finished")
    stored = sqlite3.connect(db).execute("select count(*) from statements").fetchone()[0]
    faults = json.loads(sqlite3.connect(db).execute("select faults from crawls").fetchone()[0])
    if obeyed:
        assert stored == 0 and site.requested(SECTION_PATH) == []
        assert faults == {"robots": 1}
        assert [line for line in _warnings(run.stderr) if "(robots)" in line and LISTING in line]
        # the documented override
        _crawl(db, env, "-s", "ROBOTSTXT_OBEY=False")
        assert sqlite3.connect(db).execute("select count(*) from statements").fetchone()[0] == 3
    else:
        assert stored == 3 and faults == {}


def test_a_robots_txt_that_cannot_be_fetched_is_one_warning_without_traceback(caplog) -> None:
    # A crawl with no network (README trial of 2026-12-02): Scrapy logged it at ERROR with two tracebacks, in the
    # name of the section page that waited for robots.txt.
    import logging

    import crawler.middlewares  # noqa: F401  (installs the filter)

    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    with caplog.at_level(logging.INFO, logger="scrapy.downloadermiddlewares.robotstxt"):
        try:
            raise OSError("DNS lookup failed: no results for hostname lookup: www.fmprc.gov.cn.")
        except OSError as error:
            robots.error(
                "Error downloading %(request)s: %(f_exception)s",
                {"request": "<GET https://www.fmprc.gov.cn/eng/xw/zyxw/index.html>", "f_exception": error},
                exc_info=True,
            )
    (record,) = caplog.records
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert record.getMessage() == (
        "robots.txt could not be fetched for <GET https://www.fmprc.gov.cn/eng/xw/zyxw/index.html>"
        " (DNS lookup failed: no results for hostname lookup: www.fmprc.gov.cn.): no rules applied"
    )


def test_a_crawl_that_could_fetch_nothing_fails(tmp_path: Path) -> None:
    """No network: every request goes to a proxy on a closed port of 127.0.0.1 and is refused. The crawl exited 0
    and its `crawls` row said "finished" (issue 13, item 4); `scrapy crawl` and `statements crawl` now fail it."""
    env = proxy_environment(f"http://127.0.0.1:{free_port()}")
    sections = len(get_site("fmprc_en").sections)
    settings = ["-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}", *FAST]
    db = tmp_path / "statements.db"
    run = run_crawl("fmprc_en", "-s", f"STATEMENTS_DB={db}", *settings, env=env, timeout=120)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "Spider closed (failed)" in run.stderr
    problem = f"no listing page could be read ({sections} requests failed)"
    assert [line.split(" ERROR: ")[1] for line in run.stderr.splitlines() if " ERROR: " in line] == [
        f"fmprc_en: {problem}"
    ]
    row = (
        sqlite3.connect(db)
        .execute("select finish_reason, problems, listing_pages, fetch_errors, faults, errors from crawls")
        .fetchone()
    )
    assert row == ("failed", json.dumps([problem]), 0, sections, json.dumps({"connection": sections}), 1)
    scheduled = subprocess.run(
        [sys.executable, "-m", "statements.cli", "crawl", "fmprc_en", "--db", str(db), *settings],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )
    assert scheduled.returncode == 1
    assert scheduled.stderr.strip().splitlines()[-1] == f"fmprc_en: {problem}"
    assert sqlite3.connect(db).execute("select finish_reason from crawls order by id").fetchall() == [
        ("failed",),
        ("failed",),
    ]


MAINTENANCE = (
    REPO / "tests/fixtures/fmprc_zh/soft404_xitong-weihu_old-eng-url_t20210325_9170713.html"
).read_bytes()
"""The current site's "系统维护" placeholder, as recorded where a removed page was (a soft-404)."""
FOR_A_DAY = {"Content-Type": "text/html", "Cache-Control": "max-age=86400"}
OLD = {"Content-Type": "text/html", "Last-Modified": "Mon, 01 Jul 2019 00:00:00 GMT"}
"""Validators from which the RFC 2616 policy reckons a freshness of a tenth of the page's age: months."""


def _cached_crawl(db: Path, env: dict[str, str], cache: Path, *args: str, finish: str = "finished"):
    """A crawl through the server with the HTTP cache on (in `cache`), as on a live site."""
    run = run_crawl(
        "fmprc_en",
        "-s",
        f"STATEMENTS_DB={db}",
        "-s",
        f"HTTPCACHE_DIR={cache}",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        *FAST,
        *args,
        env=env,
        timeout=120,
    )
    assert run.returncode == (0 if finish == "finished" else 1), run.stderr[-3000:]
    assert "Traceback" not in run.stderr and f"'finish_reason': '{finish}'" in run.stderr
    return run


def _stored(db: Path) -> set[str]:
    return {url for (url,) in sqlite3.connect(db).execute("select url from statements")}


def test_the_http_cache_keeps_no_page_the_crawl_rejects(server, tmp_path: Path) -> None:
    """A challenge, a soft-404, an empty body and a page of no template, each sent as cacheable for a day or
    (from an old Last-Modified) for months, were cached and served again on the next runs, rejected each time,
    while the real pages stayed unfetched (issue 13, item 3)."""
    site, env = server
    build_site(site, STATEMENTS[:6], per_page=20)
    site.pages[URLS[0]] = Page(CHALLENGE, headers=FOR_A_DAY)
    site.pages[URLS[1]] = Page(MAINTENANCE, headers=OLD)
    site.pages[URLS[2]] = Page(_emptied(2), headers=FOR_A_DAY)
    site.pages[URLS[3]] = Page(_listing_page(), headers=OLD)
    db, cache = tmp_path / "statements.db", tmp_path / "cache"
    _cached_crawl(db, env, cache)
    assert _stored(db) == set(URLS[4:6])
    rejected = json.loads(sqlite3.connect(db).execute("select rejected_reasons from crawls").fetchone()[0])
    assert rejected == {"challenge": 1, "empty-body": 1, "no-template": 1, "soft-404": 1}
    # the site serves the real pages again: the next run fetches them from it, not the rejected copies
    build_site(site, STATEMENTS[:6], per_page=20)
    site.clear_log()
    _cached_crawl(db, env, cache)
    assert sorted(site.requested("/t")) == sorted(URLS[:4])
    assert _stored(db) == set(URLS[:6])
    assert {served.status for served in site.log if "/t" in served.url} == {200}


def test_a_cached_page_the_crawl_now_rejects_is_removed_from_the_cache(server, tmp_path: Path) -> None:
    """A cache filled by Scrapy's own middleware (as by the previous version) holds a challenge, fresh for a day:
    served from the cache and rejected, it is removed, and the next run fetches the real page."""
    site, env = server
    build_site(site, STATEMENTS[:3], per_page=20)
    site.pages[URLS[0]] = Page(CHALLENGE, headers=FOR_A_DAY)
    db, cache = tmp_path / "statements.db", tmp_path / "cache"
    stock = json.dumps(
        {
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": 900,
            "crawler.httpcache.AcceptedOnlyCacheMiddleware": None,
        }
    )
    _cached_crawl(db, env, cache, "-s", f"DOWNLOADER_MIDDLEWARES={stock}")
    assert _stored(db) == set(URLS[1:3])
    build_site(site, STATEMENTS[:3], per_page=20)
    site.clear_log()
    run = _cached_crawl(db, env, cache)
    assert site.requested("/t") == []  # served from the cache, where it was fresh
    assert f"removed from the HTTP cache (challenge): {URLS[0]}" in run.stderr
    _cached_crawl(db, env, cache)
    assert site.requested("/t") == [URLS[0]]
    assert _stored(db) == set(URLS[:3])


@pytest.mark.parametrize(
    "failure",
    [Page(b"busy", 503), Page(b"", fault="reset")],
    ids=["503-every-try", "connection-reset-every-try"],
)
def test_a_listing_page_that_fails_is_a_fault_not_its_stale_copy(
    server, tmp_path: Path, failure: Page
) -> None:
    """The section's listing page, cached with its validators by the first run, fails every retry on the second,
    while a new statement is on it. The cache answered with the stale copy: no fault counted, the section
    recorded as walked, the run fine (issue 13, item 3)."""
    site, env = server
    build_site(site, STATEMENTS[1:6], etags=True, per_page=20)
    site.pages[LISTING + "default.shtml"].etag = '"listing-1"'
    db, cache = tmp_path / "statements.db", tmp_path / "cache"
    _cached_crawl(db, env, cache)
    connection = sqlite3.connect(db)
    (walked,) = connection.execute("select walked_at from sections").fetchone()
    build_site(site, STATEMENTS[:6], etags=True, per_page=20)  # a new statement, on the first listing page
    site.pages[LISTING + "default.shtml"] = failure
    site.clear_log()
    run = _cached_crawl(db, env, cache, finish="failed")
    assert site.requested("/t") == []
    reason = "http-503" if failure.status == 503 else "connection"
    row = connection.execute("select faults, problems from crawls order by id desc").fetchone()
    assert json.loads(row[0]) == {reason: 1}
    # the 8 other sections of the site are not served here: their first pages answer 404 (sections gone)
    sections = len(get_site("fmprc_en").sections)
    assert json.loads(row[1]) == [f"no listing page could be read ({sections} requests failed)"]
    assert connection.execute("select walked_at from sections").fetchall() == [(walked,)]
    assert [line for line in _warnings(run.stderr) if LISTING + "default.shtml" in line]
    # the listing answers again: the new statement is found
    build_site(site, STATEMENTS[:6], etags=True, per_page=20)
    _cached_crawl(db, env, cache)
    assert _stored(db) == set(URLS[:6])
