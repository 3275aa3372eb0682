"""One spider per site module: `scrapy crawl fmprc_en`, `scrapy crawl whitehouse_en`, ….

The classes are made here from `crawler.sites.SITES`, so a new site module is a new spider without a line of
spider code; each is a `StatementSpider` (see it for arguments, output and stats) with the site's name,
declarations and allowed domains, and a docstring written from them. `SiteSpiderLoader` (the project's
`SPIDER_LOADER_CLASS`) adds the sites of the `STATEMENTS_SITES` folders named by the Scrapy setting.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from crawler.sites import SITES, load_site_folders
from crawler.sites.base import Site
from crawler.spiders.base import StatementSpider


def class_name(site: Site) -> str:
    """The spider class's name for a site: "fmprc_en" → "FmprcEnSpider"."""
    return "".join(part.capitalize() for part in site.name.split("_")) + "Spider"


def spider_class(site: Site) -> type[StatementSpider]:
    """A `StatementSpider` subclass for the site, defined in this module."""
    sections = ", ".join(section.name for section in site.sections)
    doc = (
        f"{site.office}, in {site.language!r}.\n\n"
        f"Sections: {sections}.\n\n"
        f"Arguments: {', '.join(StatementSpider.arguments)} (see `StatementSpider`).\n\n"
        f'Output: one page item per statement page; statements stored with site "{site.name}".'
    )
    attributes = {
        "__module__": __name__,
        "__doc__": doc,
        "name": site.name,
        "site": site,
        "allowed_domains": list(site.allowed_domains),
    }
    return type(class_name(site), (StatementSpider,), attributes)


SPIDERS: dict[str, type[StatementSpider]] = {name: spider_class(site) for name, site in SITES.items()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})


class SiteSpiderLoader(SpiderLoader):
    """Scrapy's spider loader, which also loads the site modules of the folders named by the `STATEMENTS_SITES`
    setting (`-s STATEMENTS_SITES=…`, else the environment variable) and makes a spider of each, so that
    `scrapy list` and `scrapy crawl NAME` see them."""

    def __init__(self, settings: BaseSettings) -> None:
        load_site_folders(settings.get("STATEMENTS_SITES"))
        super().__init__(settings)
        for name, site in SITES.items():
            if name not in self._spiders:
                SPIDERS[name] = self._spiders[name] = spider_class(site)
