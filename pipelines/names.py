"""One person, one name: the spellings of a speaker's name that a site uses resolve to one name.

Transcripts name one person in several ways: a title and surname ("Mr. Froman", "Secretary Geithner",
"Ambassador Rice"), a short given name ("Mike Froman" beside "Michael Froman", "Tony Blinken" beside "Antony
Blinken"), a label title-cased one way or another ("Denis Mcdonough" beside "Denis McDonough"), a middle initial
("Gene B. Sperling" beside "Gene Sperling") or words of an office before the name ("Economist Austan Goolsbee",
from "Chairman of the Council of Economic Advisers Austan Goolsbee"). All seen on the White House briefings of
2009–2016. `resolve_names` maps each spelling of a site to the name that stands for the person:

1. Case never tells two people apart.
2. A full name (a given name and a surname) is the person (given name, surname): a short form of a given name
   counts as the long one (`NICKNAMES`), middle initials and words before the given name are dropped. Two full
   names with different middle initials stay apart ("George W. Bush", "George H. W. Bush").
3. A surname alone, or after titles only ("Mr. Froman", "Secretary Geithner", "Froman"), is the one person of
   the site with a full name and that surname; when the site names none or two ("Mr. Johnson" where both "Jeh
   Johnson" and "Broderick Johnson" speak), it stays as it is.
4. A role ("Senior Administration Official", "Moderator", "The President") is never merged with anything.

The name kept for a person is the spelling most used among its full names without extra words; the spelling of
each turn and of each statement's speaker list stays as the page wrote it (see `statements.speakers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TITLE_WORDS = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "madam",
        "rev",
        "reverend",
        "hon",
        "honorable",
        "the",
        "his",
        "her",
        "secretary",
        "under",
        "deputy",
        "assistant",
        "associate",
        "acting",
        "ambassador",
        "administrator",
        "director",
        "general",
        "gen",
        "admiral",
        "adm",
        "rear",
        "vice",
        "captain",
        "capt",
        "colonel",
        "col",
        "lieutenant",
        "lt",
        "major",
        "maj",
        "commander",
        "cmdr",
        "sergeant",
        "sgt",
        "senator",
        "sen",
        "representative",
        "rep",
        "congressman",
        "congresswoman",
        "governor",
        "gov",
        "mayor",
        "president",
        "chairman",
        "chairwoman",
        "chair",
        "chief",
        "commissioner",
        "attorney",
        "judge",
        "justice",
        "minister",
        "counselor",
        "counsellor",
        "coordinator",
        "adviser",
        "advisor",
        "press",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "special",
        "envoy",
        "surgeon",
        "first",
        "prime",
        "foreign",
        "state",
        "chancellor",
        "premier",
        "king",
        "queen",
        "prince",
        "princess",
        "sheikh",
        "el",
        "la",
        "le",
    )
)
"""Words of titles and honorifics (case-folded, without dots): a name made of these and a surname names the
person by title ("Under Secretary Brainard", "Rear Admiral Brice-O'Hara", "El Presidente" is a role)."""

ROLE_WORDS = frozenset(
    (
        "official",
        "officials",
        "moderator",
        "operator",
        "participant",
        "participants",
        "audience",
        "q",
        "press",
        "corps",
        "presidente",
        "president",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "secretary",
        "minister",
        "reporter",
        "reporters",
        "journalist",
        "unknown",
    )
)
"""Last words that make a name a role, not a person: never merged (two "Senior Administration Official"s
of one briefing may be two people)."""

NICKNAMES: Mapping[str, str] = {
    short: full
    for full, shorts in {
        "michael": "mike mick mickey",
        "william": "bill will billy",
        "robert": "bob rob bobby",
        "richard": "dick rick rich",
        "james": "jim jimmy jamie",
        "thomas": "tom tommy",
        "joseph": "joe",
        "daniel": "dan danny",
        "david": "dave",
        "steven": "steve stephen",
        "christopher": "chris",
        "anthony": "tony antony",
        "jeffrey": "jeff geoffrey",
        "benjamin": "ben",
        "samuel": "sam",
        "patrick": "pat",
        "nicholas": "nick",
        "joshua": "josh",
        "jennifer": "jen jenny",
        "elizabeth": "liz beth betsy",
        "katherine": "kate kathy katie catherine",
        "susan": "sue",
        "jonathan": "jon",
        "timothy": "tim",
        "gregory": "greg",
        "douglas": "doug",
        "edward": "ed ted",
        "kenneth": "ken",
        "lawrence": "larry",
        "raymond": "ray",
        "ronald": "ron",
        "donald": "don",
        "andrew": "andy drew",
        "alexander": "alex",
        "matthew": "matt",
        "peter": "pete",
        "philip": "phil",
        "charles": "chuck charlie",
        "gerald": "jerry",
        "eugene": "gene",
        "frederick": "fred",
        "harold": "harry",
        "leonard": "len",
        "margaret": "peggy maggie",
        "rebecca": "becky",
        "deborah": "debbie deb",
        "victoria": "vicky",
        "gabriel": "gabe",
        "zachary": "zach",
        "rajiv": "raj",
    }.items()
    for short in shorts.split()
}
"""Short forms of English given names → the long form they count as (general usage, not a list of people)."""

_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def _fold(word: str) -> str:
    return word.casefold().replace(".", "").replace("’", "'")


def _is_initial(word: str) -> bool:
    return len(_fold(word)) == 1


def name_key(name: str) -> tuple[str, tuple[str, ...], str] | None:
    """What a name says of the person: (given name, middle initials, surname), case-folded, the given name in its
    long form (`NICKNAMES`); ("", (), surname) for a surname alone or after titles only; None for a role, a name
    without letters, or a name in a script without spaces between names (赵立坚: only rule 1 applies)."""
    words = _WORD.findall(name)
    if not words or (" " not in name.strip() and not name.isascii()):
        return None
    surname = _fold(words[-1])
    if surname in ROLE_WORDS or surname in TITLE_WORDS:
        return None
    before = words[:-1]
    if all(_fold(word) in TITLE_WORDS for word in before):
        return "", (), surname
    names = [word for word in before if _fold(word) not in TITLE_WORDS]
    while names and _is_initial(names[-1]):
        names.pop()
    if not names:
        return "", (), surname
    position = before.index(names[-1])
    given = _fold(names[-1])
    middles = tuple(_fold(word) for word in before[position + 1 :] if _is_initial(word))
    return NICKNAMES.get(given, given), middles, surname


def _extra_words(name: str, key: tuple[str, tuple[str, ...], str]) -> int:
    """Words of a full name besides its given name, middle initials and surname ("Climate Carol Browner": 1)."""
    return len(_WORD.findall(name)) - 2 - len(key[1])


def resolve_names(counts: Mapping[str, int]) -> dict[str, str]:
    """Each spelling of a speaker's name used on one site → the name of the person it stands for, by rules 1, 2
    and 4 of the module docstring (a surname after titles is resolved within its statement, by
    `resolve_in_statement`, before this); a spelling that stands for no one else maps to itself.

    Args:
        counts: every spelling of the site (as stored: statements' speaker lists, turns' speakers) → how often it
            is used (statements or turns); the counts choose the name kept for a person.
    """
    spellings: dict[str, list[str]] = {}
    for name in counts:
        spellings.setdefault(name.casefold(), []).append(name)
    keys = {name: name_key(name) for name in counts}
    people: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
    for name, key in keys.items():
        if key is not None and key[0]:
            people.setdefault(key, []).append(name)
    # a full name without middle initials is the person with them when only one person has the names
    for key in [key for key in people if not key[1]]:
        with_middles = [other for other in people if other[0] == key[0] and other[2] == key[2] and other[1]]
        if len(with_middles) == 1:
            people[with_middles[0]].extend(people.pop(key))
    resolved: dict[str, str] = {}
    for key, names in people.items():
        name = max(
            names,
            key=lambda name: (-_extra_words(name, keys[name]), counts[name], _capitals(name), name),
        )
        resolved.update(dict.fromkeys(names, name))
    for name in counts:
        if name not in resolved:  # case alone: the spelling most used, then the one with more capitals
            resolved[name] = max(
                spellings[name.casefold()], key=lambda other: (counts[other], _capitals(other))
            )
    return resolved


def _capitals(name: str) -> int:
    return sum(letter.isupper() for letter in name)


def resolve_in_statement(speakers: list[str], text: str, people: Mapping[str, str]) -> dict[str, str]:
    """Speakers of one statement named by a surname after titles ("Mr. Froman") → the full name the statement
    gives that surname, where it gives exactly one and that name is a speaker of the site; the others are left
    out. Rule 3 of the module docstring: a briefing introduces its guests in its title or text by full name ("…
    U.S. Trade Representative Mike Froman …"), then labels them "MR. FROMAN:" (White House, 2009–2016); a
    statement that names two people of that surname (Joe and Jill Biden) resolves neither, nor one whose only
    such name is no speaker's ("Homeland Security Napolitano").

    Args:
        speakers: the statement's speakers, as stored.
        text: its title and body.
        people: full names spoken on the site (their `name_key` given name and surname joined by a space) → the
            spelling to return for each.
    """
    found: dict[str, str] = {}
    for speaker in speakers:
        key = name_key(speaker)
        if key is None or key[0]:
            continue
        surname = key[2]
        given_names = set()
        for match in re.finditer(rf"\b{re.escape(surname)}\b", text, re.IGNORECASE):
            written = text[match.start() : match.end()]
            if not _proper(written):  # "MR. FROMAN:", a label, not prose
                continue
            before = text[max(0, match.start() - 40) : match.start()]
            words = re.split(r"[ \t]+", before.rstrip(" \t").rsplit("\n", 1)[-1])
            while words and _is_initial(words[-1]) and words[-1].endswith("."):
                words.pop()
            if (
                words
                and _proper(words[-1])
                and _fold(words[-1]) not in TITLE_WORDS
                and words[-1][-1].isalpha()
            ):
                given_names.add(NICKNAMES.get(_fold(words[-1]), _fold(words[-1])))
        if len(given_names) == 1:
            person = people.get(f"{given_names.pop()} {surname}")
            if person is not None:
                found[speaker] = person
    return found


def person_key(name: str) -> str | None:
    """The key of a full name in `resolve_in_statement`'s `people`: its given name (long form) and surname,
    case-folded ("Mike Froman" → "michael froman"); None for other names."""
    key = name_key(name)
    return f"{key[0]} {key[2]}" if key is not None and key[0] else None


def _proper(word: str) -> bool:
    """Whether a word is written as a name in prose: a capital first, small letters after ("Froman", "McFaul")."""
    return word[:1].isupper() and any(letter.islower() for letter in word)
