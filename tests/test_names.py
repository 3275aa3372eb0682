"""One person, one name (pipelines.names, statements.speakers): spellings seen on the White House briefings of
2009–2016 (names and counts of turns from the recording in ../shared/corpus/whitehouse-2016)."""

from __future__ import annotations

import json

from pipelines.names import name_key, person_key, resolve_in_statement, resolve_names
from statements.search import Filters, search_turns
from statements.speakers import fill, speaker_counts
from statements.store import Store
from tests.test_search import SEEN, _fill

SPELLINGS = {
    "Mr. Froman": 231,
    "Mike Froman": 116,
    "Michael Froman": 14,
    "Denis McDonough": 140,
    "Denis Mcdonough": 12,
    "Mr. McDonough": 129,
    "Gene Sperling": 35,
    "Gene B. Sperling": 43,
    "Tony Blinken": 51,
    "Antony Blinken": 21,
    "Climate Carol Browner": 25,
    "Carol Browner": 26,
    "Eric Schultz": 1685,
    "Wasserman Schultz": 33,
    "Mr. Schultz": 3,
    "Joe Biden": 23,
    "Dr. Biden": 5,
    "Senior Administration Official": 1119,
    "Senior Adminstration Official": 16,
    "赵立坚": 4550,
}


def test_spellings_of_one_person_resolve_to_one_name() -> None:
    resolved = resolve_names(SPELLINGS)
    assert resolved["Michael Froman"] == resolved["Mike Froman"] == "Mike Froman"
    assert resolved["Denis Mcdonough"] == resolved["Denis McDonough"] == "Denis McDonough"
    assert resolved["Gene B. Sperling"] == resolved["Gene Sperling"] == "Gene B. Sperling"
    assert resolved["Antony Blinken"] == resolved["Tony Blinken"] == "Tony Blinken"
    assert resolved["Climate Carol Browner"] == "Carol Browner"  # words of an office before the name dropped


def test_two_people_with_one_surname_stay_apart() -> None:
    resolved = resolve_names(SPELLINGS)
    assert resolved["Eric Schultz"] == "Eric Schultz" and resolved["Wasserman Schultz"] == "Wasserman Schultz"
    # a title and surname alone is resolved only within its statement (rule 3), never across the site
    assert resolved["Mr. Schultz"] == "Mr. Schultz" and resolved["Dr. Biden"] == "Dr. Biden"
    assert resolved["Mr. Froman"] == "Mr. Froman"
    assert resolved["Senior Administration Official"] != resolved["Senior Adminstration Official"]
    assert resolved["赵立坚"] == "赵立坚"
    assert name_key("Senior Administration Official") is None and name_key("赵立坚") is None
    assert resolve_names({"George W. Bush": 3, "George H. W. Bush": 2, "George Bush": 1}) == {
        "George W. Bush": "George W. Bush",
        "George H. W. Bush": "George H. W. Bush",
        "George Bush": "George Bush",
    }


def test_a_title_and_surname_is_the_person_its_statement_names() -> None:
    people = {person_key(name): resolve_names(SPELLINGS)[name] for name in SPELLINGS if person_key(name)}
    # the opening of the briefing of 2015-10-05 (Trans-Pacific Partnership), as its text introduces the guest
    text = (
        "MR. EARNEST: Good afternoon, everybody. ... joined by United States Trade Representative Michael Froman"
        " to talk about the agreement.\n\nAMBASSADOR FROMAN: Thank you, Josh."
    )
    assert resolve_in_statement(["Josh Earnest", "Mr. Froman"], text, people) == {"Mr. Froman": "Mike Froman"}
    assert resolve_in_statement(["Mr. Froman"], "MR. FROMAN: Thank you.", people) == {}  # labels are not prose
    both = "Vice President Joe Biden and Dr. Jill Biden welcomed the guests."
    assert resolve_in_statement(["Dr. Biden"], both, people) == {}
    assert resolve_in_statement(["Dr. Biden"], "Dr. Jill Biden spoke.", people) == {}  # no speaker of the site


def test_statement_speakers_are_kept_by_the_writer_and_filled_on_upgrade(tmp_path) -> None:
    store = Store(tmp_path / "statements.db")
    _fill(store, "whitehouse_en", "fmprc_zh")
    written = {
        tuple(row) for row in store.db.execute("select statement_id, speaker, name from statement_speakers")
    }
    counted = store.db.execute(
        "select count(*) from statements, json_each(statements.speakers)"
    ).fetchone()[0]
    assert len(written) == counted > 0
    assert ("华春莹", 5, ["华春莹"]) in speaker_counts(store.db)
    with store.transaction() as db:
        fill(db)  # what the upgrade of a file without the tables writes
    assert {
        tuple(row) for row in store.db.execute("select statement_id, speaker, name from statement_speakers")
    } == written
    turns = search_turns(store, None, Filters(speaker="JOSH EARNEST"), role="answer", limit=10_000)
    assert turns and {turn.speaker for turn in turns} == {"Josh Earnest"}
    store.close()


def test_an_older_file_gets_its_speaker_tables_when_opened_for_writing(tmp_path) -> None:
    path = tmp_path / "statements.db"
    store = Store(path)
    _fill(store, "fmprc_en")
    expected = store.db.execute("select count(*) from statement_speakers").fetchone()[0]
    store.db.execute("drop table statement_speakers")
    store.db.execute("drop table speaker_names")
    store.db.conn.commit()
    store.close()
    store = Store(path)
    assert store.db.execute("select count(*) from statement_speakers").fetchone()[0] == expected > 0
    names = {name for name, _, _ in speaker_counts(store.db)}
    assert {"Zhao Lijian", "Hua Chunying"} <= names
    store.close()
    assert json.dumps(SEEN)
