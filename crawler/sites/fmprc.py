"""What China's Ministry of Foreign Affairs sites share, whatever the language (www.fmprc.gov.cn,
www.mfa.gov.cn): hosts, document numbers, photo names, the listing scheme of the 2018–2020 template.

Read off the pages recorded on 4 July 2020 (../shared/corpus/fmprc-2020): statement URLs end in `tNNNNNNN.shtml`
(later `tYYYYMMDD_NNNNNNNN.html`), the number growing with each document the CMS creates; photos are named after
their upload date (`W020200703667259410426.jpg`); listings paginate with `var countPage = N` and
`default_{n}.shtml`.
"""

from __future__ import annotations

import re

from crawler.sites.base import Listing

ALLOWED_DOMAINS = ("fmprc.gov.cn", "mfa.gov.cn")

CANONICAL_HOSTS = {
    "fmprc.gov.cn": "www.fmprc.gov.cn",
    "www.fmprc.gov.cn": "www.fmprc.gov.cn",
    "mfa.gov.cn": "www.fmprc.gov.cn",
    "www.mfa.gov.cn": "www.fmprc.gov.cn",
}
"""Both hosts serve the same pages; canonical URLs use www.fmprc.gov.cn, the host of the recorded crawl."""

CANONICAL_PATHS = (
    # The current Chinese site serves its pages under /web/… and links them without it as well: the English
    # page of 26 September 2026 links https://www.mfa.gov.cn/zyxw/202609/t20260926_12031616.shtml, which calls
    # itself …/web/zyxw/…; the /web/ form is canonical (it is also the form of every 2016–2020 page).
    (
        re.compile(
            r"^/(?!web/|eng/|mfa_eng/|mfa_chn/|fra/|esp/|rus/|ara/|ce/)(\w+/\d{6}/t\d{8}_\d+\.s?html)$"
        ),
        r"/web/\1",
    ),
)

SOFT_404 = (re.compile(r"^\s*系统维护"), re.compile(r"您访问的页面不存在或已删除"))
"""The current site answers removed or moved pages with HTTP 200 and a "系统维护" (system maintenance) page that
says the page does not exist or was deleted, and redirects by script (raw/mfa-zh-2026/soft404_…)."""
SOFT_404_URLS = (re.compile(r"^/error\.html?$"),)
"""The 2020 site's error page, where its robots.txt redirects."""

DOC_ID = re.compile(r"/t(?:\d{8}_)?(\d+)\.s?html?$")
IMAGE_DATE = re.compile(
    r"\bW0(?P<year>20\d\d)(?P<month>\d\d)(?P<day>\d\d)\d*\.(?:jpe?g|png|gif)\b", re.IGNORECASE
)
STATEMENT_URL = re.compile(r"/t\d+\.shtml$")
PAGE_COUNT = re.compile(r"\bcountPage\s*=\s*(\d+)")


def listing(entry: str, entry_date: re.Pattern[str] | None = None) -> Listing:
    """The 2018–2020 listing scheme with the site's own link selector."""
    return Listing(entry=entry, statement_url=STATEMENT_URL, page_count=PAGE_COUNT, entry_date=entry_date)


CURRENT_LISTING = Listing(
    entry="li a[href]",
    statement_url=re.compile(r"/t\d{8}_\d+\.s?html$"),
    page_count=re.compile(r"\bcountPage\s*=\s*(\d+)|createPageHTML\(\s*(\d+)"),
    entry_date=re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
)
"""Listings of the current site (2021–): pages `index.html`, `index_1.html` …, the count written by script
(`createPageHTML(total, current, "index", "html")` or `countPage`), a date after each link. No listing page of this
era is recorded: the rule is kept loose (any list item linking a `tYYYYMMDD_N.html` page) and tested on a page
built from this scheme (tests/fixtures/fmprc_en/constructed/current_*.html)."""


SPEAKER_NAMES = {
    "陆慷": "Lu Kang",
    "华春莹": "Hua Chunying",
    "耿爽": "Geng Shuang",
    "赵立坚": "Zhao Lijian",
    "汪文斌": "Wang Wenbin",
    "毛宁": "Mao Ning",
    "林剑": "Lin Jian",
    "郭嘉昆": "Guo Jiakun",
    "王毅": "Wang Yi",
    "秦刚": "Qin Gang",
    "杨洁篪": "Yang Jiechi",
    "乐玉成": "Le Yucheng",
    "马朝旭": "Ma Zhaoxu",
    "谢锋": "Xie Feng",
    "孙卫东": "Sun Weidong",
    "习近平": "Xi Jinping",
    "李克强": "Li Keqiang",
    "李强": "Li Qiang",
    "王岐山": "Wang Qishan",
    "韩正": "Han Zheng",
}
"""The ministry's spokespersons (2016–2026), ministers and leaders, as the English site writes their names."""
