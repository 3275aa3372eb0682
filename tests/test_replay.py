"""WARC replay (REPLAY_WARC) and the end-to-end crawl of a small WARC made from the fixtures."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.middlewares import WarcArchive, WarcReplayMiddleware
from crawler.sites import get_site
from pipelines.normalize import canonical_url
from tests.conftest import FIXTURES, fixture_pages, run_crawl, write_warc

PAGE = FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml"
URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"


@pytest.fixture
def archive(tmp_path: Path) -> WarcArchive:
    body = PAGE.read_bytes()
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:1000], body[1000:])) + b"0\r\n\r\n"
    )
    path = write_warc(
        tmp_path / "t.warc.gz",
        [
            (URL, 200, [("Content-Type", "text/html")], body),
            (
                URL.replace("t1794629", "t9"),
                200,
                [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                chunked,
            ),
            (
                URL.replace("t1794629", "gz"),
                200,
                [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                gzip.compress(body),
            ),
        ],
    )
    archive = WarcArchive(path)
    yield archive
    archive.close()


def test_archive_serves_recorded_status_headers_and_body(archive: WarcArchive) -> None:
    recorded = archive.get(URL + "#fragment")
    assert (recorded.status, recorded.body) == (200, PAGE.read_bytes())
    assert ("Content-Type", "text/html") in recorded.headers
    assert recorded.warc_date.startswith("20")
    assert len(archive) == 3 and URL in archive
    assert archive.get(URL.replace("t1794629", "t0")) is None


def test_chunked_records_are_dechunked_and_compressed_ones_kept_compressed(archive: WarcArchive) -> None:
    chunked = archive.get(URL.replace("t1794629", "t9"))
    assert chunked.body == PAGE.read_bytes()
    assert all(name.lower() != "transfer-encoding" for name, _ in chunked.headers)
    compressed = archive.get(URL.replace("t1794629", "gz"))
    assert gzip.decompress(compressed.body) == PAGE.read_bytes()
    assert ("Content-Encoding", "gzip") in compressed.headers


def test_middleware_answers_404_for_urls_not_in_the_archive(archive: WarcArchive) -> None:
    middleware = WarcReplayMiddleware(archive, maxsize=0, warnsize=0)
    response = middleware.process_request(Request("https://www.fmprc.gov.cn/not-recorded.shtml"))
    assert (response.status, response.body, response.flags) == (404, b"", ["replay-missing"])
    hit = middleware.process_request(Request(URL))
    assert isinstance(hit, HtmlResponse) and hit.status == 200 and hit.flags == ["replay"]
    assert hit.request.meta["fetched_at"] == archive.get(URL).warc_date


def test_middleware_drops_bodies_over_the_size_limit(archive: WarcArchive) -> None:
    middleware = WarcReplayMiddleware(archive, maxsize=10_000, warnsize=0)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request(URL))


def test_empty_archive_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="no WARC response record"):
        WarcArchive(empty)


def _fixture_warc(path: Path) -> Path:
    responses = []
    for site in ("fmprc_en", "fmprc_zh"):
        for page in fixture_pages(site):
            headers = [(name, value) for name, values in page.meta["headers"].items() for value in values]
            body = page.path.read_bytes()
            if page.path == PAGE:  # one page served gzip-compressed, as a live server may
                headers.append(("Content-Encoding", "gzip"))
                body = gzip.compress(body)
            responses.append((page.url, page.meta["status"], headers, body))
    responses.append(
        (
            "https://www.fmprc.gov.cn/robots.txt",
            302,
            [("Location", "https://www.fmprc.gov.cn/error.htm")],
            b"",
        )
    )
    return write_warc(path, responses)


UNLISTED = {"https://www.fmprc.gov.cn/web/zyxw/t1638430.shtml"}
"""Fixture statements that no fixture listing links (a 2019 重要新闻 page saved by a browser)."""


def test_replay_crawl_of_both_sites_and_both_eras_stores_each_fixture_statement_once(tmp_path: Path) -> None:
    warc = _fixture_warc(tmp_path / "fixtures.warc.gz")
    db_path = tmp_path / "statements.db"
    for spider in ("fmprc_en", "fmprc_en", "fmprc_zh", "fmprc_zh"):
        run = run_crawl(spider, "-s", f"REPLAY_WARC={warc}", "-s", f"STATEMENTS_DB={db_path}")
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr and "ERROR" not in run.stderr
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    rows = {row["url"]: row for row in db.execute("select * from statements")}
    expected = {
        canonical_url(page.url, get_site(site)): page.meta["expected"]
        for site in ("fmprc_en", "fmprc_zh")
        for page in fixture_pages(site)
        if "expected" in page.meta and page.url not in UNLISTED
    }
    assert set(rows) == set(expected)  # one statement per page, whichever host served it
    for url, values in expected.items():
        row = rows[url]
        assert (row["title"], row["date"], row["kind"]) == (
            values["title"],
            values["date"],
            values["kind"],
        ), url
        assert row["date_source"] in (values["date_source"], "translation")
        assert json.loads(row["speakers"]) == values["speakers"]
        assert row["body"].split("\n\n")[0] == values["first_paragraph"]
        assert row["version"] == 1
    crawls = [dict(row) for row in db.execute("select * from crawls order by id")]
    en = [c for c in crawls if c["spider"] == "fmprc_en"]
    zh = [c for c in crawls if c["spider"] == "fmprc_zh"]
    english = sum(1 for url in expected if "/eng/" in url or "/mfa_eng/" in url)
    for crawl in crawls:
        assert crawl["finish_reason"] == "finished" and crawl["errors"] == 0
    # first run: 13 recorded + 5 constructed legacy listing pages, 5 constructed current ones; every statement page,
    # and the removed page that answers a soft-404
    assert (en[0]["listing_pages"], en[0]["statement_pages"], en[0]["new"]) == (23, english + 1, english)
    assert json.loads(en[0]["rejected_reasons"]) == {"soft-404": 1} and en[0]["soft_404s"] == 1
    assert en[0]["dateless"] == 2  # the constructed speech and the announcement on page 2 of Headlines
    # second run, incremental: no statement page but the soft-404 again; the sections whose first page holds only
    # stored statements stop there (Headlines, current press conferences: 2 pages fewer); the recorded press
    # conference listings link 475 pages this small archive lacks, so all their pages are walked again
    assert (en[1]["listing_pages"], en[1]["statement_pages"], en[1]["new"], en[1]["updated"]) == (21, 1, 0, 0)
    chinese = len(expected) - english
    assert (zh[0]["new"], zh[1]["new"], zh[1]["updated"], zh[1]["statement_pages"]) == (chinese, 0, 0, 0)
    assert db.execute("select count(*) from pages").fetchone()[0] == len(expected)
    assert db.execute("select count(*) from statement_versions").fetchone()[0] == 0
    methods = dict(db.execute("select method, count(*) from translations group by method").fetchall())
    assert methods == {"page-link": 2, "same-day": 8, "document-number": 4}


def test_a_truncated_archive_fails_the_cut_record_instead_of_serving_it_short(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from crawler.middlewares import TruncatedRecord

    body = PAGE.read_bytes()
    path = write_warc(
        tmp_path / "cut.warc.gz",
        [
            (URL.replace("t1794629", "t1"), 200, [("Content-Type", "text/html")], b"<html>first</html>"),
            (URL, 200, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], body),
        ],
    )
    data = path.read_bytes()
    whole = WarcArchive(path)
    second = whole._offsets[WarcArchive.key(URL)]
    whole.close()
    (tmp_path / "cut.warc.gz").write_bytes(data[: second + (len(data) - second) * 2 // 3])
    archive = WarcArchive(tmp_path / "cut.warc.gz")
    assert "lacks its last" in caplog.text and "failed download" in caplog.text
    assert archive.get(URL.replace("t1794629", "t1")).body == b"<html>first</html>"
    with pytest.raises(TruncatedRecord, match="the record of .*t1794629.shtml lacks its last"):
        archive.get(URL)
    with pytest.raises(TruncatedRecord):
        WarcReplayMiddleware(archive, 0, 0).process_request(Request(URL))
    archive.close()


def test_a_statement_linked_six_ways_is_fetched_once_and_stored_once(tmp_path: Path) -> None:
    # Issue 13, item 5: relative, ?from=list, #top, http, another host: one request, one statement, one page row
    from tests.test_spider import LISTING, listing_linking_each_statement_several_ways

    statements = {
        LISTING + "t1794629.shtml": PAGE,
        LISTING + "t1790521.shtml": FIXTURES / "fmprc_en" / "pc_2020-06-19_zhao-lijian_t1790521.shtml",
    }
    warc = write_warc(
        tmp_path / "links.warc.gz",
        [
            (
                LISTING + "default.shtml",
                200,
                [("Content-Type", "text/html")],
                listing_linking_each_statement_several_ways(),
            ),
            *[
                (url, 200, [("Content-Type", "text/html")], path.read_bytes())
                for url, path in statements.items()
            ],
        ],
    )
    db_path = tmp_path / "statements.db"
    run = run_crawl("fmprc_en", "-s", f"REPLAY_WARC={warc}", "-s", f"STATEMENTS_DB={db_path}")
    assert run.returncode == 0, run.stderr[-3000:]
    db = sqlite3.connect(db_path)
    assert sorted(url for (url,) in db.execute("select url from statements")) == sorted(statements)
    assert sorted(url for (url,) in db.execute("select url from pages")) == sorted(statements)
    assert db.execute("select statement_pages, new, updated, unchanged from crawls").fetchone() == (
        2,
        2,
        0,
        0,
    )
    assert "?from=list" not in run.stderr and "#top" not in run.stderr
