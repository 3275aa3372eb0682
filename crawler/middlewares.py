"""Downloader middlewares: WARC replay.

`WarcReplayMiddleware` answers every request from a WARC file (setting `REPLAY_WARC`) instead of the network.
It sits last in the downloader middleware chain, so every other middleware's `process_request` has run
(robots.txt, user agent, …) and every `process_response` acts on the recorded response as on a live one:
redirects are followed, retries retried, compressed bodies decompressed within Scrapy's size limits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from crawler.faults import fault_reason
from pipelines.normalize import canonical_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedResponse:
    """One HTTP response as a WARC `response` record holds it.

    Attributes:
        url: WARC-Target-URI.
        status: HTTP status code from the recorded status line.
        headers: recorded HTTP headers as (name, value) pairs, less Transfer-Encoding (the body is de-chunked).
        body: the payload as recorded: still compressed where the headers say Content-Encoding.
        warc_date: WARC-Date (ISO 8601, UTC): when the response was fetched.
    """

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    warc_date: str


class TruncatedRecord(OSError):
    """A WARC record ends before its recorded length: the archive was cut off (or damaged) there."""


class WarcArchive:
    """Random access to the `response` records of a WARC file, by URL.

    The file is read once to index each record's offset (keyed by canonicalized URL; a later record for the same
    URL wins); bodies are read from disk on demand, one record at a time, so memory holds offsets only.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file holds no WARC response record.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._offsets: dict[str, int] = {}
        with self.path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    self._offsets[self.key(url)] = records.get_record_offset()
        if not self._offsets:
            raise ValueError(f"{self.path}: no WARC response record")
        self._stream: BinaryIO = self.path.open("rb")
        last = max(self._offsets.values())
        try:
            self._read(last)
        except TruncatedRecord as error:
            logger.warning("%s: %s; that URL will be answered as a failed download", self.path, error)

    @staticmethod
    def key(url: str) -> str:
        """The index key of a URL: w3lib's canonical form, fragment dropped."""
        return canonicalize_url(url, keep_fragments=False)

    def __len__(self) -> int:
        return len(self._offsets)

    def __contains__(self, url: str) -> bool:
        return self.key(url) in self._offsets

    def urls(self) -> list[str]:
        """Canonicalized URLs of every response record, in file order."""
        return sorted(self._offsets, key=self._offsets.__getitem__)

    def get(self, url: str) -> RecordedResponse | None:
        """The recorded response for `url`, or None when the archive holds none.

        Raises:
            TruncatedRecord: the record is shorter than its WARC header says (a cut-off archive).
        """
        offset = self._offsets.get(self.key(url))
        return None if offset is None else self._read(offset)

    def _read(self, offset: int) -> RecordedResponse:
        self._stream.seek(offset)
        record = next(iter(ArchiveIterator(self._stream)))
        http_headers = record.http_headers
        raw = record.raw_stream
        stream = raw
        if (http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
            stream = ChunkedDataReader(raw, decomp_type=None)
        body = stream.read()
        missing = getattr(raw, "limit", 0)
        if missing:
            target = record.rec_headers.get_header("WARC-Target-URI")
            raise TruncatedRecord(f"the record of {target} lacks its last {missing} bytes")
        headers = [
            (name, value) for name, value in http_headers.headers if name.lower() != "transfer-encoding"
        ]
        return RecordedResponse(
            url=record.rec_headers.get_header("WARC-Target-URI"),
            status=int(http_headers.get_statuscode()),
            headers=headers,
            body=body,
            warc_date=record.rec_headers.get_header("WARC-Date"),
        )

    def close(self) -> None:
        """Close the archive file."""
        self._stream.close()


class WarcReplayMiddleware:
    """Downloader middleware: serve every request from the WARC file named by the `REPLAY_WARC` setting.

    A URL the archive lacks is looked up again in its canonical form for the spider's site (`canonical_url`:
    a page requested at obamawhitehouse.archives.gov replays from its recording at www.whitehouse.gov). A URL
    missing from the archive gets an empty 404 response (flag "replay-missing"); a record cut short (a
    truncated archive) fails the request like a broken download (TruncatedRecord). A recorded body larger
    than `DOWNLOAD_MAXSIZE` (or the request's `download_maxsize` meta) is dropped with a warning, as Scrapy's
    download handlers do; `DOWNLOAD_WARNSIZE` logs a warning. The WARC-Date of the record is put in the
    request's meta as `fetched_at`. Not configured (disabled) when `REPLAY_WARC` is empty.
    """

    def __init__(self, archive: WarcArchive, maxsize: int, warnsize: int, crawler: Any = None) -> None:
        self.archive = archive
        self.maxsize = maxsize
        self.warnsize = warnsize
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcReplayMiddleware:
        path = crawler.settings.get("REPLAY_WARC")
        if not path:
            raise NotConfigured  # no message: Scrapy would log one at WARNING on every live crawl
        archive = WarcArchive(path)
        logger.info("replaying %d recorded responses from %s", len(archive), path)
        return cls(
            archive,
            crawler.settings.getint("DOWNLOAD_MAXSIZE"),
            crawler.settings.getint("DOWNLOAD_WARNSIZE"),
            crawler,
        )

    def process_request(self, request: Request) -> Response:
        recorded = self.archive.get(request.url)
        site = getattr(self.crawler.spider, "site", None) if self.crawler is not None else None
        if recorded is None and site is not None:
            recorded = self.archive.get(canonical_url(request.url, site, keep_query=True))
        if recorded is None:
            return Response(request.url, status=404, request=request, flags=["replay-missing"])
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        warnsize = request.meta.get("download_warnsize", self.warnsize)
        size = len(recorded.body)
        if maxsize and size > maxsize:
            logger.warning(
                "recorded body of %s is %d bytes, over the %d-byte DOWNLOAD_MAXSIZE: dropped",
                request.url,
                size,
                maxsize,
            )
            raise IgnoreRequest(f"response larger than DOWNLOAD_MAXSIZE ({size} > {maxsize})")
        if warnsize and size > warnsize:
            logger.warning(
                "recorded body of %s is %d bytes, over the %d-byte DOWNLOAD_WARNSIZE",
                request.url,
                size,
                warnsize,
            )
        request.meta["fetched_at"] = recorded.warc_date
        headers = Headers()
        for name, value in recorded.headers:
            headers.appendlist(name, value)
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return response_class(
            url=request.url,
            status=recorded.status,
            headers=headers,
            body=recorded.body,
            request=request,
            flags=["replay"],
        )


class FaultRetryMiddleware(RetryMiddleware):
    """Downloader middleware: Scrapy's RetryMiddleware (same settings: RETRY_TIMES, RETRY_HTTP_CODES, …), which
    also lists in the retried request's meta, under "faults", the reason of each retry so far (`crawler.faults`:
    "http-503", "timeout", …), so that a page that answers at a later try is logged and counted once with what
    it took."""

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retried = super()._retry(request, reason)
        if retried is not None:
            retried.meta["faults"] = [*request.meta.get("faults", []), _retry_reason(reason)]
        return retried


def _retry_reason(reason: str | Exception | type[Exception]) -> str:
    """A retry's reason as a fault reason: "503 Service Unavailable" → "http-503"; exceptions by `fault_reason`."""
    if isinstance(reason, str):
        status = reason.split(" ", 1)[0]
        return f"http-{status}" if status.isdigit() else "other"
    if isinstance(reason, type):
        reason = reason()
    return fault_reason(reason)


class _RobotsTxtFailureAsWarning(logging.Filter):
    """Scrapy logs a robots.txt that could not be downloaded (no network, DNS, refused) at ERROR with a traceback,
    in the name of the request that was waiting for it. It is one of the faults a crawl counts and goes on from
    (requests then go out unchecked, as Scrapy does), so it becomes one WARNING line that says so."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno == logging.ERROR
            and str(record.msg).startswith("Error downloading")
            and record.exc_info
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
            record.msg = "robots.txt could not be fetched for %(request)s (%(f_exception)s): no rules applied"
        return True


_ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
if not any(isinstance(kept, _RobotsTxtFailureAsWarning) for kept in _ROBOTS_LOGGER.filters):
    _ROBOTS_LOGGER.addFilter(_RobotsTxtFailureAsWarning())


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Downloader middleware: Scrapy's RobotsTxtMiddleware (ROBOTSTXT_OBEY, ROBOTSTXT_USER_AGENT, …), fixed so
    that every request that waited for a site's robots.txt is checked against it.

    In Scrapy 2.13–2.19 the requests that arrive while robots.txt is being fetched all await one Deferred, which
    hands the parsed file to the first of them only (its conversion to an asyncio Future consumes the result):
    the others see no parser and go out unchecked. A crawl's first requests are its sections' first listing pages,
    so a section that robots.txt disallows was fetched anyway (tests/test_faults.py shows it). After waiting, the
    parser is read again from where the middleware keeps it.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            kept = self._parsers.get(urlparse_cached(request).netloc)
            if kept is not None and not isinstance(kept, Deferred):
                return kept
        return parser
