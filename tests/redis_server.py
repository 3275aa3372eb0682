"""A real Redis server on 127.0.0.1 for the distributed-crawl tests and benchmark: Debian's `redis-server`,
started on a free port in a folder of its own, nothing saved to disk, stopped when the block ends."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.server import free_port


def redis_server_binary() -> str | None:
    """The path of `redis-server`, or None when it is not installed (`apt-get install redis-server`)."""
    return shutil.which("redis-server")


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Run redis-server on a free port of 127.0.0.1 while the block runs; yields its URL (redis://…/0).

    Raises:
        FileNotFoundError: redis-server is not installed.
        TimeoutError: the server did not answer within 10 s (its log is in `directory`).
    """
    import redis

    binary = redis_server_binary()
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(directory), "--logfile", str(directory / "redis.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise TimeoutError(f"redis-server did not start: see {directory / 'redis.log'}") from None
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
