"""Extract pipeline: template choice, boilerplate removal, paragraph splitting, rejections."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from crawler.items import PageItem
from crawler.sites import get_site
from pipelines.extract import NotAStatement, extract, split_paragraphs
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
