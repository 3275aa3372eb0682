"""Normalize pipeline: text, dates, speakers, kinds, canonical URLs, ids and hashes."""

from __future__ import annotations

import dataclasses

import pytest

from crawler.items import Extracted, PageItem, Statement
from crawler.sites import get_site
from pipelines.extract import extract
from pipelines.normalize import (
    canonical_url,
    classify_kind,
    clean_paragraphs,
    clean_text,
    content_hash,
    find_date,
    find_speakers,
    normalize,
    parse_date_parts,
    statement_id,
)
from tests.conftest import FIXTURES

SITE = get_site("fmprc_en")
PC = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"


def _date(
    title: str,
    *,
    url: str = PC + "t1686638.shtml",
    lead: str | None = None,
    images: list[str] | None = None,
    hints: dict | None = None,
    date_text: str | None = None,
) -> tuple[str | None, str]:
    page = PageItem("fmprc_en", url, 200, {}, b"", "2026-11-29T00:00:00+00:00", hints or {})
    extracted = Extracted(
        "utf-8", "declared-utf-8", "fmprc-en-2018", title, date_text, None, [], image_names=images or []
    )
    found = find_date(page, extracted, title, lead, SITE)
    return found.date, found.source


def test_clean_text_folds_every_space_and_composes() -> None:
    assert (
        clean_text("\u3000\u3000China\xa0and  Laos\n\tare\u200b friends. ") == "China and Laos are friends."
    )
    assert clean_text("Cafe\u0301") == "Café"


def test_clean_paragraphs_drops_empty_title_repeat_and_boilerplate() -> None:
    title = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    raw = [title, "\xa0", "CCTV: A question?", "Print", "Suggest to a friend:", "Zhao Lijian: An answer."]
    assert clean_paragraphs(raw, title, SITE) == [(2, "CCTV: A question?"), (5, "Zhao Lijian: An answer.")]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020",
            (2020, 7, 3),
        ),
        (
            "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on June11, 2018",
            (2018, 6, 11),
        ),
        (
            "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on September 10",
            (None, 9, 10),
        ),
        ("Foreign Ministry Spokesperson Hua Chunying's Remarks on US Remarks on Venezuela", None),
        ("Regular Press Conference on February 30, 2020", None),
    ],
)
def test_title_dates(title: str, expected: tuple | None) -> None:
    assert parse_date_parts(title, SITE.title_dates, SITE) == expected


def test_date_order_page_then_title_then_lead() -> None:
    title = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    assert _date(title, date_text="2020-07-04", lead="On July 5, 2020, …") == ("2020-07-04", "page")
    assert _date(title, lead="On July 5, 2020, …") == ("2020-07-03", "title")
    assert _date("Wang Yi Meets X", date_text="2020-07-04 10:30", lead="On July 5, 2020, …") == (
        "2020-07-04",
        "page",
    )
    assert _date("Wang Yi Meets X", lead="On July 16, 2020, State Councilor …") == ("2020-07-16", "lead")
    assert _date("Wang Yi Meets X", lead="On the afternoon of July 16, 2020, …") == ("2020-07-16", "lead")


def test_page_time_gives_published_at_in_beijing_time() -> None:
    page = PageItem("fmprc_en", PC + "t1.shtml", 200, {}, b"", "")
    extracted = Extracted("utf-8", "declared-utf-8", "x", "Wang Yi Meets X", "2020-07-04 19:06", None, [])
    found = find_date(page, extracted, "Wang Yi Meets X", None, SITE)
    assert (found.date, found.source, found.published_at) == (
        "2020-07-04",
        "page",
        "2020-07-04T19:06:00+08:00",
    )


def test_year_less_title_takes_the_year_of_the_photo() -> None:
    # t1597725: "… on September 21", photo uploaded the next day.
    title = "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on September 21"
    assert _date(title, images=["W020180922383929463344.jpg"]) == ("2018-09-21", "inferred")


def test_year_less_title_takes_the_year_of_the_neighbours_across_new_year() -> None:
    title = "Foreign Ministry Spokesperson Hua Chunying's Regular Press Conference on December 31"
    hints = {
        "neighbours": [
            {"url": PC + "t1626000.shtml", "title": "… Regular Press Conference on January 2, 2019"}
        ]
    }
    assert _date(title, hints=hints) == ("2018-12-31", "inferred")


def test_year_less_title_with_no_evidence_gets_no_date_rather_than_this_year() -> None:
    title = "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on September 10"
    assert _date(title) == (None, "none")


def test_dateless_page_takes_the_date_of_the_neighbour_nearest_by_document_number() -> None:
    hints = {
        "neighbours": [
            {
                "url": PC + "t1686991.shtml",
                "title": "Foreign Ministry Spokesperson Hua Chunying's Remarks on August 7, 2019",
            },
            {
                "url": PC + "t1686637.shtml",
                "title": "Foreign Ministry Spokesperson Hua Chunying's Remarks on August 6, 2019",
            },
        ]
    }
    title = "Foreign Ministry Spokesperson Hua Chunying's Remarks on US House Speaker Nancy Pelosi's Erroneous Remarks"
    assert _date(title, url=PC + "t1686638.shtml", hints=hints) == ("2019-08-06", "inferred")
    assert _date(title, url=PC + "t1686990.shtml", hints=hints) == ("2019-08-07", "inferred")


def test_the_url_never_gives_the_date() -> None:
    url = "https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202405/t20240530_11347346.html"
    assert _date("Wang Yi Meets X", url=url) == (None, "none")


@pytest.mark.parametrize(
    ("title", "lead", "speakers"),
    [
        (
            "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020",
            "CCTV: …",
            ["Zhao Lijian"],
        ),
        ("Wang Yi: China and Chile Are Comprehensive Strategic Partners", None, ["Wang Yi"]),
        ("Wang Yi Holds Talks with Foreign Minister of Chile Roberto Ampuero", None, ["Wang Yi"]),
        (
            "Speech by State Councilor and Foreign Minister Wang Yi at the Banquet for Foreign Minister Roberto Ampuero",
            None,
            ["Wang Yi"],
        ),
        (
            "China and Chile Hold Consultations",
            "On July 16, 2020, Vice Foreign Minister Le Yucheng met with X.",
            ["Le Yucheng"],
        ),
        (
            "Ampuero to Visit China",
            "At the invitation of State Councilor and Foreign Minister Wang Yi, X will visit.",
            [],
        ),
    ],
)
def test_speakers(title: str, lead: str | None, speakers: list[str]) -> None:
    assert find_speakers(title, lead, SITE) == speakers


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        (
            "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020",
            "press_conference",
        ),
        (
            "Foreign Ministry Spokesperson Hua Chunying's Daily Briefing Online on February 3, 2020",
            "press_conference",
        ),
        ("Foreign Ministry Spokesperson Hua Chunying's Remarks on August 14, 2019", "remarks"),
        ("Speech by State Councilor and Foreign Minister Wang Yi at the Welcoming Banquet", "speech"),
        ("Wang Yi Holds Talks with Foreign Minister of Chile Roberto Ampuero", "meeting"),
        ("Joint Statement between the People's Republic of China and the Republic of Chile", "statement"),
        ("Foreign Affairs Minister of Chile Roberto Ampuero to Visit China", "news"),
    ],
)
def test_kinds(title: str, kind: str) -> None:
    assert classify_kind(title, SITE) == kind


def test_canonical_url_is_one_per_page_whatever_host_served_it() -> None:
    forms = [
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml",
        "http://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml#top",
        "https://fmprc.gov.cn:443/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml",
        "http://www.mfa.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml",
    ]
    assert {canonical_url(url, SITE) for url in forms} == {forms[0]}
    assert statement_id(forms[0]) == "d842253e9f9601a5"  # sha256sum of the URL, first 16 hex digits


def test_content_hash_changes_with_the_text_only() -> None:
    assert content_hash("T", "a\n\nb") == content_hash("T", "a\n\nb")
    assert content_hash("T", "a\n\nb") != content_hash("T", "a\n\nc")
    assert content_hash("T", "a") != content_hash("U", "a")


ZH = get_site("fmprc_zh")
ZH_URL = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/"


def _zh_date(title: str, *, lead: str | None = None, date_text: str | None = None, hints: dict | None = None):
    page = PageItem("fmprc_zh", ZH_URL + "t1.shtml", 200, {}, b"", "2026-11-29T00:00:00+00:00", hints or {})
    extracted = Extracted("utf-8", "declared-utf-8", "fmprc-zh-2016", title, date_text, None, [])
    found = find_date(page, extracted, title, lead, ZH)
    return found.date, found.source


def test_chinese_dates() -> None:
    assert _zh_date("2020年7月3日外交部发言人赵立坚主持例行记者会", date_text="2020-07-04") == (
        "2020-07-04",
        "page",
    )
    assert _zh_date("2020年7月3日外交部发言人赵立坚主持例行记者会", date_text="2020-07-03") == (
        "2020-07-03",
        "title",
    )
    assert _zh_date("外交部发言人耿爽2月15日答记者问", date_text="2018-02-15") == ("2018-02-15", "page")
    assert _zh_date("杨洁篪会见卢森堡外交大臣", lead="2019年2月15日，杨洁篪在慕尼黑会见…") == (
        "2019-02-15",
        "lead",
    )
    assert _zh_date("杨洁篪会见卢森堡外交大臣", lead="当地时间2019年2月15日，杨洁篪…") == (
        "2019-02-15",
        "lead",
    )


def test_chinese_year_less_dates_never_take_the_current_year() -> None:
    assert _zh_date("外交部发言人耿爽2月15日答记者问") == (None, "none")
    assert _zh_date("外交部发言人耿爽2月15日答记者问", lead="7月16日，…") == (None, "none")
    assert _zh_date("外交部发言人耿爽2月15日答记者问", hints={"listing_date": "(2018-02-16)"}) == (
        "2018-02-15",
        "inferred",
    )
    assert _zh_date("外交部发言人答记者问", hints={"listing_date": "(2018-02-16)"}) == (
        "2018-02-16",
        "inferred",
    )


@pytest.mark.parametrize(
    ("title", "lead", "speakers", "kind"),
    [
        ("2020年7月3日外交部发言人赵立坚主持例行记者会", None, ["赵立坚"], "press_conference"),
        ("2020年2月3日外交部发言人华春莹主持网上例行记者会", None, ["华春莹"], "press_conference"),
        ("外交部发言人耿爽就联合国安理会通过第2371号决议答记者问", None, ["耿爽"], "remarks"),
        ("外交部发言人答记者问", "问：…", [], "remarks"),
        ("外交部发言人就全国人大常委会审议通过香港国安法发表谈话", None, [], "remarks"),
        ("杨洁篪会见卢森堡外交大臣阿瑟伯恩", None, ["杨洁篪"], "meeting"),
        ("耿爽：中国政府决定向意大利派遣抗疫医疗专家组", None, ["耿爽"], "news"),
        ("中国政府向菲律宾派遣抗疫医疗专家组", "外交部发言人华春莹宣布：", ["华春莹"], "news"),
        ("驻摩洛哥使馆妇女小组参加2019年使团慈善义卖", "12月8日，驻摩洛哥使馆…", [], "news"),
    ],
)
def test_chinese_speakers_and_kinds(title: str, lead: str | None, speakers: list[str], kind: str) -> None:
    assert find_speakers(title, lead, ZH) == speakers
    assert classify_kind(title, ZH) == kind


def test_control_characters_are_dropped() -> None:
    assert clean_text("Zhao\x01 Lijian:\x1b[0m answer\x7f") == "Zhao Lijian:[0m answer"


def test_a_title_of_invisible_characters_is_no_title() -> None:
    from pipelines.extract import NotAStatement
    from pipelines.normalize import normalize

    page = PageItem("fmprc_en", PC + "t1.shtml", 200, {}, b"", "")
    extracted = Extracted("utf-8", "declared-utf-8", "x", "\u200b \u200b", None, None, ["A paragraph."])
    with pytest.raises(NotAStatement) as rejection:
        normalize(page, extracted, SITE)
    assert rejection.value.reason == "no-title"


def test_an_invalid_title_date_takes_the_date_the_listing_gives_the_page() -> None:
    hints = {
        "listing_title": "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on June 24, 2020",
        "neighbours": [
            {"url": PC + "t1791668.shtml", "title": "… Regular Press Conference on June 23, 2020"}
        ],
    }
    title = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on February 30, 2020"
    assert _date(title, url=PC + "t1792107.shtml", hints=hints) == ("2020-06-24", "inferred")


# Issue 13, item 6: the statement's date is its page's date; speakers are whole names. Real pages of each
# template with the title (and date) of the cases spliced in.
def _spliced(site: str, fixture: str, url: str, replacements: list[tuple[str, str]]) -> Statement:
    html = (FIXTURES / site / fixture).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in html
        html = html.replace(old, new)
    page = PageItem(
        site, url, 200, {"Content-Type": ["text/html"]}, html.encode(), "2020-07-04T03:55:41+00:00"
    )
    declarations = get_site(site)
    return normalize(page, extract(page, declarations), declarations)


def test_a_chinese_title_naming_another_day_gives_way_to_the_page_date_and_names_whole_speakers() -> None:
    statement = _spliced(
        "fmprc_zh",
        "news_2020-04_t1766275.shtml",
        "https://www.fmprc.gov.cn/web/zyxw/t1784473.shtml",
        [
            (">中国政府向菲律宾派遣抗疫医疗专家组<", ">王毅将出席2020年6月20日举行的中欧战略对话<"),
            ('"News_Body_Time">2020-04-05<', '"News_Body_Time">2020-05-29<'),
        ],
    )
    assert statement.title == "王毅将出席2020年6月20日举行的中欧战略对话"
    assert (statement.date, statement.date_source) == ("2020-05-29", "page")
    assert statement.speakers == ["王毅"]
    assert "王毅将" not in statement.speakers


def test_a_spokesperson_title_naming_another_day_gives_way_to_the_page_date() -> None:
    statement = _spliced(
        "fmprc_zh",
        "remarks_2019-08-06_hua-chunying_t1686555.shtml",
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1686555.shtml",
        [
            (
                ">2019年8月6日外交部发言人华春莹答记者问<",
                ">外交部发言人就2019年7月1日香港暴力冲击立法会事件答记者问<",
            )
        ],
    )
    assert (statement.date, statement.date_source) == ("2019-08-06", "page")
    assert statement.kind == "remarks"


def test_an_english_title_naming_another_day_gives_way_to_the_page_date() -> None:
    title = "Wang Yi to Attend the China-EU Strategic Dialogue on June 20, 2020"
    statement = _spliced(
        "fmprc_en",
        "pc_2025-04-30_guo-jiakun_t20250430_11614172.html",
        "https://www.fmprc.gov.cn/eng/xw/zyxw/202005/t20200529_11614172.html",
        [
            ("Foreign Ministry Spokesperson Guo Jiakun’s Regular Press Conference on April 30, 2025", title),
            ('<span class="xltime">April 30, 2025 19:06<', '<span class="xltime">May 29, 2020 19:06<'),
            ('PubDate" content="2025-04-30"', 'PubDate" content="2020-05-29"'),
        ],
    )
    assert statement.title == title
    assert (statement.date, statement.date_source, statement.published_at) == (
        "2020-05-29",
        "page",
        "2020-05-29T19:06:00+08:00",
    )


def test_a_title_date_counts_where_the_page_date_element_is_empty() -> None:
    # fmprc.gov.cn's English pages of 2018–2020: #News_Body_Time is empty, the title gives the date
    assert _date("Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020") == (
        "2020-07-03",
        "title",
    )
    assert _date("Regular Press Conference on July 3, 2020", date_text="2020-07-04") == ("2020-07-04", "page")
    assert _date("Regular Press Conference on July 3, 2020", date_text="2020-07-03") == (
        "2020-07-03",
        "title",
    )


@pytest.mark.parametrize(
    ("title", "speakers"),
    [
        ("王毅将出席2020年6月20日举行的中欧战略对话", ["王毅"]),
        ("杨洁篪还会见了卢森堡外交大臣", ["杨洁篪"]),
        ("王毅同法国外长勒德里昂通电话", ["王毅"]),
        ("马朝旭会见联合国秘书长", ["马朝旭"]),
    ],
)
def test_chinese_speakers_are_whole_names(title: str, speakers: list[str]) -> None:
    assert find_speakers(title, None, get_site("fmprc_zh")) == speakers


def test_canonical_statement_urls_drop_what_does_not_identify_the_page() -> None:
    url = PC + "t1782879.shtml"
    for form in (url + "?from=list", url + "#top", url + "?from=list#top", url.replace("https:", "http:")):
        assert canonical_url(form, SITE) == url
    # a site whose statement pages are named by a parameter declares it; the others still go
    by_id = dataclasses.replace(SITE, query_parameters=("id",))
    assert canonical_url(PC + "article.shtml?from=list&id=7#top", by_id) == PC + "article.shtml?id=7"
    # listing pages keep their whole query (whitehouse.gov's ?page=2)
    listing = "https://obamawhitehouse.archives.gov/briefing-room/press-briefings?page=2"
    assert canonical_url(listing, get_site("whitehouse_en"), keep_query=True) == (
        "https://www.whitehouse.gov/briefing-room/press-briefings?page=2"
    )
