"""The base spider on fmprc_en: arguments, listing links, pagination from countPage, page items."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import PageItem
from crawler.spiders.base import SpiderArgumentError, StatementSpider
from crawler.spiders.sites import SPIDERS
from tests.conftest import FIXTURES

FmprcEnSpider = SPIDERS["fmprc_en"]

LISTING = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"


def _spider(db: Path | None = None, settings: dict | None = None, **arguments: str) -> StatementSpider:
    crawler = get_crawler(
        FmprcEnSpider, settings_dict={"STATEMENTS_DB": str(db or "/nonexistent/none.db"), **(settings or {})}
    )
    crawler._apply_settings()
    return FmprcEnSpider.from_crawler(crawler, **arguments)


def _listing(name: str) -> HtmlResponse:
    body = (FIXTURES / "fmprc_en" / "listing" / name).read_bytes()
    return HtmlResponse(LISTING + name, body=body, headers={"Content-Type": "text/html"})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"since": "2020-13-01"}, "-a since='2020-13-01' is not an ISO date"),
        ({"until": "yesterday"}, "-a until='yesterday' is not an ISO date"),
        ({"since": "2020-07-01", "until": "2020-06-01"}, "since (2020-07-01) is after until (2020-06-01)"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(arguments: dict, message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _spider(**arguments)


def test_good_arguments_are_dates() -> None:
    spider = _spider(since="2020-06-01", until="2020-06-30")
    assert (spider.since.isoformat(), spider.until.isoformat()) == ("2020-06-01", "2020-06-30")


def test_first_listing_page_yields_its_statements_and_the_next_page() -> None:
    spider = _spider()
    requests = list(
        spider.parse_listing(_listing("default.shtml"), section="legacy_press_conferences", page=0)
    )
    statements = [r for r in requests if r.callback == spider.parse_statement]
    [following] = [r for r in requests if r.callback == spider.parse_listing]
    assert len(statements) == 40
    assert statements[0].url == LISTING + "t1794629.shtml"  # from the relative link ./t1794629.shtml
    assert statements[-1].url == LISTING + "t1776657.shtml"
    assert following.url == LISTING + "default_1.shtml"
    assert following.cb_kwargs == {
        "section": "legacy_press_conferences",
        "page": 1,
        "pages": 13,
        "first": LISTING + "default.shtml",
    }
    hints = statements[0].cb_kwargs["hints"]
    assert (
        hints["listing_title"]
        == "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    )
    assert [n["url"] for n in hints["neighbours"]] == [LISTING + "t1794266.shtml"]
    assert spider.crawler.stats.get_value("statements/listing_pages") == 1
    assert spider.crawler.stats.get_value("statements/listing_pages_announced") == 13
    assert spider.crawler.stats.get_value("statements/section/legacy_press_conferences/links") == 40


def test_the_walk_goes_on_page_by_page_to_the_last_announced_page() -> None:
    spider = _spider()
    kwargs = {"section": "legacy_press_conferences", "pages": 13, "first": LISTING + "default.shtml"}
    requests = list(spider.parse_listing(_listing("default_5.shtml"), page=5, **kwargs))
    assert [r.url for r in requests if r.callback == spider.parse_listing] == [LISTING + "default_6.shtml"]
    last = list(spider.parse_listing(_listing("default_12.shtml"), page=12, **kwargs))
    assert all(r.callback == spider.parse_statement for r in last) and len(last) == 20  # 12 × 40 + 20 = 500
    assert spider.walked_sections == {"legacy_press_conferences"}


def test_listing_without_page_count_walks_only_its_first_page(caplog: pytest.LogCaptureFixture) -> None:
    spider = _spider()
    response = _listing("default.shtml")
    response = response.replace(body=response.body.replace(b"countPage = 13", b"pages = 13"))
    requests = list(spider.parse_listing(response, section="legacy_press_conferences", page=0))
    assert all(r.callback == spider.parse_statement for r in requests)
    assert "no page count on listing" in caplog.text


def test_statement_page_becomes_a_page_item_with_its_hints() -> None:
    spider = _spider()
    body = (FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml").read_bytes()
    request = Request(LISTING + "t1794629.shtml", meta={"fetched_at": "2020-07-04T03:55:41Z"})
    response = HtmlResponse(request.url, body=body, headers={"Content-Type": "text/html"}, request=request)
    [item] = spider.parse_statement(response, hints={"section": "press_conferences"})
    assert isinstance(item, PageItem)
    assert (item.site, item.url, item.status, item.body) == ("fmprc_en", request.url, 200, body)
    assert item.headers == {"Content-Type": ["text/html"]}
    assert item.fetched_at == "2020-07-04T03:55:41Z"
    assert item.hints == {"section": "press_conferences"}


def test_sections_and_domains() -> None:
    spider = _spider()
    assert [s.name for s in spider.site.sections] == [
        "press_conferences",
        "spokesperson_remarks",
        "top_stories",
        "missions_overseas",
        "legacy_headlines",
        "legacy_press_conferences",
        "legacy_spokesperson_remarks",
        "legacy_minister_speeches",
        "legacy_minister_activities",
    ]
    assert spider.allowed_domains == ["fmprc.gov.cn", "mfa.gov.cn"]


def _failure(request: Request, error: Exception):
    from twisted.python.failure import Failure

    failure = Failure(error)
    failure.request = request
    return failure


def test_errors_are_logged_on_one_line_at_a_level_that_fits(caplog: pytest.LogCaptureFixture) -> None:
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import DNSLookupError

    spider = _spider()
    caplog.set_level("INFO")
    entry = Request(LISTING + "default.shtml", cb_kwargs={"section": "headlines", "page": 0})
    statement = Request(LISTING + "t1.shtml", cb_kwargs={"hints": {}})
    for request, error in (
        (entry, HttpError(HtmlResponse(entry.url, status=404), "Ignoring non-200 response")),
        (statement, HttpError(HtmlResponse(statement.url, status=503), "Ignoring non-200 response")),
        (statement, DNSLookupError("no results for hostname lookup: www.fmprc.gov.cn")),
    ):
        assert list(spider.on_error(_failure(request, error))) == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", f"section entry point answered HTTP 404: {entry.url}"),
        ("WARNING", f"statement page answered HTTP 503: {statement.url}"),
        (
            "WARNING",
            f"statement page failed (dns): {statement.url}: DNS lookup failed: no results for hostname lookup:"
            " www.fmprc.gov.cn.",
        ),
    ]
    assert spider.crawler.stats.get_value("statements/http_errors") == 2
    assert spider.crawler.stats.get_value("statements/fetch_errors") == 1
    # faults by reason; a section entry point that answers 404 has moved: no fault
    faults = {
        key: value
        for key, value in spider.crawler.stats.get_stats().items()
        if key.startswith("statements/faults/")
    }
    assert faults == {"statements/faults/http-503": 1, "statements/faults/dns": 1}
    # a failed listing page further on does not end the walk
    kwargs = {
        "section": "legacy_press_conferences",
        "page": 3,
        "pages": 13,
        "first": LISTING + "default.shtml",
    }
    listing = Request(LISTING + "default_3.shtml", callback=spider.parse_listing, cb_kwargs=kwargs)
    [following] = spider.on_error(_failure(listing, HttpError(HtmlResponse(listing.url, status=500), "")))
    assert following.url == LISTING + "default_4.shtml" and following.cb_kwargs["page"] == 4


def test_chinese_listing_gives_each_link_its_date() -> None:
    FmprcZhSpider = SPIDERS["fmprc_zh"]

    crawler = get_crawler(FmprcZhSpider)
    crawler._apply_settings()
    spider = FmprcZhSpider.from_crawler(crawler)
    url = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml"
    body = (FIXTURES / "fmprc_zh" / "listing" / "default.shtml").read_bytes()
    requests = list(spider.parse_listing(HtmlResponse(url, body=body), section="spokesperson", page=0))
    statements = [r for r in requests if r.callback == spider.parse_statement]
    listings = [r for r in requests if r.callback == spider.parse_listing]
    assert len(statements) == 15 and [r.cb_kwargs["pages"] for r in listings] == [67]  # countPage = 67
    first = statements[0].cb_kwargs["hints"]
    assert statements[0].url == url.replace("default.shtml", "t1794584.shtml")
    assert (first["listing_title"], first["listing_date"]) == (
        "2020年7月3日外交部发言人赵立坚主持例行记者会",
        "(2020-07-03)",
    )
    assert listings[0].url == url.replace("default.shtml", "default_1.shtml")


def test_a_listing_announcing_millions_of_pages_is_capped(caplog: pytest.LogCaptureFixture) -> None:
    spider = _spider(settings={"MAX_LISTING_PAGES": 5})
    response = _listing("default.shtml")
    response = response.replace(body=response.body.replace(b"countPage = 13", b"countPage = 50000000"))
    requests = list(spider.parse_listing(response, section="legacy_press_conferences", page=0))
    listings = [r for r in requests if r.callback == spider.parse_listing]
    assert [r.cb_kwargs["pages"] for r in listings] == [5]
    assert "announces 50000000 pages; only the first 5 are walked (MAX_LISTING_PAGES)" in caplog.text
    # statement pages go first, so statements are stored while listings are walked
    assert {r.priority for r in requests if r.callback == spider.parse_statement} == {10}
    assert {r.priority for r in listings} == {0}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"since": "20200601"}, "-a since='20200601' is not an ISO date"),
        ({"sinc": "2020-06-01"}, "unknown spider argument -a sinc; this spider takes -a since, -a until"),
    ],
)
def test_arguments_are_strict(arguments: dict, message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        _spider(**arguments)


def _store_with(path: Path, urls: list[str], first_seen: str, walked_at: str | None) -> None:
    from crawler.sites import get_site
    from pipelines.normalize import canonical_url, statement_id
    from statements.store import Store

    site = get_site("fmprc_en")
    store = Store(path)
    with store.transaction() as db:
        for url in urls:
            canonical = canonical_url(url, site)
            db.table("statements").insert(
                {
                    "id": statement_id(canonical),
                    "site": "fmprc_en",
                    "language": "en",
                    "url": canonical,
                    "title": "T",
                    "body": "B",
                    "content_hash": "h",
                    "version": 1,
                    "first_seen_at": first_seen,
                    "last_seen_at": first_seen,
                }
            )
        if walked_at:
            db.table("sections").insert(
                {"site": "fmprc_en", "section": "legacy_press_conferences", "walked_at": walked_at}
            )
    store.close()


def _links(name: str) -> list[str]:
    return [entry["url"] for entry in _spider().listing_entries(_listing(name), _spider().site.listing)]


def _walk(spider: StatementSpider, name: str, page: int) -> tuple[list[str], list[str]]:
    kwargs = {"pages": 13, "first": LISTING + "default.shtml"} if page else {}
    requests = list(
        spider.parse_listing(_listing(name), section="legacy_press_conferences", page=page, **kwargs)
    )
    return (
        [r.url for r in requests if r.callback == spider.parse_statement],
        [r.url for r in requests if r.callback == spider.parse_listing],
    )


def test_an_incremental_crawl_fetches_only_new_statements_and_stops_at_known_ones(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    newest = _links("default.shtml")
    # a finished crawl stored everything but the 3 newest statements
    _store_with(
        db, newest[3:] + _links("default_1.shtml"), "2020-07-01T00:00:00+00:00", "2020-07-01T01:00:00+00:00"
    )
    spider = _spider(db)
    statements, listings = _walk(spider, "default.shtml", 0)
    assert statements == newest[:3] and listings == [LISTING + "default_1.shtml"]
    statements, listings = _walk(spider, "default_1.shtml", 1)
    assert statements == [] and listings == []  # page 2 holds only statements stored by the finished crawl
    assert spider.walked_sections == {"legacy_press_conferences"}
    assert spider.crawler.stats.get_value("statements/skipped_known") == 77


def test_statements_stored_by_an_interrupted_crawl_do_not_stop_the_walk(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    # an earlier crawl stored page 1 and was killed: no walk of the section ever finished
    _store_with(db, _links("default.shtml"), "2020-07-01T00:00:00+00:00", None)
    statements, listings = _walk(_spider(db), "default.shtml", 0)
    assert statements == [] and listings == [LISTING + "default_1.shtml"]
    # the same after a finished walk, if the killed crawl came after it
    db2 = tmp_path / "s2.db"
    _store_with(db2, _links("default.shtml"), "2020-07-02T00:00:00+00:00", "2020-07-01T01:00:00+00:00")
    statements, listings = _walk(_spider(db2), "default.shtml", 0)
    assert statements == [] and listings == [LISTING + "default_1.shtml"]


def test_recheck_refetches_the_newest_stored_statements(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    newest = _links("default.shtml")
    _store_with(db, newest, "2020-07-01T00:00:00+00:00", "2020-07-01T01:00:00+00:00")
    statements, listings = _walk(_spider(db, recheck="3"), "default.shtml", 0)
    assert statements == newest[:3] and listings == []


def test_a_backfill_fetches_only_statements_the_listing_dates_in_range_and_stops_past_since() -> None:
    spider = _spider(since="2020-06-01", until="2020-06-30")
    statements, listings = _walk(spider, "default.shtml", 0)  # July 3 … May 6, 2020
    assert len(statements) == 20  # the press conferences of June 2020 on this page (June 30 … June 1)
    assert statements[0] == LISTING + "t1793427.shtml" and statements[-1] == LISTING + "t1784867.shtml"
    assert listings == [LISTING + "default_1.shtml"]
    statements, listings = _walk(spider, "default_1.shtml", 1)  # April 2020 and older
    assert statements == [] and listings == []
    assert spider.walked_sections == set()  # a backfill never marks a section walked
    assert spider.crawler.stats.get_value("statements/skipped_by_listing_date") == 60


def test_recheck_must_be_a_number() -> None:
    with pytest.raises(SpiderArgumentError, match="-a recheck='all' is not a whole number"):
        _spider(recheck="all")


def test_progress_line_gives_pages_statements_rate_and_time_left() -> None:
    from crawler.extensions import progress_line

    stats = {
        "statements/listing_pages": 12,
        "statements/listing_pages_announced": 67,
        "statements/new": 470,
        "statements/unchanged": 10,
    }
    assert progress_line(stats, 300) == (
        "listing pages 12/67, statements stored 480 (470 new, 0 updated, 10 unchanged), 96/min, about 23 min left"
    )
    assert (
        progress_line({}, 5) == "listing pages 0, statements stored 0 (0 new, 0 updated, 0 unchanged), 0/min"
    )


# Issue 13, item 5: one page, one statement, one fetch. The recorded first listing page with its entries replaced
# by links to two statements written in every way a listing may write them.
LINK_FORMS = (
    "./t1794629.shtml?from=list",
    "./t1794629.shtml#top",
    "http://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml",
    "https://www.mfa.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml",
    "./t1790521.shtml",
    "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1790521.shtml?from=list#top",
)


def listing_linking_each_statement_several_ways() -> bytes:
    """The recorded default.shtml with one page (countPage = 1) whose entries are `LINK_FORMS`."""
    html = (FIXTURES / "fmprc_en" / "listing" / "default.shtml").read_text(encoding="utf-8")
    start = html.index("<ul>", html.index('<div class="newsLst_mod">')) + len("<ul>")
    end = html.index("</ul>", start)
    entries = "".join(
        f'<li><a href="{href}" target="_blank">Regular Press Conference {n}</a></li>'
        for n, href in enumerate(LINK_FORMS)
    )
    return (html[:start] + entries + html[end:]).replace("countPage = 13", "countPage = 1").encode("utf-8")


def test_each_statement_of_a_listing_is_requested_once_whatever_the_link_form() -> None:
    spider = _spider()
    response = HtmlResponse(
        LISTING + "default.shtml",
        body=listing_linking_each_statement_several_ways(),
        headers={"Content-Type": "text/html"},
    )
    requests = list(spider.parse_listing(response, section="legacy_press_conferences", page=0))
    assert [r.url for r in requests] == [LISTING + "t1794629.shtml", LISTING + "t1790521.shtml"]
    # the same links read on the other host (another section linking them) fetch nothing again
    again = response.replace(url=LISTING.replace("www.fmprc.gov.cn", "www.mfa.gov.cn") + "default.shtml")
    assert list(spider.parse_listing(again, section="legacy_spokesperson_remarks", page=0)) == []
    assert spider.crawler.stats.get_value("statements/duplicate_links") == 2


def test_a_listing_page_that_cannot_be_read_fails_its_section() -> None:
    """Every way a listing page further on can fail counts against its section, which is then not recorded as
    walked, and fails the run (crawler.verdict); a section's first page answering 404 is a section gone."""
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import TimeoutError as ConnectTimeout

    from crawler.verdict import failed_sections, run_problems

    spider = _spider()
    spider.crawler.stats.open_spider()
    section = "legacy_press_conferences"

    def listing(page: int, **meta: object) -> Request:
        kwargs = {"section": section, "page": page, "pages": 13, "first": LISTING + "default.shtml"}
        name = "default.shtml" if page == 0 else f"default_{page}.shtml"
        return Request(LISTING + name, callback=spider.parse_listing, cb_kwargs=kwargs, meta=meta)

    gone = Request(
        LISTING + "x/default.shtml", callback=spider.parse_listing, cb_kwargs={"section": "gone", "page": 0}
    )
    list(spider.on_error(_failure(gone, HttpError(HtmlResponse(gone.url, status=404), ""))))
    assert failed_sections(spider.crawler.stats.get_stats()) == []
    list(spider.on_error(_failure(listing(3), HttpError(HtmlResponse(LISTING, status=500), ""))))
    list(spider.on_error(_failure(listing(4), ConnectTimeout())))
    redirected = {"redirect_urls": [LISTING + "default_5.shtml"]}
    spider.request_scheduled(listing(5, **redirected).replace(url="https://evil.example.com/default_5.shtml"))
    spider.request_dropped(listing(6, **redirected).replace(url=LISTING + "default.shtml"))
    placeholder = HtmlResponse(
        LISTING + "default_7.shtml",
        body=(FIXTURES / "fmprc_zh" / "soft404_xitong-weihu_old-eng-url_t20210325_9170713.html").read_bytes(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=listing(7),
    )
    assert list(spider.parse_listing(placeholder, section, 7, 13, LISTING + "default.shtml")) == []
    stats = spider.crawler.stats.get_stats()
    assert stats[f"statements/section/{section}/failed_listings"] == 5
    assert failed_sections(stats) == [section]
    stats["statements/listing_pages"] = 8
    assert run_problems(stats) == [
        f"5 listing pages could not be read (see the warnings); not walked to the end: {section}"
    ]
