"""Every fixture statement page of every site: extract + normalize give exactly the hand-checked values in its
sidecar, and nothing of the template around the body."""

from __future__ import annotations

import re

import lxml.html
import pytest

from crawler.items import Statement
from crawler.sites import get_site
from pipelines.encoding import decode_page
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize
from pipelines.segment import segment, turn_speakers
from tests.conftest import FixturePage, fixture_pages, statement_fixtures

SITE = get_site("fmprc_en")
SITES = ("fmprc_en", "fmprc_zh", "whitehouse_en", "mfa_by_en", "kantei_en")

BOILERPLATE = {
    "fmprc_en": (
        "Suggest to a friend",
        "Please enter",
        "Home >",
        "Home\xa0>",
        "Related News",
        "Appendix:",
        "Copyright©",
        "Go to Page",
        "window.print",
        "document.getElementById",
    ),
    "fmprc_zh": (
        "打印本页",
        "推荐给朋友",
        "字体：",
        "首页 >",
        "关闭窗口",
        "版权所有",
        "document.getElementById",
        "\u3000",
    ),
    "whitehouse_en": (
        "You are here",
        "Share This:",
        "More ways to engage",
        "Contact Us",
        "For Immediate Release",
        "Office of the Press Secretary",
        "___",
        "Press Briefings",
    ),
    "mfa_by_en": ("Home /", "Press Service /", "Statements & Speeches", "Version for the visually impaired"),
    "kantei_en": (
        "[Provisional Translation]",
        "Tweet",
        "facebook",
        "Related Link",
        "Archives (",
        "Search by date",
    ),
}
"""Strings of each site's template around the body that must never reach a statement."""

STATEMENTS = [(site, page) for site in SITES for page in statement_fixtures(site)]


def _id(value: object) -> str:
    return value.path.name if isinstance(value, FixturePage) else str(value)


def _statement(site: str, page: FixturePage, with_hints: bool = True) -> Statement:
    item = page.page_item(site, with_hints)
    declarations = get_site(site)
    return normalize(item, extract(item, declarations), declarations)


@pytest.mark.parametrize(("site", "page"), STATEMENTS, ids=_id)
def test_statement_matches_expected(site: str, page: FixturePage) -> None:
    declarations = get_site(site)
    item = page.page_item(site)
    extracted = extract(item, declarations)
    statement = normalize(item, extracted, declarations)
    assert extracted.translations == page.meta["expected"].get("translations", {})
    expected = page.meta["expected"]
    assert statement.title == expected["title"]
    assert statement.date == expected["date"]
    assert statement.date_source == expected["date_source"]
    assert statement.published_at == expected["published_at"]
    assert statement.kind == expected["kind"]
    assert statement.speakers == expected["speakers"]
    assert len(statement.paragraphs) == expected["paragraph_count"]
    assert statement.paragraphs[0] == expected["first_paragraph"]
    assert statement.paragraphs[-1] == expected["last_paragraph"]
    assert statement.language == expected.get("language", get_site(site).language)
    assert statement.language_source == expected.get("language_source", "site")
    assert statement.site_language == get_site(site).language
    assert statement.body == "\n\n".join(statement.paragraphs)


@pytest.mark.parametrize(("site", "page"), STATEMENTS, ids=_id)
def test_turns_match_expected(site: str, page: FixturePage) -> None:
    statement = _statement(site, page)
    turns = segment(statement, get_site(site))
    expected = page.meta["expected"]
    assert [[t.role, t.speaker, t.outlet, t.follow_up] for t in turns] == expected["turns"]
    assert [t.position for t in turns] == list(range(len(turns)))
    if turns:
        assert (turns[0].text, turns[-1].text) == (expected["first_turn"], expected["last_turn"])
        assert "\n\n".join(t.text for t in turns) == statement.body  # nothing lost, nothing twice
    if "turn_speakers" in expected:  # the statement's speakers once its turns are known: title, then labels
        assert turn_speakers(statement, turns) == expected["turn_speakers"]


@pytest.mark.parametrize(("site", "page"), STATEMENTS, ids=_id)
def test_no_boilerplate_in_body(site: str, page: FixturePage) -> None:
    statement = _statement(site, page)
    for text in BOILERPLATE[site]:
        assert text not in statement.body
    assert statement.title not in statement.paragraphs
    assert not {"Print", "Close", "More", "Top", "Home"} & set(statement.paragraphs)


@pytest.mark.parametrize(("site", "page"), STATEMENTS, ids=_id)
def test_body_holds_exactly_the_text_of_the_body_container(site: str, page: FixturePage) -> None:
    """No paragraph lost, none added: the body's characters, spaces aside, are the body container's, less what
    the site declares boilerplate (the template's `remove` selectors, `boilerplate_paragraphs`)."""
    declarations = get_site(site)
    item = page.page_item(site)
    extracted = extract(item, declarations)
    statement = normalize(item, extracted, declarations)
    template = next(t for t in declarations.templates if t.name == extracted.template)
    container = lxml.html.fromstring(extracted_html(page)).cssselect(template.body)[0]
    for element in container.xpath(".//script|.//style"):
        element.drop_tree()
    for selector in template.remove:
        for element in container.cssselect(selector):
            element.drop_tree()
    text = re.sub(r"\s+", "", container.text_content())
    for paragraph in extracted.paragraphs:
        cleaned = " ".join(paragraph.split())
        if any(pattern.fullmatch(cleaned) for pattern in declarations.boilerplate_paragraphs):
            text = text.replace(re.sub(r"\s+", "", paragraph), "", 1)
    assert re.sub(r"\s+", "", statement.body) == text


def extracted_html(page: FixturePage) -> str:
    """The page's text as the extractor decodes it (windows-1251 pages of mfa.gov.by included)."""
    return decode_page(
        page.path.read_bytes(), (page.meta.get("headers", {}).get("Content-Type") or [None])[0]
    ).text


def test_year_comes_from_the_photo_name_not_the_clock() -> None:
    page = next(p for p in statement_fixtures("fmprc_en") if "t1593756" in p.path.name)
    item = page.page_item(with_hints=False)
    statement = normalize(item, extract(item, SITE), SITE)
    assert statement.title.endswith("on September 10")
    assert (statement.date, statement.date_source) == ("2018-09-10", "inferred")


def test_dateless_page_without_listing_hints_is_kept_with_no_date() -> None:
    page = next(p for p in statement_fixtures("fmprc_en") if "t1686638" in p.path.name)
    item = page.page_item(with_hints=False)
    statement = normalize(item, extract(item, SITE), SITE)
    assert (statement.date, statement.date_source) == (None, "none")


@pytest.mark.parametrize(
    "page", [p for p in fixture_pages("fmprc_en") if "not_a_statement" in p.meta], ids=_id
)
def test_pages_that_are_not_statements_are_rejected(page: FixturePage) -> None:
    with pytest.raises(NotAStatement) as rejection:
        extract(page.page_item(), SITE)
    assert rejection.value.reason == page.meta["not_a_statement"]


def test_listing_pages_are_not_statements() -> None:
    listing = next(p for p in fixture_pages("fmprc_en") if p.path.name == "default.shtml")
    with pytest.raises(NotAStatement) as rejection:
        extract(listing.page_item(), SITE)
    assert rejection.value.reason == "no-template"
