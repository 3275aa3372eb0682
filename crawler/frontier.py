"""The Redis frontier of a distributed crawl: scrapy-redis's scheduler and duplicate filter, shared by any number
of workers (`scrapy crawl SITE -s REDIS_URL=…`), with what a crawl of this project needs on top of them.

scrapy-redis keeps the requests (a priority queue) and the fingerprints of requests seen in Redis, so every worker
takes its next request from the same queue and no URL is fetched twice. What it leaves to its users, done here:

- **Runs.** One distributed crawl is one run: the first worker of a spider creates it (its id is the stream id of
  the run's `start` message, see `statements.stream`), later workers join it, and the last one to leave it, once
  the queue is empty, ends it (the `end` message) and deletes its queue and fingerprints, so the next crawl starts
  afresh. A worker that stops early (Ctrl-C) leaves the run open: the next `scrapy crawl` joins it and goes on.
- **No request lost with a worker.** A request taken from the queue is also written to the worker's in-flight
  ledger, in one step (a Lua script), and struck off once its response has been handled: the requests and items
  the callback produced were queued or sent to the stream (`AckMiddleware`; a statement page's entry is struck
  off in the transaction that puts its statement on the stream). A worker whose heartbeat has stopped
  for `REDIS_WORKER_TIMEOUT` seconds (killed, its machine gone) is taken for dead and its ledger goes back to the
  queue. Requests whose download failed after retries are struck off only when the worker closes: a worker
  killed meanwhile has them fetched once more.
- **When to stop.** A worker with nothing to do stays while others work (they may queue more): it closes when
  the queue is empty, no worker is busy and every other worker has come to the same conclusion or died.

All Redis calls are synchronous (as in scrapy-redis): a few per request, well under a millisecond each against a
server nearby.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import orjson
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.items import PageItem
from crawler.verdict import failed_sections
from statements import stream
from statements.runs import crawl_counts, utc_now

logger = logging.getLogger(__name__)

TOKEN = "frontier_token"
"""Request meta key: the ledger entry of a request taken from the queue."""
IDLE_POLL_SECONDS = 0.2
"""How often a worker with nothing to do looks at the shared queue."""
PARENT = "frontier_parent"
"""Request meta key: the ledger entry of the response whose callback produced this request."""

_JOIN = """
local run = redis.call('GET', KEYS[1])
local created = 0
if not run then
  run = redis.call('XADD', KEYS[2], '*', 'kind', 'start', 'spider', ARGV[1], 'arguments', ARGV[4],
                   'started_at', ARGV[5])
  redis.call('SET', KEYS[1], run)
  redis.call('SET', ARGV[6] .. ':' .. ARGV[1] .. ':' .. run .. ':arguments', ARGV[4])
  created = 1
end
local base = ARGV[6] .. ':' .. ARGV[1] .. ':' .. run .. ':'
redis.call('SADD', base .. 'workers', ARGV[2])
redis.call('SET', ARGV[6] .. ':worker:' .. ARGV[2], 'busy', 'PX', ARGV[3])
return {run, created, redis.call('GET', base .. 'arguments') or '', redis.call('SCARD', base .. 'workers')}
"""

_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local token = redis.sha1hex(popped[1])
redis.call('HSET', KEYS[2], token, popped[2] .. '|' .. popped[1])
redis.call('SET', KEYS[3], 'busy', 'PX', ARGV[1])
return {popped[1], token}
"""

# Shared by the check and the leave scripts: put the ledgers of dead workers (no heartbeat) back in the queue.
_REAP = """
local base = ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3] .. ':'
local reclaimed = 0
local states = {}
for _, worker in ipairs(redis.call('SMEMBERS', base .. 'workers')) do
  local state = redis.call('GET', ARGV[1] .. ':worker:' .. worker)
  if state then
    states[worker] = state
  else
    for _, entry in ipairs(redis.call('HVALS', base .. 'inflight:' .. worker)) do
      local bar = string.find(entry, '|', 1, true)
      redis.call('ZADD', base .. 'requests', string.sub(entry, 1, bar - 1), string.sub(entry, bar + 1))
      reclaimed = reclaimed + 1
    end
    redis.call('DEL', base .. 'inflight:' .. worker)
    redis.call('SREM', base .. 'workers', worker)
  end
end
"""

_CHECK = (
    _REAP
    + """
local queued = redis.call('ZCARD', base .. 'requests')
local busy, undecided = 0, 0
for worker, state in pairs(states) do
  if worker ~= ARGV[4] then
    if state == 'busy' then busy = busy + 1 end
    if state ~= 'done' then undecided = undecided + 1 end
  end
end
local mine = 'idle'
if queued == 0 and busy == 0 then mine = 'done' end
redis.call('SET', ARGV[1] .. ':worker:' .. ARGV[4], mine, 'PX', ARGV[5])
return {queued, busy, undecided, reclaimed}
"""
)

_LEAVE = (
    _REAP
    + """
for _, section in ipairs(cjson.decode(ARGV[6])) do redis.call('SADD', base .. 'walked', section) end
redis.call('XADD', KEYS[1], '*', 'kind', 'worker', 'run', ARGV[3], 'spider', ARGV[2], 'worker', ARGV[4],
           'counts', ARGV[5], 'reason', ARGV[7])
redis.call('SREM', base .. 'workers', ARGV[4])
redis.call('DEL', base .. 'inflight:' .. ARGV[4], ARGV[1] .. ':worker:' .. ARGV[4])
if redis.call('SCARD', base .. 'workers') > 0 or redis.call('ZCARD', base .. 'requests') > 0 then
  return 0
end
local walked = table.concat(redis.call('SMEMBERS', base .. 'walked'), '\\n')
redis.call('XADD', KEYS[1], '*', 'kind', 'end', 'run', ARGV[3], 'spider', ARGV[2], 'reason', ARGV[7],
           'walked', walked, 'finished_at', ARGV[8])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('DEL', base .. 'requests', base .. 'dupefilter', base .. 'workers', base .. 'walked',
           base .. 'arguments')
return 1
"""
)


class Worker:
    """One worker's membership of a run, shared by the scheduler, `AckMiddleware` and the stream pipeline.

    Attributes:
        client: the Redis client (bytes in and out).
        spider: spider name.
        worker: this worker's id: host, process id and a random suffix.
        run: the run's id once joined (the stream id of its `start` message), else None.
        timeout: seconds without a heartbeat after which the worker is taken for dead (`REDIS_WORKER_TIMEOUT`).
        pending: ledger token → outputs of its response (requests, items) not yet queued or sent.
        exhausted: tokens whose callback has yielded everything.
        items: id of a page item on its way through the item pipelines → its response's token.
    """

    def __init__(self, client: Any, spider: str, timeout: float) -> None:
        self.client = client
        self.spider = spider
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.run: str | None = None
        self.timeout = timeout
        self.pending: Counter[str] = Counter()
        self.exhausted: set[str] = set()
        self.items: dict[int, str] = {}
        self._join = client.register_script(_JOIN)
        self._check = client.register_script(_CHECK)
        self._leave = client.register_script(_LEAVE)

    @property
    def ttl_ms(self) -> int:
        return int(self.timeout * 1000)

    def key(self, name: str) -> str:
        """A key of the joined run (see `statements.stream.run_key`)."""
        assert self.run is not None, "not in a run"
        return stream.run_key(self.spider, self.run, name)

    @property
    def inflight_key(self) -> str:
        return self.key(f"inflight:{self.worker}")

    def join(self, arguments: dict[str, str]) -> bool:
        """Join the spider's open run, or start one with these spider arguments; returns whether it was started.

        A run started with other arguments is joined all the same, with a warning: its first worker decided
        which listing pages are walked."""
        run, created, existing, members = self._join(
            keys=[stream.run_pointer(self.spider), stream.STREAM],
            args=[
                self.spider,
                self.worker,
                self.ttl_ms,
                _json(arguments),
                utc_now(),
                stream.PREFIX,
            ],
        )
        self.run = run.decode()
        if existing and existing.decode() != _json(arguments):
            logger.warning(
                "run %s of %s was started with the arguments %s, this worker has %s: it follows the run's",
                self.run,
                self.spider,
                existing.decode(),
                _json(arguments),
            )
        logger.info(
            "worker %s %s run %s of %s (%d workers)",
            self.worker,
            "started" if created else "joined",
            self.run,
            self.spider,
            members,
        )
        return bool(created)

    def beat(self) -> None:
        """Renew the heartbeat; a worker whose heartbeat had lapsed (the process stalled past the timeout) was
        taken for dead and its requests handed on, so it joins again, as busy."""
        if self.run is None:
            return
        if not self.client.pexpire(stream.worker_key(self.worker), self.ttl_ms):
            logger.error(
                "worker %s was silent for over %s s (REDIS_WORKER_TIMEOUT) and taken for dead: the requests it"
                " held were queued again, and some pages may be fetched twice",
                self.worker,
                self.timeout,
            )
            self.client.sadd(self.key("workers"), self.worker)
            self.client.set(stream.worker_key(self.worker), "busy", px=self.ttl_ms)

    def check(self) -> bool:
        """Whether this worker, idle, may close: the queue is empty, no worker is busy, and every other worker has
        reached the same conclusion (or died). Dead workers' requests are queued again first."""
        queued, busy, undecided, reclaimed = self._check(
            keys=[], args=[stream.PREFIX, self.spider, self.run, self.worker, self.ttl_ms]
        )
        if reclaimed:
            logger.warning("%d requests of dead workers queued again", reclaimed)
        return queued == 0 and busy == 0 and undecided == 0

    def leave(self, counts: dict[str, Any], walked: list[str], reason: str) -> bool:
        """Leave the run, sending this worker's counts (`crawls` columns) and the sections it walked to their
        end; the last worker to leave an exhausted run ends it. Returns whether this one did."""
        ended = self._leave(
            keys=[stream.STREAM, stream.run_pointer(self.spider)],
            args=[
                stream.PREFIX,
                self.spider,
                self.run,
                self.worker,
                _json(counts),
                _json(walked),
                reason,
                utc_now(),
            ],
        )
        return bool(ended)

    def produced(self, token: str) -> None:
        """A response's callback produced one more request or item."""
        self.pending[token] += 1

    def item_produced(self, item: PageItem, token: str) -> None:
        """A response's callback produced a page item."""
        self.items[id(item)] = token
        self.produced(token)

    def item_finished(self, item: PageItem) -> None:
        """A page item was dropped or failed in the item pipelines (or sent without `settle`)."""
        token = self.items.pop(id(item), None)
        if token is not None:
            self.finished(token)

    def settle(self, item: PageItem) -> tuple[str, str] | None:
        """The ledger entry (key, token) that sending this item completes: its response's callback has yielded
        all it will and this item is the last of its outputs still on its way. The caller strikes it off in the
        transaction that sends the item (a worker killed between the two would have the page fetched and sent
        again); None when other outputs are pending (they strike it off when they are handled)."""
        token = self.items.get(id(item))
        if token is None or token not in self.exhausted or self.pending[token] != 1:
            return None
        del self.items[id(item)]
        self.exhausted.discard(token)
        del self.pending[token]
        return self.inflight_key, token

    def finished(self, token: str) -> None:
        """One output of a response was queued, filtered as seen, sent to the stream or dropped."""
        self.pending[token] -= 1
        self._maybe_ack(token)

    def callback_done(self, token: str) -> None:
        """A response's callback has yielded all it will."""
        self.exhausted.add(token)
        self._maybe_ack(token)

    def _maybe_ack(self, token: str) -> None:
        if token in self.exhausted and self.pending[token] <= 0:
            self.exhausted.discard(token)
            del self.pending[token]
            self.client.hdel(self.inflight_key, token)


_WORKERS: weakref.WeakKeyDictionary[Any, Worker] = weakref.WeakKeyDictionary()


def worker_for(crawler: Any) -> Worker:
    """The crawler's `Worker`, made at first use from its settings (REDIS_URL, REDIS_WORKER_TIMEOUT).

    Raises:
        statements.stream.RedisUnavailable: Redis cannot be reached at REDIS_URL.
    """
    found = _WORKERS.get(crawler)
    if found is None:
        settings = crawler.settings
        found = Worker(
            stream.connect(settings.get("REDIS_URL")),
            crawler.spidercls.name,
            settings.getfloat("REDIS_WORKER_TIMEOUT", 60.0),
        )
        _WORKERS[crawler] = found
    return found


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class LedgerQueue(PriorityQueue):
    """scrapy-redis's priority queue, whose `pop` also writes the request to the worker's in-flight ledger (one
    Lua script: a worker killed between the two cannot lose it), and whose `push` of a request derived from a
    taken one (a retry, a redirect) strikes the taken one off in the same transaction."""

    def __init__(self, server: Any, spider: Any, key: str, worker: Worker) -> None:
        super().__init__(server, spider, key)
        self.worker = worker
        self._pop = server.register_script(_POP)

    def push(self, request: Request, taken: str | None = None) -> None:
        """Queue a request; `taken`: the ledger token of the request it derives from, struck off with it."""
        data = self._encode_request(request)
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if taken:
            pipe.hdel(self.worker.inflight_key, taken)
        pipe.execute()

    def pop(self, timeout: int = 0) -> Request | None:
        popped = self._pop(
            keys=[self.key, self.worker.inflight_key, stream.worker_key(self.worker.worker)],
            args=[self.worker.ttl_ms],
        )
        if not popped:
            return None
        request = self._decode_request(popped[0])
        request.meta[TOKEN] = popped[1].decode()
        return request


class RunScheduler(Scheduler):
    """Scheduler (setting `SCHEDULER`, set by the `crawler.distributed.RedisWorker` add-on when REDIS_URL is set):
    scrapy-redis's `Scheduler` and `RFPDupeFilter` on the keys of the run this worker joins, with the in-flight
    ledger (`LedgerQueue`), a heartbeat, and the rule for when an idle worker may close (see the module)."""

    def __init__(self, crawler: Any, worker: Worker) -> None:
        super().__init__(worker.client, persist=True)
        self.crawler = crawler
        self.worker = worker
        self.stats = crawler.stats
        self.heartbeat: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunScheduler:
        return cls(crawler, worker_for(crawler))

    def open(self, spider: Any) -> None:
        self.spider = spider
        arguments = {
            key: str(getattr(spider, key))
            for key in ("since", "until", "recheck")
            if getattr(spider, key, None)
        }
        self.worker.join(arguments)
        self.queue = LedgerQueue(self.server, spider, self.worker.key("requests"), self.worker)
        self.df = RFPDupeFilter(
            self.server, key=self.worker.key("dupefilter"), debug=spider.settings.getbool("DUPEFILTER_DEBUG")
        )
        if len(self.queue):
            logger.info("run %s has %d requests queued", self.worker.run, len(self.queue))
        # An idle engine looks at its scheduler every 5 s; the shared queue fills while others work, so an idle
        # worker looks five times a second (a ZPOPMIN and the check script: nothing for Redis). At 1 s, workers
        # waiting for a listing page's statements made four workers slower than two (benchmarks/README.md).
        engine = self.crawler.engine
        if engine is not None and hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            engine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL_SECONDS
        self.heartbeat = task.LoopingCall(self.worker.beat)
        self.heartbeat.start(max(self.worker.timeout / 4, 0.2), now=False)

    def enqueue_request(self, request: Request) -> bool:
        parent = request.meta.pop(PARENT, None)
        taken = request.meta.pop(TOKEN, None)  # a retry or redirect of a request taken from the queue
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                if taken:
                    self.server.hdel(self.worker.inflight_key, taken)
                return False
            self.stats.inc_value("scheduler/enqueued/redis")
            self.queue.push(request, taken)
            return True
        finally:
            if parent:
                self.worker.finished(parent)

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """Signal handler: a request dropped before it reached the queue is one output of its parent handled."""
        parent = request.meta.pop(PARENT, None)
        if parent:
            self.worker.finished(parent)

    def spider_idle(self, spider: Any) -> None:
        """Signal handler: keep an idle worker open while the run may still give it work (see `Worker.check`)."""
        if not self.worker.check():
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Leave the run with this worker's counts, and the sections it walked to their end when it finished
        with every statement sent."""
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.worker.run is None:  # the spider failed before joining a run
            return
        stats = self.crawler.stats.get_stats()
        walked: list[str] = []
        if reason == "finished" and not stats.get("statements/stream_errors"):
            walked = sorted(set(getattr(self.spider, "walked_sections", ())) - set(failed_sections(stats)))
        counts = {
            key: value
            for key, value in crawl_counts(stats).items()
            if key not in ("new", "updated", "unchanged")  # the writer counts what it stores
        }
        if self.worker.leave(counts, walked, reason):
            logger.info("run %s of %s ended: this worker was the last", self.worker.run, self.worker.spider)
        else:
            logger.info(
                "worker %s left run %s of %s", self.worker.worker, self.worker.run, self.worker.spider
            )


class AckMiddleware:
    """Spider middleware (set by the `crawler.distributed.RedisWorker` add-on): strikes a taken request off the
    worker's ledger once everything its callback produced is handled: each request queued (or filtered as
    already seen), each page item sent to the stream (or dropped). It runs last on the callback's output, after
    every middleware that might drop something."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Any) -> AckMiddleware:
        middleware = cls(worker_for(crawler))
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware.item_done, signal=signal)
        return middleware

    def _mark(self, output: Any, token: str) -> None:
        if isinstance(output, Request):
            output.meta[PARENT] = token
            self.worker.produced(token)
        elif isinstance(output, PageItem):
            self.worker.item_produced(output, token)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        token = response.meta.get(TOKEN)
        try:
            for output in result:
                if token:
                    self._mark(output, token)
                yield output
        finally:
            if token:
                self.worker.callback_done(token)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        token = response.meta.get(TOKEN)
        try:
            async for output in result:
                if token:
                    self._mark(output, token)
                yield output
        finally:
            if token:
                self.worker.callback_done(token)

    def item_done(self, item: Any, **kwargs: Any) -> None:
        """Signal handler (item scraped, dropped or failed): one output of the item's response handled, unless
        the stream pipeline settled it as it sent the item."""
        if isinstance(item, PageItem):
            self.worker.item_finished(item)
