"""Hostile input: hypothesis mutates real pages of every site (tags deleted, duplicated, unclosed; bytes flipped;
encodings swapped; megabyte-long lines; cut short) and makes up random bytes. Extract, normalize and segment never
raise anything but a `NotAStatement` with a known reason, and never hang (each example under hypothesis's
deadline). Storage takes hostile text (quotes, NULs, emoji, right-to-left text) through bound parameters and
gives it back exactly."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.items import PageItem, Statement
from crawler.sites import SITES, get_site
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize
from pipelines.segment import segment
from statements.store import Store
from tests.conftest import statement_fixtures

REASONS = {
    "not-html",
    "undecodable",
    "page-part",
    "incomplete",
    "soft-404",
    "challenge",
    "no-template",
    "no-title",
    "no-body",
    "truncated",
    "empty-body",
}
"""Every reason `NotAStatement` may give (pipelines.extract)."""

PAGES = [(site, page) for site in sorted(SITES) for page in statement_fixtures(site)[:4]]
"""Up to four recorded statement pages of each site."""

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),  # more for a longer hunt: FUZZ_EXAMPLES=2000
    deadline=5000,  # milliseconds per example: a regex that backtracks without end would blow it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

_TAG = re.compile(rb"<[^<>]{1,200}>")


def _mutate(data: st.DataObject, body: bytes) -> bytes:
    """One to four random mutations of a page's bytes."""
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        kind = data.draw(
            st.sampled_from(
                [
                    "delete-tag",
                    "duplicate",
                    "unclose",
                    "flip",
                    "encoding",
                    "long-line",
                    "cut",
                    "nest",
                    "insert",
                ]
            ),
            label="kind",
        )
        tags = list(_TAG.finditer(body))
        if kind == "delete-tag" and tags:
            tag = tags[data.draw(st.integers(0, len(tags) - 1), label="tag")]
            body = body[: tag.start()] + body[tag.end() :]
        elif kind == "duplicate" and body:
            start = data.draw(st.integers(0, len(body) - 1), label="start")
            end = data.draw(st.integers(start, min(len(body), start + 20_000)), label="end")
            body = body[:end] + body[start:end] + body[end:]
        elif kind == "unclose":
            body = re.sub(
                rb"</(?:div|p|span|td|tr|table|ul|li)>", b"", body, count=data.draw(st.integers(1, 500))
            )
        elif kind == "flip" and body:
            for _ in range(data.draw(st.integers(1, 50), label="flips")):
                at = data.draw(st.integers(0, len(body) - 1), label="at")
                body = body[:at] + bytes([body[at] ^ data.draw(st.integers(1, 255))]) + body[at + 1 :]
        elif kind == "encoding":
            target = data.draw(
                st.sampled_from(["gb18030", "cp1251", "utf-16", "latin-1", "shift_jis", "big5"])
            )
            body = body.decode("utf-8", errors="replace").encode(target, errors="replace")
        elif kind == "long-line":
            at = data.draw(st.integers(0, len(body)), label="at")
            filler = data.draw(
                st.sampled_from([b"x", b"A ", b"_", b"MR. ", b"<br>", b"&nbsp;", "問".encode()])
            )
            body = body[:at] + filler * (1_000_000 // len(filler)) + body[at:]
        elif kind == "cut" and body:
            body = body[: data.draw(st.integers(0, len(body)), label="cut")]
        elif kind == "nest":
            at = data.draw(st.integers(0, len(body)), label="at")
            body = body[:at] + b"<div>" * 5000 + body[at:]
        elif kind == "insert":
            at = data.draw(st.integers(0, len(body)), label="at")
            body = body[:at] + data.draw(st.binary(max_size=2000), label="bytes") + body[at:]
    return body


def _run(site: str, url: str, body: bytes, headers: dict[str, list[str]]) -> Statement | str:
    """The pipeline on a page: the statement, or the rejection reason."""
    declarations = get_site(site)
    item = PageItem(
        site=site, url=url, status=200, headers=headers, body=body, fetched_at="2026-11-29T00:00:00+00:00"
    )
    try:
        extracted = extract(item, declarations)
        statement = normalize(item, extracted, declarations)
    except NotAStatement as rejection:
        assert rejection.reason in REASONS
        return rejection.reason
    turns = segment(statement, declarations)
    if turns:
        assert "\n\n".join(turn.text for turn in turns) == statement.body
    assert statement.title and statement.body and statement.id
    return statement


@FUZZ
@given(data=st.data())
def test_mutated_real_pages_give_a_statement_or_a_reason(data: st.DataObject) -> None:
    site, page = data.draw(st.sampled_from(PAGES), label="page")
    body = _mutate(data, page.path.read_bytes())
    headers = data.draw(
        st.sampled_from(
            [
                page.meta.get("headers", {}),
                {},
                {"Content-Type": ["text/html; charset=utf-8"]},
                {"Content-Type": ["text/html; charset=gbk"]},
                {"Content-Type": ["text/html; charset=no-such-charset"]},
            ]
        ),
        label="headers",
    )
    _run(site, page.url, body, headers)


@FUZZ
@given(site=st.sampled_from(sorted(SITES)), body=st.binary(max_size=50_000))
def test_random_bytes_give_a_reason(site: str, body: bytes) -> None:
    result = _run(site, "https://www.example.com/t1.html", body, {})
    assert isinstance(result, str)


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE statements;--",
        'A "quoted" title with \\ backslashes and ` backticks',
        "NUL\x00inside",
        "emoji 🇨🇳🇺🇸 🤝 and a ZWJ family 👨‍👩‍👧",
        "right to left: وزارة الخارجية ‏(RTL)‏ ומשרד החוץ",
        "%s %d {} :name ?1 @p $x",
    ],
)
def test_storage_round_trips_hostile_text_exactly(text: str) -> None:
    """Bound parameters only: a statement whose URL, title, body and speaker hold the text comes back the same."""
    store = Store(":memory:")
    page = statement_fixtures("fmprc_en")[0]
    item = page.page_item()
    statement = normalize(item, extract(item, get_site("fmprc_en")), get_site("fmprc_en"))
    statement.url = "https://www.fmprc.gov.cn/t1.shtml?q=" + text
    statement.title = text
    statement.paragraphs = [text, "second"]
    statement.body = "\n\n".join(statement.paragraphs)
    statement.speakers = [text]
    item.url = statement.url
    store.save(item, statement, "2026-11-29T00:00:00+00:00")
    row = store.db.execute("select url, title, body, speakers from statements").fetchone()
    assert row[0] == statement.url and row[1] == text and row[2] == f"{text}\n\nsecond"
    assert __import__("json").loads(row[3]) == [text]
    assert store.db.execute("select count(*) from statements").fetchone() == (1,)
    store.close()
