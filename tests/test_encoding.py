"""Charset decision on recorded bytes (pipelines.encoding), on inputs made from a real fmprc.gov.cn page."""

from __future__ import annotations

import codecs

from pipelines.encoding import decode_page
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
