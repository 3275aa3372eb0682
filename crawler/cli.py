"""The `statements` command (click).

Exit codes: 0 success; 1 an unexpected error; 2 bad usage (unknown option or site, missing file) or, for
`extract`, a page that is not a statement (the reason on one line on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from crawler.items import PageItem
from crawler.sites import SITES, UnknownSiteError, get_site
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize


def _site(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        get_site(value)
    except UnknownSiteError as error:
        raise click.BadParameter(error.args[0]) from None
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    "--url", required=True, help="URL the page was fetched from (decides the canonical URL and id)."
)
@click.option(
    "--content-type",
    default=None,
    help="The page's HTTP Content-Type header, when known (it takes part in the charset decision).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_command(site: str, url: str, content_type: str | None, file: Path) -> None:
    """Print the statement extracted from one saved page FILE as JSON.

    The JSON object has url, title, date, date_source, published_at, kind, speakers, language, paragraphs and
    body (the paragraphs joined by a blank line). A page that is not a statement exits with code 2 and a
    one-line reason on stderr.
    """
    page = PageItem(
        site=site,
        url=url,
        status=200,
        headers={"Content-Type": [content_type]} if content_type else {},
        body=file.read_bytes(),
        fetched_at="",
    )
    declarations = get_site(site)
    try:
        statement = normalize(page, extract(page, declarations), declarations)
    except NotAStatement as rejection:
        click.echo(f"not a statement: {rejection}", err=True)
        sys.exit(2)
    click.echo(json.dumps(statement.as_json(), ensure_ascii=False, indent=2))
