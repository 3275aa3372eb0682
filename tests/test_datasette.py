"""The Datasette plugin (statements/datasette), loaded through its entry point as `datasette statements.db` loads
it, through Datasette's own test client, on a database built from the fixtures."""

from __future__ import annotations

import asyncio
import urllib.parse

import feedparser
import pytest
from datasette.app import Datasette

from statements.search import Filters, count_matches, search_turns
from statements.store import Store
from statements.translations import link_translations
from tests.test_search import _fill


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("datasette") / "statements.db"
    store = Store(path)
    _fill(store, "fmprc_en", "fmprc_zh", "whitehouse_en")
    link_translations(store, "fmprc_en")
    store.close()
    return path


@pytest.fixture(scope="module")
def datasette(db_path) -> Datasette:
    return Datasette([str(db_path)])  # no metadata: the plugin brings it


def _response(datasette: Datasette, path: str):
    parts = urllib.parse.urlsplit(path)
    query = urllib.parse.urlencode(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    response = asyncio.run(datasette.client.get(f"{parts.path}?{query}" if query else parts.path))
    assert response.status_code == 200, response.text[:500]
    return response


def _get(datasette: Datasette, path: str) -> dict:
    return _response(datasette, path).json()


def test_the_plugin_is_found_through_its_entry_point(datasette: Datasette) -> None:
    plugins = _get(datasette, "/-/plugins.json")
    assert "statements.datasette" in {plugin["name"] for plugin in plugins} or any(
        "filters_from_request" in plugin["hooks"] and plugin["name"] == "ministry-statements"
        for plugin in plugins
    )
    assert datasette.table_metadata("statements", "statements")["sort_desc"] == "date"


@pytest.mark.parametrize("query", ["台湾", "香港国安法", "钓鱼岛", "Diaoyu", "sanction", '"Hong Kong"'])
def test_search_finds_what_the_cli_finds(datasette: Datasette, db_path, query: str) -> None:
    data = _get(datasette, f"/statements/statements.json?_search={query}&_size=max&_col=id&_nofacet=1")
    store = Store(db_path, readonly=True)
    expected = count_matches(store, query)
    store.close()
    assert expected > 0
    assert data["filtered_table_rows_count"] == expected == len(data["rows"])


def test_turn_search_with_a_speaker_finds_what_statements_turns_finds(datasette: Datasette, db_path) -> None:
    data = _get(
        datasette,
        "/statements/turns.json?_search=钓鱼岛&_speaker=赵立坚&role=answer&_size=max&_nofacet=1&_shape=array",
    )
    store = Store(db_path, readonly=True)
    turns = search_turns(store, "钓鱼岛", Filters(speaker="赵立坚"), role="answer", limit=1000)
    store.close()
    assert sorted((row["statement_id"], row["position"]) for row in data) == sorted(
        (turn.statement_id, turn.position) for turn in turns
    )
    assert (
        len(turns) == 1
    )  # the fixtures hold the 3 July 2020 press conference of the 4 answers in the corpus
    rows = _get(
        datasette, "/statements/turns.json?_search=Globe&role=question&_shape=array&_col=outlet&_col=position"
    )
    # the four questions of The Globe and Mail on June 19, 2020, and one question of China News Service quoting it
    assert sorted((row["outlet"], row["position"]) for row in rows) == [
        ("China News Service", 4),
        ("The Globe and Mail", 3),
        ("The Globe and Mail", 29),
        ("The Globe and Mail", 31),
        ("The Globe and Mail", 35),
    ]


def test_facets_on_site_kind_speakers_and_year(datasette: Datasette) -> None:
    data = _get(datasette, "/statements/statements.json?_size=0&_facet_size=max")
    assert set(data["facet_results"]) == {"site", "language", "kind", "speakers", "year"}  # none timed out
    facets = {
        name: {item["value"]: item["count"] for item in facet["results"]}
        for name, facet in data["facet_results"].items()
    }
    assert facets["site"] == {"fmprc_en": 25, "fmprc_zh": 14, "whitehouse_en": 8}
    assert facets["language"] == {"en": 31, "zh": 14, "es": 2}
    assert (
        facets["speakers"]["Zhao Lijian"],
        facets["speakers"]["华春莹"],
        facets["speakers"]["Lin Jian"],
        facets["speakers"]["Josh Earnest"],
    ) == (3, 5, 1, 2)
    assert facets["year"]["2020"] == 12 and facets["year"]["2009"] == 3
    assert data["suggested_facets"] == []
    chosen = _get(
        datasette, "/statements/statements.json?_speaker=Zhao+Lijian&_shape=array&_col=title&_nofacet=1"
    )
    assert len(chosen) == 3 and all("Zhao Lijian" in row["title"] for row in chosen)
    turns = _get(datasette, "/statements/turns.json?_size=0")
    assert set(turns["facet_results"]) == {"role", "speaker", "outlet"}


def test_canned_queries_search_as_the_cli_does(datasette: Datasette) -> None:
    rows = _get(datasette, "/statements/statements_by_speaker_per_month.json?_shape=array")
    assert {"month": "2020-07", "speaker": "Zhao Lijian", "statements": 1} in rows
    assert {"month": "2020-07", "speaker": "赵立坚", "statements": 1} in rows
    rows = _get(datasette, "/statements/answers_mentioning.json?speaker=zhao+lijian&word=Diaoyu&_shape=array")
    assert [(row["date"], row["position"]) for row in rows] == [("2020-07-03", 21)]
    assert rows[0]["text"].startswith(
        "Zhao Lijian: Diaoyu Dao and its affiliated islands are China's inherent"
    )
    rows = _get(datasette, "/statements/answers_mentioning.json?speaker=赵立坚&word=钓鱼岛&_shape=array")
    assert [(row["date"], row["position"]) for row in rows] == [("2020-07-03", 21)]
    assert rows[0]["text"].startswith("赵立坚：钓鱼岛及其附属岛屿是中国固有领土")
    rows = _get(datasette, "/statements/statements_matching.json?words=台湾&_shape=array")
    assert len(rows) == len(
        _get(datasette, "/statements/statements.json?_search=台湾&_shape=array&_size=max")
    )


def test_atom_feed_of_a_site_and_a_search_is_valid_atom(datasette: Datasette) -> None:
    response = _response(datasette, "/statements/statements.atom?site=fmprc_zh&_search=台湾")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = {entry.title for entry in feed.entries}
    expected = {
        row["title"]
        for row in _get(datasette, "/statements/statements.json?site=fmprc_zh&_search=台湾&_shape=array")
    }
    assert titles == expected and titles
    entry = feed.entries[0]
    assert entry.id == entry.link and entry.link.startswith("https://www.fmprc.gov.cn/")
    assert entry.updated and entry.authors and entry.content[0].value


def test_search_page_ranks_hits_with_snippets(datasette: Datasette) -> None:
    html = _response(datasette, "/statements/statements?_search=香港国安法").text
    assert html.count('class="st-hit"') == 2
    assert "<mark>香港国安法</mark>" in html
    assert "These facets timed out" not in html
