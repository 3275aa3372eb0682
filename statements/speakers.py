"""Speakers as people: the tables that give every statement's speakers one name per person, and their upkeep.

Two tables, added to a statements database beside the others (nothing else in the schema changes):

- `statement_speakers` (`statement_id`, `speaker`, `name`, `first`): one row per speaker of a statement, `speaker`
  as the statement's `speakers` list writes it ("Mr. Froman"), `name` the person's one name ("Mike Froman"), by the
  rules of `pipelines.names`; `first` is 1 on one row per statement and person (its first spelling in sort order),
  so that statements per person are a count of rows. Indexed on (name, statement_id), so that counting statements per person (a facet, `statements
  speakers`) reads an index instead of the JSON of every row, and on speaker (case-insensitive) for filters.
- `speaker_names` (`site`, `speaker`, `name`): every spelling of a site and the name it resolves to across the
  site (rules 1, 2 and 4; rule 3 is decided per statement).

The writer (`statements.writer`) calls `SpeakerUpkeep.save` with every statement it saves and
`SpeakerUpkeep.flush` before each commit; a file made before these tables existed gets them, filled from its
statements, when it is opened for writing (`create_speaker_tables`). Turns name the same people: a turn's speaker
is among its statement's speakers (`pipelines.segment.turn_speakers`), so its person is the `statement_speakers`
row of (statement_id, speaker).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import sqlite_utils

from pipelines.names import name_key, person_key, resolve_in_statement, resolve_names

logger = logging.getLogger(__name__)

SCHEMA = (
    (
        "create table if not exists statement_speakers (statement_id text not null references statements(id),"
        " speaker text not null, name text not null, first integer not null, primary key (statement_id, speaker))"
    ),
    "create index if not exists statement_speakers_name on statement_speakers (name, statement_id)",
    # statements per person: count(*) over this index (count(distinct …) over the other was 4 times slower)
    "create index if not exists statement_speakers_person on statement_speakers (name, statement_id) where first = 1",
    "create index if not exists statement_speakers_speaker on statement_speakers (speaker collate nocase)",
    "create index if not exists statement_speakers_spelling on statement_speakers (speaker)",  # resolve_site
    # turns per person: (speaker, statement_id) pairs counted from an index, then named by statement_speakers
    "create index if not exists turns_speaker_statement on turns (speaker, statement_id)",
    (
        "create table if not exists speaker_names (site text not null, speaker text not null, name text not null,"
        " primary key (site, speaker))"
    ),
    (
        "create trigger if not exists statement_speakers_ad after delete on statements begin"
        " delete from statement_speakers where statement_id = old.id; end"
    ),
)
"""The speaker tables, their indexes, and the trigger that drops a deleted statement's rows."""

PERSON_NAMES = (
    "select name from statement_speakers where speaker = :{param} collate nocase"
    " union select name from speaker_names where name = :{param} collate nocase"
)
"""SQL of the names of the people a name a user typed may stand for (any spelling, any case: "mr. froman",
"Michael Froman"), with its parameter's name in braces (`str.format(param=…)`)."""


def person_filter(statement_column: str, param: str, turn_speaker: str | None = None) -> str:
    """An SQL condition: the statement whose id is `statement_column` has the person named by parameter `param`
    (any spelling, any case) among its speakers; with `turn_speaker` (a column), the turn is that person's. The
    statements are found through the index on `statement_speakers.name`; prefix the column with "+" to have
    SQLite walk the table in its sort order and keep the person's rows (see the Datasette plugin)."""
    names = PERSON_NAMES.format(param=param)
    if turn_speaker:
        return (
            f"({statement_column}, {turn_speaker}) in (select ss.statement_id, ss.speaker from statement_speakers ss"
            f" where ss.name in ({names}))"
        )
    return f"{statement_column} in (select ss.statement_id from statement_speakers ss where ss.name in ({names}))"


def person_rowids(param: str) -> str:
    """SQL of the rowids of the statements that have the person named by parameter `param` (any spelling, any
    case) among their speakers: a condition `rowid in (…)` on it is checked from any index of `statements`,
    without reading the rows (the Datasette plugin's facets over a person's statements)."""
    return (
        "select s.rowid from statements s where s.id in (select ss.statement_id from statement_speakers ss"
        f" where ss.name in ({PERSON_NAMES.format(param=param)}))"
    )


def create_speaker_tables(db: sqlite_utils.Database) -> None:
    """Create the speaker tables when missing and fill them from the statements stored (a file made by an older
    version of this project), in the caller's transaction."""
    missing = not db.table("statement_speakers").exists()
    for sql in SCHEMA:
        db.execute(sql)
    if missing and db.execute("select 1 from statements limit 1").fetchone():
        logger.warning("filling statement_speakers from the statements stored (a file of an older version)")
        fill(db)


def fill(db: sqlite_utils.Database) -> int:
    """(Re)write both speaker tables from the statements' speaker lists; returns the rows written. Only the
    statements with a speaker named by title and surname are read in full (rule 3 reads the text)."""
    db.execute("delete from statement_speakers")
    db.execute("delete from speaker_names")
    by_site: dict[str, list[tuple[str, list[str]]]] = {}
    for statement_id, site, speakers in db.execute("select id, site, speakers from statements"):
        names = json.loads(speakers or "[]")
        if names:
            by_site.setdefault(site, []).append((statement_id, names))
    written = 0
    for site, statements in by_site.items():
        counts = Counter(name for _, names in statements for name in names)
        resolved = resolve_names(counts)
        db.conn.executemany(
            "insert into speaker_names (site, speaker, name) values (?, ?, ?)",
            [(site, speaker, name) for speaker, name in resolved.items()],
        )
        people = _people(resolved)
        rows = []
        for statement_id, names in statements:
            local = _local(db, statement_id, names, people)
            rows.extend(_rows(statement_id, names, local, resolved))
        db.conn.executemany(
            "insert into statement_speakers (statement_id, speaker, name, first) values (?, ?, ?, ?)", rows
        )
        written += len(rows)
    return written


def _people(resolved: dict[str, str]) -> dict[str, str]:
    """person key → name, for the full names among a site's spellings (see `resolve_in_statement`)."""
    people = {}
    for speaker, name in resolved.items():
        key = person_key(speaker)
        if key is not None:
            people[key] = name
    return people


def _local(
    db: sqlite_utils.Database,
    statement_id: str,
    names: list[str],
    people: dict[str, str],
    text: str | None = None,
) -> dict[str, str]:
    """Rule 3 for one statement: its speakers named by title and surname → a person's name, from its text (read
    when not given and needed)."""
    if not people or all(person_key(name) is not None for name in names):
        return {}
    if text is None:
        title, body = db.execute("select title, body from statements where id = ?", [statement_id]).fetchone()
        text = f"{title}\n\n{body}"
    return resolve_in_statement(names, text, people)


def _rows(
    statement_id: str, names: list[str], local: dict[str, str], resolved: dict[str, str]
) -> list[tuple[str, str, str, int]]:
    """(statement_id, speaker, name, first) of a statement's speakers (see the module docstring for `first`)."""
    named = {
        speaker: resolved.get(local.get(speaker, speaker), local.get(speaker, speaker)) for speaker in names
    }
    firsts = {}
    for speaker in sorted(named):
        firsts.setdefault(named[speaker], speaker)
    return [(statement_id, speaker, name, int(firsts[name] == speaker)) for speaker, name in named.items()]


class SpeakerUpkeep:
    """Keeps the speaker tables in step with the statements the writer saves.

    `save` writes a statement's rows with the names known for its site; a spelling the site never used is
    added to `speaker_names` as itself, and `flush` (before the writer commits) resolves the spellings of the
    sites that got new ones again and renames the rows whose person got another name.
    """

    def __init__(self) -> None:
        self._sites: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        self._pending: set[str] = set()

    def _site(self, db: sqlite_utils.Database, site: str) -> tuple[dict[str, str], dict[str, str]]:
        """(spelling → name, person key → name) of a site, read once."""
        if site not in self._sites:
            resolved = dict(
                db.execute("select speaker, name from speaker_names where site = ?", [site]).fetchall()
            )
            self._sites[site] = (resolved, _people(resolved))
        return self._sites[site]

    def save(self, db: sqlite_utils.Database, statement: Any) -> None:
        """Replace the speaker rows of a statement being saved (a `crawler.items.Statement`)."""
        db.execute("delete from statement_speakers where statement_id = ?", [statement.id])
        if not statement.speakers:
            return
        resolved, people = self._site(db, statement.site)
        local = _local(db, statement.id, statement.speakers, people, f"{statement.title}\n\n{statement.body}")
        new = [name for name in dict.fromkeys([*statement.speakers, *local.values()]) if name not in resolved]
        if new:
            db.conn.executemany(
                "insert or ignore into speaker_names (site, speaker, name) values (?, ?, ?)",
                [(statement.site, name, name) for name in new],
            )
            resolved.update((name, name) for name in new)
            self._pending.add(statement.site)
        db.conn.executemany(
            "insert into statement_speakers (statement_id, speaker, name, first) values (?, ?, ?, ?)",
            _rows(statement.id, statement.speakers, local, resolved),
        )

    def flush(self, db: sqlite_utils.Database) -> None:
        """Resolve again the spellings of the sites that got new ones, in the open transaction."""
        for site in sorted(self._pending):
            resolve_site(db, site)
            self._sites.pop(site, None)
        self._pending.clear()

    def drop(self) -> None:
        """Forget what was read and queued (the writer rolled its batch back)."""
        self._sites.clear()
        self._pending.clear()


def resolve_site(db: sqlite_utils.Database, site: str) -> dict[str, str]:
    """Resolve every spelling of a site again (counted in statements), store the names in `speaker_names`, and
    rename the `statement_speakers` rows whose person now has another name; returns spelling → name."""
    spellings = [row[0] for row in db.execute("select speaker from speaker_names where site = ?", [site])]
    counts = Counter(dict.fromkeys(spellings, 0))
    counts.update(
        dict(
            db.execute(
                "select speaker, count(*) from statement_speakers where speaker in"
                " (select speaker from speaker_names where site = ?) group by speaker",
                [site],
            ).fetchall()
        )
    )
    resolved = resolve_names(counts)
    old = dict(db.execute("select speaker, name from speaker_names where site = ?", [site]).fetchall())
    changed = {speaker: name for speaker, name in resolved.items() if old.get(speaker) != name}
    db.conn.executemany(
        "update speaker_names set name = ? where site = ? and speaker = ?",
        [(name, site, speaker) for speaker, name in changed.items()],
    )
    renamed = [(resolved[name], name, site) for name in resolved if resolved[name] != name]
    db.conn.executemany(
        "update statement_speakers set name = ? where name = ?"
        " and statement_id in (select id from statements where site = ?)",
        renamed,
    )
    _set_first(db, {name for name, _, _ in renamed})
    _resolve_titles_again(db, site, resolved)
    return resolved


def _set_first(db: sqlite_utils.Database, names: set[str], statement_ids: set[str] | None = None) -> None:
    """Flag `first` again on the rows of the statements that have one of these names (or of these statements),
    after names changed."""
    if not names and not statement_ids:
        return
    db.execute(
        "update statement_speakers set first = (speaker = (select min(other.speaker) from statement_speakers other"
        " where other.statement_id = statement_speakers.statement_id and other.name = statement_speakers.name))"
        " where statement_id in (select statement_id from statement_speakers where name in"
        " (select value from json_each(:names)) union select value from json_each(:ids))",
        {"names": json.dumps(sorted(names)), "ids": json.dumps(sorted(statement_ids or ()))},
    )


def _resolve_titles_again(db: sqlite_utils.Database, site: str, resolved: dict[str, str]) -> None:
    """Rule 3 again for the rows of a site whose speaker, named by title and surname, is still unresolved: a
    crawl (newest first) may store a guest's later briefings, labelled "MR. FROMAN", before the one that gives
    his full name, so that the crawl ends as a `fill` of the same statements would."""
    titles = [speaker for speaker in resolved if (key := name_key(speaker)) is not None and not key[0]]
    people = _people(resolved)
    if not titles or not people:
        return
    rows = db.execute(
        "select ss.statement_id, ss.speaker, s.title, s.body from statement_speakers ss"
        " join statements s on s.id = ss.statement_id"
        " where ss.speaker in (select value from json_each(:titles)) and ss.name = ss.speaker and s.site = :site",
        {"titles": json.dumps(titles), "site": site},
    ).fetchall()
    updates = []
    for statement_id, speaker, title, body in rows:
        person = resolve_in_statement([speaker], f"{title}\n\n{body}", people).get(speaker)
        if person is not None:
            updates.append((resolved.get(person, person), statement_id, speaker))
    db.conn.executemany(
        "update statement_speakers set name = ? where statement_id = ? and speaker = ?", updates
    )


def speaker_counts(
    db: sqlite_utils.Database, where: str = "", params: dict[str, Any] | None = None
) -> list[tuple[str, int, list[str]]]:
    """(name, statements, spellings) of every person, most statements first; `where`: conditions on the
    statements `s` counted (" and …", as `statements.search.Filters.sql` gives)."""
    rows = db.execute(
        "select ss.name, count(distinct ss.statement_id), json_group_array(distinct ss.speaker)"
        f" from statement_speakers ss join statements s on s.id = ss.statement_id where 1{where}"
        " group by ss.name order by 2 desc, 1",
        params or {},
    ).fetchall()
    return [(name, count, sorted(json.loads(spellings))) for name, count, spellings in rows]
