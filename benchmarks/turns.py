"""Turn segmentation figures over a crawled database (not a test: prints figures).

Usage:
    python benchmarks/turns.py [--db statements.db] [--show N]

Press conferences are the statements whose title has "Regular Press Conference", "Daily Briefing Online" or
"例行记者会" (the recording of July 2020 holds 487 English and 827 Chinese ones). For each language the script
prints: transcripts whose turns cover the body exactly (turn texts joined by a blank line = body); transcripts
with at least one question and one answer; answers whose speaker is the spokesperson of the title; questions
whose page names an outlet (a label other than "Q:", "问：", "Follow-up:", "Journalist:", "记者：" …) that carry
one; and, for the other statements, how many got turns. `--show N` lists up to N transcripts failing a check.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3

PRESS_CONFERENCE = re.compile(r"Regular Press Conference|Daily Briefing Online|例行记者会")
GENERIC_LABEL = re.compile(
    r"^(?:Q|Question|A|Follow[- ]?up(?: [Qq]uestion)?|(?:The )?(?:Foreign )?(?:[Jj]ournalist|[Rr]eporter)\b[^:]*"
    r"|问|答|追问[一二三四五]?|[（(]?(?:会后[，,]?\s*)?(?:有)?记者[^:：]{0,4})\s*[:：]"
)
LABEL = re.compile(r"^([^:：，。]{1,40}?)\s*[:：]")


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.2f}%" if whole else f"{part}/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="statements.db")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    db.row_factory = sqlite3.Row
    turns: dict[str, list[sqlite3.Row]] = {}
    for row in db.execute("select * from turns order by statement_id, position"):
        turns.setdefault(row["statement_id"], []).append(row)
    for language in ("en", "zh"):
        rows = db.execute(
            "select id, url, title, speakers, body from statements where language = ?", [language]
        )
        counts = dict.fromkeys(
            (
                "transcripts",
                "covered",
                "qa",
                "answers",
                "named",
                "outlet_questions",
                "with_outlet",
                "others",
                "others_with_turns",
                "questions",
                "turns",
            ),
            0,
        )
        failing: list[str] = []
        for row in rows:
            own = turns.get(row["id"], [])
            if not PRESS_CONFERENCE.search(row["title"]):
                counts["others"] += 1
                counts["others_with_turns"] += bool(own)
                continue
            counts["transcripts"] += 1
            counts["turns"] += len(own)
            if "\n\n".join(turn["text"] for turn in own) == row["body"]:
                counts["covered"] += 1
            roles = {turn["role"] for turn in own}
            if {"question", "answer"} <= roles:
                counts["qa"] += 1
            elif len(failing) < args.show:
                failing.append(f"no Q/A: {row['url']} {row['title']}")
            spokesperson = (json.loads(row["speakers"]) or [None])[0]
            for turn in own:
                if turn["role"] == "answer":
                    counts["answers"] += 1
                    counts["named"] += turn["speaker"] == spokesperson
                elif turn["role"] == "question":
                    counts["questions"] += 1
                    if LABEL.match(turn["text"]) and not GENERIC_LABEL.match(turn["text"]):
                        counts["outlet_questions"] += 1
                        counts["with_outlet"] += turn["outlet"] is not None
                        if turn["outlet"] is None and len(failing) < args.show:
                            failing.append(f"no outlet: {row['url']} {turn['text'][:80]!r}")
        print(
            f"{language}: {counts['transcripts']} press conferences, {counts['turns']} turns, {counts['questions']} questions"
        )
        print(f"  turns cover the body exactly:         {_ratio(counts['covered'], counts['transcripts'])}")
        print(f"  at least one question and one answer: {_ratio(counts['qa'], counts['transcripts'])}")
        print(f"  answers by the title's spokesperson:  {_ratio(counts['named'], counts['answers'])}")
        print(
            f"  questions naming an outlet with one:  {_ratio(counts['with_outlet'], counts['outlet_questions'])}"
        )
        print(
            f"  other statements with turns:          {_ratio(counts['others_with_turns'], counts['others'])}"
        )
        for line in failing:
            print("   ", line)


if __name__ == "__main__":
    main()
