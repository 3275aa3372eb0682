"""Learning a site module from the site's own pages (`statements learn`).

Given one listing page of a statement section, the learner fetches the listing, the listing pages its pagination
leads to and a sample of the statement pages they link to, compares them, and writes a site module of plain
declarations (`crawler.sites.base`) that the same core runs as the hand-written ones. One module per job:

- `pages`: a fetched page, decoded and parsed as the extract pipeline does;
- `selectors`: CSS selectors that pick the same element on every page;
- `links`: the listing's statement links (the largest group of title-like links of one URL shape), their
  selector, URL pattern and listing dates;
- `pagination`: page-count scripts, next links and page menus, each tried on the listing's own pages;
- `template`: title, body, date, breadcrumb and footer selectors and the boilerplate, by comparing statement pages;
- `dates`: date formats, and where a site's dates are (page element, title, lead, closing line, listing);
- `vocabulary`: language, time zone, kind rules and speaker patterns;
- `process`: the order of fetches and decisions (a generator, so that any fetcher can drive it);
- `fetch`: the Scrapy spider that drives it (robots.txt, delays, User-Agent, `REPLAY_WARC` as in crawls);
- `writer`, `report`: the module written and the report printed.
"""
