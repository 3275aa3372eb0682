"""The shipped Datasette metadata (datasette/metadata.json), through Datasette's own test client, on a database
built from the fixtures."""

from __future__ import annotations

import asyncio
import json

import pytest
from datasette.app import Datasette

from statements.store import Store
from statements.translations import link_translations
from tests.conftest import REPO
from tests.test_search import _fill

METADATA = json.loads((REPO / "datasette" / "metadata.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    path = tmp_path_factory.mktemp("datasette") / "statements.db"
    store = Store(path)
    _fill(store, "fmprc_en", "fmprc_zh")
    link_translations(store, "fmprc_en")
    store.close()
    return Datasette([str(path)], metadata=METADATA)


def _get(datasette: Datasette, path: str) -> dict:
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_full_text_search_on_statements(datasette: Datasette) -> None:
    rows = _get(datasette, "/statements/statements.json?_search=Diaoyu&_shape=array&_col=url")
    assert {row["url"].rsplit("/", 1)[1] for row in rows} == {"t1794629.shtml"}
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
    data = _get(datasette, "/statements/statements.json?_size=0")
    facets = {
        name: {item["value"]: item["count"] for item in facet["results"]}
        for name, facet in data["facet_results"].items()
    }
    assert facets["site"] == {"fmprc_en": 25, "fmprc_zh": 14}
    assert facets["language"] == {"en": 25, "zh": 14}
    assert facets["year"] == {
        "2016": 1,
        "2018": 8,
        "2019": 9,
        "2020": 12,
        "2022": 1,
        "2024": 1,
        "2025": 3,
        "2026": 2,
    }
    assert (
        facets["speakers"]["Zhao Lijian"],
        facets["speakers"]["华春莹"],
        facets["speakers"]["Lin Jian"],
    ) == (3, 5, 1)
    assert facets["kind"] == {"press_conference": 22, "remarks": 8, "news": 5, "meeting": 2, "speech": 2}


def test_canned_queries(datasette: Datasette) -> None:
    rows = _get(datasette, "/statements/statements_by_speaker_per_month.json?_shape=array")
    assert {"month": "2020-07", "speaker": "Zhao Lijian", "statements": 1} in rows
    assert {"month": "2020-07", "speaker": "赵立坚", "statements": 1} in rows
    rows = _get(datasette, "/statements/answers_mentioning.json?speaker=Zhao+Lijian&word=Diaoyu&_shape=array")
    assert [(row["date"], row["position"]) for row in rows] == [("2020-07-03", 21)]
    assert rows[0]["text"].startswith(
        "Zhao Lijian: Diaoyu Dao and its affiliated islands are China's inherent territory"
    )
