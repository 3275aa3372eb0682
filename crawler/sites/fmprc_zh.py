"""China, Ministry of Foreign Affairs, Chinese site: the 2016–2020 template (www.fmprc.gov.cn/web/) and the
current one (www.mfa.gov.cn/web/, pages of 2026).

Facts below were read off the pages recorded on 4 July 2020 (../shared/corpus/fmprc-2020): 1,000 statement pages
of the spokesperson section 发言人表态和例行记者会 and its 67 listing pages, and pages of 重要新闻 (zyxw) and of the
missions' reports saved by a browser (../shared/corpus/raw/fmprc-zh).

- Listing: `div.rebox_news li a` links `./tNNNNNNN.shtml`, each followed by its date "(2020-07-03)";
  `var countPage = 67`; pages `default.shtml`, `default_1.shtml` … `default_66.shtml`.
- Statement: breadcrumb `div.nav` ("首页 > 外交动态 > 发言人表态"), title `#News_Body_Title`, date
  `#News_Body_Time` ("2020-07-03"), body `#News_Body_Txt_A`; around it "[字体：大 中 小]", "打印本页", an
  appendix box, "相关新闻" and the "推荐给朋友" e-mail form. Paragraphs start with two U+3000 spaces.
- Titles: "2020年7月3日外交部发言人赵立坚主持例行记者会" (812 pages), "…主持网上例行记者会" (15, February
  2020), "外交部发言人陆慷答记者问", "外交部发言人耿爽就…答记者问", "…发表谈话"; a few name no spokesperson
  ("外交部发言人答记者问").

Current template, read off ../shared/corpus/raw/mfa-zh-2026 (rebuilt from stored text of the live page): the
`<title>` is only the column's name ("重要新闻_中华人民共和国外交部"); title `div.news-details .news-title h1` (and
`meta[name=ArticleTitle]`); date `p.time > span` ("2026-09-26 16:16"); breadcrumb `div.break` ("首页 > 重要新闻");
body `#News_Body_Txt_A > div.TRS_UEDITOR`; footer `div.footer`; links to the other languages' versions in
`div.lan_btn a` (the English one under /eng/). Removed or moved pages answer HTTP 200 with a "系统维护" page.
"""

from __future__ import annotations

import re

from crawler.sites import fmprc
from crawler.sites.base import Section, Site, Template, TurnRules

BASE = "https://www.fmprc.gov.cn/web"
CURRENT = "https://www.mfa.gov.cn/web"

_HAN = r"[\u4e00-\u9fff]"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤耿华乐傅戚解习"
)
"""Common Chinese surnames: a title that starts with one of them, one or two more characters and a verb names its
speaker ("杨洁篪会见卢森堡外交大臣阿瑟伯恩", t1638430)."""
_ACTS = "会见|会谈|同|与|出席|主持|致|在|应约|接受|发表|通电话|答|表示|谈|举行|访问|集体会见|共同会见|宣布|指出|对"
_ADVERBS = "将|也|还|又|再|已|正|亦|均|即将|分别|先后|随后|专程"
"""Words that may stand between a speaker's name and the verb ("王毅将出席…", "杨洁篪还会见…")."""
_ROLES = (
    "国务委员兼外交部长|国务委员|外交部长|外交部副部长|外交部部长助理|外交部发言人|发言人|国家主席|国务院总理"
    "|国家副主席|国务院副总理"
)

TEMPLATE_2016 = Template(
    name="fmprc-zh-2016",
    effective="2016-11-15",
    marker="#News_Body_Title",
    title=("#News_Body_Title",),
    body="#News_Body_Txt_A",
    date=("#News_Body_Time",),
    end="div.copyright",
    breadcrumb="div.nav",
    remove=("#appendix_list", "#relnews_list", "div.info"),
)

TURNS = TurnRules(
    question=re.compile(r"^问\s*[:：]"),
    answer=re.compile(r"^答\s*[:：]"),
    follow_up=re.compile(r"^(?:(?P<outlet>[^:：，。]{0,30}?)记者)?追问[一二三四五]?\s*[:：]"),
    journalist=re.compile(
        r"^[（(]?(?:会后[，,]?\s*)?(?:有)?记者(?:问及|提问|问|解释|澄清|回答|补充)?\s*[:：]"
    ),
    label=re.compile(r"^(?P<label>[^:：，。]{1,30}?)\s*[:：]"),
    outlet=re.compile(r"(?P<outlet>[^:：，。]{1,30}?)记者(?:提问)?"),
    bold_outlets=False,
)
"""Transcripts mark turns "问：" and "答：" (2016–2019), or open questions with the outlet's journalist in bold
("中央电视台记者：…", "《北京青年报》记者：…", t1794584) and answers with the spokesperson's name ("赵立坚：…");
"追问：" marks follow-up questions."""

TEMPLATE_2026 = Template(
    name="mfa-zh-2026",
    effective="2026-09-26",
    marker="div.news-details",
    title=("div.news-details div.news-title h1", "meta[name=ArticleTitle]@content"),
    body="#News_Body_Txt_A > div.TRS_UEDITOR",
    date=("div.news-details p.time > span", "meta[name=PubDate]@content"),
    end="div.footer",
    breadcrumb="div.break",
    translations=(("en", 'div.lan_btn a[href*="/eng/"]@href'),),
)

SITE = Site(
    name="fmprc_zh",
    office="中华人民共和国外交部 (Ministry of Foreign Affairs of the People's Republic of China)",
    language="zh",
    timezone="Asia/Shanghai",
    allowed_domains=fmprc.ALLOWED_DOMAINS,
    canonical_hosts=fmprc.CANONICAL_HOSTS,
    sections=(
        # The current site's sections: what a scheduled crawl meets today.
        Section(
            "press_conferences", f"{CURRENT}/fyrbt_673021/jzhsl_673025/index.shtml", fmprc.CURRENT_LISTING
        ),
        Section("important_news", f"{CURRENT}/zyxw/index.shtml", fmprc.CURRENT_LISTING),
        # The 2016–2020 sections, for backfills and replays of recordings; today they answer 404 or a soft-404,
        # logged at INFO.
        Section("spokesperson", f"{BASE}/wjdt_674879/fyrbt_674889/default.shtml"),
        Section("legacy_important_news", f"{BASE}/zyxw/default.shtml"),
        Section("minister_activities", f"{BASE}/wjbz_673089/zyhd_673091/default.shtml"),
        Section("minister_speeches", f"{BASE}/wjbz_673089/zyjh_673099/default.shtml"),
        Section("leaders_activities", f"{BASE}/wjdt_674879/gjldrhd_674881/default.shtml"),
        Section("ministry_leaders_activities", f"{BASE}/wjdt_674879/wjbxw_674885/default.shtml"),
    ),
    listing=fmprc.listing(
        "div.rebox_news li a[href]",
        entry_date=re.compile(r"\(\s*\d{4}-\d{1,2}-\d{1,2}\s*\)"),
    ),
    templates=(TEMPLATE_2026, TEMPLATE_2016),
    title_dates=(re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"),),
    lead_dates=(
        re.compile(r"^[^，。]{0,8}?(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"),
    ),
    speaker_patterns=(
        re.compile(rf"发言人(?P<name>{_HAN}{{2,3}}?)(?=主持|就|答|发表|表示|\d)"),
        re.compile(rf"^(?P<name>[{_SURNAMES}]{_HAN}{{1,2}}?)(?=(?:{_ADVERBS})?(?:{_ACTS}))"),
        re.compile(rf"^(?P<name>[{_SURNAMES}]{_HAN}{{1,2}})[：:]"),
    ),
    lead_speaker_patterns=(
        re.compile(
            rf"^(?:[^，。]{{0,20}}?日，)?(?:中国)?(?:{_ROLES})(?P<name>[{_SURNAMES}]{_HAN}{{1,2}}?)"
            rf"(?=(?:{_ADVERBS})?(?:{_ACTS}))"
        ),
    ),
    kind_rules=(
        (re.compile(r"例行记者会|记者会|吹风会"), "press_conference"),
        (re.compile(r"答记者问|发言人.*(?:谈话|表态|立场)|发言人.*答问"), "remarks"),
        (re.compile(r"讲话|致辞|演讲|(?<!人)发言(?!人)|署名文章"), "speech"),
        (re.compile(r"声明|公报|宣言"), "statement"),
        (re.compile(r"接受.*采访|专访"), "interview"),
        (re.compile(r"会见|会谈|通电话|视频会晤|通话|磋商|举行.*会议|会晤"), "meeting"),
    ),
    default_kind="news",
    soft_404=fmprc.SOFT_404,
    soft_404_urls=fmprc.SOFT_404_URLS,
    canonical_paths=fmprc.CANONICAL_PATHS,
    doc_id=fmprc.DOC_ID,
    image_date=fmprc.IMAGE_DATE,
    translation_sites=("fmprc_en",),
    turns=TURNS,
    speaker_names=fmprc.SPEAKER_NAMES,
    boilerplate_paragraphs=(
        re.compile(r"\[?\s*字体\s*[：:]\s*大\s*中\s*小\s*\]?\s*(?:打印本页)?"),
        re.compile(r"打印本页|关闭窗口|推荐给朋友|相关新闻|附件"),
    ),
)
