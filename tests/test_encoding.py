"""Charset decision on recorded bytes (pipelines.encoding), on inputs made from a real fmprc.gov.cn page."""

from __future__ import annotations

import codecs

import pytest

from crawler.items import PageItem
from crawler.sites import get_site
from pipelines.encoding import UndecodableError, decode_page
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize
from tests.conftest import FIXTURES

PAGE = (FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml").read_bytes()
META = b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
# The page's only non-ASCII text: the copyright sign of its footer and the "Español"/"Русский" language links.
PHRASE = "Copyright©1998-2014"


def test_recorded_page_header_without_charset_meta_utf8() -> None:
    decoded = decode_page(PAGE, "text/html")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "declared-utf-8")
    assert PHRASE in decoded.text and "Русский" in decoded.text


def test_no_charset_anywhere_is_utf8_when_the_bytes_are() -> None:
    assert META in PAGE
    decoded = decode_page(PAGE.replace(META, b""), "text/html")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "undeclared-utf-8")
    assert "Español" in decoded.text


def test_header_gbk_on_utf8_bytes_whose_meta_says_utf8() -> None:
    decoded = decode_page(PAGE, "text/html; charset=gbk")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "declared-utf-8")
    assert "Русский" in decoded.text


def test_bom_wins_over_the_header() -> None:
    decoded = decode_page(codecs.BOM_UTF8 + PAGE, "text/html; charset=windows-1251")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "bom")
    assert decoded.text.startswith("<!DOCTYPE")
    assert PHRASE in decoded.text


def test_single_byte_label_is_not_taken_for_valid_utf8() -> None:
    lying = PAGE.replace(META, META.replace(b"utf-8", b"windows-1251"))
    decoded = decode_page(lying, "text/html")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "valid-utf-8")
    assert "Русский" in decoded.text


def test_single_byte_header_is_taken_for_bytes_that_are_not_utf8() -> None:
    latin = PAGE.decode("utf-8").replace(META.decode(), "").encode("cp1252", errors="xmlcharrefreplace")
    decoded = decode_page(latin, "text/html; charset=iso-8859-1")
    assert (decoded.encoding, decoded.reason) == ("cp1252", "http-header")
    assert PHRASE in decoded.text and "Español" in decoded.text


ZH_PAGE = (FIXTURES / "fmprc_zh" / "pc_2020-03-11_geng-shuang_t1754530.shtml").read_bytes()
ZH_META = b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
# t1754530 holds 勠, a character of GBK that GB2312 lacks ("勠力同心").
GBK_ONLY = "勠力同心"


def test_meta_gb2312_with_gbk_only_characters_decodes_as_gb18030() -> None:
    assert ZH_META in ZH_PAGE
    text = ZH_PAGE.decode("utf-8").replace(ZH_META.decode(), ZH_META.decode().replace("UTF-8", "gb2312"))
    gbk_bytes = text.encode("gbk", errors="xmlcharrefreplace")  # "Français" of the language menu → &#231;
    decoded = decode_page(gbk_bytes, "text/html")
    assert (decoded.encoding, decoded.reason) == ("gb18030", "meta")
    assert "\ufffd" not in decoded.text
    assert GBK_ONLY in decoded.text
    assert "2020年3月11日外交部发言人耿爽主持例行记者会" in decoded.text
    assert "\u3000\u3000我向大家通报一组数字：根据中国国家卫生健康委今天上午发布的统计数字" in decoded.text


def test_header_gbk_on_utf8_chinese_page_whose_meta_says_utf8() -> None:
    decoded = decode_page(ZH_PAGE, "text/html; charset=gbk")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "declared-utf-8")
    assert decoded.text == ZH_PAGE.decode("utf-8")


def test_bom_against_a_gbk_header_on_a_chinese_page() -> None:
    decoded = decode_page(codecs.BOM_UTF8 + ZH_PAGE, "text/html; charset=gbk")
    assert (decoded.encoding, decoded.reason) == ("utf-8", "bom")
    assert decoded.text == ZH_PAGE.decode("utf-8")


def test_no_charset_anywhere_on_a_chinese_page() -> None:
    decoded = decode_page(ZH_PAGE.replace(ZH_META, b""), None)
    assert (decoded.encoding, decoded.reason) == ("utf-8", "undeclared-utf-8")
    assert GBK_ONLY in decoded.text


BELARUS = (FIXTURES / "mfa_by_en" / "statement_b7b71aff55bfca76.html").read_bytes()
BELARUS_TEXT = (
    "Выступление В.Макея на встрече глав МИД ДН / Statement by FM Vladimir Makei at the NAM Meeting"
)


def test_windows_1251_page_declared_in_meta() -> None:
    decoded = decode_page(BELARUS, None)
    assert (decoded.encoding, decoded.reason) == ("cp1251", "meta")
    assert BELARUS_TEXT in decoded.text
    assert "\ufffd" not in decoded.text


def test_windows_1251_page_declared_in_the_header() -> None:
    decoded = decode_page(BELARUS, "text/html; charset=windows-1251")
    assert (decoded.encoding, decoded.reason) == ("cp1251", "http-header")
    assert BELARUS_TEXT in decoded.text


def test_page_that_claims_windows_1251_but_holds_utf8_is_read_as_utf8() -> None:
    damaged = (FIXTURES / "mfa_by_en" / "listing_statements.html").read_bytes()
    assert b"charset=windows-1251" in damaged[:300]
    decoded = decode_page(damaged, None)
    assert (decoded.encoding, decoded.reason) == ("utf-8", "valid-utf-8")
    assert decoded.text == damaged.decode("utf-8")
    assert "var istS = '\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd:';" in decoded.text


def test_a_meta_label_that_does_not_decode_the_bytes_is_overruled_by_detection() -> None:
    # the windows-1251 Belarus page with both its <meta> relabelled UTF-8: UTF-8 breaks on every Cyrillic letter, so
    # the label is a lie; detection on the page's non-ASCII text finds windows-1251 (on the whole page, mostly
    # ASCII markup, it guessed windows-1250)
    relabelled = BELARUS.replace(b"charset=windows-1251", b"charset=utf-8")
    decoded = decode_page(relabelled, None)
    assert (decoded.encoding, decoded.reason, decoded.broken) == ("cp1251", "detected-over-meta", 0)
    assert BELARUS_TEXT in decoded.text
    assert "\ufffd" not in decoded.text


# Issue 13, item 7: GBK bytes under <meta charset="utf-8"> (a CMS that copies a page's bytes into a UTF-8 template).
GBK_UNDER_UTF8_META = ZH_PAGE.decode("utf-8").encode("gbk", errors="xmlcharrefreplace")


def test_gbk_bytes_under_a_utf8_meta_are_read_as_gb18030_and_the_reason_says_so() -> None:
    assert ZH_META in GBK_UNDER_UTF8_META
    decoded = decode_page(GBK_UNDER_UTF8_META, "text/html")
    assert (decoded.encoding, decoded.reason, decoded.broken) == ("gb18030", "detected-over-meta", 0)
    assert "\ufffd" not in decoded.text
    assert GBK_ONLY in decoded.text
    assert "2020年3月11日外交部发言人耿爽主持例行记者会" in decoded.text


def test_gbk_bytes_under_a_utf8_header_are_read_as_gb18030() -> None:
    decoded = decode_page(GBK_UNDER_UTF8_META.replace(ZH_META, b""), "text/html; charset=utf-8")
    assert (decoded.encoding, decoded.reason) == ("gb18030", "detected-over-http-header")
    assert "\ufffd" not in decoded.text and GBK_ONLY in decoded.text


def test_a_page_with_one_broken_character_keeps_its_declared_utf8_and_marks_the_break() -> None:
    # one byte of 勠 (three in UTF-8) lost at the source: the page is still UTF-8, the lost character is one U+FFFD
    at = ZH_PAGE.index(GBK_ONLY.encode("utf-8"))
    damaged = ZH_PAGE[: at + 1] + ZH_PAGE[at + 3 :]
    decoded = decode_page(damaged, "text/html")
    assert (decoded.encoding, decoded.reason, decoded.broken) == ("utf-8", "declared-utf-8-with-errors", 1)
    assert decoded.text.count("\ufffd") == 1
    assert "\ufffd力同心" in decoded.text
    assert "2020年3月11日外交部发言人耿爽主持例行记者会" in decoded.text


def test_a_page_that_no_charset_decodes_is_undecodable() -> None:
    # the UTF-8 page with 0xFF (a byte no multi-byte charset uses) put into it in 200 places: too broken to be UTF-8
    # with a few damaged characters, and no charset reads it cleanly
    damaged = bytearray(ZH_PAGE)
    for position in range(len(ZH_PAGE) - 200, 0, -(len(ZH_PAGE) // 200)):
        damaged.insert(position, 0xFF)
    with pytest.raises(UndecodableError, match="no charset decodes the bytes: utf-8 \\(meta\\)"):
        decode_page(bytes(damaged), "text/html")


def test_a_gbk_page_under_a_utf8_meta_gives_the_same_statement_as_the_utf8_page() -> None:
    site = get_site("fmprc_zh")
    url = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1754530.shtml"
    statements = []
    for body in (ZH_PAGE, GBK_UNDER_UTF8_META):
        page = PageItem(
            "fmprc_zh", url, 200, {"Content-Type": ["text/html"]}, body, "2020-07-04T03:55:41+00:00"
        )
        statements.append(normalize(page, extract(page, site), site))
    utf8, gbk = statements
    assert gbk.title == utf8.title == "2020年3月11日外交部发言人耿爽主持例行记者会"
    assert gbk.paragraphs == utf8.paragraphs
    assert "\ufffd" not in gbk.body


def test_an_undecodable_page_is_rejected_with_its_reason() -> None:
    damaged = bytearray(ZH_PAGE)
    for position in range(len(ZH_PAGE) - 200, 0, -(len(ZH_PAGE) // 200)):
        damaged.insert(position, 0xFF)
    page = PageItem(
        "fmprc_zh",
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1754530.shtml",
        200,
        {},
        bytes(damaged),
        "2020-07-04T03:55:41+00:00",
    )
    with pytest.raises(NotAStatement) as rejection:
        extract(page, get_site("fmprc_zh"))
    assert rejection.value.reason == "undecodable"
