"""What a reader sees in Datasette with the plugin, in a real headless browser: Debian's chromium
(/usr/bin/chromium, `apt-get install chromium`; .ci/run installs it) driven by Playwright, against `datasette`
started by the test on 127.0.0.1 over a database of the fixture pages. Screenshots of each page are saved in the
folder the test prints (STATEMENTS_SCREENSHOTS, else a temporary folder)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from statements.datasette import RANKED_HITS
from statements.search import count_matches, search
from statements.store import Store
from statements.translations import link_translations
from tests.test_search import _fill

CHROMIUM = Path(os.environ.get("STATEMENTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PRESS_CONFERENCE = "7dd2d1d1fe3b0278"  # 2020年7月3日外交部发言人赵立坚主持例行记者会 (t1794629's twin)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not CHROMIUM.is_file():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("playwright")
    path = tmp_path_factory.mktemp("browser") / "statements.db"
    store = Store(path)
    _fill(store, "fmprc_en", "fmprc_zh", "whitehouse_en")
    link_translations(store, "fmprc_en")
    store.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", str(path), "-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"datasette did not start: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield base, path
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("STATEMENTS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


def test_table_page_shows_statements_first(server, page, shots: Path) -> None:
    base, path = server
    store = Store(path, readonly=True)
    newest = {
        row[0]
        for row in store.db.execute(
            "select title from statements where date = (select max(date) from statements)"
        )
    }
    store.close()
    page.goto(f"{base}/statements/statements")
    page.screenshot(path=str(shots / "table.png"))
    assert page.locator("h2.st-count").inner_text().startswith("47 statements")
    first = page.locator(".st-item").first
    assert first.locator(".st-title").inner_text() in newest
    # the first screen shows statements, not column descriptions (folded under "Filters, columns and SQL")
    assert first.bounding_box()["y"] < 1000
    assert not page.locator("dl.column-descriptions").is_visible()
    assert page.locator(".facet-info").count() >= 5
    assert "timed out" not in page.locator("body").inner_text()


@pytest.mark.parametrize(
    ("query", "shot"),
    [("Diaoyu", "search-en.png"), ("台湾", "search-zh.png"), ("香港国安法", "search-zh-long.png")],
)
def test_search_in_each_language_ranks_as_the_cli(server, page, shots: Path, query: str, shot: str) -> None:
    base, path = server
    page.goto(f"{base}/statements/statements")
    page.fill("#_search", query)
    page.click(".st-search input[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(shots / shot))
    store = Store(path, readonly=True)
    hits, total = search(store, query, limit=RANKED_HITS), count_matches(store, query)
    store.close()
    shown = page.locator(".st-hit .st-title").all_inner_texts()
    assert shown == [hit.title for hit in hits]
    assert page.locator("h2.st-count").inner_text().startswith(f"{total} statement")
    marked = page.locator(".st-hit mark").first.inner_text()
    assert marked.casefold() == query.casefold() or query.casefold() in marked.casefold()


def test_a_statement_reads_as_a_document_at_a_readable_width(server, page, shots: Path) -> None:
    base, path = server
    store = Store(path, readonly=True)
    statement_id, title, body = store.db.execute(
        "select id, title, body from statements where site = 'fmprc_en'"
        " and id not in (select statement_id from turns) order by date desc"
    ).fetchone()
    store.close()
    page.goto(f"{base}/statements/statements/{statement_id}")
    page.screenshot(path=str(shots / "statement.png"), full_page=True)
    assert page.locator("h1.st-doc-title").inner_text() == title
    paragraphs = page.locator(".st-body p").all_inner_texts()
    assert paragraphs == body.split("\n\n")
    width = page.locator(".st-body").bounding_box()["width"]
    assert 500 <= width <= 800, width  # about 70 characters a line, not a 70 px column
    facts = page.locator(".st-facts").inner_text()
    assert "Ministry of Foreign Affairs" in facts
    assert page.locator("a.st-original").get_attribute("href").startswith("https://www.fmprc.gov.cn/")


def test_a_press_conference_reads_as_a_dialogue(server, page, shots: Path) -> None:
    base, path = server
    store = Store(path, readonly=True)
    turns = store.db.execute(
        "select position, role, speaker, outlet from turns where statement_id = ? order by position",
        [PRESS_CONFERENCE],
    ).fetchall()
    store.close()
    page.goto(f"{base}/statements/statements/{PRESS_CONFERENCE}")
    page.screenshot(path=str(shots / "press-conference.png"))
    sections = page.locator(".st-dialogue .st-turn")
    assert sections.count() == len(turns) > 20
    positions = [int(value) for value in sections.evaluate_all("(all) => all.map(s => s.dataset.position)")]
    assert positions == [turn[0] for turn in turns]
    who = sections.locator(".st-who").all_inner_texts()
    for (_, role, speaker, outlet), label in zip(turns, who, strict=True):
        if role == "question":
            assert label.startswith("Question") and (outlet or "") in label
        elif role == "answer":
            assert label == f"Answer, {speaker}"
    assert "Question, 中新社" in who[:5] or any(label.startswith("Question, ") for label in who)
    translation = page.locator("a.st-translation")
    assert translation.count() == 1 and translation.get_attribute("lang") == "en"
    width = page.locator(".st-dialogue").bounding_box()["width"]
    assert 500 <= width <= 800, width
