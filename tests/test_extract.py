"""Extract pipeline: template choice, boilerplate removal, paragraph splitting, rejections."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from crawler.items import PageItem
from crawler.sites import get_site
from pipelines.extract import NotAStatement, extract, split_paragraphs
from pipelines.normalize import normalize
from tests.conftest import FIXTURES

SITE = get_site("fmprc_en")
TEMPLATE_PAGE = (FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml").read_bytes()
URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"


def _page(body: bytes, content_type: str = "text/html") -> PageItem:
    return PageItem("fmprc_en", URL, 200, {"Content-Type": [content_type]}, body, "2020-07-04T03:55:41+00:00")


def _with_content(inner: str) -> bytes:
    """The recorded t1794629 page with its body container's content replaced by `inner`."""
    html = TEMPLATE_PAGE.decode("utf-8")
    start = html.index('<div class="content">') + len('<div class="content">')
    end = html.index('<div class="tool"', start)
    end = html.rindex("</div>", start, end)
    return (html[:start] + inner + html[end:]).encode("utf-8")


def _paragraphs(html: str, single_br_splits: bool = True) -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    return [" ".join(p.text.split()) for p in split_paragraphs(soup.body, single_br_splits)]


def test_recorded_page_yields_title_and_body_but_no_template_text() -> None:
    extracted = extract(_page(TEMPLATE_PAGE), SITE)
    assert (
        extracted.title
        == "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    )
    assert extracted.template == "fmprc-en-2018"
    assert (extracted.encoding, extracted.encoding_reason) == ("utf-8", "declared-utf-8")
    assert extracted.date_text is None  # #News_Body_Time is empty on the English pages
    assert " ".join(extracted.breadcrumb.split()) == (
        "Home > Press and Media Service > Spokesperson's Remarks > Regular Press Conference"
    )
    assert len(extracted.paragraphs) == 35
    assert extracted.image_names[0] == "W020200703667259410426.jpg"
    text = " ".join(extracted.paragraphs)
    for boilerplate in ("Suggest to a friend", "Print", "Related News", "Appendix", "Home >"):
        assert boilerplate not in text


def test_scripts_styles_forms_and_images_inside_the_body_are_dropped() -> None:
    body = _with_content(
        "<p>Zhao Lijian: First paragraph.</p><script>var x = 'Print';</script><style>.a{}</style>"
        "<p><img src='./W020200703667259410426.jpg'></p>"
        "<form><input value='Please enter E-mail'></form><!-- a comment --><p>Last paragraph.</p>"
    )
    extracted = extract(_page(body), SITE)
    assert [" ".join(p.split()) for p in extracted.paragraphs] == [
        "Zhao Lijian: First paragraph.",
        "Last paragraph.",
    ]


def test_paragraphs_split_at_blocks_and_br_runs() -> None:
    # t1752564: several questions and answers in one <p>, separated by <br><br>.
    html = (
        "<p><br><strong>Q: A Fox News host said … What is your comment? <br></strong><br>A: What he said is "
        "very preposterous. <br><br>First, to defeat this virus.<br>Second, to act.</p><div>Third <b>point</b>.</div>"
    )
    assert _paragraphs(html) == [
        "Q: A Fox News host said … What is your comment?",
        "A: What he said is very preposterous.",
        "First, to defeat this virus.",
        "Second, to act.",
        "Third point.",
    ]
    assert _paragraphs(html, single_br_splits=False) == [
        "Q: A Fox News host said … What is your comment?",
        "A: What he said is very preposterous.",
        "First, to defeat this virus. Second, to act.",
        "Third point.",
    ]


def test_bold_starts_are_flagged() -> None:
    # t1794629: the outlet's question in bold, split over several <b>; the answer not.
    soup = BeautifulSoup(
        "<p>\u3000\u3000<B><SPAN>CCTV: </SPAN></B><B><SPAN>The foreign ministry of Laos</SPAN></B></p>"
        "<p><SPAN>Zhao Lijian: China highly applauds</SPAN> <b>Laos</b></p><p>Q: <b>late bold</b></p>",
        "lxml",
    )
    assert [p.bold for p in split_paragraphs(soup.body, True)] == [True, False, False]


def test_inline_markup_split_inside_words_is_joined() -> None:
    # t1794629: "Th</SPAN><SPAN>e following question …"
    assert _paragraphs("<p><span>Th</span><span>e following</span><span>&nbsp;question</span></p>") == [
        "The following question"
    ]


def test_deeply_nested_markup_does_not_exhaust_the_stack() -> None:
    html = "<div>" * 5000 + "deep text" + "</div>" * 5000
    assert _paragraphs(html) == ["deep text"]


def test_error_page_has_no_template() -> None:
    with pytest.raises(NotAStatement) as rejection:
        extract(_page((FIXTURES / "fmprc_en" / "error.htm").read_bytes()), SITE)
    assert rejection.value.reason == "no-template"


def test_empty_body_is_rejected() -> None:
    with pytest.raises(NotAStatement) as rejection:
        extract(_page(_with_content("<p>&nbsp;</p><p><img src='x.jpg'></p>")), SITE)
    assert rejection.value.reason == "empty-body"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"%PDF-1.4 binary", "application/pdf"), (b"", "text/html"), (b"   ", "text/html")],
)
def test_non_html_is_rejected(body: bytes, content_type: str) -> None:
    with pytest.raises(NotAStatement) as rejection:
        extract(_page(body, content_type), SITE)
    assert rejection.value.reason == "not-html"


def test_pipeline_drops_and_counts_pages_that_are_not_statements() -> None:
    from scrapy.exceptions import DropItem
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from pipelines.extract import ExtractPipeline

    stats = MemoryStatsCollector(get_crawler())
    pipeline = ExtractPipeline(stats)
    error_page = PageItem(
        "fmprc_en",
        "https://www.fmprc.gov.cn/error.htm",
        200,
        {},
        (FIXTURES / "fmprc_en" / "error.htm").read_bytes(),
        "",
    )
    with pytest.raises(
        DropItem,
        match=r"^not a statement \(soft-404: error page URL /error.htm\): https://www.fmprc.gov.cn/error.htm$",
    ):
        pipeline.process_item(error_page)
    assert stats.get_value("statements/rejected/soft-404") == 1
    assert "body" not in repr(error_page)  # Scrapy logs dropped items with their repr
    page = pipeline.process_item(_page(TEMPLATE_PAGE))
    assert page.extracted is not None and page.extracted.title.endswith("July 3, 2020")


def test_markup_nested_deeper_than_libxml2s_default_limit_loses_nothing() -> None:
    deep = "<span>" * 300 + "<p>Deep paragraph.</p>" + "</span>" * 300
    extracted = extract(_page(_with_content(f"<p>First.</p>{deep}<p>Last.</p>")), SITE)
    assert [" ".join(p.split()) for p in extracted.paragraphs] == ["First.", "Deep paragraph.", "Last."]


def test_a_page_cut_off_in_transfer_is_rejected_not_stored_short() -> None:
    cut = TEMPLATE_PAGE[: len(TEMPLATE_PAGE) * 2 // 3]  # t1794629 cut in its body
    with pytest.raises(NotAStatement) as rejection:
        extract(_page(cut), SITE)
    assert rejection.value.reason == "truncated"


# Issue 13, item 2: boilerplate inside the body block that no selector names, spliced into real pages of the
# 2016 Chinese and 2018 English templates.
ZH_NEWS = FIXTURES / "fmprc_zh" / "news_2020-04_t1766275.shtml"
ZH_NEWS_URL = "https://www.fmprc.gov.cn/web/zyxw/t1766275.shtml"
ZH_SHARE_BAR = (
    '<div class="bdsharebuttonbox"><span>分享到：</span><a href="#" class="bds_tsina" data-cmd="tsina" title="分享到新浪微博">'
    '</a><a href="#" class="bds_weixin" data-cmd="weixin"></a></div>'
)
ZH_PLAIN_SHARE = '<p>分享到：<a href="http://service.weibo.com/share/share.php?url=t1766275"><img src="/images/wb.png"></a></p>'
ZH_NAVIGATION = (
    '<table><tr><td><a href="/web/">首页</a> | <a href="/web/wjdt_674879/">归档</a></td></tr></table>'
    '<ul><li><a href="/web/">首页</a></li><li><a href="/web/zyxw/">重要新闻</a></li></ul>'
)
ZH_PRINT_CLOSE = '<p>【<a href="javascript:window.print()">打印</a>】【<a href="#" onclick="window.close()">关闭窗口</a>】</p>'


def _statement(site: str, path: Path, url: str, before: str = "", after: str = "", body_start: str = ""):
    """The statement of a recorded page, with `before` spliced in right after `body_start` (the body container's
    opening tag) and `after` before the first `</div>` after it (the container's end on these pages)."""
    html = path.read_text(encoding="utf-8")
    if before or after:
        start = html.index(body_start) + len(body_start)
        end = html.index("</div>", start)
        html = html[:start] + before + html[start:end] + after + html[end:]
    page = PageItem(
        site, url, 200, {"Content-Type": ["text/html"]}, html.encode(), "2020-07-04T03:55:41+00:00"
    )
    declarations = get_site(site)
    return normalize(page, extract(page, declarations), declarations)


def test_share_bars_navigation_cells_and_print_links_in_a_chinese_body_are_dropped() -> None:
    clean = _statement("fmprc_zh", ZH_NEWS, ZH_NEWS_URL)
    spliced = _statement(
        "fmprc_zh",
        ZH_NEWS,
        ZH_NEWS_URL,
        before=ZH_SHARE_BAR + ZH_PLAIN_SHARE + ZH_NAVIGATION,
        after=ZH_PRINT_CLOSE,
        body_start='<div id="News_Body_Txt_A" class="content">',
    )
    assert (
        spliced.paragraphs
        == clean.paragraphs
        == [
            "外交部发言人华春莹宣布：",
            "为帮助菲律宾应对新冠肺炎疫情，中国政府决定向菲律宾派遣抗疫医疗专家组。专家组由国家卫生健康委员会组建，由福建省卫健委选派，已于4月5日上午启程。",
        ]
    )
    assert spliced.speakers == ["华春莹"]  # read from the lead, which a share bar took before
    for boilerplate in ("分享", "首页", "归档", "重要新闻", "打印", "关闭", "【"):
        assert boilerplate not in spliced.body


EN_PAGE = FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml"
EN_SHARE = (
    '<div><p>Share: <a href="https://www.facebook.com/sharer.php?u=t1794629">Facebook</a> '
    '<a href="https://twitter.com/intent/tweet?url=t1794629">Twitter</a></p></div>'
)
EN_NAVIGATION = (
    '<ul><li><a href="/mfa_eng/">Home</a></li><li><a href="/mfa_eng/xwfw_665399/">Archive</a></li></ul>'
)
EN_PRINT_CLOSE = (
    '<p><a href="#" onclick="window.print()">Print</a> | <a href="javascript:window.close()">Close</a></p>'
)


def test_share_bars_navigation_lists_and_print_links_in_an_english_body_are_dropped() -> None:
    clean = _statement("fmprc_en", EN_PAGE, URL)
    spliced = _statement(
        "fmprc_en",
        EN_PAGE,
        URL,
        before=EN_SHARE + EN_NAVIGATION,
        after=EN_PRINT_CLOSE,
        body_start='<div class="content">',
    )
    assert spliced.paragraphs == clean.paragraphs
    assert spliced.paragraphs[0].startswith("CCTV: The foreign ministry of Laos")
    for boilerplate in ("Share", "Facebook", "Twitter", "Archive", "Print", "Close"):
        assert boilerplate not in spliced.body


def test_links_inside_sentences_and_a_lone_attachment_link_are_text() -> None:
    sentence = (
        '<p>See <a href="./t1.shtml">the Joint Statement</a> and <a href="./t2.shtml">the Press Communiqué</a>.</p>'
        '<p><a href="./P020200703.pdf">Full text of the Joint Statement</a></p>'
    )
    spliced = _statement("fmprc_en", EN_PAGE, URL, before=sentence, body_start='<div class="content">')
    assert spliced.paragraphs[:2] == [
        "See the Joint Statement and the Press Communiqué.",
        "Full text of the Joint Statement",
    ]
