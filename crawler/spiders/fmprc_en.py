"""Spider `fmprc_en`: China's Ministry of Foreign Affairs, English (www.fmprc.gov.cn/mfa_eng/)."""

from crawler.sites.fmprc_en import SITE
from crawler.spiders.base import StatementSpider


class FmprcEnSpider(StatementSpider):
    """China MFA in English.

    Sections: Headlines, Regular Press Conference, Spokesperson's Remarks, the Minister's Speeches and
    Activities (`crawler.sites.fmprc_en.SITE.sections`).

    Arguments: since, until (ISO dates, inclusive).

    Output: one page item per statement page; statements stored with site "fmprc_en", language "en".
    """

    name = SITE.name
    site = SITE
    allowed_domains = list(SITE.allowed_domains)
