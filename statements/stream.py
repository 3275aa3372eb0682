"""A distributed crawl's shared state in Redis: key names, the stream's message format, and what the writer
publishes for incremental crawls.

Workers (`scrapy crawl SITE -s REDIS_URL=…`, see `crawler.frontier`) put finished statements on one Redis stream;
the writer (`statements.stream_writer`, `statements writer`) is the only process that writes the SQLite file. The
keys, all under `statements:`:

- `statements:stream` — the stream; read by the consumer group `writers`. Messages (field `kind`):
  `start` (a run begins: run, spider, arguments, started_at), `statement` (run, item: the page item as JSON,
  body: the page's bytes, zlib-compressed), `worker` (a worker left the run: run, worker, its Scrapy counts as
  `crawls` columns, why it closed), `end` (the last worker left: run, spider, reason, the sections walked to
  their end).
- `statements:<spider>:run` — the id of the spider's open run (the stream id of its `start` message); the first
  worker creates it, later workers join it, the last one to leave deletes it.
- `statements:<spider>:<run>:requests|dupefilter|workers|walked|inflight:<worker>` — the run's frontier
  (scrapy-redis priority queue and request fingerprints), its workers, the sections they walked to the end, and
  each worker's requests taken but not finished (put back in the queue when the worker dies).
- `statements:worker:<worker>` — a worker's heartbeat ("busy" or "idle"), expiring `REDIS_WORKER_TIMEOUT`
  seconds after the last beat.
- `statements:slot:<host>` — when (Redis clock, ms) the next request to a host may start (`crawler.politeness`).
- `statements:<site>:known` — statement id → "first_seen_at content_hash" of every stored statement, and
  `statements:<site>:walked` — section → walked_at: the writer's copy of what `statements.runs` reads in the
  file, so workers stop at known statements without it.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

from crawler.items import Extracted, PageItem, Statement, Turn

PREFIX = "statements"
STREAM = f"{PREFIX}:stream"
GROUP = "writers"


class RedisUnavailable(Exception):
    """Redis cannot be used: the package is missing, the URL is malformed or the server does not answer. The
    message says which, with the URL."""


def connect(url: str) -> Any:
    """A client (redis-py `Redis`, bytes in and out) for a `redis://HOST:PORT/DB` URL, checked with a PING.

    Raises:
        RedisUnavailable: redis-py is not installed, the URL is malformed, or the server does not answer.
    """
    try:
        import redis
    except ImportError:
        raise RedisUnavailable("Redis support is not installed: pip install -e '.[redis]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=60)
        client.ping()
    except ValueError as error:
        raise RedisUnavailable(f"{url!r} is not a Redis URL ({error})") from None
    except redis.RedisError as error:
        raise RedisUnavailable(f"cannot reach Redis at {url} ({error})") from None
    return client


def run_pointer(spider: str) -> str:
    """The key holding the id of the spider's open run."""
    return f"{PREFIX}:{spider}:run"


def run_key(spider: str, run: str, name: str) -> str:
    """A key of one run: name is requests, dupefilter, workers, walked or inflight:<worker>."""
    return f"{PREFIX}:{spider}:{run}:{name}"


def worker_key(worker: str) -> str:
    """A worker's heartbeat key."""
    return f"{PREFIX}:worker:{worker}"


WORKER_PATTERN = f"{PREFIX}:worker:*"


def known_key(site: str) -> str:
    """The hash of a site's stored statements: id → "first_seen_at content_hash"."""
    return f"{PREFIX}:{site}:known"


def walked_key(site: str) -> str:
    """The hash of a site's sections walked to their end: section → walked_at (ISO 8601 UTC)."""
    return f"{PREFIX}:{site}:walked"


def slot_key(host: str) -> str:
    """When the next request to a host may start (ms, Redis clock)."""
    return f"{PREFIX}:slot:{host}"


def encode_statement(run: str, item: PageItem) -> dict[bytes, bytes]:
    """The stream message of a page item with its statement: the item (less body) as JSON, the body
    zlib-compressed (level 1: cheap for the worker, about a third of the bytes in Redis)."""
    fields = {
        name: getattr(item, name) for name in ("site", "url", "status", "headers", "fetched_at", "hints")
    }
    fields["extracted"] = dataclasses.asdict(item.extracted) if item.extracted is not None else None
    fields["statement"] = dataclasses.asdict(item.statement) if item.statement is not None else None
    return {
        b"kind": b"statement",
        b"run": run.encode(),
        b"item": orjson.dumps(fields),
        b"body": zlib.compress(item.body, 1),
    }


def decode_statement(fields: dict[bytes, bytes]) -> PageItem:
    """The page item (with `extracted` and `statement`, turns included) of a `statement` message.

    Raises:
        ValueError: the message is not a statement message of this format (wrong fields, bad JSON or body).
    """
    try:
        data = orjson.loads(fields[b"item"])
        body = zlib.decompress(fields[b"body"])
        extracted = Extracted(**data.pop("extracted")) if data.get("extracted") else None
        raw = data.pop("statement")
        turns = [Turn(**turn) for turn in raw.pop("turns")]
        statement = Statement(**raw, turns=turns)
        return PageItem(**data, body=body, extracted=extracted, statement=statement)
    except (KeyError, TypeError, AttributeError, orjson.JSONDecodeError, zlib.error) as error:
        raise ValueError(f"not a statement message ({error!r})") from None


def text(fields: dict[bytes, bytes], name: str, default: str = "") -> str:
    """A message field as text."""
    value = fields.get(name.encode())
    return value.decode() if value is not None else default


def json_field(fields: dict[bytes, bytes], name: str, default: Any = None) -> Any:
    """A message field holding JSON, decoded."""
    value = fields.get(name.encode())
    return orjson.loads(value) if value is not None else default


class Published:
    """What the writer published of the database, read by workers in place of the file (`statements.runs`
    `known_statements` and `section_walked_at` read the same in SQLite)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def known_statements(self, site: str, ids: list[str]) -> dict[str, str]:
        """Which of these statement ids are stored: id → first_seen_at (ISO 8601 UTC)."""
        if not ids:
            return {}
        values = self.client.hmget(known_key(site), ids)
        return {
            statement_id: value.decode().split(" ", 1)[0]
            for statement_id, value in zip(ids, values, strict=True)
            if value is not None
        }

    def walked_at(self, site: str, section: str) -> str | None:
        """When a crawl last walked this section to its end (see `statements.runs.section_walked_at`), or None."""
        value = self.client.hget(walked_key(site), section)
        return value.decode() if value is not None else None


def known_value(first_seen_at: str, content_hash: str) -> str:
    """The value a statement has in `statements:<site>:known`."""
    return f"{first_seen_at} {content_hash}"


def publish_known(client: Any, rows: Iterable[tuple[str, str, str, str]], batch: int = 5000) -> int:
    """Publish stored statements, rows of (site, id, first_seen_at, content_hash); returns how many."""
    count = 0
    pipe = client.pipeline(transaction=False)
    for site, statement_id, first_seen_at, content_hash in rows:
        pipe.hset(known_key(site), statement_id, known_value(first_seen_at, content_hash))
        count += 1
        if count % batch == 0:
            pipe.execute()
    pipe.execute()
    return count
