"""Spider `fmprc_zh`: China's Ministry of Foreign Affairs, Chinese (www.fmprc.gov.cn/web/)."""

from crawler.sites.fmprc_zh import SITE
from crawler.spiders.base import StatementSpider


class FmprcZhSpider(StatementSpider):
    """China MFA in Chinese.

    Sections: 发言人表态 (the spokesperson's remarks and regular press conferences), 重要新闻, the Minister's
    activities and speeches, leaders' and ministry leaders' activities (`crawler.sites.fmprc_zh.SITE.sections`).

    Arguments: since, until (ISO dates, inclusive).

    Output: one page item per statement page, with the listing's date "(2020-07-03)" as the hint
    `listing_date`; statements stored with site "fmprc_zh", language "zh".
    """

    name = SITE.name
    site = SITE
    allowed_domains = list(SITE.allowed_domains)
