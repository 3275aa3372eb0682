"""Segment pipeline: a transcript's paragraphs → turns (question, answer, statement, note), with speaker and
outlet.

A turn starts at a paragraph that opens with a label the site's `TurnRules` recognise, and runs until the next
one; paragraphs without a label continue the current turn (answers run over many paragraphs). Labels, in order:

- framing (time stamps "1:55 P.M. EDT", "END", whitehouse.gov) → note, no speaker;
- a follow-up ("Follow-up:", "追问：", "彭博社记者追问：") → question, follow_up, outlet where it is named;
- a bare question ("Q:", "问：", "Q  Okay, Josh.") or a journalist ("Journalist:", "会后有记者问及：") → question,
  no outlet;
- a bare answer ("A:", "答：") → answer by the statement's spokesperson (its first speaker);
- a speaker's name ("Zhao Lijian:", "赵立坚：", "Hua chunying:") → answer by that speaker;
- a speaker's label in the site's form ("MR. EARNEST:") → answer by the speaker it stands for ("Josh Earnest",
  see `TurnRules.speaker_label`);
- an outlet ("Reuters:", "Beijing Youth Daily:", "中央电视台记者：") → question by that outlet. A label is an outlet
  when it looks like one (`TurnRules.outlet`), or, where the site says so, when it is short and in bold: bold
  is one signal, never the only one, since the pages misplace and split `<b>` (t1794629).

A bold paragraph without a label right after an answer, ending in a question mark, also starts a question.
Paragraphs before the first label are the spokesperson's announcements (role "statement"), or framing (role
"note") where the site says so (`TurnRules.preamble`). A statement with no question and no answer gets no turns.
The turns' texts, joined by a blank line, are exactly the body.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.items import PageItem, Statement, Turn
from crawler.sites import get_site
from crawler.sites.base import Site, TurnRules

MAX_BOLD_OUTLET_WORDS = 6
"""A bold label of more words than this is a sentence, not an outlet."""


def _known_speakers(statement: Statement, site: Site) -> dict[str, str]:
    """Case-folded name → name as stored, for every name an answer may be labelled with."""
    names: dict[str, str] = {}
    for native, latin in site.speaker_names.items():
        names[native.casefold()] = native if site.language != "en" else latin
        if site.language == "en":
            names[latin.casefold()] = latin
    for name in statement.speakers:
        names[name.casefold()] = name
    return names


_HONORIFIC_WORDS = re.compile(r"[\w'’-]+")
_ROLE_WORDS = frozenset({"official", "officials", "moderator", "operator", "participant", "q"})
"""Last words of labels that name a role, not a person: two "SENIOR ADMINISTRATION OFFICIAL"s (one of them
misspelled "ADMINSTRATION" in three 2009–2013 White House briefings) may be two people."""


def _label_speaker(label: str, speakers: dict[str, str], statement: Statement, heard: list[str]) -> str:
    """The name a capitalised speaker label stands for (see `TurnRules.speaker_label`): the site's name for the
    label, else the statement's speaker with the label's last word as surname, else the one speaker of this
    transcript so far with that surname (`heard`, in order; not for roles such as "Senior Administration
    Official", see `_ROLE_WORDS`), else the label in title case.

    Source of the third rule: White House briefings label one speaker in two ways ("MS. PSAKI" and, misspelled,
    "MR. PSAKI" in the 2009 Serve America Act call; "ADMINISTRATOR FUGATE" then "MR. FUGATE" in the 2010
    Tennessee flooding call): both get the name heard first. Two speakers of the transcript with that surname:
    the label is kept as written."""
    known = speakers.get(label.casefold())
    if known is not None:
        return known
    words = _HONORIFIC_WORDS.findall(label)
    surname = words[-1].casefold() if words else ""
    for name in statement.speakers:
        parts = _HONORIFIC_WORDS.findall(name)
        if parts and parts[-1].casefold() == surname and len(parts) > 1:
            return name
    namesakes = [
        name
        for name in heard
        if (parts := _HONORIFIC_WORDS.findall(name)) and parts[-1].casefold() == surname
    ]
    if len(namesakes) == 1 and surname not in _ROLE_WORDS:
        return namesakes[0]
    return " ".join(_title_case(word) for word in label.split())


def _title_case(word: str) -> str:
    """A word of a capitalised label in title case: "EARNEST" → "Earnest", "MCDONOUGH" → "McDonough"."""
    if len(word) > 3 and word[:2].casefold() == "mc" and word[2:].isupper():
        return "Mc" + word[2:].capitalize()
    return word[:1].upper() + word[1:].lower()


def _outlet(label: str, rules: TurnRules, bold: bool) -> str | None:
    if rules.not_outlet is not None and rules.not_outlet.fullmatch(label):
        return None
    match = rules.outlet.fullmatch(label) if rules.outlet is not None else None
    if match:
        return match.groupdict().get("outlet") or label
    if rules.bold_outlets and bold and len(label.split()) <= MAX_BOLD_OUTLET_WORDS and label[:1].isupper():
        return label
    return None


def _opening(
    text: str, bold: bool, rules: TurnRules, speakers: dict[str, str], statement: Statement, heard: list[str]
) -> tuple[str, str | None, str | None, bool] | None:
    """(role, speaker, outlet, follow_up) when the paragraph opens a turn, else None; `heard`: the speakers
    of the transcript's answers so far."""
    if rules.note is not None and rules.note.fullmatch(text):
        return "note", None, None, False
    match = rules.follow_up.match(text) if rules.follow_up is not None else None
    if match:
        return "question", None, match.groupdict().get("outlet") or None, True
    if rules.question.match(text) or (rules.journalist is not None and rules.journalist.match(text)):
        return "question", None, None, False
    if rules.answer is not None and rules.answer.match(text):
        return "answer", statement.speakers[0] if statement.speakers else None, None, False
    match = rules.label.match(text)
    if match:
        label = match.group("label").strip()
        if label.casefold() in speakers:
            return "answer", speakers[label.casefold()], None, False
        if rules.speaker_label is not None and rules.speaker_label.fullmatch(label):
            return "answer", _label_speaker(label, speakers, statement, heard), None, False
        outlet = _outlet(label, rules, bold)
        if outlet is not None:
            return "question", None, outlet, False
    return None


def segment(statement: Statement, site: Site) -> list[Turn]:
    """Split a statement's paragraphs into turns (see the module docstring).

    Returns:
        The turns in order, or [] when the site has no turn rules or the statement holds no question and no
        answer.
    """
    rules = site.turns
    if rules is None:
        return []
    speakers = _known_speakers(statement, site)
    spokesperson = statement.speakers[0] if statement.speakers else None
    bold = statement.bold or [False] * len(statement.paragraphs)
    groups: list[tuple[str, str | None, str | None, bool, list[str]]] = []
    heard: list[str] = []
    for text, is_bold in zip(statement.paragraphs, bold, strict=False):
        opening = _opening(text, is_bold, rules, speakers, statement, heard)
        if (
            opening is None
            and is_bold
            and groups
            and groups[-1][0] == "answer"
            and re.search(r"[?？]$", text)
        ):
            opening = ("question", None, None, False)
        if opening is not None:
            groups.append((*opening, [text]))
            if opening[0] == "answer" and opening[1] is not None and opening[1] not in heard:
                heard.append(opening[1])
        elif groups:
            groups[-1][4].append(text)
        elif rules.preamble == "note":
            groups.append(("note", None, None, False, [text]))
        else:
            groups.append(("statement", spokesperson, None, False, [text]))
    if not any(role in ("question", "answer") for role, *_ in groups):
        return []
    return [
        Turn(position, role, speaker, outlet, follow_up, "\n\n".join(texts))
        for position, (role, speaker, outlet, follow_up, texts) in enumerate(groups)
    ]


def turn_speakers(statement: Statement, turns: list[Turn]) -> list[str]:
    """The statement's speakers (from its title or lead) followed by those its turns name that they lack, in
    order of first turn: "speakers from the title and the labels"."""
    names = list(statement.speakers)
    for turn in turns:
        if turn.role == "answer" and turn.speaker and turn.speaker not in names:
            names.append(turn.speaker)
    return names


class SegmentPipeline:
    """Item pipeline: fills `Statement.turns` of each statement whose site has turn rules, and adds the
    speakers its turns name to `Statement.speakers`."""

    def process_item(self, item: Any) -> Any:
        """Segment a normalized page item; other items pass through."""
        if not isinstance(item, PageItem) or item.statement is None:
            return item
        item.statement.turns = segment(item.statement, get_site(item.site))
        item.statement.speakers = turn_speakers(item.statement, item.statement.turns)
        return item
