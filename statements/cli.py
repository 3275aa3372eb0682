"""The `statements` command (click).

Exit codes: 0 success; 1 an unexpected error; 2 bad usage (unknown option or site, missing file) or, for
`extract`, a page that is not a statement (the reason on one line on stderr).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import re
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from tabulate import tabulate

from crawler.items import PageItem
from crawler.schedule import run_crawls
from crawler.sites import SITES, UnknownSiteError, get_site
from pipelines.extract import NotAStatement
from statements.export import export
from statements.feed import atom_feed, feed_entries
from statements.listing import (
    Listed,
    UnknownValue,
    check_value,
    last_run_start,
    list_statements,
    outlets,
    speakers,
)
from statements.reparse import count_pages, process_page, reparse
from statements.search import (
    BadQuery,
    Filters,
    Hit,
    TurnHit,
    count_matches,
    count_turns,
    pair_turns,
    search,
    search_turns,
)
from statements.stats import database_stats, find_statement
from statements.store import Store, StoreError
from statements.stream import RedisUnavailable, connect
from statements.stream_writer import StreamWriter

db_option = click.option(
    "--db",
    "db_path",
    envvar="STATEMENTS_DB",
    default="statements.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database (else the STATEMENTS_DB environment variable).",
)


def format_option(table_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The `--format table|json|csv` option; `table_help` says what the table shows."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        help=f"{table_help}, a JSON array, or CSV.",
    )


def _print_records(
    records: list[dict[str, Any]],
    fields: list[str],
    output: str,
    headers: list[str],
    table: list[tuple[Any, ...]],
    total: int | None = None,
    csv_rows: list[dict[str, Any]] | None = None,
) -> None:
    """Print records as a JSON array, CSV with `fields` as columns, or the `table` rows under `headers` and,
    with `total`, how many of how many are shown; `csv_rows`: flat records for CSV when `records` nest."""
    if output == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows(csv_rows if csv_rows is not None else records)
    elif records:
        click.echo(tabulate(table, headers=headers))
        if total is not None:
            _shown(len(records), total)
    else:
        click.echo("nothing matches", err=True)


def _site(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    value = next((name for name in SITES if name.casefold() == value.casefold()), value)
    try:
        get_site(value)
    except UnknownSiteError as error:
        raise click.BadParameter(error.args[0]) from None
    return value


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


MAX_PAGE_BYTES = 32 * 1024 * 1024
"""Largest saved page `extract` reads (the crawl's DOWNLOAD_MAXSIZE)."""


def _url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError on a port out of range
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host")
    return value


def _filters(store: Store, **values: Any) -> Filters:
    """Filters from the options, checked: language and kind as stored (case ignored), since not after until.

    Raises:
        _BadValue: a language or kind no statement can have (the message names the known ones), or --since after
            --until.
    """
    try:
        for column in ("language", "kind"):
            if column in values:
                values[column] = check_value(store, column, values[column])
    except UnknownValue as error:
        store.close()
        raise _BadValue(str(error)) from None
    since, until = values.get("since"), values.get("until")
    if since and until and since > until:
        store.close()
        raise _BadValue(f"--since {since} is after --until {until}")
    return Filters(**values)


def _shown(shown: int, total: int, limit_option: str = "--limit") -> None:
    """The line under a table: how many rows it shows of how many match."""
    more = f" (raise {limit_option} to see more)" if shown < total else ""
    click.echo(f"{shown:,} of {total:,} shown{more}")


def _open(db_path: Path) -> Store:
    try:
        return Store(db_path, readonly=True)
    except StoreError as error:
        raise click.ClickException(str(error)) from None


class _Group(click.Group):
    """The command group, whose errors are one line on stderr ("Error: …") and an exit code, never a usage
    block or a traceback: 2 for bad usage, 1 for the rest (a file that cannot be written, a database fault)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except (OSError, sqlite3.Error) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class _BadValue(click.UsageError):
    """A filter value no statement can have, or contradictory options: one line, exit code 2."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ministry-statements")
def main() -> None:
    """Ministry statements: clean statements from foreign ministries' press pages, in SQLite.

    Crawling is done with Scrapy (`scrapy crawl fmprc_en`); this command works on saved pages and on the
    database.
    """


@main.command("extract")
@click.option(
    "--site", required=True, callback=_site, help=f"Spider name of the page's site: {', '.join(SITES)}."
)
@click.option(
    "--url",
    required=True,
    callback=_url,
    help="URL the page was fetched from (decides the canonical URL and id).",
)
@click.option(
    "--content-type",
    default=None,
    help="The page's HTTP Content-Type header, when known (it takes part in the charset decision).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_command(site: str, url: str, content_type: str | None, file: Path) -> None:
    """Print the statement extracted from one saved page FILE as JSON.

    The JSON object has id, url, title, date, date_source, published_at, kind, speakers, language, paragraphs,
    body (the paragraphs joined by a blank line) and turns (for transcripts: role, speaker, outlet, follow_up,
    text). A page that is not a statement exits with code 2 and a
    one-line reason on stderr.
    """
    if not file.is_file():
        raise click.BadParameter(f"{file} is not a regular file", param_hint="FILE")
    with file.open("rb") as stream:
        body = stream.read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        raise click.BadParameter(f"{file} is larger than {MAX_PAGE_BYTES // 2**20} MB", param_hint="FILE")
    page = PageItem(
        site=site,
        url=url,
        status=200,
        headers={"Content-Type": [content_type]} if content_type else {},
        body=body,
        fetched_at="",
    )
    try:
        statement = process_page(page)
    except NotAStatement as rejection:
        click.echo(f"not a statement: {rejection}", err=True)
        sys.exit(2)
    click.echo(json.dumps(statement.as_json(), ensure_ascii=False, indent=2))


@main.command("search")
@click.argument("query")
@db_option
@click.option("--site", callback=_site, help="Only this site (spider name).")
@click.option("--language", help="Only this language (ISO 639-1: en, zh).")
@click.option("--kind", help="Only this kind (press_conference, remarks, speech, meeting, statement, …).")
@click.option(
    "--speaker",
    help='Only statements of this person, by any of their names, in any case ("Zhao Lijian", "mr. froman").',
)
@click.option("--since", callback=_date, help="Only statements dated on or after this ISO date.")
@click.option("--until", callback=_date, help="Only statements dated on or before this ISO date.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Most hits shown.")
@format_option("table (with a snippet, hits in [brackets])")
def search_command(
    query: str,
    db_path: Path,
    site: str | None,
    language: str | None,
    kind: str | None,
    speaker: str | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    output: str,
) -> None:
    """Full-text search: statements whose title or body match QUERY, best first, then newest.

    English words are matched by stem ("sanction" finds "sanctions") in FTS5 syntax, as `sqlite-utils search`
    does: "a phrase" in double quotes, AND, OR, NOT. A query with Chinese characters finds each of its words
    wherever it occurs, whatever its length (台湾, 香港国安法).
    """
    store = _open(db_path)
    filters = _filters(
        store, site=site, language=language, kind=kind, speaker=speaker, since=since, until=until
    )
    try:
        hits = search(store, query, filters, limit)
        total = (
            count_matches(store, query, filters) if output == "table" and len(hits) == limit else len(hits)
        )
    except BadQuery as error:
        raise _BadValue(str(error)) from None
    finally:
        store.close()
    _print_records(
        [hit.as_dict() for hit in hits],
        [field.name for field in dataclasses.fields(Hit)],
        output,
        ["id", "date", "site", "title", "snippet"],
        [
            (hit.id, hit.date or "", hit.site, _shorten(hit.title, 50), _shorten(hit.snippet, 80))
            for hit in hits
        ],
        total,
    )


@main.command("show")
@click.argument("statement")
@db_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Readable text, or a JSON object.",
)
def show_command(statement: str, db_path: Path, output: str) -> None:
    """Show one statement: STATEMENT is its id (16 hex digits) or its URL (any form of it: canonical or not).

    Prints title, date and how it was found, kind, speakers, site, language, URL, the linked translations
    (both ways) and the full body, turn by turn where the statement is a transcript.
    """
    store = _open(db_path)
    try:
        record = find_statement(store, statement)
    finally:
        store.close()
    if record is None:
        raise click.ClickException(f"no statement {statement!r} in {db_path}")
    if output == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(record["title"])
    click.echo("=" * min(80, len(record["title"]) * (2 if record["language"] in ("zh", "ja", "ko") else 1)))
    click.echo(f"date:      {record['date'] or 'unknown'} ({record['date_source']})")
    if record["published_at"]:
        click.echo(f"published: {record['published_at']}")
    click.echo(f"kind:      {record['kind']}")
    click.echo(f"speakers:  {', '.join(record['speakers']) or '-'}")
    click.echo(f"site:      {record['site']} ({record['language']}), version {record['version']}")
    click.echo(f"url:       {record['url']}")
    click.echo(f"id:        {record['id']}")
    for translation in record["translations"]:
        click.echo(
            f"translation ({translation['language']}, {translation['method']}): {translation['title']}\n"
            f"           {translation['url']}"
        )
    click.echo("")
    if not record["turns"]:
        click.echo(record["body"])
        return
    for turn in record["turns"]:
        who = turn["outlet"] or turn["speaker"] or ""
        label = f"{turn['role']}{' (follow-up)' if turn['follow_up'] else ''}{', ' + who if who else ''}"
        click.echo(f"[{turn['position']}] {label}")
        click.echo(turn["text"])
        click.echo("")


@main.command("turns")
@db_option
@click.option("--query", "-q", help="Words the turn must hold (as in `statements search`).")
@click.option(
    "--outlet", help="Only questions whose outlet contains this (case-insensitive): Reuters, 路透社."
)
@click.option("--speaker", help='Only turns by this speaker: "Zhao Lijian", "赵立坚".')
@click.option(
    "--role", type=click.Choice(["question", "answer", "statement", "note"]), help="Only turns of this role."
)
@click.option("--site", callback=_site, help="Only this site (spider name).")
@click.option("--language", help="Only this language (ISO 639-1: en, zh).")
@click.option("--since", callback=_date, help="Only transcripts dated on or after this ISO date.")
@click.option("--until", callback=_date, help="Only transcripts dated on or before this ISO date.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1), help="Most turns shown.")
@click.option(
    "--pairs",
    is_flag=True,
    help="Each question found with its answer (an answer found, with its question), one pair a row.",
)
@format_option("table (text shortened)")
def turns_command(
    db_path: Path,
    query: str | None,
    outlet: str | None,
    speaker: str | None,
    role: str | None,
    site: str | None,
    language: str | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    pairs: bool,
    output: str,
) -> None:
    """Questions and answers of press conference transcripts: who asked (outlet), who answered (speaker).

    Newest transcripts first, turns in transcript order. --speaker finds a person by any of their names, in any
    case ("mr. froman" finds Mike Froman's answers).
    """
    store = _open(db_path)
    filters = _filters(store, site=site, language=language, speaker=speaker, since=since, until=until)
    try:
        turns = search_turns(store, query, filters, outlet=outlet, role=role, limit=limit)
        total = count_turns(store, query, filters, outlet, role) if len(turns) == limit else len(turns)
        paired = pair_turns(store, turns) if pairs else []
    except BadQuery as error:
        raise _BadValue(str(error)) from None
    finally:
        store.close()
    if pairs:
        _print_records(
            [{"question": q.as_dict(), "answer": a.as_dict() if a else None} for q, a in paired],
            ["statement_id", "date", "position", "outlet", "question", "speaker", "answer"],
            output,
            ["statement", "date", "#", "outlet", "question", "speaker", "answer"],
            [
                (
                    q.statement_id,
                    q.date or "",
                    q.position,
                    q.outlet or "",
                    _shorten(q.text, 60),
                    a.speaker if a else "",
                    _shorten(a.text, 60) if a else "",
                )
                for q, a in paired
            ],
            total,
            csv_rows=[
                {
                    "statement_id": q.statement_id,
                    "date": q.date,
                    "position": q.position,
                    "outlet": q.outlet,
                    "question": q.text,
                    "speaker": a.speaker if a else None,
                    "answer": a.text if a else None,
                }
                for q, a in paired
            ],
        )
        return
    _print_records(
        [turn.as_dict() for turn in turns],
        [field.name for field in dataclasses.fields(TurnHit)],
        output,
        ["statement", "date", "site", "#", "role", "speaker", "outlet", "text"],
        [
            (
                t.statement_id,
                t.date or "",
                t.site,
                t.position,
                t.role,
                t.speaker or "",
                t.outlet or "",
                _shorten(t.text, 70),
            )
            for t in turns
        ],
        total,
    )


def _filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter options of `list`, `new`, `speakers`, `outlets` and `feed`."""
    for option in reversed(
        [
            click.option("--site", callback=_site, help="Only this site (spider name, any case)."),
            click.option("--language", help="Only this language (ISO 639-1: en, zh)."),
            click.option("--kind", help="Only this kind (press_conference, remarks, speech, meeting, …)."),
            click.option(
                "--speaker", help='Only statements of this person, by any of their names ("mr. froman").'
            ),
            click.option("--since", callback=_date, help="Only statements dated on or after this ISO date."),
            click.option("--until", callback=_date, help="Only statements dated on or before this ISO date."),
        ]
    ):
        function = option(function)
    return function


def _print_listing(listed: list[Listed], total: int, output: str) -> None:
    _print_records(
        [statement.as_dict() for statement in listed],
        [field.name for field in dataclasses.fields(Listed)],
        output,
        ["id", "date", "site", "kind", "title", "speakers"],
        [
            (s.id, s.date or "", s.site, s.kind, _shorten(s.title, 60), _shorten(", ".join(s.speakers), 30))
            for s in listed
        ],
        total,
        csv_rows=[{**s.as_dict(), "speakers": json.dumps(s.speakers, ensure_ascii=False)} for s in listed],
    )


@main.command("list")
@db_option
@_filter_options
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Most statements shown."
)
@format_option("table")
def list_command(db_path: Path, limit: int, output: str, **values: Any) -> None:
    """Statements matching the filters, newest first (no query: `statements search` for words)."""
    store = _open(db_path)
    try:
        listed, total = list_statements(store, _filters(store, **values), limit)
    finally:
        store.close()
    _print_listing(listed, total, output)


def _seen_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or time (2026-12-01, 2026-12-01T08:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


@main.command("new")
@db_option
@click.option(
    "--since",
    "seen_since",
    callback=_seen_time,
    help="Statements first stored or changed at or after this ISO date or time (UTC unless it says).",
)
@click.option(
    "--last-run", is_flag=True, help="Statements first stored or changed by the latest crawl (default)."
)
@click.option("--site", callback=_site, help="Only this site (spider name, any case).")
@click.option("--language", help="Only this language (ISO 639-1: en, zh).")
@click.option("--kind", help="Only this kind (press_conference, remarks, …).")
@click.option("--speaker", help='Only statements of this person, by any of their names ("mr. froman").')
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Most statements shown."
)
@format_option("table")
def new_command(
    db_path: Path, seen_since: str | None, last_run: bool, limit: int, output: str, **values: Any
) -> None:
    """What arrived: statements first stored, or whose text changed, since a time or since the latest crawl
    started, the most recently stored first. "What is new since yesterday": --since 2026-12-02."""
    if seen_since is not None and last_run:
        raise _BadValue("give --since or --last-run, not both")
    store = _open(db_path)
    try:
        if seen_since is None:
            seen_since = last_run_start(store)
            if seen_since is None:
                raise click.ClickException(f"no crawl has run on {db_path}: give --since")
        filters = _filters(store, seen_since=seen_since, **values)
        listed, total = list_statements(store, filters, limit, by="seen")
    finally:
        store.close()
    _print_listing(listed, total, output)


@main.command("speakers")
@db_option
@_filter_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Most people shown.")
@format_option("table")
def speakers_command(db_path: Path, limit: int, output: str, **values: Any) -> None:
    """Who speaks: each person with their statements and turns, and the spellings of their name merged into one
    ("Mike Froman" for "Mr. Froman", "Michael Froman"), most statements first."""
    store = _open(db_path)
    try:
        people = speakers(store, _filters(store, **values))
    finally:
        store.close()
    _print_records(
        people[:limit],
        ["name", "statements", "turns", "spellings"],
        output,
        ["name", "statements", "turns", "also written"],
        [
            (
                p["name"],
                p["statements"],
                p["turns"],
                _shorten(", ".join(x for x in p["spellings"] if x != p["name"]), 60),
            )
            for p in people[:limit]
        ],
        len(people),
        csv_rows=[{**p, "spellings": json.dumps(p["spellings"], ensure_ascii=False)} for p in people[:limit]],
    )


@main.command("outlets")
@db_option
@_filter_options
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Most outlets shown."
)
@format_option("table")
def outlets_command(db_path: Path, limit: int, output: str, **values: Any) -> None:
    """Which outlets ask: each outlet (as the pages write it) with its questions and transcripts, most questions
    first."""
    store = _open(db_path)
    try:
        found = outlets(store, _filters(store, **values))
    finally:
        store.close()
    _print_records(
        found[:limit],
        ["outlet", "questions", "transcripts"],
        output,
        ["outlet", "questions", "transcripts"],
        [(o["outlet"], o["questions"], o["transcripts"]) for o in found[:limit]],
        len(found),
    )


@main.command("feed")
@db_option
@_filter_options
@click.option("--query", "-q", help="Only statements matching these words (as in `statements search`).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Most entries.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout), e.g. in a folder a web server serves.",
)
def feed_command(db_path: Path, query: str | None, limit: int, output: Path | None, **values: Any) -> None:
    """An Atom feed of the statements most recently stored, per site, speaker or search, for feed readers."""
    if output is not None and not output.parent.is_dir():
        raise click.BadParameter(f"no folder {output.parent} to write {output.name} into", param_hint="-o")
    store = _open(db_path)
    try:
        filters = _filters(store, **values)
        entries = feed_entries(store, filters, query, limit)
    except BadQuery as error:
        raise _BadValue(str(error)) from None
    finally:
        store.close()
    wanted = {key: str(value) for key, value in values.items() if value is not None}
    if query:
        wanted["q"] = query
    label = ", ".join(f"{key} {value}" for key, value in wanted.items()) or "all statements"
    feed_id = "tag:ministry-statements,2026:feed?" + "&".join(f"{k}={v}" for k, v in sorted(wanted.items()))
    document = atom_feed(entries, f"Ministry statements: {label}", feed_id)
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        output.write_bytes(document)


@main.command("crawl")
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Crawl every site, one after another.")
@db_option
@click.option("--since", callback=_date, help="Backfill: only statements dated on or after this ISO date.")
@click.option("--until", callback=_date, help="Backfill: only statements dated on or before this ISO date.")
@click.option(
    "--recheck",
    type=click.IntRange(min=0),
    help="Also refetch the N newest stored statements of each section.",
)
@click.option(
    "--replay-warc",
    type=click.Path(exists=True, dir_okay=False),
    help="Answer every request from this WARC file.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="WARNING",
    show_default=True,
    help="Scrapy's log level (INFO shows progress every 30 s).",
)
@click.option(
    "--set",
    "-s",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy setting, as `scrapy crawl -s`.",
)
def crawl_command(
    sites: tuple[str, ...],
    all_sites: bool,
    db_path: Path,
    since: dt.date | None,
    until: dt.date | None,
    recheck: int | None,
    replay_warc: str | None,
    log_level: str,
    settings: tuple[str, ...],
) -> None:
    """Crawl SITES (spider names), or every site with --all, one after another in this process: the command
    for cron and systemd timers.

    Incremental unless --since/--until are given. Prints one summary line per site. Exits 1, with one line per
    problem on stderr, when a site could not be crawled (it could not start, did not finish, or no listing page
    could be read) or a section that yielded statement links in the site's previous run yields none.
    """
    if all_sites == bool(sites):
        raise click.UsageError("name the sites to crawl, or give --all")
    names = sorted(SITES) if all_sites else list(sites)
    for name in names:
        _site(click.get_current_context(), click.Argument(["sites"]), name)
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    arguments = {
        key: str(value)
        for key, value in {"since": since, "until": until, "recheck": recheck}.items()
        if value is not None
    }
    overrides: dict[str, Any] = {}
    for setting in settings:
        name, equals, value = setting.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"{setting!r} is not NAME=VALUE", param_hint="--set")
        overrides[name] = value
    overrides.update({"STATEMENTS_DB": str(db_path), "REPLAY_WARC": replay_warc, "LOG_LEVEL": log_level})
    results = run_crawls(names, overrides, arguments)
    for result in results:
        if result.error is None:
            click.echo(result.summary())
    problems = [problem for result in results for problem in result.problems]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)


@main.command("export")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines, CSV (speakers as a JSON array) or Parquet.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout; Parquet needs a file).",
)
@click.option("--site", callback=_site, help="Only this site (spider name).")
@click.option("--language", help="Only this language (ISO 639-1: en, zh).")
@click.option("--kind", help="Only this kind (press_conference, remarks, …).")
@click.option(
    "--speaker",
    help='Only statements of this person, by any of their names, in any case ("Zhao Lijian", "mr. froman").',
)
@click.option("--since", callback=_date, help="Only statements dated on or after this ISO date.")
@click.option("--until", callback=_date, help="Only statements dated on or before this ISO date.")
def export_command(
    db_path: Path,
    fmt: str,
    output: Path | None,
    site: str | None,
    language: str | None,
    kind: str | None,
    speaker: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Export statements (all their columns), oldest first, streaming: memory stays flat on a large database.

    Prints the number of rows written on stderr.
    """
    if fmt == "parquet" and output is None:
        raise click.UsageError("Parquet is binary: give a file with -o")
    if output is not None and not output.parent.is_dir():
        raise click.BadParameter(f"no folder {output.parent} to write {output.name} into", param_hint="-o")
    store = _open(db_path)
    filters = _filters(
        store, site=site, language=language, kind=kind, speaker=speaker, since=since, until=until
    )
    try:
        if output is None:
            count = export(store, sys.stdout.buffer, fmt, filters)
        else:
            with output.open("wb") as stream:
                count = export(store, stream, fmt, filters)
    finally:
        store.close()
    click.echo(f"{count} statements exported", err=True)


@main.command("stats")
@db_option
@click.option(
    "--runs", default=10, show_default=True, type=click.IntRange(min=0), help="How many recent crawls."
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats_command(db_path: Path, runs: int, output: str) -> None:
    """What the database holds: statements per site, language, year and kind, their date range, and the
    recent crawl runs with their counts."""
    store = _open(db_path)
    try:
        report = database_stats(store, runs)
    finally:
        store.close()
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{report['statements']} statements, {report['turns']} turns, dated {report['first_date']} to {report['last_date']}"
    )
    for title, key, headers in (
        ("per site and language", "by_site", ["site", "language", "statements", "first", "last"]),
        ("per year", "by_year", ["year", "statements"]),
        ("per kind", "by_kind", ["kind", "statements"]),
    ):
        click.echo(f"\n{title}:")
        click.echo(tabulate([list(row.values()) for row in report[key]], headers=headers))
    click.echo("\nrecent crawls:")
    columns = [
        "id",
        "spider",
        "started_at",
        "finish_reason",
        "new",
        "updated",
        "unchanged",
        "rejected",
        "soft_404s",
        "listing_pages",
        "statement_pages",
        "fetch_errors",
        "errors",
    ]
    click.echo(tabulate([[run.get(c) for c in columns] for run in report["crawls"]], headers=columns))


@main.command("reparse")
@db_option
@click.option("--site", callback=_site, help="Only this site's pages (spider name).")
def reparse_command(db_path: Path, site: str | None) -> None:
    """Run extract, normalize and segment again over the raw pages stored in the database (no network).

    Statements whose text changes get a new version; dates, kinds, speakers and turns are refreshed. Prints
    the counts: new, updated, unchanged, and pages now rejected (their stored statements are kept).
    """
    if not db_path.is_file():
        raise click.ClickException(f"no database at {db_path}")
    try:
        store = Store(db_path)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    try:
        total = count_pages(store, site)
        with click.progressbar(length=total, label=f"reparsing {total} pages", file=sys.stderr) as bar:
            counts = reparse(store, site, bar.update)
    finally:
        store.close()
    summary = ", ".join(f"{counts[key]} {key}" for key in ("new", "updated", "unchanged"))
    rejected = {key.removeprefix("rejected/"): n for key, n in counts.items() if key.startswith("rejected/")}
    click.echo(f"{summary}; rejected: {json.dumps(rejected, sort_keys=True) if rejected else 0}")


@main.command("learn")
@click.argument("url", callback=_url)
@click.option("--name", required=True, help="Spider name of the new site: office and language (mfa_xx_en).")
@click.option(
    "--warc", type=click.Path(exists=True, dir_okay=False), help="Answer every request from this WARC."
)
@click.option(
    "--pages", default=20, show_default=True, type=click.IntRange(2, 500), help="Statement pages compared."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the module is written to (default: the first STATEMENTS_SITES folder).",
)
@click.option(
    "--timezone", help="The site's IANA time zone, where its domain does not tell it (Europe/Paris)."
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="WARNING",
    show_default=True,
    help="Scrapy's log level.",
)
def learn_command(
    url: str, name: str, warc: str | None, pages: int, out: Path | None, timezone: str | None, log_level: str
) -> None:
    """Learn a site module from URL, one listing page of a statement section, and write it to OUT/NAME.py.

    Fetches the listing, its further pages and PAGES statement pages (live, politely, or from --warc), compares
    them, writes the module and prints a report of what was learned from what. See README, "Adding a site".
    """
    from crawler.learn.fetch import learn_site
    from crawler.learn.process import LearnError
    from crawler.learn.report import report
    from crawler.learn.writer import write_site
    from crawler.sites import BUILT_IN, SITES, site_folders

    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise click.BadParameter(
            f"{name!r} is not a spider name (lower case letters, digits, _)", param_hint="--name"
        )
    if name in BUILT_IN or name in SITES:
        raise click.BadParameter(f"a site named {name!r} exists already", param_hint="--name")
    folders = site_folders(os.environ.get("STATEMENTS_SITES"))
    folder = out or (folders[0] if folders else None)
    if folder is None:
        raise click.UsageError("give --out DIR, or set STATEMENTS_SITES to the folder of your site modules")
    if (folder / f"{name}.py").exists():
        raise click.UsageError(f"{folder / (name + '.py')} exists: move it away or choose another --name")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(
                f"{timezone!r} is not an IANA time zone", param_hint="--timezone"
            ) from None
    settings = {"REPLAY_WARC": warc, "LOG_LEVEL": log_level}
    try:
        site = learn_site(
            url, name, pages, timezone, settings, progress=lambda line: click.echo(line, err=True)
        )
    except LearnError as error:
        raise click.ClickException(str(error)) from None
    path = write_site(site, folder)
    click.echo(report(site, path))


@main.command("writer")
@click.option(
    "--redis",
    "redis_url",
    envvar="REDIS_URL",
    required=True,
    help="Redis server of the distributed crawl, redis://HOST:PORT/DB (else the REDIS_URL environment variable).",
)
@db_option
@click.option(
    "--until-idle",
    type=click.FloatRange(min=0),
    default=None,
    help="Exit once the stream has been empty and no worker active for this many seconds (default: run until"
    " stopped).",
)
@click.option(
    "--batch", default=200, show_default=True, type=click.IntRange(min=1), help="Statements per transaction."
)
@click.option(
    "--progress",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds between progress lines (0: none).",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def writer_command(
    redis_url: str, db_path: Path, until_idle: float | None, batch: int, progress: float, log_level: str
) -> None:
    """Write the statements of a distributed crawl into the database: the one process that writes the file
    while workers (`scrapy crawl SITE -s REDIS_URL=…`, on any machine) crawl.

    Reads the workers' Redis stream in batches, commits each batch before acknowledging it (a writer stopped or
    killed loses nothing: the next one goes on where it stopped), keeps one `crawls` row per distributed crawl,
    and publishes the stored statements and walked sections to Redis for the workers' incremental crawls.
    SIGTERM or Ctrl-C stops it after the batch in hand.
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s", stream=sys.stderr
    )
    try:
        client = connect(redis_url)
    except RedisUnavailable as error:
        raise click.ClickException(str(error)) from None
    try:
        store = Store(db_path, commit_seconds=3600)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: stopping.append(received))
    try:
        StreamWriter(client, store, batch=batch).run(until_idle, progress, stop=lambda: bool(stopping))
    except sqlite3.Error as error:
        raise click.ClickException(f"could not write to {db_path} ({error})") from None
    finally:
        store.close()


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    main()
