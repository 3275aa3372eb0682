"""Articles split over several pages (issue 13, item 1): real pages of the Chinese 2016 template (`.shtml`) and of
the current English template (`.html`) cut into parts as the TRS CMS cuts them, with its `createPageHTML(…)` paging
script after the body; a crawl of a small WARC of them, a part that cannot be fetched, a reparse."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from statements.cli import main
from crawler.items import PageItem, PagePart
from crawler.sites import get_site
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize
from pipelines.parts import page_parts
from statements.reparse import process_page
from tests.conftest import FIXTURES, run_crawl, write_warc

ZH_PAGE = FIXTURES / "fmprc_zh" / "pc_2020-07-03_zhao-lijian_t1794584.shtml"
ZH_FOLDER = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/"
ZH_URL = ZH_FOLDER + "t1794584.shtml"
ZH_BODY = '<div id="News_Body_Txt_A" class="content">'
EN_PAGE = FIXTURES / "fmprc_en" / "pc_2025-04-30_guo-jiakun_t20250430_11614172.html"
EN_URL = "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/202504/t20250430_11614172.html"
EN_BODY = '<div class="view_default _dedault _default TRS_UEDITOR trs_paper_default trs_web">'
HTML = {"Content-Type": ["text/html"]}


def split(path: Path, body_start: str, name: str, ext: str, count: int) -> list[bytes]:
    """The recorded page cut into `count` parts: each the whole page with a share of the body container's
    paragraphs (in order) and, after the container, the TRS paging script with its own index."""
    html = path.read_text(encoding="utf-8")
    start = html.index(body_start) + len(body_start)
    end = html.index("</div>", start)
    blocks = re.findall(r"(?is)<p\b.*?</p>", html[start:end])
    size = -(-len(blocks) // count)
    parts = []
    for index in range(count):
        share = "\n".join(blocks[index * size : (index + 1) * size])
        script = (
            f'<div id="pages" class="page"><script>createPageHTML({count}, {index}, "{name}", "{ext}");</script>'
            "</div>"
        )
        parts.append((html[:start] + share + html[end : end + 6] + script + html[end + 6 :]).encode("utf-8"))
    return parts


def statement(url: str, body: bytes, site: str, parts: list[PagePart] | None = None):
    page = PageItem(site, url, 200, HTML, body, "2020-07-04T03:55:41+00:00", parts=parts or [])
    declarations = get_site(site)
    return normalize(page, extract(page, declarations), declarations)


def test_the_paging_script_names_the_parts() -> None:
    first, second, _ = split(ZH_PAGE, ZH_BODY, "t1794584", "shtml", 3)
    site = get_site("fmprc_zh")
    parts = page_parts(ZH_URL, first.decode(), site)
    assert (parts.count, parts.current, parts.first) == (3, 0, ZH_URL)
    assert parts.urls == (ZH_FOLDER + "t1794584_1.shtml", ZH_FOLDER + "t1794584_2.shtml")
    assert page_parts(ZH_FOLDER + "t1794584_1.shtml", second.decode(), site).current == 1
    # another page's paging script (or one part) splits nothing
    assert page_parts(ZH_FOLDER + "t1794237.shtml", first.decode(), site) is None
    assert page_parts(ZH_URL, ZH_PAGE.read_text(encoding="utf-8"), site) is None
    one = first.decode().replace('createPageHTML(3, 0, "t1794584"', 'createPageHTML(1, 0, "t1794584"')
    assert page_parts(ZH_URL, one, site) is None


def test_the_parts_of_a_current_site_article_make_one_statement_at_the_first_url() -> None:
    whole = statement(EN_URL, EN_PAGE.read_bytes(), "fmprc_en")
    first, second = split(EN_PAGE, EN_BODY, "t20250430_11614172", "html", 2)
    second_url = EN_URL.replace(".html", "_1.html")
    joined = statement(EN_URL, first, "fmprc_en", [PagePart(second_url, 200, HTML, second, "")])
    assert joined.url == EN_URL and joined.title == whole.title
    assert joined.paragraphs == whole.paragraphs
    assert len(joined.paragraphs) == 31  # as the unsplit page (its sidecar)
    assert joined.paragraphs[-1].startswith(
        "During the May Day holiday, there will be no regular press conference"
    )
    assert (joined.date, joined.published_at) == ("2025-04-30", "2025-04-30T19:06:00+08:00")
    assert (
        "During the May Day holiday" not in first.decode() and "During the May Day holiday" in second.decode()
    )


def test_a_part_is_never_a_statement_of_its_own() -> None:
    _, second = split(EN_PAGE, EN_BODY, "t20250430_11614172", "html", 2)
    with pytest.raises(NotAStatement) as rejection:
        statement(EN_URL.replace(".html", "_1.html"), second, "fmprc_en")
    assert rejection.value.reason == "page-part"
    assert rejection.value.detail == f"part 2 of 2 of {EN_URL}"


@pytest.mark.parametrize(
    ("parts", "detail"),
    [
        ([], "part 2 of 2 was not fetched"),
        ([PagePart(EN_URL.replace(".html", "_1.html"), 404, {}, b"", "", fault="http-404")], "(http-404)"),
        (
            [
                PagePart(
                    EN_URL.replace(".html", "_1.html"),
                    200,
                    HTML,
                    (
                        FIXTURES / "fmprc_zh" / "soft404_xitong-weihu_old-eng-url_t20210325_9170713.html"
                    ).read_bytes(),
                    "",
                )
            ],
            "is not readable (soft-404: 系统维护)",
        ),
    ],
    ids=["not-fetched", "http-404", "soft-404"],
)
def test_an_article_missing_a_part_is_incomplete_never_short(parts: list[PagePart], detail: str) -> None:
    first, _ = split(EN_PAGE, EN_BODY, "t20250430_11614172", "html", 2)
    with pytest.raises(NotAStatement) as rejection:
        statement(EN_URL, first, "fmprc_en", parts)
    assert rejection.value.reason == "incomplete"
    assert detail in rejection.value.detail


def _listing_of_one() -> bytes:
    """The recorded first listing page of the spokesperson section, with one entry (t1794584) and one page."""
    html = (FIXTURES / "fmprc_zh" / "listing" / "default.shtml").read_text(encoding="utf-8")
    start = html.index("<ul>", html.index('<div class="rebox_news">')) + len("<ul>")
    end = html.index("</ul>", start)
    entry = '<li><a href="./t1794584.shtml" target="_blank">2020年7月3日外交部发言人赵立坚主持例行记者会</a>(2020-07-03)</li>'
    return (html[:start] + entry + html[end:]).replace("countPage = 67", "countPage = 1").encode("utf-8")


def _warc(path: Path, parts: list[bytes]) -> Path:
    html = [("Content-Type", "text/html")]
    urls = [ZH_URL, ZH_FOLDER + "t1794584_1.shtml", ZH_FOLDER + "t1794584_2.shtml"]
    return write_warc(
        path,
        [
            (ZH_FOLDER + "default.shtml", 200, html, _listing_of_one()),
            *[(url, 200, html, body) for url, body in zip(urls, parts, strict=False)],
        ],
    )


def test_a_crawl_stores_a_split_article_once_whole_and_reparse_rebuilds_it(tmp_path: Path) -> None:
    parts = split(ZH_PAGE, ZH_BODY, "t1794584", "shtml", 3)
    whole = statement(ZH_URL, ZH_PAGE.read_bytes(), "fmprc_zh")
    db_path = tmp_path / "statements.db"
    run = run_crawl(
        "fmprc_zh",
        "-s",
        f"REPLAY_WARC={_warc(tmp_path / 'parts.warc.gz', parts)}",
        "-s",
        f"STATEMENTS_DB={db_path}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    db = sqlite3.connect(db_path)
    [(url, title, date, body)] = db.execute("select url, title, date, body from statements").fetchall()
    assert (url, title, date) == (ZH_URL, "2020年7月3日外交部发言人赵立坚主持例行记者会", "2020-07-03")
    assert body == whole.body
    assert body.startswith("中央电视台记者：日前，老挝外交部发表声明")
    assert body.endswith(whole.paragraphs[-1])
    assert db.execute("select count(*) from turns").fetchone() == (
        len(process_page(PageItem("fmprc_zh", ZH_URL, 200, HTML, ZH_PAGE.read_bytes(), "")).turns),
    )
    pages = db.execute("select url, part_of, hints from pages order by url").fetchall()
    assert [(url, part_of) for url, part_of, _ in pages] == [
        (ZH_URL, None),
        (ZH_FOLDER + "t1794584_1.shtml", ZH_URL),
        (ZH_FOLDER + "t1794584_2.shtml", ZH_URL),
    ]
    assert json.loads(pages[2][2]) == {"part": 3, "of": 3}
    assert db.execute("select statement_pages, new, incomplete from crawls").fetchone() == (1, 1, 0)
    db.close()
    # offline, from the stored bytes of the three parts: the same statement
    reparsed = CliRunner().invoke(main, ["reparse", "--db", str(db_path)])
    assert reparsed.exit_code == 0, reparsed.output
    assert reparsed.stdout.strip().endswith("0 new, 0 updated, 1 unchanged; rejected: 0")


def test_a_part_that_cannot_be_fetched_stores_nothing_and_the_next_crawl_tries_again(tmp_path: Path) -> None:
    parts = split(ZH_PAGE, ZH_BODY, "t1794584", "shtml", 3)
    db_path = tmp_path / "statements.db"
    run = run_crawl(
        "fmprc_zh",
        "-s",
        f"REPLAY_WARC={_warc(tmp_path / 'short.warc.gz', parts[:2])}",
        "-s",
        f"STATEMENTS_DB={db_path}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"statement part is missing from the recording: {ZH_FOLDER}t1794584_2.shtml" in run.stderr
    assert (
        f"statement not stored, the next crawl tries again: part 3 of 3 could not be fetched (http-404): {ZH_FOLDER}t1794584_2.shtml; first part {ZH_URL}"
        in run.stderr
    )
    db = sqlite3.connect(db_path)
    assert db.execute("select count(*) from statements").fetchone() == (0,)
    assert db.execute("select count(*) from pages").fetchone() == (0,)
    assert db.execute("select incomplete, new from crawls").fetchone() == (1, 0)
    assert db.execute("select count(*) from sections").fetchone() == (0,)  # not walked: looked for again
    db.close()
    run = run_crawl(
        "fmprc_zh",
        "-s",
        f"REPLAY_WARC={_warc(tmp_path / 'whole.warc.gz', parts)}",
        "-s",
        f"STATEMENTS_DB={db_path}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    db = sqlite3.connect(db_path)
    assert db.execute("select url from statements").fetchall() == [(ZH_URL,)]
    assert db.execute("select incomplete, new from crawls where id = 2").fetchone() == (0, 1)
