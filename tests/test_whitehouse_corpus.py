"""The whole recorded White House crawl (../shared/corpus/whitehouse-2016: 162 listing pages, 1,615 briefings)
replayed through `scrapy crawl whitehouse_en`, and a backfill of one quarter."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import lxml.html
import pytest

from crawler.middlewares import WarcArchive
from tests.conftest import run_crawl

NOT_IN_BODY = (
    "You are here",
    "Share This:",
    "More ways to engage",
    "Contact Us",
    "Press Briefings ››",
    "Office of the Press Secretary",
    "For Immediate Release",
    "FOR IMMEDIATE RELEASE",
    "EMBARGOED UNTIL",
)
"""The template around a briefing: breadcrumb, share links, footer, the 2009 press-release header."""

NOT_TRANSCRIPTS = {
    "letter-president-speaker-house-regarding-designation-contingent-emergency-2009-h1n1",
    "background-briefing-a-senior-us-official-todays-p51-meeting",  # one official's opening comments, no labels
    "informaci-n-sobre-la-reuni-n-del-presidente",
    "statement-nsc-spokesperson-caitlin-hayden-attack-nairobi",
    "advisory-president-obama-award-2014-national-medal-arts-and-national",
    "readout-vice-president-biden%C2%B9s-meeting-kyiv-mayor-vitaliy-klychko",
    "fact-sheet-administration-announces-historic-commitments-build-climate",
    "messages-modify-duty-free-treatment-under-generalized-system-preferences",  # "TO THE CONGRESS …:"
    "today-briefing-with-senior-administration-officials-presidents-weekend-trip-guadala",  # an advisory
}
"""Pages the briefings listing links to that hold no transcript: they get no turns."""


def _warc(corpus: Path) -> Path:
    return corpus / "whitehouse-2016" / "whitehouse-2016.warc.gz"


@pytest.fixture(scope="module")
def listing_dates(corpus: Path) -> dict[str, set[str]]:
    """Canonical briefing URL → the ISO dates the listing pages give it, read straight off the recording."""
    archive = WarcArchive(_warc(corpus))
    dates: dict[str, set[str]] = defaultdict(set)
    for url in archive.urls():
        if "/briefing-room/press-briefings" not in url:
            continue
        root = lxml.html.fromstring(archive.get(url).body)
        for row in root.cssselect("div.views-row"):
            href = row.cssselect("div.views-field-title a")[0].get("href")
            text = row.cssselect("div.views-field-created span")[0].text_content().strip()
            dates[f"https://www.whitehouse.gov{href}"].add(
                dt.datetime.strptime(text, "%B %d, %Y").date().isoformat()
            )
    archive.close()
    return dates


@pytest.fixture(scope="module")
def crawled(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("whitehouse") / "statements.db"
    run = run_crawl("whitehouse_en", "-s", f"REPLAY_WARC={_warc(corpus)}", "-s", f"STATEMENTS_DB={db}")
    assert run.returncode == 0, run.stderr[-3000:]
    return db, run.stderr


def test_every_briefing_is_stored_once_dated_as_its_listing_says(crawled, listing_dates) -> None:
    db, log = crawled
    rows = sqlite3.connect(db).execute("select url, date, date_source, kind from statements").fetchall()
    assert len(rows) == 1615 == len(listing_dates)
    assert {url for url, *_ in rows} == set(listing_dates)
    for url, date, source, _ in rows:
        assert source == "page" and date in listing_dates[url], url
    collided = {url: dates for url, dates in listing_dates.items() if len(dates) > 1}
    assert sorted(collided) == [
        "https://www.whitehouse.gov/the-press-office/press-gaggle-deputy-press-secretary-bill-burton-aboard-air-force-one",
        "https://www.whitehouse.gov/the-press-office/press-gaggle-press-secretary-robert-gibbs-aboard-air-force-one",
    ]
    by_url = {url: date for url, date, *_ in rows}
    assert (
        by_url[sorted(collided)[1]] == "2010-05-02"
    )  # listed on May 2, 2010 and May 14, 2009: the page says 2010
    assert "'statements/listing_pages': 162" in log
    assert "ERROR" not in log and "Traceback" not in log


def test_no_template_text_in_any_briefing(crawled) -> None:
    for url, body in sqlite3.connect(crawled[0]).execute("select url, body from statements"):
        for text in NOT_IN_BODY:
            assert text not in body, (url, text)


def test_turns_cover_every_transcript(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    without = set()
    for statement_id, url, body in db.execute("select id, url, body from statements"):
        texts = [
            text
            for (text,) in db.execute(
                "select text from turns where statement_id = ? order by position", (statement_id,)
            )
        ]
        if not texts:
            without.add(url.rsplit("/", 1)[-1])
            continue
        assert "\n\n".join(texts) == body, url
    assert without == NOT_TRANSCRIPTS
    roles = dict(db.execute("select role, count(*) from turns group by role").fetchall())
    assert set(roles) == {"question", "answer", "note"} and roles["question"] > 80_000
    # the press secretaries' labels carry their full names, from titles or the site's list
    speakers = dict(
        db.execute("select speaker, count(*) from turns where role = 'answer' group by speaker").fetchall()
    )
    assert (
        speakers["Jay Carney"] > 25_000
        and speakers["Josh Earnest"] > 20_000
        and speakers["Robert Gibbs"] > 20_000
    )
    assert not {"Mr. Carney", "Mr. Earnest", "Mr. Gibbs", "Ms. Psaki"} & set(speakers)


def test_earnest_briefing_of_april_18_2016(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    row = db.execute(
        "select id, title, date, kind, speakers from statements where url like '%/2016/04/18/press-briefing-press-secretary-josh-earnest-4182016'"
    ).fetchone()
    assert row[1:] == (
        "Press Briefing by the Press Secretary Josh Earnest, 4/18/2016",
        "2016-04-18",
        "press_conference",
        '["Josh Earnest"]',
    )
    turns = db.execute(
        "select role, speaker, substr(text, 1, 40) from turns where statement_id = ? order by position",
        (row[0],),
    ).fetchall()
    assert len(turns) == 128
    assert turns[:4] == [
        ("note", None, "James S. Brady Press Briefing Room"),
        ("note", None, "1:55 P.M. EDT"),
        ("answer", "Josh Earnest", "MR. EARNEST: Good afternoon, everybody. "),
        ("question", None, "Q Okay, Josh. So I was wondering if the "),
    ]
    assert turns[-1] == ("note", None, "END 2:57 P.M. EDT")


def test_backfill_stores_exactly_the_briefings_of_its_range(
    corpus: Path, listing_dates, tmp_path: Path
) -> None:
    db = tmp_path / "backfill.db"
    run = run_crawl(
        "whitehouse_en",
        "-a",
        "since=2013-01-01",
        "-a",
        "until=2013-03-31",
        "-s",
        f"REPLAY_WARC={_warc(corpus)}",
        "-s",
        f"STATEMENTS_DB={db}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    stored = {url: date for url, date in sqlite3.connect(db).execute("select url, date from statements")}
    expected = {
        url for url, dates in listing_dates.items() if any("2013-01-01" <= d <= "2013-03-31" for d in dates)
    }
    assert set(stored) == expected and len(expected) == 50
    assert all("2013-01-01" <= date <= "2013-03-31" for date in stored.values())
    stats = run.stderr[run.stderr.index("Dumping Scrapy stats") :]
    walked = json.loads(
        stats[stats.index("'statements/listing_pages': ") :].split(":", 1)[1].split(",", 1)[0]
    )
    assert walked < 162  # the walk stopped at the first page older than since


def test_one_speaker_labelled_two_ways_is_one_speaker(crawled) -> None:
    # "MS. PSAKI" and, misspelled, "MR. PSAKI" in the 2009 Serve America Act call; "ADMINISTRATOR FUGATE" then
    # "MR. FUGATE" in the 2010 Tennessee flooding call. Anonymous officials are not merged by their label's last
    # word: "SENIOR ADMINSTRATION OFFICIAL" (sic) and "SENIOR ADMINISTRATION OFFICIAL" stay two speakers.
    db = sqlite3.connect(crawled[0])

    def speakers(title: str) -> list[str]:
        (value,) = db.execute("select speakers from statements where title like ?", (title,)).fetchone()
        return json.loads(value)

    assert speakers("Press Briefing Call on the Edward M. Kennedy Serve America Act") == [
        "Jen Psaki",
        "Director Barnes",
        "Mr. Solomont",
        "Mr. Goldsmith",
        "Mr. Monje",
    ]
    assert speakers("Conference Call on the Flooding in Tennessee%") == [
        "Phil Bredesen",
        "Karl Dean",
        "Mr. Carroll",
        "Administrator Fugate",
        "Mr. Becker",
    ]
    assert {"Senior Administration Official", "Senior Adminstration Official"} <= set(
        speakers(
            "Press Briefing by a Senior Administration Official on the Upcoming Visit of President Cald%"
        )
    )
    merged = db.execute(
        "select count(*) from turns where speaker in ('Mr. Psaki', 'Mr. Fugate', 'Mr Carney', 'Ambasssador Rice')"
    ).fetchone()
    assert merged == (0,)


SPANISH = {
    "https://www.whitehouse.gov/the-press-office/declaraciones-del-presidente-durante-rueda-de-prensa",
    "https://www.whitehouse.gov/the-press-office/informaci-n-sobre-la-reuni-n-del-presidente",
}
"""The briefings listing's statements in Spanish (issue 13, item 11); the briefing with Dan Restrepo "including
Spanish text" (8 of its 274 paragraphs) is English."""


def test_the_spanish_statements_are_stored_and_indexed_as_spanish(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    rows = db.execute("select url, language, site_language, language_source from statements").fetchall()
    assert {url for url, language, *_ in rows if language != "en"} == SPANISH
    for url, language, site_language, source in rows:
        expected = ("es", "text") if url in SPANISH else ("en", "site")
        assert (language, site_language, source) == (*expected[:1], "en", expected[1]), url
    assert db.execute("select count(*) from statements_fts_zh").fetchone() == (0,)


def test_one_person_one_name_over_the_recording(crawled) -> None:
    # The spellings the briefings use for one person resolve to one name (statement_speakers, written by the
    # crawl); two people of one surname stay apart; every merge is listed by benchmarks/speakers.py.
    db = sqlite3.connect(crawled[0])
    spellings, names = db.execute(
        "select count(distinct speaker), count(distinct name) from statement_speakers"
    ).fetchone()
    assert (spellings, names) == (313, 273)  # "EL PRESIDENTE" of the Spanish transcripts is Barack Obama

    def spellings_of(name: str) -> set[str]:
        return {
            row[0] for row in db.execute("select speaker from statement_speakers where name = ?", (name,))
        }

    assert spellings_of("Mike Froman") == {"Mike Froman", "Michael Froman", "Mr. Froman"}
    assert spellings_of("Denis McDonough") == {"Denis McDonough", "Denis Mcdonough", "Mr. McDonough"}
    assert spellings_of("Tony Blinken") == {"Tony Blinken", "Antony Blinken", "Mr. Blinken"}
    assert spellings_of("Joe Biden") == {"Joe Biden"}  # "Dr. Biden" (Jill Biden) is someone else
    assert spellings_of("Eric Schultz") == {"Eric Schultz"} and spellings_of("Wasserman Schultz")
    assert spellings_of("Todd Park") == {"Todd Park"}  # "President Park" (of South Korea) is someone else
    froman = db.execute(
        "select count(distinct statement_id) from statement_speakers where name = 'Mike Froman'"
    ).fetchone()
    assert froman == (32,)
