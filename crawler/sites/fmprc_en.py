"""China, Ministry of Foreign Affairs, English site: the 2018–2020 template (www.fmprc.gov.cn/mfa_eng/) and the
current one (www.fmprc.gov.cn/eng/ and www.mfa.gov.cn/eng/, pages of 2022–2026).

2018–2020, read off the pages recorded on 4 July 2020 (../shared/corpus/fmprc-2020): 500 statement pages
of the Regular Press Conference section and its 13 listing pages.

- Listing: `div.newsLst_mod li a` links `./tNNNNNNN.shtml`; `var countPage = 13` in a script; pages
  `default.shtml`, `default_1.shtml` … `default_12.shtml` (default.shtml).
- Statement: breadcrumb `div.urhere` ("Home > Press and Media Service > …"), title `h2.title`, an empty
  `#News_Body_Time`, body `div.content`; after the body an appendix box, the "Suggest to a friend" / "Print"
  table and "Related News" (all outside `div.content`).
- Dates: in the title ("… Regular Press Conference on July 3, 2020"; "on June11, 2018" in t1571239 and three
  others) or, on news pages, the lead sentence ("On July 16, 2020, …"). Fourteen titles of September 2018 give
  no year ("… on September 10", t1593756); their photos are named after the upload date (W020180910…jpg).
  Two Remarks pages (t1686638, t1687014) give no date at all.

Current template, read off the pages in ../shared/corpus/raw/mfa-en-2022 … mfa-en-2026 (rebuilt from stored
text of the live pages):

- Title `div.news_header_title` (and `meta[name=ArticleTitle]`); date `span.xltime` after "Updated:" ("April
  30, 2025 19:06", Beijing time) and `meta[name=PubDate]`; breadcrumb `div.breadcrumbs`; body `div.news_content
  > div.content_text > div.TRS_UEDITOR` (its other classes vary: view_default, view_dedault, trs_editor_view on
  the 2022 page migrated in 2024); footer `div.copyright`; links to the other languages' versions in
  `div.news_header_lang span[data-desc=…] a` ("中文" for Chinese).
- URLs `/eng/xw/fyrbt/lxjzh/202504/t20250430_11614172.html`; a page migrated in 2024 carries the migration
  date in its URL (the 15 August 2022 transcript is `…/202405/t20240530_11347346.html`): never a date source.
- Transcripts: `<p><strong>Outlet: question<br/></strong></p>`, answers "Guo Jiakun: …"; titles use a curly
  apostrophe ("Guo Jiakun’s Regular Press Conference").
"""

from __future__ import annotations

import re

from crawler.sites import fmprc
from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS, Section, Site, Template, TurnRules

BASE = "https://www.fmprc.gov.cn/mfa_eng"
CURRENT = "https://www.fmprc.gov.cn/eng"

_CHINESE_ROLES = (
    "State Councilor and Foreign Minister|Foreign Minister|Vice Foreign Minister|Assistant Foreign Minister"
    "|Foreign Ministry Spokesperson|Spokesperson|President|Vice President|Premier|Vice Premier"
)
_SPEAKS = (
    "(?:Meets|Holds|Has|Attends|Delivers|Speaks|Talks|Calls|Chairs|Co-chairs|Addresses|Gives|Answers|Sends"
    "|Visits|Pays|Hosts|Presides|Receives)"
)
_ROLE_WORDS = (
    r"(?:Consul|General|Minister|Ambassador|Councilor|President|Premier|Spokesperson|Secretary|Chairman"
    r"|Director|Foreign|State|Vice|Chinese|Special|Envoy|Representative)\b"
)
"""Words of a title or role, never part of a name ("Speech by Chinese Consul General in Munich Qiu Xuejun")."""
_SPOKE = (
    "(?:met|held|had|said|spoke|attended|delivered|gave|answered|called|chaired|co-chaired|addressed|hosted"
    "|presided|visited|paid|sent|received|talked|made|signed|wrote|published|issued|stated|exchanged)"
)

TEMPLATE_2018 = Template(
    name="fmprc-en-2018",
    effective="2018-05-11",
    marker="div.content_mod h2.title",
    title=("div.content_mod h2.title",),
    body="div.content_mod div.content",
    date=("#News_Body_Time",),
    end="div.footer",
    breadcrumb="div.urhere",
    remove=("#Appendix_article", "#id_RelNewsList", "div.tool"),
)

TEMPLATE_2022 = Template(
    name="mfa-en-2022",
    effective="2022-08-15",
    marker="div.news_header_title",
    title=("div.news_header_title", "meta[name=ArticleTitle]@content"),
    body="div.news_content div.content_text div.TRS_UEDITOR",
    date=("span.xltime", "meta[name=PubDate]@content"),
    end="div.copyright",
    breadcrumb="div.breadcrumbs",
    translations=(("zh", 'div.news_header_lang span[data-desc="中文"] a@href'),),
)

TURNS = TurnRules(
    question=re.compile(r"^(?:Q|Question)\s*\d*\s*[:：]"),
    answer=re.compile(r"^A\s*[:：]"),
    follow_up=re.compile(r"^(?:(?P<outlet>[A-Z][\w&.' -]{1,40}?) )?Follow[- ]?up(?: [Qq]uestion)?\s*[:：]"),
    journalist=re.compile(
        r"^(?:The )?(?:Foreign )?(?:[Jj]ournalist|[Rr]eporter)(?: (?:clarifies|clarified|adds|added|explains|asks))?"
        r"\s*[:：]"
    ),
    label=re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]"),
    outlet=re.compile(
        r"(?P<outlet>(?:[\w&'.-]+ ){0,5}?(?:News|TV|Television|Daily|Agency|Times|Post|Press|Radio|Broadcasting"
        r"|Journal|Monthly|Review|Media|Network|Novosti|Service|Shimbun|Ilbo|Telegraaf|Paper|Mail|Australian"
        r"|Reuters|AFP|Bloomberg|Sputnik|Latina|Xinhua|Kyodo|Yonhap|Nikkei|NIKKEI|Pakistan|India|Corporation)"
        r"(?: [\w&'.-]+){0,4}|[A-Z][A-Z0-9&]{1,7}(?: [A-Z][a-z]+)?)"
    ),
    not_outlet=re.compile(r".*\s\d{1,2}|(?:I|We|My|Our|Let|Here|But|And|So|The journalist)\b.*"),
)
"""2018–2019 transcripts mark turns "Q:" and "A:"; 2020 ones open each question with its outlet in bold
("CCTV: …", t1794629) and each answer with the spokesperson's name ("Zhao Lijian: …"); "Follow-up:" marks
follow-up questions."""

SITE = Site(
    name="fmprc_en",
    office="Ministry of Foreign Affairs of the People's Republic of China",
    language="en",
    timezone="Asia/Shanghai",
    allowed_domains=fmprc.ALLOWED_DOMAINS,
    canonical_hosts=fmprc.CANONICAL_HOSTS,
    sections=(
        # The current site's sections: what a scheduled crawl meets today.
        Section("press_conferences", f"{CURRENT}/xw/fyrbt/lxjzh/index.html", fmprc.CURRENT_LISTING),
        Section("spokesperson_remarks", f"{CURRENT}/xw/fyrbt/index.html", fmprc.CURRENT_LISTING),
        Section("top_stories", f"{CURRENT}/xw/zyxw/index.html", fmprc.CURRENT_LISTING),
        Section("missions_overseas", f"{CURRENT}/xw/zwbd/index.html", fmprc.CURRENT_LISTING),
        # The 2018–2020 sections, for backfills and replays of recordings; today they answer 404 or a soft-404,
        # logged at INFO.
        Section("legacy_headlines", f"{BASE}/zxxx_662805/default.shtml"),
        Section("legacy_press_conferences", f"{BASE}/xwfw_665399/s2510_665401/2511_665403/default.shtml"),
        Section("legacy_spokesperson_remarks", f"{BASE}/xwfw_665399/s2510_665401/2535_665405/default.shtml"),
        Section("legacy_minister_speeches", f"{BASE}/wjb_663304/wjbz_663308/2461_663310/default.shtml"),
        Section(
            "legacy_minister_activities", f"{BASE}/wjb_663304/wjbz_663308/activities_663312/default.shtml"
        ),
    ),
    listing=fmprc.listing("div.newsLst_mod li a[href]"),
    templates=(TEMPLATE_2022, TEMPLATE_2018),
    title_dates=(
        re.compile(
            r"\bon\s+"
            + ENGLISH_MONTH_RE
            + r"\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:\s*,\s*(?P<year>\d{4}))?\s*$",
            re.IGNORECASE,
        ),
    ),
    lead_dates=(
        re.compile(
            r"^On\s+(?:the\s+(?:morning|afternoon|evening|night)\s+of\s+)?"
            + ENGLISH_MONTH_RE
            + r"\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*,\s*(?P<year>\d{4})\b",
        ),
    ),
    page_dates=(
        re.compile(
            ENGLISH_MONTH_RE
            + r"\s*(?P<day>\d{1,2}),?\s*(?P<year>\d{4})(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
        ),
    ),
    month_names=ENGLISH_MONTHS,
    speaker_patterns=(
        re.compile(r"\bSpokesperson (?P<name>[A-Z][a-z]+ [A-Z][a-z]+)['’]s\b"),
        re.compile(r"^(?P<name>[A-Z][a-z]+ [A-Z][a-z]+):\s"),
        re.compile(rf"^(?P<name>[A-Z][a-z]+ [A-Z][a-z]+) {_SPEAKS}\b"),
        re.compile(
            r"\b(?:Speech|Remarks|Address|Statement|Toast|Interview|Article|Signed Article) (?:by|of|with) "
            r"(?:(?:[A-Z][a-z]+|and|in|of|to|the|for) )*?"
            rf"(?P<name>(?!{_ROLE_WORDS})[A-Z][a-z]+ (?!{_ROLE_WORDS})[A-Z][a-z]+)"
            r"(?= at\b| on\b| to\b| in\b| with\b|,|:|$)"
        ),
    ),
    lead_speaker_patterns=(
        re.compile(
            rf"^(?:(?:On|From)\b[^,]{{0,60}}(?:,\s*\d{{4}})?,\s*)?(?:{_CHINESE_ROLES})\s+(?P<name>[A-Z][a-z]+ [A-Z][a-z]+)"
            rf"(?= and\b| {_SPOKE}\b)"
        ),
    ),
    kind_rules=(
        (
            re.compile(r"Regular Press Conference|Daily Briefing Online|Press Conference|Press Briefing"),
            "press_conference",
        ),
        (re.compile(r"Spokesperson\b.*\bRemarks\b|\bRemarks on\b|\bComments? on\b"), "remarks"),
        (
            re.compile(r"\bSpeech\b|\bAddress\b|\bKeynote\b|\bRemarks (?:by|at)\b|\bToast\b|\bLecture\b"),
            "speech",
        ),
        (re.compile(r"\bStatement\b|\bCommuniqu[eé]\b|\bDeclaration\b"), "statement"),
        (re.compile(r"\bInterview\b|\bAnswers?\b.*\bQuestions\b"), "interview"),
        (
            re.compile(
                r"\bMeets?\b|\bTalks\b|\bPhone Call\b|\bTelephone\b|\bVideo Call\b|\bVideo Conference\b"
                r"|\bMeeting\b|\bConsultations?\b"
            ),
            "meeting",
        ),
    ),
    default_kind="news",
    soft_404=fmprc.SOFT_404,
    soft_404_urls=fmprc.SOFT_404_URLS,
    canonical_paths=fmprc.CANONICAL_PATHS,
    doc_id=fmprc.DOC_ID,
    image_date=fmprc.IMAGE_DATE,
    translation_sites=("fmprc_zh",),
    turns=TURNS,
    speaker_names=fmprc.SPEAKER_NAMES,
    boilerplate_paragraphs=(
        re.compile(r"Suggest to a friend:?", re.IGNORECASE),
        re.compile(r"Please enter (?:E-mail|keywords)", re.IGNORECASE),
        re.compile(r"Print|Close|Appendix:?|Related News:?", re.IGNORECASE),
        re.compile(r"Home\s*>.*"),
    ),
)
