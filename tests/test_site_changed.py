"""A site module that no longer matches its site (issue 13, item 10): the run says loudly that the site changed,
keeps the pages it could not read, and `statements reparse` turns them into statements once the module is fixed.

The site: the recorded fmprc_en pages of tests/fixtures, replayed from a WARC. The module that no longer matches
is a copy of the real `fmprc_en` declaration, changed in the crawl's process before it starts (`_CHANGED`): the
2018–2020 template's marker, or the statement link pattern, as a redesign would leave them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, fixture_warc

_CHANGED = """
import dataclasses, re, sys
from crawler import sites
site = sites.SITES["fmprc_en"]
change = sys.argv.pop(1)
if change == "template":  # the element that marks the 2018-2020 statement template is gone
    templates = tuple(
        dataclasses.replace(t, marker="div.content_mod h2.headline") if t.name == "fmprc-en-2018" else t
        for t in site.templates
    )
    site = dataclasses.replace(site, templates=templates)
elif change == "links":  # statement links are written another way than the module expects
    listing = dataclasses.replace(site.listing, statement_url=re.compile(r"/article/\\d+\\.html$"))
    sections = tuple(dataclasses.replace(s, listing=None) for s in site.sections)
    site = dataclasses.replace(site, listing=listing, sections=sections)
sites.SITES["fmprc_en"] = site
from statements.cli import main
main(sys.argv[1:], prog_name="statements")
"""


def _statements(*args: str, change: str | None = None) -> subprocess.CompletedProcess[str]:
    """`statements ARGS…` in a subprocess, with the fmprc_en module changed as `change` says (None: as it is)."""
    command = [sys.executable, "-c", _CHANGED, change] if change else [sys.executable, "-m", "statements.cli"]
    return subprocess.run(
        [*command, *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_warc(tmp_path_factory.mktemp("changed") / "fmprc_en.warc.gz")


def _crawl(db: Path, warc: Path, change: str | None = None) -> subprocess.CompletedProcess[str]:
    return _statements("crawl", "fmprc_en", "--db", str(db), "--replay-warc", str(warc), change=change)


def _statements_of(db: Path) -> set[tuple[str, str, str, str, str]]:
    return set(sqlite3.connect(db).execute("select id, content_hash, url, date, kind from statements"))


def _errors(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split(" ERROR: ", 1)[1] for line in run.stderr.splitlines() if " ERROR: " in line]


def test_a_changed_template_fails_the_run_keeps_the_pages_and_reparse_reads_them(
    tmp_path: Path, warc: Path
) -> None:
    reference = tmp_path / "reference.db"
    assert _crawl(reference, warc).returncode == 0
    expected = _statements_of(reference)
    legacy = {url for _, _, url, _, _ in expected if "/mfa_eng/" in url}
    db = tmp_path / "statements.db"
    run = _crawl(db, warc, change="template")
    assert run.returncode == 1
    problem = (
        f"the site has changed? {len(legacy)} of {len(expected)} statement pages match no template of the"
        " site module; their pages are kept: fix the module, then run `statements reparse`"
    )
    assert _errors(run) == [f"fmprc_en: {problem}"]
    assert run.stderr.strip().splitlines()[-1] == f"fmprc_en: {problem}"
    connection = sqlite3.connect(db)
    reason, problems, rejected = connection.execute(
        "select finish_reason, problems, rejected_reasons from crawls"
    ).fetchone()
    assert (reason, json.loads(problems)) == ("failed", [problem])
    assert json.loads(rejected) == {"no-template": len(legacy)}
    # the pages kept: the raw bytes, no statement; the current template's statements stored as usual
    kept = dict(connection.execute("select url, rejected_reason from pages where statement_id is null"))
    assert kept == dict.fromkeys(legacy, "no-template")
    assert {url for _, _, url, _, _ in _statements_of(db)} == {url for _, _, url, _, _ in expected} - legacy
    assert connection.execute("select count(*) from sections").fetchone() == (
        sqlite3.connect(reference).execute("select count(*) from sections").fetchone()
    )
    # reading the database is unaffected by pages without a statement
    for command in (["stats"], ["export"], ["search", "spokesperson"]):
        assert _statements(*command, "--db", str(db)).returncode == 0, command
    exported = _statements("export", "--db", str(db)).stdout.splitlines()
    assert len(exported) == len(expected) - len(legacy)
    # the module fixed (the real one): reparse makes the statements a good crawl makes, without a recrawl
    reparsed = _statements("reparse", "--db", str(db))
    assert reparsed.returncode == 0, reparsed.stderr[-2000:]
    assert reparsed.stdout.strip().splitlines()[-1] == (
        f"{len(legacy)} new, 0 updated, {len(expected) - len(legacy)} unchanged; rejected: 0"
    )
    assert _statements_of(db) == expected
    assert connection.execute("select count(*) from pages where statement_id is null").fetchone() == (0,)
    assert connection.execute("select count(*) from pages where rejected_reason is not null").fetchone() == (
        0,
    )


def test_statement_links_written_another_way_fail_the_run_and_walk_no_section(
    tmp_path: Path, warc: Path
) -> None:
    db = tmp_path / "statements.db"
    run = _crawl(db, warc, change="links")
    assert run.returncode == 1
    connection = sqlite3.connect(db)
    listed = json.loads(connection.execute("select sections from crawls").fetchone()[0])
    assert listed and set(listed.values()) == {0}  # every section read, none yielding a link
    assert _errors(run) == [
        f"fmprc_en: the site has changed? section {section}: its listing yields no statement link (the site"
        " module's statement_url or entry selector no longer matches)"
        for section in sorted(listed)
    ]
    assert connection.execute("select statement_pages, finish_reason from crawls").fetchone() == (0, "failed")
    assert connection.execute("select count(*) from sections").fetchone() == (0,)
    # the module fixed: the next run walks every section again and stores what the listings link
    assert _crawl(db, warc).returncode == 0
    assert connection.execute("select count(*) from statements").fetchone()[0] > 0
