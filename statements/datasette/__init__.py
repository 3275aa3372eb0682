"""The Datasette plugin of a statements database, found through Datasette's plugin entry point
(`[project.entry-points.datasette]` in pyproject.toml): `datasette statements.db` loads it with no flags.

For every database that is a statements database (it has the `statements` table and the bigram indexes), it
gives Datasette:

- the metadata (descriptions, facets, sort order) of `metadata.json` beside this file (`get_metadata`);
- search (`?_search=` and the search box) on `statements` and `turns` that finds exactly what `statements search`
  and `statements turns -q` find, Chinese included: the condition comes from `statements.search.match_condition`
  (Datasette's own search sends the query to the word index, where a run of Chinese characters is one token);
  on the HTML page, search results are ranked as `statements search` ranks them, with its snippets;
- a `speaker` facet and `?_speaker=` filter by person, read from the indexed `statement_speakers` table (one name
  per person, `statements.speakers`) instead of the JSON of every row, so no facet times out;
- canned queries that search the same way (`prepare_connection` adds the SQL functions `statements_index` and
  `statements_match`);
- pages that read like documents (templates/ and static/statements.css): a statement with its title, date,
  office, kind, speakers, body as paragraphs or a press conference as a dialogue, its translations, earlier
  versions and original URL;
- an Atom feed of any statements page (`.atom`: `/db/statements.atom?site=fmprc_en`, `?_search=台湾`,
  `?_speaker=Zhao+Lijian`).

Other databases are left as Datasette shows them.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.parse
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

from crawler.sites import SITES
from statements.feed import ENTRY_COLUMNS, atom_feed
from statements.search import BadQuery, Filters, match_condition, search, statement_match, turn_match
from statements.speakers import person_filter, person_rowids

PLUGIN = __name__
DISTRIBUTION = "ministry-statements"
"""The name Datasette serves this plugin's static/ folder under (/-/static-plugins/ministry-statements/)."""
METADATA = json.loads(resources.files(PLUGIN).joinpath("metadata.json").read_text(encoding="utf-8"))
"""Datasette metadata of the tables of a statements database."""

MARK_TABLES = {"statements", "turns", "statements_fts_zh", "turns_fts_zh", "statement_speakers"}
"""Tables that make a database a statements database (of this version of the project)."""

RANKED_HITS = 20
"""Search hits ranked and shown with snippets on a statements page, as many as `statements search` shows (the
rest: Next page, in date order). Their snippets cost most of a search page: 50 White House briefings, 150 ms."""

_known: dict[tuple[str, str | None], bool] = {}


def is_statements_database(datasette: Any, database: str | None) -> bool:
    """Whether the database of that name is a statements database (looked at once per file)."""
    if database is None or database not in datasette.databases:
        return False
    db = datasette.databases[database]
    key = (database, db.path)
    if key not in _known:
        tables: set[str] = set()
        if db.path:
            try:
                connection = sqlite3.connect(f"file:{Path(db.path).resolve()}?mode=ro", uri=True)
                try:
                    tables = {row[0] for row in connection.execute("select name from sqlite_master")}
                finally:
                    connection.close()
            except sqlite3.Error:
                tables = set()
        _known[key] = MARK_TABLES <= tables
    return _known[key]


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    names = [name for name in datasette.databases if is_statements_database(datasette, name)]
    metadata: dict[str, Any] = {"databases": {name: {"tables": METADATA["tables"]} for name in names}}
    if names and len(names) == len([n for n in datasette.databases if n != "_internal"]):
        metadata.update({key: METADATA[key] for key in ("title", "description_html", "license")})
    return metadata


def _sql_match(query: str | None, kind: str) -> str:
    if query is None:
        return None
    try:
        return (turn_match if kind == "turns" else statement_match)(query)[1]
    except BadQuery as error:
        raise ValueError(str(error)) from None


def _sql_index(query: str | None, kind: str) -> str | None:
    if query is None:
        return None
    try:
        return (turn_match if kind == "turns" else statement_match)(query)[0]
    except BadQuery as error:
        raise ValueError(str(error)) from None


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """SQL functions for queries that search as `statements search` does: statements_index(query, 'statements'
    or 'turns') names the index that finds it, statements_match(query, …) is its MATCH expression."""
    conn.create_function("statements_index", 2, _sql_index, deterministic=True)
    conn.create_function("statements_match", 2, _sql_match, deterministic=True)


CANNED_QUERIES = {
    "statements_matching": {
        "title": "Statements matching words",
        "description": (
            "Statements whose title or body match :words (English words by stem, FTS5 syntax; Chinese words"
            " wherever they occur), newest first: what `statements search` finds."
        ),
        "sql": (
            "select s.date, s.site, s.kind, s.title, s.url, s.id from statements s where s.rowid in ("
            " select rowid from statements_fts where statements_index(:words, 'statements') = 'statements_fts'"
            " and statements_fts match statements_match(:words, 'statements')"
            " union all select rowid from statements_fts_zh"
            " where statements_index(:words, 'statements') = 'statements_fts_zh'"
            " and statements_fts_zh match statements_match(:words, 'statements'))"
            " order by s.date desc limit 1000"
        ),
    },
    "answers_mentioning": {
        "title": "A spokesperson's answers mentioning a word",
        "description": (
            "Answers by :speaker (any of their names, any case: Zhao Lijian, 赵立坚, mr. froman) whose text"
            " matches :word (as `statements turns -q` finds it, Chinese included), newest first."
        ),
        "sql": (
            "select statements.date, statements.title, turns.position, turns.text, statements.url"
            " from turns join statements on statements.id = turns.statement_id"
            " where turns.role = 'answer' and "
            + person_filter("turns.statement_id", "speaker", "turns.speaker")
            + " and turns.rowid in ("
            " select rowid from turns_fts where statements_index(:word, 'turns') = 'turns_fts'"
            " and turns_fts match statements_match(:word, 'turns')"
            " union all select rowid from turns_fts_zh where statements_index(:word, 'turns') = 'turns_fts_zh'"
            " and turns_fts_zh match statements_match(:word, 'turns'))"
            " order by statements.date desc, turns.position limit 200"
        ),
    },
    "statements_by_speaker_per_month": {
        "title": "Statements by speaker per month",
        "description": "How many statements each person gave each month, newest month first.",
        "sql": (
            "select substr(s.date, 1, 7) as month, ss.name as speaker, count(distinct s.id) as statements"
            " from statements s join statement_speakers ss on ss.statement_id = s.id where s.date is not null"
            " group by month, ss.name order by month desc, statements desc"
        ),
    },
}
"""Canned queries of a statements database."""


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, Any]:
    return CANNED_QUERIES if is_statements_database(datasette, database) else {}


@hookimpl
def startup(datasette: Any) -> None:
    """Replace Datasette's own ?_search= handling (the rest of its filters stay) with `search_filter`, which
    hands other tables back to it: for `statements` and `turns` it would send a Chinese query to the word
    index. And its facet classes with ones that make no suggestions on `statements` and `turns` (`_quiet`)."""
    from datasette import filters as default_filters
    from datasette.plugins import pm

    if pm.get_plugin("datasette.filters") is None:
        return
    pm.unregister(name="datasette.filters")

    class DefaultFilters:
        where_filters = default_filters.where_filters
        through_filters = default_filters.through_filters

    pm.register(DefaultFilters, name="datasette.filters (statements search)")
    pm.register(_SearchFilters, name="statements.datasette search")
    if pm.get_plugin("datasette.facets") is not None:
        pm.unregister(name="datasette.facets")
        pm.register(_Facets, name="datasette.facets (statements suggestions)")


def _quiet(facet_class: type) -> type:
    """`facet_class` that suggests no facets on `statements` and `turns`: each suggestion is a query over the
    whole table per column (on the 3,115 statements of the recordings: 0.5 s a page), and their facets are
    chosen in the metadata."""

    class Quiet(facet_class):  # type: ignore[misc, valid-type]
        async def suggest(self) -> list[dict[str, Any]]:
            if self.table in ("statements", "turns") and is_statements_database(self.ds, self.database):
                return []
            return await super().suggest()

    Quiet.__name__ = Quiet.__qualname__ = facet_class.__name__
    return Quiet


class _Facets:
    @staticmethod
    @hookimpl(specname="register_facet_classes")
    def register_facet_classes() -> list[type]:
        from datasette import facets

        return [_quiet(facet_class) for facet_class in facets.register_facet_classes()]


class _SearchFilters:
    @staticmethod
    @hookimpl(specname="filters_from_request")
    def search_filter(request: Any, database: str, table: str, datasette: Any) -> Any:
        """?_search= on `statements` and `turns` as `statements search` finds it; elsewhere Datasette's."""
        from datasette import filters as default_filters

        if table not in ("statements", "turns") or not is_statements_database(datasette, database):
            return default_filters.search_filters(request, database, table, datasette)

        async def inner() -> FilterArguments:
            query = request.args.get("_search")
            context = {"supports_search": True, "search": query or ""}
            if not query:
                return FilterArguments([], extra_context=context)
            try:
                # "+rowid": SQLite then walks the table's sort order (the date index) and keeps the hits, instead
                # of fetching every hit and sorting whole rows, bodies and all (807 White House hits of
                # "sanctions": 430 ms; at a million statements a common word would sort gigabytes).
                condition, params = match_condition(
                    query,
                    "rowid" if table == "turns" else "+rowid",
                    turns=table == "turns",
                    param="_search_match",
                )
            except BadQuery as error:
                raise DatasetteError(str(error), status=400) from None
            return FilterArguments([condition], params, [f'search matches "{query}"'], context)

        return inner


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """?_speaker=NAME on `statements` and `turns`: the statements (turns) of that person, by any of their names."""
    speaker = request.args.get("_speaker")
    if not speaker or table not in ("statements", "turns") or not is_statements_database(datasette, database):
        return None
    if table == "statements":
        # rowids, checked from whatever index a query walks (the date index, a facet's): see search_filter
        condition = f"+rowid in ({person_rowids('_speaker')})"
    else:
        condition = person_filter("statement_id", "_speaker", "speaker")
    return FilterArguments([condition], {"_speaker": speaker}, [f'speaker is "{speaker}"'])


class SpeakerFacet(Facet):
    """A facet by person: "speakers" of `statements` or "speaker" of `turns`, one name per person, counted from
    the indexed `statement_speakers` table (Datasette's array facet expands the JSON of every row and times out
    on a large database)."""

    type = "speaker"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        if not is_statements_database(self.ds, self.database):
            return results, timed_out
        size = self.get_facet_size()
        filtered = " where " in self.sql.lower()
        if self.table == "turns":
            # turns counted per (speaker, statement) from the index on turns first, then named: a few thousand
            # lookups in statement_speakers instead of one per turn
            sql = (
                "select ss.name as value, sum(g.turns) as count from (select speaker, statement_id,"
                " count(*) as turns from turns where speaker is not null"
                + (f" and rowid in (select rowid from ({self.sql}))" if filtered else "")
                + " group by speaker, statement_id) g cross join statement_speakers ss"
                " on ss.statement_id = g.statement_id and ss.speaker = g.speaker"
                f" group by ss.name order by count desc, value limit {size + 1}"
            )
        else:
            # one row per person and statement is flagged `first`, so a count reads the partial index on name
            sql = (
                "select name as value, count(*) as count from statement_speakers where first = 1"
                + (f" and statement_id in (select id from ({self.sql}))" if filtered else "")
                + f" group by name order by count desc, value limit {size + 1}"
            )
        selected = self.request.args.get("_speaker")
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=_facet_limit(self.ds),
                )
            except QueryInterrupted:  # reported as Datasette reports a slow facet
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                chosen = selected == row["value"]
                path = (
                    path_with_removed_args(self.request, {"_speaker": row["value"]})
                    if chosen
                    else path_with_added_args(self.request, {"_speaker": row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                        "selected": chosen,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_speaker": column})
                    ),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


class IndexedFacet(Facet):
    """A facet by site, language, kind or year of `statements` (config: {"indexed": "year"}), shown and selected
    (`?year=…`) as Datasette's column facets are, but counted from an index: the year from `substr(date, 1, 4)`,
    which the date indexes hold (on the generated column `year` SQLite read every row of a filtered page: 390 ms
    for a site's 495,000 statements)."""

    type = "indexed"
    EXPRESSIONS: ClassVar[dict[str, str]] = {
        "site": "site",
        "language": "language",
        "kind": "kind",
        "year": "substr(date, 1, 4)",
    }

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            expression = self.EXPRESSIONS[column]
            sql = (
                f"select {expression} as value, count(*) as count from ({self.sql})"
                f" where {expression} is not null group by value order by count desc, value limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False, custom_time_limit=_facet_limit(self.ds)
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                chosen = (column, str(row["value"])) in pairs
                path = (
                    path_with_removed_args(self.request, {column: str(row["value"])})
                    if chosen
                    else path_with_added_args(self.request, {column: row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                        "selected": chosen,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": "column",  # shown as Datasette shows a column facet
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_indexed": column})
                    ),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


def _facet_limit(datasette: Any) -> int:
    """Time a facet of the plugin may take: Datasette's facet_time_limit_ms, as for its own facets."""
    return datasette.setting("facet_time_limit_ms")


@hookimpl
def register_facet_classes() -> list[type]:
    return [SpeakerFacet, IndexedFacet]


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """The filter `speaker_list`: a `speakers` JSON array as "A, B"."""
    env.filters["speaker_list"] = lambda value: ", ".join(json.loads(value or "[]"))


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    if not is_statements_database(datasette, database):
        return []
    return [datasette.urls.static_plugins(DISTRIBUTION, "statements.css")]


def _filters_of(request: Any) -> Filters | None:
    """The `statements.search.Filters` of a statements page's query string, or None when it filters on
    something they cannot say (the ranked list is then left out)."""
    understood = {"site", "language", "kind", "year", "_speaker", "_search", "_sort", "_sort_desc", "_size"}
    if any(key not in understood and not key.startswith("_facet") for key in request.args):
        return None
    year = request.args.get("year")
    if year is not None and not (year.isdigit() and len(year) == 4):
        return None
    return Filters(
        site=request.args.get("site"),
        language=request.args.get("language"),
        kind=request.args.get("kind"),
        speaker=request.args.get("_speaker"),
        since=dt.date(int(year), 1, 1) if year else None,
        until=dt.date(int(year), 12, 31) if year else None,
    )


class _Reader:
    """What `statements.search` needs of a `Store`: its `db`, here over one of Datasette's connections."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = sqlite_utils.Database(connection)


@hookimpl
def extra_template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any, view_name: str
) -> Any:
    if not is_statements_database(datasette, database) or table not in ("statements", "turns"):
        return {}

    async def inner() -> dict[str, Any]:
        values: dict[str, Any] = {
            "statements_db": True,
            "sites": {name: site.office for name, site in SITES.items()},
        }
        db = datasette.get_database(database)
        if view_name == "table" and table == "statements" and request.args.get("_search"):
            filters = _filters_of(request)
            query = request.args["_search"]
            if filters is not None and not request.args.get("_next"):

                def ranked(connection: sqlite3.Connection) -> list[dict[str, Any]]:
                    try:
                        return [
                            hit.as_dict() for hit in search(_Reader(connection), query, filters, RANKED_HITS)
                        ]
                    except BadQuery:
                        return []

                values["ranked_hits"] = await db.execute_fn(ranked)
        if view_name == "row" and table == "statements":
            values["document"] = await _document(db, request)
        return values

    return inner


async def _document(db: Any, request: Any) -> dict[str, Any] | None:
    """Everything a statement's page shows: its row, speakers with their one name, turns, translations,
    earlier versions."""
    key = urllib.parse.unquote(request.url_vars["pks"])
    rows = (await db.execute("select * from statements where id = ?", [key])).rows
    if not rows:
        return None
    record = dict(rows[0])
    record["speakers"] = json.loads(record["speakers"] or "[]")
    names = dict(
        (await db.execute("select speaker, name from statement_speakers where statement_id = ?", [key])).rows
    )
    record["people"] = [(speaker, names.get(speaker, speaker)) for speaker in record["speakers"]]
    record["turns"] = [
        dict(row)
        for row in (
            await db.execute(
                "select position, role, speaker, outlet, follow_up, text from turns where statement_id = ?"
                " order by position",
                [key],
            )
        ).rows
    ]
    record["paragraphs"] = record["body"].split("\n\n")
    record["translations"] = [
        dict(row)
        for row in (
            await db.execute(
                "select s.id, s.url, s.title, s.language, t.method from translations t"
                " join statements s on s.id = t.translated_id where t.statement_id = ? order by s.language",
                [key],
            )
        ).rows
    ]
    record["versions"] = [
        dict(row)
        for row in (
            await db.execute(
                "select version, title, first_seen_at, replaced_at from statement_versions where statement_id = ?"
                " order by version desc",
                [key],
            )
        ).rows
    ]
    site = SITES.get(record["site"])
    record["office"] = site.office if site else record["site"]
    return record


async def _atom(datasette: Any, request: Any, database: str, table: str, rows: list[Any]) -> Response:
    """The Atom feed of the statements of a page (its filters, search and order), newest first stored first."""
    ids = [row["id"] for row in rows if "id" in row.keys()]  # noqa: SIM118  (sqlite3.Row: no __contains__ of names)
    db = datasette.get_database(database)
    found = (
        await db.execute(
            f"select {ENTRY_COLUMNS} from statements s where s.id in (select value from json_each(?))"
            " order by s.first_seen_at desc, s.date desc",
            [json.dumps(ids)],
        )
    ).rows
    keys = ("id", "url", "title", "date", "published_at", "site", "language", "kind", "speakers", "body")
    entries = []
    for row in found:
        entry = dict(zip(keys, tuple(row)[:10], strict=True))
        entry["speakers"] = json.loads(entry["speakers"] or "[]")
        entry["updated"] = max(row[10] or "", row[11] or "")
        entries.append(entry)
    args = {key: request.args.get(key) for key in request.args}
    wanted = [f"{key} {value}" for key, value in args.items() if key in ("site", "language", "kind")]
    wanted += [f"speaker {request.args['_speaker']}"] if request.args.get("_speaker") else []
    wanted += [f"search {request.args['_search']}"] if request.args.get("_search") else []
    title = f"{database}: {', '.join(wanted) or 'all statements'}"
    query = "&".join(
        f"{key}={urllib.parse.quote(value)}"
        for key, value in sorted(args.items())
        if key in ("site", "language", "kind", "year", "_speaker", "_search")
    )
    feed_id = f"tag:ministry-statements,2026:{database}/{table}?{query}"
    self_url = datasette.absolute_url(request, request.full_path)
    return Response(
        atom_feed(entries, title, feed_id, self_url), content_type="application/atom+xml; charset=utf-8"
    )


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    def can_render(database: str, table: str | None) -> bool:
        return table == "statements" and is_statements_database(datasette, database)

    async def render(datasette: Any, request: Any, database: str, table: str, rows: list[Any]) -> Response:
        return await _atom(datasette, request, database, table, rows)

    return {"extension": "atom", "render": render, "can_render": can_render}
