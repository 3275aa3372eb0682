"""The White House, Office of the Press Secretary: press briefings and gaggles, 2009–2016 (www.whitehouse.gov,
the Obama administration's site, since 2017 at obamawhitehouse.archives.gov).

Read off the crawl of April 2016 in ../shared/corpus/whitehouse-2016 (162 listing pages, 1,615 briefings):

- Listing `/briefing-room/press-briefings`, then `?page=1` … `?page=161`: ten entries per page, newest first, each a
  `div.views-row` holding the date ("April 06, 2016", `div.views-field-created`) and the link
  (`div.views-field-title a`); the pager's "››" (`li.pager-next a`) leads to the next page. The pager announces
  "2 of 163" where there are 162 pages, so the walk follows the next link instead of a count. Two slugs
  collided: `/the-press-office/press-gaggle-press-secretary-robert-gibbs-aboard-air-force-one` is listed on
  May 2, 2010 and May 14, 2009 and serves the 2010 gaggle; the page's own date wins.
- Briefing: title `h1` ("Press Briefing by the Press Secretary Josh Earnest, 4/18/2016"; dates in titles come in
  every form, 4/18/2016, 12/10/14, 4-29-09, so they are not read), date `div.press-article-date` ("April 18,
  2016", Eastern time), body `div.forall-body div.field-item`, paragraphs separated by `<br /><br />` (a single
  `<br>` breaks a line inside one: "END<br>2:57 P.M. EDT"), breadcrumb `nav.breadcrumb`, footer
  `footer.sitewide-footer`; the share links (`div.social-share`) are outside the body. Pages of 2009 copy the
  press release's header into the body ("THE WHITE HOUSE", "Office of the Press Secretary", a line of
  underscores, "FOR IMMEDIATE RELEASE April 30, 2009"): dropped as boilerplate.
- Transcripts: speakers labelled in capitals ("MR. EARNEST:", "SECRETARY KERRY:", "SENIOR ADMINISTRATION
  OFFICIAL:"), questions opened by "Q" and spaces, the place, the time stamps ("1:55 P.M. EDT") and "END" around
  them.
"""

from __future__ import annotations

import re

from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS, Listing, Section, Site, Template, TurnRules

ARCHIVE = "https://obamawhitehouse.archives.gov"
"""Where the briefings live since January 2017: www.whitehouse.gov serves the administration of the day, with
other pages at other paths. Canonical URLs keep www.whitehouse.gov, the host the briefings were published and
recorded under (a replay of the 2016 recording finds each archive URL under it)."""

_BEFORE_NAME = (
    "by", "By", "with", ",", "and", "Secretary", "Advisor", "Adviser", "Director", "Representative", "Ambassador",
    "Official", "Officer", "Chairman", "Chair", "Counselor", "Coordinator", "Envoy", "Administrator", "Czar",
    "Leader", "Staff", "General", "Admiral", "Commissioner", "Communications", "Communication", "Affairs",
    "Council", "Policy", "Governor", "Senator", "Mayor", "President", "Chief", "Commander", "Manager", "Economist",
    "Counsel", "Dr.", "Attorney",
)  # fmt: skip
"""Words a name follows in a title ("Press Secretary Jay Carney", "Advisor Ben Rhodes", "by Jay Carney")."""

_NOT_NAME = (
    r"(?:Press|Secretary|Deputy|Principal|White|House|National|Security|Advisor|Adviser|Director|Senior"
    r"|Administration|Officials?|Assistant|President|Vice|Chief|Officer|Council|Economic|Domestic|Policy|Strategic"
    r"|Communications?|Affairs|Ambassador|General|Admiral|Treasury|Chairman|Chair|Trade|Representative|Homeland"
    r"|State|Defense|Energy|Agriculture|Education|Commerce|Labor|Interior|Transportation|Health|Human|Services"
    r"|Attorney|Administrator|Counselor|Coordinator|Envoy|Special|Acting|Daily|Briefing|Gaggle|Background"
    r"|Conference|Call|Air|Force|One|Aboard|En|Route|Prime|Minister|Office|Management|Budget|Staff|Team|Senator"
    r"|Governor|Mayor|Dr|Mr|Ms|Mrs|Commander|Under|Federal|Emergency|Agency|United|States|Science|Technology|Base"
    r"|Commissioner|Advisers|Of|And|On|The|Joint|Via|North|South|Chinese|Efficiency|Saving|Threat|Arms"
    r"|Counterterrorism|Intergovernmental|Legislative|Public|Engagement)\b"
)
"""Words of a role, a title's framing or a topic, never the first or last word of a name ("Deputy National
Security Advisor", "Threat Reduction", "North Africa")."""

_HEADER = (
    r"(?>THE WHITE HOUSE|Office of the (?:Press Secre\w+|Vice President)(?:\s*\([^()]{1,60}\))?"
    r"|\([^()]{1,60}\)(?=\s*[-_=]{5,})|[-_=]{5,}|For Immediate Release\b[^.]{0,40}|Embargoed\b[^\n]{0,60})"
)
"""A line of the press release header that pages of 2009 copy into the body: "THE WHITE HOUSE", "Office of the
Press Secretary" (or "of the Vice President", with the place in parentheses), a rule of underscores or dashes,
"For Immediate Release April 30, 2009", "EMBARGOED UNTIL 8:00 P.M. EDT, MAY 6, 2009"."""

TEMPLATE_2016 = Template(
    name="whitehouse-2016",
    effective="2009-01-22",
    marker="div.forall-body",
    title=("div.pane-node-title h1", "h1"),
    body="div.forall-body div.field-item",
    date=("div.press-article-date",),
    breadcrumb="nav.breadcrumb",
    end="footer.sitewide-footer",
    single_br_splits=False,
    blank_line_splits=True,
)

_LABEL_WORD = r"(?:Mc)?[A-Z][A-Z.'’-]*(?:[a-z][A-Z][A-Z.'’-]*)?"
"""A word of a speaker's label: "MR.", "EARNEST", "McDONOUGH", "LaHOOD"."""

TURNS = TurnRules(
    # "Q    Okay, Josh." (spaces, cleaned to one), rarely "Q:" or "Q."; never a word that starts with Q. The
    # Spanish transcript of 18 December 2009 opens questions with "P" (pregunta) and a space.
    question=re.compile(r"^(?:Q(?:[:.]|\s|$)|P\s)"),
    label=re.compile(r"^(?P<label>[A-Z][A-Za-z.'’ -]{1,60}?)\s*:"),
    # Capitals, words one space apart, with the odd lower-case letter of a name ("MR. McDONOUGH", "SECRETARY
    # LaHOOD"); at least three capitals in a row; each word read one way only, so a label that is no speaker's
    # fails at once. Not the headings of advisories and corrections ("WHO:", "WHEN:", "NOTE:", "CORRECTED:").
    speaker_label=re.compile(
        r"(?!(?:WHO|WHAT|WHEN|WHERE|WHY|TODAY|NOTE|CORRECTED|CORRECTION|UPDATE|TO THE)\b)(?=.*[A-Z]{3})"
        rf"{_LABEL_WORD}(?: {_LABEL_WORD})*"
    ),
    note=re.compile(
        r"(?:END|FIN|\(?\d{1,2}:\d{2}\s*[AP]\.?\s?M\.?)(?:[\s.,:]+(?:[A-Z]{2,5}|\(?[Ll]ocal\)?|\d{1,2}:\d{2}\s*[AP]\.?\s?M\.?)){0,3}"
        r"\)?\.?(?:\s*[-_=]{5,})?|\*\s*\*\s*\*.*|#{3}"
    ),
    preamble="note",
    bold_outlets=False,
)
"""Transcript turns: "MR. EARNEST:" answers, "Q" questions, time stamps and "END" as notes; what comes before the
first label (the room, "Aboard Air Force One", the time) is framing."""

SITE = Site(
    name="whitehouse_en",
    office="The White House, Office of the Press Secretary (2009–2016)",
    language="en",
    timezone="America/New_York",
    allowed_domains=("whitehouse.gov", "obamawhitehouse.archives.gov"),
    canonical_hosts={
        "whitehouse.gov": "www.whitehouse.gov",
        "www.whitehouse.gov": "www.whitehouse.gov",
        "obamawhitehouse.archives.gov": "www.whitehouse.gov",
    },
    sections=(Section("press_briefings", f"{ARCHIVE}/briefing-room/press-briefings"),),
    listing=Listing(
        entry="div.views-field-title a[href]",
        entry_block="div.views-row",
        statement_url=re.compile(r"^/the-press-office/"),
        next_page="li.pager-next a@href",
        entry_date=re.compile(ENGLISH_MONTH_RE + r"\s+\d{1,2},\s*\d{4}"),
    ),
    templates=(TEMPLATE_2016,),
    page_dates=(re.compile(ENGLISH_MONTH_RE + r"\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"),),
    month_names=ENGLISH_MONTHS,
    speaker_patterns=(
        re.compile(
            "(?:" + "|".join(f"(?<={re.escape(word)} )" for word in _BEFORE_NAME) + ")"
            rf"(?P<name>(?!{_NOT_NAME})[A-Z][a-z]+(?: [A-Z]\.| (?!{_NOT_NAME})[A-Z][a-z]+(?= [A-Z]))?"
            rf" (?!{_NOT_NAME})(?:Mc|Mac|La)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
            r"(?=,| and\b| on\b| at\b| from\b|\s*$|\s+\d)"
        ),
    ),
    title_speakers_end=re.compile(r"\s(?:[Ee]n [Rr]oute|[Aa]board|AF1|--|-)\s"),
    kind_rules=(
        (re.compile(r"^Statement\b|^Letter\b"), "statement"),
        (re.compile(r"^Readout\b"), "meeting"),
        (re.compile(r"^(?:FACT SHEET|Fact Sheet|ADVISORY|Advisory|Informaci[oó]n)\b"), "news"),
    ),
    default_kind="press_conference",
    speaker_names={
        # The press secretaries and their deputies, whom titles often leave unnamed ("Press Briefing by the
        # Press Secretary, 10/15/2014").
        "MR. GIBBS": "Robert Gibbs",
        "MR. CARNEY": "Jay Carney",
        "MR. EARNEST": "Josh Earnest",
        "MR. BURTON": "Bill Burton",
        "MR. SCHULTZ": "Eric Schultz",
        "MS. PSAKI": "Jen Psaki",
        "MR. RHODES": "Ben Rhodes",
        "THE PRESIDENT": "Barack Obama",
        "PRESIDENT OBAMA": "Barack Obama",
        "EL PRESIDENTE": "Barack Obama",  # the Spanish transcript of 18 December 2009 (Copenhagen)
        "THE VICE PRESIDENT": "Joe Biden",
        "VICE PRESIDENT BIDEN": "Joe Biden",
        "THE FIRST LADY": "Michelle Obama",
        "MRS. OBAMA": "Michelle Obama",
    },
    turns=TURNS,
    # Turns that ran together (199 of the 1,615 briefings, and all of two, 2012/11/17 and 2013/06/08): a new
    # paragraph starts at a speaker's label, a "Q", "END" or a closing time stamp after the end of a sentence (or
    # after a time stamp's zone, "2:27 P.M. PDT MR. RHODES: …"); never inside a label ("MR. GIBBS:", "DEPUTY
    # SECRETARY STEINBERG:").
    paragraph_breaks=re.compile(
        r"(?:(?<=[.?!)\"”’])|(?<=[ECMP][DS]T)|(?<=--))(?<!\b[A-Z]\.)(?<!MR\.)(?<!MS\.)(?<!DR\.)(?<!MRS\.)(?<!ST\.)"
        r" (?=(?:[A-Z][A-Z.'’-]+ ){0,4}[A-Z][A-Z'’-]+:\s)"
        r"|(?<=[.?!)\"”’]) (?=Q [A-Z(]|END(?: \d|$)|\d{1,2}:\d{2} [AP]\.M\. [ECMP][DS]T$)"
    ),
    boilerplate_paragraphs=(
        # The press release header of 2009 pages, in one paragraph or several.
        # Each line atomic (no backtracking into a run of underscores: a fullmatch that fails must fail at once).
        re.compile(rf"{_HEADER}(?:\s*+{_HEADER})*+", re.IGNORECASE),
    ),
)
"""Spider `whitehouse_en`: the White House press briefings of 2009–2016, in English."""
