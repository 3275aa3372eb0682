"""Scrapy settings of ministry statements.

`STATEMENTS_DB`, `REPLAY_WARC`, `REDIS_URL`, `STATEMENTS_CONTACT` and `STATEMENTS_SITES` are also read from
environment variables of the same name; `-s NAME=VALUE` on the command line wins over both. Live crawls are polite
by default: robots.txt obeyed, AutoThrottle on, at most two requests at a time per site, a User-Agent that says
who runs the crawler. In replay mode (REPLAY_WARC set) nothing reaches a site, so the spiders turn delays,
AutoThrottle and the HTTP cache off (see `crawler.spiders.base.StatementSpider.update_settings`).
"""

import os

from crawler import __version__

BOT_NAME = "ministry_statements"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` exits 1 when the run failed or did not finish (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"
# Spiders of the site modules in the STATEMENTS_SITES folders too (os.pathsep-separated; see crawler.sites).
SPIDER_LOADER_CLASS = "crawler.spiders.sites.SiteSpiderLoader"
STATEMENTS_SITES = os.environ.get("STATEMENTS_SITES") or ""

STATEMENTS_DB = os.environ.get("STATEMENTS_DB") or "statements.db"
REPLAY_WARC = os.environ.get("REPLAY_WARC") or None
# A worker of a distributed crawl when set (redis://HOST:PORT/DB): see crawler.distributed and README "Crawling on
# several machines".
REDIS_URL = os.environ.get("REDIS_URL") or None
REDIS_WORKER_TIMEOUT = 60  # seconds without a heartbeat after which a worker is taken for dead
REDIS_STREAM_MAX_BACKLOG = 10_000  # statements waiting for the writer past which workers pause
STATEMENTS_CONTACT = (
    os.environ.get("STATEMENTS_CONTACT") or "maintainers@users.noreply.r-seed-1a5949e0.example"
)

USER_AGENT = (
    f"ministry-statements/{__version__} (research crawler of public press statements; +{STATEMENTS_CONTACT})"
)
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
# The spider logs each failed request once, at WARNING, with its fault reason (crawler.faults); Scrapy's own
# "Gave up retrying" line would be a second one.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# A statement or listing page is 20–250 KB (the largest recorded: 223 KB, mfa.gov.by); 8 MB is far beyond any
# real one and bounds what a broken server can send, compressed or not: HttpCompressionMiddleware applies the same
# limit to the decompressed body, so a gzip bomb is dropped once 8 MB are inflated. 1 MB warns.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1 * 1024 * 1024
COOKIES_ENABLED = False
# Conditional GET: Scrapy's HTTP cache with the RFC 2616 policy stores each response with its validators
# (ETag, Last-Modified) and revalidates it on the next fetch; a 304 is served from the cache and counts as
# unchanged. Listing requests ask for revalidation every time (Cache-Control: max-age=0). Off in replay mode.
# crawler/httpcache.py keeps only responses the crawl accepted and never serves a stale copy for a failed fetch.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.httpcache.FailureIsNotStalePolicy"
HTTPCACHE_STORAGE = "crawler.httpcache.FilesystemCacheStorage"
HTTPCACHE_DIR = "httpcache"
# A section's first listing page says how many pages follow; more than this is a broken page, not a section.
MAX_LISTING_PAGES = 2000
# Fewest statement pages of a run matching no template that, as more than half of its statement pages, show that
# the site changed: the run fails (crawler.verdict).
SITE_CHANGED_MIN_PAGES = 3
# Stored statements wait at most this long (seconds) in a write transaction before it is committed; 0: one
# transaction per statement (see statements.writer).
STATEMENTS_COMMIT_SECONDS = 0.5
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's HTTP cache middleware, storing only what the spider and the item pipelines accepted.
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawler.httpcache.AcceptedOnlyCacheMiddleware": 900,
    # Scrapy's retry middleware, which also notes in the retried request what each retry was for.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.FaultRetryMiddleware": 550,
    # Scrapy's robots.txt middleware, which checks every request that waited for robots.txt (see the class).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.SharedRobotsTxtMiddleware": 100,
    # Last in the chain: every other middleware's process_request runs before it and every process_response
    # after it, as for a live download.
    "crawler.middlewares.WarcReplayMiddleware": 990,
}

# Extract, normalize, segment, store: each fills in what the next reads (PageItem.extracted, .statement,
# Statement.turns); pages that are not statements are dropped by the first two, so the store only ever sees
# statements.
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalize.NormalizePipeline": 200,
    "pipelines.segment.SegmentPipeline": 300,
    "pipelines.store.StorePipeline": 900,
}

EXTENSIONS = {"crawler.extensions.Progress": 500}
ADDONS = {"crawler.distributed.RedisWorker": 0}  # worker mode when REDIS_URL is set
PROGRESS_INTERVAL = 30  # seconds between progress lines; 0 turns them off

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
