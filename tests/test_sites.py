"""The sites beyond China's MFA: White House briefings, Belarus MFA, Japan's Prime Minister's Office. Their
listings (pages that link to the next one, entries in blocks, a damaged browser-saved listing) and a replay of
the Japan pages. Statement pages are checked in test_fixtures.py; the whole White House crawl in
test_whitehouse_corpus.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.sites import SITES
from crawler.spiders.base import SpiderArgumentError, StatementSpider
from crawler.spiders.sites import SPIDERS
from tests.conftest import FIXTURES, fixture_pages, run_crawl, write_warc

ARCHIVE = "https://obamawhitehouse.archives.gov"
KANTEI = "https://japan.kantei.go.jp/101_kishida/statement/"


def _spider(name: str, db: Path | None = None, **arguments: str) -> StatementSpider:
    spider_class = SPIDERS[name]
    crawler = get_crawler(spider_class, settings_dict={"STATEMENTS_DB": str(db or "/nonexistent/none.db")})
    crawler._apply_settings()
    return spider_class.from_crawler(crawler, **arguments)


def _response(path: Path, url: str, content_type: str = "text/html; charset=utf-8") -> HtmlResponse:
    return HtmlResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def _walk(spider: StatementSpider, response: HtmlResponse, section: str, page: int) -> tuple[list, list]:
    kwargs = {"pages": None, "first": response.url} if page else {}
    requests = list(spider.parse_listing(response, section=section, page=page, **kwargs))
    return (
        [r for r in requests if r.callback == spider.parse_statement],
        [r for r in requests if r.callback == spider.parse_listing],
    )


def test_every_site_module_is_a_spider() -> None:
    assert sorted(SITES) == ["fmprc_en", "fmprc_zh", "kantei_en", "mfa_by_en", "whitehouse_en"]
    assert sorted(SPIDERS) == sorted(SITES)
    for name, spider_class in SPIDERS.items():
        assert spider_class.name == name and spider_class.site is SITES[name]
        assert spider_class.__module__ == "crawler.spiders.sites"
        assert SITES[name].office in (spider_class.__doc__ or "")


def test_whitehouse_listing_gives_dates_and_follows_the_pager() -> None:
    spider = _spider("whitehouse_en")
    page = FIXTURES / "whitehouse_en" / "listing" / "press-briefings.html"
    statements, [following] = _walk(
        spider, _response(page, f"{ARCHIVE}/briefing-room/press-briefings"), "press_briefings", 0
    )
    assert len(statements) == 10
    first = statements[0]
    assert (
        first.url
        == f"{ARCHIVE}/the-press-office/2016/04/18/press-briefing-press-secretary-josh-earnest-4182016"
    )
    assert first.cb_kwargs["hints"]["listing_date"] == "April 18, 2016"
    assert (
        first.cb_kwargs["hints"]["listing_title"]
        == "Press Briefing by the Press Secretary Josh Earnest, 4/18/2016"
    )
    assert statements[-1].cb_kwargs["hints"]["listing_date"] == "April 06, 2016"
    # the "››" link, not the "2 of 163" the pager announces
    assert following.url == f"{ARCHIVE}/briefing-room/press-briefings?page=1"
    assert following.cb_kwargs == {
        "section": "press_briefings",
        "page": 1,
        "pages": None,
        "first": f"{ARCHIVE}/briefing-room/press-briefings",
    }
    assert spider.crawler.stats.get_value("statements/listing_pages_announced") is None


def test_whitehouse_last_listing_page_ends_the_walk() -> None:
    spider = _spider("whitehouse_en")
    page = FIXTURES / "whitehouse_en" / "listing" / "press-briefings_page_161.html"
    url = f"{ARCHIVE}/briefing-room/press-briefings?page=161"
    statements, following = _walk(spider, _response(page, url), "press_briefings", 161)
    assert len(statements) == 9 and following == []
    assert statements[-1].url == f"{ARCHIVE}/the-press-office/press-briefing-12209"
    assert spider.walked_sections == {"press_briefings"}


def test_whitehouse_backfill_skips_by_listing_date_and_stops_before_since() -> None:
    page = FIXTURES / "whitehouse_en" / "listing" / "press-briefings.html"
    spider = _spider("whitehouse_en", since="2016-04-12", until="2016-04-14")
    statements, following = _walk(
        spider, _response(page, f"{ARCHIVE}/briefing-room/press-briefings"), "press_briefings", 0
    )
    assert [r.cb_kwargs["hints"]["listing_date"] for r in statements] == [
        "April 14, 2016",
        "April 14, 2016",
        "April 13, 2016",
        "April 12, 2016",
    ]
    assert len(following) == 1  # the page holds dates inside the range: older pages may too
    spider = _spider("whitehouse_en", since="2016-05-01")
    statements, following = _walk(
        spider, _response(page, f"{ARCHIVE}/briefing-room/press-briefings"), "press_briefings", 0
    )
    assert statements == [] and following == []  # every date on the page is older than since


def test_belarus_listing_links_survive_a_damaged_browser_saved_page() -> None:
    """The saved listing's links point to http://localhost/ (the browser that saved it resolved the relative
    links there) and its bytes are damaged UTF-8 declared as windows-1251: the statement links are read as the
    relative links they were, with their titles."""
    spider = _spider("mfa_by_en")
    page = FIXTURES / "mfa_by_en" / "listing_statements.html"
    response = _response(page, "https://mfa.gov.by/en/press/statements/", "text/html")
    entries = spider.listing_entries(response, spider.site.listing)
    assert [entry["url"] for entry in entries] == [
        "https://mfa.gov.by/en/press/statements/bf7e69d3fec2c5f0.html",
        "https://mfa.gov.by/en/press/statements/b7b71aff55bfca76.html",
        "https://mfa.gov.by/en/press/statements/f179725988c80350.html",
        "https://mfa.gov.by/en/press/statements/cf70e7349e4f19db.html",
        "https://mfa.gov.by/en/press/statements/dad9272a52869cef.html",
    ]
    assert entries[0]["title"] == (
        "Statement of the Foreign Ministry of the Republic of Belarus in connection with the situation in Kazakhstan"
    )
    assert entries[4]["title"] == (
        "Statement by the Minister of Foreign Affairs of the Republic of Belarus, Vladimir Makei, at the OSCE 26th"
        " Ministerial Council (Bratislava, December 5, 2019)"
    )
    assert all(entry["date"] is None for entry in entries)
    # one page: the saved listing shows no pager, and the site declares none
    _, following = _walk(spider, response, "statements", 0)
    assert following == [] and spider.walked_sections == {"statements"}


def test_kantei_monthly_listing_goes_on_to_the_previous_month() -> None:
    spider = _spider("kantei_en")
    page = FIXTURES / "kantei_en" / "listing_statement_202112_index.html"
    statements, [following] = _walk(spider, _response(page, f"{KANTEI}202112/index.html"), "kishida_101", 0)
    assert [r.url.rsplit("/", 1)[-1] for r in statements] == [
        f"_000{n:02d}.html" for n in (12, 13, 14, 11, 10, 9, 8, 7, 6, 4, 5, 2, 3, 1)
    ]
    assert statements[0].cb_kwargs["hints"]["listing_date"] == "December 22, 2021"
    assert statements[-1].cb_kwargs["hints"]["listing_date"] == "December 2, 2021"
    assert following.url == f"{KANTEI}202111/index.html"  # the month after this one in the page's menu


def test_listing_argument_walks_one_archive_page_in_its_section() -> None:
    spider = _spider("kantei_en", listing=f"{KANTEI}202112/index.html")
    assert spider.listing_section(f"{KANTEI}202112/index.html") == "kishida_101"
    assert spider.listing_section("https://japan.kantei.go.jp/other/index.html") == "listing"
    # any of the site's hosts: the White House listing as recorded (www) or as served today (the archive)
    whitehouse = _spider("whitehouse_en")
    for host in ("https://www.whitehouse.gov", ARCHIVE):
        assert (
            whitehouse.listing_section(f"{host}/briefing-room/press-briefings?page=160") == "press_briefings"
        )


def test_listing_argument_off_the_site_is_refused() -> None:
    with pytest.raises(
        SpiderArgumentError, match=r"-a listing='https://example.com/foo' is not on this site"
    ):
        _spider("whitehouse_en", listing="https://example.com/foo")


def _kantei_warc(path: Path) -> Path:
    return write_warc(
        path,
        [
            (page.url, 200, [("Content-Type", "text/html; charset=utf-8")], page.path.read_bytes())
            for page in fixture_pages("kantei_en")
        ],
    )


def test_kantei_replay_stores_each_statement_once_and_logs_the_missing(tmp_path: Path) -> None:
    """The recording holds the December 2021 listing and 11 of its 14 statements (_00002, _00009 and _00014
    are missing): the crawl logs those three and finishes; a second crawl stores nothing again."""
    db = tmp_path / "statements.db"
    warc = _kantei_warc(tmp_path / "kantei.warc.gz")
    arguments = (
        "-a",
        f"listing={KANTEI}202112/index.html",
        "-s",
        f"STATEMENTS_DB={db}",
        "-s",
        f"REPLAY_WARC={warc}",
    )
    first = run_crawl("kantei_en", *arguments)
    assert first.returncode == 0, first.stderr[-3000:]
    missing = sorted(
        line.rsplit(": ", 1)[-1]
        for line in first.stderr.splitlines()
        if "is missing from the recording" in line
    )
    assert missing == [f"{KANTEI}202111/index.html"] + [
        f"{KANTEI}202112/_000{n:02d}.html" for n in (2, 9, 14)
    ]
    assert "Traceback" not in first.stderr
    assert "'finish_reason': 'finished'" in first.stderr
    second = run_crawl("kantei_en", *arguments)
    assert second.returncode == 0, second.stderr[-3000:]
    connection = sqlite3.connect(db)
    rows = connection.execute("select url, date, kind, speakers from statements order by url").fetchall()
    assert len(rows) == 11 == len({url for url, *_ in rows})
    assert rows[0] == (
        f"{KANTEI}202112/_00001.html",
        "2021-12-02",
        "press_conference",
        '["KISHIDA Fumio"]',
    )
    assert connection.execute("select sum(new), sum(unchanged) from crawls").fetchone() == (11, 0)
